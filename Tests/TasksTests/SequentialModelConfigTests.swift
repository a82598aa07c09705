import _TestSupport
import Foundation
import SwiftGrad
import Tasks
import Testing

/// `"model": {"type": "sequential", "layers": [...]}` in train configs: layers named by type and
/// by `name`, the same results as an `mlp` of the same dense layers, regression data, every
/// layer type of the table, and errors naming the key path of the layer at fault.
@Suite struct SequentialModelConfigTests {
    /// 64 synthetic examples of 4 features in 3 classes.
    private static let data = #"{"source": "synthetic", "examples": 64, "features": 4, "classes": 3}"#

    /// A train config's lines with `model` (one line or several) on synthetic data.
    private func lines(model: [String], data: String = data, training: String = #"{"epochs": 2, "batch_size": 16}"#) -> [String] {
        ["{", #"  "task": "train","#, #"  "data": \#(data),"#] + model + [#"  "training": \#(training)"#, "}"]
    }

    /// A `model` line with `layers` (each a layer object's text) on one line.
    private func sequential(_ layers: [String]) -> [String] {
        [#"  "model": {"type": "sequential", "layers": [\#(layers.joined(separator: ", "))]},"#]
    }

    /// Loads a config written as `train.json` beside `files`.
    private func load(_ lines: [String], files: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws -> TrainTask {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (name, text) in files { try directory.write(name, text) }
        let path = try directory.write("train.json", lines.joined(separator: "\n") + "\n")
        return try #require(try TaskLoader.load(path: path, options: RunOptions(verbosity: .quiet)) as? TrainTask, sourceLocation: sourceLocation)
    }

    /// Runs a loaded task quietly and returns its written report.
    private func run(_ task: TrainTask) throws -> [String: Any] {
        try writtenReport(try task.run(options: RunOptions(verbosity: .quiet)) { _ in }).object
    }

    // MARK: Models

    @Test func layersAreMadeInOrderAndNamedByNameOrByTypeAndIndex() throws {
        let task = try load(lines(model: sequential([
            #"{"type": "dense", "units": 8, "activation": "relu", "name": "hidden1"}"#,
            #"{"type": "layer_norm"}"#,
            #"{"type": "dropout", "rate": 0.2}"#,
            #"{"type": "dense", "units": 3, "initializer": "he_uniform"}"#,
        ])))
        let model = try #require(task.model as? Sequential)
        #expect(model.layerNames == ["hidden1", "layer_norm1", "dropout2", "dense3"])
        #expect(model.parameterNames == [
            "hidden1/weight", "hidden1/bias", "layer_norm1/gamma", "layer_norm1/beta", "dense3/weight", "dense3/bias",
        ])
        #expect(model.layers[0].isEqual(to: Dense(inputSize: 4, outputSize: 8, activation: .relu)))
        #expect(model.layers[1].isEqual(to: LayerNormalization(size: 8)))
        #expect(model.layers[2].isEqual(to: Dropout(rate: 0.2)))
        #expect(model.layers[3].isEqual(to: Dense(inputSize: 8, outputSize: 3, weightInitializer: .heUniform)))
        #expect(model.lossKind == .softmaxCrossEntropy)
        #expect(model.seed == 0)

        let report = try run(task)
        let parameters = try #require(report["parameters"] as? [String: Any])
        #expect(Set(parameters.keys) == Set(model.parameterNames), "the report names parameters by layer")
        let history = try #require(report["history"] as? [[String: Any]])
        #expect(history.count == 2 && history.allSatisfy { ($0["train_loss"] as? Double)?.isFinite == true })
    }

    @Test func denseLayersSpelledOutTrainExactlyLikeTheMLPOfTheSameSizes() throws {
        let mlp = try load(lines(model: [#"  "model": {"type": "mlp", "hidden_layers": [8], "activation": "tanh"},"#]))
        let spelledOut = try load(lines(model: sequential([
            #"{"type": "dense", "units": 8, "activation": "tanh", "initializer": "he_normal"}"#,
            #"{"type": "dense", "units": 3, "initializer": "he_normal"}"#,
        ])))
        #expect(spelledOut.model.parameterNames == mlp.model.parameterNames)
        #expect(spelledOut.model.initialParameters() == mlp.model.initialParameters())
        #expect(try parameterDigest(run(spelledOut)) == parameterDigest(run(mlp)))
    }

    @Test func aSequentialModelFitsRegressionDataWithOneOutput() throws {
        let csv = "a,b,y\n" + (1...12).map { "\($0),\($0 % 5),\(2 * $0 - $0 % 5)" }.joined(separator: "\n") + "\n"
        let task = try load(
            lines(
                model: sequential([#"{"type": "dense", "units": 6, "activation": "tanh"}"#, #"{"type": "dense", "units": 1}"#]),
                data: #"{"source": "csv", "path": "values.csv", "label": "y", "kind": "regression"}"#),
            files: ["values.csv": csv])
        let model = try #require(task.model as? Sequential)
        #expect(model.lossKind == .meanSquaredError)
        #expect(model.outputShape == [1])
    }

    @Test func everyLayerTypeOfTheTableLoadsAndIsNamedByItsType() throws {
        // The fewest keys each type needs; a new table entry needs one here.
        let minimal = ["dense": #""units": 4"#, "layer_norm": "", "dropout": #""rate": 0.5"#]
        let types = SequentialModelSpec.layerTypes.map(\.type)
        #expect(Set(types) == Set(minimal.keys))
        let layers = types.map { type in
            let keys = minimal[type] ?? ""
            return #"{"type": "\#(type)"\#(keys.isEmpty ? "" : ", " + keys)}"#
        }
        let task = try load(lines(model: sequential(layers + [#"{"type": "dense", "units": 3}"#])))
        let model = try #require(task.model as? Sequential)
        for (index, type) in types.enumerated() {
            #expect(Swift.type(of: model.layers[index]).typeName == type)
            #expect(model.layerNames[index] == "\(type)\(index)")
        }
    }

    // MARK: Errors

    @Test func aLastLayerOfTheWrongWidthNamesItsUnits() throws {
        let (message, path, _) = try loadConfigError(lines(model: [
            #"  "model": {"type": "sequential", "layers": ["#,
            #"    {"type": "dense", "units": 8, "activation": "relu"},"#,
            #"    {"type": "layer_norm"},"#,
            #"    {"type": "dense", "units": 4},"#,
            #"    {"type": "dropout", "rate": 0.1}"#,
            "  ]},",
        ]), name: "train.json")
        #expect(message == "\(path):7:32: key path 'model.layers[2].units': the model's last layer with units gives 4 outputs "
            + "but the data (synthetic 64 x 4, 3 classes) needs 3 outputs; expected units 3")
    }

    @Test func layersThatNeverSetTheWidthAreRefused() throws {
        let (message, path, _) = try loadConfigError(lines(model: sequential([#"{"type": "layer_norm"}"#])), name: "train.json")
        #expect(message == "\(path):4:45: key path 'model.layers': the layers give 4 outputs but the data (synthetic 64 x 4, 3 classes) "
            + "needs 3 outputs; expected a last dense layer with 3 units")
    }

    @Test func aNameUsedTwiceIsRefusedAtTheSecond() throws {
        let (message, path, _) = try loadConfigError(lines(model: sequential([
            #"{"type": "dense", "units": 8, "name": "hidden"}"#, #"{"type": "dense", "units": 3, "name": "hidden"}"#,
        ])), name: "train.json")
        #expect(message == "\(path):4:133: key path 'model.layers[1].name': the name 'hidden' is already taken by layer 0; layer names must be unique")
    }

    @Test func aNameThatIsALaterLayersDefaultNameIsRefused() throws {
        let (message, path, _) = try loadConfigError(lines(model: sequential([
            #"{"type": "dense", "units": 8, "name": "dense1"}"#, #"{"type": "dense", "units": 3}"#,
        ])), name: "train.json")
        #expect(message == "\(path):4:84: key path 'model.layers[0].name': the name 'dense1' is also the default name of layer 1; layer names must be unique")
    }

    @Test func aNameWithASlashIsRefused() throws {
        let (message, path, _) = try loadConfigError(lines(model: sequential([#"{"type": "dense", "units": 3, "name": "a/b"}"#])), name: "train.json")
        #expect(message == #"\#(path):4:84: key path 'model.layers[0].name': expected a non-empty name without '/' or control characters, found "a/b""#)
    }

    /// A checkpoint lists its parameters' names a line each: a newline in a layer's name would
    /// make every checkpoint of the run unreadable.
    @Test(arguments: [#"a\nb"#, #"a\tb"#, #"\u007f"#, #"a\u0085b"#, #"a\u2028b"#, #"\u2029"#])
    func aNameWithAControlCharacterIsRefused(name: String) throws {
        let (message, path, _) = try loadConfigError(lines(model: sequential([#"{"type": "dense", "units": 3, "name": "\#(name)"}"#])), name: "train.json")
        #expect(message.hasPrefix("\(path):4:84: key path 'model.layers[0].name': expected a non-empty name without '/' or control characters, found "), "\(message)")
    }

    /// A dropout rate below 1 that is 1 as the Float dropout computes with would divide by 0:
    /// refused with a note that says so, as it is within [0, 1) as written.
    @Test func aDropoutRateThatRoundsToOneSaysSo() throws {
        let (message, path, _) = try loadConfigError(lines(model: sequential([#"{"type": "dropout", "rate": 0.99999999}"#, #"{"type": "dense", "units": 3}"#])), name: "train.json")
        #expect(message == "\(path):4:74: key path 'model.layers[0].rate': expected a number in [0, 1), found 0.99999999 (it is 1 as a 32-bit float, which dropout computes in)", "\(message)")
        let (beyond, _, _) = try loadConfigError(lines(model: sequential([#"{"type": "dropout", "rate": 1.5}"#, #"{"type": "dense", "units": 3}"#])), name: "train.json")
        #expect(beyond.hasSuffix("key path 'model.layers[0].rate': expected a number in [0, 1), found 1.5"), "\(beyond)")
        let almost = try load(lines(model: sequential([#"{"type": "dropout", "rate": 0.9999}"#, #"{"type": "dense", "units": 3}"#])))
        #expect(almost.model.parameterCount > 0)
    }

    @Test func anUnknownLayerTypeListsTheTableAndSuggestsTheClosest() throws {
        let (message, path, _) = try loadConfigError(lines(model: sequential([#"{"type": "layernorm"}"#])), name: "train.json")
        #expect(message == #"\#(path):4:55: key path 'model.layers[0].type': expected one of "dense", "layer_norm", "dropout", found "layernorm" (did you mean "layer_norm"?)"#)
    }

    @Test func aKeyOfAnotherLayerTypeListsTheKnownKeys() throws {
        let (message, path, _) = try loadConfigError(lines(model: sequential([
            #"{"type": "layer_norm", "units": 4}"#, #"{"type": "dense", "units": 3}"#,
        ])), name: "train.json")
        #expect(message == "\(path):4:69: key path 'model.layers[0].units': unknown key; known keys: type, name, epsilon")
    }

    @Test func mlpKeysAreNotTakenBySequentialModels() throws {
        let (message, path, _) = try loadConfigError(lines(model: [
            #"  "model": {"type": "sequential", "hidden_layers": [8], "layers": [{"type": "dense", "units": 3}]},"#,
        ]), name: "train.json")
        #expect(message == "\(path):4:35: key path 'model.hidden_layers': unknown key; known keys: type, input_size, loss, output_size, layers, standardize_target")
    }

    @Test func anEmptyListOfLayersIsRefused() throws {
        let (message, path, _) = try loadConfigError(lines(model: sequential([])), name: "train.json")
        #expect(message == #"\#(path):4:45: key path 'model.layers': a sequential model needs at least one layer; expected a list like [{"type": "dense", "units": 3}]"#)
    }
}
