import Autograd
import CKernels
import Foundation

/// Adam (Kingma & Ba, 2015) with optional AMSGrad: Keras 3's `Adam`.
///
/// With step t = iterations + 1, rates β₁, β₂, learning rate η and gradient g, the moments m and
/// v (zero at first) and the variable w are updated as Keras 3 does, in float32:
///
///     α  = η · √(1 − β₂ᵗ) / (1 − β₁ᵗ)
///     m ← m + (g − m)·(1 − β₁)
///     v ← v + (g² − v)·(1 − β₂)
///     v̂ ← max(v̂, v)                 (amsgrad only; v̂ replaces v below)
///     w ← w − α·m / (√v + ε)
///
/// ε is added to √v after the bias correction is folded into α (the "epsilon hat" of the
/// paper), which is why Keras's 1e-7 is smaller than the paper's 1e-8.
///
/// ```swift
/// let optimizer = Adam(learningRate: 0.001)
/// optimizer.apply(gradients, to: variables)
/// ```
public class Adam: OptimizerBase, ConfigurableOptimizer {
    /// Keras's defaults, the single source for the initialiser's default arguments and the
    /// declared hyperparameters (``ConfigurableOptimizer/hyperparameters``).
    public enum Defaults {
        /// The learning rate η.
        public static let learningRate: Float = 0.001
        /// β₁, the decay of the first moment.
        public static let beta1 = 0.9
        /// β₂, the decay of the second moment.
        public static let beta2 = 0.999
        /// ε, added to √v (smaller than the paper's: see ``Adam``).
        public static let epsilon = 1e-7
        /// Whether AMSGrad is on.
        public static let amsgrad = false
    }

    /// β₁, the decay of the first moment.
    public let beta1: Double
    /// β₂, the decay of the second moment.
    public let beta2: Double
    /// ε, added to √v for numerical stability.
    public let epsilon: Double
    /// Whether to use the running maximum of v (AMSGrad).
    public let amsgrad: Bool

    /// Makes the optimizer.
    ///
    /// - Parameters:
    ///   - learningRate: η, a constant or a schedule (Keras default 0.001).
    ///   - beta1: β₁ in [0, 1) (default 0.9).
    ///   - beta2: β₂ in [0, 1) (default 0.999).
    ///   - epsilon: ε > 0 (default 1e-7, Keras's).
    ///   - amsgrad: use AMSGrad (default false).
    ///   - weightDecay: decoupled weight decay λ (default none; see ``AdamW``).
    ///   - clipping: gradient clipping (default none).
    public convenience init(
        learningRate: LearningRate = .constant(Defaults.learningRate),
        beta1: Double = Defaults.beta1,
        beta2: Double = Defaults.beta2,
        epsilon: Double = Defaults.epsilon,
        amsgrad: Bool = Defaults.amsgrad,
        weightDecay: Double? = nil,
        clipping: GradientClipping = .none
    ) {
        self.init(name: "Adam", learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                  amsgrad: amsgrad, weightDecay: weightDecay, clipping: clipping)
    }

    /// The one designated initialiser: the public one above names the optimizer "Adam", and
    /// ``AdamW`` names it "AdamW" with its own weight-decay default.
    init(name: String, learningRate: LearningRate, beta1: Double, beta2: Double, epsilon: Double,
         amsgrad: Bool, weightDecay: Double?, clipping: GradientClipping) {
        AdamKeys.beta1.checkArgument(beta1, of: name, named: "beta1")
        AdamKeys.beta2.checkArgument(beta2, of: name, named: "beta2")
        AdamKeys.epsilon.checkArgument(epsilon, of: name, named: "epsilon")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
        super.init(name: name, learningRate: learningRate, weightDecay: weightDecay, clipping: clipping)
    }

    // MARK: Configuration (AdamW overrides the name and adds its weight decay)

    public class var configName: String { "adam" }
    public static var defaultLearningRate: Float { Defaults.learningRate }
    public class var hyperparameters: [Hyperparameter] {
        [AdamKeys.beta1.declaration, AdamKeys.beta2.declaration, AdamKeys.epsilon.declaration, AdamKeys.amsgrad.declaration]
    }

    /// Makes the optimizer from a config's resolved values (see ``ConfigurableOptimizer``).
    public required convenience init(learningRate: LearningRate, clipping: GradientClipping, hyperparameters values: HyperparameterValues) {
        self.init(learningRate: learningRate, beta1: values[AdamKeys.beta1], beta2: values[AdamKeys.beta2],
                  epsilon: values[AdamKeys.epsilon], amsgrad: values[AdamKeys.amsgrad], clipping: clipping)
    }

    override final var slotNames: [String] {
        amsgrad ? ["momentum", "velocity", "velocityHat"] : ["momentum", "velocity"]
    }

    /// The velocities are running means of squares.
    override final func isNeverNegative(inSlot index: Int) -> Bool { index >= 1 }

