import DataParallel
import Testing
@testable import Tasks

#if canImport(Glibc)
import Glibc
#endif

/// How ``SignalWatcher`` counts signals: the first asks the run to stop; the same one again
/// within the repeat window is that request delivered twice (GNU `timeout` signals the process
/// and its group); a second one after it ends the process at once. `raise` runs the handler
/// before it returns, so each raise is a delivery of its own, not one merged with a pending one.
@Suite struct SignalWatcherTests {
    @Test func theSameSignalTwiceWithinTheWindowIsOneRequest() async {
        await #expect(processExitsWith: .success) {
            let watcher = SignalWatcher()
            raise(SIGTERM)
            raise(SIGTERM)
            guard watcher.signalNumber == SIGTERM, SignalWatcher.hasCaughtSignal else { exit(2) }
            watcher.stop()
            exit(0)
        }
    }

    /// `stop()` right after a signal keeps the watch until the window has passed, so a repeat
    /// that arrives while the run reports where it stopped is still the same request.
    @Test func aRepeatJustAfterStopIsStillOneRequest() async {
        await #expect(processExitsWith: .success) {
            let watcher = SignalWatcher()
            raise(SIGINT)
            var thread = pthread_t()
            pthread_create(&thread, nil, { _ in
                usleep(100_000)
                raise(SIGINT)
                return nil
            }, nil)
            watcher.stop()
            pthread_join(thread, nil)
            exit(0)
        }
    }

    @Test func theSameSignalAfterTheWindowEndsTheProcess() async {
        await #expect(processExitsWith: .signal(SIGTERM)) {
            let watcher = SignalWatcher()
            raise(SIGTERM)
            usleep(useconds_t(SignalWatcher.repeatWindowNanoseconds / 1000) + 100_000)
            raise(SIGTERM)
            watcher.stop()
            exit(0)
        }
    }

    @Test func anotherSignalEndsTheProcessAtOnce() async {
        await #expect(processExitsWith: .signal(SIGINT)) {
            let watcher = SignalWatcher()
            raise(SIGTERM)
            raise(SIGINT)
            watcher.stop()
            exit(0)
        }
    }

    /// After the last step's exchange each rank has caught a signal of its own or none: the
    /// ranks exchange them once, and every rank reports the lowest rank's, so that all exit alike.
    @Test func aSignalAfterTheLastStepIsTheLowestRanksOnEveryRank() async {
        await #expect(processExitsWith: .success) {
            /// Rank `rank` of two, whose other rank sends `other` when the ranks gather.
            func run(rank: Int, other: String) -> DistributedRun {
                DistributedRun(reducer: NoTraining(rank: rank), description: "simulated", broadcastFromRankZero: { $0 }) { own in
                    rank == 0 ? [own, Array(other.utf8)] : [Array(other.utf8), own]
                }
            }
            // No signal here; the other rank caught SIGTERM.
            guard TrainTask.signalAfterTheLastStep(SignalWatcher(), distributed: run(rank: 0, other: "\(SIGTERM)")) == SIGTERM else { exit(2) }
            // SIGINT here, SIGTERM on rank 0: rank 0's.
            var watcher = SignalWatcher()
            raise(SIGINT)
            guard TrainTask.signalAfterTheLastStep(watcher, distributed: run(rank: 1, other: "\(SIGTERM)")) == SIGTERM else { exit(3) }
            // SIGINT here, on rank 0, SIGTERM on rank 1: this rank's.
            watcher = SignalWatcher()
            raise(SIGINT)
            guard TrainTask.signalAfterTheLastStep(watcher, distributed: run(rank: 0, other: "\(SIGTERM)")) == SIGINT else { exit(4) }
            // No signal on either rank.
            guard TrainTask.signalAfterTheLastStep(SignalWatcher(), distributed: run(rank: 1, other: "")) == nil else { exit(5) }
            exit(0)
        }
    }
}

/// A rank of a simulated job that never trains: only the gathers of ``DistributedRun`` are used.
private struct NoTraining: DistributedGradientReducer {
    let rank: Int
    var rankCount: Int { 2 }
    func exchangeMicroShardResults(_ results: inout [MicroShardResult?], activeSlots: [Int], step: Int, stopRequest: Int32) -> Int32 { stopRequest }
    func allReduce(_ slots: GradientSlots, activeSlots: [Int], divisor: Float, consume: @escaping @Sendable (ReducedChunk) -> Void) {}
}
