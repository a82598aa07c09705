import Foundation
import JSON

/// Renders `Documentation/Configuration.md`, the config reference, from `Configs/schema.json`:
/// the schema's description, then one section per definition (a task, an object inside one, a
/// variant picked by `source`, `type`, `name` or `format`), each with a table of its keys: type,
/// default, the values allowed and what the key does.
///
/// Definitions are rendered in the schema's order; a definition's heading level follows its
/// name (`train` ##, `train.data` ###, `train.data.digits` ####), and links to sections use the
/// anchors GitHub gives headings.
enum ConfigReference {
    /// The document, relative to the repository root.
    static let relativePath = "Documentation/Configuration.md"

    /// The document for `schema`.
    static func render(_ schema: ConfigSchema) -> String {
        var lines: [String] = [
            "# Configuration reference",
            "",
            "<!-- Rendered from Configs/schema.json by Tests/TasksTests/ConfigReference.swift. Edit the schema, then run",
            "     SWIFTGRAD_UPDATE_REFERENCE=1 swift test --filter \"ConfigSchemaTests|ConfigReferenceTests\" to rewrite this file. -->",
            "",
        ]
        if let description = schema.root["description"]?.stringValue { lines += [description, ""] }
        lines += [
            "`Configs/schema.json` is the JSON Schema (draft 2020-12) of these keys. Every config in `Configs/` names it "
                + "with `\"$schema\": \"schema.json\"`, so that editors complete and check keys as you type; SwiftGrad "
                + "accepts and ignores that key. `swiftgrad validate CONFIG...` checks configs the way `swiftgrad run` "
                + "reads them, data files included, and prints every value with its default.",
            "",
        ]
        lines += table(of: schema.root, in: schema)
        for member in schema.definitions.members {
            guard let definition = member.value.objectValue else { continue }
            let level = Swift.min(2 + member.key.filter { $0 == "." }.count, 4)
            lines += ["", String(repeating: "#", count: level) + " " + title(of: member.key, in: schema), ""]
            if let description = definition["description"]?.stringValue { lines += [description, ""] }
            lines += table(of: definition, in: schema)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A definition's heading: its `title`, else its name.
    static func title(of name: String, in schema: ConfigSchema) -> String {
        schema.definitions[name]?.objectValue?["title"]?.stringValue ?? "`\(name)`"
    }

    /// The anchor GitHub gives a heading: lower case, without punctuation other than `-` and
    /// `_`, spaces as `-`.
    static func anchor(of heading: String) -> String {
        String(heading.lowercased().compactMap { character -> Character? in
            if character == " " { return "-" }
            if character.isLetter || character.isNumber || character == "-" || character == "_" { return character }
            return nil
        })
    }

    /// A link to a definition's section.
    private static func link(to name: String, in schema: ConfigSchema, text: String? = nil) -> String {
        let title = title(of: name, in: schema)
        return "[\(text ?? title)](#\(anchor(of: title)))"
    }

    // MARK: Tables

    private static func table(of definition: JSONObject, in schema: ConfigSchema) -> [String] {
        guard let properties = definition["properties"]?.objectValue, !properties.members.isEmpty else { return [] }
        let required = definition["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        // The definition each value of a discriminator picks.
        var variants: [String: [String: String]] = [:]
        for branch in definition["allOf"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
            guard let condition = branch["if"]?.objectValue?["properties"]?.objectValue?.members.first,
                  let value = condition.value.objectValue?["const"]?.stringValue,
                  let target = branch["then"]?.objectValue.flatMap(ConfigSchema.referenceName) else { continue }
            variants[condition.key, default: [:]][value] = target
        }
        var rows = ["| key | type | default | allowed | description |", "| --- | --- | --- | --- | --- |"]
        for member in properties.members {
            let property = member.value.objectValue ?? JSONObject()
            let cells = [
                "`\(member.key)`",
                type(of: property, in: schema),
                required.contains(member.key) ? "required" : property["default"].map(text) ?? "none",
                allowed(property, in: schema, variants: variants[member.key] ?? [:]),
                property["description"]?.stringValue ?? "",
            ]
            rows.append("| " + cells.map(escaped).joined(separator: " | ") + " |")
        }
        return rows
    }

    private static func type(of property: JSONObject, in schema: ConfigSchema) -> String {
        let resolved = schema.dereferenced(property)
        switch resolved["type"]?.stringValue {
        case "array":
            let items = resolved["items"]?.objectValue.map(schema.dereferenced) ?? JSONObject()
            return "array of " + plural(items["type"]?.stringValue ?? "value")
        case "object":
            if let additional = resolved["additionalProperties"]?.objectValue?["type"]?.stringValue {
                return "object of " + plural(additional)
            }
            return "object"
        case let type?:
            return type
        case nil:
            // A value of several types, such as a column's name or index.
            if let types = resolved["type"]?.arrayValue?.compactMap(\.stringValue), !types.isEmpty {
                return types.joined(separator: " or ")
            }
            return "any"
        }
    }

    private static func plural(_ type: String) -> String {
        switch type {
        case "boolean": "booleans"
        case "integer": "integers"
        case "number": "numbers"
        case "string": "strings"
        case "object": "objects"
        case "array": "arrays"
        default: "values"
        }
    }

    /// Patterns said in words: the paths' pattern only rules out the NUL character, which
    /// reads better as that rule than as a regular expression.
    static let patternPhrases = [#"^[^\x00]*$"#: "no NUL character"]

    /// The values allowed, as the decoder's messages put them: `> 0`, `[0, 1)`, `not empty`.
    private static func allowed(_ property: JSONObject, in schema: ConfigSchema, variants: [String: String]) -> String {
        if let name = ConfigSchema.referenceName(property) { return "see " + link(to: name, in: schema) }
        var parts: [String] = []
        if let constant = property["const"] { parts.append(code(constant)) }
        if let choices = property["enum"]?.arrayValue {
            parts.append(choices.map { choice in
                guard let value = choice.stringValue, let target = variants[value] else { return code(choice) }
                return link(to: target, in: schema, text: code(choice))
            }.joined(separator: ", "))
        }
        if let range = range(of: property) { parts.append(range) }
        if (property["minLength"]?.intValue ?? 0) > 0 { parts.append("not empty") }
        if let pattern = property["pattern"]?.stringValue, let phrase = patternPhrases[pattern] {
            parts.append(phrase)
        } else if let pattern = property["pattern"]?.stringValue {
            // `^full$` is one word a string may be: shown as that string.
            let word = pattern.dropFirst().dropLast()
            let isWord = pattern.hasPrefix("^") && pattern.hasSuffix("$") && !word.isEmpty && word.allSatisfy { $0.isLetter || $0 == "_" }
            parts.append(isWord ? "`\"\(word)\"`" : "matches `\(pattern)`")
        }
        if property["type"]?.stringValue == "boolean" { parts.append("true or false") }
        if property["type"]?.stringValue == "array" {
            let minimum = property["minItems"]?.intValue, maximum = property["maxItems"]?.intValue
            switch (minimum, maximum) {
            case let (low?, high?) where low == high: parts.append("\(low) items")
            case let (low?, high?): parts.append("\(low) to \(high) items")
            case let (low?, nil): parts.append("at least \(low) item\(low == 1 ? "" : "s")")
            case let (nil, high?): parts.append("at most \(high) items")
            case (nil, nil): break
            }
            if property["uniqueItems"]?.boolValue == true { parts.append("all different") }
            if let items = property["items"]?.objectValue {
                if let name = ConfigSchema.referenceName(items) {
                    parts.append("each: see " + link(to: name, in: schema))
                } else if let each = range(of: items) {
                    parts.append("each " + each)
                }
            }
        }
        if let additional = property["additionalProperties"]?.objectValue, let each = range(of: additional) {
            parts.append("each " + each)
        }
        return parts.joined(separator: "; ")
    }

    /// `>= 1`, `> 0`, `<= 2`, `[0, 1)`: the bounds of a number.
    private static func range(of property: JSONObject) -> String? {
        let low = property["minimum"].map { ("[", text($0)) } ?? property["exclusiveMinimum"].map { ("(", text($0)) }
        let high = property["maximum"].map { ("]", text($0)) } ?? property["exclusiveMaximum"].map { (")", text($0)) }
        switch (low, high) {
        case let (low?, high?): return "\(low.0)\(low.1), \(high.1)\(high.0)"
        case let (low?, nil): return (low.0 == "[" ? ">= " : "> ") + low.1
        case let (nil, high?): return (high.0 == "]" ? "<= " : "< ") + high.1
        case (nil, nil): return nil
        }
    }

    /// A value as the tables show it: numbers and booleans as written, strings in code.
    private static func text(_ value: JSONValue) -> String {
        switch value.kind {
        case .number(let number): number.literal
        case .bool(let flag): flag ? "true" : "false"
        default: code(value)
        }
    }

    private static func code(_ value: JSONValue) -> String {
        if let string = value.stringValue { return "`\(string)`" }
        return "`" + ((try? value.encoded(.singleLine)) ?? "") + "`"
    }

    /// A table cell: `|` escaped, line breaks as spaces.
    private static func escaped(_ cell: String) -> String {
        cell.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
