import ConfigKit
import Testing

private enum OptimizerKind: String, CaseIterable, ConfigEnum {
    case sgd, adam, adamw
}

@Suite("ConfigObject errors say what, where and what was expected")
struct ConfigObjectErrorTests {
    @Test func rangeViolationPointsAtTheValue() throws {
        let error = try readError(#"{"optimizer": {"beta_1": 1.5}}"#) { root in
            try root.object("optimizer") { try $0.require("beta_1", as: Double.self, .in(0..<1)) }
        }
        #expect(error.kind == .invalidValue)
        #expect(error.description == "config.json:1:26: key path 'optimizer.beta_1': expected a number in [0, 1), found 1.5")
    }

    @Test(arguments: [
        (ConfigConstraint<Double>.positive, "-1", "expected a number > 0, found -1"),
        (.nonNegative, "-0.5", "expected a number >= 0, found -0.5"),
        (.greaterThan(0.5), "0.5", "expected a number > 0.5, found 0.5"),
        (.atLeast(2), "1", "expected a number >= 2, found 1"),
        (.lessThan(10), "10", "expected a number < 10, found 10"),
        (.atMost(1e20), "2e20", "expected a number <= 1e+20, found 2e20"),
        (.in(0...1), "1.01", "expected a number in [0, 1], found 1.01"),
    ])
    func everyNumericConstraintExplainsItself(
        constraint: ConfigConstraint<Double>, literal: String, message: String
    ) throws {
        let error = try readError(#"{"x": \#(literal)}"#) { try $0.require("x", as: Double.self, constraint) }
        #expect(error.description == "config.json:1:7: key path 'x': " + message)
    }

    @Test func aReplacedKeyNamesItsReplacementAndHowToConvert() throws {
        let error = try readError(#"{"data": {"path": "d.csv", "train_fraction": 0.9}}"#) { root in
            try root.object("data") { data in
                try data.refuseReplaced("train_fraction", by: "test_fraction", conversion: "test_fraction = 1 − train_fraction")
                return try data.require("path", as: String.self)
            }
        }
        #expect(error.kind == .unknownKey)
        #expect(error.description == "config.json:1:28: key path 'data.train_fraction': unknown key (did you mean 'test_fraction'? it replaced 'train_fraction': test_fraction = 1 − train_fraction)")
        // Absent, it changes nothing and does not become a known key.
        let other = try readError(#"{"data": {"path": "d.csv", "x": 1}}"#) { root in
            try root.object("data") { data in
                try data.refuseReplaced("train_fraction", by: "test_fraction", conversion: "")
                return try data.require("path", as: String.self)
            }
        }
        #expect(other.description.hasSuffix("unknown key; known keys: path"), "\(other)")
    }

    @Test func missingKeyPointsAtTheEnclosingObject() throws {
        let text = "{\n  \"optimizer\": {\n    \"beta_1\": 0.9\n  }\n}"
        let error = try readError(text) { root in
            try root.object("optimizer") { optimizer in
                _ = try optimizer.require("beta_1", as: Double.self)
                return try optimizer.require("beta_2", as: Double.self, .in(0..<1))
            }
        }
        #expect(error.kind == .missingKey)
        #expect(error.description
            == "config.json:2:16: key path 'optimizer.beta_2': missing required key, expected a number in [0, 1)")
    }

