import Foundation

/// `value` written with the `printf` conversion `format` (`"%.4f"`, `"%.6g"`), except that a
/// NaN is `nan` whatever its sign bit: C writes a NaN with the sign bit set as `-nan`, which
/// reads as a number below zero. Infinities keep their sign (`inf`, `-inf`).
///
/// ```swift
/// formatted(-Double.nan, "%.4f")   // "nan"
/// formatted(0.5, "%.4f")           // "0.5000"
/// ```
public func formatted(_ value: Double, _ format: String) -> String {
    value.isNaN ? "nan" : String(format: format, value)
}

/// ``formatted(_:_:)-(Double,_)`` of a `Float`.
public func formatted(_ value: Float, _ format: String) -> String {
    formatted(Double(value), format)
}
