import Foundation
import Testing
import _TestSupport

/// `swiftgrad plot --metric` on runs that do not all record the metric.
@Suite struct PlotCommandTests {
    /// A directory with two run folders of hand-written metrics: `cls`, with accuracies, and
    /// `reg`, a regression run with a test split but no accuracy; two evaluations each.
    private func runs() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        for (name, figures) in [("cls", #""train_loss": 0.5, "train_accuracy": 0.8, "test_loss": 0.6, "test_accuracy": 0.7"#), ("reg", #""train_loss": 0.5, "test_loss": 0.6"#)] {
            try FileManager.default.createDirectory(atPath: directory.path + "/" + name, withIntermediateDirectories: false)
            let lines = (1...2).map { #"{"type": "evaluation", "step": \#($0), "epoch": \#($0), "wall_time": 1, \#(figures)}"# }
            try directory.write(name + "/metrics.jsonl", lines.joined(separator: "\n") + "\n")
        }
        return directory
    }

    @Test func aMetricTheRunDoesNotRecordIsAnErrorThatWritesNothing() throws {
        let directory = try runs()
        defer { directory.remove() }
        let accuracy = try swiftgrad(["plot", "reg", "--metric", "test_accuracy"], in: directory.path)
        expectOneLineError(accuracy)
        #expect(accuracy.standardError == "error: 'reg' records no test_accuracy; it records train_loss, test_loss; choose one of those for --metric\n")
        #expect(accuracy.standardOutput.isEmpty)
        #expect(!directory.exists("plot.svg"))
    }

    @Test func runsWithoutTheMetricAreNamedInAWarningAndTheOthersDrawn() throws {
        let directory = try runs()
        defer { directory.remove() }
        let both = try swiftgrad(["plot", "cls", "reg", "--metric", "test_accuracy", "--output", "both.svg"], in: directory.path)
        #expect(both.status == 0, "\(both.standardError)")
        #expect(both.standardError == "warning: 'reg' records no test_accuracy and is left out of the figure\n")
        #expect(both.standardOutput == "wrote both.svg: 2 evaluations of 1 run\n")
        #expect(try directory.read("both.svg").contains(">cls</text>"))
    }
}
