import Foundation
import Storage
import Testing
import Training
import _TestSupport
@testable import Tasks

/// `swiftgrad plot`'s figure: every run named on the canvas and off the curves, and a metric no
/// run records refused rather than drawn as an empty panel.
@Suite struct MetricsPlotTests {
    /// Writes a run folder `name` in `directory` whose `metrics.jsonl` holds two steps and two
    /// evaluations an epoch for `epochs` epochs but those in `unrecorded` (as a run trained with
    /// `--no-metrics` leaves them), with `figures` (JSON members) in each evaluation; returns
    /// its path.
    @discardableResult
    private func runFolder(
        _ name: String, in directory: TemporaryDirectory, epochs: Int = 5, unrecorded: ClosedRange<Int>? = nil,
        figures: (Int) -> String = { #""train_loss": \#(1.0 / Double($0)), "train_accuracy": 0.5, "test_loss": 1, "test_accuracy": 0.5"# }
    ) throws -> String {
        try FileManager.default.createDirectory(atPath: directory.path + "/" + name, withIntermediateDirectories: true)
        var lines: [String] = []
        for epoch in 1...epochs where unrecorded?.contains(epoch) != true {
            for step in 1...2 {
                lines.append(#"{"type": "step", "step": \#(2 * epoch + step), "epoch": \#(epoch), "wall_time": 1, "loss": 0.5, "learning_rate": 0.1, "samples_per_second": 1}"#)
            }
            lines.append(#"{"type": "evaluation", "step": \#(2 * epoch + 2), "epoch": \#(epoch), "wall_time": 1, \#(figures(epoch))}"#)
        }
        try directory.write(name + "/metrics.jsonl", lines.joined(separator: "\n") + "\n")
        return directory.path + "/" + name
    }

    @Test(arguments: [1, 7, 30])
    func everyRunIsNamedOnTheCanvasAndOffTheCurves(runs: Int) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let folders = try (1...runs).map { try runFolder("r\($0)", in: directory) }
        try MetricsPlot.plot(runFolders: folders, metric: nil, to: directory.path + "/plot.svg")
        let geometry = try #require(SVGGeometry(try directory.read("plot.svg")), "not well-formed XML")
        #expect(geometry.plotAreas.count == 2)
        for item in geometry.legendItems {
            #expect(item.box.isInside(width: geometry.width, height: geometry.height), "\(item.box) \(item.text ?? "")")
            for area in geometry.plotAreas {
                #expect(!item.box.intersects(area), "\(item.box) \(item.text ?? "") covers the plot area \(area)")
            }
        }
        // Each panel names each run's curves, unnamed for a single run: the loss panel three,
        // the accuracy panel two (the steps record no accuracy).
        func named(_ curves: [String]) -> [String] {
            runs == 1 ? curves : (1...runs).flatMap { run in curves.map { "r\(run) \($0)" } }
        }
        #expect(geometry.legendItems.compactMap(\.text) == named(["train steps", "train", "test"]) + named(["train", "test"]))
    }

    /// Epochs trained with `--no-metrics` have no records; their curves are broken there, not
    /// drawn as a straight line from the last epoch before to the first after.
    @Test func curvesAreBrokenWhereStepsHaveNoRecords() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let whole = try runFolder("whole", in: directory, epochs: 6)
        let gapped = try runFolder("gapped", in: directory, epochs: 6, unrecorded: 3...4)
        func polylines(_ folder: String) throws -> Int {
            try MetricsPlot.plot(runFolders: [folder], metric: nil, to: directory.path + "/plot.svg")
            return try directory.read("plot.svg").components(separatedBy: "<polyline").count - 1
        }
        // The loss panel's train steps, train and test curves, and the accuracy panel's train
        // and test: one line each, two across a gap.
        #expect(try polylines(whole) == 5)
        #expect(try polylines(gapped) == 10)

        let curves = MetricsPlot.Curves(name: "gapped", records: try RunMetrics.records(inRunFolder: gapped))
        let loss = curves.points(of: .trainLoss)
        #expect(loss.map(\.0).filter(\.isFinite) == [1, 2, 5, 6])
        #expect(loss[2].0.isNaN && loss[2].1.isNaN)
        let steps = curves.stepMeanPoints(accuracy: false)
        #expect(steps.count == 5 && steps[2].0.isNaN && steps.map(\.0).filter(\.isFinite) == [1, 2, 5, 6])
        // The gap before the first record (this file's steps start at 3) breaks nothing.
        let unbroken = MetricsPlot.Curves(name: "whole", records: try RunMetrics.records(inRunFolder: whole))
        #expect(unbroken.points(of: .testLoss).allSatisfy { $0.0.isFinite } && unbroken.points(of: .testLoss).count == 6)
    }

    /// A step as large as a record may give (Int.max) is drawn like any other, and still marks
    /// the gap before it.
    @Test func theLargestStepIsDrawnAndBreaksTheCurveBeforeIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.path + "/huge", withIntermediateDirectories: true)
        let lines = [2, Int.max, Int.max].enumerated().map { index, step in
            #"{"type": "evaluation", "step": \#(step), "epoch": \#(index + 1), "wall_time": 1, "train_loss": 1, "test_loss": 1}"#
        }
        try directory.write("huge/metrics.jsonl", lines.joined(separator: "\n") + "\n")
        let curves = MetricsPlot.Curves(name: "huge", records: try RunMetrics.records(inRunFolder: directory.path + "/huge"))
        let loss = curves.points(of: .trainLoss)
        #expect(loss.map(\.0).filter(\.isFinite) == [1, 2, 3] && loss.count == 4 && loss[1].0.isNaN, "\(loss)")
        try MetricsPlot.plot(runFolders: [directory.path + "/huge"], metric: nil, to: directory.path + "/plot.svg")
        #expect(SVGGeometry(try directory.read("plot.svg")) != nil)
        #expect(RunMetrics.gaps(in: [1, Int.max], upTo: Int.max) == [2...(Int.max - 1)])
        #expect(RunMetrics.gaps(in: [Int.max - 1], upTo: Int.max) == [1...(Int.max - 2), Int.max...Int.max])
    }

    @Test func aMetricNoRunRecordsIsAnErrorNamingWhatTheyRecord() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let regression = try runFolder("regression", in: directory) { #""train_loss": \#(1.0 / Double($0)), "test_loss": 2"# }
        let noTest = try runFolder("no-test", in: directory) { #""train_loss": \#(1.0 / Double($0)), "train_accuracy": 0.5"# }
        let output = directory.path + "/plot.svg"
        #expect(throws: FileError("'\(regression)' records no test_accuracy; it records train_loss, test_loss; choose one of those for --metric")) {
            try MetricsPlot.plot(runFolders: [regression], metric: .testAccuracy, to: output)
        }
        #expect(throws: FileError("'\(noTest)' records no test_loss; it records train_loss, train_accuracy; choose one of those for --metric")) {
            try MetricsPlot.plot(runFolders: [noTest], metric: .testLoss, to: output)
        }
        #expect(throws: FileError(
            "none of the runs records test_accuracy: '\(regression)' records train_loss, test_loss; '\(noTest)' records train_loss, train_accuracy; choose one of those for --metric"
        )) {
            try MetricsPlot.plot(runFolders: [regression, noTest], metric: .testAccuracy, to: output)
        }
        #expect(!directory.exists("plot.svg"))
    }

    @Test func runsWithoutTheMetricAreLeftOutOfAFigureOfTheOthers() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let classes = try runFolder("classes", in: directory)
        let regression = try runFolder("regression", in: directory) { #""train_loss": \#(1.0 / Double($0)), "test_loss": 2"# }
        let drawn = try MetricsPlot.plot(runFolders: [classes, regression], metric: .testAccuracy, to: directory.path + "/plot.svg")
        #expect(drawn == MetricsPlot.Drawn(evaluations: [5, 0], withoutMetric: [regression]))
        let texts = try #require(SVGGeometry(try directory.read("plot.svg"))).legendItems.compactMap(\.text)
        #expect(texts == ["classes"])
    }

    /// A curve of more points than a panel has pixels is drawn thinned: its extremes, its ends
    /// and its breaks are kept, and a long run's figure stays small whatever its length.
    @Test func aLongCurveIsThinnedKeepingItsExtremesEndsAndBreaks() throws {
        var points = (1...50_000).map { (Double($0), 1.0 + Double($0 % 7) / 100) }
        points[30_000].1 = 100
        points[7].1 = 0.01
        points.insert((.nan, .nan), at: 20_000)
        let thinned = MetricsPlot.thinned(points)
        #expect(thinned.count <= MetricsPlot.drawnPointLimit + 6 && thinned.count > MetricsPlot.drawnPointLimit / 2)
        let finite = thinned.filter { $0.1.isFinite }
        #expect(finite.contains { $0 == (30_001, 100) } && finite.contains { $0 == (8, 0.01) })
        #expect(thinned.first! == points.first! && thinned.last! == points.last!)
        #expect(thinned.count { $0.0.isNaN } == 1)
        // The points either side of the break stay the ends of their segments.
        let broken = try #require(thinned.firstIndex { $0.0.isNaN })
        #expect(thinned[broken - 1] == points[19_999] && thinned[broken + 1] == points[20_001])
        #expect(zip(finite, finite.dropFirst()).allSatisfy { $0.0 < $1.0 })
        #expect(MetricsPlot.thinned(Array(points.prefix(100))).count == 100)

        var curves = MetricsPlot.Curves(name: "long")
        for epoch in 1...50_000 {
            curves.add(.evaluation(step: epoch, wallTime: 0, Trainer.Evaluation(epoch: epoch, trainLoss: 1, trainAccuracy: nil, testLoss: nil, testAccuracy: nil)))
        }
        let svg = MetricsPlot.figure(runs: [curves]).rendered()
        let coordinates = svg.components(separatedBy: "<polyline points=\"").dropFirst().map { $0.prefix { $0 != "\"" }.split(separator: " ").count }
        #expect(coordinates.reduce(0, +) <= MetricsPlot.drawnPointLimit + 2, "\(coordinates)")
    }
}
