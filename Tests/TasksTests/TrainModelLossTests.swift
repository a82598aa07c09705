import ConfigKit
import _TestSupport
import Foundation
import Testing
import SwiftGrad
import Tasks

/// A train model's loss: softmax regression (`"type": "softmax"`) with two logits on binary
/// data beside logistic regression's one sigmoid output, the `loss` key, and regression with an
/// MLP whose target is standardised on the training split and reported on its own scale.
@Suite struct TrainModelLossTests {
    /// 200 rows of two features, class 1 where a + b > 0: separable, so a linear model learns it.
    static let binaryCSV: String = {
        var text = "a,b,label\n"
        var random = RandomStream(seed: 11)
        for _ in 0..<200 {
            let (a, b) = (Float.random(in: -2...2, using: &random), Float.random(in: -2...2, using: &random))
            text += "\(a),\(b),\(a + b > 0 ? 1 : 0)\n"
        }
        return text
    }()

    /// 300 rows of y = 1000 + 300a − 200b² + a little noise: a target far from 0 and not linear.
    static let regressionCSV: String = {
        var text = "a,b,y\n"
        var random = RandomStream(seed: 12)
        for _ in 0..<300 {
            let (a, b) = (Float.random(in: -2...2, using: &random), Float.random(in: -2...2, using: &random))
            let noise = Float.random(in: -1...1, using: &random)
            text += "\(a),\(b),\(1000 + 300 * a - 200 * b * b + noise)\n"
        }
        return text
    }()

    private static func config(file: String, kind: String = "classes", model: String, epochs: Int = 40, rate: Double = 0.05) -> String {
        """
        {"task": "train", "data": {"source": "csv", "path": "\(file)", "kind": "\(kind)"},
         "model": \(model), "optimizer": {"name": "adam", "learning_rate": \(rate)},
         "training": {"epochs": \(epochs), "batch_size": 32, "seed": 3}}
        """
    }

    /// Loads a config beside the two data files and returns its train task.
    private func load(_ text: String) throws -> TrainTask {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("binary.csv", Self.binaryCSV)
        try directory.write("values.csv", Self.regressionCSV)
        // The same rows with targets near 10³⁰, whose squares no Float holds.
        let huge = Self.regressionCSV.split(separator: "\n").enumerated().map { index, line in
            index == 0 ? String(line) : line.split(separator: ",").dropLast().joined(separator: ",") + ",\(Double(index) * 1e30)"
        }
        try directory.write("huge.csv", huge.joined(separator: "\n") + "\n")
        let path = try directory.write("train.json", text)
        return try #require(try TaskLoader.load(path: path, options: RunOptions(verbosity: .quiet)) as? TrainTask)
    }

