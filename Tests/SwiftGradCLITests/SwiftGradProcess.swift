import Foundation
import _TestSupport
import Testing

/// What one run of the built `swiftgrad` executable printed and how it exited.
struct Run {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// The repository root, two levels above `Tests/SwiftGradCLITests/SwiftGradProcess.swift`.
let repositoryRoot: String = {
    var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    components.removeLast(3)
    return components.joined(separator: "/")
}()

/// The directory holding the built products: the test bundle lies next to the executable.
func productsDirectory() throws -> URL {
    var candidates = Bundle.allBundles.map(\.bundleURL).filter { $0.pathExtension == "xctest" }.map { $0.deletingLastPathComponent() }
    candidates.append(Bundle.main.bundleURL)
    candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
    let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("swiftgrad").path) }
    return try #require(found, "no swiftgrad executable in \(candidates.map(\.path))")
}

/// Runs `swiftgrad` with `arguments` and collects its output.
///
/// - Parameters:
///   - arguments: the command line after `swiftgrad`.
///   - directory: the working directory; when `nil`, a temporary directory of its own, removed
///     afterwards, so that a training run's folder (`runs/…`) never lands in the repository and
///     tests running at once never share one.
func swiftgrad(_ arguments: String..., in directory: String? = nil) throws -> Run {
    try swiftgrad(arguments, in: directory)
}

/// ``swiftgrad(_:in:)`` with the arguments in an array.
func swiftgrad(_ arguments: [String], in directory: String? = nil) throws -> Run {
    let scratch = directory == nil ? try TemporaryDirectory() : nil
    defer { scratch?.remove() }
    let result = try runProcess(
        try productsDirectory().appendingPathComponent("swiftgrad").path, arguments, in: directory ?? scratch!.path)
    return Run(status: result.status, standardOutput: result.output, standardError: result.error)
}

/// Runs `script` in bash with `$0` the built `swiftgrad` and `$1`, `$2`, … `arguments`: for a
/// command line a Swift string cannot hold (bytes that are not UTF-8, made by `printf`) or a
/// limit set before the command runs (`ulimit`).
func swiftgradInShell(_ script: String, _ arguments: [String] = [], in directory: String? = nil) throws -> Run {
    let result = try runProcess("/bin/bash", ["-c", script, try swiftgradPath()] + arguments, in: directory)
    return Run(status: result.status, standardOutput: result.output, standardError: result.error)
}

/// Starts `swiftgrad` in `directory` without waiting; its standard output and error go to the
/// files `stdout` and `stderr` there, or standard output to `standardOutput` when given (an
/// existing file, such as `/dev/full`).
func startSwiftgrad(_ arguments: [String], in directory: String, standardOutput: String? = nil) throws -> Process {
    let process = Process()
    process.executableURL = try productsDirectory().appendingPathComponent("swiftgrad")
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    for name in ["stdout", "stderr"] {
        _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: nil)
    }
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: standardOutput ?? directory + "/stdout"))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/stderr"))
    try process.run()
    return process
}

extension TemporaryDirectory {
    /// 256 synthetic examples of 32 features, an MLP 32-16-4, batches of 64.
    func tinyTrainConfig() throws -> String {
        try write("train.json", """
            {
              "task": "train",
              "data": {"source": "synthetic", "examples": 256, "features": 32, "classes": 4},
              "model": {"type": "mlp", "hidden_layers": [16]},
              "training": {"epochs": 2, "batch_size": 64, "micro_shards": 4, "seed": 3}
            }
            """)
    }

    /// Writes `name`: ``tinyTrainConfig()`` for `epochs` epochs (4 steps each), with `training`,
    /// members in JSON such as an `early_stopping` object, added to its `training` section.
    func tinyTrainConfig(_ name: String, epochs: Int, training: String) throws -> String {
        let base = try String(contentsOfFile: try tinyTrainConfig(), encoding: .utf8)
        return try write(name, base.replacingOccurrences(of: #""epochs": 2,"#, with: #""epochs": \#(epochs), \#(training),"#))
    }
}

/// Checks that a run failed cleanly: status 1 and exactly one line on standard error, starting
/// with `error: `, with no crash report or stack trace.
func expectOneLineError(_ run: Run, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(run.status == 1, sourceLocation: sourceLocation)
    #expect(run.standardError.hasPrefix("error: "), "\(run.standardError)", sourceLocation: sourceLocation)
    #expect(run.standardError.hasSuffix("\n") && run.standardError.filter { $0 == "\n" }.count == 1,
            "\(run.standardError)", sourceLocation: sourceLocation)
    #expect(!run.standardError.contains("Fatal error"), sourceLocation: sourceLocation)
    #expect(!run.standardError.contains("Stack dump"), sourceLocation: sourceLocation)
}

/// Runs `arguments` beside a small train config (`train.json`) and checks that the command line
/// was refused as a usage error (status 64) with `message` on standard error.
func expectUsageError(_ arguments: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    _ = try directory.tinyTrainConfig()
    let run = try swiftgrad(arguments, in: directory.path)
    #expect(run.status == 64, sourceLocation: sourceLocation)
    #expect(run.standardError.contains(message), "\(run.standardError)", sourceLocation: sourceLocation)
}

/// The path of the built `swiftgrad` executable.
func swiftgradPath() throws -> String {
    try productsDirectory().appendingPathComponent("swiftgrad").path
}
