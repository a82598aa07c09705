import Autograd
import ConfigKit
import Optimizers

/// An optimizer as a config describes it: `{"name": "adam", "learning_rate": 0.001, …}`.
///
/// Every key is optional except `name`; a missing hyperparameter takes the Keras default that the
/// optimizer type itself declares (one source of truth). Keys that the named optimizer does not
/// take are rejected as unknown.
///
/// | name | keys |
/// | --- | --- |
/// | `sgd` | `learning_rate` (0.01), `momentum` (0), `nesterov` (false) |
/// | `adam` | `learning_rate` (0.001), `beta_1` (0.9), `beta_2` (0.999), `epsilon` (1e-7), `amsgrad` (false) |
/// | `adamw` | the Adam keys and `weight_decay` (0.004) |
/// | `adagrad` | `learning_rate` (0.001), `initial_accumulator_value` (0.1), `epsilon` (1e-7) |
/// | `rmsprop` | `learning_rate` (0.001), `rho` (0.9), `momentum` (0), `epsilon` (1e-7), `centered` (false) |
///
/// All of them also take `schedule` (see ``ScheduleSpec``) and `clip_global_norm`.
package struct OptimizerSpec: Sendable {
    /// The optimizer names a config may use.
    package static let names = ["sgd", "adam", "adamw", "adagrad", "rmsprop"]

    /// Builds a fresh optimizer (with empty state) each time it is called.
    package let make: @Sendable () -> any Optimizer
    /// The config's `name`.
    package let name: String
    /// The base learning rate (before any schedule).
    package let learningRate: Float

    /// Adam at Keras's defaults, for a config without an `optimizer`; `batchScale` multiplies
    /// the learning rate as in ``init(reading:batchScale:totalSteps:)``.
    package static func adamDefaults(batchScale: Float = 1) -> OptimizerSpec {
        let rate = Adam.Defaults.learningRate * batchScale
        return OptimizerSpec(name: "adam", learningRate: rate) { Adam(learningRate: .constant(rate)) }
    }

    private init(name: String, learningRate: Float, make: @escaping @Sendable () -> any Optimizer) {
        self.name = name
        self.learningRate = learningRate
        self.make = make
    }

    /// Reads an optimizer object. `batchScale` multiplies the learning rate (the linear scaling
    /// rule), and `totalSteps` is the default decay length of schedules.
    package init(reading object: inout ConfigObject, batchScale: Float = 1, totalSteps: Int? = nil) throws {
        let name = try object.require("name", as: String.self, .oneOf(Self.names))
        self.name = name
        let baseRate: Float
        switch name {
        case "sgd": baseRate = SGD.Defaults.learningRate
        case "adagrad": baseRate = Adagrad.Defaults.learningRate
        case "rmsprop": baseRate = RMSprop.Defaults.learningRate
        default: baseRate = Adam.Defaults.learningRate
        }
        let rate = try object.optional("learning_rate", as: Float.self, default: baseRate, .positive) * batchScale
        learningRate = rate
        let schedule = try object.optionalObject("schedule") { try ScheduleSpec(reading: &$0, learningRate: rate, totalSteps: totalSteps) }
        let learningRateValue: LearningRate = schedule.map { .scheduled($0.schedule) } ?? .constant(rate)
        let clipping: GradientClipping = try object.optional("clip_global_norm", as: Float.self, .positive).map { .byGlobalNorm($0) } ?? .none

        switch name {
        case "sgd":
            let momentum = try object.optional("momentum", as: Double.self, default: SGD.Defaults.momentum, .in(0...1))
            let nesterov = try object.optional("nesterov", as: Bool.self, default: SGD.Defaults.nesterov)
            make = { SGD(learningRate: learningRateValue, momentum: momentum, nesterov: nesterov, clipping: clipping) }
        case "adam", "adamw":
            let beta1 = try object.optional("beta_1", as: Double.self, default: Adam.Defaults.beta1, .in(0..<1))
            let beta2 = try object.optional("beta_2", as: Double.self, default: Adam.Defaults.beta2, .in(0..<1))
            let epsilon = try object.optional("epsilon", as: Double.self, default: Adam.Defaults.epsilon, .positive)
            let amsgrad = try object.optional("amsgrad", as: Bool.self, default: Adam.Defaults.amsgrad)
            if name == "adamw" {
                let decay = try object.optional("weight_decay", as: Double.self, default: AdamW.defaultWeightDecay, .nonNegative)
                make = {
                    AdamW(learningRate: learningRateValue, weightDecay: decay, beta1: beta1, beta2: beta2,
                          epsilon: epsilon, amsgrad: amsgrad, clipping: clipping)
                }
            } else {
                make = {
                    Adam(learningRate: learningRateValue, beta1: beta1, beta2: beta2, epsilon: epsilon,
                         amsgrad: amsgrad, clipping: clipping)
                }
            }
        case "adagrad":
            let initial = try object.optional(
                "initial_accumulator_value", as: Double.self, default: Adagrad.Defaults.initialAccumulatorValue, .nonNegative)
            let epsilon = try object.optional("epsilon", as: Double.self, default: Adagrad.Defaults.epsilon, .positive)
            make = { Adagrad(learningRate: learningRateValue, initialAccumulatorValue: initial, epsilon: epsilon, clipping: clipping) }
        default:
            let rho = try object.optional("rho", as: Double.self, default: RMSprop.Defaults.rho, .in(0..<1))
            let momentum = try object.optional("momentum", as: Double.self, default: RMSprop.Defaults.momentum, .in(0...1))
            let epsilon = try object.optional("epsilon", as: Double.self, default: RMSprop.Defaults.epsilon, .positive)
            let centered = try object.optional("centered", as: Bool.self, default: RMSprop.Defaults.centered)
            make = {
                RMSprop(learningRate: learningRateValue, rho: rho, momentum: momentum, epsilon: epsilon,
                        centered: centered, clipping: clipping)
            }
        }
    }
}

