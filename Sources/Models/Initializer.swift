import Autograd

/// How a parameter tensor gets its first value, with the formulas Keras uses.
///
/// Every random initialiser draws from a ``/Autograd/RandomStream`` it is handed, never from
/// global state, so a model's seed names its initial parameters on every run and every machine.
///
/// Fan-in and fan-out follow Keras: a matrix of shape `[in, out]` has fan-in `in` and fan-out
/// `out`; a vector of length `n` has both equal to `n`; a scalar has both equal to 1.
///
/// ```swift
/// var random = RandomStream(seed: 7)
/// let w = Initializer.glorotUniform.makeTensor(shape: [784, 256], using: &random)
/// ```
public enum Initializer: Sendable, Equatable {
    /// All zeros (Keras `Zeros`): the usual bias initialiser.
    case zeros
    /// Every element equal to the value (Keras `Constant`).
    case constant(Float)
    /// A normal distribution with mean 0 and the given standard deviation (Keras `RandomNormal`);
    /// the seed logistic-regression config uses `normal(standardDeviation: 0.05)`.
    case normal(standardDeviation: Float)
    /// Uniform on [−limit, limit) with limit = √(6 / (fanIn + fanOut)) (Keras `GlorotUniform`,
    /// the default kernel initialiser of a Keras `Dense` layer).
    case glorotUniform
    /// A normal distribution truncated at two standard deviations, with σ =
    /// √(2 / (fanIn + fanOut)) / 0.8796 (Keras `GlorotNormal`); see ``heNormal`` for the factor.
    case glorotNormal
    /// A normal distribution truncated at two standard deviations, with
    /// σ = √(2 / fanIn) / 0.87962566103423978 (Keras `HeNormal`).
    ///
    /// Keras draws He-normal weights from a *truncated* normal, not the plain normal of He et al.
    /// (2015); the factor 0.8796… is the standard deviation of a unit normal truncated at ±2, so
    /// dividing by it gives the drawn values the variance 2 / fanIn the paper asks for. SwiftGrad
    /// does the same, so its initial weights follow Keras's distribution.
    case heNormal
    /// Uniform on [−limit, limit) with limit = √(6 / fanIn) (Keras `HeUniform`).
    case heUniform

    /// The standard deviation of a unit normal truncated to [−2, 2], as Keras uses it.
    public static let truncatedNormalStandardDeviation: Float = 0.87962566103423978

    /// Fan-in and fan-out of a parameter of `shape`, as Keras computes them.
    public static func fans(of shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (shape[0], shape[0])
        case 2: return (shape[0], shape[1])
        default:
            // A convolution kernel [h, w, …, in, out]: the receptive field multiplies both fans.
            let receptiveField = shape.dropLast(2).reduce(1, *)
            return (shape[shape.count - 2] * receptiveField, shape[shape.count - 1] * receptiveField)
        }
    }

    /// A tensor of `shape` drawn from this initialiser.
    ///
    /// - Parameters:
    ///   - shape: the parameter's shape; its fans come from ``fans(of:)``.
    ///   - random: the stream to draw from; deterministic initialisers leave it untouched.
    public func makeTensor(shape: [Int], using random: inout RandomStream) -> Tensor {
        let (fanIn, fanOut) = Initializer.fans(of: shape)
        switch self {
        case .zeros:
            return Tensor.zeros(shape: shape)
        case .constant(let value):
            return Tensor(repeating: value, shape: shape)
        case .normal(let standardDeviation):
            return Tensor.randomNormal(shape: shape, standardDeviation: standardDeviation, using: &random)
        case .glorotUniform:
            let limit = (6 / Float(Swift.max(1, fanIn + fanOut))).squareRoot()
            return Tensor.randomUniform(shape: shape, lower: -limit, upper: limit, using: &random)
        case .glorotNormal:
            let deviation = (2 / Float(Swift.max(1, fanIn + fanOut))).squareRoot() / Initializer.truncatedNormalStandardDeviation
            return Tensor.truncatedNormal(shape: shape, standardDeviation: deviation, using: &random)
        case .heNormal:
            let deviation = (2 / Float(Swift.max(1, fanIn))).squareRoot() / Initializer.truncatedNormalStandardDeviation
            return Tensor.truncatedNormal(shape: shape, standardDeviation: deviation, using: &random)
        case .heUniform:
            let limit = (6 / Float(Swift.max(1, fanIn))).squareRoot()
            return Tensor.randomUniform(shape: shape, lower: -limit, upper: limit, using: &random)
        }
    }
}
