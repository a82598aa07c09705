import JSON

extension JSONValue {
    /// A default a reader gave, as JSON, for ``ConfigObject/resolved``; `nil` for a custom
    /// ``ConfigValue`` type, which is then left out.
    ///
    /// - Parameter value: a `Bool`, `Int`, `Double`, `Float`, `String`, ``ConfigEnum``,
    ///   ``ConfigObject`` or an array of them.
    init?(configDefault value: Any) {
        switch value {
        case let flag as Bool: self = .bool(flag)
        case let integer as Int: self = .number(integer)
        case let number as Double:
            // A default made from a `Float` (`Double(Float(1e-3))`) reads as that `Float` would
            // be written, `0.001` rather than `0.0010000000474974513`; a config saying either
            // gives the reader the same `Float`.
            let single = Float(number)
            self = Double(single) == number && single.isFinite ? .number(single) : .number(number)
        case let number as Float: self = .number(number)
        case let text as String: self = .string(text)
        case let choice as any ConfigEnum: self = .string(choice.rawValue)
        case let object as ConfigObject: self = .object(object.resolved)
        case let elements as [Any]:
            var values: [JSONValue] = []
            for element in elements {
                guard let json = JSONValue(configDefault: element) else { return nil }
                values.append(json)
            }
            self = .array(values)
        default: return nil
        }
    }
}
