/// Which rows of a global batch each micro-shard holds, and which micro-shards each worker runs.
///
/// Micro-shard `i` of a batch of `B` examples cut into `M` pieces holds rows
/// `[i·B/M, (i+1)·B/M)` (integer division), so sizes differ by at most one and depend only on
/// `B` and `M`. Empty micro-shards (when `M > B`) are skipped. The non-empty ones are dealt to
/// workers in contiguous runs whose lengths differ by at most one; which worker computes a
/// micro-shard never changes what it computes.
public struct MicroShardPlan: Sendable, Equatable {
    /// Examples in the global batch.
    public let batchSize: Int
    /// Micro-shards the batch is cut into, empty ones included.
    public let microShardCount: Int
    /// Workers available.
    public let workerCount: Int
    /// The micro-shards that hold at least one row, in increasing order.
    public let nonEmptyMicroShards: [Int]

    /// Plans a batch.
    public init(batchSize: Int, microShardCount: Int, workerCount: Int) {
        precondition(batchSize >= 0 && microShardCount >= 1 && workerCount >= 1,
                     "MicroShardPlan: needs batchSize >= 0, microShardCount >= 1 and workerCount >= 1, got \(batchSize), \(microShardCount), \(workerCount)")
        self.batchSize = batchSize
        self.microShardCount = microShardCount
        self.workerCount = workerCount
        self.nonEmptyMicroShards = (0..<microShardCount).filter { shard in
            shard * batchSize / microShardCount < (shard + 1) * batchSize / microShardCount
        }
    }

    /// The rows of the global batch in micro-shard `shard`.
    public func rows(ofMicroShard shard: Int) -> Range<Int> {
        (shard * batchSize / microShardCount)..<((shard + 1) * batchSize / microShardCount)
    }

    /// Workers that get at least one micro-shard: no more than there are non-empty micro-shards.
    public var activeWorkerCount: Int { Swift.min(workerCount, nonEmptyMicroShards.count) }

    /// The micro-shards worker `worker` computes, in order (empty for an idle worker).
    public func microShards(ofWorker worker: Int) -> ArraySlice<Int> {
        let active = activeWorkerCount
        guard worker < active else { return [] }
        let count = nonEmptyMicroShards.count
        return nonEmptyMicroShards[(worker * count / active)..<((worker + 1) * count / active)]
    }
}
