/// A JSON number kept as its literal, so that what was read is reported verbatim and what is
/// written has exactly the digits chosen for it.
///
/// Parsed numbers keep their text: `1e400` or a 30-digit integer is never silently rounded before
/// a reader decides what type it needs. Numbers made from a `Double` or `Float` take the shortest
/// decimal that reads back as the same value of that type (`Float(0.1)` is `0.1`, not
/// `0.10000000149011612`), so a report holds exactly what the program computed.
///
/// ```swift
/// JSONNumber(Float(0.1)).literal   // "0.1"
/// JSONNumber(1e-5).literal         // "1e-05"
/// JSONNumber(Double.nan).isFinite  // false: JSON cannot write it
/// ```
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number as written, e.g. `-2.5E-3`; for NaN and the infinities Swift's spelling
    /// (`nan`, `inf`, `-inf`), which is not JSON.
    public let literal: String
    /// Whether the number can be written as JSON: `false` only for NaN and the infinities, which
    /// come from a `Double` or `Float` since JSON text cannot spell them. A literal beyond
    /// `Double`'s range (`1e400`) is finite as written, though its ``doubleValue`` is not.
    public let isFinite: Bool

    /// Creates a number from its JSON literal; the literal is not validated.
    ///
    /// - Parameter literal: the number as written in JSON.
    public init(literal: String) {
        self.literal = literal
        self.isFinite = true
    }

    /// An integer, written in decimal.
    ///
    /// - Parameter value: the integer.
    public init(_ value: Int) {
        self.literal = String(value)
        self.isFinite = true
    }

    /// A `Double`, written as the shortest decimal that reads back as the same `Double`
    /// (`1.0`, `0.1`, `1e-05`).
    ///
    /// - Parameter value: the number; NaN and infinity are kept, but cannot be encoded as JSON.
    public init(_ value: Double) {
        self.literal = value.description
        self.isFinite = value.isFinite
    }

    /// A `Float`, written as the shortest decimal that reads back as the same `Float` (`0.1`,
    /// not the `Double` expansion `0.10000000149011612`).
    ///
    /// - Parameter value: the number; NaN and infinity are kept, but cannot be encoded as JSON.
    public init(_ value: Float) {
        self.literal = value.description
        self.isFinite = value.isFinite
    }

    /// Whether the literal has no fraction and no exponent.
    public var isIntegerLiteral: Bool {
        !literal.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }

    /// The nearest `Double`; infinite when the literal is beyond `Double`'s range (`1e400`).
    public var doubleValue: Double {
        Double(literal) ?? .nan
    }

    /// The exact integer value, or `nil` if the number has a fractional part or does not fit in
    /// `Int`. Integral values written with a fraction or exponent (`3.0`, `1e3`, `1e18`,
    /// `2.5e1`) count as integers: the literal's digits are shifted by its exponent exactly, in
    /// decimal, so no rounding through `Double` decides.
    public var intValue: Int? {
        if isIntegerLiteral { return Int(literal) }
        var text = Substring(literal)
        var negative = false
        if text.first == "-" || text.first == "+" { negative = text.first == "-"; text = text.dropFirst() }
        var exponentText: Substring = "0"
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponentText = text[text.index(after: e)...]
            text = text[..<e]
        }
        var digits = text
        var fractionDigits = 0
        if let point = text.firstIndex(of: ".") {
            digits = text[..<point] + text[text.index(after: point)...]
            fractionDigits = text.distance(from: text.index(after: point), to: text.endIndex)
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        // Significant digits only: leading zeros go, trailing zeros move into the exponent.
        digits = digits.drop { $0 == "0" }
        var trailingZeros = 0
        while digits.last == "0" { digits = digits.dropLast(); trailingZeros += 1 }
        if digits.isEmpty { return 0 }
        // The exponent of the last significant digit, kept within ±40 000: an Int has 19 digits,
        // so a number whose scale leaves that range is no Int however its exponent is spelt.
        var exponentSign = 1
        if exponentText.first == "-" || exponentText.first == "+" {
            exponentSign = exponentText.first == "-" ? -1 : 1
            exponentText = exponentText.dropFirst()
        }
        let exponentDigits = exponentText.drop { $0 == "0" }
        guard exponentDigits.count <= 5, let magnitude = exponentDigits.isEmpty ? 0 : Int(exponentDigits) else { return nil }
        let scale = exponentSign * magnitude - fractionDigits + trailingZeros
        // A negative scale leaves a fraction (the last digit is not 0); past 19 digits, no Int.
        guard scale >= 0, digits.count + scale <= 19 else { return nil }
        return Int((negative ? "-" : "") + digits + String(repeating: "0", count: scale))
    }

    /// The literal.
    public var description: String { literal }
}
