import Autograd
import ConfigKit
import DataParallel
import Datasets
import Foundation
import JSON
import Models
import Reports
import Storage
import Training

/// `swiftgrad eval CONFIG --checkpoint PATH`: a saved model measured on its train config's data.
///
/// The config's data are loaded and split as for training, with the seed the checkpoint was
/// trained with (and its planned epochs, which the config hash covers), so the test split is
/// the one training held out. The checkpoint must fit: the same config hash and data checksum
/// as a resume would require, and the model's parameter names and shapes. Both splits are then
/// passed through the model once, with no tape and every core, its matrix products in the
/// precision the checkpoint was trained in (or the one asked for), and measured as the trainer's
/// evaluation does (loss, accuracy); classifiers add a confusion matrix, regressions the mean
/// squared and absolute errors and R² on the targets' original scale.
package struct CheckpointEvaluation: Sendable {
    /// Which parameters a checkpoint's model holds.
    package enum Parameters: Sendable, Equatable {
        /// Those of the run's last optimizer step.
        case lastStep
        /// Those of its best evaluation, restored by early stopping; `epoch` is that
        /// evaluation's epoch, `nil` when the checkpoint does not record it.
        case restoredBest(epoch: Int?)
    }

    /// The figures of one split.
    package struct Split: Sendable {
        /// `train` or `test`.
        package var name: String
        package var examples: Int
        /// The model's loss, as the trainer's evaluation computes it.
        package var loss: Float
        /// The fraction classified correctly; `nil` for regression.
        package var accuracy: Float?
        /// Classes: `confusion[true][predicted]` counts examples.
        package var confusion: [[Int]]?
        /// Regression, on the targets' original scale: mean of (prediction − target)².
        package var meanSquaredError: Double?
        /// Regression: mean of |prediction − target|.
        package var meanAbsoluteError: Double?
        /// Regression: 1 − Σ(prediction − target)² / Σ(target − mean target)²; `nil` when the
        /// targets are all equal, where it is undefined.
        package var rSquared: Double?
        /// Regression: the targets and predictions, for the plot.
        package var targets: [Double] = []
        package var predictions: [Double] = []
    }

    /// The config, as given.
    package let config: String
    /// The checkpoint, as given.
    package let checkpoint: String
    /// The class labels, in class order; `nil` for regression.
    package let labels: [String]?
    package let lossKind: LossKind
    /// What the matrix products computed from.
    package let precision: MatrixPrecision
    /// Epochs and optimizer steps the checkpoint had trained.
    package let epoch: Int
    package let steps: Int
    /// Whether early stopping restored the model's parameters from its best evaluation.
    package let parameters: Parameters
    package let dataDescription: String
    package let train: Split
    /// `nil` when the config holds no test split out.
    package let test: Split?

    /// Loads the config's data and the checkpoint, checks that they fit, and evaluates.
    ///
    /// The checkpoint is read first, refused when reading it would need more memory than the
    /// budget allows; the data and the model are then estimated as for a training run, with
    /// what the checkpoint holds no longer free under a process limit.
    ///
    /// - Parameters:
    ///   - precision: what the matrix products compute from; `nil` (the default) for the
    ///     precision the checkpoint was trained in (``/Training/TrainingState/precision``).
    ///   - budget: the memory the evaluation may take; `nil` (the default) for
    ///     ``MemoryBudget/current(environment:process:)`` at each estimate.
    ///
    /// - Throws: `ConfigError` for a config that is not a valid train config, ``CheckpointError``
    ///   (naming the file) for an unreadable checkpoint, one that would not fit in memory or one
    ///   that does not fit the config, `DatasetError` for bad data, `MemoryBudgetError` for data
    ///   and a model larger than the budget.
    package static func run(
        config: String, checkpoint path: String, precision: MatrixPrecision? = nil, budget: MemoryBudget? = nil
    ) throws -> CheckpointEvaluation {
        let document = try ConfigDocument.load(path: config)
        if let task = document.root.objectValue?.member("task"), let kind = task.value.stringValue, kind != "train" {
            throw ConfigError(
                .invalidValue, file: config, position: task.value.position, keyPath: ConfigKeyPath([.key("task")]),
                message: "eval evaluates the model of a \"train\" config, found '\(kind)'")
        }
        let checkpoint = try Checkpoint.read(from: path, memory: (budget ?? MemoryBudget.current()).allowance)
        // The split depends on the seed, and the config hash on the planned epochs: take both
        // from the checkpoint, which may have been trained with --seed or --epochs.
        // A config whose training.steps sets the run's length works its epochs out itself.
        let stepsGiven = document.root.objectValue?["training"]?.objectValue?.member("steps") != nil
        var epochs: Int?
        if !stepsGiven, let text = checkpoint.metadata["training.epochs"] {
            // Refused here, as the checkpoint's: as an override, the config would be blamed.
            guard let count = Int(text), TrainingOptions.epochCounts.contains(count) else {
                let range = TrainingOptions.epochCounts
                throw CheckpointError(file: path, "metadata key 'training.epochs' is '\(quoted(text))'; expected the epochs the run trained, a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            epochs = count
        }
        let options = RunOptions(epochs: epochs, seed: checkpoint.state.seed, verbosity: .quiet, memoryBudget: budget)
        guard let task = try TaskLoader.load(path: config, options: options) as? TrainTask else {
            throw ConfigError(.invalidValue, file: config, position: nil, keyPath: ConfigKeyPath([.key("task")]), message: "eval needs a \"train\" config")
        }
        try task.checkCompatible(checkpoint, path: path, resuming: false)
        var saved = task.savedModel(parameters: checkpoint.state.parameters)
        saved.source = path
        let parameters = try saved.parameters(for: task.model)

        // An inference pass over every core, the same bits as one pass over the whole split.
        let precision = precision ?? checkpoint.state.precision
        let inference = ParallelInference(precision: precision)
        func evaluate(_ dataset: Dataset, name: String) throws -> Split {
            let model = task.model
            let output = inference.outputs(of: model, parameters: parameters, inputs: dataset.features)
            // A loss and accuracy of NaNs would read as a result; predict refuses these rows too.
            if let (index, value) = output.firstNonFiniteElement {
                let width = Swift.max(output.shape.last ?? 1, 1)
                throw CheckpointError(
                    file: path,
                    "the model's output for example \(index / width + 1) of the \(name) split is \(value.isNaN ? "NaN" : "\(value)"), not a finite number: the model's Float32 arithmetic overflows on it (its features after standardising, or the parameters, are too large)")
            }
            let targets: Targets = model.lossKind == .softmaxCrossEntropy && dataset.classLabels != nil
                ? .classes(dataset.classLabels!) : .values(dataset.targets)
            var split = Split(
                name: name, examples: dataset.count, loss: withoutRecording { model.loss(output, targets: targets).scalar },
                accuracy: model.lossKind.accuracy(output, targets: targets))
            switch try saved.prediction(fromOutput: output) {
            case .classes(let predicted, _):
                let classes = saved.classCount ?? 0
                guard classes <= confusionClassLimit else { break }
                var counts = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
                for (truth, guess) in zip(dataset.classLabels ?? [], predicted) where truth < classes && guess < classes {
                    counts[truth][guess] += 1
                }
                split.confusion = counts
            case .values:
                // In Double on the original scale, as the train report's figures.
                let truths = RegressionMetrics.originalValues(of: dataset.targets, standardizer: task.targetStandardizer)
                let guesses = RegressionMetrics.originalValues(of: output, standardizer: task.targetStandardizer)
                let metrics = RegressionMetrics(predictions: guesses, targets: truths)
                split.meanSquaredError = metrics.meanSquaredError
                split.meanAbsoluteError = metrics.meanAbsoluteError
                split.rSquared = metrics.rSquared
                split.targets = truths
                split.predictions = guesses
            }
            return split
        }
        let labels: [String]? = if case .classes(let labels) = saved.target { labels } else { nil }
        return CheckpointEvaluation(
            config: config, checkpoint: path, labels: labels, lossKind: saved.lossKind, precision: precision, epoch: checkpoint.state.epoch,
            steps: checkpoint.state.optimizerStep,
            parameters: checkpoint.metadata[TrainTask.restoredBestKey] == "true" ? .restoredBest(epoch: checkpoint.state.bestEpoch) : .lastStep,
            dataDescription: task.dataDescription,
            train: try evaluate(task.data.train, name: "train"),
            test: task.data.test.count > 0 ? try evaluate(task.data.test, name: "test") : nil)
    }

    /// The most classes a confusion matrix is made for. Its counts grow as the square of the
    /// classes (a model of 100 000 classes would need 80 GB for them) and a table or heat map of
    /// more is unreadable; above it the evaluation gives loss and accuracy alone.
    package static let confusionClassLimit = 100

    /// The split the confusion matrix and the plot show: the test split, else the training one.
    package var shown: Split { test ?? train }

    // MARK: Output

    /// What `swiftgrad eval` prints.
    package var lines: [String] {
        var position = "\(epoch) epoch\(epoch == 1 ? "" : "s"), \(steps) step\(steps == 1 ? "" : "s")"
        if case .restoredBest(let bestEpoch) = parameters {
            position += "; the parameters of its best evaluation\(bestEpoch.map { ", epoch \($0)" } ?? ""), restored by early stopping"
        }
        var lines = ["eval: \(checkpoint) (\(position)) on \(dataDescription): \(train.examples) train, \(test?.examples ?? 0) test examples, \(precision.rawValue) products"]
        for split in [train, test].compactMap({ $0 }) {
            var line = "\(split.name): loss \(Self.format(split.loss))"
            if let accuracy = split.accuracy { line += ", accuracy \(Self.format(accuracy))" }
            if let mse = split.meanSquaredError, let mae = split.meanAbsoluteError {
                line += ", MSE \(Self.format(mse)), MAE \(Self.format(mae)), R² \(split.rSquared.map { Self.format($0) } ?? "undefined (the targets are all equal)")"
            }
            lines.append(line)
        }
        if let confusion = shown.confusion, let labels {
            lines.append("confusion matrix of the \(shown.name) split (rows: true label, columns: predicted label):")
            lines += Self.table(confusion, labels: labels)
        } else if let labels, labels.count > Self.confusionClassLimit {
            lines.append("no confusion matrix: the model has \(labels.count) classes, more than the \(Self.confusionClassLimit) one is made for")
        }
        return lines
    }

    /// The counts as an aligned table, the true labels down the left, the predicted ones
    /// across, each label as ``TrainTask/shownLabel(_:)`` shows it.
    static func table(_ counts: [[Int]], labels rawLabels: [String]) -> [String] {
        let labels = rawLabels.map(TrainTask.shownLabel)
        let corner = "true \\ predicted"
        let width = ([1] + labels.map(\.count) + counts.joined().map { String($0).count }).max()!
        let first = Swift.max(corner.count, labels.map(\.count).max() ?? 0)
        func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: Swift.max(0, width - text.count)) + text }
        var lines = [pad(corner, first) + labels.map { "  " + pad($0, width) }.joined()]
        for (label, row) in zip(labels, counts) {
            lines.append(pad(label, first) + row.map { "  " + pad(String($0), width) }.joined())
        }
        return lines
    }

    private static func format(_ value: Float) -> String { format(Double(value)) }
    private static func format(_ value: Double) -> String { formatted(value, "%.6g") }

    /// The report `swiftgrad eval --report` writes.
    package var json: JSONValue {
        func object(_ split: Split) -> JSONValue {
            var entry = JSONObject()
            entry["examples"] = .number(split.examples)
            entry["loss"] = .number(split.loss)
            if let accuracy = split.accuracy { entry["accuracy"] = .number(accuracy) }
            if let confusion = split.confusion { entry["confusion_matrix"] = .array(confusion.map { JSONValue($0) }) }
            if let mse = split.meanSquaredError { entry["mse"] = .number(mse) }
            if let mae = split.meanAbsoluteError { entry["mae"] = .number(mae) }
            if split.meanSquaredError != nil { entry["r2"] = split.rSquared.map { .number($0) } ?? .null }
            return .object(entry)
        }
        var report = JSONObject()
        report["task"] = "eval"
        report["config"] = .string(config)
        report["checkpoint"] = .string(checkpoint)
        report["epoch"] = .number(epoch)
        report["steps"] = .number(steps)
        if case .restoredBest(let bestEpoch) = parameters { report["restored_best_epoch"] = bestEpoch.map { .number($0) } ?? .null }
        report["loss_kind"] = .string(lossKind.rawValue)
        report["precision"] = .string(precision.rawValue)
        if let labels { report["labels"] = .array(labels.map(SavedModel.json(label:))) }
        report["train"] = object(train)
        report["test"] = test.map(object) ?? .null
        return .object(report)
    }

    /// Writes the JSON report atomically.
    package func writeReport(to path: String) throws {
        try json.write(to: path, nonFinite: .writeNull)
    }

    /// Refuses a figure of a classifier without a confusion matrix (more classes than
    /// ``confusionClassLimit``).
    package func checkPlottable() throws {
        if shown.confusion == nil, let labels {
            throw FileError("cannot draw --plot: the model has \(labels.count) classes, more than the \(Self.confusionClassLimit) a confusion matrix is made for")
        }
    }

    /// Writes the SVG figure of ``shown``: its confusion matrix as a heat map, or for regression
    /// the predictions against the targets with the line where they are equal.
    package func writePlot(to path: String) throws {
        let split = shown
        if let confusion = split.confusion, let labels {
            let map = SVGHeatMap(
                counts: confusion, rowLabels: labels, columnLabels: labels,
                title: "Confusion matrix, \(split.name) split (\(split.examples) example\(split.examples == 1 ? "" : "s"))", rowTitle: "true", columnTitle: "predicted")
            try map.write(to: path)
            return
        }
        try checkPlottable()
        var plot = SVGPlot(title: "Predictions, \(split.name) split (\(split.examples) example\(split.examples == 1 ? "" : "s"))", xLabel: "true", yLabel: "predicted")
        plot.scatter(x: split.targets, y: split.predictions, label: "examples")
        let finite = (split.targets + split.predictions).filter(\.isFinite)
        if let low = finite.min(), let high = finite.max() {
            plot.line(x: [low, high], y: [low, high], label: "predicted = true")
        }
        try plot.write(to: path)
    }
}
