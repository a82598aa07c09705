import JSON
import Testing

@Suite("JSONObject keeps its members in order")
struct JSONObjectTests {
    @Test func subscriptAppendsReplacesInPlaceAndRemoves() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        object["b"] = "two"
        object["a"] = nil
        object["d"] = 4
        object["missing"] = nil
        #expect(object.keys == ["b", "c", "d"])
        #expect(object["b"] == "two")
        #expect(object["a"] == nil)
        // Lookup stays right for the members that moved up.
        #expect(object["c"] == 3)
        #expect(object["d"] == 4)
        #expect(object.member("d")?.key == "d")
    }

    @Test func aRepeatedLiteralKeyKeepsItsFirstPlaceAndLastValue() {
        let object: JSONObject = ["x": 1, "y": 2, "x": 3]
        #expect(object.keys == ["x", "y"])
        #expect(object["x"] == 3)
    }

    @Test func equalityComparesContentsInOrderAndIgnoresPositions() {
        let built: JSONValue = ["a": [1, "s"], "b": nil]
        var placed = built
        placed.position = SourcePosition(line: 3, column: 7)
        #expect(placed == built)

        let member = JSONObject.Member(key: "a", keyPosition: SourcePosition(line: 1, column: 2), value: 1)
        #expect(JSONObject(members: [member]) == ["a": 1])

        #expect(JSONValue.object(["a": 1, "b": 2]) != JSONValue.object(["b": 2, "a": 1]))
        #expect(JSONValue.number(1) != JSONValue.number(1.0))  // different literals: 1 and 1.0
        #expect(JSONValue.number(Double.nan) == JSONValue.number(Double.nan))  // the same literal
    }
}
