import DataParallel
import Models

/// The running sums of the current epoch's training batches, from which
/// ``TrainMetricsSource/trainingBatches`` reports the epoch's training loss and accuracy.
///
/// Each batch adds its loss sum (its micro-shards' per-example loss sums, added in micro-shard
/// order by the engine) and its integer prediction counts; batches are added in the epoch's
/// order. Micro-shards do not depend on the worker count, so neither do these sums: the figures
/// are the same bits for any number of workers. They are part of ``TrainingState``, so a run
/// resumed in the middle of an epoch reports what the uninterrupted run would.
public struct EpochTrainingFigures: Sendable, Equatable {
    /// The sum of every per-example loss of the epoch's batches so far.
    public var lossSum: Double
    /// Examples of the epoch's batches so far.
    public var examples: Int
    /// Their right predictions, when every batch so far counted them; `nil` for a regression
    /// model or when a batch did not count.
    public var predictions: PredictionCount?

    /// The sums of an epoch before its first batch.
    public init(lossSum: Double = 0, examples: Int = 0, predictions: PredictionCount? = PredictionCount(correct: 0, total: 0)) {
        self.lossSum = lossSum
        self.examples = examples
        self.predictions = predictions
    }

    /// Adds one training batch's figures.
    public mutating func add(_ batch: BatchLoss) {
        lossSum += Double(batch.lossSum)
        examples += batch.exampleCount
        predictions = predictions.flatMap { sum in batch.predictions.map { sum + $0 } }
    }

    /// The mean per-example loss of the epoch's batches; NaN before the first.
    public var meanLoss: Float { examples > 0 ? Float(lossSum / Double(examples)) : .nan }

    /// The fraction of right predictions; `nil` when they were not counted (or none were made).
    public var accuracy: Float? {
        guard let predictions, predictions.total > 0 else { return nil }
        return predictions.accuracy
    }
}
