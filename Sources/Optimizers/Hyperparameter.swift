import Autograd

/// A hyperparameter an optimizer takes by name, as Keras's `get_config()` spells it: its key,
/// its type with Keras's default and the values allowed, and a one-line description.
///
/// Each optimizer declares its own in ``ConfigurableOptimizer/hyperparameters``; readers of
/// configs, documentation and tests all work from those declarations, so a key, its default and
/// its range are written down once, in the optimizer's file.
public struct Hyperparameter: Sendable, Equatable {
    /// The type of a hyperparameter, with its default.
    public enum Kind: Sendable, Equatable {
        /// A number, kept as a `Double` like the Python float Keras keeps it in and used as a
        /// `Float` by the update, so `bounds` hold for its `Float` value.
        case float(default: Double, bounds: Bounds)
        /// A flag.
        case bool(default: Bool)
    }

    /// The values a number may take: an interval with at least a lower bound.
    public enum Bounds: Sendable, Equatable, CustomStringConvertible {
        /// Values `> bound`.
        case greaterThan(Double)
        /// Values `>= bound`.
        case atLeast(Double)
        /// Values in `[a, b)`.
        case halfOpen(Range<Double>)
        /// Values in `[a, b]`.
        case closed(ClosedRange<Double>)

        /// Values `> 0`.
        public static let positive = greaterThan(0)
        /// Values `>= 0`.
        public static let nonNegative = atLeast(0)

        /// Whether `value` lies within the bounds, compared in `value`'s own type: a `Float`
        /// check sees the value the update will use (`1e-50` is 0 as a `Float`, so not `> 0`).
        public func contains<Value: BinaryFloatingPoint>(_ value: Value) -> Bool {
            switch self {
            case .greaterThan(let bound): value > Value(bound)
            case .atLeast(let bound): value >= Value(bound)
            case .halfOpen(let range): value >= Value(range.lowerBound) && value < Value(range.upperBound)
            case .closed(let range): value >= Value(range.lowerBound) && value <= Value(range.upperBound)
            }
        }

        /// The bounds as the documentation writes them: `> 0`, `>= 0`, `[0, 1)`, `[0, 1]`.
        public var description: String {
            switch self {
            case .greaterThan(let bound): "> \(Self.text(bound))"
            case .atLeast(let bound): ">= \(Self.text(bound))"
            case .halfOpen(let range): "[\(Self.text(range.lowerBound)), \(Self.text(range.upperBound)))"
            case .closed(let range): "[\(Self.text(range.lowerBound)), \(Self.text(range.upperBound))]"
            }
        }

        /// `0` rather than `0.0` for a whole bound.
        private static func text(_ bound: Double) -> String {
            bound.rounded() == bound && abs(bound) < 1e15 ? String(Int(bound)) : String(bound)
        }
    }

    /// The key, as in Keras's `get_config()`: `"beta_1"`.
    public let key: String
    /// The type, with the default and the values allowed.
    public let kind: Kind
    /// What it does, in one line.
    public let summary: String

    /// Declares a hyperparameter.
    public init(key: String, kind: Kind, summary: String) {
        self.key = key
        self.kind = kind
        self.summary = summary
    }
}

/// A declared ``Hyperparameter`` with the Swift type of its value: what an optimizer reads its
/// resolved value with, from ``HyperparameterValues``.
///
/// ```swift
/// private let beta1 = HyperparameterKey.float(
///     "beta_1", default: Adam.Defaults.beta1, .halfOpen(0..<1), "β₁, the decay of the first moment")
/// let values = HyperparameterValues(defaultsOf: [beta1.declaration])
/// values[beta1]  // 0.9, a Double
/// ```
public struct HyperparameterKey<Value: Sendable>: Sendable {
    /// The declaration, for ``ConfigurableOptimizer/hyperparameters``.
    public let declaration: Hyperparameter
    /// The default, the same as the declaration's.
    let defaultValue: Value

