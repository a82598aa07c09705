import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Catches SIGINT and SIGTERM while a training run is in progress, so the run can finish its
/// step, write a checkpoint and exit with 128 + the signal's number (130 for Ctrl-C, 143 for
/// SIGTERM) instead of dying mid-step.
///
/// A second signal of either kind ends the process at once, with the signal's default action,
/// for a user who does not want to wait for the checkpoint.
final class SignalWatcher: @unchecked Sendable {
    /// The signals watched.
    static let signals: [Int32] = [SIGINT, SIGTERM]

    /// The first signal caught, or 0; shared with the handlers.
    private final class Caught: Sendable {
        let number = Atomic<Int32>(0)
    }

    private let caught = Caught()
    private let sources: [DispatchSourceSignal]

    /// Starts watching; the signals' default actions are restored by ``stop()``.
    init() {
        let caught = self.caught
        sources = Self.signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let (exchanged, _) = caught.number.compareExchange(expected: 0, desired: number, ordering: .sequentiallyConsistent)
                if !exchanged {
                    signal(number, SIG_DFL)
                    raise(number)
                }
            }
            source.resume()
            return source
        }
    }

    /// The first signal caught, if any.
    var signalNumber: Int32? {
        let number = caught.number.load(ordering: .sequentiallyConsistent)
        return number == 0 ? nil : number
    }

    /// Stops watching and restores the default actions.
    func stop() {
        for source in sources { source.cancel() }
        for number in Self.signals { signal(number, SIG_DFL) }
    }

    /// "SIGINT" or "SIGTERM".
    static func name(of number: Int32) -> String {
        number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal \(number)"
    }
}
