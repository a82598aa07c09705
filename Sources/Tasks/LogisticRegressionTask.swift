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
/// - `data`: `{"path": "…", "format": "digits" | "csv", "classes": [0, 1], "label": …,
///   "standardize": "all_rows" | "train_rows" | "none", "train_fraction": 0.9}`.
///   `digits` reads the bundled digits file (64 pixels then the label); `csv` reads a file with a
///   header and a `label` column (default: the last). `classes` picks two classes, labelled 0 and
///   1 in that order (required for data with more than two). `all_rows` standardises before
///   splitting, as the lecture does; `train_rows` fits on the training rows only. The split is in
///   file order: the first `train_fraction` of the rows train.
/// - `initializer`: `{"stddev": 0.05, "seed": 0}`: weights from N(0, stddev²), bias 0.
/// - `optimizer` (required), `steps` (required), `print_every` (10).
struct LogisticRegressionTask: RunnableTask {
    static let standardizations = ["all_rows", "train_rows", "none"]
    /// The initial weights' standard deviations a config may ask for: draws stay finite floats.
    static let standardDeviations: ClosedRange<Float> = 0...1_000_000

    let split: DatasetSplit
    let standardDeviation: Float
    let seed: UInt64
    let optimizer: OptimizerSpec
    let steps: Int
    let printEvery: Int
    let inputFiles: [AtomicFile.Input]

    init(reading root: inout ConfigObject, context: ConfigContext) throws {
        var dataPath = ""
        split = try root.object("data") { data -> DatasetSplit in
            let path = try context.existingFile(in: &data, key: "path")
            dataPath = path
            let format = try data.optional("format", as: String.self, default: "csv", .oneOf(["digits", "csv"]))
            var dataset: Dataset
            if format == "digits" {
                dataset = try Dataset.digits(path: path)
            } else {
                let label = try data.optional("label", as: String.self, .nonEmpty)
                dataset = try Dataset.loadCSV(
                    path: path, hasHeader: true, labelColumn: label.map { .name($0) }, labels: .classes,
                    classLimit: TrainTask.classCounts.upperBound)
            }
            if let classes = try data.optional("classes", as: [Int].self) {
                guard classes.count == 2, Set(classes).count == 2 else {
                    throw context.error(in: data, key: "classes", "expected two different classes, found \(classes)")
                }
                let present = Set(dataset.classLabels ?? [])
                for label in classes where !present.contains(label) {
                    let found = present.sorted().map(String.init).joined(separator: ", ")
                    throw context.error(in: data, key: "classes", "class \(label) does not occur in '\(path)', which has the classes \(found)")
                }
                dataset = dataset.keepingClasses(classes)
            } else if let count = dataset.classCount, count > 2 {
                throw context.error(in: data, key: "path", "'\(path)' has \(count) classes; add \"classes\": [a, b] to pick the two to separate")
            }
            let standardize = try data.optional("standardize", as: String.self, default: "all_rows", .oneOf(Self.standardizations))
            let fraction = try data.optional("train_fraction", as: Double.self, default: 0.9, .in(0...1))
            // Checked before standardising on the training rows, which needs at least one.
            guard dataset.trainCount(fraction: fraction) > 0 else {
                throw context.error(in: data, key: "train_fraction", "\(fraction) leaves no training rows out of \(dataset.count); expected a fraction that leaves at least one")
            }
            if standardize == "all_rows" { dataset = dataset.standardized() }
            var split = dataset.split(trainFraction: fraction)
            if standardize == "train_rows" { split = split.standardized().split }
            return split
        }
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
        log("loss \(loss.scalar), train accuracy \(trainAccuracy), test accuracy \(testAccuracy) (\(train.count) train, \(test.count) test rows)")
        var extra = JSONObject()
        extra["train_loss"] = .number(withoutRecording { meanLoss(train) }.scalar)
        extra["test_loss"] = test.count > 0 ? .number(withoutRecording { meanLoss(test) }.scalar) : .null
        extra["train_accuracy"] = .number(trainAccuracy)
        extra["test_accuracy"] = .number(testAccuracy)
        extra["train_examples"] = .number(train.count)
        extra["test_examples"] = .number(test.count)
        return TaskReport(
            task: "logistic-regression", steps: steps, finalLoss: steps > 0 ? loss.scalar : nil,
            parameters: [("w", w.value.scalars), ("b", b.value.scalars)], wallSeconds: seconds, extra: extra
        ).failingIfDiverged()
    }
}
