import ConfigKit
import JSON
import Testing

@Suite("Valid JSON parses to the right values and positions")
struct JSONParserValueTests {
    private func value(_ text: String) throws -> JSONValue {
        try ConfigDocument(parsing: text).root
    }

    private func number(_ text: String) throws -> JSONNumber? {
        guard case .number(let number) = try value(text).kind else { return nil }
        return number
    }

    @Test(arguments: [
        ("0", 0.0), ("-0", -0.0), ("1.5", 1.5), ("-2.5e-3", -0.0025), ("1E+2", 100.0), ("6.02e23", 6.02e23),
        ("1e-400", 0.0), ("123456789012345678901234567890", 1.2345678901234568e29),
    ])
    func numbersParseToTheNearestDouble(literal: String, expected: Double) throws {
        let number = try value(literal)
        #expect(number.doubleValue == expected)
        if case .number(let parsed) = number.kind {
            #expect(parsed.literal == literal)
        } else {
            Issue.record("\(literal) did not parse as a number")
        }
    }

    @Test func integersAreExactUpToIntLimits() throws {
        #expect(try value("9223372036854775807").intValue == Int.max)
        #expect(try value("-9223372036854775808").intValue == Int.min)
        #expect(try value("9223372036854775808").intValue == nil)
        #expect(try value("3.0").intValue == 3)
        #expect(try value("1e3").intValue == 1000)
        #expect(try value("1.5").intValue == nil)
        // Exact in decimal, whatever Double would round to: beyond 2^53 too.
        #expect(try value("1e18").intValue == 1_000_000_000_000_000_000)
        #expect(try value("9.223372036854775807e18").intValue == Int.max)
        #expect(try value("1e19").intValue == nil)
        #expect(try value("2.5e1").intValue == 25)
        #expect(try value("-100e-2").intValue == -1)
        #expect(try value("1e-3").intValue == nil)
        #expect(try value("0.0e0").intValue == 0)
        #expect(try value("1e99999999999").intValue == nil)
        #expect(try value("1e-9223372036854775808").intValue == nil)
        #expect(try value("1e9223372036854775807").intValue == nil)
        #expect(try value("0e41").intValue == 0)
        #expect(try value("0.0e-50").intValue == 0)
        #expect(try value("1" + String(repeating: "0", count: 49) + "e-45").intValue == 10_000)
        #expect(try value("-9.223372036854775808e18").intValue == Int.min)
        #expect(try value("12.50e1").intValue == 125)
    }

    /// Literals of hundreds of thousands of digits: the value is read in one pass over them (a
    /// pass per trailing zero would take hours at these lengths).
    @Test func longLiteralsAreReadInOnePass() throws {
        let zeros = String(repeating: "0", count: 400_000), fewer = String(repeating: "0", count: 90_000)
        #expect(try value("1." + zeros).intValue == 1)
        #expect(try value("-7" + fewer + "e-90000").intValue == -7)
        #expect(try value("0." + zeros + "1").intValue == nil)
        #expect(try value("1." + zeros + "1").intValue == nil)
        #expect(try value("4" + zeros + ".0").intValue == nil)
        #expect(try value("0." + fewer + "1e90002").intValue == 10)
        #expect(try value("1" + zeros + "e-400000").intValue == 1)
    }

    @Test func wholeNumbersAreToldFromFractionsExactly() throws {
        for literal in ["0", "-0.0", "3.0", "2.5e1", "1e400", "-9223372036854775809", "12.50e1", "1e99999999999", "0.0e-99999999999999999999", "123.4e2"] {
            #expect(try number(literal)?.isWhole == true, "\(literal)")
        }
        for literal in ["1.5", "1e-1", "50.0000000000000001", "1e-99999999999", "-2.5e-3", "123.45e1", "0.1e-99999999999999999999"] {
            #expect(try number(literal)?.isWhole == false, "\(literal)")
        }
    }

    @Test(arguments: [
        (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
        (#""\u00e9\u00E9""#, "éé"),
        (#""\uD83D\uDE00""#, "😀"),
        (#""日本語 ok""#, "日本語 ok"),
        (#""a\u0000b""#, "a\u{0}b"),
        (#""""#, ""),
        (#""plain then \n escape""#, "plain then \n escape"),
    ])
    func stringsDecodeEveryEscape(literal: String, expected: String) throws {
        #expect(try value(literal).stringValue == expected)
    }

    @Test func literalsAndEmptyContainers() throws {
        #expect(try value("true").boolValue == true)
        #expect(try value("false").boolValue == false)
        #expect(try value("null").isNull)
        #expect(try value("[]").arrayValue?.isEmpty == true)
        #expect(try value(" { } ").objectValue?.members.isEmpty == true)
    }

    @Test func byteOrderMarkIsSkipped() throws {
        let document = try ConfigDocument(utf8: [0xEF, 0xBB, 0xBF] + Array("[1]".utf8), file: "bom.json")
        #expect(document.root.arrayValue?.first?.intValue == 1)
        #expect(document.root.position == SourcePosition(line: 1, column: 1))
    }

    @Test func objectsKeepKeyOrderAndPositions() throws {
        let text = """
            {
              "zeta": 1,
              "alpha": {"é": [true, null]},
              "mid": "x"
            }
            """
        let object = try #require(try value(text).objectValue)
        #expect(object.keys == ["zeta", "alpha", "mid"])
        let alpha = try #require(object.member("alpha"))
        #expect(alpha.keyPosition == SourcePosition(line: 3, column: 3))
        #expect(alpha.value.position == SourcePosition(line: 3, column: 12))
        let inner = try #require(alpha.value.objectValue?.member("é"))
        #expect(inner.keyPosition == SourcePosition(line: 3, column: 13))
        let elements = try #require(inner.value.arrayValue)
        #expect(elements.map(\.position) == [SourcePosition(line: 3, column: 19), SourcePosition(line: 3, column: 25)])
        #expect(object["mid"]?.position == SourcePosition(line: 4, column: 10))
        #expect(object["missing"] == nil)
    }

    @Test func foundDescriptionsAreShortAndOneLine() throws {
        #expect(try value(#""a\nb""#).foundDescription == #""a\nb""#)
        #expect(try value("[1, 2, \"x\"]").foundDescription == #"[1, 2, "x"]"#)
        #expect(try value("[[1]]").foundDescription == "an array")
        #expect(try value(String(repeating: "a", count: 50).debugDescription).foundDescription.hasSuffix("…\""))
        #expect(try value("1.50").foundDescription == "1.50")
        let long = "1" + String(repeating: "0", count: 10_000)
        #expect(try value(long).foundDescription == String(long.prefix(40)) + "… (a number of 10001 characters)")
    }
}
