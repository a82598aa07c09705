import ConfigKit
import Expressions
import Foundation
import JSON
import Tasks
import Testing
import _TestSupport

/// `Configs/schema.json` says what the config readers accept: its optimizer part is what the
/// optimizers declare, Python's `jsonschema` finds it a valid draft 2020-12 schema that every
/// shipped config meets, and on hundreds of variants of every config (valid and invalid, made
/// from the schema) the readers and `jsonschema` give the same verdict, the readers fill in
/// the schema's defaults, and every key a reader takes is one the schema declares (the keys a
/// reader's unknown-key error lists).
///
/// `SWIFTGRAD_UPDATE_REFERENCE=1` rewrites the schema's optimizer part from the declarations.
@Suite struct ConfigSchemaTests {
    static let updating = ProcessInfo.processInfo.environment["SWIFTGRAD_UPDATE_REFERENCE"] == "1"
    static let noPython = "no Python interpreter: checking configs with jsonschema needs python3 (scripts/make-test-venv makes .venv-test with jsonschema)"

    @Test func theOptimizerDefinitionsAreWhatTheOptimizersDeclare() throws {
        let committed = try ConfigSchema.committed()
        let expected = committed.withGeneratedOptimizers()
        if Self.updating, committed.root != expected.root {
            try expected.encoded().write(toFile: ConfigSchema.path, atomically: true, encoding: .utf8)
        }
        let fix = "run SWIFTGRAD_UPDATE_REFERENCE=1 swift test --filter \"ConfigSchemaTests|ConfigReferenceTests\" to rewrite it and the reference"
        let committedNames = committed.definitions.keys.filter(OptimizerSchema.isGenerated)
        let expectedNames = OptimizerSchema.definitions.map(\.name)
        #expect(committedNames == expectedNames, "\(ConfigSchema.relativePath) defines \(committedNames), the catalog \(expectedNames); \(fix)")
        for (name, schema) in OptimizerSchema.definitions where committedNames.contains(name) {
            #expect(committed.definitions[name] == schema, "$defs/\(name) is not what the optimizer declares: \(fix)")
        }
    }

