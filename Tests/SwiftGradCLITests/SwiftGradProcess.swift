import Foundation
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
private func productsDirectory() throws -> URL {
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
///   - directory: the working directory; the test process's own when `nil`.
func swiftgrad(_ arguments: String..., in directory: String? = nil) throws -> Run {
    let process = Process()
    process.executableURL = try productsDirectory().appendingPathComponent("swiftgrad")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(
        status: process.terminationStatus,
        standardOutput: String(decoding: outputData, as: UTF8.self),
        standardError: String(decoding: errorData, as: UTF8.self))
}
