import JSON

/// A value in a document together with its key path and file: everything an error about it needs.
///
/// Custom ``ConfigValue`` conformances receive one and use it to build their errors.
///
/// ```swift
/// struct Shape: ConfigValue {
///     static let expectedDescription = "a shape like \"28x28\""
///     static let pluralDescription = "shapes"
///     var dims: [Int]
///     static func decode(_ node: ConfigNode) throws -> Shape {
///         let text = try String.decode(node)
///         let dims = text.split(separator: "x").compactMap { Int($0) }
///         guard !dims.isEmpty else { throw node.invalidValue(expected: expectedDescription) }
///         return Shape(dims: dims)
///     }
/// }
/// ```
public struct ConfigNode: Sendable {
    /// The value.
    public let value: JSONValue
    /// Where the value sits in the document.
    public let path: ConfigKeyPath
    /// The file name used in messages.
    public let file: String

    /// Creates a node.
    ///
    /// - Parameters:
    ///   - value: the value.
    ///   - path: where it sits in the document.
    ///   - file: the file name used in messages.
    public init(value: JSONValue, path: ConfigKeyPath, file: String) {
        self.value = value
        self.path = path
        self.file = file
    }

    /// An error for a value of the wrong JSON type: `expected a number, found "0.1"`.
    ///
    /// - Parameter expected: what belongs here, with its article.
    /// - Returns: an error of kind `.typeMismatch` at this value.
    public func typeMismatch(expected: String) -> ConfigError {
        ConfigError(
            .typeMismatch, file: file, position: value.position, keyPath: path,
            message: "expected \(expected), found \(value.foundDescription)")
    }

    /// An error for a value of the right type that is not acceptable: `expected a number > 0, found -1`.
    ///
    /// - Parameters:
    ///   - expected: what belongs here, with its article.
    ///   - note: an optional hint appended in parentheses.
    /// - Returns: an error of kind `.invalidValue` at this value.
    public func invalidValue(expected: String, note: String? = nil) -> ConfigError {
        ConfigError(
            .invalidValue, file: file, position: value.position, keyPath: path,
            message: "expected \(expected), found \(value.foundDescription)" + (note.map { " (\($0))" } ?? ""))
    }
}

/// A type that can be read from a config value, with a description of what it expects.
///
/// Conforming: `Bool`, `Int`, `Double`, `Float`, `String`, arrays of conforming types,
/// ``ConfigObject``, and any `String`-backed enum that adopts ``ConfigEnum``.
public protocol ConfigValue: SendableMetatype {
    /// What a value of this type looks like, with its article: "a number", "an integer".
    static var expectedDescription: String { get }
    /// The plural, used for arrays: "numbers", "integers".
    static var pluralDescription: String { get }
    /// Reads a value.
    ///
    /// - Parameter node: the value with its key path and file.
    /// - Returns: the typed value.
    /// - Throws: `ConfigError`, usually from ``ConfigNode/typeMismatch(expected:)``.
    static func decode(_ node: ConfigNode) throws -> Self
}

extension Bool: ConfigValue {
    public static var expectedDescription: String { "a boolean (true or false)" }
    public static var pluralDescription: String { "booleans" }
    public static func decode(_ node: ConfigNode) throws -> Bool {
        guard let value = node.value.boolValue else { throw node.typeMismatch(expected: expectedDescription) }
        return value
    }
}

extension String: ConfigValue {
    public static var expectedDescription: String { "a string" }
    public static var pluralDescription: String { "strings" }
    public static func decode(_ node: ConfigNode) throws -> String {
        guard let value = node.value.stringValue else { throw node.typeMismatch(expected: expectedDescription) }
        return value
    }
}

extension Int: ConfigValue {
    public static var expectedDescription: String { "an integer" }
    public static var pluralDescription: String { "integers" }
    /// Accepts numbers with an exact integer value (`3`, `3.0`, `1e3`); rejects `1.5` and numbers
    /// outside `Int`'s range.
    public static func decode(_ node: ConfigNode) throws -> Int {
        guard case .number(let number) = node.value.kind else {
            throw node.typeMismatch(expected: expectedDescription)
        }
        if let value = number.intValue { return value }
        if number.isWhole { throw node.invalidValue(expected: "an integer between \(Int.min) and \(Int.max)") }
        let value = number.doubleValue
        if value.rounded() == value {
            // Whole as a Double but not as written: a fraction below a Double's precision.
            if let whole = Int(exactly: value) {
                throw node.invalidValue(
                    expected: "an integer", note: "its fraction is below a 64-bit float's precision, which reads it as \(whole); write \(whole)")
            }
            throw node.invalidValue(expected: "an integer between \(Int.min) and \(Int.max)")
        }
        throw node.typeMismatch(expected: expectedDescription)
    }
}

