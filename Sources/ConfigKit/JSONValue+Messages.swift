import JSON

/// How config messages name a value: its type, or its text when that is short.
extension JSONValue {
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
        case .number(let value):
            // A literal of thousands of digits is shown by its start and length.
            let literal = value.literal
            return literal.utf8.count <= 40 ? literal : "\(literal.prefix(40))… (a number of \(literal.utf8.count) characters)"
        case .string(let value): return ConfigKit.quoted(value, limit: 40)
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
