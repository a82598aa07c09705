import Foundation
import Storage
import Tasks

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether standard output is a terminal that can redraw a line, where a training run redraws
/// its progress line: not a file or a pipe, and not a terminal whose `TERM` is `dumb` (which has
/// no clear-to-end), where progress is printed line by line as into a file.
var standardOutputIsTerminal: Bool {
    isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
}

/// The terminal's width in columns; 80 when it cannot be asked.
func terminalColumns() -> Int {
    var size = winsize()
    guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
    return Int(size.ws_col)
}

/// Writes `text` to standard output as is (no newline added), in order with every other write
/// through ``StandardOutput``.
@Sendable func writeToStandardOutput(_ text: String) {
    StandardOutput.write(text)
}

/// Prints a line on standard output: progress written to a file or a pipe shows at once, not
/// when a buffer fills.
@Sendable func printLine(_ line: String) {
    StandardOutput.write(line + "\n")
}

/// Standard output, written by a thread of its own.
///
/// A reader that stops reading (a pager left open, a pipe to a stopped process) fills the pipe,
/// and a write then waits for it. Were the run's own thread the one waiting, a SIGINT or SIGTERM,
/// whose handler only notes the signal, could not stop the run until the reader drained the
/// pipe. Here the run hands its text over and goes on; the writer thread writes it in order and
/// writes each piece at once. The run waits only when ``pendingLimit`` bytes are still to be
/// written (so a slow reader slows the run, as a pipe does), and once a signal has come, for at
/// most ``signalGrace``: then the rest of the output is dropped, with a note on standard error,
/// and the run goes on to its checkpoint and exits as asked. Before the process exits, and before
/// anything is printed on standard error, what was handed over is written (``drain()``), within
/// the same bound after a signal.
enum StandardOutput {
    /// How long, after a stop was asked for, the run waits on standard output, unless
    /// ``start(signalGrace:)`` says otherwise.
    static let signalGrace: Duration = .seconds(2)
    /// The most bytes handed over and not yet written before a write waits.
    static let pendingLimit = 1 << 16

    /// The text handed over and the writer's state, under `condition`'s lock.
    private final class Channel: @unchecked Sendable {
        let condition = NSCondition()
        var pending: [String] = []
        var pendingBytes = 0
        /// Whether the writer thread is writing text it took from `pending`.
        var writing = false
        var writerStarted = false
        /// Whether output is dropped: after a signal, standard output took nothing in time.
        var abandoned = false
        /// Whether the note that says so is still to be written (after the lock is let go).
        var noteOwed = false
        /// Once output is given up: until when standard error's writes may wait for it.
        var standardErrorDeadline: ContinuousClock.Instant?
        /// `errno` of the first write that failed, or 0.
        var failure: Int32 = 0
        /// How long, after a stop was asked for, the run waits on standard output.
        var signalGrace = StandardOutput.signalGrace
    }

    private static let channel = Channel()

    /// Starts the writer thread, if it has not started: a command calls it before its work, so
    /// that the thread's start (some 100 µs) is not paid inside the first line's timing.
    ///
    /// - Parameter signalGrace: how long the run waits on standard output once a signal has
    ///   asked it to stop, when not ``signalGrace``: a rank under `mpirun`, which kills the ranks
    ///   a second after it signals them and may have stopped reading their output, waits less.
    static func start(signalGrace: Duration? = nil) {
        channel.condition.lock()
        if let signalGrace { channel.signalGrace = signalGrace }
        startWriterLocked()
        channel.condition.unlock()
    }

    private static func startWriterLocked() {
        guard !channel.writerStarted else { return }
        channel.writerStarted = true
        Thread.detachNewThread { writeHandedOverText() }
    }

    /// Hands `text` over to be written, unless the output has been given up.
    static func write(_ text: String) {
        let channel = self.channel
        channel.condition.lock()
        startWriterLocked()
        if waitLocked(until: { channel.pendingBytes < pendingLimit }) {
            channel.pending.append(text)
            channel.pendingBytes += text.utf8.count
            channel.condition.broadcast()
        }
        channel.condition.unlock()
        writeNoteIfOwed()
    }

