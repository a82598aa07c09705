import ConfigKit
import Testing

private enum OptimizerKind: String, CaseIterable, ConfigEnum {
    case sgd, adam, adamw
}

@Suite("ConfigObject reads typed values")
struct ConfigObjectReadingTests {
    private let text = """
        {
          "learning_rate": 0.05,
          "epochs": 20,
          "big": 1e3,
          "shuffle": true,
          "name": "linear \\u00e9",
          "optimizer": "adamw",
          "sizes": [784, 128, 10],
          "weights": [0.5, -1, 2e-3],
          "tags": ["a", "b"],
          "adam": {"beta_1": 0.9},
          "layers": [{"units": 3}, {"units": 4}],
          "comment": "free text"
        }
        """

    @Test func readsEverySupportedType() throws {
        let document = try ConfigDocument(parsing: text, file: "config.json")
        var root = try document.rootObject()
        #expect(try root.require("learning_rate", as: Double.self, .positive) == 0.05)
        #expect(try root.require("learning_rate", as: Float.self) == Float(0.05))
        #expect(try root.require("epochs", as: Int.self, .in(1...100)) == 20)
        #expect(try root.require("epochs", as: Double.self) == 20)
        #expect(try root.require("big", as: Int.self) == 1000)
        #expect(try root.require("shuffle", as: Bool.self) == true)
        #expect(try root.require("name", as: String.self) == "linear é")
        #expect(try root.require("optimizer", as: OptimizerKind.self) == .adamw)
        #expect(try root.require("optimizer", as: String.self, .oneOf(["sgd", "adamw"])) == "adamw")
        #expect(try root.require("sizes", as: [Int].self, .nonEmpty) == [784, 128, 10])
        #expect(try root.require("weights", as: [Double].self) == [0.5, -1, 0.002])
        #expect(try root.require("tags", as: [String].self) == ["a", "b"])
        #expect(try root.object("adam") { try $0.require("beta_1", as: Double.self, .in(0..<1)) } == 0.9)
        #expect(try root.objects("layers") { try $0.require("units", as: Int.self) } == [3, 4])
        root.allow("comment")
        try root.finish()
    }

    @Test func absentOptionalKeysGiveDefaultsOrNil() throws {
        var root = try ConfigDocument(parsing: "{}").rootObject()
        #expect(try root.optional("momentum", as: Double.self, default: 0.9) == 0.9)
        #expect(try root.optional("seed", as: Int.self) == nil)
        #expect(try root.optionalObject("adam") { _ in 1 } == nil)
        #expect(root.knownKeys == ["momentum", "seed", "adam"])
        try root.finish()
    }

    @Test func presentOptionalKeysAreCheckedLikeRequiredOnes() throws {
        let error = try readError(#"{"momentum": 1}"#) {
            try $0.optional("momentum", as: Double.self, default: 0, .in(0..<1))
        }
        #expect(error.description == "config.json:1:14: key path 'momentum': expected a number in [0, 1), found 1")
    }

    @Test func containsDoesNotCountAsReading() throws {
        let document = try ConfigDocument(parsing: #"{"a": 1}"#)
        var root = try document.rootObject()
        #expect(root.contains("a"))
        #expect(!root.contains("b"))
        #expect(throws: ConfigError.self) { try root.finish() }
        _ = try root.require("a", as: Int.self)
        try root.finish()
    }

    @Test func customConstraintUsesItsOwnPhrase() throws {
        let powerOfTwo = ConfigConstraint<Int>(expected: "a power of two") { $0 > 0 && $0 & ($0 - 1) == 0 }
        #expect(try ConfigDocument(parsing: #"{"batch": 64}"#).read { try $0.require("batch", as: Int.self, powerOfTwo) } == 64)
        let error = try readError(#"{"batch": 48}"#) { try $0.require("batch", as: Int.self, powerOfTwo) }
        #expect(error.description == "config.json:1:11: key path 'batch': expected a power of two, found 48")
    }

    @Test func keyPathsPrintLikeCode() {
        let path = ConfigKeyPath().appending(key: "layers").appending(index: 2).appending(key: "units")
        #expect(path.description == "layers[2].units")
        #expect(ConfigKeyPath().appending(key: "optimizer").appending(key: "beta_1").description == "optimizer.beta_1")
        #expect(ConfigKeyPath().appending(key: "metrics").appending(key: "top-5 acc").description == #"metrics["top-5 acc"]"#)
        #expect(ConfigKeyPath().appending(key: "1x").description == #"["1x"]"#)
        #expect(ConfigKeyPath().isRoot)
        // A long key is cut short inside its quotes.
        let long = String(repeating: "k", count: 100_000)
        #expect(ConfigKeyPath().appending(key: long).description == "[\"" + String(repeating: "k", count: 80) + "…\"]")
    }
}
