/// Where a run's training-split figures (``Trainer/Evaluation/trainLoss``,
/// ``Trainer/Evaluation/trainAccuracy``) come from: the `training.train_metrics` key of a config.
public enum TrainMetricsSource: String, Sendable, Equatable, CaseIterable {
    /// The running mean over the epoch's training batches, as Keras reports `loss` and
    /// `accuracy` in `fit`: the per-example losses and right predictions that the training passes
    /// themselves computed (dropout included, each batch at the parameters before its update),
    /// summed over the epoch and divided by its example count. Costs no extra pass.
    case trainingBatches = "training_batches"
    /// An inference pass over the whole training split at every evaluation, with the epoch's
    /// final parameters and no dropout, as Keras's `model.evaluate(x_train, y_train)` would
    /// give: one more forward pass over the training data per evaluation.
    case evaluationPass = "evaluation_pass"
}
