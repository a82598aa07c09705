import Foundation
import _TestSupport
import Testing

/// `swiftgrad run CONFIG`: the shipped configs run from the repository root, and every failure
/// is one `error: …` line on standard error with a non-zero status.
@Suite struct RunCommandTests {
    @Test func theDerivativeConfigPrints920() throws {
        let run = try swiftgrad("run", "Configs/seed-derivative.json", in: repositoryRoot)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.isEmpty)
        let lines = run.standardOutput.split(separator: "\n")
        #expect(lines.contains("d/dx = 920"))
        #expect(lines.contains("d2/dx2 = 182"))
    }

    @Test func aBadConfigFailsWithOneErrorLine() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = scratch.path + "/bad.json"
        try #"{"task": "minimize", "expression": "x^2", "start": {"x": 1}, "optimizer": {"name": "sgd"}, "steps": -3}"#
            .write(toFile: config, atomically: false, encoding: .utf8)
        let run = try swiftgrad("run", config)
        expectOneLineError(run)
        #expect(run.standardError == "error: \(config):1:101: key path 'steps': expected an integer in [0, 1000000000000], found -3\n")
        #expect(run.standardOutput.isEmpty)
    }

    @Test func aMissingConfigFailsWithOneErrorLine() throws {
        let run = try swiftgrad("run", "Configs/no-such-config.json", in: repositoryRoot)
        expectOneLineError(run)
        #expect(run.standardError == "error: cannot read config 'Configs/no-such-config.json': No such file or directory\n")
    }

    @Test func aReportIntoAMissingDirectoryFailsBeforeRunningAndWritesNothing() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let report = scratch.path + "/missing/report.json"
        let run = try swiftgrad("run", "Configs/seed-quadratic.json", "--report", report, in: repositoryRoot)
        expectOneLineError(run)
        #expect(run.standardError == "error: cannot write '\(report)' (--report): directory '\(scratch.path)/missing' does not exist\n")
        // The check comes before the work: no progress lines were printed.
        #expect(run.standardOutput.isEmpty)
        #expect(try scratch.contents().isEmpty)
    }

    @Test func aReportPathThatIsADirectoryFails() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let run = try swiftgrad("run", "Configs/seed-derivative.json", "--report", scratch.path, in: repositoryRoot)
        expectOneLineError(run)
        #expect(run.standardError == "error: cannot write '\(scratch.path)' (--report): the path names a directory, not a file\n")
        #expect(try scratch.contents().isEmpty)
    }

    @Test func zeroWorkersIsRejected() throws {
        let run = try swiftgrad("run", "Configs/seed-derivative.json", "--workers", "0", in: repositoryRoot)
        #expect(run.status != 0)
        #expect(run.standardError.contains("--workers must be between 1 and 256, got 0"))
        #expect(!run.standardError.contains("Fatal error"))
        #expect(run.standardOutput.isEmpty)
    }

    @Test func theReportIsWrittenAndParses() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let report = scratch.path + "/report.json"
        let run = try swiftgrad("run", "Configs/seed-quadratic.json", "--report", report, "--quiet", in: repositoryRoot)
        #expect(run.status == 0, "\(run.standardError)")
        // --quiet leaves out the progress lines but the last, the result, and the report's path.
        #expect(run.standardOutput == "step 50: x = 10.00057\n")
        #expect(try scratch.contents() == ["report.json"])  // no temporary left beside it
        let data = try Data(contentsOf: URL(fileURLWithPath: report))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["task"] as? String == "minimize")
        #expect(object["steps"] as? Int == 50)
        #expect((object["trajectory"] as? [Double])?.count == 50)
        #expect(object["wall_seconds"] is Double)
    }

    @Test func withoutQuietEveryStepIsPrinted() throws {
        let run = try swiftgrad("run", "Configs/seed-quadratic.json", in: repositoryRoot)
        #expect(run.status == 0, "\(run.standardError)")
        let lines = run.standardOutput.split(separator: "\n")
        #expect(lines.count == 50)
        #expect(lines.first == "step 1: x = 42.0")
    }

    /// Early stopping on a metric no evaluation measures is warned of once, where the config is
    /// read, naming the key; the trainer does not warn of it again as the run evaluates.
    @Test func anUnmeasuredEarlyStoppingMetricIsWarnedOfOnce() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.tinyTrainConfig("unmeasured.json", epochs: 3, training: #""early_stopping": {"metric": "test_loss", "patience": 1}"#)
        let run = try swiftgrad(["run", config, "--run-dir", "runs/unmeasured"], in: directory.path)
        #expect(run.status == 0, "\(run.standardError)")
        let warnings = (run.standardOutput + run.standardError).split(separator: "\n").filter { $0.contains("early stopping watches test_loss") }
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.contains("key path 'training.early_stopping.metric'") == true, "\(warnings)")
    }
}
