import Foundation
import JSON

/// One config made from a base config by one change, and whether the schema says it is valid.
struct ConfigVariant {
    /// The base and the change, e.g. `digits-mlp: training.workers = 256`.
    let name: String
    let config: JSONValue
    let isValid: Bool
    /// For a variant that adds an unknown key to an object: the keys the schema declares for
    /// that object. The reader's error lists the keys it knows there, which must be among them,
    /// so that a key added to a reader and not to the schema fails a test.
    var declaredKeys: [String]? = nil
}

/// Makes variants of a config from the schema: for every object the config holds (and every
/// optional object it could hold), valid ones (each optional key added with its default, its
/// enum values and its inclusive bounds; each optional key removed) and invalid ones (an unknown
/// key; each key `null` or of another type; each number just outside its range; each string
/// outside its enum, empty or off its pattern; each array too short, too long or repeating; each
/// required key removed).
///
/// Some values are valid by the schema and still refused, because validity depends on the data
/// or on other keys (the schema's descriptions say which): a data file and its columns, the
/// classes a file holds, a model's sizes against the data, an expression's variables. For those
/// keys (``dataDependentKeys``) the generator makes only invalid variants, and it changes no
/// discriminator (`task`, `source`, `type`, `name`, `format`), which would make another kind of
/// object. A valid variant that a reader refuses, or an invalid one it accepts, is therefore a
/// disagreement between the schema and the reader.
struct ConfigVariantGenerator {
    let schema: ConfigSchema

    /// Key paths (`model.layers[].units`) whose values depend on the data files or on other
    /// keys; keys beneath them count as well.
    static let dataDependentKeys: Set<String> = [
        "expression",  // must parse, and `at`/`start` must give its variables
        "data.path", "data.label", "data.feature",  // the file and its columns must exist
        "data.header",  // whether the file's first row is a header
        "data.classes",  // logistic: classes present in the file; synthetic: the model's outputs
        "data.examples", "data.features",  // sizes the model and the split depend on (and memory)
        "data.kind",  // a classifier needs class labels
        "model.input_size", "model.output_size", "model.layers[].units",  // must fit the data
        "model.loss", "model.standardize_target",  // classes or real values, as the data has
    ]

    /// Keys whose range bounds are not tried as valid values: the readers refuse them for reasons
    /// the schema cannot see (a split that leaves no rows). None today.
    static let keysWithoutBoundaryValues: Set<String> = []

    /// Keys of one object that exclude each other (the schema's `"not": {"required": […]}`):
    /// adding one where the other is present makes an invalid variant.
    static let exclusiveKeys: [Set<String>] = [["training.epochs", "training.steps"]]

    /// Whether adding `keyPath` to `instance` (the object at `prefix`) meets a key it excludes.
    static func excludesPresentKey(_ keyPath: String, in instance: JSONObject, prefix: String) -> Bool {
        exclusiveKeys.contains { keys in
            keys.contains(keyPath) && keys.contains { $0 != keyPath && $0.hasPrefix(prefix) && instance[String($0.dropFirst(prefix.count))] != nil }
        }
    }

    /// Keys whose upper bound is not tried as a valid value: a layer or a trajectory that large
    /// is refused for the machine's memory, which the schema cannot see. Array indices are left
    /// out of the paths.
    /// `training.steps` that large takes more epochs than a run may have, for every data set here.
    static let keysWithoutUpperBoundValues: Set<String> = ["model.hidden_layers", "model.layers.units", "steps", "training.steps"]

    /// The key an unknown-key variant adds.
    static let unknownKey = "not_a_key"

    private enum Step {
        case key(String)
        case index(Int)
    }

    /// Every variant of `base`, the base itself first.
    func variants(of base: JSONValue, named name: String) -> [ConfigVariant] {
        var output = [ConfigVariant(name: "\(name): as written", config: base, isValid: true)]
        if let object = base.objectValue {
            walkObject(object, schema: schema.root, in: base, at: [], keyPath: "", base: name, into: &output)
        }
        return output
    }

    // MARK: Walking

