import Autograd
import Foundation

/// How the data-parallel engine splits a global batch and runs its workers.
///
/// Results depend only on ``microShardCount``, ``seed`` and ``precision``, never on ``workers``
/// or ``kernelThreads``: with the same configuration otherwise, 1, 2, 3, 4 or 8 workers produce
/// bitwise-identical gradients and so bitwise-identical training runs.
public struct DataParallelConfiguration: Sendable, Equatable {
    /// Worker threads that compute micro-shard gradients at once (at least 1).
    public var workers: Int
    /// Pieces each global batch is cut into, independent of the worker count; the unit of work
    /// and of summation order. `nil` (the default) chooses from the batch size alone: one
    /// micro-shard per 128 examples, between 1 and 8 (see ``microShardCount(forBatchSize:)``).
    /// More micro-shards let more workers share a batch but make smaller, less efficient matrix
    /// products.
    public var microShardCount: Int?
    /// Threads each matrix product may use, or `nil` to choose: every core when there is one
    /// worker, otherwise 1, so workers × kernel threads never exceed the cores.
    public var kernelThreads: Int?
    /// Names every random stream a worker hands to the loss (dropout, noise).
    public var seed: UInt64
    /// Whether a worker that has finished its micro-shards computes pieces of the matrix
    /// products of workers still running theirs (see ``DataParallelEngine``). Which thread
    /// computes a piece never changes a bit, so this changes only the speed: on a machine whose
    /// cores are not equally fast, the step then waits less for the slowest worker. Only
    /// single-threaded products on the packed GEMM path are shared (with one kernel thread per
    /// worker, the default for several workers), not the AVX-512 kernels for narrow outputs
    /// (such as an MLP's 10-class layer), short K or single columns.
    public var workersHelp: Bool
    /// What every matrix product of the workers' forward and backward passes, and of the
    /// engine's ``DataParallelEngine/inference``, computes from: Float32 (the default) or
    /// bfloat16 inputs summed in Float32 (see ``/Autograd/MatrixPrecision``). It changes the
    /// bits, the same way for any worker count; the gradients the engine hands over are Float32
    /// either way.
    public var precision: MatrixPrecision
    /// Whether each matrix parameter is packed for the matrix kernel once per step, in each
    /// orientation the step's products use (W for x·W, Wᵀ for dZ·Wᵀ), and shared read-only by
    /// every micro-shard's products, instead of being packed again by each product. The packed
    /// products give the same bits, so this changes only the speed; true by default.
    public var sharesPackedWeights: Bool

    /// The worker and kernel-thread counts a configuration may ask for. A pool runs no more
    /// threads than the machine has cores, but it keeps a place on the help board and a row of
    /// statistics for every worker named, so a mistyped count is refused rather than allocated.
    public static let threadCounts = 1...256
    /// The micro-shard counts a configuration may ask for. Each micro-shard has a gradient slot
    /// as large as the parameters, allocated when the engine is made.
    public static let microShardCounts = 1...4096

    /// The most micro-shards the automatic choice makes.
    public static let maximumAutomaticMicroShardCount = 8
    /// Examples per micro-shard the automatic choice aims at. Measured on a 2-core machine with
    /// MLP 784-256-256-10 and batch 512: 128-row micro-shards ran 20–30 % faster than 64-row ones.
    public static let automaticMicroShardRows = 128

    /// Makes a configuration.
    ///
    /// - Parameters:
    ///   - workers: concurrent workers; 1 by default.
    ///   - microShardCount: pieces per global batch; `nil` (automatic, from the batch size) by
    ///     default.
    ///   - kernelThreads: threads per matrix product, `nil` (automatic) by default.
    ///   - seed: the seed of the per-micro-shard random streams; 0 by default.
    ///   - workersHelp: whether idle workers help with busy workers' products; true by default.
    ///   - precision: the matrix products' precision; Float32 by default.
    ///   - sharesPackedWeights: whether the weights are packed once per step for every
    ///     micro-shard's products; true by default.
    /// - Precondition: `workers` and `kernelThreads` lie in ``threadCounts``, `microShardCount`
    ///   in ``microShardCounts``.
    public init(
        workers: Int = 1, microShardCount: Int? = nil, kernelThreads: Int? = nil, seed: UInt64 = 0, workersHelp: Bool = true,
        precision: MatrixPrecision = .float32, sharesPackedWeights: Bool = true
    ) {
        self.workers = workers
        self.microShardCount = microShardCount
        self.kernelThreads = kernelThreads
        self.seed = seed
        self.workersHelp = workersHelp
        self.precision = precision
        self.sharesPackedWeights = sharesPackedWeights
        checkCounts(caller: "DataParallelConfiguration")
    }

    /// Stops the program, naming `caller`, when ``workers``, ``microShardCount`` or
    /// ``kernelThreads`` is outside its range (``threadCounts``, ``microShardCounts``). The
    /// engine checks again, since the properties can change after `init`.
    func checkCounts(caller: String) {
        usagePrecondition(
            Self.threadCounts.contains(workers),
            "\(caller): workers must be in \(Self.threadCounts), got \(workers)")
        if let microShardCount {
            usagePrecondition(
                Self.microShardCounts.contains(microShardCount),
                "\(caller): microShardCount must be in \(Self.microShardCounts), got \(microShardCount)")
        }
        if let kernelThreads {
            usagePrecondition(
                Self.threadCounts.contains(kernelThreads),
                "\(caller): kernelThreads must be in \(Self.threadCounts), got \(kernelThreads)")
        }
    }

    /// The micro-shards a batch of `batchSize` examples is cut into: the configured count, or
    /// ⌈batchSize / 128⌉ clamped to 1…8. Either way it depends on the batch size only, never on
    /// the worker count, so results stay bitwise identical for any number of workers.
    public func microShardCount(forBatchSize batchSize: Int) -> Int {
        if let microShardCount { return microShardCount }
        let rows = DataParallelConfiguration.automaticMicroShardRows
        return Swift.min(DataParallelConfiguration.maximumAutomaticMicroShardCount, Swift.max(1, (batchSize + rows - 1) / rows))
    }

    /// The most micro-shards any batch can be cut into: the slots an engine allocates.
    public var maximumMicroShardCount: Int { microShardCount ?? DataParallelConfiguration.maximumAutomaticMicroShardCount }

    /// The kernel threads each worker's matrix products use.
    public var resolvedKernelThreads: Int {
        if let kernelThreads { return kernelThreads }
        return workers == 1 ? Swift.max(1, ProcessInfo.processInfo.activeProcessorCount) : 1
    }
}
