import Autograd
import Datasets
import Foundation
import Models
import Testing
import _TestSupport
import Training

/// A saved model's description round-trips through a checkpoint file, is read strictly (a
/// missing or malformed key names the file and the key), and predicts as the model's own
/// forward pass does.
@Suite struct SavedModelTests {
    private static let model = MLP(layerSizes: [3, 5, 4], hiddenActivation: .tanh, seed: 6)

    /// The metadata `swiftgrad run` writes for a 3-feature, 4-class MLP, as strings.
    private static let metadata: [String: String] = [
        "model": #"{"type": "mlp", "hidden_layers": [5], "activation": "tanh", "input_size": 3, "output_size": 4}"#,
        "model.loss": "softmaxCrossEntropy",
        "features": #"["a", "b", "c"]"#,
        "features.standardized": "true",
        "standardizer.mean": "1.5,-2.0,0.25",
        "standardizer.scale": "2.0,0.5,1.0",
        "target.kind": "classes",
        "target.name": "label",
        "target.labels": "[0, 1, 2, 3]",
        "target.standardized": "false",
    ]

    private func checkpoint(_ metadata: [String: String] = metadata, model: MLP = model) -> Checkpoint {
        let state = TrainingState(parameterNames: model.parameterNames, parameters: model.initialParameters(), seed: 0)
        return Checkpoint(state: state, metadata: metadata)
    }

    @Test func aDescriptionSurvivesTheFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/model.safetensors"
        try checkpoint().write(to: path)
        let saved = try SavedModel.read(from: path)
        #expect(saved.featureNames == ["a", "b", "c"])
        #expect(saved.featureStandardizer == Standardizer(mean: [1.5, -2, 0.25], scale: [2, 0.5, 1]))
        #expect(saved.target == .classes(labels: ["0", "1", "2", "3"]))
        #expect(saved.targetName == "label")
        #expect(saved.lossKind == .softmaxCrossEntropy)
        #expect(saved.outputWidth == 4)
        #expect(saved.architecture.objectValue?["type"]?.stringValue == "mlp")
        #expect(saved.source == path)
        // Written back, the description reads back the same.
        let again = try SavedModel(checkpoint(saved.metadata), file: "again")
        #expect(again.featureNames == saved.featureNames && again.target == saved.target && again.architecture == saved.architecture)
        #expect(again.featureStandardizer == saved.featureStandardizer && again.targetName == saved.targetName)
        #expect(saved.metadata["target.labels"] == "[0, 1, 2, 3]")
    }

    @Test func aCheckpointWithoutTheModelsDescriptionNamesTheFileAndTheKey() throws {
        var metadata = Self.metadata
        metadata["model"] = nil
        let error = try #require(throws: CheckpointError.self) { try SavedModel(checkpoint(metadata), file: "runs/x/step-000000007.safetensors") }
        #expect(error.file == "runs/x/step-000000007.safetensors")
        #expect(error.description.contains("metadata key 'model' is missing"), "\(error)")
        #expect(error.description.contains("swiftgrad eval"), "\(error)")
    }

    @Test(arguments: [
        ("features", nil, "metadata key 'features' is missing"),
        ("features", #"["a", 2]"#, "metadata key 'features' is not a non-empty JSON list of strings"),
        ("features", "[", "metadata key 'features' is not JSON"),
        ("model", #"{"layers": []}"#, "metadata key 'model' is not a JSON object with a string 'type'"),
        ("model.loss", "hinge", "metadata key 'model.loss' is 'hinge'"),
        ("model.loss", "meanSquaredError", "for 4 classes"),
        ("standardizer.scale", "2.0,0.5", "expected 3 comma-separated finite numbers"),
        ("standardizer.scale", "2.0,0,1", "expected positive scales"),
        ("standardizer.mean", "1,nan,2", "expected 3 comma-separated finite numbers"),
        ("standardizer.scale", "2.0,1e-320,1", "metadata key 'standardizer.scale' has scale 1e-320 at position 1; expected the standard deviation of 32-bit training data"),
        ("standardizer.scale", "2.0,1e300,1", "metadata key 'standardizer.scale' has scale 1e+300 at position 1"),
        ("standardizer.mean", "1,-1e300,2", "metadata key 'standardizer.mean' has mean -1e+300 at position 1; expected the mean of 32-bit training data"),
        ("features.standardized", "yes", "metadata key 'features.standardized' is 'yes'; expected true or false"),
        ("target.kind", "ranking", "expected classes or regression"),
        ("target.labels", "[0, 0, 1, 2]", "with repeats"),
        ("target.labels", "[0.5, 1, 2, 3]", "not a JSON list of integers or strings"),
        ("target.standardized", nil, "metadata key 'target.standardized' is missing"),
    ] as [(String, String?, String)])
    func aMalformedKeyIsNamed(key: String, value: String?, expected: String) throws {
        var metadata = Self.metadata
        metadata[key] = value
        let error = try #require(throws: CheckpointError.self) { try SavedModel(checkpoint(metadata), file: "m.safetensors") }
        #expect(error.description.hasPrefix("m.safetensors: "), "\(error)")
        #expect(error.description.contains(expected), "\(error)")
    }

    @Test func predictionsAreTheForwardPassOfTheStandardisedRowsThroughSoftmax() throws {
        let saved = try SavedModel(checkpoint(), file: "m")
        let raw = Tensor(shape: [4, 3], scalars: [1, 2, 3, -4, 0.5, 7, 0, 0, 0, 1.5, -2, 0.25])
        guard case .classes(let predicted, let probabilities) = try saved.predict(raw, with: Self.model, kernelThreads: 2) else {
            Issue.record("a classifier predicted values")
            return
        }
        let logits = Self.model(saved.featureStandardizer!.transform(raw), parameters: saved.parameters)
        #expect(probabilities.scalars.map(\.bitPattern) == logits.softmax(alongAxis: -1).scalars.map(\.bitPattern))
        #expect(predicted == logits.argmax(squeezingAxis: -1).scalars.map { Int($0) })
        for row in 0..<4 {
            let sum = probabilities.scalars[row * 4..<row * 4 + 4].reduce(0, +)
            #expect(abs(sum - 1) < 1e-6)
        }
    }

    @Test func aBinaryModelWithOneOutputGivesBothProbabilitiesFromItsSigmoid() throws {
        let binary = MLP(layerSizes: [3, 1], lossKind: .sigmoidCrossEntropy, seed: 2)
        var metadata = Self.metadata
        metadata["model"] = #"{"type": "logistic", "input_size": 3, "output_size": 1}"#
        metadata["model.loss"] = "sigmoidCrossEntropy"
        metadata["target.labels"] = #"["no", "yes"]"#
        metadata["features.standardized"] = "false"
        let saved = try SavedModel(checkpoint(metadata, model: binary), file: "m")
        #expect(saved.outputWidth == 1 && saved.featureStandardizer == nil)
        let raw = Tensor(shape: [3, 3], scalars: [1, 2, 3, -4, 0.5, 7, 0, 0, 0])
        guard case .classes(let predicted, let probabilities) = try saved.predict(raw, with: binary) else {
            Issue.record("a classifier predicted values")
            return
        }
        let logits = binary(raw, parameters: saved.parameters).scalars
        #expect(probabilities.shape == [3, 2])
        for row in 0..<3 {
            let p = 1 / (1 + Foundation.exp(-Double(logits[row])))
            #expect(abs(Double(probabilities.scalars[2 * row + 1]) - p) < 1e-6)
            #expect(abs(probabilities.scalars[2 * row] + probabilities.scalars[2 * row + 1] - 1) < 1e-6)
            #expect(predicted[row] == (logits[row] > 0 ? 1 : 0))
        }
    }

    @Test func aRegressionTargetStandardisedForTrainingComesBackOnItsScale() throws {
        let linear = MLP(layerSizes: [3, 1], lossKind: .meanSquaredError, seed: 2)
        var metadata = Self.metadata
        metadata["model"] = #"{"type": "linear"}"#
        metadata["model.loss"] = "meanSquaredError"
        metadata["target.kind"] = "regression"
        metadata["target.labels"] = nil
        metadata["target.standardized"] = "true"
        metadata["target.mean"] = "10.0"
        metadata["target.scale"] = "4.0"
        let saved = try SavedModel(checkpoint(metadata, model: linear), file: "m")
        #expect(saved.target == .regression(standardizer: Standardizer(mean: [10], scale: [4])))
        let raw = Tensor(shape: [2, 3], scalars: [1, 2, 3, -4, 0.5, 7])
        guard case .values(let values) = try saved.predict(raw, with: linear) else {
            Issue.record("a regression predicted classes")
            return
        }
        let output = linear(saved.featureStandardizer!.transform(raw), parameters: saved.parameters).scalars
        #expect(values.scalars == output.map { Float(Double($0) * 4 + 10) })
    }

    @Test func aModelThatDoesNotFitTheParametersIsRefused() throws {
        let saved = try SavedModel(checkpoint(), file: "m.safetensors")
        let other = MLP(layerSizes: [3, 6, 4], seed: 1)
        let error = try #require(throws: CheckpointError.self) { try saved.predict(Tensor(shape: [1, 3], scalars: [0, 0, 0]), with: other) }
        #expect(error.description.contains("m.safetensors: the file holds parameters dense0/weight [3, 5]"), "\(error)")
    }
}
