#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether standard output is a terminal, where a training run redraws its progress line.
var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

/// The terminal's width in columns; 80 when it cannot be asked.
func terminalColumns() -> Int {
    var size = winsize()
    guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
    return Int(size.ws_col)
}

/// Writes `text` to standard output as is (no newline added) and flushes it, through the same
/// buffer as `print`, so the two never overtake each other.
@Sendable func writeToStandardOutput(_ text: String) {
    print(text, terminator: "")
    fflush(nil)  // every output stream: `stdout` itself is not concurrency-safe to name in Swift 6
}

/// Prints a line and flushes it: progress written to a file or a pipe shows at once, not when
/// the buffer fills.
func printLine(_ line: String) {
    print(line)
    fflush(nil)
}
