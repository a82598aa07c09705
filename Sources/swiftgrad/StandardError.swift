import ArgumentParser
import Storage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body`; an error is printed as one line on standard error and the command exits with
/// status 1, without a stack trace.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        printErrorLine(error)
        if workingDirectoryIsGone { printError(workingDirectoryNote) }
        throw ExitCode.failure
    }
}

/// Whether the working directory has been removed since the shell entered it: every relative
/// path then names nothing, and the errors of the files it names ("No such file or directory")
/// would not say why.
var workingDirectoryIsGone: Bool {
    guard let path = getcwd(nil, 0) else { return errno == ENOENT }
    free(path)
    return false
}

/// The line that follows an error when ``workingDirectoryIsGone``.
let workingDirectoryNote = "note: the working directory no longer exists, so no relative path can be read or written; cd to a directory that exists and run again"

/// Prints `error: ` and `message` on standard error as one line: a path or value from the
/// command line or a file may hold a newline, an escape sequence or a Unicode line separator,
/// which are shown escaped wherever in the message they are.
func printErrorLine(_ message: String) {
    printShown("error: \(message)")
}

/// ``printErrorLine(_:)`` of an error's description.
func printErrorLine(_ error: any Error) {
    printErrorLine("\(error)")
}

/// Prints `line` on standard error with its control characters and line separators escaped:
/// a warning or note that quotes a path or a file's text stays one line.
func printShown(_ line: String) {
    printError(quoted(line, limit: .max))
}

/// Prints a line a task logs where it belongs: a warning or note on standard error, escaped as
/// ``printShown(_:)`` does, as the warnings of a config are; anything else (progress, results)
/// on standard output. Standard output's earlier lines are written first, so that a log of
/// both (`> log 2>&1`) keeps their order.
func printRunLine(_ line: String) {
    if line.hasPrefix("note: ") || line.hasPrefix("warning: ") {
        printShown(line)
    } else {
        printLine(line)
    }
}

/// Prints a line on standard error, in one write.
func printError(_ message: String) {
    // What standard output was handed first is written first, where both reach one terminal.
    StandardOutput.drain()
    StandardOutput.writeToStandardError(message + "\n")
}
