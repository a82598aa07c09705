import Autograd
import Models

/// A batch that can be cut into contiguous runs of examples: features, targets, labels.
///
/// The engine slices a global batch with this, so any type a loss needs can be sharded.
public protocol ShardableByExample: Sendable {
    /// The number of examples.
    var exampleCount: Int { get }
    /// The examples at `range`, in order.
    func examples(_ range: Range<Int>) -> Self
}

extension Tensor: ShardableByExample {
    /// The extent of the first axis: examples are rows.
    public var exampleCount: Int {
        shapePrecondition(rank >= 1, "ShardableByExample: a scalar tensor has no examples; batches need examples along the first axis")
        return shape[0]
    }

    /// Rows `range` (no gradient is recorded: the engine slices outside any tape).
    public func examples(_ range: Range<Int>) -> Tensor {
        withoutRecording { rows(range) }
    }
}

extension Targets: ShardableByExample {}

/// Integer class labels, one per example.
extension Array: ShardableByExample where Element == Int {
    /// The number of labels.
    public var exampleCount: Int { count }
    /// Labels `range`.
    public func examples(_ range: Range<Int>) -> [Int] { Array(self[range]) }
}

/// Chosen rows of a tensor, gathered only when a worker asks for its share: a batch of a
/// shuffled epoch is handed to the engine as indices, so each worker copies its own rows on its
/// own core instead of the coordinator copying the whole batch first.
public struct RowSelection: ShardableByExample {
    /// The tensor whose rows are chosen (a whole dataset's features, say).
    public let source: Tensor
    /// The chosen rows of `source`, in batch order.
    public let rows: [Int]

    /// The rows `rows` of `source`, in that order.
    public init(source: Tensor, rows: [Int]) {
        self.source = source
        self.rows = rows
    }

    public var exampleCount: Int { rows.count }

    public func examples(_ range: Range<Int>) -> RowSelection {
        RowSelection(source: source, rows: Array(rows[range]))
    }

    /// The chosen rows copied into one tensor (not recorded on any tape).
    public func materialized() -> Tensor {
        withoutRecording { source.gathering(rows: rows) }
    }
}

/// Examples a model can take as its input: a tensor of rows, or rows of one chosen by index.
public protocol ModelInputs: ShardableByExample {
    /// The examples as one tensor with an example per row.
    func materialized() -> Tensor
}

extension Tensor: ModelInputs {
    public func materialized() -> Tensor { self }
}

extension RowSelection: ModelInputs {}
