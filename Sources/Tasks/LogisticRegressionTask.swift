import Autograd
import ConfigKit
import Datasets
import JSON
import Optimizers
import Reports
import Storage

/// `"task": "logistic-regression"`: binary logistic regression trained on a tape, the lecture's
/// fourth example (digits 0 and 1).
///
/// Keys:
/// - `data`: `{"source": "digits" | "csv", "path": "…", "header": true, "label": …,
///   "classes": [0, 1], "standardize": "train_rows" | "all_rows" | "none", "test_fraction": 0.1}`,
///   the keys of a train config's `data` with the same meanings. `digits` reads the bundled digits
///   file (64 pixels then the label); `csv` reads a file with a `label` column (default: the
///   last), by name with a header or by index. `classes` picks two labels, classes 0 and 1 in that
///   order (required for data with more than two; else the two labels sorted). `train_rows` (the
///   default) fits the standardisation on the training rows only; `all_rows` on every row before
///   the split, as the lecture does. The split is in file order: the last `test_fraction` of the
///   rows (⌈fraction × rows⌉) are held out.
/// - `initializer`: `{"stddev": 0.05, "seed": 0}`: weights from N(0, stddev²), bias 0.
/// - `optimizer` (required), `steps` (required), `print_every` (10).
struct LogisticRegressionTask: RunnableTask {
    /// The initial weights' standard deviations a config may ask for: draws stay finite floats.
    static let standardDeviations: ClosedRange<Float> = 0...1_000_000

    let split: DatasetSplit
    let standardDeviation: Float
    let seed: UInt64
    let optimizer: OptimizerSpec
    let steps: Int
    let printEvery: Int
    let inputFiles: [AtomicFile.Input]
    let warnings: [String]

    init(reading root: inout ConfigObject, context: ConfigContext) throws {
        var dataPath = ""
        var warnings: [String] = []
        split = try root.object("data") { data -> DatasetSplit in
            try DataSection.refuseOldKeys(data)
            let format = try data.optional("source", as: String.self, default: "csv", .oneOf(["digits", "csv"]))
            let path = try context.existingFile(in: &data, key: "path")
            dataPath = path
            var dataset: Dataset
            if format == "digits" {
                dataset = try Dataset.digits(path: path)
            } else {
                let hasHeader = try DataSection.readHeader(&data)
                let label = try DataSection.readLabel(&data, hasHeader: hasHeader, context: context)
                let headerLooksLikeData: Bool
                (dataset, headerLooksLikeData) = try Dataset.loadCSVCheckingHeader(
                    path: path, hasHeader: hasHeader, labelColumn: label, labels: .classes,
                    classLimit: TrainTask.classCounts.upperBound)
                if headerLooksLikeData { warnings.append(DataSection.headerWarning(path: path)) }
            }
            let labels = (0..<(dataset.classCount ?? 0)).map(dataset.classLabel(of:))
            if let classes = try data.optional("classes", as: [ClassLabelSelection].self) {
                guard classes.count == 2, Set(classes.map(\.text)).count == 2 else {
                    throw context.error(in: data, key: "classes", "expected two different classes, found \(classes.map(\.text))")
                }
                let indices = try classes.map { label in
                    guard let index = labels.firstIndex(of: label.text) else {
                        throw context.error(in: data, key: "classes", "class \(label.text) does not occur in '\(path)', which has the classes \(labels.joined(separator: ", "))")
                    }
                    return index
                }
                dataset = dataset.keepingClasses(indices)
            } else if let count = dataset.classCount, count > 2 {
                throw context.error(in: data, key: "path", "'\(path)' has \(count) classes; add \"classes\": [a, b] to pick the two to separate")
            } else if let count = dataset.classCount, count < 2 {
                throw context.error(in: data, key: "path", "'\(path)' has only one class (\(labels.joined())); expected two to separate")
            }
            let standardization = try Standardization.read(&data, default: .trainRows, context: context)
            let testFraction = try DataSection.readTestFraction(&data, default: 0.1)
            let trainCount = dataset.count - TrainTask.heldOutCount(fraction: testFraction, of: dataset.count)
            // Checked before standardising on the training rows, which needs at least one.
            guard trainCount > 0 else {
                throw context.error(in: data, key: "test_fraction", "\(testFraction) leaves no training rows out of \(dataset.count); expected a fraction that leaves at least one")
            }
            if standardization == .allRows { dataset = dataset.standardized() }
            var split = dataset.split(trainCount: trainCount)
            if standardization == .trainRows { split = split.standardized().split }
            return split
        }
        self.warnings = warnings
        (standardDeviation, seed) = try root.optionalObject("initializer") { initializer in
            (try initializer.optional("stddev", as: Float.self, default: 0.05, .in(Self.standardDeviations)),
             UInt64(try initializer.optional("seed", as: Int.self, default: 0, .nonNegative)))
        } ?? (0.05, 0)
        inputFiles = [AtomicFile.Input(dataPath, role: "data file")]
        steps = try root.require("steps", as: Int.self, .in(TaskLoader.stepCounts))
        let totalSteps = steps
        optimizer = try root.object("optimizer") { try OptimizerSpec(reading: &$0, totalSteps: totalSteps) }
        printEvery = try root.optional("print_every", as: Int.self, default: 10, .positive)
    }

