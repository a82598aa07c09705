import Autograd

/// A dataset divided into training and test examples.
public struct DatasetSplit: Sendable {
    /// The examples to fit on.
    public let train: Dataset
    /// The held-out examples to evaluate on.
    public let test: Dataset

    /// A split of these two parts.
    public init(train: Dataset, test: Dataset) {
        self.train = train
        self.test = test
    }

    /// Both parts standardised by statistics fitted on the **training** part only, so nothing
    /// about the test rows leaks into training. This is what the trainer does; to fit on every row
    /// instead, standardise the whole data set before splitting (see ``Dataset/standardized()``).
    ///
    /// - Returns: the standardised split and the fitted ``Standardizer`` (to apply to new data).
    public func standardized() -> (split: DatasetSplit, standardizer: Standardizer) {
        let standardizer = Standardizer.fit(train.features)
        let split = DatasetSplit(
            train: train.standardized(using: standardizer), test: test.standardized(using: standardizer))
        return (split, standardizer)
    }
}

extension Dataset {
    /// The first `trainCount(fraction:)` examples for training and the rest for testing, in
    /// file order, as NumPy code slicing the first rows does (`k = int(0.9 * n)`; 360 rows give 324 and 36).
    ///
    /// - Parameter trainFraction: the share of examples to train on, in [0, 1].
    public func split(trainFraction: Double) -> DatasetSplit {
        split(trainCount: trainCount(fraction: trainFraction))
    }

    /// The first `trainCount` examples for training and the rest for testing, in file order.
    ///
    /// - Precondition: `trainCount` lies in `0...count`.
    public func split(trainCount k: Int) -> DatasetSplit {
        usagePrecondition(k >= 0 && k <= count, "Dataset.split: trainCount must lie in 0...\(count), got \(k)")
        return DatasetSplit(train: subset(rows: Array(0..<k)), test: subset(rows: Array(k..<count)))
    }

    /// A split of a random permutation of the examples, the permutation drawn from `seed`
    /// alone; the training part is the first `trainCount(fraction:)` of the shuffled examples.
    /// Each part keeps the shuffled order.
    public func split(trainFraction: Double, shuffledWithSeed seed: UInt64) -> DatasetSplit {
        split(trainCount: trainCount(fraction: trainFraction), shuffledWithSeed: seed)
    }

    /// The first `trainCount` examples of the permutation drawn from `seed` (as
    /// ``split(trainFraction:shuffledWithSeed:)`` draws it) for training, the rest for testing.
    ///
    /// - Precondition: `trainCount` lies in `0...count`.
    public func split(trainCount k: Int, shuffledWithSeed seed: UInt64) -> DatasetSplit {
        usagePrecondition(k >= 0 && k <= count, "Dataset.split: trainCount must lie in 0...\(count), got \(k)")
        var random = RandomStream(seed: seed, stream: DataStream.split)
        let order = random.shuffledIndices(count: count)
        return DatasetSplit(train: subset(rows: Array(order[..<k])), test: subset(rows: Array(order[k...])))
    }

    /// ``split(trainCount:)`` without copying the features: both parts view this dataset's
    /// feature storage (its leading and its trailing rows), which they keep alive.
    ///
    /// The same rows as ``split(trainCount:)``, bit for bit.
    public func splitReusingStorage(trainCount k: Int) -> DatasetSplit {
        usagePrecondition(k >= 0 && k <= count, "Dataset.split: trainCount must lie in 0...\(count), got \(k)")
        return DatasetSplit(train: rowsView(0..<k), test: rowsView(k..<count))
    }

    /// ``split(trainCount:shuffledWithSeed:)`` without a second copy of the features when
    /// nothing else holds them: the rows are put into the permutation's order in place (the
    /// storage is copied first only if another tensor shares it), and the two parts view its
    /// leading and trailing rows.
    ///
    /// The same rows as ``split(trainCount:shuffledWithSeed:)``, bit for bit. Consuming the
    /// dataset is what lets the storage be reused: pass the last reference to it.
    public consuming func splitReusingStorage(trainCount k: Int, shuffledWithSeed seed: UInt64) -> DatasetSplit {
        usagePrecondition(k >= 0 && k <= count, "Dataset.split: trainCount must lie in 0...\(count), got \(k)")
        var random = RandomStream(seed: seed, stream: DataStream.split)
        let order = random.shuffledIndices(count: count)
        let targets = withoutRecording { self.targets.gathering(rows: order) }
        let labels = classLabels.map { labels in order.map { labels[$0] } }
        let width = featureCount
        features.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress, width > 0 else { return }
            Self.permuteRows(base, width: width, order: order)
        }
        let permuted = Dataset(
            features: features, targets: targets, classLabels: labels, classCount: classCount, featureNames: featureNames,
            labelName: labelName, classNames: classNames)
        return DatasetSplit(train: permuted.rowsView(0..<k), test: permuted.rowsView(k..<count))
    }

    /// The rows in `range`, viewing this dataset's feature and target storage.
    private func rowsView(_ range: Range<Int>) -> Dataset {
        withoutRecording {
            Dataset(
                features: features.rowsView(range), targets: targets.rowsView(range), classLabels: classLabels.map { Array($0[range]) },
                classCount: classCount, featureNames: featureNames, labelName: labelName, classNames: classNames)
        }
    }

    /// Rearranges the rows of `width` elements at `base` in place so that row `i` holds what row
    /// `order[i]` held, following each cycle of the permutation with one row put aside.
    private static func permuteRows(_ base: UnsafeMutablePointer<Float>, width: Int, order: [Int]) {
        var placed = [Bool](repeating: false, count: order.count)
        let aside = UnsafeMutablePointer<Float>.allocate(capacity: width)
        defer { aside.deallocate() }
        for start in order.indices where !placed[start] {
            placed[start] = true
            guard order[start] != start else { continue }
            aside.update(from: base + start * width, count: width)
            var row = start
            while order[row] != start {
                let source = order[row]
                (base + row * width).update(from: base + source * width, count: width)
                placed[source] = true
                row = source
            }
            (base + row * width).update(from: aside, count: width)
        }
    }

    /// `Int(fraction · count)`: the number of training examples, truncated toward zero as
    /// Python's `int()` does, so splits match NumPy code that slices `int(fraction * n)` rows.
    public func trainCount(fraction: Double) -> Int {
        usagePrecondition(fraction >= 0 && fraction <= 1, "Dataset.split: trainFraction must lie in [0, 1], got \(fraction)")
        return Int(fraction * Double(count))
    }
}
