import ConfigKit
import _TestSupport
import Foundation
import Testing
import SwiftGrad
import Tasks

/// A bad config fails in `TaskLoader.load`, before any work, with one line naming the file, the
/// line and column, the key path, what was found and what was expected.
@Suite struct TaskConfigErrorTests {
    /// Writes `lines` as `run.json` in a fresh directory and returns the error loading it throws,
    /// with the config's path (every message starts with it).
    private func loadError(_ lines: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> (message: String, path: String, directory: String) {
        try loadConfigError(lines, name: "run.json", sourceLocation: sourceLocation)
    }

    /// A minimize config with `steps` replaced by `stepsLine` and `optimizerLine`.
    private func minimize(steps stepsLine: String = #"  "steps": 5"#, optimizer: String = #"  "optimizer": {"name": "sgd"},"#, expression: String = "x^2") -> [String] {
        ["{", #"  "task": "minimize","#, #"  "expression": "\#(expression)","#, #"  "start": {"x": 50},"#, optimizer, stepsLine, "}"]
    }

    @Test func aMisspeltRequiredKeyIsNamedWithTheKeyItShouldBe() throws {
        let (message, path, _) = try loadError(minimize(steps: #"  "stepz": 5"#))
        #expect(message == "\(path):6:3: key path 'stepz': unknown key (did you mean 'steps'?); 'steps' is required, expected an integer in [0, 1000000000000]; "
            + "the keys here are task, expression, start, optimizer, steps (required) and print_every, $schema")
    }

    /// A start point's keys are variables: a key that cannot name one is refused, not ignored.
    @Test func aStartKeyThatIsNoVariableNameIsRejected() throws {
        for key in ["", "1x", "a b", "sin"] {
            var lines = minimize()
            lines[3] = #"  "start": {"x": 50, "\#(key)": 1},"#
            let (message, _, _) = try loadError(lines)
            #expect(message.hasSuffix(": '\(key)' is not a variable name; names are letters, digits and '_', not starting with a digit, and not a function's name"), "\(message)")
        }
    }

    @Test func aMisspeltNestedKeyNamesItsFullKeyPath() throws {
        let (message, path, _) = try loadError(minimize(optimizer: #"  "optimizer": {"nme": "sgd"},"#))
        #expect(message == "\(path):5:17: key path 'optimizer.nme': unknown key (did you mean 'name'?); 'name' is required, "
            + #"expected one of "sgd", "adam", "adamw", "adagrad", "rmsprop""#)
    }

    @Test func anUnknownOptionalKeySuggestsTheClosestAndListsTheKnownOnes() throws {
        var lines = minimize(steps: #"  "steps": 5,"#)
        lines.insert(#"  "print_evry": 10"#, at: 6)
        let (message, path, _) = try loadError(lines)
        #expect(message == "\(path):7:3: key path 'print_evry': unknown key (did you mean 'print_every'?); "
            + "known keys: task, expression, start, steps, optimizer, print_every, $schema")
    }

    @Test func aValueOfTheWrongTypeSaysWhatWasFound() throws {
        let (message, path, _) = try loadError(minimize(steps: #"  "steps": "fifty""#))
        #expect(message == #"\#(path):6:12: key path 'steps': expected an integer, found "fifty""#)
    }

    @Test func aMissingRequiredKeyPointsAtItsObject() throws {
        var lines = minimize()
        lines.remove(at: 4)  // the optimizer
        let (message, path, _) = try loadError(lines)
        #expect(message == "\(path):1:1: key path 'optimizer': missing required key, expected an object; "
            + "the keys here are task, expression, start, optimizer, steps (required) and print_every, $schema")
    }

    @Test func everyMissingRequiredKeyIsNamedWithTheKeysTheTaskTakes() throws {
        let (message, path, _) = try loadError(["{", #"  "task": "train","#, #"  "modle": {"type": "mlp"}"#, "}"])
        #expect(message == "\(path):3:3: key path 'data': missing required keys 'data', 'model', 'training' "
            + "('modle' is unknown: did you mean 'model'?); "
            + "the keys here are task, data, model, training (required) and optimizer, checkpoint, $schema")
    }

    @Test func severalMissingKeysOfANestedObjectAreNamedTogether() throws {
        let (message, path, _) = try loadError([
            "{", #"  "task": "train","#, #"  "data": {"source": "synthetic", "examples": 64},"#,
            #"  "model": {"type": "logistic"}, "training": {"batch_size": 8}"#, "}",
        ])
        #expect(message == "\(path):3:11: key path 'data.features': missing required keys 'features', 'classes'; "
            + "the keys here are source, examples, features, classes (required) and labels, seed, test_fraction, split, standardize")
        // The keys named are the schema's.
        let synthetic = try #require(try ConfigSchema.committed().definitions["train.data.synthetic"]?.objectValue)
        let named = message.components(separatedBy: "the keys here are ")[1]
            .replacingOccurrences(of: " (required) and ", with: ", ").components(separatedBy: ", ")
        #expect(Set(named) == Set(synthetic["properties"]?.objectValue?.keys ?? []))
    }

    /// The top-level keys the loader names in messages are the schema's, for every task.
    @Test func theTopLevelKeysInMessagesAreTheSchemas() throws {
        let schema = try ConfigSchema.committed()
        for kind in TaskLoader.kinds {
            let definition = try #require(schema.definitions[kind]?.objectValue, "no schema definition for \(kind)")
            let required = definition["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let properties = definition["properties"]?.objectValue?.keys ?? []
            let keys = try #require(TaskLoader.topLevelKeys[kind], "no top-level keys for \(kind)")
            #expect(keys.required == required, "\(kind)")
            #expect(Set(keys.optional) == Set(properties).subtracting(required), "\(kind)")
        }
    }

    @Test func aMissingDataFileNamesTheKeyPathAndTheResolvedPath() throws {
        let (message, path, directory) = try loadError([
            "{", #"  "task": "linear-regression","#, #"  "data": {"path": "nowhere.csv"},"#,
            #"  "optimizer": {"name": "sgd"},"#, #"  "steps": 5"#, "}",
        ])
        #expect(message == "\(path):3:20: key path 'data.path': data file '\(directory)/nowhere.csv' does not exist "
            + "(paths are relative to the config file)")
    }

    @Test func anUnknownOptimizerListsTheAllowedNames() throws {
        let (message, path, _) = try loadError(minimize(optimizer: #"  "optimizer": {"name": "adamm"},"#))
        #expect(message == #"\#(path):5:25: key path 'optimizer.name': expected one of "sgd", "adam", "adamw", "adagrad", "rmsprop", found "adamm" (did you mean "adam"?)"#)
    }

    @Test func anUnknownTaskKindListsTheKinds() throws {
        let (message, path, _) = try loadError(["{", #"  "task": "minimise","#, #"  "steps": 5"#, "}"])
        #expect(message == #"\#(path):2:11: key path 'task': expected one of "derivative", "minimize", "linear-regression", "logistic-regression", "train", found "minimise" (did you mean "minimize"?)"#)
    }

    @Test func anOutOfRangeHyperparameterGivesTheRange() throws {
        let (message, path, _) = try loadError(minimize(optimizer: #"  "optimizer": {"name": "adam", "beta_1": 1.5},"#))
        #expect(message == "\(path):5:43: key path 'optimizer.beta_1': expected a number in [0, 1), found 1.5")
    }

    @Test func anInvalidExpressionNamesTheColumnInsideIt() throws {
        let (message, path, _) = try loadError(minimize(expression: "x^2 +* 3"))
        #expect(message == "\(path):3:17: key path 'expression': invalid expression: expected an operand after '+', found '*' (column 6)")
    }

    @Test func aMinimisationOfNoVariableIsRefused() throws {
        let (message, path, _) = try loadError(minimize(expression: "5"))
        #expect(message == "\(path):3:17: key path 'expression': '5' has no variable, so there is nothing to minimise; expected an expression of at least one variable, like x^2")
    }

    @Test func aVeryLongVariableNameIsCutInItsMessage() throws {
        let name = String(repeating: "x", count: 100_000)
        let (message, _, _) = try loadError(minimize(expression: name))
        #expect(message.count < 400 && message.contains("no value for the variable 'xxxxxxxx"), "\(message.prefix(500))")
    }

    @Test func aVariableWithoutAStartingValueIsNamed() throws {
        let (message, path, _) = try loadError(minimize(expression: "x^2 + y"))
        #expect(message == #"\#(path):4:12: key path 'start': no value for the variable 'y' of the expression; expected an object like {"y": 1.0}"#)
    }

    @Test func aClassAbsentFromTheDataIsNamedWithTheClassesPresent() throws {
        let digits = Repository.dataset("digits.csv")
        let (message, path, _) = try loadError([
            "{", #"  "task": "logistic-regression","#,
            #"  "data": {"source": "digits", "classes": [0, 12], "path": "\#(digits)"},"#,
            #"  "optimizer": {"name": "adam"},"#, #"  "steps": 5"#, "}",
        ])
        #expect(message == "\(path):3:43: key path 'data.classes': class 12 does not occur in '\(digits)', "
            + "which has the classes 0, 1, 2, 3, 4, 5, 6, 7, 8, 9")
    }

    @Test func aJSONSyntaxErrorGivesLineAndColumn() throws {
        let (message, path, _) = try loadError([
            "{", #"  "task": "minimize","#, #"  "start": {"x": 50}"#, #"  "steps": 5"#, "}",
        ])
        #expect(message == #"\#(path):4:3: expected ',' or '}' after object member, found '"'"#)
    }

    @Test func aMissingConfigFileIsNamed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/absent.json"
        let error = try #require(throws: ConfigError.self) { _ = try TaskLoader.load(path: path) }
        #expect("\(error)" == "cannot read config '\(path)': No such file or directory")
    }
}
