/// A parsed JSON value together with where it was written.
///
/// The tree is read-only: it is what a config file said, kept so that every later error can point
/// back at the text. Read it through ``ConfigObject`` for typed access with key paths.
///
/// ```swift
/// let document = try ConfigDocument(parsing: #"{"sizes": [1, 2.5e3]}"#)
/// let sizes = document.root.objectValue?["sizes"]?.arrayValue  // two values
/// sizes?[1].doubleValue                                       // 2500
/// sizes?[1].position                                          // 1:16
/// ```
public struct JSONValue: Sendable {
    /// The JSON type and contents of a value.
    public enum Kind: Sendable {
        case null
        case bool(Bool)
        case number(JSONNumber)
        case string(String)
        case array([JSONValue])
        case object(JSONObject)
    }

    /// The JSON type and contents.
    public var kind: Kind
    /// Where the value starts: its first character, e.g. the `{` of an object.
    public var position: SourcePosition

    /// Creates a value.
    ///
    /// - Parameters:
    ///   - kind: the JSON type and contents.
    ///   - position: where the value starts.
    public init(_ kind: Kind, at position: SourcePosition) {
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

    /// The JSON type with its article, as messages name it: "a number", "an object".
    public var typeDescription: String {
        switch kind {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// How a message shows this value after "found": the literal for scalars (`1.5`, `"adam"`,
    /// `null`), a short preview for small arrays of scalars, and the type otherwise.
    public var foundDescription: String {
        switch kind {
        case .null: return "null"
        case .bool(let value): return "\(value)"
        case .number(let value): return value.literal
        case .string(let value): return quoted(value, limit: 40)
        case .array(let elements):
            if elements.isEmpty { return "an empty array" }
            var preview = "["
            for (index, element) in elements.enumerated() {
                switch element.kind {
                case .array, .object: return "an array"
                default: break
                }
                if index > 0 { preview += ", " }
                preview += element.foundDescription
                if preview.count > 40 { return "an array of \(elements.count) elements" }
            }
            return preview + "]"
        case .object(let object):
            return object.members.isEmpty ? "an empty object" : "an object"
        }
    }
}

/// A JSON number kept as written, so that `1e400` or a 30-digit integer is reported verbatim and
/// never silently rounded before a reader decides what type it needs.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number exactly as it appeared in the text, e.g. `-2.5E-3`.
    public let literal: String

    /// Creates a number from its JSON literal; the literal is not validated.
    ///
    /// - Parameter literal: the number as written in JSON.
    public init(literal: String) {
        self.literal = literal
    }

    /// Whether the literal has no fraction and no exponent.
    public var isIntegerLiteral: Bool {
        !literal.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }

    /// The nearest `Double`; infinite when the literal is beyond `Double`'s range (`1e400`).
    public var doubleValue: Double {
        Double(literal) ?? .nan
    }

    /// The exact integer value, or `nil` if the number has a fractional part or does not fit in
    /// `Int`. Integral values written with a fraction or exponent (`3.0`, `1e3`) count as
    /// integers when `Double` represents them exactly (magnitude up to 2⁵³).
    public var intValue: Int? {
        if isIntegerLiteral { return Int(literal) }
        let value = doubleValue
        guard value.rounded() == value, abs(value) <= 9_007_199_254_740_992 else { return nil }
        return Int(value)
    }

    /// The literal.
    public var description: String { literal }
}

/// A JSON object: its members in the order written, with lookup by key.
///
/// ```swift
/// let object = try ConfigDocument(parsing: #"{"b": 1, "a": 2}"#).root.objectValue!
/// object.members.map(\.key)  // ["b", "a"]
/// object["a"]?.intValue      // 2
/// ```
public struct JSONObject: Sendable {
    /// One `"key": value` pair.
    public struct Member: Sendable {
        /// The key, unescaped.
        public var key: String
        /// Where the key's opening quote is.
        public var keyPosition: SourcePosition
        /// The value.
        public var value: JSONValue

        /// Creates a member.
        ///
        /// - Parameters:
        ///   - key: the key.
        ///   - keyPosition: where the key's opening quote is.
        ///   - value: the value.
        public init(key: String, keyPosition: SourcePosition, value: JSONValue) {
            self.key = key
            self.keyPosition = keyPosition
            self.value = value
        }
    }

    /// The members in the order written. Keys are unique: the parser rejects duplicates.
    public let members: [Member]
    private let indexByKey: [String: Int]

    /// Creates an object; when a key repeats, lookup finds its last member.
    ///
    /// - Parameter members: the members in order.
    public init(members: [Member]) {
        self.members = members
        var index: [String: Int] = [:]
        index.reserveCapacity(members.count)
        for (offset, member) in members.enumerated() { index[member.key] = offset }
        self.indexByKey = index
    }

    init(members: [Member], indexByKey: [String: Int]) {
        self.members = members
        self.indexByKey = indexByKey
    }

    /// The member with this key, or `nil`.
    ///
    /// - Parameter key: the key to look up.
    /// - Returns: the member, with its key's position.
    public func member(_ key: String) -> Member? {
        indexByKey[key].map { members[$0] }
    }

    /// The value for this key, or `nil`.
    public subscript(key: String) -> JSONValue? {
        member(key)?.value
    }

    /// The keys in the order written.
    public var keys: [String] { members.map(\.key) }
}
