import ConfigKit
import Foundation
import JSON

/// `Configs/schema.json`, read with ConfigKit's parser, and the little of JSON Schema its
/// readers here need: `$ref` into `$defs`, and the object a config's value must be after the
/// schema's `allOf` of `if`/`then` branches has picked its variant by a `const` key.
///
/// The schema keeps to that subset on purpose: every object is a definition with `properties`,
/// `required` and `additionalProperties`, or a dispatcher whose branches each test one key
/// against a `const` (the branch of a default value leaves the key out of its `required`, so it
/// also applies when the key is absent).
struct ConfigSchema {
    /// The file, relative to the repository root.
    static let relativePath = "Configs/schema.json"
    static var path: String { Repository.root + "/" + relativePath }

    /// The whole schema.
    let root: JSONObject

    init(root: JSONObject) {
        self.root = root
    }

    /// The committed schema.
    static func committed() throws -> ConfigSchema {
        let document = try ConfigDocument.load(path: path)
        guard let root = document.root.objectValue else {
            throw ConfigError(.typeMismatch, file: path, position: nil, message: "the schema is not an object")
        }
        return ConfigSchema(root: root)
    }

    /// The definitions, in order.
    var definitions: JSONObject { root["$defs"]?.objectValue ?? JSONObject() }

    /// This schema with its optimizer definitions replaced by ``OptimizerSchema/definitions``,
    /// where the first of the old ones was: the schema as it should be committed.
    func withGeneratedOptimizers() -> ConfigSchema {
        var members: [JSONObject.Member] = []
        var inserted = false
        for member in definitions.members {
            guard OptimizerSchema.isGenerated(member.key) else {
                members.append(member)
                continue
            }
            if !inserted {
                members += OptimizerSchema.definitions.map { JSONObject.Member(key: $0.name, value: $0.schema) }
                inserted = true
            }
        }
        if !inserted { members += OptimizerSchema.definitions.map { JSONObject.Member(key: $0.name, value: $0.schema) } }
        var root = self.root
        root["$defs"] = .object(JSONObject(members: members))
        return ConfigSchema(root: root)
    }

    /// The definition a `$ref` of the form `#/$defs/NAME` names.
    func definition(_ reference: String) -> JSONObject? {
        let prefix = "#/$defs/"
        guard reference.hasPrefix(prefix) else { return nil }
        return definitions[String(reference.dropFirst(prefix.count))]?.objectValue
    }

    /// `schema` with a `$ref` followed; the referring schema's own members (its `description`)
    /// are kept where the definition has none of the same key.
    func dereferenced(_ schema: JSONObject) -> JSONObject {
        guard let reference = schema["$ref"]?.stringValue, let target = definition(reference) else { return schema }
        var merged = dereferenced(target)
        for member in schema.members where member.key != "$ref" && merged[member.key] == nil {
            merged[member.key] = member.value
        }
        return merged
    }

    /// The name of the definition a schema refers to, if it is a `$ref`.
    static func referenceName(_ schema: JSONObject) -> String? {
        schema["$ref"]?.stringValue.flatMap { $0.hasPrefix("#/$defs/") ? String($0.dropFirst(8)) : nil }
    }

    /// What an object must hold: its properties, required keys, and whether others are allowed.
    struct ObjectShape {
        /// The properties in order; a branch's version of a key replaces the dispatcher's.
        var properties = JSONObject()
        var required: [String] = []
        /// `false`, or the schema of any other member; `nil` when the schema says nothing.
        var additionalProperties: JSONValue?
        /// The key the object's variant is picked by, the values it may take, and the one its
        /// absence stands for (removing the key then picks that variant instead of failing).
        var discriminator: (key: String, values: [String], defaultValue: JSONValue?)?
    }

    /// The shape `instance` must have under `schema`: the schema's own properties merged with
    /// those of every `allOf` branch whose `if` the instance meets.
    func shape(of schema: JSONObject, for instance: JSONObject) -> ObjectShape {
        var shape = ObjectShape()
        merge(dereferenced(schema), for: instance, into: &shape)
        return shape
    }

