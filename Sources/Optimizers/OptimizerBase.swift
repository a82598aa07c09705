import Autograd

/// The machinery every built-in optimizer shares: gradient checks, clipping, decoupled weight
/// decay, the step counter, and per-variable state created lazily.
///
/// A concrete optimizer supplies two things, in the manner of mlx-swift's optimizers:
/// - "make state for a parameter": `slotNames` and `initialSlotValue(_:)`, the names and
///   starting values of its per-variable buffers (each shaped like the variable);
/// - "apply one update": `updateRule(learningRate:)`, the step's elementwise rule (an
///   `UpdateRule`), a tight loop that changes any range of a variable's elements in place.
///
/// Because every rule is elementwise, the base class splits large variables into ranges across
/// ``threads``, and ``applyPartitioned(to:_:)`` lets a caller hand over gradients piece by piece
/// from its own threads; either way each element goes through the same arithmetic, so the bits do
/// not depend on the split.
///
/// Updates never record on a tape. Without clipping they make no temporary tensors; clipping in
/// ``apply(_:to:)`` makes a clipped copy of each gradient it changes (``applyPartitioned(to:_:)``
/// clamps by value into a small stack buffer instead). The variables are written through
/// `Variable.withUnsafeMutableValue`, which copies the elements first only when something else
/// (a tape that read the variable, a caller holding its value) still shares them.
///
/// State is keyed by the variable's identity. The optimizer keeps a strong reference to every
/// variable it has state for (as Keras does), so an identity is never reused for a new variable.
public class OptimizerBase: Optimizer {
    public let name: String
    public internal(set) var iterations: Int = 0

    /// The learning rate; a constant must be finite and not negative. A schedule's value is
    /// used as it comes: one that grows past Float's range makes the parameters non-finite, which
    /// a ``/Training/Trainer`` reports as divergence.
    public var learningRate: LearningRate {
        didSet { Self.checkLearningRate(learningRate, of: name) }
    }

    /// Threads one update may use; see ``Optimizer/threads``.
    public var threads: Int = 1 {
        didSet { countPrecondition(threads, "\(name).threads") }
    }

    /// Decoupled weight decay λ: before its update each variable becomes `w − w·λ·lr`, as Keras
    /// does for any optimizer given `weight_decay`; `nil` (or 0) disables it.
    public let weightDecay: Double?

    /// Clipping applied to the gradients before each update.
    public let clipping: GradientClipping

    /// Per-variable state, keyed by the variable's identity. An `IdentityMap`, not a
    /// `Dictionary`: the process's first dictionary keyed by `ObjectIdentifier` costs the
    /// runtime a scan of every protocol conformance, which a short loop's first step would pay.
    private var slots = IdentityMap<VariableSlots>()

    init(name: String, learningRate: LearningRate, weightDecay: Double?, clipping: GradientClipping) {
        Self.checkLearningRate(learningRate, of: name)
        if let limit = clipping.limit {
            usagePrecondition(limit > 0, "\(name): clipping \(clipping) needs a limit greater than 0, got \(limit)")
        }
        if let weightDecay {
            usagePrecondition(
                weightDecay >= 0 && weightDecay.isFinite,
                "\(name): weightDecay must be finite and not negative, got \(weightDecay)")
        }
        self.name = name
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.clipping = clipping
    }

    // MARK: The two hooks of a concrete optimizer

    /// The names of the per-variable buffers, in the order the ``UpdateRule``'s `slots` holds them.
    /// Fixed at initialisation.
    var slotNames: [String] { [] }

    /// How many buffers of its variable's size the optimizer keeps per variable (Adam's two
    /// moments: 2), for estimating a run's memory before it starts.
    public var slotCount: Int { slotNames.count }

    /// The value every element of slot `index` starts at.
    func initialSlotValue(_ index: Int) -> Float { 0 }

    /// Whether slot `index` may hold +∞ in a state whose steps stay finite: a sum of squares that
    /// overflowed (Adagrad's accumulator, RMSprop's mean square), which grows on as +∞ and makes
    /// every later update of its element 0. False by default: an infinity in any other slot
    /// makes the next update of its element NaN or infinite (Adam's `v + (g² − v)·(1 − β₂)` is
    /// ∞ − ∞), so a state holding one was altered or diverges at its next step.
    func acceptsInfinity(inSlot index: Int) -> Bool { false }

    /// Whether slot `index` is a sum or running mean of squares (Adam's velocities, RMSprop's
    /// mean square, Adagrad's accumulator), which no step makes negative. The update divides by
    /// its square root, so a negative element makes that update NaN. False by default.
    func isNeverNegative(inSlot index: Int) -> Bool { false }

    /// The elementwise rule of the next step, at learning rate `learningRate`, with every
    /// constant it needs (Adam's bias correction comes from ``iterations``).
    func updateRule(learningRate: Float) -> any UpdateRule {
        fatalError("\(name) must override updateRule(learningRate:)")
    }

    // MARK: One step

