import ConfigKit
import Testing

@Suite("Deep nesting is bounded, never a stack overflow")
struct JSONParserNestingTests {
    @Test func nestingAtTheLimitParses() throws {
        let depth = ConfigDocument.defaultMaxDepth
        let text = String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
        var value = try ConfigDocument(parsing: text).root
        var levels = 0
        while let elements = value.arrayValue {
            levels += 1
            value = try #require(elements.first)
        }
        #expect(levels == depth)
        #expect(value.intValue == 1)
    }

    @Test func nestingPastTheLimitIsAClearError() throws {
        let depth = ConfigDocument.defaultMaxDepth + 1
        let error = try parseError(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
        #expect(error.kind == .nestingTooDeep)
        #expect(error.description == "config.json:1:513: arrays and objects are nested deeper than 512 levels")
    }

    @Test func hostileNestingFailsFast() throws {
        let error = try parseError(String(repeating: #"{"a":["#, count: 100_000))
        #expect(error.kind == .nestingTooDeep)
    }

    @Test func theLimitIsConfigurable() throws {
        #expect(throws: ConfigError.self) { try ConfigDocument(parsing: "[[[1]]]", maxDepth: 2) }
        #expect(try ConfigDocument(parsing: "[[1]]", maxDepth: 2).root.arrayValue?.count == 1)
    }
}
