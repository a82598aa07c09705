import Autograd

/// Something that updates variables from their gradients: the counterpart of a Keras optimizer.
///
/// One call to ``apply(_:to:)`` is one training step, like Keras's
/// `optimizer.apply_gradients(zip(gradients, variables))`: it clips the gradients (when asked),
/// applies decoupled weight decay (when set), updates every variable in place and then advances
/// ``iterations`` by one. The learning rate of a step is ``learningRate`` evaluated at the value
/// ``iterations`` had before the step, as in Keras.
///
/// An optimizer keeps per-variable state ("slots", such as Adam's moments), created the first
/// time a variable receives a gradient. ``stateTensors(for:)`` and ``restoreState(_:for:iterations:)``
/// expose that state for checkpoints.
///
/// Hyperparameters other than the learning rate are `Double`, like the Python floats Keras keeps
/// them in, and constants derived from them are computed in `Double` before rounding to `Float`,
/// as Keras does: 1 − 0.9 then rounds to the `Float` nearest 0.1, whereas `Float` arithmetic
/// would give 0.100000024, enough to move Adam's trajectory by 1e-6 within 20 steps. The learning
/// rate is a `Float`, as Keras keeps it in a float32 variable.
///
/// Optimizers are reference types and not `Sendable`: one thread owns an optimizer and the
/// variables it updates.
///
/// ```swift
/// let w = Variable(Tensor([0.3, -0.2]), name: "w")
/// let optimizer = Adam(learningRate: 0.01)
/// let tape = GradientTape()
/// let loss = tape.record { (w.value * w.value).sum() }
/// optimizer.apply([tape.gradient(of: loss, withRespectTo: w)], to: [w])
/// ```
public protocol Optimizer: AnyObject {
    /// The optimizer's name as Keras spells it (`"Adam"`, `"SGD"`, …), used in messages.
    var name: String { get }

    /// The number of steps applied so far (Keras's `optimizer.iterations`).
    var iterations: Int { get }

    /// The learning rate: a constant or a schedule evaluated at ``iterations``.
    var learningRate: LearningRate { get set }

    /// Threads one update may use (1 by default). Elements are split into ranges, so the result
    /// is the same for any count. The data-parallel trainer sets it once, to the core count, for
    /// the updates it applies to whole gradients, which run while its workers wait.
    var threads: Int { get set }

    /// Updates `variables` in place from `gradients`, then advances ``iterations`` by one.
    ///
    /// - Parameters:
    ///   - gradients: one gradient per variable, in the same order. A `nil` gradient (a variable
    ///     the loss does not depend on) leaves that variable, and its state, untouched; Keras
    ///     drops such pairs the same way. The step still counts.
    ///   - variables: the variables to update. Variables that are not trainable are skipped.
    /// - Precondition: the arrays have the same length, every gradient has the shape of its
    ///   variable, and no variable is listed twice (it would be updated twice in one step; give
    ///   it once, with the sum of its gradients).
    func apply(_ gradients: [Tensor?], to variables: [Variable])

    /// Whether ``applyPartitioned(to:_:)`` can run. Every built-in optimizer's update is
    /// elementwise, so it can unless its clipping needs a whole gradient (by norm or by global
    /// norm). False by default.
    var canApplyPartitioned: Bool { get }

    /// One step like ``apply(_:to:)``, with every variable's gradient handed over in element
    /// ranges, from any threads, through the ``PartitionedStep`` given to `body`; then advances
    /// ``iterations`` by one.
    ///
    /// Each element goes through the same arithmetic as in ``apply(_:to:)``, so the result is
    /// bitwise the same. Every trainable variable gets state and an update, as with a gradient
    /// for each. `body` must cover every element of every variable exactly once and must not
    /// read the variables' values.
    ///
    /// - Precondition: ``canApplyPartitioned``.
    func applyPartitioned(to variables: [Variable], _ body: (PartitionedStep) -> Void)

    /// The optimizer's state as named tensors: `"iterations"` (a scalar) and one tensor per slot
    /// of each variable that has state, named `"<index>/<variable name>/<slot>"`, where `index`
    /// is the variable's position in `variables`.
    ///
    /// `iterations` is stored as a `Float`: exact up to 2²⁴ (about 16.7 million) steps and
    /// rounded to the nearest `Float` beyond. A caller that keeps the exact count elsewhere (the
    /// trainer keeps it in a checkpoint's metadata) passes it to
    /// ``restoreState(_:for:iterations:)``.
    func stateTensors(for variables: [Variable]) -> [String: Tensor]