    private init(_ declaration: Hyperparameter, defaultValue: Value) {
        self.declaration = declaration
        self.defaultValue = defaultValue
    }
}

extension HyperparameterKey<Double> {
    /// A number with its default, the values allowed and a one-line description.
    public static func float(_ key: String, default value: Double, _ bounds: Hyperparameter.Bounds, _ summary: String) -> Self {
        Self(Hyperparameter(key: key, kind: .float(default: value, bounds: bounds), summary: summary), defaultValue: value)
    }

    /// Stops the program when `value`, given to `optimizer`'s initialiser as `argument`, lies
    /// outside the declared bounds as a `Float` (NaN lies outside every bound): the same values a
    /// config may hold, so an optimizer made in code cannot take one that a config could not.
    func checkArgument(_ value: Double, of optimizer: String, named argument: String) {
        guard case .float(_, let bounds) = declaration.kind else { return }
        let allowed = switch bounds {
        case .greaterThan, .atLeast: "be \(bounds)"
        case .halfOpen, .closed: "lie in \(bounds)"
        }
        usagePrecondition(
            bounds.contains(Float(value)),
            "\(optimizer): \(argument) must \(allowed) (the config's '\(declaration.key)'), got \(value)")
    }
}

extension HyperparameterKey<Bool> {
    /// A flag with its default and a one-line description.
    public static func bool(_ key: String, default value: Bool, _ summary: String) -> Self {
        Self(Hyperparameter(key: key, kind: .bool(default: value), summary: summary), defaultValue: value)
    }
}

/// A value for every hyperparameter an optimizer declares: the defaults, with whatever a reader
/// (a config, a saved Keras config) gave in their place.
///
/// It is made from the declarations, so every declared key has a value of its declared type and
/// reading one through its ``HyperparameterKey`` cannot fail.
public struct HyperparameterValues: Sendable {
    private enum Value: Sendable {
        case float(Double)
        case bool(Bool)
    }

    private var values: [String: Value] = [:]

    /// Every hyperparameter in `declarations` at its default.
    public init(defaultsOf declarations: [Hyperparameter]) {
        self.init(declarations, float: { _, _ in nil }, bool: { _ in nil })
    }

    /// Every hyperparameter in `declarations`: the value `float` or `bool` gives for it (by its
    /// kind), or its default where they give `nil`.
    ///
    /// - Parameters:
    ///   - declarations: the optimizer's ``ConfigurableOptimizer/hyperparameters``.
    ///   - float: the value of a number, given its declaration and bounds, or `nil` for its
    ///     default. The caller checks it: a config reader rejects a value outside the bounds
    ///     with its key path.
    ///   - bool: the value of a flag, or `nil` for its default.
    /// - Precondition: every number given is within its bounds as a `Float`.
    public init(
        _ declarations: [Hyperparameter],
        float: (Hyperparameter, Hyperparameter.Bounds) throws -> Double?,
        bool: (Hyperparameter) throws -> Bool?
    ) rethrows {
        for declaration in declarations {
            switch declaration.kind {
            case .float(let defaultValue, let bounds):
                let value = try float(declaration, bounds) ?? defaultValue
                usagePrecondition(
                    bounds.contains(Float(value)),
                    "hyperparameter '\(declaration.key)' must be \(bounds) as a Float, got \(value)")
                values[declaration.key] = .float(value)
            case .bool(let defaultValue):
                values[declaration.key] = .bool(try bool(declaration) ?? defaultValue)
            }
        }
    }

    /// The value of a number; its default if it was not among the declarations.
    public subscript(key: HyperparameterKey<Double>) -> Double {
        if case .float(let value)? = values[key.declaration.key] { return value }
        return key.defaultValue
    }

    /// The value of a flag; its default if it was not among the declarations.
    public subscript(key: HyperparameterKey<Bool>) -> Bool {
        if case .bool(let value)? = values[key.declaration.key] { return value }
        return key.defaultValue
    }
}
