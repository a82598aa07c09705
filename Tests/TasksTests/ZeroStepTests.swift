import Foundation
import _TestSupport
@testable import Tasks
import Testing

/// The lecture's tasks with `"steps": 0` take no step and say so: their result line gives the
/// loss at the starting point, not the 0 a loop that never ran leaves, and a logistic
/// regression without a test split says it has no test rows rather than `nan`.
@Suite struct ZeroStepTests {
    private func lines(_ config: String) throws -> [String] {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("task.json", config)
        var lines: [String] = []
        let options = RunOptions(verbosity: .quiet)
        _ = try TaskLoader.load(path: path, options: options).run(options: options) { lines.append($0) }
        return lines
    }

    @Test func aLinearRegressionOfNoStepsGivesItsStartingLoss() throws {
        let lines = try lines("""
            {"task": "linear-regression", "data": {"path": "\(Repository.dataset("seed_linear_data.csv"))", "feature": "x", "label": "y"},
             "optimizer": {"name": "sgd", "learning_rate": 0.001}, "steps": 0}
            """)
        let last = try #require(lines.last)
        #expect(last.hasPrefix("w = 0.0, c = 0.0, no step taken (steps is 0), loss = "), "\(lines)")
        #expect(!last.hasSuffix("loss = 0.0"), "\(last)")
    }

    /// A starting point whose loss is not finite fails as a diverged run does, though no step ran.
    @Test func aLinearRegressionOfNoStepsFromANonFiniteLossFails() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("task.json", """
            {"task": "linear-regression", "data": {"path": "\(Repository.dataset("seed_linear_data.csv"))", "feature": "x", "label": "y"},
             "initial": {"w": 3e38, "c": 3e38}, "optimizer": {"name": "sgd"}, "steps": 0}
            """)
        let options = RunOptions(verbosity: .quiet)
        let report = try TaskLoader.load(path: path, options: options).run(options: options) { _ in }
        #expect(report.exitStatus == 1)
        #expect(report.failure == "the starting point is not finite: with no step taken, the loss is inf", "\(report.failure ?? "")")
    }

    @Test func aLogisticRegressionOfNoStepsAndNoTestSplitSaysBoth() throws {
        let lines = try lines("""
            {"task": "logistic-regression", "data": {"source": "digits", "path": "\(Repository.dataset("digits.csv"))", "classes": [0, 1], "test_fraction": 0},
             "optimizer": {"name": "adam"}, "steps": 0}
            """)
        let last = try #require(lines.last)
        #expect(last.hasPrefix("no step taken (steps is 0), loss 0."), "\(lines)")
        #expect(last.contains(", no test rows (") && !last.contains("nan"), "\(last)")
    }

    @Test func aMinimisationOfNoStepsGivesItsStartingPoint() throws {
        let lines = try lines(#"{"task": "minimize", "expression": "x^2 - 20*x + 100", "start": {"x": 50}, "optimizer": {"name": "sgd"}, "steps": 0}"#)
        #expect(lines == ["no step taken (steps is 0): x = 50.0, value 1600.0"])
    }
}
