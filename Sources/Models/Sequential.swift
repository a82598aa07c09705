import Autograd

/// Dense layers applied one after another; parameters are each layer's weight then bias.
///
/// Each layer draws its initial parameters from its own stream of the model's seed
/// (`RandomStream(seed: seed, stream: layerIndex)`), so changing one layer's size leaves the
/// others' initial values as they were.
///
/// ```swift
/// let model = Sequential([
///     Dense(inputSize: 4, outputSize: 8, activation: .tanh),
///     Dense(inputSize: 8, outputSize: 1),
/// ], lossKind: .meanSquaredError, seed: 3)
/// ```
public struct Sequential: Model, Equatable {
    /// The layers, first applied first.
    public var layers: [Dense]
    /// The loss the model is trained with.
    public var lossKind: LossKind
    /// The seed of the initial parameters.
    public var seed: UInt64

    /// Makes a model from `layers`, whose sizes must chain.
    public init(_ layers: [Dense], lossKind: LossKind, seed: UInt64 = 0) {
        shapePrecondition(!layers.isEmpty, "Sequential: needs at least one layer")
        for index in 1..<layers.count {
            shapePrecondition(
                layers[index].inputSize == layers[index - 1].outputSize,
                "Sequential: layer \(index) takes \(layers[index].inputSize) inputs but layer \(index - 1) gives \(layers[index - 1].outputSize)")
        }
        self.layers = layers
        self.lossKind = lossKind
        self.seed = seed
    }

    public var parameterNames: [String] {
        layers.indices.flatMap { ["dense\($0)/weight", "dense\($0)/bias"] }
    }

    public var parameterShapes: [[Int]] { layers.flatMap(\.parameterShapes) }

    public func initialParameters() -> [Tensor] {
        layers.enumerated().flatMap { index, layer -> [Tensor] in
            var random = RandomStream(seed: seed, stream: UInt64(index))
            let (weight, bias) = layer.initialParameters(using: &random)
            return [weight, bias]
        }
    }

    public func callAsFunction(_ input: Tensor, parameters: [Tensor], kernels: KernelContext) -> Tensor {
        shapePrecondition(
            parameters.count == 2 * layers.count,
            "Sequential: \(layers.count) layers need \(2 * layers.count) parameters, got \(parameters.count)")
        var activations = input
        for (index, layer) in layers.enumerated() {
            activations = layer(activations, weight: parameters[2 * index], bias: parameters[2 * index + 1], kernels: kernels)
        }
        return activations
    }
}

/// A multilayer perceptron: dense layers of the given sizes, the hidden ones with
/// `hiddenActivation`, the last one linear (its output is logits).
///
/// ```swift
/// let model = MLP(layerSizes: [784, 256, 256, 10], hiddenActivation: .relu, seed: 42)
/// let logits = model(images, parameters: model.initialParameters())   // [batch, 10]
/// ```
public struct MLP: Model, Equatable {
    /// The layers this MLP is made of.
    public let sequential: Sequential

    /// Input size, hidden sizes, output size: read from ``sequential``'s layers.
    public var layerSizes: [Int] {
        [sequential.layers[0].inputSize] + sequential.layers.map(\.outputSize)
    }

    /// Makes an MLP.
    ///
    /// - Parameters:
    ///   - layerSizes: input size, then each layer's output size; at least two entries.
    ///   - hiddenActivation: the activation of every layer but the last; ReLU by default.
    ///   - weightInitializer: the hidden and output weights' initialiser. Glorot-uniform by
    ///     default, Keras's choice for `Dense`; ``Initializer/heNormal`` suits ReLU better in deep
    ///     nets.
    ///   - lossKind: softmax cross-entropy on the logits by default (classification).
    ///   - seed: names the initial parameters.
    public init(
        layerSizes: [Int], hiddenActivation: Activation = .relu,
        weightInitializer: Initializer = .glorotUniform,
        lossKind: LossKind = .softmaxCrossEntropy, seed: UInt64 = 0
    ) {
        shapePrecondition(layerSizes.count >= 2, "MLP: layerSizes needs an input and an output size, got \(layerSizes)")
        let layers = (1..<layerSizes.count).map { index in
            Dense(
                inputSize: layerSizes[index - 1], outputSize: layerSizes[index],
                activation: index == layerSizes.count - 1 ? .linear : hiddenActivation,
                weightInitializer: weightInitializer)
        }
        self.sequential = Sequential(layers, lossKind: lossKind, seed: seed)
    }

    public var parameterNames: [String] { sequential.parameterNames }
    public var parameterShapes: [[Int]] { sequential.parameterShapes }
    public var lossKind: LossKind { sequential.lossKind }
    public func initialParameters() -> [Tensor] { sequential.initialParameters() }

    public func callAsFunction(_ input: Tensor, parameters: [Tensor], kernels: KernelContext) -> Tensor {
        sequential(input, parameters: parameters, kernels: kernels)
    }
}
