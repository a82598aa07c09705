import Foundation
import Testing
import Autograd
import DataParallel
@testable import Benchmarks

#if canImport(Glibc)
import Glibc
#endif

@Test func theWaitShareCountsTheTimeWorkersSpendWaitingForTheSlowest() {
    // Worker 1's micro-shards sleep 20 ms each; worker 0's return at once. Each worker's busy
    // time is its own, and the compute phase lasts as long as the slower one.
    let engine = DataParallelEngine(parameterShapes: [[1]], configuration: DataParallelConfiguration(workers: 2, microShardCount: 4, kernelThreads: 1))
    let x = Tensor(shape: [8, 1], scalars: Array(repeating: 1, count: 8))
    _ = engine.computeGradients(parameters: [Tensor([0])], features: x, labels: Array(0..<8)) { x, _, p, context in
        if context.worker == 1 { usleep(20_000) }
        return (x * p[0]).sum()
    }
    let busy = engine.workerStatisticsSnapshot.map(\.busySeconds)
    #expect(busy[1] >= 0.04, "two 20 ms micro-shards: \(busy)")
    #expect(busy[0] < busy[1], "\(busy)")
    #expect(engine.lastTiming.computeSeconds >= busy[1])
    let statistics = engine.workerStatisticsSnapshot, seconds = engine.lastTiming.computeSeconds
    let wait = ScalingBenchmark.waitShare(statistics, computeSeconds: seconds, cores: 2)
    // About half: worker 0 waited for nearly all of worker 1's time (more if worker 1's thread
    // started late on a loaded machine).
    #expect(wait > 0.3 && wait < 1, "\(wait)")
    // On one core the two workers take turns on one thread, which never waits.
    #expect(ScalingBenchmark.waitShare(statistics, computeSeconds: busy[0] + busy[1], cores: 1) == 0)
}

