import Autograd
import ConfigKit
import Datasets
import JSON
import Models
import Training

extension TrainTask {
    /// What the trained model needs besides its parameters, as ``SavedModel`` writes it into
    /// every checkpoint: the architecture (a `model` object that builds the same network, with
    /// its defaults filled in), the features' names and standardiser, the labels and the loss.
    package func savedModel(parameters: [Tensor]) -> SavedModel {
        let train = data.train
        // The classes by the labels they were numbered from, so predict and eval answer in them;
        // a model that regresses (a `linear` model on class numbers too) predicts values.
        let target: SavedModel.Target = model.lossKind.isRegression
            ? .regression(standardizer: targetStandardizer)
            : train.classCount.map { .classes(labels: (0..<$0).map(train.classLabel(of:))) } ?? .regression(standardizer: targetStandardizer)
        return SavedModel(
            architecture: Self.architecture(of: model, features: train.featureCount), lossKind: model.lossKind,
            featureNames: train.featureNames, featureStandardizer: standardizer, targetName: train.labelName, target: target,
            parameterNames: model.parameterNames, parameters: parameters)
    }

    /// A model made by ``readModel(_:features:classes:context:seed:description:)`` as the
    /// `model` object that makes it again, with every default written out.
    ///
    /// An MLP is `mlp` when it has hidden layers, else `linear` (mean squared error) or
    /// `logistic`; a ``Sequential`` lists its layers as ``SequentialModelSpec/layerTypes``
    /// describe them. `loss`, `input_size` and `output_size` are always given, so reading the
    /// object back makes the same loss and checks the sizes.
    package static func architecture(of model: any Model, features: Int) -> JSONValue {
        var object = JSONObject()
        var outputs: Int?
        if let mlp = model as? MLP {
            let hidden = Array(mlp.layerSizes.dropFirst().dropLast())
            object["type"] = .string(!hidden.isEmpty ? "mlp" : mlp.lossKind == .meanSquaredError ? "linear" : "logistic")
            if !hidden.isEmpty {
                object["hidden_layers"] = JSONValue(hidden)
                object["activation"] = .string(mlp.layers[0].activation.rawValue)
            }
            if let name = initializerName(mlp.layers[0].weightInitializer) { object["initializer"] = .string(name) }
            outputs = mlp.layerSizes.last
        } else if let sequential = model as? Sequential {
            object["type"] = "sequential"
            object["layers"] = .array(zip(sequential.layers, sequential.layerNames).map { layer, name in
                var entry: JSONObject = ["type": .string(type(of: layer).typeName), "name": .string(name)]
                let describe = SequentialModelSpec.layerTypes.first { $0.type == type(of: layer).typeName }?.describe
                for member in describe?(layer).members ?? [] { entry[member.key] = member.value }
                return .object(entry)
            })
            outputs = sequential.outputShape?.first
        }
        object["loss"] = .string(lossName(of: model.lossKind))
        object["input_size"] = .number(features)
        if let outputs { object["output_size"] = .number(outputs) }
        return .object(object)
    }

    /// The config name of an initialiser, if a config can name it.
    static func initializerName(_ initializer: Initializer) -> String? {
        initializers.first { $0.value == initializer }?.key
    }

    /// A number a config reader turns back into exactly `value` (it reads a `Double` and rounds
    /// it to `Float`): the shortest decimal when that reads back, else the exact value.
    static func configNumber(_ value: Float) -> JSONValue {
        let shortest = JSONNumber(value)
        return Float(shortest.doubleValue) == value ? JSONValue(.number(shortest)) : .number(Double(value))
    }
}

extension SavedModel {
    /// The model its ``architecture`` describes, read by the same code as a train config's
    /// `model` object, and checked against the saved parameters and loss.
    ///
    /// - Parameter seed: the seed of the model's initialisers, which inference never uses.
    /// - Throws: `ConfigError` for an architecture a config could not hold (naming the file and
    ///   its metadata key `model`), or ``CheckpointError`` when the model does not fit the saved
    ///   parameters or loss.
    package func makeModel(seed: UInt64 = 0) throws -> any Model {
        let context = ConfigContext(file: "\(source) (metadata key 'model')")
        let features = featureNames.count
        let classes = classCount
        let model = try ConfigDocument(file: context.file, root: architecture).read { object in
            try TrainTask.readModel(
                &object, features: features, classes: classes, context: context, seed: seed,
                description: "the saved model's \(features) features")
        }
        _ = try parameters(for: model)
        guard model.lossKind == lossKind else {
            throw CheckpointError(file: source, "metadata key 'model' describes a model trained with \(model.lossKind.rawValue) but key 'model.loss' says \(lossKind.rawValue)")
        }
        return model
    }
}