    public func apply(_ gradients: [Tensor?], to variables: [Variable]) {
        usagePrecondition(
            gradients.count == variables.count,
            "\(name).apply: \(gradients.count) gradients were given for \(variables.count) variables")
        // Listed twice, a variable would be updated twice in one step.
        if let (first, second) = Variable.firstRepeat(in: variables) {
            usagePrecondition(
                false,
                "\(name).apply: variable '\(variables[second].name)' is listed at positions \(first) and \(second); list each variable once, with the sum of its gradients")
        }
        for (gradient, variable) in zip(gradients, variables) {
            guard let gradient, variable.isTrainable else { continue }
            shapePrecondition(
                gradient.shape == variable.shape,
                "\(name).apply: the gradient for variable '\(variable.name)' has shape \(gradient.shape) but the variable has shape \(variable.shape)")
        }
        let step = nextStep()
        if case .none = clipping {
            for (gradient, variable) in zip(gradients, variables) {
                guard let gradient, variable.isTrainable else { continue }
                update(variable, from: gradient, step)
            }
        } else {
            // Clipping (by norm or global norm) needs every updated gradient at once.
            let kept = zip(gradients, variables).filter { $0.0 != nil && $0.1.isTrainable }
            for (gradient, (_, variable)) in zip(clipping.clip(kept.map(\.0)), kept) {
                if let gradient { update(variable, from: gradient, step) }
            }
        }
        iterations += 1
    }

    /// Applies `step` to the whole of `variable` from `gradient`, shaped like it.
    private func update(_ variable: Variable, from gradient: Tensor, _ step: StepKernel) {
        let state = slots(for: variable)
        variable.withUnsafeMutableValue { parameter in
            gradient.withUnsafeBufferPointer { gradient in
                step.apply(parameter, gradient: gradient, slots: state.buffers, threads: threads)
            }
        }
    }

    /// Whether ``applyPartitioned(to:_:)`` may be used: true unless the clipping needs a whole
    /// gradient (by norm or by global norm) before any element can be updated.
    public var canApplyPartitioned: Bool {
        switch clipping {
        case .none, .byValue: true
        case .byNorm, .byGlobalNorm: false
        }
    }

    public func applyPartitioned(to variables: [Variable], _ body: (PartitionedStep) -> Void) {
        usagePrecondition(
            canApplyPartitioned,
            "\(name).applyPartitioned: clipping \(clipping) needs whole gradients; use apply(_:to:)")
        let step = nextStep()
        let states = variables.map { $0.isTrainable ? slots(for: $0).buffers : nil }
        Variable.withUnsafeMutableValues(variables) { values in
            body(PartitionedStep(
                kernel: step, clipLimit: clipping.elementwiseLimit, parameters: values, slots: states,
                names: variables.map(\.name)))
        }
        iterations += 1
    }

    /// Stops the program when `learningRate` is a constant that is NaN, infinite or negative.
    private static func checkLearningRate(_ learningRate: LearningRate, of name: String) {
        if case .constant(let rate) = learningRate {
            usagePrecondition(
                rate >= 0 && rate.isFinite, "\(name): learningRate must be finite and not negative, got \(rate)")
        }
    }

    /// The next step's rule at the scheduled rate, with its decoupled weight decay (λ, or none).
    private func nextStep() -> StepKernel {
        // A schedule that grows (an exponential decay by a factor above 1) may pass Float's
        // range in a long run: that is the run diverging, not a caller's error, and the
        // non-finite parameters it makes are where a trainer catches it.
        let rate = learningRate.value(at: iterations)
        let decay = weightDecay.flatMap { $0 != 0 ? Float($0) : nil }
        return StepKernel(rule: updateRule(learningRate: rate), decay: decay, learningRate: rate)
    }

    /// The state of `variable`, made on first use.
    private func slots(for variable: Variable) -> VariableSlots {
        let key = ObjectIdentifier(variable)
        if let existing = slots[key] { return existing }
        let count = variable.shape.reduce(1, *)
        let made = VariableSlots(
            variable: variable,
            buffers: slotNames.indices.map { VariableSlots.buffer(count: count, filledWith: initialSlotValue($0)) })
        slots.set(made, for: key)
        return made
    }

    // MARK: State for checkpoints

    public func stateTensors(for variables: [Variable]) -> [String: Tensor] {
        var state: [String: Tensor] = ["iterations": Tensor(Float(iterations))]
        for (index, variable) in variables.enumerated() {
            guard let entry = slots[ObjectIdentifier(variable)] else { continue }
            for (slot, buffer) in zip(slotNames, entry.buffers) {
                state[Self.key(index: index, variable: variable, slot: slot)] =
                    Tensor(shape: variable.shape) { _ = $0.initialize(from: buffer) }
            }
        }
        return state
    }

