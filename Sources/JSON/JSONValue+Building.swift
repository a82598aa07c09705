/// Building values in code: one factory per JSON type, arrays of numbers, and literals.
///
/// A number keeps the type it was made from: `.number(Float(0.1))` writes `0.1`,
/// `.number(0.1 as Double)` writes `0.1`, `.number(1.0 as Double)` writes `1.0`, `.number(1)`
/// writes `1`. Literals build values directly, and a dictionary literal keeps its written order.
///
/// ```swift
/// let value: JSONValue = ["flags": [true, nil], "rate": 0.5, "name": "adam"]
/// let loss = JSONValue.number(Float(0.25))
/// ```
extension JSONValue {
    /// `null`.
    public static let null = JSONValue(.null)

    /// `true` or `false`.
    public static func bool(_ value: Bool) -> JSONValue {
        JSONValue(.bool(value))
    }

    /// An integer.
    public static func number(_ value: Int) -> JSONValue {
        JSONValue(.number(JSONNumber(value)))
    }

    /// A `Double`, written as the shortest decimal that reads back as the same `Double`.
    public static func number(_ value: Double) -> JSONValue {
        JSONValue(.number(JSONNumber(value)))
    }

    /// A `Float`, written as the shortest decimal that reads back as the same `Float`.
    public static func number(_ value: Float) -> JSONValue {
        JSONValue(.number(JSONNumber(value)))
    }

    /// A string.
    public static func string(_ value: String) -> JSONValue {
        JSONValue(.string(value))
    }

    /// An array.
    public static func array(_ elements: [JSONValue]) -> JSONValue {
        JSONValue(.array(elements))
    }

    /// An object.
    public static func object(_ object: JSONObject) -> JSONValue {
        JSONValue(.object(object))
    }

    /// An array of numbers.
    ///
    /// - Parameter values: the numbers, each written as the shortest `Double` decimal.
    public init(_ values: [Double]) {
        self.init(.array(values.map { .number($0) }))
    }

    /// An array of numbers.
    ///
    /// - Parameter values: the numbers, each written as the shortest `Float` decimal.
    public init(_ values: [Float]) {
        self.init(.array(values.map { .number($0) }))
    }

    /// An array of integers.
    ///
    /// - Parameter values: the integers.
    public init(_ values: [Int]) {
        self.init(.array(values.map { .number($0) }))
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self.init(.null) }
    public init(booleanLiteral value: Bool) { self.init(.bool(value)) }
    public init(integerLiteral value: Int) { self.init(.number(JSONNumber(value))) }
    public init(floatLiteral value: Double) { self.init(.number(JSONNumber(value))) }
    public init(stringLiteral value: String) { self.init(.string(value)) }
    public init(arrayLiteral elements: JSONValue...) { self.init(.array(elements)) }
    /// Keeps the written order; a repeated key keeps its first place and its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject()
        for (key, value) in elements { object[key] = value }
        self.init(.object(object))
    }
}