    @Test func missingKeyInArrayElementNamesTheIndex() throws {
        let error = try readError(#"{"layers": [{"units": 3}, {"size": 4}]}"#) { root in
            try root.objects("layers") { try $0.require("units", as: Int.self, .positive) }
        }
        #expect(error.description
            == "config.json:1:27: key path 'layers[1].units': missing required key, expected an integer > 0")
    }

    @Test func unknownKeySuggestsTheClosestKnownKey() throws {
        let error = try readError(#"{"learning_rate": 0.1, "momentun": 0.9}"#) { root in
            _ = try root.require("learning_rate", as: Double.self)
            return try root.optional("momentum", as: Double.self, default: 0)
        }
        #expect(error.kind == .unknownKey)
        #expect(error.description == "config.json:1:24: key path 'momentun': unknown key "
            + "(did you mean 'momentum'?); known keys: learning_rate, momentum")
    }

    @Test func missingRequiredKeyPointsAtAMisspeltKey() throws {
        let error = try readError(#"{"stepz": 10}"#) { root in
            try root.require("steps", as: Int.self, .nonNegative)
        }
        #expect(error.kind == .missingKey)
        #expect(error.description == "config.json:1:2: key path 'stepz': unknown key (did you mean 'steps'?); "
            + "'steps' is required, expected an integer >= 0")
    }

    @Test func unknownKeyWithoutACloseMatchListsKnownKeys() throws {
        let error = try readError(#"{"epochs": 1, "lr": 0.1}"#) { root in
            _ = try root.require("epochs", as: Int.self)
            return try root.optional("learning_rate", as: Double.self)
        }
        #expect(error.description == "config.json:1:15: key path 'lr': unknown key; known keys: epochs, learning_rate")
    }

    @Test func unknownKeyInNestedObjectHasFullPath() throws {
        let error = try readError("{\n  \"optimizer\": {\"beta1\": 0.9}\n}") { root in
            try root.object("optimizer") { try $0.optional("beta_1", as: Double.self, default: 0.9) }
        }
        #expect(error.description == "config.json:2:17: key path 'optimizer.beta1': unknown key "
            + "(did you mean 'beta_1'?); known keys: beta_1")
    }

    @Test func objectThatTakesNoKeysSaysSo() throws {
        let error = try readError(#"{"x": 1}"#) { _ in () }
        #expect(error.description == "config.json:1:2: key path 'x': unknown key; this object takes no keys")
    }

    @Test(arguments: [
        (#"{"lr": "0.1"}"#, "config.json:1:8: key path 'lr': expected a number, found \"0.1\""),
        (#"{"lr": null}"#, "config.json:1:8: key path 'lr': expected a number, found null"),
        (#"{"lr": [1]}"#, "config.json:1:8: key path 'lr': expected a number, found [1]"),
        (#"{"lr": {}}"#, "config.json:1:8: key path 'lr': expected a number, found an empty object"),
    ])
    func wrongTypeForNumber(text: String, expected: String) throws {
        let error = try readError(text) { try $0.require("lr", as: Double.self) }
        #expect(error.kind == .typeMismatch)
        #expect(error.description == expected)
    }

    @Test func integerKeyRejectsFractions() throws {
        let error = try readError(#"{"epochs": 1.5}"#) { try $0.require("epochs", as: Int.self) }
        #expect(error.kind == .typeMismatch)
        #expect(error.description == "config.json:1:12: key path 'epochs': expected an integer, found 1.5")
    }

    @Test func aFractionBelowADoublesPrecisionIsNamedAsSuch() throws {
        let error = try readError(#"{"steps": 50.0000000000000001}"#) { try $0.require("steps", as: Int.self) }
        #expect(error.kind == .invalidValue)
        #expect(error.description == "config.json:1:11: key path 'steps': expected an integer, found 50.0000000000000001 "
            + "(its fraction is below a 64-bit float's precision, which reads it as 50; write 50)")
    }

    @Test func integerBeyondIntRangeIsNamedVerbatim() throws {
        let error = try readError(#"{"n": 12345678901234567890}"#) { try $0.require("n", as: Int.self) }
        #expect(error.kind == .invalidValue)
        #expect(error.description == "config.json:1:7: key path 'n': expected an integer between "
            + "\(Int.min) and \(Int.max), found 12345678901234567890")
        // Whole numbers just past either end, which a Double rounds onto Int.min or Int.max's
        // neighbour, and whole numbers spelt with a fraction or an exponent: out of range too,
        // not fractions.
        for literal in ["-9223372036854775809", "9223372036854775808", "-9223372036854775809.0e0", "1e19", "2.5e400"] {
            let error = try readError(#"{"n": \#(literal)}"#) { try $0.require("n", as: Int.self) }
            #expect(error.description == "config.json:1:7: key path 'n': expected an integer between "
                + "\(Int.min) and \(Int.max), found \(literal)", "\(literal)")
        }
    }

    @Test func doubleOverflowIsRejected() throws {
        let error = try readError(#"{"x": 1e400}"#) { try $0.require("x", as: Double.self) }
        #expect(error.kind == .invalidValue)
        #expect(error.description.hasSuffix("found 1e400"))
        let floatError = try readError(#"{"x": 1e39}"#) { try $0.require("x", as: Float.self) }
        #expect(floatError.kind == .invalidValue)
        // Below the least subnormal a Float is 0: a value the config does not say.
        let tiny = try readError(#"{"x": -1e-50}"#) { try $0.require("x", as: Float.self) }
        #expect(tiny.description == "config.json:1:7: key path 'x': expected a number of magnitude at least 1e-45, the smallest a 32-bit float holds (this one rounds to 0; write 0 if 0 is meant), found -1e-50")
        // Past a Double's range too, where the literal parses to 0 as any type.
        for literal in ["1e-400", "-0.00000000001e-99999999999999999999"] {
            let error = try readError(#"{"x": \#(literal)}"#) { try $0.require("x", as: Float.self) }
            #expect(error.description.hasSuffix("found \(literal)"), "\(literal): \(error)")
        }
        let double = try readError(#"{"x": 1e-400}"#) { try $0.require("x", as: Double.self) }
        #expect(double.description.contains("smallest a 64-bit float holds"), "\(double)")
    }

    @Test func boolRejectsStrings() throws {
        let error = try readError(#"{"shuffle": "yes"}"#) { try $0.require("shuffle", as: Bool.self) }
        #expect(error.description == #"config.json:1:13: key path 'shuffle': expected a boolean (true or false), found "yes""#)
    }

    @Test func arrayElementErrorNamesTheIndex() throws {
        let error = try readError(#"{"sizes": [1, 2, "x"]}"#) { try $0.require("sizes", as: [Int].self) }
        #expect(error.description == #"config.json:1:18: key path 'sizes[2]': expected an integer, found "x""#)
    }

    @Test func emptyArrayFailsNonEmpty() throws {
        let error = try readError(#"{"hidden": []}"#) { try $0.require("hidden", as: [Int].self, .nonEmpty) }
        #expect(error.description
            == "config.json:1:12: key path 'hidden': expected an array of integers that is not empty, found an empty array")
    }

    @Test func enumListsAllowedValuesAndSuggests() throws {
        let error = try readError(#"{"optimizer": "adm"}"#) { try $0.require("optimizer", as: OptimizerKind.self) }
        #expect(error.kind == .invalidValue)
        #expect(error.description == #"config.json:1:15: key path 'optimizer': expected one of "sgd", "adam", "adamw", "#
            + #"found "adm" (did you mean "adam"?)"#)
    }

    @Test func enumRejectsNonStrings() throws {
        let error = try readError(#"{"optimizer": 3}"#) { try $0.require("optimizer", as: OptimizerKind.self) }
        #expect(error.kind == .typeMismatch)
        #expect(error.description.hasSuffix(#"expected one of "sgd", "adam", "adamw", found 3"#))
    }

    @Test func oneOfSuggestsIgnoringCase() throws {
        let error = try readError(#"{"loss": "MSE"}"#) {
            try $0.require("loss", as: String.self, .oneOf(["mse", "cross_entropy"]))
        }
        #expect(error.description == #"config.json:1:10: key path 'loss': expected one of "mse", "cross_entropy", "#
            + #"found "MSE" (did you mean "mse"?)"#)
    }

    @Test func rootMustBeAnObject() throws {
        let error = try #require(throws: ConfigError.self) {
            try ConfigDocument(parsing: "[1]", file: "config.json").rootObject()
        }
        #expect(error.description == "config.json:1:1: expected the config to be an object, found [1]")
    }
}
