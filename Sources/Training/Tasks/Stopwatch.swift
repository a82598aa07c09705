#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic wall-clock time for reports and benchmarks.
public struct Stopwatch: Sendable {
    private let start: UInt64

    /// Starts timing now.
    public init() { start = Stopwatch.nanoseconds() }

    /// Seconds since the stopwatch started.
    public var elapsedSeconds: Double { Double(Stopwatch.nanoseconds() - start) / 1e9 }

    /// The monotonic clock in nanoseconds.
    public static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