    private func walkObject(
        _ instance: JSONObject, schema objectSchema: JSONObject, in root: JSONValue, at path: [Step], keyPath: String,
        base: String, into output: inout [ConfigVariant]
    ) {
        let shape = schema.shape(of: objectSchema, for: instance)
        func add(_ value: JSONValue?, at keyPath: String, _ steps: [Step], valid: Bool, declaredKeys: [String]? = nil) {
            let described = value.map { "\(keyPath) = \((try? $0.encoded(.singleLine)) ?? "?")" } ?? "\(keyPath) removed"
            output.append(ConfigVariant(
                name: "\(base): \(described)", config: Self.replacing(in: root, at: steps, with: value), isValid: valid,
                declaredKeys: declaredKeys))
        }
        let prefix = keyPath.isEmpty ? "" : keyPath + "."

        // An unknown key.
        let unknownPath = prefix + Self.unknownKey
        switch shape.additionalProperties {
        case let additional? where additional.boolValue == false:
            add(1, at: unknownPath, path + [.key(Self.unknownKey)], valid: false, declaredKeys: shape.properties.keys)
        case let additional?:
            let member = additional.objectValue ?? JSONObject()
            if let value = validValues(member, keyPath: unknownPath).first {
                add(value, at: unknownPath, path + [.key(Self.unknownKey)], valid: true)
            }
            for value in invalidValues(member, current: nil) {
                add(value, at: unknownPath, path + [.key(Self.unknownKey)], valid: false)
            }
        case nil:
            break
        }

        for member in shape.properties.members {
            let key = member.key
            let childPath = path + [.key(key)]
            let childKeyPath = prefix + key
            let property = member.value.objectValue ?? JSONObject()
            let resolved = schema.dereferenced(property)
            let isRequired = shape.required.contains(key)
            let isDiscriminator = resolved["const"] != nil
            let changeable = !isDiscriminator && !Self.isDataDependent(childKeyPath)

            if let value = instance[key] {
                if isDiscriminator, shape.discriminator?.key == key, shape.discriminator?.defaultValue != nil {
                    // Removing it picks the default's variant: valid or not depending on the rest.
                } else if isRequired {
                    add(nil, at: childKeyPath, childPath, valid: false)
                } else if changeable {
                    add(nil, at: childKeyPath, childPath, valid: true)
                }
                for invalid in invalidValues(resolved, current: value) {
                    add(invalid, at: childKeyPath, childPath, valid: false)
                }
                if changeable {
                    for valid in validValues(resolved, keyPath: childKeyPath) where valid != value && !isObjectSchema(resolved) {
                        add(valid, at: childKeyPath, childPath, valid: true)
                    }
                }
                walkValue(value, schema: property, in: root, at: childPath, keyPath: childKeyPath, base: base, into: &output)
            } else {
                for invalid in invalidValues(resolved, current: nil) {
                    add(invalid, at: childKeyPath, childPath, valid: false)
                }
                guard changeable else { continue }
                let excluded = Self.excludesPresentKey(childKeyPath, in: instance, prefix: prefix)
                for valid in validValues(resolved, keyPath: childKeyPath) {
                    add(valid, at: childKeyPath, childPath, valid: !excluded)
                    // An added object is varied in its turn.
                    if let object = valid.objectValue {
                        let extended = Self.replacing(in: root, at: childPath, with: valid)
                        walkObject(object, schema: property, in: extended, at: childPath, keyPath: childKeyPath, base: base, into: &output)
                    }
                }
            }
        }
    }

    /// Varies what is inside a present value: an object's keys, an array's elements.
    private func walkValue(
        _ value: JSONValue, schema property: JSONObject, in root: JSONValue, at path: [Step], keyPath: String,
        base: String, into output: inout [ConfigVariant]
    ) {
        let resolved = schema.dereferenced(property)
        if let object = value.objectValue, isObjectSchema(resolved) {
            walkObject(object, schema: property, in: root, at: path, keyPath: keyPath, base: base, into: &output)
        } else if let elements = value.arrayValue, let items = resolved["items"]?.objectValue {
            let itemKeyPath = keyPath + "[]"
            let item = schema.dereferenced(items)
            for (index, element) in elements.enumerated() {
                let elementPath = path + [.index(index)]
                let label = "\(keyPath)[\(index)]"
                if !isObjectSchema(item) {
                    for invalid in invalidValues(item, current: element) {
                        output.append(ConfigVariant(
                            name: "\(base): \(label) = \((try? invalid.encoded(.singleLine)) ?? "?")",
                            config: Self.replacing(in: root, at: elementPath, with: invalid), isValid: false))
                    }
                    if !Self.isDataDependent(itemKeyPath) {
                        for valid in validValues(item, keyPath: itemKeyPath) where valid != element {
                            output.append(ConfigVariant(
                                name: "\(base): \(label) = \((try? valid.encoded(.singleLine)) ?? "?")",
                                config: Self.replacing(in: root, at: elementPath, with: valid), isValid: true))
                        }
                    }
                }
                walkValue(element, schema: items, in: root, at: elementPath, keyPath: itemKeyPath, base: base, into: &output)
            }
        }
    }

