import Autograd
import Foundation

/// A learning rate that depends on the optimizer's step, like `keras.optimizers.schedules`.
///
/// The optimizer evaluates the schedule at its ``Optimizer/iterations`` before each step, so
/// step 0 is the first update.
///
/// ```swift
/// let schedule = CosineDecay(initialLearningRate: 0.1, decaySteps: 1000)
/// let optimizer = SGD(learningRate: .scheduled(schedule), momentum: 0.9)
/// ```
public protocol LearningRateSchedule: Sendable {
    /// The learning rate at `step` (0 for the first update).
    func learningRate(at step: Int) -> Float
}

/// The same rate at every step.
public struct ConstantLearningRate: LearningRateSchedule {
    /// The rate.
    public let value: Float

    /// A schedule that gives `value` at every step.
    public init(_ value: Float) { self.value = value }

    public func learningRate(at step: Int) -> Float { value }
}

/// Multiplies the rate by `gamma` every `stepSize` steps (PyTorch's `StepLR`):
/// `η₀ · γ^⌊step / stepSize⌋`.
public struct StepDecay: LearningRateSchedule {
    /// η₀, the rate of the first `stepSize` steps.
    public let initialLearningRate: Float
    /// Steps between two decays.
    public let stepSize: Int
    /// γ, the factor applied at each decay.
    public let gamma: Float

    /// Makes the schedule.
    ///
    /// - Parameters:
    ///   - initialLearningRate: η₀, the rate for the first `stepSize` steps.
    ///   - stepSize: steps between decays, > 0.
    ///   - gamma: the factor applied at each decay (0.1 is customary).
    public init(initialLearningRate: Float, stepSize: Int, gamma: Float = 0.1) {
        usagePrecondition(stepSize > 0, "StepDecay: stepSize must be positive, got \(stepSize)")
        usagePrecondition(gamma >= 0 && gamma.isFinite, "StepDecay: gamma must be finite and not negative, got \(gamma)")
        self.initialLearningRate = initialLearningRate
        self.stepSize = stepSize
        self.gamma = gamma
    }

    public func learningRate(at step: Int) -> Float {
        Float(Double(initialLearningRate) * pow(Double(gamma), Double(max(step, 0) / stepSize)))
    }
}

/// A constant rate between boundaries: Keras's `PiecewiseConstantDecay`.
///
/// `values[0]` for `step <= boundaries[0]`, `values[i]` for
/// `boundaries[i-1] < step <= boundaries[i]`, and the last value after the last boundary.
public struct PiecewiseConstantDecay: LearningRateSchedule {
    /// The steps after which the rate changes, increasing.
    public let boundaries: [Int]
    /// The rate up to each boundary, then after the last: one more than the boundaries.
    public let values: [Float]

    /// Makes the schedule.
    ///
    /// - Precondition: `values.count == boundaries.count + 1` and the boundaries increase.
    public init(boundaries: [Int], values: [Float]) {
        usagePrecondition(values.count == boundaries.count + 1,
                     "PiecewiseConstantDecay: \(boundaries.count) boundaries need \(boundaries.count + 1) values, got \(values.count)")
        usagePrecondition(zip(boundaries, boundaries.dropFirst()).allSatisfy { $0 < $1 },
                     "PiecewiseConstantDecay: boundaries must increase, got \(boundaries)")
        self.boundaries = boundaries
        self.values = values
    }

    public func learningRate(at step: Int) -> Float {
        values[boundaries.firstIndex { step <= $0 } ?? boundaries.count]
    }
}

/// Exponential decay: Keras's `ExponentialDecay`,
/// `η₀ · rate^(step / decaySteps)`, with the exponent floored when `staircase` is true.
public struct ExponentialDecay: LearningRateSchedule {
    /// η₀, the rate at step 0.
    public let initialLearningRate: Float
    /// Steps over which the rate is multiplied by ``decayRate``.
    public let decaySteps: Int
    /// The factor per ``decaySteps`` steps.
    public let decayRate: Float
    /// Whether the rate decays in whole jumps rather than smoothly.
    public let staircase: Bool