/// A learning-rate schedule as a config describes it, inside an optimizer's `schedule` object.
///
/// `{"type": "constant" | "step" | "exponential" | "cosine", "warmup_steps": 0, …}`:
/// - `step`: `step_size` (required) and `gamma` (0.1): the rate is multiplied by `gamma` every
///   `step_size` steps.
/// - `exponential`: `decay_steps` (required), `decay_rate` (required), `staircase` (false).
/// - `cosine`: `decay_steps` (by default the run's steps after the warm-up, so that the decay
///   spans the rest of the run and ends at the floor) and `alpha` (0), the floor as a fraction
///   of the initial rate.
/// - `warmup_steps` (0): a linear warm-up from 0 to the rate, after which the schedule starts
///   at its own step 0 (its boundaries move by the warm-up's length).
package struct ScheduleSpec: Sendable {
    /// The schedule types a config may use.
    package static let types = ["constant", "step", "exponential", "cosine"]

    /// The schedule, warm-up included.
    package let schedule: any LearningRateSchedule

    init(reading object: inout ConfigObject, learningRate: Float, totalSteps: Int?) throws {
        let type = try object.require("type", as: String.self, .oneOf(Self.types))
        let base: any LearningRateSchedule
        switch type {
        case "step":
            let size = try object.require("step_size", as: Int.self, .positive)
            let gamma = try object.optional("gamma", as: Float.self, default: 0.1, .positive)
            base = StepDecay(initialLearningRate: learningRate, stepSize: size, gamma: gamma)
        case "exponential":
            let steps = try object.require("decay_steps", as: Int.self, .positive)
            let rate = try object.require("decay_rate", as: Float.self, .positive)
            let staircase = try object.optional("staircase", as: Bool.self, default: false)
            base = ExponentialDecay(initialLearningRate: learningRate, decaySteps: steps, decayRate: rate, staircase: staircase)
        case "cosine":
            let steps: Int
            if let totalSteps, !object.contains("decay_steps") {
                // The steps left after the warm-up, which delays the schedule: the decay then
                // spans the rest of the run and ends at the floor.
                let warmup = try object.optional("warmup_steps", as: Int.self, default: 0, .nonNegative)
                steps = Swift.max(totalSteps - warmup, 1)
            } else {
                steps = try object.require("decay_steps", as: Int.self, .positive)
            }
            let alpha = try object.optional("alpha", as: Float.self, default: 0, .in(0...1))
            base = CosineDecay(initialLearningRate: learningRate, decaySteps: steps, alpha: alpha)
        default:
            base = ConstantLearningRate(learningRate)
        }
        let warmup = try object.optional("warmup_steps", as: Int.self, default: 0, .nonNegative)
        schedule = warmup > 0 ? LinearWarmup(base, warmupSteps: warmup) : base
    }
}
