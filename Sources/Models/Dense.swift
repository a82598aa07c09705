import Autograd

/// A fully connected layer: `activation(x · W + b)` with `W` of shape `[inputSize, outputSize]`
/// and `b` of shape `[outputSize]`, as Keras's `Dense`.
///
/// The layer holds only its configuration; its parameters are tensors passed to each call, so
/// the same layer value serves every data-parallel worker. As a ``Layer`` its parameters are
/// named `weight` and `bias`, in that order.
///
/// ```swift
/// let layer = Dense(inputSize: 784, outputSize: 256, activation: .relu)
/// var random = RandomStream(seed: 1)
/// let parameters = layer.initialParameters(using: &random)        // [weight, bias]
/// let h = layer(x, weight: parameters[0], bias: parameters[1])   // [batch, 256]
/// ```
public struct Dense: Layer {
    /// Features per input example.
    public var inputSize: Int
    /// Features per output example.
    public var outputSize: Int
    /// The nonlinearity applied after the affine map.
    public var activation: Activation
    /// How the weight matrix starts; Glorot-uniform by default, as in Keras.
    public var weightInitializer: Initializer
    /// How the bias starts; zeros by default, as in Keras.
    public var biasInitializer: Initializer

    /// Makes a layer.
    ///
    /// - Parameters:
    ///   - inputSize: features per input example (rows of the weight matrix).
    ///   - outputSize: features per output example (columns of the weight matrix).
    ///   - activation: the nonlinearity; `.linear` by default.
    ///   - weightInitializer: Glorot-uniform by default (Keras's default).
    ///   - biasInitializer: zeros by default (Keras's default).
    public init(
        inputSize: Int, outputSize: Int, activation: Activation = .linear,
        weightInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros
    ) {
        shapePrecondition(inputSize > 0 && outputSize > 0, "Dense: sizes must be positive, got inputSize \(inputSize) and outputSize \(outputSize)")
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.activation = activation
        self.weightInitializer = weightInitializer
        self.biasInitializer = biasInitializer
    }

    /// `dense`: layers are named `dense0`, `dense1`, … by default.
    public static var typeName: String { "dense" }

    /// `weight`, then `bias`.
    public var parameterNames: [String] { ["weight", "bias"] }

    /// The shapes of the weight and the bias.
    public var parameterShapes: [[Int]] { [[inputSize, outputSize], [outputSize]] }

    /// `[inputSize]`.
    public var inputShape: [Int]? { [inputSize] }

    /// `[outputSize]`.
    public func outputShape(forInputShape inputShape: [Int]) -> [Int] { [outputSize] }

    /// Draws the weight, then the bias, from `random`.
    public func initialParameters(using random: inout RandomStream) -> [Tensor] {
        let weight = weightInitializer.makeTensor(shape: [inputSize, outputSize], using: &random)
        let bias = biasInitializer.makeTensor(shape: [outputSize], using: &random)
        return [weight, bias]
    }

    /// `activation(input · weight + bias)` with `parameters` = `[weight, bias]`.
    public func callAsFunction(_ input: Tensor, parameters: ArraySlice<Tensor>, context: inout LayerContext) -> Tensor {
        shapePrecondition(parameters.count == 2, "Dense: expected 2 parameters [weight, bias] but got \(parameters.count)")
        let first = parameters.startIndex
        return self(input, weight: parameters[first], bias: parameters[first + 1], kernels: context.kernels)
    }

    /// `activation(input · weight + bias)` for `input` of shape `[batch, inputSize]`.
    ///
    /// The product is one fused GEMM call; the bias is broadcast across rows, so its gradient is
    /// the upstream gradient summed over the batch.
    ///
    /// - Parameters:
    ///   - input: the batch, shape `[batch, inputSize]`.
    ///   - weight: the weights, shape `[inputSize, outputSize]`.
    ///   - bias: the bias, shape `[outputSize]`.
    ///   - kernels: how the matrix product runs (see ``/Autograd/KernelContext``); the result is
    ///     the same for any context.
    public func callAsFunction(_ input: Tensor, weight: Tensor, bias: Tensor, kernels: KernelContext = .serial) -> Tensor {
        shapePrecondition(
            input.rank == 2 && input.shape[1] == inputSize,
            "Dense: input of shape \(input.shape) does not match a layer with inputSize \(inputSize); expected [batch, \(inputSize)]")
        shapePrecondition(
            weight.shape == [inputSize, outputSize] && bias.shape == [outputSize],
            "Dense: weight \(weight.shape) and bias \(bias.shape) do not match [\(inputSize), \(outputSize)] and [\(outputSize)]")
        // Linear and ReLU layers are one fused op (matrix product, bias and activation in one
        // pass, one pullback); the other activations follow the fused product.
        switch activation {
        case .linear: return Tensor.dense(input, weight, bias, activation: .none, kernels: kernels)
        case .relu: return Tensor.dense(input, weight, bias, activation: .relu, kernels: kernels)
        default: return activation(Tensor.dense(input, weight, bias, activation: .none, kernels: kernels))
        }
    }
}
