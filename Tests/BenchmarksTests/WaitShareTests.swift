import Testing
import DataParallel
@testable import Benchmarks

/// The wait share: the part of the workers' thread time spent not on their own micro-shards,
/// waiting for the slowest worker (or helping it).
@Suite struct WaitShareTests {
    @Test func itIsTheThreadTimeTheWorkersDidNotSpendOnTheirOwnMicroShards() {
        // Worker 1 computes for 40 ms, worker 0 for 10 ms, and the step lasts as long as the
        // slower: of 2 × 40 ms of thread time, 50 ms were busy.
        let statistics = [
            WorkerStatistics(microShards: 2, examples: 8, busySeconds: 0.010),
            WorkerStatistics(microShards: 2, examples: 8, busySeconds: 0.040),
        ]
        #expect(abs(ScalingBenchmark.waitShare(statistics, computeSeconds: 0.040, cores: 2) - 0.375) < 1e-12)
        // On one core the two workers take turns on one thread, which never waits.
        #expect(ScalingBenchmark.waitShare(statistics, computeSeconds: 0.050, cores: 1) == 0)
    }

    @Test func workersWithoutMicroShardsAreNotCounted() {
        let statistics = [
            WorkerStatistics(microShards: 4, examples: 16, busySeconds: 0.020),
            WorkerStatistics(),
        ]
        // One active worker is one thread, which never waits.
        #expect(ScalingBenchmark.waitShare(statistics, computeSeconds: 0.020, cores: 2) == 0)
    }
}
