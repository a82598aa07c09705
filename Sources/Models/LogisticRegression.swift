import Autograd

/// Logistic regression on logits: binary (one logit per example, sigmoid cross-entropy) or
/// multinomial (one logit per class, softmax cross-entropy).
///
/// Weights start from a normal distribution with standard deviation 0.05 and the bias from zeros,
/// as in TensorFlow's low-level examples.
///
/// ```swift
/// // A digits 0-vs-1 model, with examples as columns: w [1, 64], x [64, n].
/// let model = LogisticRegression(featureCount: 64, layout: .examplesInColumns, seed: 1)
/// let logits = model(x, parameters: variables)       // [1, n]
/// ```
public struct LogisticRegression: Model, Equatable {
    /// How examples and weights are laid out.
    public enum Layout: String, Sendable, Equatable {
        /// Examples are rows: x [n, d], w [d, k], logits [n, k]. The layout the data-parallel
        /// trainer needs (it shards along the first axis).
        case examplesInRows
        /// Examples are columns, as in TensorFlow's low-level examples: x [d, n], w [1, d] (binary only),
        /// logits w·x + b of shape [1, n].
        case examplesInColumns
    }

    /// Features per example.
    public var featureCount: Int
    /// 1 for binary classification with a sigmoid, or the number of classes (≥ 2) for softmax.
    public var outputCount: Int
    /// Where the examples lie.
    public var layout: Layout
    /// The weights' initialiser.
    public var weightInitializer: Initializer
    /// The seed of the initial weights.
    public var seed: UInt64

    /// Makes a binary or multinomial model.
    ///
    /// - Parameters:
    ///   - featureCount: features per example.
    ///   - classes: 2 (the default) gives one logit and a sigmoid; more gives one logit per class
    ///     and a softmax.
    ///   - layout: examples as rows (default) or columns (binary only).
    ///   - weightInitializer: normal with σ = 0.05 by default.
    ///   - seed: names the initial weights.
    public init(
        featureCount: Int, classes: Int = 2, layout: Layout = .examplesInRows,
        weightInitializer: Initializer = .normal(standardDeviation: 0.05), seed: UInt64 = 0
    ) {
        shapePrecondition(featureCount > 0 && classes >= 2, "LogisticRegression: needs featureCount > 0 and classes >= 2, got \(featureCount) and \(classes)")
        shapePrecondition(
            layout == .examplesInRows || classes == 2,
            "LogisticRegression: the examplesInColumns layout is binary only, got \(classes) classes")
        self.featureCount = featureCount
        self.outputCount = classes == 2 ? 1 : classes
        self.layout = layout
        self.weightInitializer = weightInitializer
        self.seed = seed
    }

    /// Sigmoid cross-entropy for binary models, softmax cross-entropy for multinomial ones.
    public var lossKind: LossKind { outputCount == 1 ? .sigmoidCrossEntropy : .softmaxCrossEntropy }

    public var parameterNames: [String] { ["w", "b"] }

    public var parameterShapes: [[Int]] {
        switch layout {
        case .examplesInRows: return [[featureCount, outputCount], [outputCount]]
        case .examplesInColumns: return [[1, featureCount], [1]]
        }
    }

    public func initialParameters() -> [Tensor] {
        var random = RandomStream(seed: seed)
        let shapes = parameterShapes
        return [weightInitializer.makeTensor(shape: shapes[0], using: &random), Tensor.zeros(shape: shapes[1])]
    }

    /// The logits: x·w + b (rows) or w·x + b (columns).
    public func callAsFunction(_ input: Tensor, parameters: [Tensor], kernels: KernelContext) -> Tensor {
        checkParameters(parameters, op: "LogisticRegression")
        switch layout {
        case .examplesInRows:
            shapePrecondition(
                input.rank == 2 && input.shape[1] == featureCount,
                "LogisticRegression: input of shape \(input.shape) needs shape [examples, \(featureCount)]")
            return Tensor.matmul(input, parameters[0], kernels: kernels) + parameters[1]
        case .examplesInColumns:
            shapePrecondition(
                input.rank == 2 && input.shape[0] == featureCount,
                "LogisticRegression: input of shape \(input.shape) needs shape [\(featureCount), examples]")
            return Tensor.matmul(parameters[0], input, kernels: kernels) + parameters[1]
        }
    }

    /// The probability of the positive class (binary) or of each class (multinomial).
    public func probabilities(_ input: Tensor, parameters: [Tensor]) -> Tensor {
        let logits = self(input, parameters: parameters)
        return outputCount == 1 ? logits.sigmoid() : logits.softmax(alongAxis: -1)
    }
}
