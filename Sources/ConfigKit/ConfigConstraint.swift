/// A check on a value beyond its type, with the phrase an error uses to say what was expected.
///
/// ```swift
/// let beta1 = try optimizer.require("beta_1", as: Double.self, .in(0..<1))
/// // train.json:4:16: key path 'optimizer.beta_1': expected a number in [0, 1), found 1.5
/// let workers = try root.require("workers", as: Int.self, .positive)
/// let layers = try root.require("hidden", as: [Int].self, .nonEmpty)
/// let data = try root.require("path", as: String.self, .path)  // not "", no NUL
/// let custom = ConfigConstraint<Int>(expected: "a power of two") { $0 > 0 && $0 & ($0 - 1) == 0 }
/// ```
public struct ConfigConstraint<Value: ConfigValue>: Sendable {
    /// The full phrase for an acceptable value, with its article: "a number > 0".
    public let expected: String
    private let predicate: @Sendable (Value) -> Bool
    /// The accepted strings of a `oneOf` constraint, for "did you mean".
    let choices: [String]

    /// Creates a constraint.
    ///
    /// - Parameters:
    ///   - expected: the full phrase for an acceptable value, e.g. "an even integer".
    ///   - predicate: whether a value is acceptable.
    public init(expected: String, where predicate: @escaping @Sendable (Value) -> Bool) {
        self.init(expected: expected, choices: [], where: predicate)
    }

    init(expected: String, choices: [String], where predicate: @escaping @Sendable (Value) -> Bool) {
        self.expected = expected
        self.choices = choices
        self.predicate = predicate
    }

    /// Whether `value` is acceptable.
    ///
    /// - Parameter value: the value to check.
    /// - Returns: `true` if it passes.
    public func isSatisfied(by value: Value) -> Bool {
        predicate(value)
    }

    /// Accepts every value of the type.
    public static var unconstrained: ConfigConstraint {
        ConfigConstraint(expected: Value.expectedDescription) { _ in true }
    }
}

/// A number type that range constraints can print bounds for.
public protocol ConfigNumber: ConfigValue, Comparable, Sendable {
    /// The bound as a person would write it: `0` rather than `0.0`.
    var boundDescription: String { get }
    /// Zero, for `.positive` and `.nonNegative`.
    static var zero: Self { get }
}

extension Int: ConfigNumber {
    public var boundDescription: String { description }
}

extension Double: ConfigNumber {
    public var boundDescription: String {
        rounded() == self && abs(self) < 1e15 ? String(Int(self)) : description
    }
}

extension Float: ConfigNumber {
    public var boundDescription: String {
        rounded() == self && abs(self) < 1e7 ? String(Int(self)) : description
    }
}

extension ConfigConstraint where Value: ConfigNumber {
    /// Accepts values `> 0`.
    public static var positive: ConfigConstraint { greaterThan(.zero) }
    /// Accepts values `>= 0`.
    public static var nonNegative: ConfigConstraint { atLeast(.zero) }

    /// Accepts values `> bound`.
    ///
    /// - Parameter bound: the exclusive lower bound.
    public static func greaterThan(_ bound: Value) -> ConfigConstraint {
        ConfigConstraint(expected: "\(Value.expectedDescription) > \(bound.boundDescription)") { $0 > bound }
    }

    /// Accepts values `>= bound`.
    ///
    /// - Parameter bound: the inclusive lower bound.
    public static func atLeast(_ bound: Value) -> ConfigConstraint {
        ConfigConstraint(expected: "\(Value.expectedDescription) >= \(bound.boundDescription)") { $0 >= bound }
    }

    /// Accepts values `< bound`.
    ///
    /// - Parameter bound: the exclusive upper bound.
    public static func lessThan(_ bound: Value) -> ConfigConstraint {
        ConfigConstraint(expected: "\(Value.expectedDescription) < \(bound.boundDescription)") { $0 < bound }
    }

    /// Accepts values `<= bound`.
    ///
    /// - Parameter bound: the inclusive upper bound.
    public static func atMost(_ bound: Value) -> ConfigConstraint {
        ConfigConstraint(expected: "\(Value.expectedDescription) <= \(bound.boundDescription)") { $0 <= bound }
    }

    /// Accepts values in a half-open range, printed `in [a, b)`.
    ///
    /// - Parameter range: the accepted values.
    public static func `in`(_ range: Range<Value>) -> ConfigConstraint {
        ConfigConstraint(
            expected: "\(Value.expectedDescription) in [\(range.lowerBound.boundDescription), "
                + "\(range.upperBound.boundDescription))"
        ) { range.contains($0) }
    }

    /// Accepts values in a closed range, printed `in [a, b]`.
    ///
    /// - Parameter range: the accepted values.
    public static func `in`(_ range: ClosedRange<Value>) -> ConfigConstraint {
        ConfigConstraint(
            expected: "\(Value.expectedDescription) in [\(range.lowerBound.boundDescription), "
                + "\(range.upperBound.boundDescription)]"
        ) { range.contains($0) }
    }
}

extension ConfigConstraint where Value: Collection {
    /// Accepts arrays and strings that are not empty.
    public static var nonEmpty: ConfigConstraint {
        ConfigConstraint(expected: "\(Value.expectedDescription) that is not empty") { !$0.isEmpty }
    }
}

extension ConfigConstraint where Value == String {
    /// Accepts only the given strings; errors list them and suggest the closest one.
    ///
    /// - Parameter allowed: the accepted strings, in the order messages list them.
    public static func oneOf(_ allowed: [String]) -> ConfigConstraint {
        ConfigConstraint(expected: "one of " + allowed.map { quoted($0) }.joined(separator: ", "), choices: allowed) {
            allowed.contains($0)
        }
    }

    /// Accepts a file or folder path: not empty, and without the NUL character (U+0000), which
    /// no POSIX path holds. The system's calls read a path up to its first NUL, so
    /// `"data.csv\u0000x"` would silently name `data.csv`.
    public static var path: ConfigConstraint {
        ConfigConstraint(expected: "a non-empty path without the NUL character (U+0000, which no path can hold)") {
            !$0.isEmpty && !$0.utf8.contains(0)
        }
    }
}