    /// Makes the schedule.
    ///
    /// - Parameters:
    ///   - initialLearningRate: η₀.
    ///   - decaySteps: steps over which the rate is multiplied by `decayRate`, > 0.
    ///   - decayRate: the factor per `decaySteps`.
    ///   - staircase: decay in whole jumps rather than smoothly (default false, as Keras).
    public init(initialLearningRate: Float, decaySteps: Int, decayRate: Float, staircase: Bool = false) {
        usagePrecondition(decaySteps > 0, "ExponentialDecay: decaySteps must be positive, got \(decaySteps)")
        usagePrecondition(decayRate > 0 && decayRate.isFinite, "ExponentialDecay: decayRate must be finite and positive, got \(decayRate)")
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.decayRate = decayRate
        self.staircase = staircase
    }

    public func learningRate(at step: Int) -> Float {
        var exponent = Double(step) / Double(decaySteps)
        if staircase { exponent.round(.down) }
        return Float(Double(initialLearningRate) * pow(Double(decayRate), exponent))
    }
}

/// Cosine decay with an optional linear warm-up: Keras 3's `CosineDecay`.
///
/// Without a warm-up target the rate is `η₀ · ((1 − α)·c + α)` with
/// `c = ½(1 + cos(π · min(step, decaySteps) / decaySteps))`: it falls from η₀ to the floor α·η₀
/// over `decaySteps` and stays there.
///
/// With `warmupTarget` η₁, the rate first rises linearly from η₀ to η₁ over `warmupSteps`
/// (`η₀ + (η₁ − η₀)·step / warmupSteps`), then decays from η₁ as above over the next
/// `decaySteps`. Warm-up from zero is `initialLearningRate: 0`.
public struct CosineDecay: LearningRateSchedule {
    /// η₀: where the decay starts, or where the warm-up starts if there is one.
    public let initialLearningRate: Float
    /// Steps of the cosine.
    public let decaySteps: Int
    /// α, the floor as a fraction of the decay's starting rate.
    public let alpha: Float
    /// η₁, the rate the warm-up reaches; `nil` for no warm-up.
    public let warmupTarget: Float?
    /// Steps of the warm-up.
    public let warmupSteps: Int

    /// Makes the schedule.
    ///
    /// - Parameters:
    ///   - initialLearningRate: η₀, where the decay starts, or the warm-up starts if there is one.
    ///   - decaySteps: steps of the cosine, > 0.
    ///   - alpha: the floor as a fraction of the decay's starting rate (default 0, as Keras).
    ///   - warmupTarget: η₁, the rate reached by the warm-up; `nil` (default) for no warm-up.
    ///   - warmupSteps: steps of the warm-up (default 0); ignored without `warmupTarget`, as in Keras.
    public init(initialLearningRate: Float, decaySteps: Int, alpha: Float = 0,
                warmupTarget: Float? = nil, warmupSteps: Int = 0) {
        usagePrecondition(decaySteps > 0, "CosineDecay: decaySteps must be positive, got \(decaySteps)")
        usagePrecondition(warmupSteps >= 0, "CosineDecay: warmupSteps must be non-negative, got \(warmupSteps)")
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.alpha = alpha
        self.warmupTarget = warmupTarget
        self.warmupSteps = warmupSteps
    }

    public func learningRate(at step: Int) -> Float {
        let step = max(step, 0)
        guard let warmupTarget else {
            return decayed(from: initialLearningRate, step: min(step, decaySteps))
        }
        let clamped = min(step, decaySteps + warmupSteps)
        if clamped < warmupSteps {
            let fraction = Double(clamped) / Double(warmupSteps)
            return Float(Double(initialLearningRate) + (Double(warmupTarget) - Double(initialLearningRate)) * fraction)
        }
        return decayed(from: warmupTarget, step: clamped - warmupSteps)
    }

