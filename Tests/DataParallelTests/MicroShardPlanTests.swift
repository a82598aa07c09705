import Testing
import DataParallel

@Test(arguments: [(0, 8), (3, 8), (8, 8), (37, 8), (512, 8), (100, 7), (5, 1)])
func microShardsPartitionTheBatchInOrder(batchSize: Int, microShards: Int) {
    let plan = MicroShardPlan(batchSize: batchSize, microShardCount: microShards, workerCount: 3)
    var next = 0
    for shard in 0..<microShards {
        let rows = plan.rows(ofMicroShard: shard)
        #expect(rows.lowerBound == next)
        #expect(rows.count == batchSize / microShards || rows.count == batchSize / microShards + 1)
        next = rows.upperBound
    }
    #expect(next == batchSize, "every row belongs to exactly one micro-shard")
    #expect(plan.nonEmptyMicroShards == (0..<microShards).filter { !plan.rows(ofMicroShard: $0).isEmpty })
}

@Test(arguments: [1, 2, 3, 4, 5, 8, 13])
func workersShareTheNonEmptyMicroShardsEvenly(workers: Int) {
    for (batchSize, microShards) in [(512, 8), (3, 8), (37, 5), (1, 4)] {
        let plan = MicroShardPlan(batchSize: batchSize, microShardCount: microShards, workerCount: workers)
        let assigned = (0..<workers).flatMap { plan.microShards(ofWorker: $0) }
        #expect(assigned == plan.nonEmptyMicroShards, "each non-empty micro-shard once, in order")
        let loads = (0..<plan.activeWorkerCount).map { plan.microShards(ofWorker: $0).count }
        #expect(loads.allSatisfy { $0 >= 1 })
        #expect((loads.max() ?? 0) - (loads.min() ?? 0) <= 1)
        #expect(plan.activeWorkerCount == min(workers, plan.nonEmptyMicroShards.count))
    }
}

@Test func moreMicroShardsThanExamplesLeavesSomeEmpty() {
    let plan = MicroShardPlan(batchSize: 3, microShardCount: 8, workerCount: 4)
    #expect(plan.nonEmptyMicroShards.count == 3)
    #expect(plan.nonEmptyMicroShards.map { plan.rows(ofMicroShard: $0) } == [0..<1, 1..<2, 2..<3])
    #expect(plan.activeWorkerCount == 3)
    #expect(plan.microShards(ofWorker: 3).isEmpty)
}

@Test(arguments: [1, 2, 3, 4, 7])
func ranksAndTheirWorkersShareTheMicroShardsInOrder(ranks: Int) {
    for (batchSize, microShards, workers) in [(512, 8, 2), (3, 8, 1), (37, 5, 3), (64, 4, 2)] {
        var assigned: [Int] = []
        for rank in 0..<ranks {
            let plan = MicroShardPlan(batchSize: batchSize, microShardCount: microShards, workerCount: workers, rank: rank, rankCount: ranks)
            let ofWorkers = (0..<workers).flatMap { plan.microShards(ofWorker: $0) }
            #expect(ofWorkers == Array(plan.rankMicroShards), "a rank's workers compute exactly its share")
            #expect(plan.activeWorkerCount == min(workers, plan.rankMicroShards.count))
            for shard in plan.rankMicroShards { #expect(plan.rank(ofMicroShard: shard) == rank) }
            assigned += plan.rankMicroShards
        }
        let whole = MicroShardPlan(batchSize: batchSize, microShardCount: microShards, workerCount: workers)
        #expect(assigned == whole.nonEmptyMicroShards, "each non-empty micro-shard on one rank, ranks in order")
        let loads = (0..<ranks).map {
            MicroShardPlan(batchSize: batchSize, microShardCount: microShards, workerCount: workers, rank: $0, rankCount: ranks).rankMicroShards.count
        }
        #expect(loads.max()! - loads.min()! <= 1)
    }
}
