import ConfigKit
import JSON
import Models

/// `"model": {"type": "sequential", "layers": [...]}` in a train config: a ``Sequential`` model
/// whose layers the config lists, each an object with a `type`, an optional `name` and the keys
/// of its type.
///
/// ```json
/// "model": {"type": "sequential", "layers": [
///     {"type": "dense", "units": 128, "activation": "relu", "name": "hidden1"},
///     {"type": "layer_norm"},
///     {"type": "dropout", "rate": 0.1},
///     {"type": "dense", "units": 10}
/// ]}
/// ```
///
/// Each layer takes the width the one before it gives (the first, the data's features), so sizes
/// chain by construction; the model's output width must be what the data needs (its classes, or
/// 1 for regression). A layer without a `name` gets ``Sequential/defaultName(of:at:)``'s
/// (`layer_norm1`). Names must be unique: they name the parameters (`hidden1/weight`).
package enum SequentialModelSpec {
    /// Reads one layer's own keys from its object and makes the layer for examples of `width`
    /// features.
    package typealias LayerReader = @Sendable (_ layer: inout ConfigObject, _ width: Int) throws -> any Layer
    /// Gives a layer of the entry's type back as the keys `read` takes, every default filled in
    /// (`type` and `name` aside): what a saved model's architecture holds.
    package typealias LayerDescriber = @Sendable (_ layer: any Layer) -> JSONObject

    /// The layer types a config may name, in the order messages list them. A new layer type is
    /// its file in Models and one entry here; `type` is the layer's ``Layer/typeName``.
    package static let layerTypes: [(type: String, read: LayerReader, describe: LayerDescriber)] = [
        (Dense.typeName, { layer, width in
            var dense = Dense(inputSize: width, outputSize: try layer.require("units", as: Int.self, .in(TrainTask.unitCounts)))
            // Dense's own defaults, read with them so that `swiftgrad validate` shows them.
            let activation = try layer.optional(
                "activation", as: String.self, default: dense.activation.rawValue, .oneOf(Activation.allCases.map(\.rawValue)))
            dense.activation = Activation(rawValue: activation)!
            let initializer = try layer.optional(
                "initializer", as: String.self, default: TrainTask.initializerName(of: dense.weightInitializer),
                .oneOf(TrainTask.initializers.keys.sorted()))
            dense.weightInitializer = TrainTask.initializers[initializer]!
            return dense
        }, { layer in
            guard let dense = layer as? Dense else { return [:] }
            var keys: JSONObject = ["units": .number(dense.outputSize), "activation": .string(dense.activation.rawValue)]
            if let name = TrainTask.initializerName(dense.weightInitializer) { keys["initializer"] = .string(name) }
            return keys
        }),
        (LayerNormalization.typeName, { layer, width in
            LayerNormalization(
                size: width,
                epsilon: Float(try layer.optional("epsilon", as: Double.self, default: Double(LayerNormalization.defaultEpsilon), .in(1e-12...1))))
        }, { layer in
            (layer as? LayerNormalization).map { ["epsilon": TrainTask.configNumber($0.epsilon)] } ?? [:]
        }),
        (Dropout.typeName, { layer, _ in
            // Checked as the Float it is used as: 0.99999999 is 1 as a Float, which would divide by 0.
            Dropout(rate: try layer.requireFloat("rate", in: 0..<1, usedBy: "dropout"))
        }, { layer in
            (layer as? Dropout).map { ["rate": TrainTask.configNumber($0.rate)] } ?? [:]
        }),
    ]

    /// A layer's `name`: non-empty, without the `/` that separates it from parameter names, and
    /// without control characters (a checkpoint lists its parameters' names a line each).
    private static let validName = ConfigConstraint<String>(expected: "a non-empty name without '/' or control characters") { Sequential.isValidLayerName($0) }

    /// Reads `layers` from a model object.
    ///
    /// - Parameters:
    ///   - model: the `model` object, whose `type` is `sequential`.
    ///   - features: the data's features: the first layer's width.
    ///   - outputs: the width the last layer must give.
    ///   - lossKind: the loss the data calls for.
    ///   - seed: the seed of the initial parameters.
    ///   - context: the config's file, for errors.
    ///   - description: the data, for errors.
    /// - Throws: `ConfigError` naming the key path (`model.layers[2].units`) of an unknown type,
    ///   a bad value, a name used twice, or an output width that does not fit the data.
    static func read(
        _ model: inout ConfigObject, features: Int, outputs: Int, lossKind: LossKind, seed: UInt64,
        context: ConfigContext, description: String
    ) throws -> Sequential {
        var layers: [any Layer] = []
        var names: [String?] = []
        var objects: [ConfigObject] = []
        var width = features
        var lastUnits: Int?  // the last layer that set its width with `units`
        let types = layerTypes.map(\.type)
        // Each layer's name, given or default, and the layer that has it.
        var taken: [String: Int] = [:]
        let tooMany = context.error(in: model, key: "layers", "a model has at most \(TrainTask.layerCounts.upperBound) layers; this one has more")
        _ = try model.objects("layers") { object in
            let index = layers.count
            guard index < TrainTask.layerCounts.upperBound else { throw tooMany }
            let type = try object.require("type", as: String.self, .oneOf(types))
            let name = try object.optional("name", as: String.self, validName)
            let layer = try layerTypes.first { $0.type == type }!.read(&object, width)
            // Unique names, counting the default names of unnamed layers.
            let resolved = name ?? Sequential.defaultName(of: layer, at: index)
            if let earlier = taken[resolved] {
                if name != nil {
                    throw context.error(in: object, key: "name", "the name '\(resolved)' is already taken by layer \(earlier); layer names must be unique")
                }
                throw context.error(in: objects[earlier], key: "name", "the name '\(resolved)' is also the default name of layer \(index); layer names must be unique")
            }
            taken[resolved] = index
            let shape = layer.outputShape(forInputShape: [width])
            guard shape.count == 1 else {
                throw context.error(in: object, key: "type", "a '\(type)' layer gives examples of shape \(shape); a train model's layers give vectors")
            }
            width = shape[0]
            if object.contains("units") { lastUnits = index }
            layers.append(layer)
            names.append(name)
            objects.append(object)
        }
        guard !layers.isEmpty else {
            throw context.error(in: model, key: "layers", "a sequential model needs at least one layer; expected a list like [{\"type\": \"dense\", \"units\": \(outputs)}]")
        }
        if width != outputs {
            let needs = "the data (\(description)) needs \(outputs) output\(outputs == 1 ? "" : "s")"
            if let lastUnits {
                throw context.error(in: objects[lastUnits], key: "units", "the model's last layer with units gives \(width) outputs but \(needs); expected units \(outputs)")
            }
            throw context.error(in: model, key: "layers", "the layers give \(width) outputs but \(needs); expected a last dense layer with \(outputs) units")
        }
        return Sequential(layers, names: names, lossKind: lossKind, seed: seed)
    }
}
