import Autograd

/// Everything needed to resume training where it stopped: parameters, optimizer state, random
/// streams and the position in the data.
///
/// No random stream is stored: each epoch's order is `epochOrder(seed:epoch:count:)`, and the
/// engine's per-micro-shard streams are named by ``seed`` and ``globalStep`` (see
/// ``/DataParallel/ShardContext/randomStream(seed:step:microShard:microShardCount:)``), so
/// restoring those restores every stream.
public struct TrainingState: Sendable, Equatable {
    /// Parameter names, in parameter order (the checkpoint keys).
    public var parameterNames: [String]
    /// Parameter values, in parameter order.
    public var parameters: [Tensor]
    /// The optimizer's per-parameter state by name, e.g. "dense0/weight/m" for Adam's first
    /// moment; empty for plain SGD.
    public var optimizerState: [String: Tensor]
    /// Updates the optimizer has applied (Adam's bias correction needs it).
    public var optimizerStep: Int
    /// The run's seed: initial parameters, shuffling and worker streams all derive from it.
    public var seed: UInt64
    /// Epochs completed.
    public var epoch: Int
    /// Batches completed within the current epoch.
    public var stepInEpoch: Int
    /// Batches completed since the start; the engine's ``/DataParallel/DataParallelEngine/step``.
    public var globalStep: Int
    /// Early stopping's best metric so far, if it has seen one.
    public var bestMetric: Float?
    /// The epoch of that best evaluation; `nil` when the checkpoint restored does not record it.
    public var bestEpoch: Int?
    /// Evaluations since early stopping's metric last improved.
    public var evaluationsWithoutImprovement: Int
    /// The parameters of the best evaluation, when early stopping keeps them.
    public var bestParameters: [Tensor]?
    /// What the run's matrix products computed from (``TrainingOptions/precision``). The
    /// parameters and the optimizer state are Float32 in either precision; a run resumed in the
    /// other one goes on from them, but its bits then differ from an uninterrupted run's.
    public var precision: MatrixPrecision
    /// The running sums of the epoch in progress's batches, from which the epoch's training
    /// loss and accuracy are reported (``TrainMetricsSource/trainingBatches``); empty at an
    /// epoch's start.
    public var epochFigures: EpochTrainingFigures
    /// The mean loss of the last optimizer step's examples; `nil` before the first step. A
    /// resumed run that takes no further step reports it as its final loss.
    public var lastLoss: Float?

    /// The state of a run that has not started.
    public init(parameterNames: [String], parameters: [Tensor], seed: UInt64) {
        usagePrecondition(parameterNames.count == parameters.count, "TrainingState: \(parameterNames.count) names for \(parameters.count) parameters")
        self.parameterNames = parameterNames
        self.parameters = parameters
        self.optimizerState = [:]
        self.optimizerStep = 0
        self.seed = seed
        self.epoch = 0
        self.stepInEpoch = 0
        self.globalStep = 0
        self.bestMetric = nil
        self.bestEpoch = nil
        self.evaluationsWithoutImprovement = 0
        self.bestParameters = nil
        self.precision = .float32
        self.epochFigures = EpochTrainingFigures()
        self.lastLoss = nil
    }
}
