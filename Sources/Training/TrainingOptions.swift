import Autograd
import DataParallel

/// How the data-parallel trainer runs: the `training` object of a `"task": "train"` config.
public struct TrainingOptions: Sendable, Equatable {
    /// The worker and kernel-thread counts a config, the command line or a ``Trainer`` may ask
    /// for: the engine's.
    public static let threadCounts = DataParallelConfiguration.threadCounts
    /// The micro-shard counts a config or a ``Trainer`` may ask for: the engine's.
    public static let microShardCounts = DataParallelConfiguration.microShardCounts
    /// The epoch counts a config or `--epochs` may ask for. Each epoch's shuffle is named by
    /// its index, which must stay below 2³² (``/Datasets/epochOrder(seed:epoch:count:)``).
    public static let epochCounts = 1...1_000_000
    /// The step limits (`training.steps`) a config may set.
    public static let stepCounts = 1...1_000_000_000_000
    /// The batch sizes a config may ask for (a batch larger than the data is the whole data).
    public static let batchSizes = 1...10_000_000
    /// The gradient-accumulation counts a config may ask for.
    public static let accumulationCounts = 1...1_000_000
    /// The evaluation intervals, in epochs, a config may ask for.
    public static let evaluationIntervals = 1...1_000_000

    /// Passes over the training data.
    public var epochs: Int
    /// Stop after this many optimizer steps, if set (before the epochs run out).
    public var maxSteps: Int?
    /// Examples per global mini-batch, split across the workers.
    public var batchSize: Int
    /// Worker threads, each with its own tape.
    public var workers: Int
    /// Micro-shards per batch; `nil` picks from the batch size alone (see
    /// ``/DataParallel/DataParallelConfiguration``). Results do not depend on `workers` either way.
    public var microShards: Int?
    /// The seed of initialisation, shuffling and every per-example random stream.
    public var seed: UInt64
    /// `true`: results are bitwise the same for any worker count. `false`: one micro-shard per
    /// worker, which makes fewer, larger matrix products, at the price of results that change with
    /// the worker count.
    public var deterministic: Bool
    /// Batches whose gradients are summed before one optimizer step.
    public var gradientAccumulation: Int
    /// Evaluate on the test split every N epochs (and after the last).
    public var evaluateEvery: Int
    /// Where an evaluation's training-split figures come from: the running mean over the epoch's
    /// training batches (the default, as Keras reports them) or a pass over the whole training
    /// split. Never changes the trained bits.
    public var trainMetrics: TrainMetricsSource
    /// Kernel threads per worker; `nil`: all cores for one worker, one each for several.
    public var kernelThreads: Int?
    /// Whether workers that finish early compute pieces of the others' matrix products (see
    /// ``/DataParallel/DataParallelConfiguration/workersHelp``); results are the same bits either
    /// way.
    public var workersHelp: Bool
    /// Stop when a metric stops improving; `nil` trains every epoch.
    public var earlyStopping: EarlyStopping?
    /// What the matrix products of training, evaluation and the engine's inference compute
    /// from: Float32 (the default) or bfloat16 inputs summed in Float32 (mixed precision; see
    /// ``/Autograd/MatrixPrecision``). The parameters, the gradients the optimizer applies and
    /// its state stay Float32 either way.
    public var precision: MatrixPrecision
    /// Whether the weights are packed for the matrix kernel once per step and shared by every
    /// micro-shard's products (see
    /// ``/DataParallel/DataParallelConfiguration/sharesPackedWeights``); the same bits either
    /// way.
    public var sharesPackedWeights: Bool

    /// Options with the given values; the defaults train one epoch of batches of 128 on one
    /// worker, deterministically, in Float32.
    public init(
        epochs: Int = 1, maxSteps: Int? = nil, batchSize: Int = 128, workers: Int = 1, microShards: Int? = nil,
        seed: UInt64 = 0, deterministic: Bool = true, gradientAccumulation: Int = 1, evaluateEvery: Int = 1,
        kernelThreads: Int? = nil, workersHelp: Bool = true, earlyStopping: EarlyStopping? = nil,
        precision: MatrixPrecision = .float32, trainMetrics: TrainMetricsSource = .trainingBatches,
        sharesPackedWeights: Bool = true
    ) {
        self.epochs = epochs
        self.maxSteps = maxSteps
        self.batchSize = batchSize
        self.workers = workers
        self.microShards = microShards
        self.seed = seed
        self.deterministic = deterministic
        self.gradientAccumulation = gradientAccumulation
        self.evaluateEvery = evaluateEvery
        self.kernelThreads = kernelThreads
        self.workersHelp = workersHelp
        self.earlyStopping = earlyStopping
        self.precision = precision
        self.trainMetrics = trainMetrics
        self.sharesPackedWeights = sharesPackedWeights
    }

    /// The engine configuration these options give. Without determinism each batch is cut into
    /// one micro-shard per worker and ``microShards`` is not used.
    public var engineConfiguration: DataParallelConfiguration {
        DataParallelConfiguration(
            workers: workers,
            microShardCount: deterministic ? microShards : workers,
            kernelThreads: kernelThreads, seed: seed, workersHelp: workersHelp, precision: precision,
            sharesPackedWeights: sharesPackedWeights)
    }

    /// Batches in one epoch of `examples` training examples: ⌈examples / batch⌉ (the last one
    /// may be partial), computed without the `+ divisor − 1` that would overflow for sizes near
    /// `Int.max`.
    public func batchesPerEpoch(examples: Int) -> Int {
        Self.quotientRoundedUp(Swift.max(examples, 0), Swift.max(batchSize, 1))
    }

    /// Optimizer steps in one epoch of `examples` training examples: ⌈⌈examples / batch⌉ /
    /// accumulation⌉ (an epoch's last batch always ends a step).
    public func stepsPerEpoch(examples: Int) -> Int {
        Self.quotientRoundedUp(batchesPerEpoch(examples: examples), Swift.max(gradientAccumulation, 1))
    }

    /// Optimizer steps of the whole run on `examples` training examples; `Int.max` when the
    /// product of epochs and steps per epoch would overflow.
    public func totalSteps(examples: Int) -> Int {
        let (product, overflow) = epochs.multipliedReportingOverflow(by: stepsPerEpoch(examples: examples))
        let all = overflow ? Int.max : product
        return maxSteps.map { Swift.min($0, all) } ?? all
    }

    private static func quotientRoundedUp(_ dividend: Int, _ divisor: Int) -> Int {
        dividend / divisor + (dividend % divisor == 0 ? 0 : 1)
    }
}

extension TrainingOptions {
    /// Examples per optimizer step: the batch size times the accumulation steps; `Int.max`
    /// when that product would overflow.
    public var effectiveBatchSize: Int {
        let (product, overflow) = batchSize.multipliedReportingOverflow(by: gradientAccumulation)
        return overflow ? Int.max : product
    }
}
