import Autograd

/// Inverted dropout, as Keras's `Dropout`: in a training pass each element is zeroed with
/// probability `rate` and the rest are scaled by 1 / (1 − rate), so the expected output equals
/// the input; outside training the layer is the identity.
///
/// In training, y = x ⊙ m with m a constant mask of 0 and 1 / (1 − rate), so ∂y/∂x = m and the
/// gradient comes from the product's own rule. The mask is drawn from the
/// ``LayerContext/random`` stream, which the data-parallel engine makes per micro-shard from the
/// seed and the step: a run with dropout is bitwise the same for any number of workers.
///
/// ```swift
/// let model = Sequential([
///     Dense(inputSize: 64, outputSize: 128, activation: .relu),
///     Dropout(rate: 0.2),
///     Dense(inputSize: 128, outputSize: 10),
/// ], lossKind: .softmaxCrossEntropy, seed: 1)
/// ```
public struct Dropout: Layer {
    /// The probability that an element is dropped, in [0, 1).
    public var rate: Float

    /// Makes a layer that drops a fraction `rate` of its inputs while training.
    ///
    /// - Parameter rate: the drop probability, in [0, 1); 0 makes the layer the identity.
    public init(rate: Float) {
        usagePrecondition(rate >= 0 && rate < 1, "Dropout: rate must be in [0, 1), got \(rate)")
        self.rate = rate
    }

    /// `dropout`: layers are named `dropout0`, `dropout1`, … by default.
    public static var typeName: String { "dropout" }

    /// None.
    public var parameterNames: [String] { [] }
    /// None.
    public var parameterShapes: [[Int]] { [] }
    /// `nil`: any shape.
    public var inputShape: [Int]? { nil }
    /// The input shape.
    public func outputShape(forInputShape inputShape: [Int]) -> [Int] { inputShape }
    /// None.
    public func initialParameters(using random: inout RandomStream) -> [Tensor] { [] }

    /// `input` with dropout applied when `context.isTraining`, else `input` itself.
    ///
    /// - Precondition: a training context has a random stream.
    public func callAsFunction(_ input: Tensor, parameters: ArraySlice<Tensor>, context: inout LayerContext) -> Tensor {
        shapePrecondition(parameters.isEmpty, "Dropout: takes no parameters but got \(parameters.count)")
        guard context.isTraining, rate > 0 else { return input }
        let keep = 1 - Double(rate)
        let scale = Float(1 / keep)
        let mask = context.drawing(for: "Dropout") { random in
            Tensor(shape: input.shape) { mask in
                for index in mask.indices { mask[index] = random.nextUniform() < keep ? scale : 0 }
            }
        }
        return input * mask
    }
}