    /// The error loading a config beside the data files throws.
    private func loadError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let (message, _, _) = try loadConfigError(
            text.components(separatedBy: "\n"), name: "train.json",
            files: ["binary.csv": Self.binaryCSV, "values.csv": Self.regressionCSV], sourceLocation: sourceLocation)
        return message
    }

    /// The run's report, and its parameters as tensors of the model's shapes.
    private func train(_ task: TrainTask) throws -> (report: [String: Any], parameters: [Tensor]) {
        let report = try task.run(options: RunOptions(verbosity: .quiet)) { _ in }
        let parameters = zip(report.parameters, task.model.parameterShapes).map { Tensor(shape: $1, scalars: $0.values) }
        return (try writtenReport(report).object, parameters)
    }

    // MARK: Softmax regression

    @Test func softmaxHasOneLogitPerClassAndLogisticOneSigmoidOutputOnBinaryData() throws {
        let softmax = try load(Self.config(file: "binary.csv", model: #"{"type": "softmax"}"#))
        #expect(softmax.model.lossKind == .softmaxCrossEntropy)
        #expect(softmax.model.parameterShapes == [[2, 2], [2]])
        let logistic = try load(Self.config(file: "binary.csv", model: #"{"type": "logistic"}"#))
        #expect(logistic.model.lossKind == .sigmoidCrossEntropy)
        #expect(logistic.model.parameterShapes == [[2, 1], [1]])
        // The loss key picks the same model by another spelling: the same trained bits.
        let spelled = try load(Self.config(file: "binary.csv", model: #"{"type": "logistic", "loss": "softmax_cross_entropy"}"#))
        #expect(spelled.model.parameterShapes == [[2, 2], [2]])
        let (a, b) = (try train(softmax).report, try train(spelled).report)
        #expect(try parameterDigest(a) == parameterDigest(b))
    }

    /// Two-class softmax cross-entropy is the sigmoid cross-entropy of the logits' difference,
    /// and its gradient matches finite differences.
    @Test func theTwoClassSoftmaxLossIsTheSigmoidLossOfTheLogitDifference() throws {
        let logits = Tensor(shape: [4, 2], scalars: [0.5, -1, 2, 0.25, -0.75, -0.5, 3, 1])
        let labels = [1, 0, 1, 0]
        let softmax = LossKind.softmaxCrossEntropy.meanLoss(logits, targets: .classes(labels))
        let difference = Tensor(shape: [4, 1], scalars: (0..<4).map { logits.scalars[2 * $0 + 1] - logits.scalars[2 * $0] })
        let sigmoid = LossKind.sigmoidCrossEntropy.meanLoss(difference, targets: .values(Tensor(shape: [4, 1], scalars: labels.map(Float.init))))
        assertClose(softmax.scalar, sigmoid.scalar, rtol: 1e-6, atol: 1e-7)
        checkGradient("two-class softmax cross-entropy", of: { LossKind.softmaxCrossEntropy.meanLoss($0[0], targets: .classes(labels)) }, at: [logits])
    }

    @Test func aTwoClassSoftmaxTrainsAndPredictsTwoProbabilities() throws {
        let task = try load(Self.config(file: "binary.csv", model: #"{"type": "softmax"}"#))
        let initial = withoutRecording {
            task.model.loss(task.model(task.data.train.features, parameters: task.model.initialParameters()),
                            targets: .classes(task.data.train.classLabels!)).scalar
        }
        let (report, parameters) = try train(task)
        let trainLoss = try #require(report["train_loss"] as? Double)
        #expect(trainLoss < Double(initial) / 2, "train loss \(trainLoss), initially \(initial)")
        #expect(try #require(report["test_accuracy"] as? Double) >= 0.95)
        let saved = task.savedModel(parameters: parameters)
        let test = task.data.test
        guard case .classes(let predicted, let probabilities) = try saved.prediction(
            fromOutput: task.model(test.features, parameters: parameters)) else {
            Issue.record("a classifier predicted values")
            return
        }
        #expect(probabilities.shape == [test.count, 2])
        let correct = zip(predicted, test.classLabels!).count { $0 == $1 }
        #expect(Double(correct) / Double(test.count) >= 0.95)
    }

    // MARK: The loss key

    @Test func aLossThatDoesNotFitTheDataOrTheTypeIsNamed() throws {
        let sigmoidOnValues = try loadError(Self.config(file: "values.csv", kind: "regression", model: #"{"type": "mlp", "hidden_layers": [4], "loss": "sigmoid_cross_entropy"}"#))
        #expect(sigmoidOnValues.contains("key path 'model.loss': 'sigmoid_cross_entropy' needs classes"))
        let errorOnClasses = try loadError(Self.config(file: "binary.csv", model: #"{"type": "mlp", "hidden_layers": [4], "loss": "mean_squared_error"}"#))
        #expect(errorOnClasses.contains(#"key path 'model.loss': 'mean_squared_error' fits real values but the data"#))
        #expect(errorOnClasses.contains(#"expected "softmax_cross_entropy" or "sigmoid_cross_entropy", or "kind": "regression" in data"#))
        let sigmoidOnSoftmax = try loadError(Self.config(file: "binary.csv", model: #"{"type": "softmax", "loss": "sigmoid_cross_entropy"}"#))
        #expect(sigmoidOnSoftmax.contains(#"a 'softmax' model gives one logit per class; expected "type": "logistic" for one sigmoid output"#))
        let softmaxOnValues = try loadError(Self.config(file: "values.csv", kind: "regression", model: #"{"type": "softmax"}"#))
        #expect(softmaxOnValues.contains("key path 'model.type': a 'softmax' model classifies"))
        let standardizedClasses = try loadError(Self.config(file: "binary.csv", model: #"{"type": "mlp", "hidden_layers": [4], "standardize_target": true}"#))
        #expect(standardizedClasses.contains("key path 'model.standardize_target': the data"))
        let misspelt = try loadError(Self.config(file: "binary.csv", model: #"{"type": "softmax", "loss": "softmax_crossentropy"}"#))
        #expect(misspelt.contains(#"did you mean "softmax_cross_entropy"?"#))
    }

    // MARK: Regression

    @Test func anMLPRegressesOnAStandardisedTargetAndReportsOnTheOriginalScale() throws {
        let task = try load(Self.config(
            file: "values.csv", kind: "regression", model: #"{"type": "mlp", "hidden_layers": [16], "standardize_target": true}"#,
            epochs: 60, rate: 0.01))
        #expect(task.model.lossKind == .meanSquaredError)
        // Fitted on the training rows only: the plain split's training targets.
        let plain = try load(Self.config(file: "values.csv", kind: "regression", model: #"{"type": "mlp", "hidden_layers": [16]}"#))
        #expect(plain.targetStandardizer == nil)
        let trainTargets = plain.data.train.targets.scalars.map(Double.init)
        let standardizer = try #require(task.targetStandardizer)
        #expect(isClose(standardizer.mean[0], trainTargets.reduce(0, +) / Double(trainTargets.count), rtol: 1e-12, atol: 0))
        #expect(abs(task.data.train.targets.scalars.map(Double.init).reduce(0, +)) < 1e-3 * Double(trainTargets.count))

        let (report, parameters) = try train(task)
        for key in ["train_mse", "train_mae", "train_r2", "test_mse", "test_mae", "test_r2", "train_loss", "test_loss"] {
            #expect(report[key] is Double, "\(key)")
        }
        #expect(try #require(report["test_r2"] as? Double) > 0.95)
        // The figures are those of the saved model's predictions, on the original scale.
        let saved = task.savedModel(parameters: parameters)
        #expect(saved.target == .regression(standardizer: standardizer))
        let test = task.data.test
        guard case .values(let values) = try saved.prediction(fromOutput: task.model(test.features, parameters: parameters)) else {
            Issue.record("a regression predicted classes")
            return
        }
        let truths = plain.data.test.targets.scalars.map(Double.init)
        let predictions = values.scalars.map(Double.init)
        let mse = zip(predictions, truths).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(truths.count)
        let reported = try #require(report["test_mse"] as? Double)
        // The report's pass runs on every core, whose sums may round differently.
        #expect(isClose(reported, mse, rtol: 1e-6, atol: 0), "report \(reported), predictions \(mse)")
        // About 730 on average (1000 − 200 · E[b²]): far from the standardised scale's 0.
        let meanPrediction = predictions.reduce(0, +) / Double(predictions.count)
        let meanTruth = truths.reduce(0, +) / Double(truths.count)
        #expect(meanTruth > 500 && abs(meanPrediction - meanTruth) < 50, "predictions centred on \(meanPrediction), targets on \(meanTruth)")
    }

    /// A `linear` model on class labels regresses the class numbers: its report gives MSE, MAE
    /// and R², and its saved model predicts values, which eval and predict read.
    @Test func aLinearModelOnClassesRegressesTheClassNumbers() throws {
        let task = try load(Self.config(file: "binary.csv", model: #"{"type": "linear"}"#, epochs: 5))
        #expect(task.model.lossKind == .meanSquaredError)
        let (report, parameters) = try train(task)
        #expect(report["train_mse"] is Double && report["train_accuracy"] == nil, "\(report.keys.sorted())")
        let saved = task.savedModel(parameters: parameters)
        #expect(saved.target == .regression(standardizer: nil))
        guard case .values(let values) = try saved.prediction(fromOutput: task.model(task.data.test.features, parameters: parameters)) else {
            Issue.record("a linear model's saved model predicted classes")
            return
        }
        #expect(values.shape == [task.data.test.count, 1])
    }

    @Test func targetsWhoseSquaresOverflowWarnUnlessStandardised() throws {
        let raw = try load(Self.config(file: "huge.csv", kind: "regression", model: #"{"type": "linear"}"#))
        #expect(raw.warnings.count == 1 && raw.warnings[0].contains("whose squared errors come within a factor of 100 of a 32-bit float's range"), "\(raw.warnings)")
        #expect(raw.warnings.first?.hasSuffix(#"set "standardize_target": true in model to learn them on a standard scale"#) == true)
        #expect(try load(Self.config(file: "huge.csv", kind: "regression", model: #"{"type": "linear", "standardize_target": true}"#)).warnings.isEmpty)
        #expect(try load(Self.config(file: "huge.csv", kind: "regression", model: #"{"type": "linear", "loss": "mean_absolute_error"}"#)).warnings.isEmpty)
        #expect(try load(Self.config(file: "values.csv", kind: "regression", model: #"{"type": "linear"}"#)).warnings.isEmpty)
    }

    @Test func regressionFiguresOnTheOriginalScaleDoNotOverflowAFloat() {
        // Targets near Float's largest value: a standardised prediction of 1.2 is 3.6e38 on the
        // original scale, past Float's range, while its error is finite in Double.
        let standardizer = Standardizer(mean: [0], scale: [3e38])
        let metrics = RegressionMetrics(
            output: Tensor(shape: [2, 1], scalars: [1.2, -1.2]), targets: Tensor(shape: [2, 1], scalars: [1, -1]),
            standardizer: standardizer)
        let error = Double(Float(1.2)) - 1
        #expect(isClose(metrics.meanSquaredError, error * error * 9e76, rtol: 1e-12, atol: 0), "\(metrics)")
        #expect(isClose(metrics.meanAbsoluteError, error * 3e38, rtol: 1e-12, atol: 0), "\(metrics)")
        #expect(metrics.rSquared.map { isClose($0, 1 - error * error, rtol: 1e-12, atol: 0) } == true, "\(metrics)")
    }

    @Test func meanAbsoluteErrorTrainsARegression() throws {
        let task = try load(Self.config(
            file: "values.csv", kind: "regression", model: #"{"type": "linear", "loss": "mean_absolute_error", "standardize_target": true}"#,
            epochs: 20, rate: 0.05))
        #expect(task.model.lossKind == .meanAbsoluteError)
        let (report, _) = try train(task)
        // A line explains most of the variance of 300a − 200b².
        #expect(try #require(report["train_r2"] as? Double) > 0.5)
    }
}
