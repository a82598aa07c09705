import ConfigKit
import Foundation
import JSON
import _TestSupport
import Testing
import Tasks

/// The report keys every task shares mean the same in each (Documentation/CommandLine.md,
/// "Reports"): `final_loss` is the loss the last step minimised, at the parameters before its
/// update; `train_loss` and `test_loss` are the losses of the final parameters on the training
/// and test rows (the train task's `train_loss` with `training.train_metrics` set to
/// `evaluation_pass`; by default it is the mean loss of its last epoch's training batches).
@Suite struct ReportKeyTests {
    /// The tasks that train on rows of data and report both splits' losses.
    static let splitTasks: Set<String> = ["linear-regression", "logistic-regression", "train"]

    /// Runs `config` (written into `directory`, beside the data files) and returns its report.
    private func run(_ config: JSONValue, in directory: TemporaryDirectory, name: String, options: RunOptions = RunOptions(verbosity: .quiet)) throws -> [String: Any] {
        var config = config
        // A lecture config's `plot` is relative to the working directory: draw it in `directory`.
        if var root = config.objectValue, root["plot"] != nil {
            root["plot"] = .string(directory.path + "/" + name + ".svg")
            config = .object(root)
        }
        let path = try directory.write(name, try config.encoded())
        let task = try TaskLoader.load(path: path, options: options)
        return try writtenReport(try task.run(options: options) { _ in }).object
    }

    @Test func everyShippedConfigReportsTheCommonKeys() throws {
        let directory = try TemporaryDirectory(prefix: "swiftgrad-report-keys")
        defer { directory.remove() }
        try ConfigExamples.writeDataFiles(into: directory)
        for example in try ConfigExamples.shipped() {
            let report = try run(example.config, in: directory, name: example.name, options: RunOptions(epochs: 1, verbosity: .quiet))
            let task = try #require(report["task"] as? String)
            for key in ["task", "steps", "final_loss", "parameters", "wall_seconds"] {
                #expect(report[key] != nil, "\(example.name) has no \(key)")
            }
            let steps = try #require(report["steps"] as? Int)
            // A number exactly when a step minimised a loss.
            #expect((report["final_loss"] is Double) == (task != "derivative" && steps > 0), "\(example.name): final_loss \(report["final_loss"] ?? "absent")")
            if Self.splitTasks.contains(task) {
                for key in ["train_loss", "test_loss", "train_examples", "test_examples"] {
                    #expect(report[key] != nil, "\(example.name) has no \(key)")
                }
                #expect(report["train_loss"] is Double, "\(example.name)")
                let testRows = try #require(report["test_examples"] as? Int)
                #expect((report["test_loss"] is Double) == (testRows > 0), "\(example.name): test_loss \(report["test_loss"] ?? "absent") for \(testRows) test rows")
            }
        }
    }

    /// Step k + 1 minimises the loss at the parameters k steps leave: the longer run's
    /// `final_loss` is the shorter run's `train_loss` (for minimize, its `final_value`).
    @Test func finalLossIsTheLastStepsLossBeforeItsUpdateInEveryTask() throws {
        let directory = try TemporaryDirectory(prefix: "swiftgrad-final-loss")
        defer { directory.remove() }
        try ConfigExamples.writeDataFiles(into: directory)
        var checked: Set<String> = []
        for example in try ConfigExamples.shipped() {
            guard var root = example.config.objectValue, let task = root["task"]?.stringValue, root["steps"] != nil else { continue }
            root["steps"] = 3
            let short = try run(.object(root), in: directory, name: "short-" + example.name)
            root["steps"] = 4
            let long = try run(.object(root), in: directory, name: "long-" + example.name)
            let after = try #require((task == "minimize" ? short["final_value"] : short["train_loss"]) as? Double, "\(example.name)")
            let final = try #require(long["final_loss"] as? Double, "\(example.name)")
            #expect(Float(final) == Float(after), "\(example.name): final_loss after 4 steps \(final), loss after 3 \(after)")
            checked.insert(task)
        }
        #expect(checked == ["minimize", "linear-regression", "logistic-regression"])

        // The trainer, on one full batch, with an evaluation pass over the training split: the
        // same loss summed in another order.
        var config = try ConfigDocument(parsing: #"""
            {"task": "train", "data": {"source": "synthetic", "examples": 48, "features": 5, "classes": 3, "test_fraction": 0.25},
             "model": {"type": "mlp", "hidden_layers": [8]}, "optimizer": {"name": "sgd", "learning_rate": 0.1},
             "training": {"epochs": 3, "batch_size": 64, "train_metrics": "evaluation_pass"}}
            """#).root
        let short = try run(config, in: directory, name: "short-train.json")
        config = DidYouMeanTests.replace(config, at: DidYouMeanTests.steps("training.epochs"), with: 4)
        let long = try run(config, in: directory, name: "long-train.json")
        let final = try #require(long["final_loss"] as? Double)
        let trainLoss = try #require(short["train_loss"] as? Double)
        #expect(short["train_metrics"] as? String == "evaluation_pass")
        #expect(isClose(final, trainLoss, rtol: 1e-5, atol: 1e-6), "final_loss after 4 epochs \(final), train_loss after 3 \(trainLoss)")
        #expect(short["test_loss"] is Double)

        // By default, the mean loss of the last epoch's batches: here its one batch, the loss the
        // last step minimised.
        config = DidYouMeanTests.replace(config, at: DidYouMeanTests.steps("training.train_metrics"), with: "training_batches")
        let batches = try run(config, in: directory, name: "batches-train.json")
        #expect(batches["train_metrics"] as? String == "training_batches")
        let batchLoss = try #require(batches["train_loss"] as? Double)
        #expect(isClose(batchLoss, final, rtol: 1e-6, atol: 0), "train_loss \(batchLoss), final_loss \(final)")
        #expect(batches["test_loss"] as? Double == long["test_loss"] as? Double, "the test split is evaluated either way")
        #expect(batches["parameter_digest"] as? String == long["parameter_digest"] as? String)
    }

    /// A report lists the parameters' values up to `TaskReport.listedParameterLimit` values in
    /// all, and writes `null` beyond it (the model file has them), keeping the key.
    @Test func aLargeModelsParametersAreLeftToItsModelFile() throws {
        let limit = TaskReport.listedParameterLimit
        func report(_ counts: [Int]) -> TaskReport {
            TaskReport(task: "train", steps: 1, finalLoss: 0.5, parameters: counts.enumerated().map { ("p\($0.offset)", [Float](repeating: 0.25, count: $0.element)) }, wallSeconds: 1)
        }
        let listed = try writtenReport(report([limit - 1, 1])).object
        let values = try #require(listed["parameters"] as? [String: [Double]])
        #expect(values["p0"]?.count == limit - 1 && values["p1"] == [0.25])
        let omitted = try writtenReport(report([limit, 1])).object
        #expect(omitted["parameters"] is NSNull)
        #expect(omitted.keys.contains("parameters"))
    }
}

