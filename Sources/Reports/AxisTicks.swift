#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Round tick values for a plot axis: multiples of 1, 2 or 5 times a power of ten.
///
/// Ticks are computed as exact decimals (`3 × 10⁻¹` parsed from `"3e-1"`), so they print as
/// `0.3`, never `0.30000000000000004`.
///
/// ```swift
/// let ticks = AxisTicks(covering: 0.13...0.97)
/// ticks.labels  // ["0.2", "0.4", "0.6", "0.8"]
/// let (domain, axis) = AxisTicks.niceDomain(for: 0.13...0.97)
/// domain        // 0.0...1.0, axis.labels == ["0", "0.2", "0.4", "0.6", "0.8", "1"]
/// ```
public struct AxisTicks: Sendable, Equatable {
    /// The distance between ticks: 1, 2 or 5 times a power of ten.
    public let step: Double
    /// The tick positions, ascending.
    public let values: [Double]
    /// The tick labels: the shortest decimal for each value, without a trailing `.0`.
    public let labels: [String]

    /// The round ticks inside `range`, about `maxCount` of them.
    ///
    /// - Parameters:
    ///   - range: the values to cover; must be finite.
    ///   - maxCount: the most ticks wanted; the step is the smallest round one giving at most this
    ///     many intervals over the range.
    public init(covering range: ClosedRange<Double>, maxCount: Int = 6) {
        let (mantissa, exponent) = Self.roundStep(for: range, maxCount: maxCount)
        let step = Self.decimal(mantissa, exponent)
        self.step = step
        guard step > 0, range.lowerBound.isFinite, range.upperBound.isFinite else {
            self.values = []
            self.labels = []
            return
        }
        let first = Int((range.lowerBound / step - 1e-9).rounded(.up))
        let last = Int((range.upperBound / step + 1e-9).rounded(.down))
        let values = first > last ? [] : (first...last).map { Self.decimal($0 * mantissa, exponent) }
        self.values = values
        self.labels = values.map(Self.label)
    }

    /// The range widened outwards to the nearest round ticks, and those ticks.
    ///
    /// - Parameters:
    ///   - range: the data's extent; an empty extent (`a...a`) is widened around `a`.
    ///   - maxCount: the most ticks wanted inside the data's extent.
    /// - Returns: the widened domain and its ticks, whose first and last values are its ends.
    public static func niceDomain(for range: ClosedRange<Double>, maxCount: Int = 6) -> (
        domain: ClosedRange<Double>, ticks: AxisTicks
    ) {
        var range = range
        if !(range.upperBound - range.lowerBound > 0) {
            let pad = range.lowerBound == 0 ? 1 : abs(range.lowerBound) * 0.1
            range = (range.lowerBound - pad)...(range.upperBound + pad)
        }
        let (mantissa, exponent) = roundStep(for: range, maxCount: maxCount)
        let step = decimal(mantissa, exponent)
        let low = Int((range.lowerBound / step + 1e-9).rounded(.down))
        let high = Int((range.upperBound / step - 1e-9).rounded(.up))
        let domain = decimal(low * mantissa, exponent)...decimal(high * mantissa, exponent)
        return (domain, AxisTicks(covering: domain, maxCount: max(maxCount, high - low + 1)))
    }

    /// The round step as `mantissa × 10^exponent`, mantissa 1, 2 or 5.
    private static func roundStep(for range: ClosedRange<Double>, maxCount: Int) -> (Int, Int) {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return (1, 0) }
        let rough = span / Double(max(1, maxCount - 1))
        var exponent = Int(log10(rough).rounded(.down))
        let scaled = rough / decimal(1, exponent)
        let mantissa: Int
        switch scaled {
        case ...1.000001: mantissa = 1
        case ...2.000001: mantissa = 2
        case ...5.000001: mantissa = 5
        default:
            mantissa = 1
            exponent += 1
        }
        return (mantissa, exponent)
    }

    private static func decimal(_ mantissa: Int, _ exponent: Int) -> Double {
        Double("\(mantissa)e\(exponent)") ?? 0
    }

    private static func label(_ value: Double) -> String {
        if value == 0 { return "0" }
        let text = value.description
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}
