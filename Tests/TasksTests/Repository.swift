import ConfigKit
import _TestSupport
import Foundation
import Testing
import SwiftGrad
import Tasks

/// Paths inside the repository, found from this source file's location so the tests run from any
/// working directory.
enum Repository {
    /// The repository root, two levels above `Tests/TasksTests/Repository.swift`.
    static let root: String = {
        var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(3)
        return components.joined(separator: "/")
    }()

    /// A shipped config, e.g. `config("seed-quadratic.json")`.
    static func config(_ name: String) -> String { root + "/Configs/" + name }

    /// A bundled data file, e.g. `dataset("digits.csv")`.
    static func dataset(_ name: String) -> String { root + "/datasets/" + name }
}

/// Loads a shipped config and runs it quietly, collecting what it logs.
///
/// - Parameters:
///   - name: the file under `Configs/`.
///   - plotPath: where to write the figure. Tasks that plot would otherwise write the config's
///     `plot` into the working directory, so tests always pass a temporary path.
/// - Returns: the report and the logged lines.
func runShippedConfig(_ name: String, plotPath: String? = nil) throws -> (report: TaskReport, log: [String]) {
    let options = RunOptions(plotPath: plotPath, verbosity: .quiet)
    let task = try TaskLoader.load(path: Repository.config(name), options: options)
    var lines: [String] = []
    let report = try task.run(options: options) { lines.append($0) }
    return (report, lines)
}

/// The values of the report's parameter `name`, failing the test when it is absent.
func parameter(_ name: String, in report: TaskReport) throws -> [Float] {
    try #require(report.parameters.first { $0.name == name }?.values, "no parameter '\(name)' in \(report.parameters.map(\.name))")
}

/// `|actual − expected| ≤ tolerance · |expected|`.
func isRelativelyClose(_ actual: Double, _ expected: Double, tolerance: Double) -> Bool {
    abs(actual - expected) <= tolerance * abs(expected)
}

/// Writes `report` with ``TaskReport/write(to:)`` into a temporary directory and parses it back
/// with `JSONSerialization`, as a reader of `swiftgrad run --report` would.
///
/// - Returns: the top-level object and the file's text (for checking the key order).
func writtenReport(_ report: TaskReport) throws -> (object: [String: Any], text: String) {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.path + "/report.json"
    try report.write(to: path)
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "the report is not a JSON object")
    return (object, String(decoding: data, as: UTF8.self))
}

/// Checks that a written report has exactly the common keys plus `extra`, in the order
/// `task, steps, final_loss, parameters, <extra…>, wall_seconds`.
func expectReportKeys(_ written: (object: [String: Any], text: String), extra: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    let expected = ["task", "steps", "final_loss", "parameters"] + extra + ["wall_seconds"]
    #expect(Set(written.object.keys) == Set(expected), sourceLocation: sourceLocation)
    let offsets = expected.compactMap { written.text.range(of: "\"\($0)\":")?.lowerBound }
    #expect(offsets.count == expected.count && offsets == offsets.sorted(), "keys out of order in \(written.text)", sourceLocation: sourceLocation)
    if let seconds = written.object["wall_seconds"] as? Double {
        #expect(seconds >= 0, sourceLocation: sourceLocation)
    } else {
        Issue.record("wall_seconds is not a number", sourceLocation: sourceLocation)
    }
}

/// Loads a config made of `lines` (written as `name` in a fresh directory beside `files`) and
/// returns the `ConfigError` it must throw: its message, the config's path and the directory.
func loadConfigError(
    _ lines: [String], name: String, files: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation
) throws -> (message: String, path: String, directory: String) {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    for (file, text) in files { try directory.write(file, text) }
    let path = try directory.write(name, lines.joined(separator: "\n") + "\n")
    let error = try #require(throws: ConfigError.self, sourceLocation: sourceLocation) {
        _ = try TaskLoader.load(path: path, options: RunOptions(verbosity: .quiet))
    }
    return ("\(error)", path, directory.path)
}

/// The `parameter_digest` of a written train report.
func parameterDigest(_ report: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    try #require(report["parameter_digest"] as? String, sourceLocation: sourceLocation)
}
