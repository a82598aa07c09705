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

/// A count of bytes for a message, in the largest binary unit it reaches, to one decimal:
/// `512 bytes`, `12.0 MiB`, `1.5 GiB`; `more than 8 EiB` for a count saturated at `Int.max`.
package func memorySize(_ bytes: Int) -> String {
    if bytes == Int.max { return "more than 8 EiB" }
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", value, units[unit])
}

/// The product of `factors`, each taken as at least 0, or `Int.max` when it overflows: sizes and
/// counts a file or config may make larger than any machine, which an estimate refuses rather
/// than trapping on.
package func saturatingProduct(_ factors: [Int]) -> Int {
    var result = 1
    for factor in factors {
        if factor <= 0 { return 0 }
        let (next, overflow) = result.multipliedReportingOverflow(by: factor)
        result = overflow ? Int.max : next
    }
    return result
}

/// The sum of `terms`, each taken as at least 0, or `Int.max` when it overflows.
package func saturatingSum(_ terms: [Int]) -> Int {
    var result = 0
    for term in terms {
        let (next, overflow) = result.addingReportingOverflow(Swift.max(term, 0))
        if overflow { return Int.max }
        result = next
    }
    return result
}
