import ConfigKit
import JSON
import Testing

/// What `JSONValue.encoded` writes, ConfigKit's strict parser reads back as an equal value.
@Suite("Encoded JSON parses back to an equal value")
struct JSONRoundTripTests {
    private func roundTrip(_ value: JSONValue, _ style: JSONValue.Style, nonFinite: JSONValue.NonFiniteNumbers = .reject) throws -> JSONValue {
        try ConfigDocument(parsing: try value.encoded(style, nonFinite: nonFinite), file: "round-trip.json").root
    }

    /// Every control character, `"` and `\`, DEL, U+2028/U+2029 and non-ASCII text.
    private static let awkward = String(String.UnicodeScalarView((0..<0x20).map { Unicode.Scalar($0)! }))
        + #"" \ / "# + "\u{7F} é 日本 😀 e\u{301} \u{2028}\u{2029}"

    @Test(arguments: [JSONValue.Style.pretty, .singleLine])
    func stringsSurviveEveryEscape(style: JSONValue.Style) throws {
        let value: JSONValue = [Self.awkward: .string(Self.awkward), "list": [.string(Self.awkward), ""]]
        let parsed = try roundTrip(value, style)
        #expect(parsed == value)
        #expect(parsed.objectValue?.keys.first == Self.awkward)
    }

    @Test(arguments: [JSONValue.Style.pretty, .singleLine])
    func nestedOrderIsPreserved(style: JSONValue.Style) throws {
        let value: JSONValue = [
            "zeta": ["z": 1, "a": ["y": [], "b": [:], "x": [["q": nil, "p": true]]]],
            "alpha": [false, ["m": "n", "c": [1, [2, [3]]]]],
            "mid": [:],
        ]
        let parsed = try roundTrip(value, style)
        #expect(parsed == value)
        #expect(parsed.objectValue?.keys == ["zeta", "alpha", "mid"])
        #expect(parsed.objectValue?["zeta"]?.objectValue?["a"]?.objectValue?.keys == ["y", "b", "x"])
        // The parsed value knows where it was written; the equality above ignored that.
        #expect(parsed.position == SourcePosition(line: 1, column: 1))
    }

    @Test(arguments: [JSONValue.Style.pretty, .singleLine])
    func specialNumbersKeepEveryBit(style: JSONValue.Style) throws {
        let doubles: [Double] = [0, -0.0, 0.1, 1e-5, 1e300, .leastNonzeroMagnitude, .leastNormalMagnitude,
                                 .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1.0 / 3.0, 2e-308]
        let floats: [Float] = [0, -0.0, 0.1, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude,
                               -1.0 / 3.0, 16_777_216, 1e30]
        let ints = [0, -1, Int.max, Int.min]
        let value: JSONValue = ["doubles": JSONValue(doubles), "floats": JSONValue(floats), "ints": JSONValue(ints)]
        let parsed = try roundTrip(value, style)
        #expect(parsed == value)
        let object = try #require(parsed.objectValue)
        #expect(object["doubles"]?.arrayValue?.map { $0.doubleValue?.bitPattern } == doubles.map(\.bitPattern))
        let floatLiterals = object["floats"]?.arrayValue?.compactMap { value -> String? in
            if case .number(let number) = value.kind { number.literal } else { nil }
        }
        #expect(floatLiterals?.map { Float($0)?.bitPattern } == floats.map(\.bitPattern))
        #expect(object["ints"]?.arrayValue?.map(\.intValue) == ints)
    }

    @Test func nonFiniteNumbersComeBackAsNullWhenAskedFor() throws {
        let value: JSONValue = ["loss": .number(Float.nan), "values": JSONValue([1, .infinity, -.infinity] as [Double])]
        let parsed = try roundTrip(value, .pretty, nonFinite: .writeNull)
        #expect(parsed == ["loss": nil, "values": [1.0, nil, nil]])
    }

    @Test func randomTreesRoundTrip() throws {
        var random = SplitMix64(seed: 2026)
        for _ in 0..<200 {
            let value = randomValue(depth: 0, &random)
            #expect(try roundTrip(value, .pretty) == value)
            #expect(try roundTrip(value, .singleLine) == value)
        }
    }

    private func randomValue(depth: Int, _ random: inout SplitMix64) -> JSONValue {
        let scalars: [Unicode.Scalar] = ["a", "\"", "\\", "\n", "\u{0}", "\u{1F}", "é", "😀", "\u{2028}", " "]
        func text() -> String {
            String(String.UnicodeScalarView((0..<random.next(below: 6)).map { _ in scalars[random.next(below: scalars.count)] }))
        }
        switch random.next(below: depth < 4 ? 8 : 6) {
        case 0: return nil
        case 1: return .bool(random.next(below: 2) == 0)
        case 2: return .number(Int(truncatingIfNeeded: random.next()))
        case 3: return .number(Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF))
        case 4: return .number(Float(bitPattern: UInt32(truncatingIfNeeded: random.next()) & 0x7F7F_FFFF))
        case 5: return .string(text())
        case 6: return .array((0..<random.next(below: 4)).map { _ in randomValue(depth: depth + 1, &random) })
        default:
            var object = JSONObject()
            for _ in 0..<random.next(below: 4) { object[text()] = randomValue(depth: depth + 1, &random) }
            return .object(object)
        }
    }
}

/// A small seeded generator, so that a failing tree can be found again.
private struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}