extension Double: ConfigValue {
    public static var expectedDescription: String { "a number" }
    public static var pluralDescription: String { "numbers" }
    /// Accepts any JSON number that is finite as a `Double`; `1e400` is out of range.
    public static func decode(_ node: ConfigNode) throws -> Double {
        guard let value = node.value.doubleValue else { throw node.typeMismatch(expected: expectedDescription) }
        guard value.isFinite else {
            throw node.invalidValue(expected: "a number within ±\(Double.greatestFiniteMagnitude)")
        }
        if value == 0, case .number(let number) = node.value.kind, number.writesNonzero {
            throw node.invalidValue(expected: "a number of magnitude at least \(Double.leastNonzeroMagnitude), the smallest a 64-bit float holds (this one rounds to 0; write 0 if 0 is meant)")
        }
        return value
    }
}

extension Float: ConfigValue {
    public static var expectedDescription: String { "a number" }
    public static var pluralDescription: String { "numbers" }
    /// Accepts any JSON number that is finite as a `Float` and, when it is not zero, does not
    /// round to zero (`1e-50` would silently become 0); rounds to the nearest `Float`.
    public static func decode(_ node: ConfigNode) throws -> Float {
        guard case .number(let number) = node.value.kind else {
            throw node.typeMismatch(expected: expectedDescription)
        }
        guard let value = Float(number.literal), value.isFinite else {
            throw node.invalidValue(expected: "a number within ±\(Float.greatestFiniteMagnitude)")
        }
        if value == 0, number.writesNonzero {
            throw node.invalidValue(expected: "a number of magnitude at least \(Float.leastNonzeroMagnitude), the smallest a 32-bit float holds (this one rounds to 0; write 0 if 0 is meant)")
        }
        return value
    }
}

extension Array: ConfigValue where Element: ConfigValue {
    public static var expectedDescription: String { "an array of \(Element.pluralDescription)" }
    public static var pluralDescription: String { "arrays of \(Element.pluralDescription)" }
    /// Reads every element; an error names the element's index, e.g. `sizes[3]`.
    public static func decode(_ node: ConfigNode) throws -> [Element] {
        guard let elements = node.value.arrayValue else {
            throw node.typeMismatch(expected: expectedDescription)
        }
        var result: [Element] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            result.append(try Element.decode(ConfigNode(value: element, path: node.path.appending(index: index), file: node.file)))
        }
        return result
    }
}

/// A `String`-backed enum read from its raw values; errors list every allowed value.
///
/// ```swift
/// enum OptimizerKind: String, CaseIterable, ConfigEnum { case sgd, adam, adamw }
/// let kind = try root.require("optimizer", as: OptimizerKind.self)
/// // train.json:2:16: key path 'optimizer': expected one of "sgd", "adam", "adamw", found "adm" (did you mean "adam"?)
/// ```
public protocol ConfigEnum: ConfigValue, RawRepresentable, CaseIterable where RawValue == String {}

extension ConfigEnum {
    public static var expectedDescription: String {
        "one of " + allCases.map { quoted($0.rawValue) }.joined(separator: ", ")
    }
    public static var pluralDescription: String { "strings" }
    public static func decode(_ node: ConfigNode) throws -> Self {
        guard let text = node.value.stringValue else { throw node.typeMismatch(expected: expectedDescription) }
        if let value = Self(rawValue: text) { return value }
        let suggestion = closestMatch(to: text, among: allCases.map(\.rawValue))
        throw node.invalidValue(expected: expectedDescription, note: suggestion.map { "did you mean \(quoted($0))?" })
    }
}

extension JSONNumber {
    /// Whether the literal has a non-zero digit before its exponent: it is not 0, even where it
    /// reads as 0 in a `Float` or a `Double` (`1e-46`, `1e-400`).
    var writesNonzero: Bool {
        literal.prefix(while: { $0 != "e" && $0 != "E" }).contains(where: { ("1"..."9").contains($0) })
    }
}
