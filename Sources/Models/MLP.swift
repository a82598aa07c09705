import Autograd

/// A multilayer perceptron: dense layers of the given sizes, the hidden ones with
/// `hiddenActivation`, the last one linear (its output is logits).
///
/// It is a ``Sequential`` model of ``Dense`` layers named `dense0`, `dense1`, …
///
/// ```swift
/// let model = MLP(layerSizes: [784, 256, 256, 10], hiddenActivation: .relu, seed: 42)
/// let logits = model(images, parameters: model.initialParameters())   // [batch, 10]
/// ```
public struct MLP: Model, Equatable {
    /// The dense layers, first applied first.
    public let layers: [Dense]
    /// The same layers as a sequential model, which computes the output.
    public let sequential: Sequential

    /// Input size, hidden sizes, output size: read from ``layers``.
    public var layerSizes: [Int] {
        [layers[0].inputSize] + layers.map(\.outputSize)
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
        self.layers = layers
        self.sequential = Sequential(layers, lossKind: lossKind, seed: seed)
    }

    public var parameterNames: [String] { sequential.parameterNames }
    public var parameterShapes: [[Int]] { sequential.parameterShapes }
    public var lossKind: LossKind { sequential.lossKind }
    public func initialParameters() -> [Tensor] { sequential.initialParameters() }

    public func callAsFunction(_ input: Tensor, parameters: [Tensor], kernels: KernelContext) -> Tensor {
        sequential(input, parameters: parameters, kernels: kernels)
    }

    public func callAsFunction(_ input: Tensor, parameters: [Tensor], context: inout LayerContext) -> Tensor {
        sequential(input, parameters: parameters, context: &context)
    }
}
