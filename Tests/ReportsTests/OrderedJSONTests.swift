import Foundation
import _TestSupport
import Reports
import Testing

@Suite("OrderedJSON prints stable JSON that reads back")
struct OrderedJSONTests {
    private let report: OrderedJSON = [
        "zeta": "last letter first",
        "count": 3,
        "rate": 0.1,
        "float": .float(0.1),
        "flags": [true, false, nil],
        "escapes": "quote \" backslash \\ newline \n tab \t bell \u{7} é 😀",
        "nested": ["b": [1, 2], "a": [:], "list": [["x": 1], []]],
    ]

    @Test func prettyFormatIsExact() throws {
        let text = try OrderedJSON.object(["b": 1, "a": ["x": [1.5, 2], "y": []], "c": [["k": "v"]]]).encoded()
        #expect(text == """
            {
              "b": 1,
              "a": {
                "x": [1.5, 2],
                "y": []
              },
              "c": [
                {
                  "k": "v"
                }
              ]
            }

            """)
    }

    @Test func keysKeepInsertionOrder() throws {
        let text = try report.encoded()
        let positions = ["zeta", "count", "rate", "float", "flags", "escapes", "nested"].map {
            text.range(of: "\"\($0)\"")?.lowerBound
        }
        let found = positions.compactMap { $0 }
        #expect(found.count == positions.count)
        #expect(found == found.sorted())
    }

    @Test func outputParsesBackToTheSameValues() throws {
        let text = try report.encoded()
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(parsed["zeta"] as? String == "last letter first")
        #expect((parsed["count"] as? NSNumber)?.intValue == 3)
        #expect((parsed["rate"] as? NSNumber)?.doubleValue == 0.1)
        #expect((parsed["float"] as? NSNumber)?.doubleValue == 0.1)
        #expect(parsed["escapes"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{7} é 😀")
        let flags = try #require(parsed["flags"] as? [Any])
        #expect(flags.count == 3)
        #expect(flags[2] is NSNull)
        let nested = try #require(parsed["nested"] as? [String: Any])
        #expect((nested["b"] as? [NSNumber])?.map(\.intValue) == [1, 2])
        #expect((nested["list"] as? [Any])?.count == 2)
    }

    @Test func numbersUseTheShortestRoundTrippingForm() throws {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [0.1, 1e-5, .leastNonzeroMagnitude, 1.7976931348623157e308, -0.0, 123456789.125, 1.0 / 3.0]
        values += (0..<200).map { _ in Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF) }
        let text = try OrderedJSON(values).encoded()
        // Swift's own parser is correctly rounded, so it must give back every bit.
        let literals = text.dropFirst().dropLast(2).split(separator: ", ")
        #expect(literals.map { Double($0)?.bitPattern } == values.map(\.bitPattern))
        // swift-corelibs-foundation's JSONSerialization is not correctly rounded for long
        // mantissas and large exponents, so it is held only to a relative 1e-14.
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [NSNumber])
        #expect(parsed.count == values.count)
        for (read, written) in zip(parsed.map(\.doubleValue), values) {
            #expect(abs(read - written) <= 1e-14 * abs(written), "wrote \(written), read back \(read)")
        }
        #expect(try OrderedJSON.float(0.1).encoded() == "0.1\n")
        #expect(try OrderedJSON.double(1e-5).encoded() == "1e-05\n")
    }

    @Test func nonFiniteNumbersAreRejectedWithTheirKeyPath() throws {
        let value: OrderedJSON = ["history": [["loss": 0.5], ["loss": .double(.nan)]]]
        let error = try #require(throws: ReportError.self) { try value.encoded() }
        #expect(error.description == "cannot write nan at 'history[1].loss' as JSON: JSON has no NaN or infinity")
        let infinity = try #require(throws: ReportError.self) { try OrderedJSON.float(-.infinity).encoded() }
        #expect(infinity.description == "cannot write -inf at the top level as JSON: JSON has no NaN or infinity")
    }

    @Test func nonFiniteNumbersCanBeWrittenAsNull() throws {
        let text = try OrderedJSON([1, .nan, .infinity] as [Double]).encoded(nonFinite: .writeNull)
        #expect(text == "[1.0, null, null]\n")
    }

    @Test func objectSubscriptReplacesInPlaceAndRemoves() {
        var object: OrderedJSON.Object = ["a": 1, "b": 2, "c": 3]
        object["b"] = "two"
        object["a"] = nil
        object["d"] = 4
        #expect(object.keys == ["b", "c", "d"])
        #expect(object["b"] == "two")
        #expect(object["a"] == nil)
    }

    @Test func writeIsAtomicAndEndsWithNewline() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try OrderedJSON.object(["epochs": 2]).write(to: directory.path + "/r.json")
        #expect(try directory.read("r.json") == "{\n  \"epochs\": 2\n}\n")
        #expect(throws: ReportError.self) { try OrderedJSON.double(.nan).write(to: directory.path + "/bad.json") }
        #expect(try directory.contents() == ["r.json"])
    }
}
