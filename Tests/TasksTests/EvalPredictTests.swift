import _TestSupport
import ConfigKit
import Foundation
import JSON
import SwiftGrad
@testable import Tasks
import Testing

/// A tiny training run in a temporary directory: its CSV data, its config and its saved model.
private struct TinyRun {
    let directory: TemporaryDirectory
    let config: String
    let data: String
    let task: TrainTask
    let report: [String: Any]
    var modelPath: String { directory.path + "/runs/model.safetensors" }

    /// Three features (the last on a large scale, so standardising matters) and a label: for
    /// `classes`, three classes in blobs; else a noisy linear target.
    static func csv(classes: Bool, rows: Int) -> String {
        var random = RandomStream(seed: classes ? 11 : 12)
        var text = classes ? "a,b,c,label\n" : "x1,x2,x3,y\n"
        for _ in 0..<rows {
            let noise = Tensor.randomNormal(shape: [4], using: &random).scalars
            if classes {
                let label = Int(random.next() % 3)
                text += "\(Float(label) * 1.5 + noise[0]),\(Float(label) - noise[1]),\(100 + 10 * noise[2]),\(label)\n"
            } else {
                let (x1, x2, x3) = (noise[0], noise[1] * 3, 50 + 10 * noise[2])
                text += "\(x1),\(x2),\(x3),\(2 * x1 - x2 + 0.1 * x3 + 0.2 * noise[3])\n"
            }
        }
        return text
    }

    /// Trains `model` on the tiny data, keeping the run folder, as `swiftgrad run` does.
    init(classes: Bool, model: String = #"{"type": "mlp", "hidden_layers": [8]}"#, split: String = "file_order", overrides: RunOptions? = nil) throws {
        directory = try TemporaryDirectory()
        data = try directory.write("data.csv", Self.csv(classes: classes, rows: 90))
        config = try directory.write("train.json", """
            {"task": "train",
             "data": {"source": "csv", "path": "data.csv", "kind": "\(classes ? "classes" : "regression")", "split": "\(split)"},
             "model": \(model),
             "optimizer": {"name": "adam", "learning_rate": 0.05},
             "training": {"epochs": \(classes ? 6 : 40), "batch_size": 16, "seed": 4}}
            """)
        var options = overrides ?? RunOptions(verbosity: .quiet)
        options.runDirectory = directory.path + "/runs"
        options.keepsRunFolder = true
        task = try #require(try TaskLoader.load(path: config, options: options) as? TrainTask)
        report = try writtenReport(try task.run(options: options) { _ in }).object
    }

    /// The saved parameters.
    func parameters() throws -> [Tensor] { try Checkpoint.read(from: modelPath).state.parameters }
}

/// A `Float` of a written report: the shortest decimal that reads back as that `Float`.
private func reported(_ key: String, in report: [String: Any]) -> Float? {
    (report[key] as? Double).map { Float($0) }
}

/// The cells of CSV text, header first.
private func cells(_ text: String) -> [[String]] {
    text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
}

/// `swiftgrad eval` and `swiftgrad predict` below the command line: a saved model measured on
/// its config's split, and its predictions for a CSV file from the checkpoint alone.
@Suite struct EvalPredictTests {
    // MARK: Evaluation

