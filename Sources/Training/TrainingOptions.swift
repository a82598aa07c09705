import DataParallel

/// How the data-parallel trainer runs: the `training` object of a `"task": "train"` config.
public struct TrainingOptions: Sendable, Equatable {
    /// The worker and kernel-thread counts a config or the command line may ask for.
    public static let threadCounts = 1...256

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
    /// Kernel threads per worker; `nil`: all cores for one worker, one each for several.
    public var kernelThreads: Int?
    /// Whether workers that finish early compute pieces of the others' matrix products (see
    /// ``/DataParallel/DataParallelConfiguration/workersHelp``); results are the same bits either
    /// way.
    public var workersHelp: Bool
    /// Stop when a metric stops improving; `nil` trains every epoch.
    public var earlyStopping: EarlyStopping?

    /// Options with the given values; the defaults train one epoch of batches of 128 on one
    /// worker, deterministically.
    public init(
        epochs: Int = 1, maxSteps: Int? = nil, batchSize: Int = 128, workers: Int = 1, microShards: Int? = nil,
        seed: UInt64 = 0, deterministic: Bool = true, gradientAccumulation: Int = 1, evaluateEvery: Int = 1,
        kernelThreads: Int? = nil, workersHelp: Bool = true, earlyStopping: EarlyStopping? = nil
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
    }

    /// The engine configuration these options give. Without determinism each batch is cut into
    /// one micro-shard per worker and ``microShards`` is not used.
    public var engineConfiguration: DataParallelConfiguration {
        DataParallelConfiguration(
            workers: workers,
            microShardCount: deterministic ? microShards : workers,
            kernelThreads: kernelThreads, seed: seed, workersHelp: workersHelp)
    }

    /// Optimizer steps in one epoch of `examples` training examples.
    public func stepsPerEpoch(examples: Int) -> Int {
        let batches = (examples + batchSize - 1) / batchSize
        return (batches + gradientAccumulation - 1) / gradientAccumulation
    }

    /// Optimizer steps of the whole run on `examples` training examples.
    public func totalSteps(examples: Int) -> Int {
        let all = epochs * stepsPerEpoch(examples: examples)
        return maxSteps.map { Swift.min($0, all) } ?? all
    }
}

extension TrainingOptions {
    /// Examples per optimizer step: the batch size times the accumulation steps.
    public var effectiveBatchSize: Int { batchSize * gradientAccumulation }
}
