import Autograd
import ConfigKit
import JSON
import Optimizers

/// An optimizer as a config describes it: `{"name": "adam", "learning_rate": 0.001, …}`.
///
/// `name` picks one of ``OptimizerCatalog/all``; every other key is optional. Each optimizer
/// declares its own hyperparameters (``ConfigurableOptimizer/hyperparameters``): their keys, Keras's
/// defaults and the values allowed, so this reader holds no list of its own. All of them also
/// take `learning_rate` (the optimizer's default), `schedule` (see ``ScheduleSpec``) and
/// `clip_global_norm`; any other key is rejected, listing the keys the named optimizer takes.
///
/// A number is kept as the `Double` the optimizer holds (Keras's Python float) and checked
/// against its bounds both as that `Double` and as the `Float` the update computes with:
/// `"epsilon": 1e-50` is 0 as a `Float` and is rejected like `"epsilon": 0`.
package struct OptimizerSpec: Sendable {
    /// Builds a fresh optimizer (with empty state) each time it is called.
    package let make: @Sendable () -> any Optimizer
    /// The config's `name`.
    package let name: String
    /// The base learning rate (before any schedule).
    package let learningRate: Float
    /// Buffers of a variable's size the optimizer keeps per variable (Adam: 2), for the memory
    /// estimate of a run.
    package let slotCount: Int
    /// Whether the learning-rate schedule takes its length from the run's (a cosine decay
    /// without `decay_steps`), so that a run of another length has other rates at every step.
    package let scheduleSpansRun: Bool

    /// The name, the base learning rate and every hyperparameter's value, defaults included:
    /// what the optimizer is made with, for `swiftgrad validate`.
    package let settings: JSONObject

    /// The optimizer's slots per variable; 3, the most any built-in keeps, for one that does not say.
    private static func slotCount(of optimizer: any Optimizer) -> Int {
        (optimizer as? OptimizerBase)?.slotCount ?? 3
    }

    /// Reads an optimizer object. `batchScale` multiplies the learning rate (the linear scaling
    /// rule), and `totalSteps` is the default decay length of schedules.
    ///
    /// - Throws: `ConfigError` naming the key path for an unknown name (listing the names), a
    ///   value of the wrong type or out of range, or a key the named optimizer does not take
    ///   (listing those it does).
    package init(reading object: inout ConfigObject, batchScale: Float = 1, totalSteps: Int? = nil) throws {
        let type = try object.require("name", as: RegisteredOptimizer.self).type
        name = type.configName
        let base = try object.optional("learning_rate", as: Float.self, default: type.defaultLearningRate, .positive)
        let rate = base * batchScale
        guard rate.isFinite && rate > 0 else {
            let position = object.object.member("learning_rate")?.value.position ?? object.position
            throw ConfigError(
                .invalidValue, file: object.node.file, position: position, keyPath: object.path.appending(key: "learning_rate"),
                message: "the learning rate \(base) times the linear scaling rule's factor \(batchScale) is \(rate) as a 32-bit float; expected a rate that stays finite and > 0")
        }
        learningRate = rate
        let schedule = try object.optionalObject("schedule") { try ScheduleSpec(reading: &$0, learningRate: rate, totalSteps: totalSteps) }
        scheduleSpansRun = schedule?.spansRun ?? false
        let learningRateValue: LearningRate = schedule.map { .scheduled($0.schedule) } ?? .constant(rate)
        let clipping: GradientClipping = try object.optional("clip_global_norm", as: Float.self, .positive).map { .byGlobalNorm($0) } ?? .none
        var settings: JSONObject = ["name": .string(name), "learning_rate": .number(rate)]
        let values = try HyperparameterValues(
            type.hyperparameters,
            float: { hyperparameter, bounds in
                guard case .float(let defaultValue, _) = hyperparameter.kind else { return nil }
                let value = try object.hyperparameter(hyperparameter.key, default: defaultValue, within: bounds)
                settings[hyperparameter.key] = .number(value)
                return value
            },
            bool: { hyperparameter in
                guard case .bool(let defaultValue) = hyperparameter.kind else { return nil }
                let value = try object.optional(hyperparameter.key, as: Bool.self, default: defaultValue)
                settings[hyperparameter.key] = .bool(value)
                return value
            })
        if case .byGlobalNorm(let norm) = clipping { settings["clip_global_norm"] = .number(norm) }
        self.settings = settings
        try object.rejectKeysOfOtherOptimizers(than: type)
        let make: @Sendable () -> any Optimizer = { type.init(learningRate: learningRateValue, clipping: clipping, hyperparameters: values) }
        self.make = make
        slotCount = Self.slotCount(of: make())
    }
}

