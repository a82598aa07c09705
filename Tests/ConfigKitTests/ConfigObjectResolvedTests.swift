import ConfigKit
import JSON
import Testing

private enum Loss: String, CaseIterable, ConfigEnum {
    case mse, mae
}

/// ``ConfigObject/resolved``: what a reader made of an object, the members as written with every
/// absent key's default added, nested objects resolved in their turn.
@Suite struct ConfigObjectResolvedTests {
    private func resolved(_ text: String, _ read: (inout ConfigObject) throws -> Void) throws -> JSONValue {
        try ConfigDocument(parsing: text).read { root in
            try read(&root)
            return .object(root.resolved)
        }
    }

    @Test func absentKeysReadWithADefaultAreAddedInTheOrderRead() throws {
        let value = try resolved(#"{"epochs": 3, "rate": 1e-3}"#) { root in
            _ = try root.optional("seed", as: Int.self, default: 7)
            _ = try root.optional("epochs", as: Int.self, default: 1)
            _ = try root.optional("rate", as: Float.self, default: 0.5)
            _ = try root.optional("momentum", as: Double.self, default: 0.25)
            _ = try root.optional("decay", as: Float.self, default: 0.1)
            _ = try root.optional("shuffle", as: Bool.self, default: true)
            _ = try root.optional("loss", as: Loss.self, default: .mae)
            _ = try root.optional("sizes", as: [Int].self, default: [4, 2])
            _ = try root.optional("epsilon", as: Double.self, default: Double(Float(1e-3)))  // written as the Float
            _ = try root.optional("note", as: String.self)  // no default: left out
        }
        let expected: JSONValue = [
            "epochs": 3, "rate": JSONValue(.number(JSONNumber(literal: "1e-3"))),
            "seed": 7, "momentum": 0.25, "decay": .number(Float(0.1)), "shuffle": true, "loss": "mae", "sizes": [4, 2],
            "epsilon": .number(Float(1e-3)),
        ]
        #expect(value == expected)
        #expect(try value.encoded(.singleLine) == #"{"epochs": 3, "rate": 1e-3, "seed": 7, "momentum": 0.25, "decay": 0.1, "shuffle": true, "loss": "mae", "sizes": [4, 2], "epsilon": 0.001}"#)
    }

    @Test func nestedObjectsAndArraysOfObjectsAreResolvedInPlace() throws {
        let value = try resolved(#"{"model": {"units": 3}, "layers": [{"rate": 0.5}, {}], "first": 1}"#) { root in
            _ = try root.optional("first", as: Int.self)
            try root.object("model") { model in
                _ = try model.require("units", as: Int.self)
                _ = try model.optional("activation", as: String.self, default: "relu")
            }
            _ = try root.objects("layers") { try $0.optional("rate", as: Double.self, default: 0.1) }
            _ = try root.optionalObject("checkpoint") { _ = try $0.optional("keep", as: Int.self, default: 3) }
        }
        #expect(try value.encoded(.singleLine)
            == #"{"model": {"units": 3, "activation": "relu"}, "layers": [{"rate": 0.5}, {"rate": 0.1}], "first": 1}"#)
    }
}
