import Autograd

/// Which rows of a global batch each micro-shard holds, and which micro-shards each process
/// (rank) and each of its workers runs.
///
/// Micro-shard `i` of a batch of `B` examples cut into `M` pieces holds rows
/// `[i·B/M, (i+1)·B/M)` (integer division), so sizes differ by at most one and depend only on
/// `B` and `M`. Empty micro-shards (when `M > B`) are skipped. The non-empty ones are dealt to the
/// ranks of a multi-process run in contiguous runs whose lengths differ by at most one, and a
/// rank's run to its workers the same way (one process has one rank, which gets them all). Which
/// rank or worker computes a micro-shard never changes what it computes.
public struct MicroShardPlan: Sendable, Equatable {
    /// Examples in the global batch.
    public let batchSize: Int
    /// Micro-shards the batch is cut into, empty ones included.
    public let microShardCount: Int
    /// Workers available in this process.
    public let workerCount: Int
    /// This process's rank among ``rankCount``.
    public let rank: Int
    /// Processes that share the batch; 1 without MPI.
    public let rankCount: Int
    /// The micro-shards that hold at least one row, in increasing order.
    public let nonEmptyMicroShards: [Int]
    /// The non-empty micro-shards this rank computes, in increasing order: all of them for one
    /// rank.
    public let rankMicroShards: ArraySlice<Int>

    /// Plans a batch.
    ///
    /// - Parameters:
    ///   - batchSize: examples in the global batch, over all ranks.
    ///   - microShardCount: pieces the batch is cut into.
    ///   - workerCount: workers of this process.
    ///   - rank: this process's rank, `0..<rankCount`; 0 by default.
    ///   - rankCount: processes sharing the batch; 1 by default.
    public init(batchSize: Int, microShardCount: Int, workerCount: Int, rank: Int = 0, rankCount: Int = 1) {
        usagePrecondition(batchSize >= 0 && microShardCount >= 1 && workerCount >= 1,
                     "MicroShardPlan: needs batchSize >= 0, microShardCount >= 1 and workerCount >= 1, got \(batchSize), \(microShardCount), \(workerCount)")
        usagePrecondition(rankCount >= 1 && (0..<rankCount).contains(rank), "MicroShardPlan: rank \(rank) is not in 0..<\(rankCount)")
        self.batchSize = batchSize
        self.microShardCount = microShardCount
        self.workerCount = workerCount
        self.rank = rank
        self.rankCount = rankCount
        let nonEmpty = (0..<microShardCount).filter { shard in
            shard * batchSize / microShardCount < (shard + 1) * batchSize / microShardCount
        }
        self.nonEmptyMicroShards = nonEmpty
        self.rankMicroShards = Self.share(of: nonEmpty, part: rank, parts: rankCount)
    }

    /// The part `part` of `parts` contiguous runs of `items`, whose lengths differ by at most one:
    /// items `[part·n/parts, (part+1)·n/parts)`. How micro-shards are dealt to ranks, and a rank's
    /// to its workers.
    public static func share<Element>(of items: [Element], part: Int, parts: Int) -> ArraySlice<Element> {
        share(of: items[...], part: part, parts: parts)
    }

    static func share<Element>(of items: ArraySlice<Element>, part: Int, parts: Int) -> ArraySlice<Element> {
        let count = items.count, start = items.startIndex
        return items[(start + part * count / parts)..<(start + (part + 1) * count / parts)]
    }

    /// The rank that computes micro-shard `shard`, which must be non-empty.
    public func rank(ofMicroShard shard: Int) -> Int {
        guard let index = nonEmptyMicroShards.firstIndex(of: shard) else { return 0 }
        // The largest rank whose run starts at or before `index`.
        return (0..<rankCount).last { $0 * nonEmptyMicroShards.count / rankCount <= index } ?? 0
    }

    /// The rows of the global batch in micro-shard `shard`.
    public func rows(ofMicroShard shard: Int) -> Range<Int> {
        (shard * batchSize / microShardCount)..<((shard + 1) * batchSize / microShardCount)
    }

    /// Workers that get at least one micro-shard: no more than this rank has micro-shards (0 for
    /// a rank with none).
    public var activeWorkerCount: Int { Swift.min(workerCount, rankMicroShards.count) }

    /// The micro-shards worker `worker` of this rank computes, in order (empty for an idle
    /// worker).
    public func microShards(ofWorker worker: Int) -> ArraySlice<Int> {
        let active = activeWorkerCount
        guard worker < active else { return [] }
        return Self.share(of: rankMicroShards, part: worker, parts: active)
    }
}
