import Foundation
import _TestSupport
import Testing
import SwiftGrad
import Tasks

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `Configs/seed-linear-regression.json` (SGD 0.001) and `-adam.json` (Adam's defaults), each
/// 10 000 steps on `datasets/seed_linear_data.csv`.
///
/// Each config runs once for the whole suite: the results are shared through ``Runs``.
@Suite struct LinearRegressionTaskTests {
    /// One run of each shipped config, its figure written to a temporary directory and read back.
    private struct Runs {
        let sgd: TaskReport
        let adam: TaskReport
        let sgdPlot: String

        static let shared = Result { () throws -> Runs in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let plot = directory.path + "/sgd.svg"
            let sgd = try runShippedConfig("seed-linear-regression.json", plotPath: plot).report
            let adam = try runShippedConfig("seed-linear-regression-adam.json", plotPath: directory.path + "/adam.svg").report
            return Runs(sgd: sgd, adam: adam, sgdPlot: try String(contentsOfFile: plot, encoding: .utf8))
        }
    }

    /// The implementation agrees with TensorFlow to about 1e-7 relative; 1e-5 leaves room for
    /// a different summation order while still catching any change to the update rule.
    private static let tolerance = 1e-5

    private func expectMatches(_ report: TaskReport, _ reference: [Double], sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(reference.count == 4)
        let w = try parameter("w", in: report)
        let c = try parameter("c", in: report)
        let loss = try #require(report.finalLoss)
        try #require(w.count == 1 && c.count == 1)
        for (name, actual, expected) in [("w", Double(w[0]), reference[0]), ("c", Double(c[0]), reference[1]), ("loss", Double(loss), reference[2])] {
            #expect(isRelativelyClose(actual, expected, tolerance: Self.tolerance),
                    "\(name) = \(actual), TensorFlow \(expected)", sourceLocation: sourceLocation)
        }
        #expect(report.steps == 10_000, sourceLocation: sourceLocation)
    }

    @Test func sgdMatchesTensorFlow() throws {
        try expectMatches(try Runs.shared.get().sgd, try SeedFigures.load().linreg_sgd_w_c_loss_s_per_step)
    }

    @Test func adamMatchesTensorFlow() throws {
        try expectMatches(try Runs.shared.get().adam, try SeedFigures.load().linreg_adam_w_c_loss_s_per_step)
    }

    @Test func aFileWithoutAHeaderIsReadByColumnIndex() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // y = 2x + 1 with the columns swapped: feature 1, label 0; the first row is data.
        try directory.write("d.csv", (0..<10).map { "\(2 * $0 + 1),\($0)" }.joined(separator: "\n") + "\n")
        let config = #"{"task": "linear-regression", "data": {"path": "d.csv", "header": false, "feature": 1, "label": 0}, "optimizer": {"name": "adam", "learning_rate": 0.1}, "steps": 3}"#
        let task = try TaskLoader.load(path: try directory.write("l.json", config))
        #expect(task.resolvedDescription["train_rows"]?.intValue == 10)
        #expect(task.warnings.isEmpty)
        // With the default header, the first row is taken for one, with a warning.
        let headed = try TaskLoader.load(path: try directory.write("h.json", config.replacingOccurrences(of: #""header": false, "#, with: "")))
        #expect(headed.resolvedDescription["train_rows"]?.intValue == 9)
        #expect(headed.warnings.count == 1 && headed.warnings[0].hasPrefix("warning: the first row of "), "\(headed.warnings)")
        #expect(try headed.run(options: RunOptions(verbosity: .quiet)) { _ in }.exitStatus == 0)
    }

    @Test func aLabelThatIsTheFeatureIsNamedAtItsKey() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("d.csv", "x,y\n1,2\n2,4\n")
        let path = try directory.write("l.json", #"{"task": "linear-regression", "data": {"path": "d.csv", "feature": "x", "label": "x"}, "optimizer": {"name": "sgd"}, "steps": 3}"#)
        let error = try #require(throws: (any Error).self) { try TaskLoader.load(path: path) }
        #expect("\(error)".hasPrefix("\(path):1:82: key path 'data.label': the label and the feature are the same column of '"), "\(error)")
        #expect("\(error)".hasSuffix("d.csv'; expected two different columns"), "\(error)")
    }

    @Test func itsReportHasExactlyTheCommonKeys() throws {
        let written = try writtenReport(try Runs.shared.get().sgd)
        expectReportKeys(written, extra: ["train_loss", "test_loss", "train_examples", "test_examples"])
        #expect(written.object["task"] as? String == "linear-regression")
        #expect(written.object["steps"] as? Int == 10_000)
        let parameters = try #require(written.object["parameters"] as? [String: [Double]])
        #expect(parameters.keys.sorted() == ["c", "w"])
    }

    @Test func thePlotShowsTheHundredPointsAndTheFittedLine() throws {
        let svg = try Runs.shared.get().sgdPlot
        let inspector = SeriesCounter()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = inspector
        #expect(parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))")
        #expect(inspector.seriesCounts["circle"] == 100)
        #expect(inspector.seriesCounts["polyline"] == 1)
        #expect(svg.contains("data"))
        #expect(svg.contains("fitted line"))
    }
}

/// Counts the elements inside `<g class="series">`, where SVGPlot draws the data.
private final class SeriesCounter: NSObject, XMLParserDelegate {
    var seriesCounts: [String: Int] = [:]
    private var depth = 0
    private var seriesDepth = 0

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        depth += 1
        if seriesDepth > 0 { seriesCounts[name, default: 0] += 1 }
        if name == "g", attributes["class"] == "series" { seriesDepth = depth }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if depth == seriesDepth { seriesDepth = 0 }
        depth -= 1
    }
}
