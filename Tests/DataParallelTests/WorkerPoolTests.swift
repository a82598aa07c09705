import Autograd
import Foundation
import Testing
@testable import DataParallel

/// The pool that runs the workers and the all-reduce: every index once per call, whatever the
/// sequence of counts, whether its helpers are spinning or asleep.
@Suite struct WorkerPoolTests {
    /// Runs `count` indices and returns how often each ran.
    private func runCounts(_ pool: WorkerPool, _ count: Int) -> [Int] {
        let counts = Locked([Int](repeating: 0, count: count))
        pool.run(count) { index in counts.withLock { $0[index] += 1 } }
        return counts.withLock { $0 }
    }

    @Test func everyIndexRunsOnceForAnySequenceOfCounts() {
        let pool = WorkerPool(cores: 4)
        // Growing, shrinking and repeating counts, so helpers sit some calls out and rejoin.
        for count in [2, 2, 5, 3, 1, 8, 2, 8, 4, 7, 2] + Array(repeating: 3, count: 200) {
            #expect(runCounts(pool, count) == Array(repeating: 1, count: count), "count \(count)")
        }
    }

    @Test func helpersThatFellAsleepWakeForTheNextCall() {
        let pool = WorkerPool(cores: 3)
        for _ in 0..<5 {
            #expect(runCounts(pool, 3) == [1, 1, 1])
            // Longer than the spin, so every helper and then the caller park.
            Thread.sleep(forTimeInterval: WorkerPool.spinSeconds * 10)
        }
    }

    @Test func aJobLongerThanTheSpinIsWaitedFor() {
        let pool = WorkerPool(cores: 2)
        let finished = Locked(0)
        pool.run(2) { index in
            if index == 1 { Thread.sleep(forTimeInterval: WorkerPool.spinSeconds * 20) }
            finished.withLock { $0 += 1 }
        }
        #expect(finished.withLock { $0 } == 2)
    }

    @Test func jobsShareAtMostOneThreadPerCore() {
        let pool = WorkerPool(cores: 3)
        for count in [2, 3, 7] {
            let threads = Locked<[Int: UInt]>([:])
            pool.run(count) { index in
                threads.withLock { $0[index] = UInt(bitPattern: Int(pthread_self())) }
                // Keep each job busy long enough that one thread cannot run two at once.
                Thread.sleep(forTimeInterval: 0.005)
            }
            let byJob = threads.withLock { $0 }
            #expect(byJob.count == count)
            #expect(Set(byJob.values).count == Swift.min(count, 3), "count \(count)")
            // Round-robin: jobs 0, 3, 6 on the calling thread, 1 and 4 on one helper, 2 and 5 on
            // the other.
            for index in 0..<count { #expect(byJob[index] == byJob[index % 3]) }
        }
    }

    @Test func aOneCorePoolRunsEverythingOnTheCallingThread() {
        let caller = UInt(bitPattern: Int(pthread_self()))
        let threads = Locked<Set<UInt>>([])
        WorkerPool(cores: 1).run(4) { _ in threads.withLock { _ = $0.insert(UInt(bitPattern: Int(pthread_self()))) } }
        #expect(threads.withLock { $0 } == [caller])
    }

    @Test func manyPoolsComeAndGo() {
        // A pool's helpers stop when it goes away; making many must neither hang nor leak work.
        for _ in 0..<50 {
            #expect(runCounts(WorkerPool(cores: 4), 4) == [1, 1, 1, 1])
        }
    }

    @Test func jobsDoNotRecordOnTheCallersTape() {
        let pool = WorkerPool()
        let tape = GradientTape()
        let x = Tensor([1, 2])
        tape.watch(x)
        tape.record {
            pool.run(3) { _ in _ = x * x }
        }
        #expect(tape.recordedOperationCount == 0)
    }
}