    /// The keys of `at` and `start` are variable names: the schema's pattern and its list of
    /// names taken by functions are the expression language's.
    @Test func variableKeysExcludeExactlyTheFunctionNames() throws {
        var found: [[String]] = []
        func visit(_ value: JSONValue) {
            if let object = value.objectValue {
                if let names = object["propertyNames"]?.objectValue?["not"]?.objectValue?["enum"]?.arrayValue {
                    found.append(names.compactMap(\.stringValue))
                }
                for member in object.members { visit(member.value) }
            } else if let elements = value.arrayValue {
                for element in elements { visit(element) }
            }
        }
        visit(.object(try ConfigSchema.committed().root))
        #expect(found.count == 2)
        for names in found { #expect(names.sorted() == Expression.functions.map(\.name).sorted()) }
        #expect(Expression.isVariableName("x_1") && !Expression.isVariableName("1x") && !Expression.isVariableName("é"))
    }

    /// An `if` that requires a key its `properties` do not test (a renamed key left behind)
    /// never holds for a config that omits that key, and its `then` is skipped in silence:
    /// every variant check would still agree, because the readers' side is not involved.
    @Test func everyConditionRequiresOnlyTheKeysItTests() throws {
        var conditions = 0
        var mismatched: [String] = []
        func visit(_ value: JSONValue, at path: String) {
            if let object = value.objectValue {
                if let condition = object["if"]?.objectValue {
                    conditions += 1
                    let tested = Set(condition["properties"]?.objectValue?.keys ?? [])
                    let required = condition["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
                    for key in required where !tested.contains(key) {
                        mismatched.append("\(path)/if requires '\(key)' but tests only \(tested.sorted())")
                    }
                }
                for member in object.members { visit(member.value, at: path + "/" + member.key) }
            } else if let elements = value.arrayValue {
                for (index, element) in elements.enumerated() { visit(element, at: path + "/\(index)") }
            }
        }
        visit(.object(try ConfigSchema.committed().root), at: "#")
        #expect(conditions > 10)
        #expect(mismatched.isEmpty, "\(mismatched.joined(separator: "\n"))")
    }

    @Test func everyShippedConfigNamesTheSchema() throws {
        for example in try ConfigExamples.shipped() {
            let first = example.config.objectValue?.members.first
            #expect(first?.key == "$schema" && first?.value.stringValue == "schema.json", "\(example.name) does not start with \"$schema\": \"schema.json\"")
        }
    }

    @Test func aSchemaKeyChangesNeitherTheTaskNorTheConfigHash() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let body = #""task": "train", "data": {"source": "synthetic", "examples": 32, "features": 4, "classes": 2}, "model": {"type": "logistic"}, "training": {"batch_size": 8}"#
        let plain = try directory.write("plain.json", "{\(body)}")
        let named = try directory.write("named.json", #"{"$schema": "schema.json", "# + body + "}")
        let hash = { (path: String) throws -> String? in (try TaskLoader.load(path: path) as? TrainTask)?.configHash }
        #expect(try hash(named) != nil)
        #expect(try hash(named) == hash(plain))
        let error = try #require(throws: ConfigError.self) { _ = try TaskLoader.load(document: ConfigDocument(parsing: #"{"$schema": 1, "task": "derivative", "expression": "x", "at": {"x": 1}}"#)) }
        #expect("\(error)" == #"<string>:1:13: key path '["$schema"]': expected a string, found 1"#)
    }

    @Test(.enabled(if: PythonClient.isAvailable, .init(rawValue: noPython)))
    func jsonschemaAcceptsTheSchemaAndEveryShippedConfig() throws {
        let verdicts = try JSONSchemaClient.validate(directory: Repository.root + "/Configs")
        let configs = try FileManager.default.contentsOfDirectory(atPath: Repository.root + "/Configs").filter { $0.hasSuffix(".json") }
        #expect(Set(verdicts.keys) == Set(configs))
        for (name, errors) in verdicts.sorted(by: { $0.key < $1.key }) where name != "schema.json" {
            #expect(errors.isEmpty, "Configs/\(name): \(errors.joined(separator: "; "))")
        }
    }

    @Test(.enabled(if: PythonClient.isAvailable, .init(rawValue: noPython)))
    func theReadersAndTheSchemaAgreeOnEveryVariantOfEveryConfig() throws {
        let schema = try ConfigSchema.committed()
        let generator = ConfigVariantGenerator(schema: schema)
        let directory = try TemporaryDirectory(prefix: "swiftgrad-schema-variants")
        defer { directory.remove() }
        try ConfigExamples.writeDataFiles(into: directory)
        var variants: [ConfigVariant] = []
        for example in try ConfigExamples.shipped() + ConfigExamples.extra() {
            variants += generator.variants(of: example.config, named: example.name)
        }
        var files: [String] = []
        for (index, variant) in variants.enumerated() {
            let file = String(format: "variant%05d.json", index)
            try directory.write(file, try variant.config.encoded())
            files.append(file)
        }
        let verdicts = try JSONSchemaClient.validate(directory: directory.path)
        #expect(variants.count > 1000, "only \(variants.count) variants")

        var disagreements: [String] = [], unexpected: [String] = []
        var undeclared: [String: String] = [:]  // a key the schema lacks, and the first variant that shows it
        var defaults: [String: String] = [:]  // a mismatch, and the first variant that shows it
        for (file, variant) in zip(files, variants) {
            let schemaErrors = try #require(verdicts[file], "jsonschema gave no verdict on \(file)")
            var readerError: String?
            do {
                let resolved = try TaskLoader.resolve(path: directory.path + "/" + file)
                if variant.isValid {
                    for mismatch in schema.defaultMismatches(in: variant.config, resolved: .object(resolved.values)) where defaults[mismatch] == nil {
                        defaults[mismatch] = variant.name
                    }
                }
            } catch {
                readerError = "\(error)"
            }
            if let declared = variant.declaredKeys, let message = readerError {
                // "…; known keys: a, b, c": every key the reader asked for in that object.
                if let range = message.range(of: "known keys: ") {
                    let known = message[range.upperBound...].components(separatedBy: ", ")
                    for key in known where !declared.contains(key) {
                        let object = variant.name.components(separatedBy: ": ").dropFirst().joined(separator: ": ")
                            .replacingOccurrences(of: ConfigVariantGenerator.unknownKey + " = 1", with: key)
                        undeclared[object] = undeclared[object] ?? variant.name
                    }
                } else {
                    undeclared["\(variant.name): the reader's error lists no known keys: \(message)"] = variant.name
                }
            }
            let (readerAccepts, schemaAccepts) = (readerError == nil, schemaErrors.isEmpty)
            if readerAccepts != schemaAccepts {
                disagreements.append("\(variant.name) (\(file)): the reader \(readerError.map { "refuses it: \($0)" } ?? "accepts it"); "
                    + "jsonschema \(schemaAccepts ? "accepts it" : "refuses it: " + schemaErrors.joined(separator: "; "))")
            } else if readerAccepts != variant.isValid {
                unexpected.append("\(variant.name) (\(file)): both \(readerAccepts ? "accept" : "refuse") it, though it was made \(variant.isValid ? "valid" : "invalid")")
            }
        }
        let missing = undeclared.sorted { $0.key < $1.key }.map { "\($0.key) (first in \($0.value))" }
        #expect(missing.isEmpty, "keys the readers take and the schema does not declare:\n\(missing.joined(separator: "\n"))")
        #expect(disagreements.isEmpty, "\(disagreements.count) of \(variants.count) variants:\n\(disagreements.prefix(40).joined(separator: "\n"))")
        #expect(unexpected.isEmpty, "\(unexpected.count) of \(variants.count) variants:\n\(unexpected.prefix(40).joined(separator: "\n"))")
        let mismatches = defaults.sorted { $0.key < $1.key }.map { "\($0.key) (first in \($0.value))" }
        #expect(mismatches.isEmpty, "\(mismatches.count) defaults differ:\n\(mismatches.prefix(40).joined(separator: "\n"))")
    }
}

/// Python's `jsonschema`, the validator editors and CI tools use, run once over a folder.
enum JSONSchemaClient {
    private static let script = """
        import json, os, sys
        try:
            import jsonschema
        except ImportError:
            sys.exit("jsonschema is not installed: run scripts/make-test-venv")
        with open(sys.argv[1], encoding="utf-8") as file:
            schema = json.load(file)
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema)
        verdicts = {}
        for name in sorted(os.listdir(sys.argv[2])):
            if name.endswith(".json"):
                with open(os.path.join(sys.argv[2], name), encoding="utf-8") as file:
                    instance = json.load(file)
                verdicts[name] = ["/".join(map(str, error.absolute_path)) + ": " + error.message
                                  for error in validator.iter_errors(instance)]
        print(json.dumps(verdicts))
        """

    /// Checks the schema against the draft 2020-12 meta-schema (`check_schema`), then validates
    /// every `*.json` in `directory` with `Draft202012Validator`.
    ///
    /// - Returns: each file's name and its errors (none when valid).
    static func validate(directory: String) throws -> [String: [String]] {
        let run = try PythonClient.run(script, arguments: [ConfigSchema.path, directory])
        try #require(run.status == 0, "python failed: \(run.error)")
        let root = try #require(try ConfigDocument(parsing: run.output, file: "jsonschema's output").root.objectValue)
        var verdicts: [String: [String]] = [:]
        for member in root.members {
            verdicts[member.key] = member.value.arrayValue?.compactMap(\.stringValue) ?? []
        }
        return verdicts
    }
}