    public func restoreState(
        _ state: [String: Tensor], for variables: [Variable], iterations: Int?, requiringStateOfTrainableVariables: Bool
    ) throws {
        guard let iterationsTensor = state["iterations"] else {
            throw OptimizerStateError("\(name).restoreState: the key 'iterations' is missing")
        }
        guard iterationsTensor.scalarCount == 1,
              let savedIterations = Int(exactly: iterationsTensor.scalars[0]), savedIterations >= 0
        else {
            throw OptimizerStateError(
                "\(name).restoreState: 'iterations' must be one non-negative whole number, got \(iterationsTensor.scalars) with shape \(iterationsTensor.shape)")
        }
        var restoredIterations = savedIterations
        if let exact = iterations {
            guard exact >= 0, Float(exact) == iterationsTensor.scalars[0] else {
                throw OptimizerStateError(
                    "\(name).restoreState: the step count given, \(exact), does not round to the saved 'iterations', \(iterationsTensor.scalars[0])")
            }
            restoredIterations = exact
        }
        var used: Set<String> = ["iterations"]
        var restored = IdentityMap<VariableSlots>()
        for (index, variable) in variables.enumerated() {
            let keys = slotNames.map { Self.key(index: index, variable: variable, slot: $0) }
            let present = keys.filter { state[$0] != nil }
            if present.isEmpty {
                // No state yet: made at the variable's first gradient. Where every step gives
                // every trainable variable one, a stepped optimizer has made it, so tensors
                // were lost, and starting them afresh would silently change the run.
                if requiringStateOfTrainableVariables && restoredIterations > 0 && variable.isTrainable && !keys.isEmpty {
                    throw OptimizerStateError(
                        "\(name).restoreState: the state holds none of the slots of variable '\(variable.name)' after \(restoredIterations) step\(restoredIterations == 1 ? "" : "s"): \(keys.map { "'\($0)'" }.joined(separator: ", ")) are missing; expected them, as every step updates every trainable variable")
                }
                continue
            }
            if let missing = keys.first(where: { state[$0] == nil }) {
                throw OptimizerStateError("\(name).restoreState: the key '\(missing)' is missing (found \(present))")
            }
            for key in keys where state[key]!.shape != variable.shape {
                throw OptimizerStateError(
                    "\(name).restoreState: '\(key)' has shape \(state[key]!.shape) but variable '\(variable.name)' has shape \(variable.shape)")
            }
            for (slot, key) in keys.enumerated() {
                let tensor = state[key]!
                if isNeverNegative(inSlot: slot),
                   let (element, value) = tensor.withUnsafeBufferPointer({ values in values.firstIndex { $0 < 0 && $0.isFinite }.map { ($0, values[$0]) } })
                {
                    throw OptimizerStateError(
                        "\(name).restoreState: '\(key)' holds \(value) at element \(element), but it is a sum of squares, which no step makes negative, and \(name)'s next update of that element would take its square root; expected values of at least 0")
                }
                // The scan finds nothing in almost every state; only then is an accepted +∞ told
                // apart from what no run makes.
                guard tensor.firstNonFiniteElement != nil else { continue }
                let accepted = acceptsInfinity(inSlot: slot)
                let refused = tensor.withUnsafeBufferPointer { values in
                    values.firstIndex { !$0.isFinite && !(accepted && $0 == .infinity) }.map { ($0, values[$0]) }
                }
                guard let (element, value) = refused else { continue }
                throw OptimizerStateError(
                    "\(name).restoreState: '\(key)' holds \(value.isNaN ? "NaN" : "\(value)") at element \(element), which makes \(name)'s next update of that element \(value.isNaN ? "NaN" : "not finite"); expected finite values\(accepted ? " or +inf (a sum of squares that overflowed)" : "")")
            }
            let buffers = keys.map { key in
                let tensor = state[key]!
                let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: tensor.scalarCount)
                tensor.withUnsafeBufferPointer { _ = buffer.initialize(from: $0) }
                return buffer
            }
            used.formUnion(keys)
            restored.set(VariableSlots(variable: variable, buffers: buffers), for: ObjectIdentifier(variable))
        }
        let unexpected = Set(state.keys).subtracting(used)
        if !unexpected.isEmpty {
            throw OptimizerStateError(
                "\(name).restoreState: unexpected keys \(unexpected.sorted()); expected 'iterations' and '<index>/<variable name>/<slot>' with slots \(slotNames) for the \(variables.count) variables given")
        }
        self.iterations = restoredIterations
        slots = restored
    }

    static func key(index: Int, variable: Variable, slot: String) -> String {
        "\(index)/\(variable.name)/\(slot)"
    }
}

/// The buffers an optimizer keeps for one variable, each with the variable's element count.
final class VariableSlots {
    /// Held strongly so the variable's identity stays unique while the state exists.
    let variable: Variable
    let buffers: [UnsafeMutableBufferPointer<Float>]

    init(variable: Variable, buffers: [UnsafeMutableBufferPointer<Float>]) {
        self.variable = variable
        self.buffers = buffers
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }

    static func buffer(count: Int, filledWith value: Float) -> UnsafeMutableBufferPointer<Float> {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        buffer.initialize(repeating: value)
        return buffer
    }
}

/// A saved optimizer state that does not fit the optimizer or its variables.
public struct OptimizerStateError: Error, CustomStringConvertible, Equatable {
    /// What was wrong, naming the key and the shapes involved.
    public let message: String

    /// An error saying `message`.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
