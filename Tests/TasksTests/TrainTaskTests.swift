import ConfigKit
import _TestSupport
import Foundation
import Testing
import SwiftGrad
import Tasks

/// `"task": "train"`: the shipped digits config learns, its result does not depend on the worker
/// count through the whole config path, overrides take effect, and a bad config fails while
/// loading with the file, line, column and key path.
@Suite struct TrainTaskTests {
    /// Loads and runs a config quietly; returns the report as `swiftgrad run --report` writes it
    /// and the logged lines.
    private func run(path: String, options: RunOptions = RunOptions(verbosity: .quiet)) throws -> (report: [String: Any], log: [String]) {
        let task = try TaskLoader.load(path: path, options: options)
        var lines: [String] = []
        let report = try task.run(options: options) { lines.append($0) }
        #expect(report.task == "train")
        return (try writtenReport(report).object, lines)
    }

    // MARK: The shipped digits config

    @Test func theDigitsConfigReaches97PercentOnItsHeldOutFifth() throws {
        let path = Repository.config("digits-mlp.json")
        let task = try #require(try TaskLoader.load(path: path, options: RunOptions(verbosity: .quiet)) as? TrainTask)
        #expect(task.data.test.count == 360)
        #expect(task.data.train.count == 1437)
        #expect(task.options.workers == 2)

        let (report, log) = try run(path: path)
        let testAccuracy = try #require(report["test_accuracy"] as? Double)
        let trainAccuracy = try #require(report["train_accuracy"] as? Double)
        #expect(testAccuracy >= 0.97)
        #expect(trainAccuracy >= testAccuracy)
        // 20 epochs of ⌈1437 / 64⌉ = 23 batches.
        #expect(report["steps"] as? Int == 460)
        #expect(report["workers"] as? Int == 2)
        #expect(report["epochs"] as? Int == 20)
        #expect(report["deterministic"] as? Bool == true)
        let samplesPerSecond = try #require(report["samples_per_second"] as? Double)
        #expect(samplesPerSecond > 0)
        let share = try #require(report["allreduce_share"] as? Double)
        #expect(share >= 0 && share <= 1)
        // The end-to-end rate counts the whole time, which holds the training steps' time.
        let endToEnd = try #require(report["end_to_end_samples_per_second"] as? Double)
        #expect(endToEnd > 0 && endToEnd <= samplesPerSecond)
        let timing = try #require(report["timing"] as? [String: Double])
        #expect(Set(timing.keys) == [
            "total_seconds", "training_seconds", "evaluation_seconds", "data_loading_seconds", "setup_seconds",
            "shuffle_seconds", "logging_seconds", "other_seconds", "non_training_share",
        ])
        let parts = [
            "training_seconds", "evaluation_seconds", "data_loading_seconds", "setup_seconds", "shuffle_seconds", "logging_seconds",
            "other_seconds",
        ]
        #expect(parts.allSatisfy { timing[$0]! >= 0 })
        #expect(abs(parts.map { timing[$0]! }.reduce(0, +) - timing["total_seconds"]!) <= 1e-9 * Swift.max(1, timing["total_seconds"]!))
        #expect(timing["evaluation_seconds"]! > 0 && timing["data_loading_seconds"]! > 0 && timing["setup_seconds"]! > 0)
        // Evaluations every 5 epochs; the last is the one reported.
        let history = try #require(report["history"] as? [[String: Any]])
        #expect(history.compactMap { $0["epoch"] as? Int } == [5, 10, 15, 20])
        #expect(history.last?["test_accuracy"] as? Double == testAccuracy)
        #expect(history.allSatisfy { $0["train_loss"] is Double && $0["test_loss"] is Double })
        _ = try parameterDigest(report)
        // Quiet: the result line alone, no header, epoch lines or digest.
        #expect(log.count == 1 && log[0].hasPrefix("trained 460 steps in "), "\(log)")
    }

    @Test func theDigitsConfigGivesTheSameDigestForOneTwoAndThreeWorkers() throws {
        let path = Repository.config("digits-mlp.json")
        let two = try parameterDigest(run(path: path).report)
        for workers in [1, 3] {
            let (report, _) = try run(path: path, options: RunOptions(workers: workers, verbosity: .quiet))
            #expect(report["workers"] as? Int == workers)
            #expect(try parameterDigest(report) == two, "\(workers) workers")
        }
    }

    @Test func epochAndSeedOverridesTakeEffect() throws {
        let path = Repository.config("digits-mlp.json")
        let (short, _) = try run(path: path, options: RunOptions(epochs: 2, verbosity: .quiet))
        #expect(short["epochs"] as? Int == 2)
        #expect(short["steps"] as? Int == 46)
        let (reseeded, _) = try run(path: path, options: RunOptions(epochs: 2, seed: 2, verbosity: .quiet))
        #expect(reseeded["steps"] as? Int == 46)
        #expect(try parameterDigest(reseeded) != parameterDigest(short))
        // The same seed again gives the same digest: the change came from the seed.
        let (again, _) = try run(path: path, options: RunOptions(epochs: 2, seed: 1, verbosity: .quiet))
        #expect(try parameterDigest(again) == parameterDigest(short))
    }

    @Test func overridesOutOfRangeAreErrorsNotCrashes() throws {
        let path = Repository.config("digits-mlp.json")
        for (options, key, message) in [
            (RunOptions(workers: 0), "training.workers", "must be between 1 and 256, got 0"),
            (RunOptions(workers: 257), "training.workers", "must be between 1 and 256, got 257"),
            (RunOptions(epochs: 0), "training.epochs", "must be between 1 and 1000000, got 0"),
            (RunOptions(epochs: Int.max), "training.epochs", "must be between 1 and 1000000, got \(Int.max)"),
        ] {
            do {
                _ = try TaskLoader.load(path: path, options: options)
                Issue.record("the override \(options) of \(key) was accepted")
            } catch let error as ConfigError {
                #expect("\(error)".contains("key path '\(key)': the override \(message)"), "\(error)")
            }
        }
    }

    @Test func theReportHasTheTrainKeysInOrder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("train.json", tinyConfig)
        let options = RunOptions(verbosity: .quiet)
        let report = try TaskLoader.load(path: path, options: options).run(options: options) { _ in }
        expectReportKeys(try writtenReport(report), extra: [
            "train_loss", "test_loss", "train_accuracy", "test_accuracy", "train_metrics", "labels", "train_examples", "test_examples", "epochs", "workers",
            "micro_shards", "micro_shards_per_batch", "deterministic", "precision", "matrix_kernel", "samples_per_second", "end_to_end_samples_per_second",
            "timing", "allreduce_share", "parameter_digest", "status", "history",
        ])
    }

    @Test func theScalingConfigLoadsWithItsOptions() throws {
        let task = try #require(try TaskLoader.load(path: Repository.config("scaling-mlp.json"), options: RunOptions(verbosity: .quiet)) as? TrainTask)
        #expect(task.options.batchSize == 512)
        #expect(task.options.workers == 2)
        #expect(task.options.deterministic)
        #expect(task.options.workersHelp, "workers help each other unless the config says not to")
        #expect(task.options.engineConfiguration.workersHelp)
        #expect(task.data.train.featureCount == 784)
        #expect(task.data.train.classCount == 10)
        #expect(task.data.train.count == 8192)
        #expect(task.data.test.count == 0)
        #expect(task.model.parameterShapes == [[784, 256], [256], [256, 256], [256], [256, 10], [10]])
    }

    // MARK: Config errors

    /// A small synthetic train config that runs in well under a second.
    private var tinyConfig: String {
        """
        {
          "task": "train",
          "data": {"source": "synthetic", "examples": 256, "features": 32, "classes": 4},
          "model": {"type": "mlp", "hidden_layers": [16]},
          "training": {"epochs": 2, "batch_size": 32, "workers": 2}
        }
        """
    }

    /// A train config on the bundled digits, one key per line so errors have known lines:
    /// line 3 is `data`, 4 is `model` and 5 is `training`.
    private func digits(data: String? = nil, model: String = #""model": {"type": "mlp", "hidden_layers": [16]}"#,
                        training: String = #""training": {"epochs": 1, "batch_size": 32}"#) -> [String] {
        let data = data ?? #""data": {"source": "digits", "path": "\#(Repository.dataset("digits.csv"))"}"#
        return ["{", #"  "task": "train","#, "  \(data),", "  \(model),", "  \(training)", "}"]
    }

    /// The error loading `lines` as `train.json` throws, and the config's path.
    private func loadError(_ lines: [String], files: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws -> (message: String, path: String, directory: String) {
        try loadConfigError(lines, name: "train.json", files: files, sourceLocation: sourceLocation)
    }

    @Test func anInputSizeThatDoesNotMatchTheDataIsNamed() throws {
        let (message, path, _) = try loadError(digits(model: #""model": {"type": "mlp", "hidden_layers": [16], "input_size": 784}"#))
        #expect(message == "\(path):4:65: key path 'model.input_size': the model takes 784 features but the data "
            + "(digits from '\(Repository.dataset("digits.csv"))') has 64; expected input_size 64")
    }

    @Test func anOutputSizeThatDoesNotMatchTheClassesIsNamed() throws {
        let (message, path, _) = try loadError(digits(model: #""model": {"type": "mlp", "hidden_layers": [16], "output_size": 2}"#))
        #expect(message == "\(path):4:66: key path 'model.output_size': the model gives 2 outputs but the data "
            + "(digits from '\(Repository.dataset("digits.csv"))') needs 10")
    }

    @Test func aClassifierOnRegressionDataIsRejected() throws {
        let csv = "a,b,y\n1,2,0.5\n2,3,1.5\n3,1,2.25\n4,4,0.75\n5,2,1.0\n"
        let (message, path, directory) = try loadError(
            digits(data: #""data": {"source": "csv", "path": "values.csv", "label": "y", "kind": "regression"}"#, model: #""model": {"type": "logistic"}"#),
            files: ["values.csv": csv])
        #expect(message == "\(path):4:21: key path 'model.type': a 'logistic' model classifies, but the data "
            + #"('\#(directory)/values.csv') has real-valued labels; expected "type": "linear", "mlp" or "sequential" for regression, or class labels"#)
    }

    @Test func aDataPathThatIsADirectoryIsNamedAsOne() throws {
        let (message, path, directory) = try loadError(digits(data: #""data": {"source": "csv", "path": "."}"#))
        #expect(message == "\(path):3:37: key path 'data.path': '\(directory)' is a directory; expected a data file (paths are relative to the config file)")
    }

    @Test func anUnknownDataSourceListsTheSources() throws {
        let (message, path, _) = try loadError(digits(data: #""data": {"source": "mnist"}"#))
        #expect(message == #"\#(path):3:22: key path 'data.source': expected one of "digits", "csv", "synthetic", found "mnist""#)
    }

    @Test func aHiddenLayerOfNoUnitsIsRejected() throws {
        let (message, path, _) = try loadError(digits(model: #""model": {"type": "mlp", "hidden_layers": [16, 0]}"#))
        #expect(message == "\(path):4:45: key path 'model.hidden_layers': every layer needs between 1 and 100000000 units, found 0")
    }

    @Test func aMissingBatchSizeIsNamed() throws {
        let (message, path, _) = try loadError(digits(training: #""training": {"epochs": 1}"#))
        #expect(message == "\(path):5:15: key path 'training.batch_size': missing required key, expected an integer in [1, 10000000] or \"full\"")
    }

    @Test func zeroWorkersIsRejected() throws {
        let (message, path, _) = try loadError(digits(training: #""training": {"batch_size": 32, "workers": 0}"#))
        #expect(message == "\(path):5:45: key path 'training.workers': expected an integer in [1, 256], found 0")
    }

    /// A label column the CSV file lacks is an error at `data.label` in the config, with the
    /// file's columns and the closest name; an index past the row's end too.
    @Test func aLabelColumnTheFileLacksIsAnErrorAtTheConfigKey() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let data = try directory.write("c.csv", "a,b,label\n1,2,x\n3,4,y\n")
        for (label, column, expected) in [
            (#""lable""#, 54, "\(data): no column named 'lable'; the columns are: 'a', 'b', 'label' (did you mean 'label'?)"),
            ("7", 54, "\(data): column index 7 is out of range; the rows have 3 columns (indices 0...2)"),
        ] {
            let path = try directory.write("train.json", """
                {"task": "train",
                 "data": {"source": "csv", "path": "c.csv", "label": \(label)},
                 "model": {"type": "mlp", "hidden_layers": [2]}, "training": {"batch_size": 2}}
                """)
            let error = try #require(throws: ConfigError.self) { try TaskLoader.load(path: path, options: RunOptions(verbosity: .quiet)) }
            #expect(error.description == "\(path):2:\(column): key path 'data.label': \(expected)")
        }
    }

    @Test func workersHelpIsReadAndChecked() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("train.json", tinyConfig.replacingOccurrences(of: #""workers": 2"#, with: #""workers": 2, "workers_help": false"#))
        let task = try #require(try TaskLoader.load(path: path, options: RunOptions(verbosity: .quiet)) as? TrainTask)
        #expect(!task.options.workersHelp)
        #expect(!task.options.engineConfiguration.workersHelp)

        let (message, errorPath, _) = try loadError(digits(training: #""training": {"batch_size": 32, "workers_help": 1}"#))
        #expect(message == "\(errorPath):5:50: key path 'training.workers_help': expected a boolean (true or false), found 1")
    }

    @Test func precisionIsReadCheckedAndOverridden() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let plain = try #require(try TaskLoader.load(path: try directory.write("plain.json", tinyConfig), options: RunOptions(verbosity: .quiet)) as? TrainTask)
        #expect(plain.options.precision == .float32, "float32 unless the config says otherwise")
        let path = try directory.write("train.json", tinyConfig.replacingOccurrences(of: #""workers": 2"#, with: #""workers": 2, "precision": "bf16""#))
        let task = try #require(try TaskLoader.load(path: path, options: RunOptions(verbosity: .quiet)) as? TrainTask)
        #expect(task.options.precision == .bf16)
        #expect(task.options.engineConfiguration.precision == .bf16)
        let overridden = try #require(try TaskLoader.load(path: path, options: RunOptions(verbosity: .quiet, precision: .float32)) as? TrainTask)
        #expect(overridden.options.precision == .float32)
        // Left out of the config hash, so that a resume may change it.
        #expect(task.configHash == plain.configHash)

        let (message, errorPath, _) = try loadError(digits(training: #""training": {"batch_size": 32, "precision": "bf61"}"#))
        #expect(message == #"\#(errorPath):5:47: key path 'training.precision': expected one of "float32", "bf16", found "bf61" (did you mean "bf16"?)"#)
        let (typeMessage, _, _) = try loadError(digits(training: #""training": {"batch_size": 32, "precision": 16}"#))
        #expect(typeMessage.hasSuffix("key path 'training.precision': expected a string, found 16"), "\(typeMessage)")
    }

    @Test func aResumeInAnotherPrecisionHasANote() {
        #expect(TrainTask.precisionNote(resuming: .float32, in: .float32) == nil)
        #expect(TrainTask.precisionNote(resuming: .bf16, in: .bf16) == nil)
        let note = TrainTask.precisionNote(resuming: .float32, in: .bf16)
        #expect(note?.hasPrefix("note: the checkpoint was trained with float32 matrix products and this run computes them in bf16") == true)
        #expect(note?.contains("differ from an uninterrupted run") == true)
    }

    @Test func theReportRecordsThePrecision() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("train.json", tinyConfig.replacingOccurrences(of: #""workers": 2"#, with: #""workers": 2, "precision": "bf16""#))
        let (report, _) = try run(path: path)
        #expect(report["precision"] as? String == "bf16")
        let (single, _) = try run(path: path, options: RunOptions(verbosity: .quiet, precision: .float32))
        #expect(single["precision"] as? String == "float32")
        #expect(try parameterDigest(report) != parameterDigest(single))
    }

    @Test func syntheticDataWithoutFeaturesIsNamed() throws {
        let (message, path, _) = try loadError(digits(data: #""data": {"source": "synthetic", "examples": 256, "classes": 4}"#))
        #expect(message == "\(path):3:11: key path 'data.features': missing required key, expected an integer in [1, 1000000]; "
            + "the keys here are source, examples, features, classes (required) and labels, seed, test_fraction, split, standardize")
    }

    @Test func theTinyConfigRunsAndTrains() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("train.json", tinyConfig)
        let (report, log) = try run(path: path, options: RunOptions())
        #expect(report["steps"] as? Int == 16)
        // Synthetic data have no test split by default: its accuracy is null, as its loss.
        #expect(report["test_accuracy"] is NSNull && report["test_loss"] is NSNull, "\(report)")
        let history = try #require(report["history"] as? [[String: Any]])
        let losses = history.compactMap { $0["train_loss"] as? Double }
        #expect(losses.count == 2 && losses[1] < losses[0])
        #expect(log.first == "train: synthetic 256 x 32, 4 classes; 256 train, 0 test examples")
    }
}
