import Autograd
import Storage

/// Layers applied one after another, each with a name; the model's parameters are each layer's
/// parameters in layer order, named `"<layer name>/<parameter name>"` (`dense0/weight`).
///
/// Any ``Layer`` can be part of it: ``Dense``, ``LayerNormalization``, ``Dropout`` or a type of
/// your own. A layer not named explicitly is named by its type and its index in the model
/// (``defaultName(of:at:)``): `dense0`, `layer_norm1`, `dense2`. Each layer draws its initial
/// parameters from its own stream of the model's seed (`RandomStream(seed: seed, stream:
/// layerIndex)`), so changing one layer leaves the others' initial values as they were.
///
/// The layers' shapes are checked when the model is made: a layer that fixes its input shape
/// must get the shape the layers before it give, or the program stops naming both layers and
/// both shapes.
///
/// ```swift
/// let model = Sequential([
///     Dense(inputSize: 4, outputSize: 8, activation: .tanh),
///     LayerNormalization(size: 8),
///     Dense(inputSize: 8, outputSize: 1),
/// ], names: ["hidden"], lossKind: .meanSquaredError, seed: 3)
/// model.parameterNames
/// // ["hidden/weight", "hidden/bias", "layer_norm1/gamma", "layer_norm1/beta", "dense2/weight", "dense2/bias"]
/// ```
public struct Sequential: Model, Equatable {
    /// The layers, first applied first.
    public let layers: [any Layer]
    /// One name per layer, unique within the model.
    public let layerNames: [String]
    /// The loss the model is trained with.
    public var lossKind: LossKind
    /// The seed of the initial parameters.
    public var seed: UInt64
    /// Where each layer's parameters lie in the model's parameter list (worked out once, so a
    /// forward pass computes no offsets).
    public let parameterRanges: [Range<Int>]

    /// Makes a model from `layers`, whose shapes must chain.
    ///
    /// - Parameters:
    ///   - layers: at least one layer, first applied first.
    ///   - names: the names of the first `names.count` layers; a missing or `nil` entry gives
    ///     the layer its default name (``defaultName(of:at:)``). Names must be unique, non-empty
    ///     and free of `/`, which separates a layer's name from its parameters' names.
    ///   - lossKind: the loss the model is trained with.
    ///   - seed: names the initial parameters.
    /// - Precondition: each layer takes the shape the one before it gives, and the names are
    ///   valid.
    public init(_ layers: [any Layer], names: [String?] = [], lossKind: LossKind, seed: UInt64 = 0) {
        shapePrecondition(!layers.isEmpty, "Sequential: needs at least one layer")
        usagePrecondition(names.count <= layers.count, "Sequential: \(names.count) names for \(layers.count) layers")
        let resolved = layers.indices.map { index in
            (index < names.count ? names[index] : nil) ?? Sequential.defaultName(of: layers[index], at: index)
        }
        var indexByName: [String: Int] = [:]
        for (index, name) in resolved.enumerated() {
            usagePrecondition(
                Sequential.isValidLayerName(name),
                "Sequential: layer \(index) has the name \(name.debugDescription); a layer name must be non-empty and must not contain '/' or control characters")
            if let earlier = indexByName.updateValue(index, forKey: name) {
                usagePrecondition(false, "Sequential: layers \(earlier) and \(index) are both named '\(name)'; layer names must be unique")
            }
        }
        Sequential.checkShapesChain(layers, names: resolved)
        var ranges: [Range<Int>] = []
        var next = 0
        for layer in layers {
            let count = layer.parameterShapes.count
            ranges.append(next..<(next + count))
            next += count
        }
        self.layers = layers
        self.layerNames = resolved
        self.lossKind = lossKind
        self.seed = seed
        self.parameterRanges = ranges
    }

    /// Stops the program unless each layer that fixes its input shape gets the shape the layers
    /// before it give, naming both layers and both shapes.
    ///
    /// The message is built only on failure, outside an autoclosure: Swift 6.3.1's optimiser
    /// crashed (CopyPropagation) on the same check written inline in `init` with the message as
    /// `shapePrecondition`'s autoclosure.
    private static func checkShapesChain(_ layers: [any Layer], names: [String]) {
        var given: [Int]?  // the example shape the layers so far give, once one fixes it
        for index in layers.indices {
            let layer = layers[index]
            let required = layer.inputShape
            if let required, let given, required != given {
                let message = "Sequential: layer \(index) '\(names[index])' (\(type(of: layer))) takes examples of shape \(required), "
                    + "but layer \(index - 1) '\(names[index - 1])' (\(type(of: layers[index - 1]))) gives \(given)"
                shapePrecondition(false, message)
            }
            given = (required ?? given).map { layer.outputShape(forInputShape: $0) }
        }
    }

    /// Whether `name` can name a layer: non-empty, without the `/` that joins it to its
    /// parameters' names (`dense0/weight`), and without control characters, since a checkpoint
    /// lists the parameters' names one per line.
    public static func isValidLayerName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0 == "/" || breaksTheLine($0) }
    }

    /// The name a layer gets when it is not named: its type's name and its index in the model,
    /// `dense0`, `layer_norm1`. The index makes default names unique, and is the number of the
    /// stream the layer's initial parameters are drawn from.
    public static func defaultName(of layer: any Layer, at index: Int) -> String {
        "\(type(of: layer).typeName)\(index)"
    }

    /// The shape of one input example, when the first layer fixes it.
    public var inputShape: [Int]? { layers[0].inputShape }

    /// The shape of one output example, when the layers fix it.
    public var outputShape: [Int]? {
        var shape: [Int]?
        for layer in layers {
            shape = (layer.inputShape ?? shape).map { layer.outputShape(forInputShape: $0) }
        }
        return shape
    }

    public var parameterNames: [String] {
        zip(layerNames, layers).flatMap { name, layer in layer.parameterNames.map { "\(name)/\($0)" } }
    }

    public var parameterShapes: [[Int]] { layers.flatMap(\.parameterShapes) }

    public func initialParameters() -> [Tensor] {
        layers.enumerated().flatMap { index, layer -> [Tensor] in
            var random = RandomStream(seed: seed, stream: UInt64(index))
            return layer.initialParameters(using: &random)
        }
    }

    /// The output of an inference pass (``LayerContext`` with these kernels).
    public func callAsFunction(_ input: Tensor, parameters: [Tensor], kernels: KernelContext) -> Tensor {
        var context = LayerContext(kernels: kernels)
        return self(input, parameters: parameters, context: &context)
    }

    /// Applies the layers in order, each to the previous one's output with its own parameters.
    public func callAsFunction(_ input: Tensor, parameters: [Tensor], context: inout LayerContext) -> Tensor {
        let expected = parameterRanges[parameterRanges.count - 1].upperBound
        shapePrecondition(
            parameters.count == expected,
            "Sequential: expected \(expected) parameters \(parameterNames) but got \(parameters.count)")
        var activations = input
        for index in layers.indices {
            activations = layers[index](activations, parameters: parameters[parameterRanges[index]], context: &context)
        }
        return activations
    }

    public static func == (a: Sequential, b: Sequential) -> Bool {
        a.layers.count == b.layers.count && zip(a.layers, b.layers).allSatisfy { $0.isEqual(to: $1) }
            && a.layerNames == b.layerNames && a.lossKind == b.lossKind && a.seed == b.seed
    }
}
