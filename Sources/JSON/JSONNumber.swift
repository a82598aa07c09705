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
        var sign = ""
        if text.first == "-" || text.first == "+" { sign = text.first == "-" ? "-" : ""; text = text.dropFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            // Beyond ±40 the number is either not an integer or far beyond Int.
            guard let value = Int(text[text.index(after: e)...]), abs(value) <= 40 else { return nil }
            exponent = value
            text = text[..<e]
        }
        var digits = text
        if let point = text.firstIndex(of: ".") {
            let fraction = text[text.index(after: point)...]
            digits = text[..<point] + fraction
            exponent -= fraction.count
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        if exponent < 0 {
            // The digits dropped by the shift must all be zeros.
            let dropped = digits.suffix(-exponent)
            guard dropped.allSatisfy({ $0 == "0" }) else { return nil }
            digits = digits.dropLast(-exponent)
            if digits.isEmpty { return 0 }
        } else {
            digits += String(repeating: "0", count: exponent)
        }
        return Int(sign + digits)
    }

    /// The literal.
    public var description: String { literal }
}
