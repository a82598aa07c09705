import Foundation

/// The Python interpreter that checks SwiftGrad's files with the real clients (`safetensors`,
/// `tensorboard`, `jsonschema`), found in this order: `SWIFTGRAD_TEST_PYTHON`, the test
/// environment `scripts/test` makes (`.venv-test` at the repository root), `python3` on the
/// path. `nil` when there is no Python at all: only then do those tests skip, saying so.
public enum PythonClient {
    public static let interpreter: String? = {
        let environment = ProcessInfo.processInfo.environment
        if let given = environment["SWIFTGRAD_TEST_PYTHON"], !given.isEmpty { return given }
        var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(3)
        let venv = components.joined(separator: "/") + "/.venv-test/bin/python3"
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/python3"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    /// Whether any Python interpreter was found.
    public static var isAvailable: Bool { interpreter != nil }

    /// Runs `script` with the interpreter and `arguments`.
    public static func run(_ script: String, arguments: [String] = []) throws -> ProcessResult {
        try runProcess(interpreter ?? "/usr/bin/python3", ["-c", script] + arguments)
    }
}

/// How a child process ended and what it printed.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var output: String
    public var error: String
}

/// Runs `executable` with `arguments` (in `directory`, when given), collects its standard output
/// and error, and waits for it.
public func runProcess(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
        error: String(decoding: errorData, as: UTF8.self))
}