    @Test func aClassifiersConfusionMatricesAgreeWithItsAccuracyAndWithTraining() throws {
        let run = try TinyRun(classes: true)
        defer { run.directory.remove() }
        let evaluation = try CheckpointEvaluation.run(config: run.config, checkpoint: run.modelPath)
        let test = try #require(evaluation.test)
        #expect(evaluation.train.examples == 72 && test.examples == 18)
        #expect(evaluation.labels == ["0", "1", "2"])
        for split in [evaluation.train, test] {
            let confusion = try #require(split.confusion)
            #expect(confusion.count == 3 && confusion.allSatisfy { $0.count == 3 })
            #expect(confusion.joined().reduce(0, +) == split.examples)
            let diagonal = (0..<3).map { confusion[$0][$0] }.reduce(0, +)
            #expect(Float(diagonal) / Float(split.examples) == split.accuracy)
        }
        // Rows are true labels: each row sums to that class's count in the split.
        let testLabels = try #require(run.task.data.test.classLabels)
        #expect(test.confusion!.map { $0.reduce(0, +) } == (0..<3).map { label in testLabels.count { $0 == label } })
        // The test figures of the trainer's own last evaluation, bit for bit (its train figures
        // are those of the last epoch's training batches, not a pass with the final parameters).
        #expect(test.loss == reported("test_loss", in: run.report))
        #expect(test.accuracy == reported("test_accuracy", in: run.report))
        #expect(run.report["train_metrics"] as? String == "training_batches")

        let lines = evaluation.lines
        #expect(lines.contains { $0.hasPrefix("test: loss ") && $0.contains("accuracy") })
        let header = try #require(lines.firstIndex { $0.hasPrefix("true \\ predicted") })
        #expect(lines.count == header + 4)
        // Aligned: every row of the table as long as its header.
        #expect(lines[header...].allSatisfy { $0.count == lines[header].count })

        let path = run.directory.path + "/eval.json"
        try evaluation.writeReport(to: path)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        #expect(json["task"] as? String == "eval")
        #expect(json["labels"] as? [Int] == [0, 1, 2])
        let testObject = try #require(json["test"] as? [String: Any])
        #expect(testObject["confusion_matrix"] as? [[Int]] == test.confusion)
        #expect(testObject["examples"] as? Int == 18)
    }