    override final func updateRule(learningRate lr: Float) -> any UpdateRule {
        let t = Float(iterations + 1)
        return AdamRule(
            alpha: lr * (1 - pow(Float(beta2), t)).squareRoot() / (1 - pow(Float(beta1), t)),
            oneMinusBeta1: Float(1 - beta1), oneMinusBeta2: Float(1 - beta2), epsilon: Float(epsilon),
            amsgrad: amsgrad)
    }
}

/// Adam's and AdamW's hyperparameters by name, at ``Adam/Defaults`` and
/// ``AdamW/defaultWeightDecay``.
private enum AdamKeys {
    static let beta1 = HyperparameterKey.float(
        "beta_1", default: Adam.Defaults.beta1, .halfOpen(0..<1), "β₁, the decay of the first moment")
    static let beta2 = HyperparameterKey.float(
        "beta_2", default: Adam.Defaults.beta2, .halfOpen(0..<1), "β₂, the decay of the second moment")
    static let epsilon = HyperparameterKey.float(
        "epsilon", default: Adam.Defaults.epsilon, .positive, "ε, added to √v for numerical stability")
    static let amsgrad = HyperparameterKey.bool(
        "amsgrad", default: Adam.Defaults.amsgrad, "divide by the running maximum of v (AMSGrad)")
    static let weightDecay = HyperparameterKey.float(
        "weight_decay", default: AdamW.defaultWeightDecay, .nonNegative, "λ, decoupled weight decay: w ← w − w·λ·η before each step")
}

/// Adam's update with the step's constants; α has the bias correction folded in.
private struct AdamRule: UpdateRule {
    let alpha: Float
    let oneMinusBeta1: Float
    let oneMinusBeta2: Float
    let epsilon: Float
    let amsgrad: Bool

    func update(
        _ w: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
        slots: [UnsafeMutableBufferPointer<Float>]
    ) {
        let m = slots[0], v = slots[1]
        if amsgrad {
            let vHat = slots[2]
            for i in w.indices {
                m[i] += (g[i] - m[i]) * oneMinusBeta1
                v[i] += (g[i] * g[i] - v[i]) * oneMinusBeta2
                vHat[i] = max(vHat[i], v[i])
                w[i] -= (m[i] * alpha) / (vHat[i].squareRoot() + epsilon)
            }
        } else if !w.isEmpty {
            // The same arithmetic in C, where the buffers are known not to alias and the loop
            // vectorises (the Swift loop ran scalar: 11 % of an MLP training step).
            sg_adam_update(
                w.baseAddress!, g.baseAddress!, m.baseAddress!, v.baseAddress!, w.count,
                alpha, oneMinusBeta1, oneMinusBeta2, epsilon, 1)
        }
    }
}

/// Adam with decoupled weight decay (Loshchilov & Hutter, 2019): Keras 3's `AdamW`.
///
/// Before each Adam step the variable shrinks by its own weight decay,
/// `w ← w − w·λ·η`, independent of the gradient's moments; then ``Adam``'s update follows.
///
/// ```swift
/// let optimizer = AdamW(learningRate: 0.001, weightDecay: 0.004)
/// ```
public final class AdamW: Adam {
    /// Keras's default weight decay λ for `AdamW`; the other defaults are ``Adam/Defaults``.
    public static let defaultWeightDecay = 0.004

    /// Makes the optimizer; parameters as ``Adam/init(learningRate:beta1:beta2:epsilon:amsgrad:weightDecay:clipping:)``,
    /// with `weightDecay` λ defaulting to Keras's 0.004.
    public init(
        learningRate: LearningRate = .constant(Adam.Defaults.learningRate),
        weightDecay: Double = AdamW.defaultWeightDecay,
        beta1: Double = Adam.Defaults.beta1,
        beta2: Double = Adam.Defaults.beta2,
        epsilon: Double = Adam.Defaults.epsilon,
        amsgrad: Bool = Adam.Defaults.amsgrad,
        clipping: GradientClipping = .none
    ) {
        super.init(name: "AdamW", learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                   amsgrad: amsgrad, weightDecay: weightDecay, clipping: clipping)
    }

    // MARK: Configuration

    override public class var configName: String { "adamw" }
    override public class var hyperparameters: [Hyperparameter] { super.hyperparameters + [AdamKeys.weightDecay.declaration] }

    /// Makes the optimizer from a config's resolved values (see ``ConfigurableOptimizer``).
    public required convenience init(learningRate: LearningRate, clipping: GradientClipping, hyperparameters values: HyperparameterValues) {
        self.init(learningRate: learningRate, weightDecay: values[AdamKeys.weightDecay], beta1: values[AdamKeys.beta1],
                  beta2: values[AdamKeys.beta2], epsilon: values[AdamKeys.epsilon], amsgrad: values[AdamKeys.amsgrad],
                  clipping: clipping)
    }
}
