import Foundation
import JSON
import Testing

@Suite("JSONValue encodes stable JSON in both styles")
struct JSONEncodingTests {
    private let report: JSONValue = [
        "zeta": "last letter first",
        "count": 3,
        "rate": 0.1,
        "float": .number(Float(0.1)),
        "flags": [true, false, nil],
        "escapes": "quote \" backslash \\ newline \n tab \t bell \u{7} é 😀",
        "nested": ["b": [1, 2], "a": [:], "list": [["x": 1], []]],
    ]

    @Test func prettyFormatIsExact() throws {
        let value: JSONValue = ["b": 1, "a": ["x": [1.5, 2], "y": []], "c": [["k": "v"]], "d": [:]]
        #expect(try value.encoded() == """
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
              ],
              "d": {}
            }

            """)
    }

    @Test func singleLineFormatIsExact() throws {
        let value: JSONValue = ["b": 1, "a": ["x": [1.5, 2], "y": []], "c": [["k": "v"]], "d": [:]]
        #expect(try value.encoded(.singleLine) == #"{"b": 1, "a": {"x": [1.5, 2], "y": []}, "c": [{"k": "v"}], "d": {}}"#)
        #expect(try JSONValue.string("x").encoded(.singleLine) == #""x""#)
        #expect(try JSONValue.string("x").encoded() == "\"x\"\n")
    }

    @Test func aValuePrintsAsItsJSONOnOneLine() {
        let value: JSONValue = ["type": "mlp", "hidden_layers": [256, 256], "rate": .number(Float.infinity)]
        #expect("\(value)" == #"{"type": "mlp", "hidden_layers": [256, 256], "rate": null}"#)
        #expect(String(describing: value) == value.description)
    }

    @Test func keysKeepInsertionOrder() throws {
        for style in [JSONValue.Style.pretty, .singleLine] {
            let text = try report.encoded(style)
            let positions = ["zeta", "count", "rate", "float", "flags", "escapes", "nested"].map {
                text.range(of: "\"\($0)\"")?.lowerBound
            }
            let found = positions.compactMap { $0 }
            #expect(found.count == positions.count)
            #expect(found == found.sorted())
        }
    }

    @Test func everyControlCharacterIsEscaped() {
        let short: [UInt32: String] = [0x08: #"\b"#, 0x09: #"\t"#, 0x0A: #"\n"#, 0x0C: #"\f"#, 0x0D: #"\r"#]
        for value in UInt32(0)..<0x20 {
            let text = String(Unicode.Scalar(value)!)
            let expected = short[value] ?? "\\u" + String(format: "%04X", value)
            #expect(JSONValue.quoted(text) == "\"\(expected)\"", "U+\(String(format: "%04X", value))")
        }
        #expect(JSONValue.quoted(#"say "hi" \ bye"#) == #""say \"hi\" \\ bye""#)
    }

    @Test func everythingElseIsWrittenAsItself() {
        // DEL, non-ASCII, astral scalars, and U+2028/U+2029, which RFC 8259 allows unescaped.
        let text = "/ \u{7F} é 日本 😀 e\u{301} \u{2028}\u{2029}"
        #expect(JSONValue.quoted(text) == "\"" + text + "\"")
    }

    @Test func numbersUseTheShortestRoundTrippingForm() throws {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [0.1, 1e-5, .leastNonzeroMagnitude, 1.7976931348623157e308, -0.0, 123456789.125, 1.0 / 3.0]
        values += (0..<200).map { _ in Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF) }
        let text = try JSONValue(values).encoded()
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
    }

    @Test func numbersKeepTheTypeTheyWereMadeFrom() throws {
        #expect(try JSONValue.number(Float(0.1)).encoded(.singleLine) == "0.1")
        #expect(try JSONValue.number(0.1 as Double).encoded(.singleLine) == "0.1")
        #expect(try JSONValue.number(1e-5).encoded(.singleLine) == "1e-05")
        #expect(try JSONValue.number(1.0).encoded(.singleLine) == "1.0")
        #expect(try JSONValue.number(Float(-0.0)).encoded(.singleLine) == "-0.0")
        #expect(try JSONValue.number(-7).encoded(.singleLine) == "-7")
        #expect(try JSONValue([Float(1), 2.5]).encoded(.singleLine) == "[1.0, 2.5]")
        #expect(try JSONValue([3, 4]).encoded(.singleLine) == "[3, 4]")
        // A parsed literal is written back exactly as it was read.
        #expect(try JSONValue(.number(JSONNumber(literal: "1.50E+3"))).encoded(.singleLine) == "1.50E+3")
    }

    @Test func nonFiniteNumbersAreRejectedWithTheirKeyPath() throws {
        let value: JSONValue = ["history": [["loss": 0.5], ["loss": .number(Double.nan)]]]
        for style in [JSONValue.Style.pretty, .singleLine] {
            let error = try #require(throws: JSONEncodingError.self) { try value.encoded(style) }
            #expect(error.path == [.key("history"), .index(1), .key("loss")])
            #expect(error.description == "cannot write nan at 'history[1].loss' as JSON: JSON has no NaN or infinity")
        }
        let infinity = try #require(throws: JSONEncodingError.self) { try JSONValue.number(-Float.infinity).encoded() }
        #expect(infinity.description == "cannot write -inf at the top level as JSON: JSON has no NaN or infinity")
        let matrix: JSONValue = [[1.0, .number(Double.infinity)]]
        let nested = try #require(throws: JSONEncodingError.self) { try matrix.encoded() }
        #expect(nested.description == "cannot write inf at '[0][1]' as JSON: JSON has no NaN or infinity")
    }

    @Test func nonFiniteNumbersCanBeWrittenAsNull() throws {
        let values = [1, .nan, .infinity, -.infinity] as [Double]
        #expect(try JSONValue(values).encoded(nonFinite: .writeNull) == "[1.0, null, null, null]\n")
        #expect(try JSONValue(values.map(Float.init)).encoded(.singleLine, nonFinite: .writeNull) == "[1.0, null, null, null]")
    }
}