    @Test func aRegressionsErrorsAreThoseComputedDirectlyFromTheModel() throws {
        let run = try TinyRun(classes: false, model: #"{"type": "linear"}"#)
        defer { run.directory.remove() }
        let evaluation = try CheckpointEvaluation.run(config: run.config, checkpoint: run.modelPath)
        #expect(evaluation.labels == nil && evaluation.train.confusion == nil)
        let parameters = try run.parameters()
        for (split, data) in [(evaluation.train, run.task.data.train), (try #require(evaluation.test), run.task.data.test)] {
            let predictions = run.task.model(data.features, parameters: parameters).scalars.map(Double.init)
            let targets = data.targets.scalars.map(Double.init)
            let n = Double(targets.count)
            let mse = zip(predictions, targets).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / n
            let mae = zip(predictions, targets).map { abs($0 - $1) }.reduce(0, +) / n
            let mean = targets.reduce(0, +) / n
            let r2 = 1 - mse * n / targets.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
            #expect(isRelativelyClose(try #require(split.meanSquaredError), mse, tolerance: 1e-12))
            #expect(isRelativelyClose(try #require(split.meanAbsoluteError), mae, tolerance: 1e-12))
            #expect(isRelativelyClose(try #require(split.rSquared), r2, tolerance: 1e-12))
            #expect(r2 > 0.9, "the tiny regression should fit")
            // The linear model is trained by mean squared error: its loss is the MSE.
            #expect(isRelativelyClose(Double(split.loss), mse, tolerance: 1e-5))
        }
        #expect(evaluation.lines.contains { $0.hasPrefix("test: loss ") && $0.contains("MSE ") && $0.contains("R² ") })
        let plot = run.directory.path + "/predictions.svg"
        try evaluation.writePlot(to: plot)
        #expect(try String(contentsOfFile: plot, encoding: .utf8).contains("predicted = true"))
    }

    @Test func aRunWithSeedAndEpochOverridesIsEvaluatedOnItsOwnSplit() throws {
        let run = try TinyRun(classes: true, split: "shuffled", overrides: RunOptions(epochs: 3, seed: 9, verbosity: .quiet))
        defer { run.directory.remove() }
        let evaluation = try CheckpointEvaluation.run(config: run.config, checkpoint: run.modelPath)
        #expect(evaluation.test?.accuracy == reported("test_accuracy", in: run.report))
        #expect(evaluation.epoch == 3)
    }

    @Test func aCheckpointOfAnotherConfigOrOtherDataIsRefused() throws {
        let run = try TinyRun(classes: true)
        defer { run.directory.remove() }
        let wider = try run.directory.write("wider.json", try run.directory.read("train.json").replacingOccurrences(of: "[8]", with: "[9]"))
        let error = try #require(throws: CheckpointError.self) { try CheckpointEvaluation.run(config: wider, checkpoint: run.modelPath) }
        #expect(error.file == run.modelPath)
        #expect(error.description.contains("config hash"), "\(error)")

        try run.directory.write("data.csv", TinyRun.csv(classes: true, rows: 91))
        let moved = try #require(throws: CheckpointError.self) { try CheckpointEvaluation.run(config: run.config, checkpoint: run.modelPath) }
        #expect(moved.description.contains("other data (data checksum"), "\(moved)")
    }

    /// The data checksum is taken word-wise; a checkpoint carrying the byte-wise checksum of
    /// the same data (as older checkpoints do) is still accepted, and any other refused.
    @Test func aCheckpointWithTheBytewiseChecksumOfTheSameDataIsAccepted() throws {
        let run = try TinyRun(classes: true)
        defer { run.directory.remove() }
        var checkpoint = try Checkpoint.read(from: run.modelPath)
        let task = try #require(try TaskLoader.load(path: run.config, options: RunOptions(seed: checkpoint.state.seed, verbosity: .quiet)) as? TrainTask)
        #expect(checkpoint.metadata["data_checksum"] == task.dataChecksum)
        let bytewise = TrainTask.bytewiseChecksum(of: task.data)
        #expect(bytewise != task.dataChecksum, "the two checksums differ, so the test tells them apart")

        checkpoint.metadata["data_checksum"] = bytewise
        let older = run.directory.path + "/bytewise.safetensors"
        try checkpoint.write(to: older)
        #expect(throws: Never.self) { try task.checkCompatible(try Checkpoint.read(from: older), path: older) }
        _ = try CheckpointEvaluation.run(config: run.config, checkpoint: older)

        checkpoint.metadata["data_checksum"] = "0123456789abcdef"
        try checkpoint.write(to: older)
        let error = try #require(throws: CheckpointError.self) { try task.checkCompatible(try Checkpoint.read(from: older), path: older) }
        #expect(error.description.contains("other data (data checksum 0123456789abcdef"), "\(error)")
    }

    @Test func aConfigOfAnotherTaskIsRefusedNamingItsKey() throws {
        let run = try TinyRun(classes: true)
        defer { run.directory.remove() }
        let other = try run.directory.write("derivative.json", #"{"task": "derivative", "expression": "x^2", "at": {"x": 1}}"#)
        let error = try #require(throws: ConfigError.self) { try CheckpointEvaluation.run(config: other, checkpoint: run.modelPath) }
        #expect("\(error)".contains("key path 'task'") && "\(error)".contains("found 'derivative'"), "\(error)")
    }

    // MARK: Prediction

    @Test func predictionsAreTheModelsOwnForwardPassOnTheSameRows() throws {
        let run = try TinyRun(classes: true)
        defer { run.directory.remove() }
        let prediction = try CSVPrediction.run(checkpoint: run.modelPath, input: run.data, hasHeader: true)
        #expect(prediction.notes == ["note: ignoring column 'label' of \(run.data): it is the label the model was trained to predict"])
        let table = cells(prediction.table.rendered())
        #expect(table[0] == ["label", "probability_0", "probability_1", "probability_2"])
        #expect(table.count == 91)
        // With the split in file order, the first 72 rows are the training split: the rows the
        // trainer standardised and evaluated.
        let train = run.task.data.train
        let logits = run.task.model(train.features, parameters: try run.parameters())
        let expected = logits.softmax(alongAxis: -1).scalars
        let predicted = logits.argmax(squeezingAxis: -1).scalars.map { String(Int($0)) }
        for row in 0..<train.count {
            let fields = table[row + 1]
            let probabilities = fields.dropFirst().map { Float($0)! }
            #expect(probabilities.map(\.bitPattern) == expected[3 * row..<3 * row + 3].map(\.bitPattern), "row \(row)")
            #expect(abs(probabilities.reduce(0, +) - 1) < 1e-6)
            #expect(fields[0] == predicted[row])
        }
    }

    @Test func regressionPredictionsAreTheForwardPassOnTheTargetsScale() throws {
        let run = try TinyRun(classes: false, model: #"{"type": "sequential", "layers": [{"type": "dense", "units": 6, "activation": "tanh"}, {"type": "layer_norm"}, {"type": "dropout", "rate": 0.25}, {"type": "dense", "units": 1}]}"#)
        defer { run.directory.remove() }
        // Only the features, in another order: columns are matched by name.
        let rows = cells(try run.directory.read("data.csv")).dropFirst().map { "\($0[2]),\($0[0]),\($0[1])" }
        let input = try run.directory.write("new.csv", "x3,x1,x2\n" + rows.joined(separator: "\n") + "\n")
        let prediction = try CSVPrediction.run(checkpoint: run.modelPath, input: input, hasHeader: true)
        #expect(prediction.notes.isEmpty)
        let table = cells(prediction.table.rendered())
        #expect(table[0] == ["prediction"])
        let expected = run.task.model(run.task.data.train.features, parameters: try run.parameters()).scalars
        for row in 0..<run.task.data.train.count {
            #expect(Float(table[row + 1][0])!.bitPattern == expected[row].bitPattern, "row \(row)")
        }
    }

    /// With `standardize_target` the model learns (y − mean) / std; eval's figures and predict's
    /// values are mapped back with the training split's statistics, which the checkpoint keeps.
    @Test func aStandardisedTargetIsEvaluatedAndPredictedOnItsOwnScale() throws {
        let run = try TinyRun(classes: false, model: #"{"type": "mlp", "hidden_layers": [8], "standardize_target": true}"#)
        defer { run.directory.remove() }
        let standardizer = try #require(run.task.targetStandardizer)
        let saved = try SavedModel.read(from: run.modelPath)
        #expect(saved.target == .regression(standardizer: standardizer))
        let evaluation = try CheckpointEvaluation.run(config: run.config, checkpoint: run.modelPath)
        let parameters = try run.parameters()
        for (split, data) in [(evaluation.train, run.task.data.train), (try #require(evaluation.test), run.task.data.test)] {
            let predictions = standardizer.inverseTransform(run.task.model(data.features, parameters: parameters)).scalars.map(Double.init)
            let targets = standardizer.inverseTransform(data.targets).scalars.map(Double.init)
            let mse = zip(predictions, targets).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(targets.count)
            #expect(isRelativelyClose(try #require(split.meanSquaredError), mse, tolerance: 1e-6))
            #expect(try #require(split.rSquared) > 0.8, "\(split.name)")
        }
        // predict answers on the targets' scale: near the file's own y column.
        let file = cells(try run.directory.read("data.csv")).dropFirst()
        let input = try run.directory.write("new.csv", "x1,x2,x3\n" + file.map { "\($0[0]),\($0[1]),\($0[2])" }.joined(separator: "\n") + "\n")
        let table = cells(try CSVPrediction.run(checkpoint: run.modelPath, input: input, hasHeader: true).table.rendered()).dropFirst()
        let errors = zip(table, file).map { abs(Double($0[0])! - Double($1[3])!) }
        let spread = standardizer.scale[0]
        #expect(errors.reduce(0, +) / Double(errors.count) < 0.5 * spread, "mean error \(errors.reduce(0, +) / Double(errors.count)), target std \(spread)")
    }

    @Test func columnsThatDoNotFitTheModelAreAnErrorNamingTheFileCountsAndNames() throws {
        let run = try TinyRun(classes: true)
        defer { run.directory.remove() }
        let headerless = try run.directory.write("headerless.csv", "1,2,3,0\n4,5,6,1\n")
        let counted = try #require(throws: PredictionInputError.self) {
            try CSVPrediction.run(checkpoint: run.modelPath, input: headerless, hasHeader: false)
        }
        #expect(counted.description == "\(headerless):1: the rows have 4 columns but the model takes 3 features (a, b, c), in this order; leave out the label column, or give a header row that names it")
        let short = try run.directory.write("short.csv", "1,2\n")
        let shortError = try #require(throws: PredictionInputError.self) {
            try CSVPrediction.run(checkpoint: run.modelPath, input: short, hasHeader: false)
        }
        #expect(shortError.description.hasPrefix("\(short):1: the rows have 2 columns but the model takes 3 features (a, b, c)"))
        let named = try run.directory.write("named.csv", "a,c,d\n1,2,3\n")
        let namedError = try #require(throws: PredictionInputError.self) {
            try CSVPrediction.run(checkpoint: run.modelPath, input: named, hasHeader: true)
        }
        #expect(namedError.description == "\(named):1: the header names 3 columns but the model takes 3 features (a, b, c); missing: 'b'; not a feature: 'd'")
    }

    /// A header naming a feature, or the label, in more columns than the model takes of that
    /// name is told so, naming the column, rather than as a name the model does not know.
    @Test func aRepeatedColumnIsNamedAsRepeated() throws {
        let run = try TinyRun(classes: true)
        defer { run.directory.remove() }
        let feature = try run.directory.write("feature.csv", "a,b,c,a\n1,2,3,4\n")
        let featureError = try #require(throws: PredictionInputError.self) {
            try CSVPrediction.run(checkpoint: run.modelPath, input: feature, hasHeader: true)
        }
        #expect(featureError.description == "\(feature):1: the header names 4 columns but the model takes 3 features (a, b, c); 'a' heads 2 columns but the model has 1 feature of that name")
        let label = try run.directory.write("label.csv", "label,a,b,c,label,d\n0,1,2,3,0,5\n")
        let labelError = try #require(throws: PredictionInputError.self) {
            try CSVPrediction.run(checkpoint: run.modelPath, input: label, hasHeader: true)
        }
        #expect(labelError.description == "\(label):1: the header names 6 columns but the model takes 3 features (a, b, c); not a feature: 'd'; 'label' heads 2 columns but only one is the label")
    }

    /// The epochs a checkpoint records pick the config hash eval compares with; a value no run
    /// writes is the checkpoint's error, named with its key, not the config's.
    @Test func epochsOutOfRangeInACheckpointAreTheCheckpointsError() throws {
        let run = try TinyRun(classes: true)
        defer { run.directory.remove() }
        for text in ["9223372036854775807", "0", "six"] {
            var checkpoint = try Checkpoint.read(from: run.modelPath)
            checkpoint.metadata["training.epochs"] = text
            let path = run.directory.path + "/epochs.safetensors"
            try checkpoint.write(to: path)
            let error = try #require(throws: CheckpointError.self) { try CheckpointEvaluation.run(config: run.config, checkpoint: path) }
            #expect(error.description == "\(path): metadata key 'training.epochs' is '\(text)'; expected the epochs the run trained, a whole number from 1 to 1000000")
        }
    }

    /// An input larger than the budget stops being read at the row that would pass it, as a
    /// training set does; one that is read but whose predictions would not fit is refused with
    /// the estimate before anything is predicted. A budget that fits them predicts as before.
    @Test func predictionsBeyondTheMemoryBudgetAreRefusedWithTheEstimate() throws {
        let run = try TinyRun(classes: true)
        defer { run.directory.remove() }
        // Enough for the checkpoint (its 3 KiB header parsed), not for 5000 rows of 3 features
        // at 12 bytes a value.
        let budget = MemoryBudget(limit: 160 << 10, origin: "a test's limit")
        let many = try run.directory.write("many.csv", TinyRun.csv(classes: true, rows: 5000))
        let reading = try #require(throws: DatasetError.self) {
            try CSVPrediction.run(checkpoint: run.modelPath, input: many, hasHeader: true, budget: budget)
        }
        #expect(reading.description.contains("the file holds more than 13653 values in the columns read"), "\(reading)")
        #expect(reading.description.contains("more than the 160.0 KiB of a test's limit holds"), "\(reading)")

        // 1000 rows are read, but their predictions would not fit: 3 features and 3 classes make
        // 24 bytes of input, 44 of outputs and 193 of the output table a row, beside the
        // model's 59 parameters.
        let input = try run.directory.write("rows.csv", TinyRun.csv(classes: true, rows: 1000))
        let estimate = CSVPrediction.memoryEstimate(rows: 1000, of: try SavedModel.read(from: run.modelPath))
        #expect(estimate.total == 1000 * (24 + 44 + 193) + 59 * 4)
        let predicting = try #require(throws: MemoryBudgetError.self) {
            try CSVPrediction.run(checkpoint: run.modelPath, input: input, hasHeader: true, budget: budget)
        }
        #expect(predicting.description == "predicting for the 1000 rows of '\(input)' would need about 255.1 KiB of memory (output table 188.5 KiB, outputs 43.0 KiB, input rows 23.4 KiB, the model 236 bytes), more than the 160.0 KiB of a test's limit; predict for fewer rows at a time, or set SWIFTGRAD_MAX_MEMORY_MB to change the limit")
        let fits = try CSVPrediction.run(
            checkpoint: run.modelPath, input: input, hasHeader: true, budget: MemoryBudget(limit: estimate.total, origin: "a test's limit"))
        #expect(fits.table.rows.count == 1000)
    }

    @Test func aHeaderOfManyUnknownColumnsGivesAMessageOfOneShortLine() throws {
        let run = try TinyRun(classes: true)
        defer { run.directory.remove() }
        // 200 000 columns not in the model, one of them a name of 5000 characters and an escape.
        let names = ["a", "c", String(repeating: "x", count: 5000) + "\u{1B}"] + (0..<200_000).map { "extra\($0)" }
        let input = try run.directory.write("wide.csv", names.joined(separator: ",") + "\n" + names.map { _ in "1" }.joined(separator: ",") + "\n")
        let error = try #require(throws: PredictionInputError.self) {
            try CSVPrediction.run(checkpoint: run.modelPath, input: input, hasHeader: true)
        }
        let message = error.description
        #expect(message.count < 1500, "\(message.count) characters")
        #expect(!message.contains("\n") && !message.contains("\u{1B}"))
        #expect(message.hasPrefix("\(input):1: the header names 200003 columns but the model takes 3 features (a, b, c); missing: 'b'; not a feature: 'xxxx"))
        #expect(message.contains("… (5001 characters)'"))
        #expect(message.hasSuffix("'extra8' and 199991 more"))
    }

    /// Labels come from data files: in the run's `classes:` line and eval's confusion matrix
    /// their control characters are escaped and a long one is cut short.
    @Test func classLabelsAreShownEscapedAndCutShort() {
        let labels = ["\u{1B}[31mred", String(repeating: "Q", count: 300_000), "plain"]
        let list = TrainTask.classList(labels)
        #expect(list == #"\u{1B}[31mred, "# + String(repeating: "Q", count: 32) + "… (300000 characters), plain")
        let table = CheckpointEvaluation.table([[1, 0, 0], [0, 2, 0], [0, 0, 3]], labels: labels)
        #expect(table.allSatisfy { !$0.contains("\u{1B}") && $0.count < 400 }, "\(table.map(\.count))")
        #expect(table[1].contains(#"\u{1B}[31mred"#), "\(table[1])")
    }

    @Test func aCheckpointWithoutItsModelsDescriptionIsRefusedNamingTheKey() throws {
        let run = try TinyRun(classes: true)
        defer { run.directory.remove() }
        var old = try Checkpoint.read(from: run.modelPath)
        for key in old.metadata.keys where key.hasPrefix("model") || key.hasPrefix("target.") || key.hasPrefix("features") {
            old.metadata[key] = nil
        }
        let path = run.directory.path + "/old.safetensors"
        try old.write(to: path)
        let error = try #require(throws: CheckpointError.self) { try CSVPrediction.run(checkpoint: path, input: run.data, hasHeader: true) }
        #expect(error.file == path)
        #expect(error.description.contains("metadata key 'model' is missing"), "\(error)")
        // Evaluation does not need the description: the config gives the model, and its data
        // the labels (0, 1, 2 here, as every checkpoint of labels 0 … K−1 has always said).
        let evaluation = try CheckpointEvaluation.run(config: run.config, checkpoint: path)
        #expect(evaluation.test?.accuracy != nil)
        #expect(evaluation.labels == ["0", "1", "2"])
        #expect(try SavedModel.read(from: run.modelPath).target == .classes(labels: ["0", "1", "2"]))
    }

    @Test func everyCheckpointOfARunDescribesItsModel() throws {
        let run = try TinyRun(classes: true)
        defer { run.directory.remove() }
        let periodic = try FileManager.default.contentsOfDirectory(atPath: run.directory.path + "/runs/checkpoints")
        #expect(!periodic.isEmpty)
        for name in periodic {
            let saved = try SavedModel.read(from: run.directory.path + "/runs/checkpoints/" + name)
            #expect(saved.featureNames == ["a", "b", "c"] && saved.targetName == "label")
            #expect(saved.featureStandardizer == run.task.standardizer)
        }
    }

    // MARK: The library

    /// The README's library lines: save a run, continue it, predict with a saved model.
    @Test func theReadmesLibraryLinesSaveAContinuableRunAndPredict() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let split = Dataset.synthetic(examples: 64, features: 3, classes: 3, seed: 1).split(trainFraction: 0.75, shuffledWithSeed: 1)
        func makeTrainer() -> Trainer {
            Trainer(model: MLP(layerSizes: [3, 8, 3], seed: 1), data: split, optimizer: Adam(), options: TrainingOptions(epochs: 2, batchSize: 16))
        }
        let trainer = makeTrainer()
        _ = trainer.run()
        let last = directory.path + "/last.safetensors"
        try Checkpoint(state: trainer.state).write(to: last)
        let resumed = makeTrainer()
        try resumed.restore(Checkpoint.read(from: last).state)
        #expect(resumed.parameterDigest == trainer.parameterDigest && resumed.state == trainer.state)

        let run = try TinyRun(classes: true)
        defer { run.directory.remove() }
        let saved = try SavedModel.read(from: run.modelPath)
        let model = MLP(layerSizes: [3, 8, 3])
        let rawRows = Tensor(shape: [2, 3], scalars: [0, 0, 100, 3, -1, 90])
        guard case .classes(let predicted, let probabilities) = try saved.predict(rawRows, with: model) else {
            Issue.record("a classifier predicted values")
            return
        }
        #expect(predicted.count == 2 && probabilities.shape == [2, 3])
        #expect(throws: CheckpointError.self) { try saved.predict(rawRows, with: MLP(layerSizes: [3, 9, 3])) }
    }

    // MARK: The architecture

    @Test(arguments: [
        (#"{"type": "mlp", "hidden_layers": [8]}"#, true,
         #"{"type": "mlp", "hidden_layers": [8], "activation": "relu", "initializer": "he_normal", "loss": "softmax_cross_entropy", "input_size": 3, "output_size": 3}"#),
        (#"{"type": "mlp", "hidden_layers": [4, 5], "activation": "tanh", "initializer": "glorot_normal"}"#, true,
         #"{"type": "mlp", "hidden_layers": [4, 5], "activation": "tanh", "initializer": "glorot_normal", "loss": "softmax_cross_entropy", "input_size": 3, "output_size": 3}"#),
        (#"{"type": "logistic"}"#, true, #"{"type": "logistic", "initializer": "glorot_uniform", "loss": "softmax_cross_entropy", "input_size": 3, "output_size": 3}"#),
        (#"{"type": "softmax"}"#, true, #"{"type": "logistic", "initializer": "glorot_uniform", "loss": "softmax_cross_entropy", "input_size": 3, "output_size": 3}"#),
        (#"{"type": "mlp", "hidden_layers": [4], "loss": "mean_absolute_error", "standardize_target": true}"#, false,
         #"{"type": "mlp", "hidden_layers": [4], "activation": "relu", "initializer": "he_normal", "loss": "mean_absolute_error", "input_size": 3, "output_size": 1}"#),
        (#"{"type": "linear", "initializer": "zeros"}"#, false, #"{"type": "linear", "initializer": "zeros", "loss": "mean_squared_error", "input_size": 3, "output_size": 1}"#),
        (#"{"type": "sequential", "layers": [{"type": "dense", "units": 6, "activation": "relu", "name": "h"}, {"type": "layer_norm", "epsilon": 0.01}, {"type": "dropout", "rate": 0.1}, {"type": "dense", "units": 3}]}"#, true,
         #"{"type": "sequential", "layers": [{"type": "dense", "name": "h", "units": 6, "activation": "relu", "initializer": "glorot_uniform"}, {"type": "layer_norm", "name": "layer_norm1", "epsilon": 0.01}, {"type": "dropout", "name": "dropout2", "rate": 0.1}, {"type": "dense", "name": "dense3", "units": 3, "activation": "linear", "initializer": "glorot_uniform"}], "loss": "softmax_cross_entropy", "input_size": 3, "output_size": 3}"#),
    ] as [(String, Bool, String)])
    func theArchitectureIsTheModelObjectWithItsDefaultsAndRebuildsTheModel(model: String, classes: Bool, expected: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("data.csv", TinyRun.csv(classes: classes, rows: 30))
        let config = try directory.write("train.json", """
            {"task": "train", "data": {"source": "csv", "path": "data.csv", "kind": "\(classes ? "classes" : "regression")"},
             "model": \(model), "training": {"batch_size": 8, "seed": 3}}
            """)
        let task = try #require(try TaskLoader.load(path: config, options: RunOptions(verbosity: .quiet)) as? TrainTask)
        let saved = task.savedModel(parameters: task.model.initialParameters())
        #expect(try saved.architecture.encoded(.singleLine) == expected)
        let file = try SavedModel(Checkpoint(state: TrainingState(parameterNames: saved.parameterNames, parameters: saved.parameters, seed: 3), metadata: saved.metadata), file: "m")
        let rebuilt = try file.makeModel(seed: 3)
        #expect(rebuilt.parameterNames == task.model.parameterNames && rebuilt.parameterShapes == task.model.parameterShapes)
        #expect(rebuilt.lossKind == task.model.lossKind)
        if let mlp = task.model as? MLP { #expect(rebuilt as? MLP == mlp) }
        if let sequential = task.model as? Sequential { #expect(rebuilt as? Sequential == sequential) }
    }

    @Test func aBinaryLogisticModelSavesOneOutputAndTwoLabels() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let rows = (0..<40).map { "\(Float($0 % 7) - 3),\(Float($0 % 5)),\($0 % 2)" }
        try directory.write("data.csv", "u,v,class\n" + rows.joined(separator: "\n") + "\n")
        let config = try directory.write("train.json", #"{"task": "train", "data": {"source": "csv", "path": "data.csv"}, "model": {"type": "logistic"}, "training": {"batch_size": 8}}"#)
        let task = try #require(try TaskLoader.load(path: config, options: RunOptions(verbosity: .quiet)) as? TrainTask)
        let saved = task.savedModel(parameters: task.model.initialParameters())
        #expect(saved.lossKind == .sigmoidCrossEntropy && saved.outputWidth == 1)
        #expect(saved.metadata["target.labels"] == "[0, 1]" && saved.metadata["target.name"] == "class")
        #expect(try saved.makeModel().parameterShapes == [[2, 1], [1]])
    }
}
