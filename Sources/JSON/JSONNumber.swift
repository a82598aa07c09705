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
        guard let decimal else { return nil }
        if decimal.significand.isEmpty { return 0 }
        // A negative scale leaves a fraction (the last digit is not 0); past 19 digits, no Int.
        guard decimal.scale >= 0, decimal.significand.count + decimal.scale <= 19 else { return nil }
        let significand = String(decoding: decimal.significand, as: UTF8.self)
        return Int((decimal.negative ? "-" : "") + significand + String(repeating: "0", count: decimal.scale))
    }

    /// Whether the number, read exactly in decimal, has no fractional part (`3`, `3.0`, `2.5e1`,
    /// `1e400`), whatever its size; `false` for `1.5` and for NaN and the infinities.
    public var isWhole: Bool {
        guard let decimal else { return false }
        return decimal.significand.isEmpty || decimal.scale >= 0
    }

    /// The literal read exactly as a sign, its significant digits (no leading or trailing zeros;
    /// none for zero) and the power of ten of the last one; nil when the literal is not a decimal
    /// number. The exponent's magnitude saturates at 10¹⁵, beyond any literal's count of
    /// digits, so the power's sign, and whether it leaves an `Int`'s 19 digits, stay right
    /// however long the exponent is.
    ///
    /// Computed on the literal's bytes by index, so every step is linear in its length, however
    /// many digits it has (a literal can be megabytes long).
    private var decimal: (negative: Bool, significand: ArraySlice<UInt8>, scale: Int)? {
        let bytes = Array(literal.utf8)
        let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
        func isDigit(_ byte: UInt8) -> Bool { byte >= zero && byte <= nine }
        var start = 0
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            start = 1
        }
        let e = bytes[start...].firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") } ?? bytes.count
        var digits = Array(bytes[start..<e])
        var fractionDigits = 0
        if let point = digits.firstIndex(of: UInt8(ascii: ".")) {
            fractionDigits = digits.count - point - 1
            digits.remove(at: point)
        }
        guard !digits.isEmpty, digits.allSatisfy(isDigit) else { return nil }
        // Significant digits only: leading zeros go, trailing zeros move into the exponent.
        var first = 0, end = digits.count
        while first < end, digits[first] == zero { first += 1 }
        while end > first, digits[end - 1] == zero { end -= 1 }
        var exponent = e < bytes.count ? bytes[(e + 1)...] : []
        var exponentSign = 1
        if let sign = exponent.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            exponentSign = sign == UInt8(ascii: "-") ? -1 : 1
            exponent = exponent.dropFirst()
        }
        guard exponent.allSatisfy(isDigit) else { return nil }
        let limit = 1_000_000_000_000_000
        let magnitude = exponent.reduce(0) { Swift.min(limit, $0 * 10 + Int($1 - zero)) }
        let scale = exponentSign * magnitude - fractionDigits + (digits.count - end)
        return (negative, digits[first..<end], scale)
    }

    /// The literal.
    public var description: String { literal }
}
