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
/// for a user who does not want to wait for the checkpoint; the same signal again within half a
/// second is taken for the first one delivered twice (GNU `timeout` signals the process and
/// its group), not for a second request. A signal the process was started
/// ignoring (as a shell starts a background job's SIGINT) stays ignored.
///
/// The handler records the signal before the interrupted thread goes on, and ``stop()``
/// restores the signals' actions before it reads the record: a signal that comes before
/// `stop()` returns is in what it returns, and one after it has its usual effect. None is lost
/// in between.
///
/// A signal's action belongs to the whole process, and so does the record of it, which the
/// handler (a C function, which captures nothing) reaches as a static. Watchers that overlap,
/// as runs on several threads of one process do, share it: the first installs the handler,
/// the last to stop restores the actions, and a signal stops every run.
package final class SignalWatcher: Sendable {
    /// The signals watched.
    static let signals: [Int32] = [SIGINT, SIGTERM]

    /// The first signal caught since the first of the active watchers started, or 0.
    private static let caught = Atomic<Int32>(0)

    /// The active watchers, and the actions the first of them replaced.
    private static let installed = Mutex<(count: Int, previous: [Int32: sigaction])>((0, [:]))

    /// When the first signal came, in nanoseconds of `CLOCK_MONOTONIC`.
    private static let caughtAt = Atomic<Int64>(0)

    /// How soon after the first a signal counts as the same one, in nanoseconds: GNU `timeout`
    /// signals the process and then its process group, and a launcher may forward a signal the
    /// terminal already sent to the whole group, so one request can arrive twice within
    /// microseconds. A person's second Ctrl-C comes later than this.
    static let repeatWindowNanoseconds: Int64 = 500_000_000

    /// Monotonic time in nanoseconds; `clock_gettime` is async-signal-safe.
    private static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// Records the first signal; ends the process on a second one, unless it is a repeat of the
    /// first within ``repeatWindowNanoseconds``.
    private static let handler: @convention(c) (Int32) -> Void = { number in
        let time = SignalWatcher.now()
        let (exchanged, first) = SignalWatcher.caught.compareExchange(expected: 0, desired: number, ordering: .sequentiallyConsistent)
        if exchanged {
            SignalWatcher.caughtAt.store(time, ordering: .sequentiallyConsistent)
            return
        }
        let firstAt = SignalWatcher.caughtAt.load(ordering: .sequentiallyConsistent)
        // A repeat that raced the first's handler sees no time yet (0): it came within the window too.
        if first == number && (firstAt == 0 || time - firstAt < SignalWatcher.repeatWindowNanoseconds) { return }
        // The signal is blocked while its handler runs: raised now, it is delivered, with its
        // default action, as the handler returns.
        signal(number, SIG_DFL)
        raise(number)
    }

    private let stopped = Atomic<Bool>(false)

    /// Starts watching, and unblocks the signals on the calling thread: a process can be
    /// started with them blocked (a parent's mask is inherited, and Foundation's `Process`
    /// starts children from threads that block nearly every signal), and a signal every thread
    /// blocks is never delivered. They stay unblocked, so that after ``stop()`` they have their
    /// usual effect.
    init() {
        // The record is made before a handler can read it: the first use of a static runs
        // its initialiser, which a signal handler must not.
        _ = Self.caught.load(ordering: .sequentiallyConsistent)
        _ = Self.caughtAt.load(ordering: .sequentiallyConsistent)
        _ = Self.repeatWindowNanoseconds
        Self.installed.withLock { installed in
            installed.count += 1
            guard installed.count == 1 else { return }
            Self.caught.store(0, ordering: .sequentiallyConsistent)
            Self.caughtAt.store(0, ordering: .sequentiallyConsistent)
            for number in Self.signals {
                var previous = sigaction()
                sigaction(number, nil, &previous)
                guard !Self.isIgnored(previous) else { continue }
                var action = sigaction()
                Self.setHandler(Self.handler, of: &action)
                sigemptyset(&action.sa_mask)
                action.sa_flags = Int32(SA_RESTART)
                sigaction(number, &action, &previous)
                installed.previous[number] = previous
            }
        }
        var set = sigset_t()
        sigemptyset(&set)
        for number in Self.signals { sigaddset(&set, number) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    deinit { stop() }

    /// Whether a watched signal has come since the first of the active watchers started (or,
    /// after they stopped, before): a run has been asked to stop.
    package static var hasCaughtSignal: Bool { caught.load(ordering: .sequentiallyConsistent) != 0 }

    /// The first signal caught, if any.
    var signalNumber: Int32? {
        let number = Self.caught.load(ordering: .sequentiallyConsistent)
        return number == 0 ? nil : number
    }

    /// Stops watching, restoring the signals' actions when no other watcher is active; safe to
    /// call more than once. When a signal came less than the repeat window ago, the actions are
    /// restored once the window has passed: a repeat of it still on its way (a second Ctrl-C
    /// the terminal sends a moment after the first) is taken as the same request, not as one
    /// that ends the process while the run reports where it stopped.
    ///
    /// - Returns: the first signal caught before the actions were restored, if any.
    @discardableResult
    func stop() -> Int32? {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return signalNumber }
        if Self.caught.load(ordering: .sequentiallyConsistent) != 0 {
            let end = Self.caughtAt.load(ordering: .sequentiallyConsistent) + Self.repeatWindowNanoseconds
            var deadline = timespec(tv_sec: Int(end / 1_000_000_000), tv_nsec: Int(end % 1_000_000_000))
            // An absolute deadline: a repeat's handler interrupting the sleep does not lengthen it.
            while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nil) == EINTR {}
        }
        Self.installed.withLock { installed in
            installed.count -= 1
            guard installed.count == 0 else { return }
            for (number, var previous) in installed.previous { sigaction(number, &previous, nil) }
            installed.previous = [:]
        }
        return signalNumber
    }

    /// "SIGINT" or "SIGTERM".
    static func name(of number: Int32) -> String {
        number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal \(number)"
    }

    /// Whether `action` ignores its signal: C compares the handler's address with `SIG_IGN`'s.
    private static func isIgnored(_ action: sigaction) -> Bool {
        #if canImport(Glibc)
        let handler = action.__sigaction_handler.sa_handler
        #else
        let handler = action.__sigaction_u.__sa_handler
        #endif
        return unsafeBitCast(handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
    }

    private static func setHandler(_ handler: @escaping @convention(c) (Int32) -> Void, of action: inout sigaction) {
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = handler
        #else
        action.__sigaction_u.__sa_handler = handler
        #endif
    }
}
