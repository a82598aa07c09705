import Autograd

/// Examples for supervised learning: a feature matrix and, for each row, a target.
///
/// - `features` has shape `[n, d]`: one row per example.
/// - `targets` has shape `[n, 1]` and always holds the label as a `Float`: the value to regress,
///   or the class as a number (0/1 for binary logistic regression, so it feeds
///   `Losses.sigmoidCrossEntropy(logits:labels:)` directly). `[n, 1]` rather than `[n]` so it
///   lines up with a model's `[n, 1]` output without broadcasting surprises.
/// - `classLabels` holds the classes as integers `0..<classCount` when the labels are classes
///   (for `Losses.softmaxCrossEntropy(logits:labels:)`), and is `nil` for regression; `classNames`
///   holds the label each class stands for when the classes were numbered from a file's labels.
///
/// ```swift
/// let digits = try Dataset.digits(path: "datasets/digits.csv")       // [1797, 64], 10 classes
/// let zerosAndOnes = digits.keepingClasses([0, 1])                   // 360 rows, labels 0/1
///     .standardized()                                                  // fitted on all 360 rows
///     .split(trainFraction: 0.9)                                       // 324 train, 36 test
/// ```
public struct Dataset: Sendable {
    /// The examples, shape `[count, featureCount]`.
    public internal(set) var features: Tensor
    /// The label of each example as a number, shape `[count, 1]`.
    public let targets: Tensor
    /// The class of each example, in `0..<classCount`, or `nil` for regression data.
    public let classLabels: [Int]?
    /// How many classes there are (at least one more than the largest label), or `nil` for
    /// regression data. Kept explicitly so a split that lacks the last class still knows it.
    public let classCount: Int?
    /// A name for each feature column (the CSV header, or `x0`, `x1`, … without one).
    public let featureNames: [String]
    /// The label column's name (the CSV header's), or `nil` when the data has none; saved with
    /// a model so that prediction can recognise the label column in its input.
    public var labelName: String?
    /// The label each class stands for, in class order (class `i` is `classNames[i]`), when the
    /// classes were numbered from labels in a file (``LabelKind/classes``); `nil` when the
    /// classes are their own labels `0, 1, …` (see ``classLabel(of:)``).
    public var classNames: [String]?

    /// The number of examples.
    public var count: Int { features.shape[0] }
    /// The number of features per example.
    public var featureCount: Int { features.shape[1] }

    /// Regression data: features `[n, d]` and targets `[n]` or `[n, 1]` (stored as `[n, 1]`).
    public init(features: Tensor, targets: Tensor, featureNames: [String]? = nil) {
        shapePrecondition(features.rank == 2, "Dataset: features must have shape [n, d], got \(features.shape)")
        let n = features.shape[0]
        shapePrecondition(
            targets.shape == [n] || targets.shape == [n, 1],
            "Dataset: targets must have shape [\(n)] or [\(n), 1] to match features \(features.shape), got \(targets.shape)")
        self.features = features
        self.targets = targets.shape == [n, 1] ? targets : targets.reshaped(to: [n, 1])
        self.classLabels = nil
        self.classCount = nil
        self.featureNames = Dataset.names(featureNames, count: features.shape[1])
    }

    /// Classification data: features `[n, d]` and a class in `0..<classCount` for each row.
    ///
    /// - Parameters:
    ///   - features: the examples, shape `[n, d]`.
    ///   - classLabels: one class per row, in `0..<classCount`.
    ///   - classCount: defaults to one more than the largest label.
    ///   - featureNames: a name per column; `x0`, `x1`, … by default.
    public init(features: Tensor, classLabels: [Int], classCount: Int? = nil, featureNames: [String]? = nil) {
        shapePrecondition(features.rank == 2, "Dataset: features must have shape [n, d], got \(features.shape)")
        shapePrecondition(
            classLabels.count == features.shape[0],
            "Dataset: \(classLabels.count) class labels for features of shape \(features.shape); expected one per row (\(features.shape[0]))")
        let classes = classCount ?? ((classLabels.max() ?? -1) + 1)
        let badRow = classLabels.firstIndex { $0 < 0 || $0 >= classes }
        usagePrecondition(
            badRow == nil,
            "Dataset: class labels must lie in 0..<\(classes); row \(badRow!) has label \(classLabels[badRow!])")
        self.features = features
        self.targets = Tensor(shape: [classLabels.count, 1], scalars: classLabels.map(Float.init))
        self.classLabels = classLabels
        self.classCount = classes
        self.featureNames = Dataset.names(featureNames, count: features.shape[1])
    }

