import Autograd

/// Adagrad (Duchi et al., 2011): Keras 3's `Adagrad`.
///
/// Each element keeps the sum of its squared gradients, starting from a positive value:
///
///     a ← a + g²
///     w ← w − η·g / √(a + ε)
///
/// The initial accumulator (Keras default 0.1) keeps the first steps from being huge; ε sits
/// inside the square root, as in Keras.
///
/// ```swift
/// let optimizer = Adagrad(learningRate: 0.1)
/// ```
public final class Adagrad: OptimizerBase, ConfigurableOptimizer {
    /// Keras's defaults, the single source for the initialiser's default arguments and the
    /// declared hyperparameters (``ConfigurableOptimizer/hyperparameters``).
    public enum Defaults {
        /// The learning rate η.
        public static let learningRate: Float = 0.001
        /// The value every accumulator starts at.
        public static let initialAccumulatorValue = 0.1
        /// ε, added under the square root.
        public static let epsilon = 1e-7
    }

    /// The value every accumulator starts at.
    public let initialAccumulatorValue: Double
    /// ε, added under the square root.
    public let epsilon: Double

    /// Makes the optimizer.
    ///
    /// - Parameters:
    ///   - learningRate: η, a constant or a schedule (Keras default 0.001).
    ///   - initialAccumulatorValue: the accumulator's start, ≥ 0 (default 0.1).
    ///   - epsilon: ε > 0 (default 1e-7).
    ///   - weightDecay: decoupled weight decay λ (default none).
    ///   - clipping: gradient clipping (default none).
    public init(
        learningRate: LearningRate = .constant(Defaults.learningRate),
        initialAccumulatorValue: Double = Defaults.initialAccumulatorValue,
        epsilon: Double = Defaults.epsilon,
        weightDecay: Double? = nil,
        clipping: GradientClipping = .none
    ) {
        AdagradKeys.initialAccumulatorValue.checkArgument(initialAccumulatorValue, of: "Adagrad", named: "initialAccumulatorValue")
        AdagradKeys.epsilon.checkArgument(epsilon, of: "Adagrad", named: "epsilon")
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
        super.init(name: "Adagrad", learningRate: learningRate, weightDecay: weightDecay, clipping: clipping)
    }

    // MARK: Configuration

    public static let configName = "adagrad"
    public static let defaultLearningRate = Defaults.learningRate
    public static let hyperparameters = [AdagradKeys.initialAccumulatorValue.declaration, AdagradKeys.epsilon.declaration]

    /// Makes the optimizer from a config's resolved values (see ``ConfigurableOptimizer``).
    public convenience init(learningRate: LearningRate, clipping: GradientClipping, hyperparameters values: HyperparameterValues) {
        self.init(learningRate: learningRate, initialAccumulatorValue: values[AdagradKeys.initialAccumulatorValue],
                  epsilon: values[AdagradKeys.epsilon], clipping: clipping)
    }

    override var slotNames: [String] { ["accumulator"] }

    override func initialSlotValue(_ index: Int) -> Float { Float(initialAccumulatorValue) }

    /// The accumulator only grows: once a square overflows it is +∞ for good, and each later
    /// step divides the gradient by it, leaving the element where it is.
    override func acceptsInfinity(inSlot index: Int) -> Bool { true }

    /// The accumulator starts at a value that is not negative and adds squares.
    override func isNeverNegative(inSlot index: Int) -> Bool { true }

    override func updateRule(learningRate lr: Float) -> any UpdateRule {
        AdagradRule(learningRate: lr, epsilon: Float(epsilon))
    }
}

/// Adagrad's hyperparameters by name, at ``Adagrad/Defaults``.
private enum AdagradKeys {
    static let initialAccumulatorValue = HyperparameterKey.float(
        "initial_accumulator_value", default: Adagrad.Defaults.initialAccumulatorValue, .nonNegative,
        "the value every accumulator starts at")
    static let epsilon = HyperparameterKey.float(
        "epsilon", default: Adagrad.Defaults.epsilon, .positive, "ε, added under the square root")
}

/// Adagrad's update with the step's learning rate.
private struct AdagradRule: UpdateRule {
    let learningRate: Float
    let epsilon: Float

    func update(
        _ w: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
        slots: [UnsafeMutableBufferPointer<Float>]
    ) {
        let a = slots[0], lr = learningRate, eps = epsilon
        for i in w.indices {
            a[i] += g[i] * g[i]
            w[i] -= (lr * g[i]) / (a[i] + eps).squareRoot()
        }
    }
}
