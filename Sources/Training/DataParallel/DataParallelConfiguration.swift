import Foundation

/// How the data-parallel engine splits a global batch and runs its workers.
///
/// Results depend only on ``microShardCount`` and ``seed``, never on ``workers`` or
/// ``kernelThreads``: with the same configuration otherwise, 1, 2, 3, 4 or 8 workers produce
/// bitwise-identical gradients and so bitwise-identical training runs.
public struct DataParallelConfiguration: Sendable, Equatable {
    /// Worker threads that compute micro-shard gradients at once (at least 1).
    public var workers: Int
    /// Pieces each global batch is cut into, independent of the worker count; the unit of work
    /// and of summation order. The default, 8, lets up to 8 workers share a batch evenly; more
    /// micro-shards give finer load balance but smaller, less efficient matrix products.
    public var microShardCount: Int
    /// Threads each matrix product may use, or `nil` to choose: every core when there is one
    /// worker, otherwise 1, so workers × kernel threads never exceed the cores.
    public var kernelThreads: Int?
    /// Names every random stream a worker hands to the loss (dropout, noise).
    public var seed: UInt64

    /// The default number of micro-shards per batch.
    public static let defaultMicroShardCount = 8

    /// Makes a configuration.
    ///
    /// - Parameters:
    ///   - workers: concurrent workers; 1 by default.
    ///   - microShardCount: pieces per global batch; 8 by default.
    ///   - kernelThreads: threads per matrix product, `nil` (automatic) by default.
    ///   - seed: the seed of the per-micro-shard random streams; 0 by default.
    public init(workers: Int = 1, microShardCount: Int = defaultMicroShardCount, kernelThreads: Int? = nil, seed: UInt64 = 0) {
        precondition(workers >= 1, "DataParallelConfiguration: workers must be at least 1, got \(workers)")
        precondition(microShardCount >= 1, "DataParallelConfiguration: microShardCount must be at least 1, got \(microShardCount)")
        precondition(kernelThreads.map { $0 >= 1 } ?? true, "DataParallelConfiguration: kernelThreads must be at least 1, got \(kernelThreads!)")
        self.workers = workers
        self.microShardCount = microShardCount
        self.kernelThreads = kernelThreads
        self.seed = seed
    }

    /// The kernel threads each worker's matrix products use.
    public var resolvedKernelThreads: Int {
        if let kernelThreads { return kernelThreads }
        return workers == 1 ? Swift.max(1, ProcessInfo.processInfo.activeProcessorCount) : 1
    }
}