    init(
        features: Tensor, targets: Tensor, classLabels: [Int]?, classCount: Int?, featureNames: [String], labelName: String?,
        classNames: [String]?
    ) {
        self.features = features
        self.targets = targets
        self.classLabels = classLabels
        self.classCount = classCount
        self.featureNames = featureNames
        self.labelName = labelName
        self.classNames = classNames
    }

    /// The class a label written as `label` stands for, as the CSV reader numbers them: the
    /// class of that name, or, when the classes are integers, the class of the integer `label`
    /// is as a number (`01`, `+1` and `1.0` are class `1`); `nil` when no class is it.
    public func classIndex(ofLabel label: String) -> Int? {
        let names = classNames ?? (0..<(classCount ?? 0)).map(String.init)
        if let index = names.firstIndex(of: label) { return index }
        guard names.allSatisfy({ Int($0) != nil }), let value = CSVReader.decimalValue(of: label),
              value == value.rounded(), Swift.abs(value) < 0x1p53
        else { return nil }
        return names.firstIndex(of: String(Int(value)))
    }

    /// The label class `index` stands for: its entry in ``classNames``, else the index itself.
    public func classLabel(of index: Int) -> String {
        classNames.flatMap { $0.indices.contains(index) ? $0[index] : nil } ?? String(index)
    }

    private static func names(_ names: [String]?, count: Int) -> [String] {
        guard let names else { return (0..<count).map { "x\($0)" } }
        usagePrecondition(names.count == count, "Dataset: \(names.count) feature names for \(count) features")
        return names
    }

    /// The examples at `rows`, in that order (repeats allowed).
    public func subset(rows: [Int]) -> Dataset {
        Dataset(
            features: features.gathering(rows: rows), targets: targets.gathering(rows: rows),
            classLabels: classLabels.map { labels in rows.map { labels[$0] } }, classCount: classCount,
            featureNames: featureNames, labelName: labelName, classNames: classNames)
    }

    /// The same examples with other features (same number of rows), such as standardised ones.
    public func replacingFeatures(_ newFeatures: Tensor) -> Dataset {
        shapePrecondition(
            newFeatures.rank == 2 && newFeatures.shape[0] == count,
            "Dataset.replacingFeatures: expected \(count) rows, got shape \(newFeatures.shape)")
        let names = newFeatures.shape[1] == featureCount ? featureNames : Dataset.names(nil, count: newFeatures.shape[1])
        return Dataset(
            features: newFeatures, targets: targets, classLabels: classLabels, classCount: classCount, featureNames: names,
            labelName: labelName, classNames: classNames)
    }

    /// Only the examples whose class is in `classes`, relabelled by position in `classes`:
    /// `keepingClasses([0, 1])` keeps the digits 0 and 1 with labels 0 and 1, and
    /// `keepingClasses([3, 8])` keeps 3s and 8s labelled 0 and 1. Rows keep their file order.
    ///
    /// The targets become the new labels as floats, ready for binary logistic regression, and
    /// ``classNames``, when the data has them, the kept classes' names in the new order.
    ///
    /// - Precondition: the data has class labels and `classes` has no repeats.
    public func keepingClasses(_ classes: [Int]) -> Dataset {
        usagePrecondition(
            self.classLabels != nil,
            "Dataset.keepingClasses: the data has no class labels (regression data); expected a dataset made with classLabels")
        let classLabels = self.classLabels!
        usagePrecondition(Set(classes).count == classes.count, "Dataset.keepingClasses: \(classes) repeats a class")
        var newLabel: [Int: Int] = [:]
        for (position, label) in classes.enumerated() { newLabel[label] = position }
        let rows = classLabels.indices.filter { newLabel[classLabels[$0]] != nil }
        var kept = Dataset(
            features: features.gathering(rows: rows), classLabels: rows.map { newLabel[classLabels[$0]]! },
            classCount: classes.count, featureNames: featureNames)
        kept.labelName = labelName
        kept.classNames = classNames.map { _ in classes.map(classLabel(of:)) }
        return kept
    }

    /// How many examples each class has, indexed by class; `nil` for regression data.
    public var classCounts: [Int]? {
        guard let classLabels, let classCount else { return nil }
        var counts = [Int](repeating: 0, count: classCount)
        for label in classLabels { counts[label] += 1 }
        return counts
    }
}
