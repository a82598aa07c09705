import Autograd

/// Stochastic gradient descent with optional (Nesterov) momentum: Keras's `SGD`.
///
/// With momentum μ, learning rate η and gradient g, each step updates the velocity m (zero at
/// first) and the variable w:
///
///     m ← μ·m − η·g
///     w ← w + m               (classical momentum)
///     w ← w + μ·m − η·g       (nesterov: true)
///
/// Without momentum (μ = 0, the default) it is plain `w ← w − η·g` and keeps no state.
///
/// ```swift
/// let optimizer = SGD(learningRate: 0.1, momentum: 0.9)
/// optimizer.apply(gradients, to: variables)
/// ```
public final class SGD: OptimizerBase, ConfigurableOptimizer {
    /// Keras's defaults, the single source for the initialiser's default arguments and the
    /// declared hyperparameters (``ConfigurableOptimizer/hyperparameters``).
    public enum Defaults {
        /// The learning rate η.
        public static let learningRate: Float = 0.01
        /// μ, the momentum (0: plain SGD).
        public static let momentum = 0.0
        /// Whether to take Nesterov's look-ahead step.
        public static let nesterov = false
    }

    /// The momentum μ in [0, 1]; 0 disables the velocity slot.
    public let momentum: Double
    /// Whether to take the Nesterov look-ahead step.
    public let nesterov: Bool

    /// Makes the optimizer.
    ///
    /// - Parameters:
    ///   - learningRate: η, a constant or a schedule (Keras default 0.01).
    ///   - momentum: μ in [0, 1] (default 0, plain SGD).
    ///   - nesterov: use Nesterov momentum (default false).
    ///   - weightDecay: decoupled weight decay λ (default none).
    ///   - clipping: gradient clipping (default none).
    public init(
        learningRate: LearningRate = .constant(Defaults.learningRate),
        momentum: Double = Defaults.momentum,
        nesterov: Bool = Defaults.nesterov,
        weightDecay: Double? = nil,
        clipping: GradientClipping = .none
    ) {
        usagePrecondition(momentum >= 0 && momentum <= 1, "SGD: momentum must be in [0, 1], got \(momentum)")
        self.momentum = momentum
        self.nesterov = nesterov
        super.init(name: "SGD", learningRate: learningRate, weightDecay: weightDecay, clipping: clipping)
    }

    // MARK: Configuration

    public static let configName = "sgd"
    public static let defaultLearningRate = Defaults.learningRate
    public static let hyperparameters = [SGDKeys.momentum.declaration, SGDKeys.nesterov.declaration]

    /// Makes the optimizer from a config's resolved values (see ``ConfigurableOptimizer``).
    public convenience init(learningRate: LearningRate, clipping: GradientClipping, hyperparameters values: HyperparameterValues) {
        self.init(learningRate: learningRate, momentum: values[SGDKeys.momentum], nesterov: values[SGDKeys.nesterov], clipping: clipping)
    }

    override var slotNames: [String] { momentum != 0 ? ["momentum"] : [] }

    override func updateRule(learningRate lr: Float) -> any UpdateRule {
        SGDRule(learningRate: lr, momentum: Float(momentum), nesterov: nesterov)
    }
}

/// SGD's hyperparameters by name, at ``SGD/Defaults``.
private enum SGDKeys {
    static let momentum = HyperparameterKey.float(
        "momentum", default: SGD.Defaults.momentum, .closed(0...1), "μ, the decay of the velocity; 0 is plain SGD")
    static let nesterov = HyperparameterKey.bool(
        "nesterov", default: SGD.Defaults.nesterov, "take Nesterov's look-ahead step")
}

/// SGD's update with the step's learning rate.
private struct SGDRule: UpdateRule {
    let learningRate: Float
    let momentum: Float
    let nesterov: Bool

    func update(
        _ w: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
        slots: [UnsafeMutableBufferPointer<Float>]
    ) {
        let lr = learningRate, mu = momentum
        guard mu != 0 else {
            for i in w.indices { w[i] -= g[i] * lr }
            return
        }
        let m = slots[0]
        if nesterov {
            for i in w.indices {
                m[i] = m[i] * mu - g[i] * lr
                w[i] += m[i] * mu - g[i] * lr
            }
        } else {
            for i in w.indices {
                m[i] = m[i] * mu - g[i] * lr
                w[i] += m[i]
            }
        }
    }
}
