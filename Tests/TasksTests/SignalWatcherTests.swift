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
}
