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
///   "classes": [0, 1], "test_fraction": 0.1, "split": "file_order" | "shuffled", "seed": 0,
///   "standardize": "train_rows" | "all_rows" | "none"}`, the keys of a train config's `data`
///   with the same meanings (``DataSection/split(_:reading:defaults:seed:rowName:context:)``).
///   `digits` reads the bundled digits file (64 pixels then the label); `csv` reads a file with a
///   `label` column (default: the last), by name with a header or by index. `classes` picks two
///   labels that occur in the file, classes 0 and 1 in that order (required for a file with
///   more than two; else the two it holds, sorted; the digits format names 0…9, but only the
///   labels with rows count). `train_rows` (the
///   default) fits the standardisation on the training rows only; `all_rows` on every row before
///   the split, as the lecture does. ⌈`test_fraction` × rows⌉ rows are held out: by default the
///   last ones in file order, as the lecture holds them out; with `"split": "shuffled"` those of
///   a permutation drawn from `seed` (0), the same rows `linear-regression` holds out for the
///   same file and seed.
/// - `initializer`: `{"stddev": 0.05, "seed": 0}`: weights from N(0, stddev²), bias 0.
/// - `optimizer` (required), `steps` (required), `print_every` (10).
package struct LogisticRegressionTask: RunnableTask {
    package var kind: String { "logistic-regression" }

    /// The initial weights' standard deviations a config may ask for: draws stay finite floats.
    static let standardDeviations: ClosedRange<Float> = 0...1_000_000

    /// The rows trained on and those held out, standardised as `standardize` says.
    package let split: DatasetSplit
    let standardDeviation: Float
    let seed: UInt64
    let optimizer: OptimizerSpec
    let steps: Int
    let printEvery: Int
    package let inputFiles: [AtomicFile.Input]
    package let warnings: [String]

    init(reading root: inout ConfigObject, context: ConfigContext, budget: MemoryBudget? = nil) throws {
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
                do {
                    (dataset, headerLooksLikeData) = try Dataset.loadCSVCheckingHeader(
                        path: path, hasHeader: hasHeader, labelColumn: label, labels: .classes,
                        classLimit: TrainTask.classCounts.upperBound, memory: try DataSection.csvMemory(budget))
                } catch let error as DatasetError {
                    throw DataSection.columnError(error, in: data, context: context, keys: label.map { [("label", $0)] } ?? [])
                }
                warnings += DataSection.headerWarnings(path: path, dataset: dataset, headerLooksLikeData: headerLooksLikeData, labelGiven: label != nil)
            }
            // The classes with rows: a csv file's are all it names, but the digits format
            // always names 0…9, whether or not the file holds each.
            let present = (dataset.classCounts ?? []).enumerated().filter { $0.element > 0 }.map(\.offset)
            let labels = present.map(dataset.classLabel(of:))
            if let classes = try data.optional("classes", as: [ClassLabelSelection].self) {
                guard classes.count == 2 else {
                    throw context.error(in: data, key: "classes", "expected two different classes, found \(TrainTask.classList(classes.map(\.text)))")
                }
                let indices = try classes.map { label in
                    guard let index = dataset.classIndex(ofLabel: label.text), present.contains(index) else {
                        throw context.error(in: data, key: "classes", "class \(TrainTask.shownLabel(label.text)) does not occur in '\(path)', which has the classes \(TrainTask.classList(labels))")
                    }
                    return index
                }
                guard indices[0] != indices[1] else {
                    let same = classes[0].text == classes[1].text ? "" : " (both are the class \(TrainTask.shownLabel(dataset.classLabel(of: indices[0]))))"
                    throw context.error(in: data, key: "classes", "expected two different classes, found \(TrainTask.classList(classes.map(\.text)))\(same)")
                }
                dataset = dataset.keepingClasses(indices)
            } else if present.count > 2 {
                throw context.error(in: data, key: "path", "'\(path)' has \(present.count) classes; add \"classes\": [a, b] to pick the two to separate")
            } else if present.count < 2 {
                throw context.error(in: data, key: "path", "'\(path)' has only one class (\(TrainTask.classList(labels))); expected two to separate")
            } else if present.count < dataset.classCount ?? 0 {
                dataset = dataset.keepingClasses(present)
            }
            // File order by default: the lecture held out the file's last 10 % of the rows.
            let seed = try DataSection.readSplitSeed(&data)
            return try DataSection.split(
                dataset, reading: &data, defaults: SplitDefaults(testFraction: 0.1, order: .fileOrder, standardization: .trainRows),
                seed: seed, context: context
            ).split
        }
        self.warnings = warnings
        (standardDeviation, seed) = try root.optionalObject("initializer") { initializer in
            (try initializer.optionalFloat("stddev", default: 0.05, in: Self.standardDeviations),
             UInt64(try initializer.optional("seed", as: Int.self, default: 0, .nonNegative)))
        } ?? (0.05, 0)
        inputFiles = [AtomicFile.Input(dataPath, role: "data file")]
        steps = try root.require("steps", as: Int.self, .in(TaskLoader.stepCounts))
        let totalSteps = steps
        optimizer = try root.object("optimizer") { try OptimizerSpec(reading: &$0, totalSteps: totalSteps) }
        printEvery = try root.optional("print_every", as: Int.self, default: 10, .positive)
    }

    package func run(options: RunOptions, log: (String) -> Void) throws -> TaskReport {
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

        // The mean loss on `data` at the current parameters: what a step minimises on the
        // training rows, and `train_loss` and `test_loss`.
        func meanLoss(_ data: Dataset) -> Tensor {
            Losses.sigmoidCrossEntropy(logits: logits(data.features), labels: data.targets).mean()
        }
        var loss = Tensor(0)
        let start = ContinuousClock.now
        for step in 0..<steps {
            let tape = GradientTape()
            loss = tape.record { meanLoss(train) }
            optimizer.apply(tape.gradient(of: loss, withRespectTo: [w, b]), to: [w, b])
            if options.showsProgress && (step % printEvery == 0 || step == steps - 1) {
                log("Step \(step), Loss \(loss.scalar), train accuracy \(accuracy(train))")
            }
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        let (trainAccuracy, testAccuracy) = (accuracy(train), accuracy(test))
        let lossText = steps > 0 ? "loss \(loss.scalar)" : "no step taken (steps is 0), loss \(withoutRecording { meanLoss(train) }.scalar)"
        let testText = test.count > 0 ? "test accuracy \(testAccuracy)" : "no test rows"
        log("\(lossText), train accuracy \(trainAccuracy), \(testText) (\(train.count) train, \(test.count) test rows)")
        var extra = JSONObject()
        let trainLoss = withoutRecording { meanLoss(train) }.scalar
        extra["train_loss"] = .number(trainLoss)
        extra["test_loss"] = test.count > 0 ? .number(withoutRecording { meanLoss(test) }.scalar) : .null
        extra["train_accuracy"] = .number(trainAccuracy)
        extra["test_accuracy"] = .number(testAccuracy)
        extra["train_examples"] = .number(train.count)
        extra["test_examples"] = .number(test.count)
        return TaskReport(
            task: "logistic-regression", steps: steps, finalLoss: steps > 0 ? loss.scalar : nil,
            parameters: [("w", w.value.scalars), ("b", b.value.scalars)], wallSeconds: seconds, extra: extra
        ).failingIfDiverged(startingLoss: trainLoss)
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
