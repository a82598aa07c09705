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

    /// Runs `script` with the interpreter and `arguments`; returns its exit status, standard
    /// output and standard error.
    public static func run(_ script: String, arguments: [String] = []) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter ?? "/usr/bin/python3")
        process.arguments = ["-c", script] + arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
    }
}