    /// Replaces the optimizer's state with one saved by ``stateTensors(for:)``.
    ///
    /// A variable without slots in `state` gets them at its next gradient, as one that has not
    /// yet received any. A slot value that would make the next update of its element NaN or
    /// infinite is refused: a NaN anywhere, and an infinity except +∞ in a sum of squares that
    /// overflowed (Adagrad's accumulator, RMSprop's mean square), whose element stays put.
    ///
    /// - Parameters:
    ///   - state: the saved tensors.
    ///   - variables: the variables, in the order used when saving.
    ///   - iterations: the exact step count, or `nil` to take it from the `iterations` tensor.
    ///     When given, it must be non-negative and round to the tensor's value as a `Float`; it
    ///     restores counts past 2²⁴ that the tensor holds only rounded.
    ///   - requiringStateOfTrainableVariables: whether, once a step has been taken, every
    ///     trainable variable must have its slots in `state`: true for a state saved by a loop
    ///     that gives every variable a gradient at every step, as the data-parallel trainer
    ///     does, where a variable without them means tensors were lost; false (the overloads
    ///     without it) where a variable may not have received a gradient yet.
    /// - Throws: ``OptimizerStateError`` naming the key when a tensor is missing, unexpected, of
    ///   the wrong shape or holds a value refused above, when `iterations` is not a
    ///   non-negative whole number, or when the count given does not round to it. The state is
    ///   left unchanged when it throws.
    func restoreState(
        _ state: [String: Tensor], for variables: [Variable], iterations: Int?, requiringStateOfTrainableVariables: Bool
    ) throws
}

extension Optimizer {
    public var canApplyPartitioned: Bool { false }

    public func applyPartitioned(to variables: [Variable], _ body: (PartitionedStep) -> Void) {
        usagePrecondition(false, "\(name).applyPartitioned: this optimizer updates whole gradients only; use apply(_:to:)")
    }

    /// Replaces the optimizer's state with one saved by ``stateTensors(for:)``, its step count
    /// taken from the `iterations` tensor (exact up to 2²⁴ steps); a variable without slots
    /// gets them at its next gradient.
    public func restoreState(_ state: [String: Tensor], for variables: [Variable]) throws {
        try restoreState(state, for: variables, iterations: nil, requiringStateOfTrainableVariables: false)
    }

    /// Replaces the optimizer's state with one saved by ``stateTensors(for:)``, at the exact step
    /// count `iterations` (`nil`: the `iterations` tensor's); a variable without slots gets them
    /// at its next gradient.
    public func restoreState(_ state: [String: Tensor], for variables: [Variable], iterations: Int?) throws {
        try restoreState(state, for: variables, iterations: iterations, requiringStateOfTrainableVariables: false)
    }

    /// The learning rate the next step will use: ``learningRate`` at ``iterations``.
    public var currentLearningRate: Float { learningRate.value(at: iterations) }

    /// Applies `(gradient, variable)` pairs, like Keras's `apply_gradients(zip(grads, vars))`.
    public func apply(_ pairs: some Sequence<(Tensor?, Variable)>) {
        let pairs = Array(pairs)
        apply(pairs.map(\.0), to: pairs.map(\.1))
    }
}

/// A learning rate: a constant, or a schedule evaluated at the optimizer's step.
///
/// A number literal makes a constant: `SGD(learningRate: 0.1)`.
public enum LearningRate: Sendable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    /// The same rate at every step.
    case constant(Float)
    /// A rate that depends on the step.
    case scheduled(any LearningRateSchedule)

    public init(floatLiteral value: Float) { self = .constant(value) }
    public init(integerLiteral value: Int) { self = .constant(Float(value)) }

    /// The rate at `step` (the optimizer's ``Optimizer/iterations`` before the step).
    public func value(at step: Int) -> Float {
        switch self {
        case .constant(let rate): rate
        case .scheduled(let schedule): schedule.learningRate(at: step)
        }
    }
}

/// Gradient clipping applied before each update, as Keras's `clipnorm`, `clipvalue` and
/// `global_clipnorm` (Keras allows at most one of them; an enum says so by construction).
///
/// A limit must be greater than 0 (not NaN): an optimizer given any other stops the program.
public enum GradientClipping: Sendable, Equatable {
    /// No clipping (the Keras default).
    case none
    /// Each gradient is clipped elementwise to `[-limit, limit]` (Keras `clipvalue`).
    case byValue(Float)
    /// Each gradient is rescaled so its own L2 norm is at most the limit (Keras `clipnorm`).
    case byNorm(Float)
    /// All gradients are rescaled together so their global L2 norm is at most the limit
    /// (Keras `global_clipnorm`); see ``clipByGlobalNorm(_:maxNorm:)``.
    case byGlobalNorm(Float)

    /// The limit, or `nil` for no clipping.
    var limit: Float? {
        switch self {
        case .none: nil
        case .byValue(let limit), .byNorm(let limit), .byGlobalNorm(let limit): limit
        }
    }

    /// The clipped gradients; `nil` entries stay `nil`.
    public func clip(_ gradients: [Tensor?]) -> [Tensor?] {
        switch self {
        case .none:
            gradients
        case .byValue(let limit):
            gradients.map { $0.map { clipByValue($0, min: -limit, max: limit) } }
        case .byNorm(let limit):
            gradients.map { $0.map { clipByNorm($0, maxNorm: limit) } }
        case .byGlobalNorm(let limit):
            clipByGlobalNorm(gradients, maxNorm: limit).clipped
        }
    }
}
