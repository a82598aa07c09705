import Foundation
import JSON
import SwiftGrad

/// The optimizer part of `Configs/schema.json`, made from what the optimizers declare
/// (``OptimizerCatalog/all`` and their ``Hyperparameter``s) and from the keys `OptimizerSpec`
/// adds to every optimizer: `learning_rate`, `schedule` and `clip_global_norm`.
///
/// `$defs/optimizer` picks one of `$defs/optimizer.<name>` by `name`; each of those lists its
/// keys with their types, ranges, defaults and summaries, and rejects any other key.
/// ``ConfigSchemaTests`` checks that the committed schema holds exactly these definitions, so an
/// optimizer added, removed or changed without the schema fails a test (and
/// `SWIFTGRAD_UPDATE_REFERENCE=1` writes them).
enum OptimizerSchema {
    /// The definitions' names and schemas, in the order the schema lists them: the dispatcher,
    /// then one per registered optimizer.
    static var definitions: [(name: String, schema: JSONValue)] {
        [("optimizer", dispatcher)] + OptimizerCatalog.all.map { ("optimizer.\($0.configName)", schema(of: $0)) }
    }

    /// Whether a definition of the schema belongs to the generated part.
    static func isGenerated(_ name: String) -> Bool {
        name == "optimizer" || name.hasPrefix("optimizer.")
    }

    private static var dispatcher: JSONValue {
        let names = OptimizerCatalog.names
        var properties = JSONObject()
        properties["name"] = [
            "type": "string", "enum": .array(names.map { .string($0) }),
            "description": "The optimizer: its keys are those of its section below.",
        ]
        return [
            "title": "`optimizer`",
            "description": .string(
                "An optimizer and its hyperparameters, at Keras's defaults. `name` picks the optimizer; each takes "
                    + "`learning_rate`, `schedule`, `clip_global_norm` and its own keys (declared in its file in "
                    + "`Sources/Optimizers`), and a key it does not take is an error. Numbers are checked as the "
                    + "32-bit floats the updates use: `\"epsilon\": 1e-50` is 0 and an error."),
            "type": "object",
            "required": ["name"],
            "properties": .object(properties),
            "allOf": .array(names.map { name in
                [
                    "if": ["properties": ["name": ["const": .string(name)]], "required": ["name"]],
                    "then": ["$ref": .string("#/$defs/optimizer.\(name)")],
                ]
            }),
        ]
    }

    private static func schema(of type: any ConfigurableOptimizer.Type) -> JSONValue {
        var properties = JSONObject()
        properties["name"] = ["type": "string", "const": .string(type.configName), "description": "The optimizer."]
        properties["learning_rate"] = [
            "type": "number", "exclusiveMinimum": 0, "default": number(type.defaultLearningRate),
            "description": "η, the base learning rate.",
        ]
        for hyperparameter in type.hyperparameters {
            var property: JSONObject
            switch hyperparameter.kind {
            case .float(let value, let bounds):
                property = ["type": "number"]
                switch bounds {
                case .greaterThan(let bound): property["exclusiveMinimum"] = number(bound)
                case .atLeast(let bound): property["minimum"] = number(bound)
                case .halfOpen(let range):
                    property["minimum"] = number(range.lowerBound)
                    property["exclusiveMaximum"] = number(range.upperBound)
                case .closed(let range):
                    property["minimum"] = number(range.lowerBound)
                    property["maximum"] = number(range.upperBound)
                }
                property["default"] = number(value)
            case .bool(let value):
                property = ["type": "boolean", "default": .bool(value)]
            }
            property["description"] = .string(sentence(hyperparameter.summary))
            properties[hyperparameter.key] = .object(property)
        }
        properties["schedule"] = ["$ref": "#/$defs/schedule", "description": "The learning-rate schedule; constant when absent."]
        properties["clip_global_norm"] = [
            "type": "number", "exclusiveMinimum": 0,
            "description": "Clip the gradients to this global norm; no clipping when absent.",
        ]
        return [
            "title": .string("`optimizer` with `\"name\": \"\(type.configName)\"`"),
            "type": "object",
            "required": ["name"],
            "properties": .object(properties),
            "additionalProperties": false,
        ]
    }

    /// A number as a person writes it: `0` for a whole number, `1e-7` rather than `1e-07`.
    private static func number(_ value: Double) -> JSONValue {
        if value.rounded() == value && Swift.abs(value) < 1e15 { return .number(Int(value)) }
        return JSONValue(.number(JSONNumber(literal: compact("\(value)"))))
    }

    /// A `Float` as the shortest decimal that reads back as it: `0.001`.
    private static func number(_ value: Float) -> JSONValue {
        if value.rounded() == value && Swift.abs(value) < 1e7 { return .number(Int(value)) }
        return JSONValue(.number(JSONNumber(literal: compact("\(value)"))))
    }

    private static func compact(_ literal: String) -> String {
        literal.replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+", with: "e")
    }

    /// A summary as a sentence: a capital first letter (ASCII only, so `β₁` stays) and a full stop.
    private static func sentence(_ summary: String) -> String {
        guard let first = summary.first else { return summary }
        let capitalised = first.isASCII ? first.uppercased() + summary.dropFirst() : summary
        return capitalised.hasSuffix(".") ? capitalised : capitalised + "."
    }
}
