import Autograd

/// RMSprop (Hinton's lecture 6e), with optional momentum and centring: Keras 3's `RMSprop`.
///
/// With decay ρ, the mean square v (zero at first) and, when centred, the mean gradient ḡ:
///
///     v ← ρ·v + (1 − ρ)·g²
///     ḡ ← ρ·ḡ + (1 − ρ)·g                      (centered only)
///     d  = v − ḡ² + ε   (centered)   or   v + ε
///     Δ  = η·g / √d
///     m ← μ·m + Δ,  w ← w − m                  (momentum μ > 0)
///     w ← w − Δ                                 (otherwise)
///
/// Centring divides by an estimate of the gradient's variance instead of its raw second moment.
///
/// ```swift
/// let optimizer = RMSprop(learningRate: 0.001, momentum: 0.9, centered: true)
/// ```
public final class RMSprop: OptimizerBase, ConfigurableOptimizer {
    /// Keras's defaults, the single source for the initialiser's default arguments and the
    /// declared hyperparameters (``ConfigurableOptimizer/hyperparameters``).
    public enum Defaults {
        /// The learning rate η.
        public static let learningRate: Float = 0.001
        /// ρ, the decay of the running averages.
        public static let rho = 0.9
        /// μ, the momentum (0: none).
        public static let momentum = 0.0
        /// ε, added under the square root.
        public static let epsilon = 1e-7
        /// Whether to divide by the estimated variance.
        public static let centered = false
    }

    /// ρ, the decay of the running averages.
    public let rho: Double
    /// μ, the momentum; 0 disables the momentum slot.
    public let momentum: Double
    /// ε, added to the denominator before the square root.
    public let epsilon: Double
    /// Whether to divide by the centred second moment.
    public let centered: Bool

    /// Makes the optimizer.
    ///
    /// - Parameters:
    ///   - learningRate: η, a constant or a schedule (Keras default 0.001).
    ///   - rho: ρ in [0, 1) (default 0.9).
    ///   - momentum: μ in [0, 1] (default 0).
    ///   - epsilon: ε > 0 (default 1e-7).
    ///   - centered: centre the second moment (default false).
    ///   - weightDecay: decoupled weight decay λ (default none).
    ///   - clipping: gradient clipping (default none).
    public init(
        learningRate: LearningRate = .constant(Defaults.learningRate),
        rho: Double = Defaults.rho,
        momentum: Double = Defaults.momentum,
        epsilon: Double = Defaults.epsilon,
        centered: Bool = Defaults.centered,
        weightDecay: Double? = nil,
        clipping: GradientClipping = .none
    ) {
        RMSpropKeys.rho.checkArgument(rho, of: "RMSprop", named: "rho")
        RMSpropKeys.momentum.checkArgument(momentum, of: "RMSprop", named: "momentum")
        RMSpropKeys.epsilon.checkArgument(epsilon, of: "RMSprop", named: "epsilon")
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
        super.init(name: "RMSprop", learningRate: learningRate, weightDecay: weightDecay, clipping: clipping)
    }

    // MARK: Configuration

    public static let configName = "rmsprop"
    public static let defaultLearningRate = Defaults.learningRate
    public static let hyperparameters = [
        RMSpropKeys.rho.declaration, RMSpropKeys.momentum.declaration, RMSpropKeys.epsilon.declaration,
        RMSpropKeys.centered.declaration,
    ]

    /// Makes the optimizer from a config's resolved values (see ``ConfigurableOptimizer``).
    public convenience init(learningRate: LearningRate, clipping: GradientClipping, hyperparameters values: HyperparameterValues) {
        self.init(learningRate: learningRate, rho: values[RMSpropKeys.rho], momentum: values[RMSpropKeys.momentum],
                  epsilon: values[RMSpropKeys.epsilon], centered: values[RMSpropKeys.centered], clipping: clipping)
    }

    /// `velocity`, then `momentum` when μ > 0, then `averageGradient` when centred.
    override var slotNames: [String] {
        ["velocity"] + (momentum > 0 ? ["momentum"] : []) + (centered ? ["averageGradient"] : [])
    }

    /// The mean square v may be +∞ once a square overflows: ρ·∞ stays ∞ and Δ is 0. Not with
    /// ρ = 0, where the next step computes 0·∞, nor for the momentum or the mean gradient.
    override func acceptsInfinity(inSlot index: Int) -> Bool { index == 0 && rho > 0 }

    /// The mean square v is a running mean of squares (the mean gradient may be negative).
    override func isNeverNegative(inSlot index: Int) -> Bool { index == 0 }

    override func updateRule(learningRate lr: Float) -> any UpdateRule {
        RMSpropRule(
            learningRate: lr, rho: Float(rho), oneMinusRho: Float(1 - rho), momentum: Float(momentum),
            epsilon: Float(epsilon), usesMomentum: momentum > 0, centered: centered)
    }
}

/// RMSprop's hyperparameters by name, at ``RMSprop/Defaults``.
private enum RMSpropKeys {
    static let rho = HyperparameterKey.float(
        "rho", default: RMSprop.Defaults.rho, .halfOpen(0..<1), "ρ, the decay of the running averages")
    static let momentum = HyperparameterKey.float(
        "momentum", default: RMSprop.Defaults.momentum, .closed(0...1), "μ, the momentum; 0 keeps no momentum")
    static let epsilon = HyperparameterKey.float(
        "epsilon", default: RMSprop.Defaults.epsilon, .positive, "ε, added to the denominator under the square root")
    static let centered = HyperparameterKey.bool(
        "centered", default: RMSprop.Defaults.centered, "divide by the gradient's estimated variance")
}

/// RMSprop's update with the step's learning rate.
private struct RMSpropRule: UpdateRule {
    let learningRate: Float
    let rho: Float
    let oneMinusRho: Float
    let momentum: Float
    let epsilon: Float
    let usesMomentum: Bool
    let centered: Bool

    func update(
        _ w: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
        slots: [UnsafeMutableBufferPointer<Float>]
    ) {
        let v = slots[0]
        let m: UnsafeMutableBufferPointer<Float>? = usesMomentum ? slots[1] : nil
        let average: UnsafeMutableBufferPointer<Float>? = centered ? slots[slots.count - 1] : nil
        let lr = learningRate, mu = momentum, eps = epsilon
        for i in w.indices {
            v[i] = rho * v[i] + oneMinusRho * (g[i] * g[i])
            var denominator: Float
            if let average {
                average[i] = rho * average[i] + oneMinusRho * g[i]
                denominator = v[i] - average[i] * average[i] + eps
            } else {
                denominator = v[i] + eps
            }
            let increment = (lr * g[i]) / denominator.squareRoot()
            if let m {
                m[i] = mu * m[i] + increment
                w[i] -= m[i]
            } else {
                w[i] -= increment
            }
        }
    }
}