    private func merge(_ schema: JSONObject, for instance: JSONObject, into shape: inout ObjectShape) {
        for member in schema["properties"]?.objectValue?.members ?? [] {
            shape.properties[member.key] = member.value
        }
        for key in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where !shape.required.contains(key) {
            shape.required.append(key)
        }
        if let additional = schema["additionalProperties"] { shape.additionalProperties = additional }
        let branches = schema["allOf"]?.arrayValue?.compactMap(\.objectValue) ?? []
        if let first = branches.first?["if"]?.objectValue?["properties"]?.objectValue?.keys.first {
            let values = branches.compactMap { $0["if"]?.objectValue?["properties"]?.objectValue?[first]?.objectValue?["const"]?.stringValue }
            let defaultValue = schema["properties"]?.objectValue?[first]?.objectValue?["default"]
            shape.discriminator = (first, values, defaultValue)
        }
        for branch in branches {
            guard let condition = branch["if"]?.objectValue, let then = branch["then"]?.objectValue,
                  matches(condition, instance) else { continue }
            merge(dereferenced(then), for: instance, into: &shape)
        }
    }

    /// Whether `instance` meets an `if` made of `properties` with `const`s and `required`.
    private func matches(_ condition: JSONObject, _ instance: JSONObject) -> Bool {
        let required = condition["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        for key in required where instance[key] == nil { return false }
        for member in condition["properties"]?.objectValue?.members ?? [] {
            guard let value = instance[member.key] else { continue }
            if let constant = member.value.objectValue?["const"], constant != value { return false }
        }
        return true
    }

    /// The text of the schema as the JSON module writes it, which is how it is committed.
    func encoded() throws -> String {
        try JSONValue.object(root).encoded()
    }
}

extension ConfigSchema {
    /// The keys `instance` leaves out whose schema `default` is not the value the reader filled
    /// in, as `key path: schema default, reader's value` lines.
    ///
    /// - Parameters:
    ///   - instance: a config the reader accepted.
    ///   - resolved: the reader's values for it (``ConfigObject/resolved``).
    func defaultMismatches(in instance: JSONValue, resolved: JSONValue) -> [String] {
        defaultMismatches(in: instance, resolved: resolved, schema: root, keyPath: "")
    }

    private func defaultMismatches(in instance: JSONValue, resolved: JSONValue, schema objectSchema: JSONObject, keyPath: String) -> [String] {
        guard let object = instance.objectValue, let values = resolved.objectValue else { return [] }
        var mismatches: [String] = []
        let shape = shape(of: objectSchema, for: object)
        for member in shape.properties.members {
            let property = member.value.objectValue ?? JSONObject()
            let path = keyPath.isEmpty ? member.key : keyPath + "." + member.key
            if let value = object[member.key] {
                guard let resolvedValue = values[member.key] else { continue }
                let target = dereferenced(property)
                if target["type"]?.stringValue == "object" {
                    mismatches += defaultMismatches(in: value, resolved: resolvedValue, schema: property, keyPath: path)
                } else if let items = target["items"]?.objectValue, let elements = value.arrayValue,
                          let resolvedElements = resolvedValue.arrayValue
                {
                    for (index, pair) in zip(elements, resolvedElements).enumerated() {
                        mismatches += defaultMismatches(in: pair.0, resolved: pair.1, schema: items, keyPath: "\(path)[\(index)]")
                    }
                }
            } else if let expected = dereferenced(property)["default"] {
                let found = values[member.key]
                if found.map({ Self.sameValue(expected, $0) }) != true {
                    let foundText = found.flatMap { try? $0.encoded(.singleLine) } ?? "nothing"
                    mismatches.append("\(path): the schema's default is \((try? expected.encoded(.singleLine)) ?? "?"), the reader's \(foundText)")
                }
            }
        }
        return mismatches
    }

    /// Equal values, numbers compared as the 32-bit floats the readers mostly use.
    private static func sameValue(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return Float(x) == Float(y) }
        return a == b
    }
}