/// A registered optimizer, read from its config name; a name that is not registered is an error
/// that lists every registered name and suggests the closest.
private struct RegisteredOptimizer: ConfigEnum {
    let type: any ConfigurableOptimizer.Type

    init(_ type: any ConfigurableOptimizer.Type) { self.type = type }

    init?(rawValue: String) {
        guard let type = OptimizerCatalog.optimizer(named: rawValue) else { return nil }
        self.type = type
    }

    var rawValue: String { type.configName }

    static var allCases: [RegisteredOptimizer] { OptimizerCatalog.all.map(RegisteredOptimizer.init) }
}

extension Hyperparameter.Bounds {
    /// The same bounds as a config constraint on a `Double`, for the same messages as every
    /// other number: "expected a number in [0, 1), found 1.5".
    fileprivate var constraint: ConfigConstraint<Double> {
        switch self {
        case .greaterThan(let bound): .greaterThan(bound)
        case .atLeast(let bound): .atLeast(bound)
        case .halfOpen(let range): .in(range)
        case .closed(let range): .in(range)
        }
    }
}

extension ConfigObject {
    /// A number hyperparameter, or its default when absent: a finite `Double` within `bounds`,
    /// whose `Float` value (the one the update uses) is finite and within `bounds` too.
    fileprivate mutating func hyperparameter(
        _ key: String, default defaultValue: Double, within bounds: Hyperparameter.Bounds
    ) throws -> Double {
        let constraint = bounds.constraint
        let value = try optional(key, as: Double.self, default: defaultValue, constraint)
        guard let json = object[key] else { return value }
        let node = ConfigNode(value: json, path: path.appending(key: key), file: self.node.file)
        let single = Float(value)
        guard single.isFinite else {
            throw node.invalidValue(
                expected: "a number within ±\(Float.greatestFiniteMagnitude)", note: "the optimizer computes in 32-bit floats")
        }
        guard bounds.contains(single) else {
            throw node.invalidValue(
                expected: constraint.expected, note: "it is \(single.boundDescription) as a 32-bit float, which the optimizer computes in")
        }
        return value
    }