    private func isObjectSchema(_ schema: JSONObject) -> Bool {
        schema["type"]?.stringValue == "object"
    }

    static func isDataDependent(_ keyPath: String) -> Bool {
        var path = Substring(keyPath)
        while true {
            if dataDependentKeys.contains(String(path)) { return true }
            guard let dot = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return false }
            path = path[..<dot]
        }
    }

    // MARK: Values

    /// Values the schema accepts for a key: its default, its enum, its inclusive bounds (or one
    /// above an exclusive lower bound), both booleans, an integer written as `1.0`, and for an
    /// object each smallest instance of each of its variants.
    private func validValues(_ property: JSONObject, keyPath: String) -> [JSONValue] {
        guard property["const"] == nil, !Self.isDataDependent(keyPath) else { return [] }
        var values: [JSONValue] = []
        if let value = property["default"] { values.append(value) }
        if let choices = property["enum"]?.arrayValue { values += choices }
        let boundaries = !Self.keysWithoutBoundaryValues.contains(keyPath)
        let upperBound = !Self.keysWithoutUpperBoundValues.contains(
            keyPath.replacingOccurrences(of: #"\[[0-9]*\]"#, with: "", options: .regularExpression))
        switch property["type"]?.stringValue {
        case "boolean":
            values += [true, false]
        case "integer", "number":
            let isInteger = property["type"]?.stringValue == "integer"
            if boundaries {
                if let minimum = property["minimum"] { values.append(minimum) }
                if upperBound, let maximum = property["maximum"] { values.append(maximum) }
            }
            if let bound = property["exclusiveMinimum"]?.doubleValue, property["maximum"] == nil, property["exclusiveMaximum"] == nil {
                values.append(isInteger ? .number(Int(bound) + 1) : .number(bound + 1))
            }
            if values.isEmpty { values += isInteger ? [0] : [0, 1.5] }
            if isInteger, let first = values.first?.intValue {
                values.append(JSONValue(.number(JSONNumber(literal: "\(first).0"))))
            }
        case "string" where property["enum"] == nil:
            if values.isEmpty { values.append("variant") }
        case "array":
            if let items = property["items"]?.objectValue, !isObjectSchema(schema.dereferenced(items)),
               let item = validValues(schema.dereferenced(items), keyPath: keyPath + "[]").first
            {
                let count = Swift.max(property["minItems"]?.intValue ?? 1, 1)
                values.append(.array(Array(repeating: item, count: count)))
            }
        case "object":
            values += smallestInstances(of: property, keyPath: keyPath)
        default:
            break
        }
        var unique: [JSONValue] = []
        for value in values where !unique.contains(where: { $0 == value && $0.isInteger == value.isInteger }) {
            unique.append(value)
        }
        return unique
    }

    /// The smallest valid object for each variant of an object schema: its discriminator and
    /// required keys, each at its first valid value; none when a required key depends on data.
    private func smallestInstances(of property: JSONObject, keyPath: String) -> [JSONValue] {
        if property["additionalProperties"].map({ $0.boolValue != false }) == true, property["properties"] == nil {
            return [.object(JSONObject())]
        }
        var starts: [JSONObject] = []
        if let discriminator = schema.shape(of: property, for: JSONObject()).discriminator {
            starts = discriminator.values.map { [discriminator.key: .string($0)] }
        } else {
            starts = [JSONObject()]
        }
        return starts.compactMap { start -> JSONValue? in
            var instance = start
            let shape = schema.shape(of: property, for: instance)
            for key in shape.required where instance[key] == nil {
                let child = schema.dereferenced(shape.properties[key]?.objectValue ?? JSONObject())
                guard let value = validValues(child, keyPath: keyPath + "." + key).first else { return nil }
                instance[key] = value
            }
            return .object(instance)
        }
    }

    /// Values the schema refuses for a key: `null`, a value of another type, a number just
    /// outside each bound, a string outside the enum or the `const`, an empty string where one
    /// must not be empty, each of ``patternProbes`` that the key's pattern refuses, and arrays
    /// one element too short, one too long, or repeating an element.
    private func invalidValues(_ property: JSONObject, current: JSONValue?) -> [JSONValue] {
        var values: [JSONValue] = [.null]
        let type = property["type"]?.stringValue
        switch type {
        case "integer": values += [1.5, "1"]
        case "number": values += ["1"]
        case "string": values += [1]
        case "boolean": values += ["true"]
        case "array": values += ["1"]
        case "object": values += ["1"]
        default: break
        }
        if let constant = property["const"]?.stringValue { values.append(.string(constant + "x")) }
        if let first = property["enum"]?.arrayValue?.first?.stringValue { values.append(.string(first + "x")) }
        if type == "integer" || type == "number" {
            func outside(_ bound: JSONValue, by direction: Double) -> JSONValue {
                if type == "integer", let integer = bound.intValue { return .number(integer + Int(direction)) }
                let value = bound.doubleValue ?? 0
                return .number(value + direction * Swift.max(Swift.abs(value), 1) * 1e-6)
            }
            if let bound = property["minimum"] { values.append(outside(bound, by: -1)) }
            if let bound = property["exclusiveMinimum"] { values.append(bound) }
            if let bound = property["maximum"] { values.append(outside(bound, by: 1)) }
            if let bound = property["exclusiveMaximum"] { values.append(bound) }
        }
        if type == "string" {
            if (property["minLength"]?.intValue ?? 0) > 0 { values.append("") }
            if let pattern = property["pattern"]?.stringValue {
                values += Self.patternProbes.filter { !Self.matches($0, pattern: pattern) }.map { .string($0) }
            }
        }
        if type == "array", let item = current?.arrayValue?.first ?? property["items"]?.objectValue.flatMap({
            validValues(schema.dereferenced($0), keyPath: "").first
        }) {
            let elements = current?.arrayValue ?? [item]
            if let minimum = property["minItems"]?.intValue, minimum > 0 {
                values.append(.array(Array(elements.prefix(minimum - 1))))
            }
            if let maximum = property["maxItems"]?.intValue {
                values.append(.array(elements + Array(repeating: item, count: Swift.max(maximum + 1 - elements.count, 1))))
            }
            if property["uniqueItems"]?.boolValue == true {
                values.append(.array(Array(repeating: item, count: Swift.max(property["minItems"]?.intValue ?? 2, 2))))
            }
        }
        return values
    }

    /// Strings tried against each pattern of the schema: a `/`, control characters (a newline,
    /// DEL, U+0085 next line, NUL) and a line separator, each of which a layer name or a path
    /// may refuse.
    static let patternProbes = ["a/b", "a\nb", "a\u{7F}", "a\u{85}b", "a\u{2028}", "a\u{0}b"]

    /// Whether `pattern`, anchored `^…$` as each of the schema's is, matches the whole of
    /// `text`: ICU's `$` also matches before a final line separator (U+2028), where Python's
    /// matches only before a final newline, so the match must span the text.
    static func matches(_ text: String, pattern: String) -> Bool {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return false }
        let whole = NSRange(text.startIndex..., in: text)
        return expression.firstMatch(in: text, range: whole)?.range == whole
    }

    // MARK: Editing

    /// `root` with the value at `path` replaced, or removed when `value` is `nil`.
    private static func replacing(in root: JSONValue, at path: [Step], with value: JSONValue?) -> JSONValue {
        guard let step = path.first else { return value ?? root }
        let rest = Array(path.dropFirst())
        switch step {
        case .key(let key):
            var object = root.objectValue ?? JSONObject()
            if rest.isEmpty {
                object[key] = value
            } else {
                object[key] = replacing(in: object[key] ?? .null, at: rest, with: value)
            }
            return .object(object)
        case .index(let index):
            var elements = root.arrayValue ?? []
            guard elements.indices.contains(index) else { return root }
            if rest.isEmpty {
                if let value { elements[index] = value } else { elements.remove(at: index) }
            } else {
                elements[index] = replacing(in: elements[index], at: rest, with: value)
            }
            return .array(elements)
        }
    }
}

extension JSONValue {
    /// Whether the value is a number written as an integer (`1`, not `1.0`): `1` and `1.0` are
    /// equal JSON values to JSON Schema but different variants here.
    fileprivate var isInteger: Bool {
        if case .number(let number) = kind { return !number.literal.contains(where: { ".eE".contains($0) }) }
        return false
    }
}
