import Autograd

/// A figure of an ``Trainer/Evaluation`` that a run can watch: for early stopping, or to keep
/// the best checkpoint.
public enum TrainingMetric: String, Sendable, Equatable, CaseIterable {
    /// The mean loss on the training split, as ``Trainer/Evaluation/trainLoss`` measures it (by
    /// default over the epoch's training batches).
    case trainLoss = "train_loss"
    /// The accuracy on the training split, as ``Trainer/Evaluation/trainAccuracy`` measures it.
    case trainAccuracy = "train_accuracy"
    /// The mean loss on the test split.
    case testLoss = "test_loss"
    /// The accuracy on the test split.
    case testAccuracy = "test_accuracy"

    /// Whether the metric is measured on the test split.
    public var isTestMetric: Bool { self == .testLoss || self == .testAccuracy }

    /// Whether a larger value is better (accuracies) or a smaller one (losses).
    public var higherIsBetter: Bool { self == .trainAccuracy || self == .testAccuracy }

    /// The metric's value in `evaluation`; `nil` when the evaluation lacks it (no test split, or
    /// a regression model without accuracy).
    public func value(in evaluation: Trainer.Evaluation) -> Float? {
        switch self {
        case .trainLoss: evaluation.trainLoss
        case .trainAccuracy: evaluation.trainAccuracy
        case .testLoss: evaluation.testLoss
        case .testAccuracy: evaluation.testAccuracy
        }
    }

    /// Whether `value` improves on `best` by more than `minDelta`. Any finite value improves on
    /// no value at all.
    public func improves(_ value: Float, on best: Float?, minDelta: Float = 0) -> Bool {
        guard value.isFinite else { return false }
        guard let best else { return true }
        return higherIsBetter ? value > best + minDelta : value < best - minDelta
    }
}

/// Stops a run when a metric has not improved for a number of evaluations, as Keras's
/// `EarlyStopping` callback does, and optionally puts back the best parameters seen.
///
/// A metric the evaluations do not measure (a test metric without a test split, an accuracy
/// of a regression model) cannot stop the run: ``Trainer/run(evaluating:measuring:log:onStep:)``
/// then trains on and logs a warning once (unless
/// ``Trainer/warnsOfUnmeasuredEarlyStoppingMetric`` is off), where Keras warns at every epoch.
public struct EarlyStopping: Sendable, Equatable {
    /// The watched figure.
    public var metric: TrainingMetric
    /// Evaluations without improvement after which the run stops.
    public var patience: Int
    /// The least change that counts as an improvement.
    public var minDelta: Float
    /// Whether the run ends with the parameters of its best evaluation rather than its last.
    public var restoreBest: Bool

    /// - Parameters:
    ///   - metric: the watched figure; `test_loss` by default.
    ///   - patience: evaluations without improvement before stopping, at least 1.
    ///   - minDelta: the least change that counts as an improvement, 0 or more.
    ///   - restoreBest: end with the best evaluation's parameters.
    public init(metric: TrainingMetric = .testLoss, patience: Int = 5, minDelta: Float = 0, restoreBest: Bool = true) {
        countPrecondition(patience, "EarlyStopping: patience")
        usagePrecondition(minDelta >= 0 && minDelta.isFinite, "EarlyStopping: minDelta must be finite and at least 0, got \(minDelta)")
        self.metric = metric
        self.patience = patience
        self.minDelta = minDelta
        self.restoreBest = restoreBest
    }
}
