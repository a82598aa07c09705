/// A JSON value: what a config file said, or what a report will say.
///
/// Objects keep their members in the order written or added, so a parsed config can be shown
/// back in its own order and the same report always prints the same bytes. Values parsed from
/// text (ConfigKit's `ConfigDocument`) carry the position of every value, so that a later error
/// can point back at the text; values built in code have none.
///
/// Two values are equal when their contents are: the same type, the same number literals, the
/// same strings, the same elements, and the same members in the same order. Positions do not
/// count, so a value built in code equals the same value parsed back from its encoding.
///
/// ```swift
/// var report: JSONObject = ["model": "linear", "epochs": 20]
/// report["loss"] = JSONValue(losses)            // [Float] -> array of numbers
/// report["final"] = ["w": 2.0, "b": -1.0]
/// let text = try JSONValue.object(report).encoded()
///
/// let document = try ConfigDocument(parsing: #"{"sizes": [1, 2.5e3]}"#)
/// let sizes = document.root.objectValue?["sizes"]?.arrayValue  // two values
/// sizes?[1].doubleValue                                       // 2500
/// sizes?[1].position                                          // 1:16
/// ```
public struct JSONValue: Sendable, Equatable {
    /// The JSON type and contents of a value.
    public enum Kind: Sendable, Equatable {
        case null
        case bool(Bool)
        case number(JSONNumber)
        case string(String)
        case array([JSONValue])
        case object(JSONObject)
    }

    /// The JSON type and contents.
    public var kind: Kind
    /// Where the value starts in the text it was parsed from, e.g. the `{` of an object; `nil`
    /// for a value built in code.
    public var position: SourcePosition?

    /// Creates a value.
    ///
    /// - Parameters:
    ///   - kind: the JSON type and contents.
    ///   - position: where the value starts in its text; `nil` for a value built in code.
    public init(_ kind: Kind, at position: SourcePosition? = nil) {
        self.kind = kind
        self.position = position
    }

    /// Whether the value is `null`.
    public var isNull: Bool {
        if case .null = kind { return true }
        return false
    }

    /// The value if it is `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let value) = kind { return value }
        return nil
    }

    /// The value if it is a number, as the nearest `Double`.
    public var doubleValue: Double? {
        if case .number(let value) = kind { return value.doubleValue }
        return nil
    }

    /// The value if it is a number with an exact `Int` value.
    public var intValue: Int? {
        if case .number(let value) = kind { return value.intValue }
        return nil
    }

    /// The value if it is a string.
    public var stringValue: String? {
        if case .string(let value) = kind { return value }
        return nil
    }

    /// The elements if the value is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = kind { return value }
        return nil
    }

    /// The members if the value is an object.
    public var objectValue: JSONObject? {
        if case .object(let value) = kind { return value }
        return nil
    }

    /// Whether the two values have the same contents; positions do not count.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        lhs.kind == rhs.kind
    }
}
