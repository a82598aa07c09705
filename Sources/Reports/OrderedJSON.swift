/// A JSON value for reports, whose objects keep keys in the order they were added so that the
/// same report always prints the same bytes.
///
/// Literals build it directly; a dictionary literal keeps its written order.
///
/// ```swift
/// var report: OrderedJSON.Object = ["model": "linear", "epochs": 20]
/// report["loss"] = OrderedJSON(losses)           // [Float] -> array of numbers
/// report["final"] = ["w": 2.0, "b": -1.0]
/// try OrderedJSON.object(report).write(to: "out/report.json")
/// ```
public enum OrderedJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    /// Printed with the shortest decimal that reads back as the same `Double`.
    case double(Double)
    /// Printed with the shortest decimal that reads back as the same `Float` (`0.1`, not
    /// `0.10000000149011612`).
    case float(Float)
    case string(String)
    case array([OrderedJSON])
    case object(Object)

    /// An array of numbers.
    ///
    /// - Parameter values: the numbers, each stored as ``double(_:)``.
    public init(_ values: [Double]) {
        self = .array(values.map { .double($0) })
    }

    /// An array of numbers.
    ///
    /// - Parameter values: the numbers, each stored as ``float(_:)``.
    public init(_ values: [Float]) {
        self = .array(values.map { .float($0) })
    }

    /// An array of integers.
    ///
    /// - Parameter values: the integers.
    public init(_ values: [Int]) {
        self = .array(values.map { .int($0) })
    }

    /// A JSON object whose members stay in insertion order.
    ///
    /// Setting an existing key replaces its value in place; setting `nil` removes it.
    ///
    /// ```swift
    /// var object = OrderedJSON.Object()
    /// object["b"] = 1
    /// object["a"] = 2
    /// object.keys  // ["b", "a"]
    /// ```
    public struct Object: Sendable, Equatable {
        /// One `"key": value` pair.
        public struct Member: Sendable, Equatable {
            public var key: String
            public var value: OrderedJSON
        }

        /// The members in insertion order.
        public private(set) var members: [Member] = []

        /// Creates an empty object.
        public init() {}

        /// The keys in insertion order.
        public var keys: [String] { members.map(\.key) }

        /// The value for `key`; assigning appends a new key, replaces an existing one in place,
        /// or removes it when `nil`.
        public subscript(key: String) -> OrderedJSON? {
            get { members.first { $0.key == key }?.value }
            set {
                let index = members.firstIndex { $0.key == key }
                switch (index, newValue) {
                case (let index?, let value?): members[index].value = value
                case (let index?, nil): members.remove(at: index)
                case (nil, let value?): members.append(Member(key: key, value: value))
                case (nil, nil): break
                }
            }
        }
    }
}

extension OrderedJSON.Object: ExpressibleByDictionaryLiteral {
    /// Keeps the written order; a repeated key keeps its first place and its last value.
    public init(dictionaryLiteral elements: (String, OrderedJSON)...) {
        for (key, value) in elements { self[key] = value }
    }
}

extension OrderedJSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: OrderedJSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, OrderedJSON)...) {
        var object = Object()
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}