    private func decayed(from rate: Float, step: Int) -> Float {
        let cosine = 0.5 * (1 + cos(Double.pi * Double(step) / Double(decaySteps)))
        return Float(Double(rate) * ((1 - Double(alpha)) * cosine + Double(alpha)))
    }
}

/// A linear warm-up in front of any schedule.
///
/// For `step < warmupSteps` the rate rises linearly from `initialLearningRate` to the rate the
/// wrapped schedule takes where the warm-up hands over. After that the wrapped schedule runs,
/// either starting at its own step 0 (`delaysSchedule: true`, the default, like Keras's
/// `CosineDecay` warm-up) or at the global step (`false`, as in Goyal et al.'s gradual warm-up,
/// where the step boundaries of the main schedule do not move).
public struct LinearWarmup: LearningRateSchedule {
    /// The schedule after the warm-up.
    public let schedule: any LearningRateSchedule
    /// W, the steps of the warm-up.
    public let warmupSteps: Int
    /// The rate at step 0.
    public let initialLearningRate: Float
    /// Whether the wrapped schedule starts at its own step 0 after the warm-up, rather than at
    /// the global step.
    public let delaysSchedule: Bool

    /// Puts a warm-up in front of `schedule`.
    ///
    /// - Parameters:
    ///   - schedule: the schedule after the warm-up.
    ///   - warmupSteps: W, steps of warm-up, ≥ 0.
    ///   - initialLearningRate: the rate at step 0 (default 0).
    ///   - delaysSchedule: whether the wrapped schedule starts at its step 0 after the warm-up
    ///     (default true) or continues at the global step.
    public init(_ schedule: any LearningRateSchedule, warmupSteps: Int, initialLearningRate: Float = 0,
                delaysSchedule: Bool = true) {
        usagePrecondition(warmupSteps >= 0, "LinearWarmup: warmupSteps must be non-negative, got \(warmupSteps)")
        self.schedule = schedule
        self.warmupSteps = warmupSteps
        self.initialLearningRate = initialLearningRate
        self.delaysSchedule = delaysSchedule
    }

    public func learningRate(at step: Int) -> Float {
        if step >= warmupSteps {
            return schedule.learningRate(at: delaysSchedule ? step - warmupSteps : step)
        }
        let target = Double(schedule.learningRate(at: delaysSchedule ? 0 : warmupSteps))
        let fraction = Double(max(step, 0)) / Double(warmupSteps)
        return Float(Double(initialLearningRate) + (target - Double(initialLearningRate)) * fraction)
    }
}

/// The linear scaling rule (Goyal et al., 2017): when the batch grows k-fold, grow the learning
/// rate k-fold, `baseLearningRate · globalBatchSize / baseBatchSize`.
///
/// Data-parallel training over n workers with b examples each has a global batch of n·b; a rate
/// tuned for batch `baseBatchSize` then becomes this. Pair it with a ``LinearWarmup`` when the
/// scaled rate is large.
///
/// - Parameters:
///   - baseLearningRate: the rate tuned for `baseBatchSize`.
///   - globalBatchSize: the examples per step across all workers, > 0.
///   - baseBatchSize: the batch the base rate was tuned for, > 0.
/// - Returns: the scaled rate.
///
/// ```swift
/// linearlyScaledLearningRate(0.1, globalBatchSize: 1024, baseBatchSize: 256)   // 0.4
/// ```
public func linearlyScaledLearningRate(_ baseLearningRate: Float, globalBatchSize: Int, baseBatchSize: Int) -> Float {
    usagePrecondition(globalBatchSize > 0 && baseBatchSize > 0,
                 "linearlyScaledLearningRate: batch sizes must be positive, got global \(globalBatchSize) and base \(baseBatchSize)")
    return Float(Double(baseLearningRate) * Double(globalBatchSize) / Double(baseBatchSize))
}
