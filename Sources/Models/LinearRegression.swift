import Autograd

/// Linear regression y = w·x + c with scalar parameters `w` and `c`, both starting
/// at 0.
///
/// The input may have any shape; each element is one example.
///
/// ```swift
/// let model = LinearRegression()
/// let (w, c) = (Variable(0, name: "w"), Variable(0, name: "c"))
/// let tape = GradientTape()
/// let loss = tape.record { model.loss(model(x, parameters: [w, c]), targets: .values(y)) }
/// ```
public struct LinearRegression: Model, Equatable {
    /// The loss; half the mean squared error Σ(h − y)² / 2m by default.
    public var lossKind: LossKind
    /// The starting slope and intercept.
    public var initialSlope: Float, initialIntercept: Float

    /// Makes the model.
    public init(lossKind: LossKind = .halfMeanSquaredError, initialSlope: Float = 0, initialIntercept: Float = 0) {
        self.lossKind = lossKind
        self.initialSlope = initialSlope
        self.initialIntercept = initialIntercept
    }

    public var parameterNames: [String] { ["w", "c"] }
    public var parameterShapes: [[Int]] { [[], []] }
    public func initialParameters() -> [Tensor] { [Tensor(initialSlope), Tensor(initialIntercept)] }

    /// w·x + c, elementwise.
    public func callAsFunction(_ input: Tensor, parameters: [Tensor], kernels: KernelContext) -> Tensor {
        checkParameters(parameters, op: "LinearRegression")
        return parameters[0] * input + parameters[1]
    }
}