    /// Waits until everything handed over has been written (or, after a signal, for at most
    /// ``signalGrace``).
    static func drain() {
        let channel = self.channel
        channel.condition.lock()
        _ = waitLocked(until: { channel.pending.isEmpty && !channel.writing })
        channel.condition.unlock()
        writeNoteIfOwed()
    }

    /// Writes `text` to standard error at once. Once standard output has been given up, standard
    /// error may be the same unread pipe (`2>&1 | less`): then a write waits at most
    /// ``signalGrace`` for it to take output, and is dropped if it does not.
    static func writeToStandardError(_ text: String) {
        if isAbandoned {
            // One grace for all of standard error's writes: once it has passed without the
            // output taking a write, the rest are dropped at once.
            channel.condition.lock()
            let deadline = channel.standardErrorDeadline ?? (ContinuousClock.now + channel.signalGrace)
            channel.standardErrorDeadline = deadline
            channel.condition.unlock()
            guard becomesWritable(STDERR_FILENO, until: deadline) else { return }
        }
        _ = writeWhole(text, to: STDERR_FILENO)
    }

    /// Writes the note that standard output was given up, once, with no lock held.
    private static func writeNoteIfOwed() {
        channel.condition.lock()
        let owed = channel.noteOwed
        channel.noteOwed = false
        let grace = channel.signalGrace
        channel.condition.unlock()
        if owed {
            writeToStandardError(
                "note: standard output took no output for \(grace) after the run was asked to stop; the rest of it is dropped so that the run can stop\n")
        }
    }

    /// Whether `descriptor` takes output by `deadline` (`poll(2)`).
    private static func becomesWritable(_ descriptor: Int32, until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            var entry = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&entry, 1, 50)
            if ready > 0 || (ready < 0 && errno != EINTR) { return true }
            if ContinuousClock.now >= deadline { return false }
        }
    }

    /// Whether the output has been given up: its writer may be stuck in a write, holding the C
    /// library's lock on `stdout`, which `exit` would wait for while flushing.
    static var isAbandoned: Bool {
        channel.condition.lock()
        defer { channel.condition.unlock() }
        return channel.abandoned
    }

    /// Why a write failed (`No space left on device`), or `nil` if none did.
    static var failureReason: String? {
        channel.condition.lock()
        defer { channel.condition.unlock() }
        return channel.failure == 0 ? nil : String(cString: strerror(channel.failure))
    }

    /// With the lock held, waits until `condition` holds: for as long as it takes while no signal
    /// has asked the run to stop, and for ``signalGrace`` after one. `false` when the output is
    /// given up (now, or before).
    private static func waitLocked(until condition: () -> Bool) -> Bool {
        var deadline: ContinuousClock.Instant?
        while !channel.abandoned && !condition() {
            if SignalWatcher.hasCaughtSignal {
                let now = ContinuousClock.now
                if deadline == nil { deadline = now + channel.signalGrace }
                if now >= deadline! {
                    channel.abandoned = true
                    channel.noteOwed = true
                    (channel.pending, channel.pendingBytes) = ([], 0)
                    break
                }
            }
            _ = channel.condition.wait(until: Date(timeIntervalSinceNow: 0.05))
        }
        return !channel.abandoned
    }

    /// The writer thread: writes what is handed over, in order, flushing each piece.
    private static func writeHandedOverText() {
        let channel = self.channel
        while true {
            channel.condition.lock()
            while channel.pending.isEmpty { channel.condition.wait() }
            let texts = channel.pending
            channel.pending = []
            channel.writing = true
            channel.condition.unlock()

            var failure: Int32 = 0
            for text in texts where failure == 0 { failure = writeWhole(text, to: STDOUT_FILENO) }

            channel.condition.lock()
            channel.writing = false
            channel.pendingBytes -= texts.reduce(0) { $0 + $1.utf8.count }
            if channel.abandoned { channel.pendingBytes = 0 }
            if channel.failure == 0 { channel.failure = failure }
            channel.condition.broadcast()
            channel.condition.unlock()
        }
    }
}

/// Writes all of `text` to `descriptor` with `write(2)` (no C library buffer: the writer thread
/// is the only one writing standard output while it runs); `errno` of a failed write, or 0.
private func writeWhole(_ text: String, to descriptor: Int32) -> Int32 {
    var text = text
    return text.withUTF8 { Storage.writeWhole(UnsafeRawBufferPointer($0), to: descriptor) }
}