    func run(options: RunOptions, log: (String) -> Void) throws -> TaskReport {
        let (train, test) = (split.train, split.test)
        var random = RandomStream(seed: seed)
        let w = Variable(Tensor.randomNormal(shape: [train.featureCount, 1], standardDeviation: standardDeviation, using: &random), name: "w")
        let b = Variable(Tensor([0]), name: "b")
        let optimizer = optimizer.make()

        func logits(_ features: Tensor) -> Tensor { Tensor.matmul(features, w.value) + b.value }
        func accuracy(_ data: Dataset) -> Float {
            guard data.count > 0 else { return .nan }
            let predicted = withoutRecording { logits(data.features).sigmoid().rounded() }
            return Float(Tensor.equal(predicted, data.targets).trueCount) / Float(data.count)
        }

        var loss = Tensor(0)
        let start = ContinuousClock.now
        for step in 0..<steps {
            let tape = GradientTape()
            loss = tape.record {
                Losses.sigmoidCrossEntropy(logits: logits(train.features), labels: train.targets).mean()
            }
            optimizer.apply(tape.gradient(of: loss, withRespectTo: [w, b]), to: [w, b])
            if options.showsProgress && (step % printEvery == 0 || step == steps - 1) {
                log("Step \(step), Loss \(loss.scalar), train accuracy \(accuracy(train))")
            }
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        let (trainAccuracy, testAccuracy) = (accuracy(train), accuracy(test))
        log("loss \(loss.scalar), train accuracy \(trainAccuracy), test accuracy \(testAccuracy) (\(train.count) train, \(test.count) test rows)")
        var extra = JSONObject()
        extra["train_accuracy"] = .number(trainAccuracy)
        extra["test_accuracy"] = .number(testAccuracy)
        extra["train_examples"] = .number(train.count)
        extra["test_examples"] = .number(test.count)
        return TaskReport(
            task: "logistic-regression", steps: steps, finalLoss: loss.scalar,
            parameters: [("w", w.value.scalars), ("b", b.value.scalars)], wallSeconds: seconds, extra: extra
        ).failingIfDiverged()
    }
}

/// A class named in `classes`: an integer label (`3`) or a text label (`"cat"`), as it is
/// written in the data file.
struct ClassLabelSelection: ConfigValue {
    var text: String

    static var expectedDescription: String { "a class label (an integer or a string)" }
    static var pluralDescription: String { "class labels (integers or strings)" }

    static func decode(_ node: ConfigNode) throws -> ClassLabelSelection {
        if let text = node.value.stringValue { return ClassLabelSelection(text: text) }
        guard case .number = node.value.kind else { throw node.typeMismatch(expected: expectedDescription) }
        return ClassLabelSelection(text: String(try Int.decode(node)))
    }
}
