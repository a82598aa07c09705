import DataParallel
import Foundation
import Tasks
import Testing
import _TestSupport
@testable import Benchmarks

/// `bench scaling`'s table of ranks × workers: the figures made of each configuration's runs, and
/// the benchmark run through a job of one simulated rank.
@Suite struct RankScalingTests {
    /// A one-rank distributed reducer: the in-process one, with nothing to exchange.
    private struct OneRank: DistributedGradientReducer {
        let inner: InProcessGradientReducer
        var rank: Int { 0 }
        var rankCount: Int { 1 }
        func exchangeMicroShardResults(_ results: inout [MicroShardResult?], activeSlots: [Int], step: Int, stopRequest: Int32) -> Int32 { stopRequest }
        func allReduce(_ slots: GradientSlots, activeSlots: [Int], divisor: Float, consume: @escaping @Sendable (ReducedChunk) -> Void) {
            inner.allReduce(slots, activeSlots: activeSlots, divisor: divisor, consume: consume)
        }
    }

    @Test func speedUpsAreOverTheFirstConfigurationFastestAgainstFastestAndMedianAgainstMedian() {
        // 100 examples a run; the first configuration's runs take 1, 2 and 4 s.
        let times: [[(seconds: Double, examples: Int, digest: String)]] = [
            [(2, 100, "a"), (1, 100, "a"), (4, 100, "a")],
            [(0.5, 100, "a"), (1, 100, "a"), (2, 100, "a")],
            [(0.25, 100, "b"), (0.5, 100, "b"), (0.4, 100, "b")],
        ]
        // One run of the last configuration diverged: its row says so.
        let runs = times.enumerated().map { index, runs in
            runs.enumerated().map { RankScalingBenchmark.Run(seconds: $1.seconds, examples: $1.examples, digest: $1.digest, diverged: index == 2 && $0 == 1) }
        }
        let rows = RankScalingBenchmark.rows(configurations: [(1, 1), (1, 2), (2, 2)], runs: runs, steps: 10)
        #expect(rows.map(\.diverged) == [false, false, true])
        #expect(rows.map(\.ranks) == [1, 1, 2])
        #expect(rows.map(\.workersPerRank) == [1, 2, 2])
        #expect(rows.map(\.samplesPerSecond) == [100, 200, 400])
        #expect(rows.map(\.speedUp) == [1, 2, 4])
        // Medians: 50, 100 and 250 samples/s.
        #expect(rows.map(\.medianSpeedUp) == [1, 2, 5])
        // Speed-up over ranks × workers.
        #expect(rows.map(\.efficiency) == [1, 1, 1])
        #expect(rows.map(\.secondsPerStep) == [0.1, 0.05, 0.025])
        #expect(rows.map(\.parameterDigest) == ["a", "a", "b"])
    }

    @Test func aJobOfOneRankTrainsAsTheOneProcessBenchmark() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("train.json", """
            {
              "task": "train",
              "data": {"source": "synthetic", "examples": 256, "features": 16, "classes": 3},
              "model": {"type": "mlp", "hidden_layers": [8]},
              "training": {"epochs": 1, "batch_size": 32, "micro_shards": 4, "seed": 3}
            }
            """)
        let task = try #require(try TaskLoader.load(path: path) as? TrainTask)
        let reducers = Locked<[Int]>([])
        let job = RankScalingBenchmark.Job(
            rank: 0, rankCount: 1,
            reducer: { ranks, workers in
                reducers.withLock { $0.append(ranks) }
                return OneRank(inner: InProcessGradientReducer(threads: workers))
            },
            allGather: { [$0] })
        var lines: [String] = []
        let rows = RankScalingBenchmark(task: task, rankCounts: [1], workerCounts: [1, 2], steps: 5, warmupSteps: 1, repeats: 2, job: job)
            .run { lines.append($0) }
        #expect(rows.map(\.workersPerRank) == [1, 2])
        #expect(rows.allSatisfy { $0.samplesPerSecond > 0 && $0.ranks == 1 })
        #expect(rows[0].speedUp == 1)
        // A warm-up and a timed trainer per run, each with a reducer of one rank.
        #expect(reducers.withLock { $0 } == [Int](repeating: 1, count: 2 * 2 * 2))
        #expect(lines.count == 4 && lines[0].hasPrefix("run 1/2, 1 rank × 1 worker: "), "\(lines)")
        let alone = ScalingBenchmark(task: task, workerCounts: [1], steps: 5, warmupSteps: 0, repeats: 1).run()
        #expect(rows.map(\.parameterDigest) == [alone[0].parameterDigest, alone[0].parameterDigest])
        let table = RankScalingBenchmark.table(rows).split(separator: "\n")
        #expect(table.count == 3 && table[0].hasPrefix("ranks  workers/rank  samples/s  speed-up"))
    }
}
