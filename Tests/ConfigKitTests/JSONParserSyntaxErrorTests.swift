import ConfigKit
import JSON
import Testing

@Suite("JSON syntax errors name line, column and what was expected")
struct JSONParserSyntaxErrorTests {
    @Test(arguments: [
        ("{\n  \"a\": 1\n  \"b\": 2\n}", "config.json:3:3: expected ',' or '}' after object member, found '\"'"),
        (#"{"a": [1, 2}"#, "config.json:1:12: expected ',' or ']' after array element, found '}'"),
        ("[1, 2,]", "config.json:1:7: expected a value after ',', found ']' (trailing commas are not allowed)"),
        (#"{"a": 1,}"#, "config.json:1:9: expected a key after ',', found '}' (trailing commas are not allowed)"),
        ("{\n  // rate\n  \"a\": 1\n}",
         "config.json:2:3: expected a string key in double quotes, found '/' (comments are not allowed in JSON)"),
        (#"{"a": 1} x"#, "config.json:1:10: expected end of input after the top-level value, found 'x'"),
        ("", "config.json:1:1: expected a value, found end of input"),
        ("  \n ", "config.json:2:2: expected a value, found end of input"),
        (#"{"a": tru}"#, "config.json:1:7: expected a value, found 'tru'"),
        (#"{"a": True}"#,
         "config.json:1:7: expected a value, found 'True' (JSON literals are lower case: true, false, null)"),
        ("[NaN]", "config.json:1:2: expected a value, found 'NaN' (JSON has no NaN or infinity)"),
        ("[01]", "config.json:1:3: leading zeros are not allowed in numbers"),
        ("[1.]", "config.json:1:4: expected a digit after the decimal point, found ']'"),
        ("[-]", "config.json:1:3: expected a digit after '-', found ']'"),
        ("[1e]", "config.json:1:4: expected a digit in the exponent, found ']'"),
        ("[+1]", "config.json:1:2: expected a value, found '+'"),
        (#"["a\qb"]"#,
         #"config.json:1:4: invalid escape '\q' in string; valid escapes are \" \\ \/ \b \f \n \r \t \uXXXX"#),
        (#"["\uD83D"]"#,
         #"config.json:1:3: unpaired surrogate \uD83D: a high surrogate must be followed by a low surrogate \uDC00-\uDFFF"#),
        (#"["\uD83Dx"]"#,
         #"config.json:1:3: unpaired surrogate \uD83D: a high surrogate must be followed by a low surrogate \uDC00-\uDFFF"#),
        (#"["\uDE00"]"#, #"config.json:1:3: unpaired surrogate \uDE00: a low surrogate must follow a high surrogate"#),
        (#"["\u12G4"]"#, #"config.json:1:7: expected four hex digits after \u, found 'G4'"#),
        (#"["abc"#, #"config.json:1:2: unterminated string: expected '"' before end of input"#),
        ("[\"a\nb\"]", #"config.json:1:4: line break inside a string; end the string first or write it as \n"#),
        ("[\"a\tb\"]", "config.json:1:4: control character U+0009 inside a string must be escaped"),
        ("['a']", #"config.json:1:2: expected a value, found "'" (JSON strings use double quotes)"#),
        ("{a: 1}", "config.json:1:2: expected a string key in double quotes, found 'a'"),
        (#"{"a" 1}"#, #"config.json:1:6: expected ':' after object key "a", found '1'"#),
        ("[1 2]", "config.json:1:4: expected ',' or ']' after array element, found '2'"),
        ("{\"é\": 1 x}", "config.json:1:9: expected ',' or '}' after object member, found 'x'"),
        ("[\"日本\" ,, 1]", "config.json:1:8: expected a value, found ','"),
        ("[1, é]", "config.json:1:5: expected a value, found 'é' (U+00E9)"),
    ])
    func reportsWhereAndWhat(text: String, expected: String) throws {
        let error = try parseError(text)
        #expect(error.kind == .syntax)
        #expect(error.description == expected)
    }

    @Test func invalidUTF8InStringIsRejected() throws {
        let error = try #require(throws: ConfigError.self) {
            try ConfigDocument(utf8: [UInt8(ascii: "\""), 0xFF, UInt8(ascii: "\"")], file: "config.json")
        }
        #expect(error.description == "config.json:1:1: string is not valid UTF-8")
    }

    @Test func lineNumbersCountLineFeedsAcrossCRLF() throws {
        let error = try parseError("{\r\n  \"a\": 1,\r\n  \"b\": ]\r\n}")
        #expect(error.position == SourcePosition(line: 3, column: 8))
    }

    @Test func duplicateKeyNamesBothLines() throws {
        let error = try parseError("{\n  \"lr\": 1,\n  \"opt\": {\"a\": 1},\n  \"lr\": 2\n}")
        #expect(error.kind == .duplicateKey)
        #expect(error.keyPath?.description == "lr")
        #expect(
            error.description
                == #"config.json:4:3: key path 'lr': duplicate key "lr": first defined at line 2, column 3, again at line 4, column 3"#)
    }

    @Test func duplicateKeyInNestedObjectHasFullKeyPath() throws {
        let error = try parseError(#"{"opt": {"m": 1, "m": 2}}"#)
        #expect(
            error.description
                == #"config.json:1:18: key path 'opt.m': duplicate key "m": first defined at line 1, column 10, again at line 1, column 18"#)
    }

    @Test func duplicateKeyInsideArrayElementHasIndexInPath() throws {
        let error = try parseError(#"{"layers": [{"u": 1}, {"u": 1, "u": 2}]}"#)
        #expect(error.keyPath?.description == "layers[1].u")
    }
}
