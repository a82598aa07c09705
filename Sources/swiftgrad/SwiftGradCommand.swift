import ArgumentParser
import Storage

// `@preconcurrency`: C's `stdout` is a global variable, which Swift 6 otherwise refuses to
// touch; it is only used on the thread that runs the command, before and after it runs.
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// The `swiftgrad` command line: a thin layer that parses arguments and calls the library.
@main
struct SwiftGradCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftgrad",
        abstract: "Train models with GradientTape-style automatic differentiation.",
        subcommands: [RunCommand.self, ValidateCommand.self, EvalCommand.self, PredictCommand.self, PlotCommand.self, GradCommand.self, BenchCommand.self]
    )

    /// ArgumentParser's `main`, with four additions around it.
    ///
    /// Standard output is line-buffered whatever it is: written to a file or a pipe it would
    /// otherwise be flushed in blocks of 4 KiB, and a run killed mid-way would leave its log
    /// empty. A reader that goes away (`swiftgrad run … | head`) does not kill the process: with
    /// SIGPIPE ignored the write fails instead, and a training run goes on to its checkpoints
    /// and model rather than dying between two of them; with SIGXFSZ ignored, a file that
    /// reaches `ulimit -f` is a write error too. And once the command has finished, a
    /// failed write to standard output (a closed pipe, a full disk, `> /dev/full`) is an error
    /// with status 1 instead of going unnoticed. Under an address-space limit, malloc keeps to
    /// one arena (``keepMallocToOneArenaUnderAnAddressSpaceLimit()``), and the command runs on a
    /// stack of at least ``minimumStackBytes`` (``onAStackOfAtLeast(_:_:)``).
    static func main() {
        keepMallocToOneArenaUnderAnAddressSpaceLimit()
        holdClosedStandardDescriptors()
        onAStackOfAtLeast(minimumStackBytes, runCommand)
    }

    /// The stack the command runs on at the least: 8 MiB, Linux's usual `ulimit -s`. An
    /// expression nested ``Expressions/Expression/maximumDepth`` levels deep takes a few hundred KiB
    /// of it to differentiate twice.
    static let minimumStackBytes = 8 << 20

    /// Parses the arguments, runs the command and exits.
    private static func runCommand() -> Never {
        setvbuf(stdout, nil, _IOLBF, 0)
        signal(SIGPIPE, SIG_IGN)
        // Past the file-size limit (`ulimit -f`) a write then fails with EFBIG, an error naming
        // the file, instead of the signal ending the process between two records.
        signal(SIGXFSZ, SIG_IGN)
        // ArgumentParser wraps help at COLUMNS as given: 0 or less would drop every description.
        if let columns = getenv("COLUMNS").flatMap({ Int(String(cString: $0)) }), columns <= 0 { unsetenv("COLUMNS") }
        if let refusal = argumentNotInUTF8() {
            printErrorLine(refusal)
            exit(withError: ExitCode(64))
        }
        let arguments = GradCommand.placingDashedExpressionLast(Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            exitShowingArguments(error)
        }
        exitReportingStandardOutput()
    }

    /// The refusal of the first argument whose bytes are not UTF-8, or nil. Swift reads the
    /// command line as text, replacing each byte that is not UTF-8 with U+FFFD: a path given
    /// so (`rep$'\xff'.json`) would name another file than the one meant, and an output would be
    /// written there. The argument is shown with every byte outside printable ASCII as `\xHH`,
    /// its first 80 bytes when it is longer.
    private static func argumentNotInUTF8() -> String? {
        for index in stride(from: 1, to: Int(CommandLine.argc), by: 1) {
            guard let argument = CommandLine.unsafeArgv[index] else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(argument).assumingMemoryBound(to: UInt8.self), count: strlen(argument))
            if String(validating: bytes, as: UTF8.self) != nil { continue }
            let shown = bytes.prefix(80).map { byte in
                byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\")
                    ? String(UnicodeScalar(byte)) : "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }.joined() + (bytes.count > 80 ? "… (\(bytes.count) bytes)" : "")
            return "argument \(index) ('\(shown)') is not UTF-8 text; swiftgrad reads paths and values as UTF-8, and would otherwise take another path than the one given"
        }
        return nil
    }

    /// Runs `body` on this thread when its stack may grow to `bytes` (`ulimit -s` is at least
    /// that, or unlimited), and otherwise on a thread of its own with a stack of `bytes`, while
    /// this one waits: under `ulimit -s 256` the main thread's stack is 256 KiB, and a deeply
    /// nested expression would overflow it (a crash) where the rest of the machine would have
    /// given it room. A thread's stack size, set when it is made, is not bound by `ulimit -s`.
    /// If that thread cannot be made (its stack does not fit the address-space limit), `body`
    /// runs here.
    private static func onAStackOfAtLeast(_ bytes: Int, _ body: @escaping () -> Never) -> Never {
        #if canImport(Glibc)
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_STACK.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max, limit.rlim_cur < rlim_t(bytes) {
            final class Body { let run: () -> Never; init(_ run: @escaping () -> Never) { self.run = run } }
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            defer { pthread_attr_destroy(&attributes) }
            if pthread_attr_setstacksize(&attributes, bytes) == 0 {
                // The threads made later (Dispatch's, the trainer's workers) take glibc's default
                // size, which is `ulimit -s` too; it is raised to `bytes` as well. The function is
                // a GNU extension that Swift's Glibc module does not declare.
                if let symbol = dlsym(nil, "pthread_setattr_default_np") {
                    typealias SetDefault = @convention(c) (UnsafePointer<pthread_attr_t>) -> Int32
                    _ = unsafeBitCast(symbol, to: SetDefault.self)(&attributes)
                }
                var thread = pthread_t()
                let context = Unmanaged.passRetained(Body(body)).toOpaque()
                if pthread_create(&thread, &attributes, { Unmanaged<Body>.fromOpaque($0!).takeRetainedValue().run() }, context) == 0 {
                    // The command ends the process when it finishes; this thread only waits.
                    while true { pause() }
                }
                Unmanaged<Body>.fromOpaque(context).release()
            }
        }
        #endif
        body()
    }

    /// ArgumentParser's `exit(withError:)`, with the part of a usage error that quotes the command
    /// line (`The value '3⏎x' is invalid`) shown escaped: a newline, an escape sequence or a line
    /// separator in an argument stays in one line. Help and the usage text are printed as they are.
    private static func exitShowingArguments(_ error: any Error) -> Never {
        let code = exitCode(for: error)
        exitAtOnceIfOutputWasAbandoned(code)
        let short = message(for: error), full = fullMessage(for: error)
        // Help asked for goes to standard output, whose failure (`--help > /dev/full`) is an error.
        if code == .success, !full.isEmpty {
            printLine(full)
            exitReportingStandardOutput()
        }
        guard code != .success, !short.isEmpty, let range = full.range(of: short) else { exit(withError: error) }
        printError(full.replacingCharacters(in: range, with: quoted(short, limit: .max)))
        exit(withError: code)
    }

    /// Keeps glibc's malloc to its main arena when the process has an address-space limit
    /// (`ulimit -v`, `RLIMIT_AS`).
    ///
    /// glibc gives each thread that allocates an arena of its own, and each reserves 64 MiB of
    /// address space that it seldom uses: a training run's threads take hundreds of MiB of the
    /// limit that no estimate sees, and an allocation fails (a crash) where the memory budget
    /// (`MemoryBudget`, which subtracts the address space already mapped) said the run fits.
    /// With one arena the address space grows with what is allocated. The threads then share the
    /// arena's lock (each keeps a cache of small blocks); without a limit nothing changes.
    /// `mallopt` is declared in `malloc.h`, which Swift's Glibc module does not import, so it is
    /// looked up by name.
    private static func keepMallocToOneArenaUnderAnAddressSpaceLimit() {
        #if canImport(Glibc)
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max,
              let symbol = dlsym(nil, "mallopt")
        else { return }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let arenaMax: Int32 = -8  // M_ARENA_MAX
        _ = unsafeBitCast(symbol, to: Mallopt.self)(arenaMax, 1)
        #endif
    }

    /// Puts `/dev/null`, opened read-only, where standard input, output or error is closed
    /// (`swiftgrad run … >&-`). The next file the process opened would otherwise take that
    /// number, and output meant for the terminal would go into it (a checkpoint, or an eventfd of
    /// the runtime's); this way a write there fails (`Bad file descriptor`) and is reported.
    private static func holdClosedStandardDescriptors() {
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
            // open gives the lowest free number, which is this one.
            let opened = open("/dev/null", O_RDONLY)
            if opened >= 0 && opened != descriptor { close(opened) }
        }
    }

    /// Exits with status 0, or 1 with a message when writing standard output failed.
    private static func exitReportingStandardOutput() -> Never {
        exitAtOnceIfOutputWasAbandoned(.success)
        if let failure = standardOutputFailure() {
            printError("error: writing to standard output failed (\(failure)); the output is incomplete")
            exit(withError: ExitCode.failure)
        }
        exit(withError: ExitCode.success)
    }

    /// Writes what standard output was handed; if it had to be given up (a signal came while
    /// nothing read it), exits with `code` at once, without `exit`'s flush of `stdout`, which
    /// would wait for the stuck write to finish.
    private static func exitAtOnceIfOutputWasAbandoned(_ code: ExitCode) {
        StandardOutput.drain()
        if StandardOutput.isAbandoned { _exit(code.rawValue) }
    }

    /// Why writing to standard output failed, after flushing it, or `nil` if it did not.
    private static func standardOutputFailure() -> String? {
        // A training run's output, written by its own thread (`StandardOutput`), then `print`'s.
        if let reason = StandardOutput.failureReason { return reason }
        let flushed = fflush(stdout) == 0
        let code = errno
        guard !flushed || ferror(stdout) != 0 else { return nil }
        return flushed ? "an earlier write was refused" : String(cString: strerror(code))
    }
}
