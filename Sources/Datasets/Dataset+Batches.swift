import Autograd

/// A minibatch: the rows of a dataset picked for one step.
public struct Batch: Sendable {
    /// The batch's features, shape `[size, featureCount]`.
    public let features: Tensor
    /// The batch's targets, shape `[size, 1]`.
    public let targets: Tensor
    /// The batch's classes, or `nil` for regression data.
    public let classLabels: [Int]?
    /// The dataset rows the batch holds, in batch order.
    public let indices: [Int]

    /// The number of examples in the batch.
    public var count: Int { indices.count }
}

/// The minibatches of one epoch, in order: a collection, so a step can be looked up by index
/// (to resume mid-epoch) and the number of steps is known before iterating.
///
/// Batches are gathered when read, so the epoch costs one permutation until then.
public struct Batches: RandomAccessCollection, Sendable {
    /// The dataset the batches come from.
    public let dataset: Dataset
    /// The order this epoch visits the dataset's rows.
    public let order: [Int]
    /// The number of examples in every batch but perhaps the last.
    public let batchSize: Int
    /// Whether a last batch smaller than `batchSize` is left out.
    public let dropsLastPartialBatch: Bool

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        // ⌈count / size⌉ without `count + size − 1`, which overflows for sizes near `Int.max`.
        dropsLastPartialBatch || order.count % batchSize == 0 ? order.count / batchSize : order.count / batchSize + 1
    }

    /// The rows of batch `position`.
    public func indices(ofBatch position: Int) -> ArraySlice<Int> {
        usagePrecondition(position >= 0 && position < endIndex, "Batches: batch \(position) is out of range 0..<\(endIndex)")
        let start = position * batchSize
        return order[start..<(start + Swift.min(batchSize, order.count - start))]
    }

    public subscript(position: Int) -> Batch {
        let rows = Array(indices(ofBatch: position))
        let examples = dataset.subset(rows: rows)
        return Batch(features: examples.features, targets: examples.targets, classLabels: examples.classLabels, indices: rows)
    }
}

extension Dataset {
    /// The minibatches of one epoch.
    ///
    /// With a seed, the epoch visits the rows in ``epochOrder(seed:epoch:count:)``, which
    /// depends on `(seed, epoch)` only: each epoch is shuffled differently without any state to
    /// carry, and any epoch can be replayed. Without a seed, rows come in file order.
    ///
    /// ```swift
    /// for epoch in 0..<epochs {
    ///     for batch in train.batches(size: 32, shuffleSeed: 42, epoch: epoch) {
    ///         // batch.features [≤32, d], batch.targets [≤32, 1]
    ///     }
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - size: the global batch size, at least 1.
    ///   - shuffleSeed: the seed of the shuffle, or `nil` for file order.
    ///   - epoch: the epoch number, from 0.
    ///   - dropsLastPartialBatch: leave out a last batch smaller than `size` (default `false`:
    ///     keep it, so every example is seen once per epoch).
    public func batches(
        size: Int, shuffleSeed: UInt64? = nil, epoch: Int = 0, dropsLastPartialBatch: Bool = false
    ) -> Batches {
        countPrecondition(size, "Dataset.batches: batch size")
        let order = shuffleSeed.map { epochOrder(seed: $0, epoch: epoch, count: count) } ?? Array(0..<count)
        return Batches(dataset: self, order: order, batchSize: size, dropsLastPartialBatch: dropsLastPartialBatch)
    }
}
