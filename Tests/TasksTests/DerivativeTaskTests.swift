import Foundation
import _TestSupport
import Testing
import SwiftGrad
import Tasks

/// `Configs/seed-derivative.json`: d/dx (3x³ + x²) at x = 10, the lecture's first figure.
@Suite struct DerivativeTaskTests {
    @Test func theShippedConfigGivesTheLectureDerivatives() throws {
        let figures = try SeedFigures.load()
        let (report, log) = try runShippedConfig("seed-derivative.json")
        let written = try writtenReport(report)
        let gradient = try #require(written.object["gradient"] as? [String: Double])
        let second = try #require(written.object["second_derivative"] as? [String: Double])
        // 9x² + 2x = 920 and 18x + 2 = 182 are exact in Float.
        #expect(gradient["x"] == figures.grad_920)
        #expect(gradient["x"] == 920)
        #expect(second["x"] == 182)
        #expect(written.object["value"] as? Double == 3100)
        #expect(log.contains("d/dx = 920"))
        #expect(log.contains("d2/dx2 = 182"))
    }

    /// The expression shown before the result is one line: a newline or an escape sequence
    /// in the config's string is shown escaped, and a long expression is cut, with its length.
    @Test func theExpressionIsShownOnOneLineEscapedAndCut() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let long = Array(repeating: "x", count: 150).joined(separator: " + ")
        for (expression, shown) in [
            ("3*x^3\\n+ x^2", "f = 3*x^3\\n+ x^2 at x = 10"),
            ("x\\t*\\r2", "f = x\\t*\\r2 at x = 10"),
            (long, "f = " + long.prefix(200) + "… (\(long.count) characters) at x = 10"),
        ] {
            let path = directory.path + "/derivative.json"
            try #"{"task": "derivative", "expression": "\#(expression)", "at": {"x": 10}}"#.write(toFile: path, atomically: true, encoding: .utf8)
            let options = RunOptions(verbosity: .normal)
            var lines: [String] = []
            _ = try TaskLoader.load(path: path, options: options).run(options: options) { lines.append($0) }
            #expect(lines.first == shown)
            #expect(lines.allSatisfy { !$0.contains("\n") && !$0.contains("\r") && !$0.contains("\t") }, "\(lines)")
        }
    }

    @Test func itsReportHasTheCommonKeysThenValueAndDerivatives() throws {
        let (report, _) = try runShippedConfig("seed-derivative.json")
        let written = try writtenReport(report)
        expectReportKeys(written, extra: ["value", "gradient", "second_derivative"])
        #expect(written.object["task"] as? String == "derivative")
        #expect(written.object["steps"] as? Int == 0)
        #expect(written.object["final_loss"] is NSNull)
        #expect((written.object["parameters"] as? [String: [Double]])?["x"] == [10])
    }
}