    /// Rejects, in the order written, a key the optimizer `type` does not take when another
    /// registered optimizer takes it, naming those that do and listing the keys `type` takes:
    /// `{"name": "adam", "momentum": 0.9}`. Any other unknown key is left to ``finish()``.
    fileprivate func rejectKeysOfOtherOptimizers(than type: any ConfigurableOptimizer.Type) throws {
        for member in object.members where !knownKeys.contains(member.key) {
            let owners = OptimizerCatalog.all.filter { $0.hyperparameters.contains { $0.key == member.key } }
            guard !owners.isEmpty else { return }
            let names = owners.map { "\"\($0.configName)\"" }.joined(separator: ", ")
            throw ConfigError(
                .unknownKey, file: node.file, position: member.keyPosition, keyPath: path.appending(key: member.key),
                message: "unknown key for \"\(type.configName)\" ('\(member.key)' is a key of \(names)); "
                    + "known keys: " + knownKeys.joined(separator: ", "))
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
    /// The values `step_size` and `decay_steps` may take.
    package static let stepCounts = 1...1_000_000_000_000
    /// The values `warmup_steps` may take.
    package static let warmupStepCounts = 0...1_000_000_000_000

    /// The schedule, warm-up included.
    package let schedule: any LearningRateSchedule
    /// Whether its decay spans the run's steps, for want of `decay_steps`.
    package let spansRun: Bool

    init(reading object: inout ConfigObject, learningRate: Float, totalSteps: Int?) throws {
        let type = try object.require("type", as: String.self, .oneOf(Self.types))
        let base: any LearningRateSchedule
        var spansRun = false
        switch type {
        case "step":
            let size = try object.require("step_size", as: Int.self, .in(Self.stepCounts))
            let gamma = try object.optional("gamma", as: Float.self, default: 0.1, .positive)
            base = StepDecay(initialLearningRate: learningRate, stepSize: size, gamma: gamma)
        case "exponential":
            try object.requirePresent(["type", "decay_steps", "decay_rate"], optional: ["staircase", "warmup_steps"])
            let steps = try object.require("decay_steps", as: Int.self, .in(Self.stepCounts))
            let rate = try object.require("decay_rate", as: Float.self, .positive)
            let staircase = try object.optional("staircase", as: Bool.self, default: false)
            base = ExponentialDecay(initialLearningRate: learningRate, decaySteps: steps, decayRate: rate, staircase: staircase)
        case "cosine":
            let steps: Int
            if let totalSteps, !object.contains("decay_steps") {
                // The steps left after the warm-up, which delays the schedule: the decay then
                // spans the rest of the run and ends at the floor.
                let warmup = try object.optional("warmup_steps", as: Int.self, default: 0, .in(Self.warmupStepCounts))
                steps = Swift.max(totalSteps - warmup, 1)
                spansRun = true
            } else {
                steps = try object.require("decay_steps", as: Int.self, .in(Self.stepCounts))
            }
            let alpha = try object.optionalFloat("alpha", default: 0, in: 0...1)
            base = CosineDecay(initialLearningRate: learningRate, decaySteps: steps, alpha: alpha)
        default:
            base = ConstantLearningRate(learningRate)
        }
        let warmup = try object.optional("warmup_steps", as: Int.self, default: 0, .in(Self.warmupStepCounts))
        schedule = warmup > 0 ? LinearWarmup(base, warmupSteps: warmup) : base
        self.spansRun = spansRun
    }
}

extension ConfigObject {
    /// An optional `Float` in `range`, checked as written and as the `Float` it becomes: a
    /// bound is not passed by a value that only rounds onto it (`1.00000001` for [0, 1]), nor
    /// is a value that rounds to 0 taken for 0.
    package mutating func optionalFloat(_ key: String, default defaultValue: Float, in range: ClosedRange<Float>) throws -> Float {
        _ = try optional(key, as: Double.self, default: Double(defaultValue), .in(Double(range.lowerBound)...Double(range.upperBound)))
        return try optional(key, as: Float.self, default: defaultValue, .in(range))
    }

    /// A required `Float` in `range`, checked as written and then as the `Float` it becomes: a
    /// value within the range that rounds onto its open end (`0.99999999` for [0, 1) is 1 as a
    /// `Float`) is refused with a note that says so, rather than as a number the range lacks.
    ///
    /// - Parameters:
    ///   - key: the member's key.
    ///   - range: the values accepted, as written and as a `Float`.
    ///   - user: what computes with the value, for the note: "dropout".
    /// - Throws: `ConfigError` naming the key path.
    package mutating func requireFloat(_ key: String, in range: Range<Float>, usedBy user: String) throws -> Float {
        let constraint = ConfigConstraint<Double>.in(Double(range.lowerBound)..<Double(range.upperBound))
        _ = try require(key, as: Double.self, constraint)
        let value = try require(key, as: Float.self)
        guard range.contains(value) else {
            let node = ConfigNode(value: object[key]!, path: path.appending(key: key), file: self.node.file)
            throw node.invalidValue(expected: constraint.expected, note: "it is \(value.boundDescription) as a 32-bit float, which \(user) computes in")
        }
        return value
    }
}
