import Autograd

/// Layer normalisation (Ba, Kiros and Hinton, 2016), as Keras's `LayerNormalization` over the
/// last axis: each example's features are centred and scaled to unit variance, then scaled by
/// `gamma` and shifted by `beta`, both learnt per feature.
///
/// For an example x with n features:
///
///     μ = Σᵢ xᵢ / n,   σ² = Σᵢ (xᵢ − μ)² / n,   yᵢ = γᵢ · (xᵢ − μ) / √(σ² + ε) + βᵢ
///
/// The statistics are the example's own, so the layer does the same in training and inference,
/// and an example's output does not depend on the others in its batch (micro-shards change
/// nothing). It is composed of Autograd's differentiable ops (mean, subtraction, square root,
/// division, broadcasting), so its gradient, through μ and σ² included, needs no code here.
///
/// ```swift
/// let model = Sequential([
///     Dense(inputSize: 64, outputSize: 128, activation: .relu),
///     LayerNormalization(size: 128),
///     Dense(inputSize: 128, outputSize: 10),
/// ], lossKind: .softmaxCrossEntropy, seed: 1)
/// ```
public struct LayerNormalization: Layer {
    /// Keras's default ε, 10⁻³: large enough that an example with (nearly) equal features is
    /// not blown up by 1/√σ².
    public static let defaultEpsilon: Float = 1e-3

    /// Features per example: the length of `gamma` and `beta`.
    public var size: Int
    /// Added to the variance before the square root.
    public var epsilon: Float
    /// How `gamma` starts; ones by default (Keras), so a fresh layer only normalises.
    public var gammaInitializer: Initializer
    /// How `beta` starts; zeros by default (Keras).
    public var betaInitializer: Initializer

    /// Makes a layer for examples of `size` features.
    ///
    /// - Parameters:
    ///   - size: features per example.
    ///   - epsilon: added to the variance; ``defaultEpsilon`` (10⁻³) by default.
    ///   - gammaInitializer: ones by default.
    ///   - betaInitializer: zeros by default.
    public init(
        size: Int, epsilon: Float = LayerNormalization.defaultEpsilon,
        gammaInitializer: Initializer = .constant(1), betaInitializer: Initializer = .zeros
    ) {
        shapePrecondition(size > 0, "LayerNormalization: size must be positive, got \(size)")
        usagePrecondition(epsilon > 0 && epsilon.isFinite, "LayerNormalization: epsilon must be positive and finite, got \(epsilon)")
        self.size = size
        self.epsilon = epsilon
        self.gammaInitializer = gammaInitializer
        self.betaInitializer = betaInitializer
    }

    /// `layer_norm`: layers are named `layer_norm0`, `layer_norm1`, … by default.
    public static var typeName: String { "layer_norm" }

    /// `gamma`, then `beta` (Keras's names).
    public var parameterNames: [String] { ["gamma", "beta"] }

    /// `[size]` each.
    public var parameterShapes: [[Int]] { [[size], [size]] }

    /// `[size]`.
    public var inputShape: [Int]? { [size] }

    /// The input shape: normalising keeps it.
    public func outputShape(forInputShape inputShape: [Int]) -> [Int] { inputShape }

    /// Draws `gamma`, then `beta`, from `random`.
    public func initialParameters(using random: inout RandomStream) -> [Tensor] {
        [gammaInitializer.makeTensor(shape: [size], using: &random), betaInitializer.makeTensor(shape: [size], using: &random)]
    }

    /// Each row of `input` (shape `[batch, size]`) normalised, scaled by `gamma` and shifted by
    /// `beta`, with `parameters` = `[gamma, beta]`.
    public func callAsFunction(_ input: Tensor, parameters: ArraySlice<Tensor>, context: inout LayerContext) -> Tensor {
        shapePrecondition(
            input.rank == 2 && input.shape[1] == size,
            "LayerNormalization: input of shape \(input.shape) does not match a layer of size \(size); expected [batch, \(size)]")
        shapePrecondition(parameters.count == 2, "LayerNormalization: expected 2 parameters [gamma, beta] but got \(parameters.count)")
        let gamma = parameters[parameters.startIndex], beta = parameters[parameters.startIndex + 1]
        shapePrecondition(
            gamma.shape == [size] && beta.shape == [size],
            "LayerNormalization: gamma \(gamma.shape) and beta \(beta.shape) do not match [\(size)]")
        let centred = input - input.mean(alongAxes: 1)
        let variance = (centred * centred).mean(alongAxes: 1)
        return centred / (variance + epsilon).sqrt() * gamma + beta
    }
}
