#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A seeded, reproducible random number generator (xoshiro256**), for initialisers, shuffling and
/// dropout. There is no global random state: whoever needs randomness is handed a stream.
///
/// `RandomStream(seed:stream:)` derives independent streams from one seed, so a config's seed
/// and a worker's or an epoch's index name a stream that is the same on every run.
///
/// ```swift
/// var random = RandomStream(seed: 42)
/// let w = Tensor.randomNormal(shape: [64, 10], standardDeviation: 0.05, using: &random)
/// ```
public struct RandomStream: RandomNumberGenerator, Sendable, Equatable {
    /// xoshiro256**'s 256 bits of state; ``advance(by:)`` moves it without drawing.
    var state: (UInt64, UInt64, UInt64, UInt64)

    /// The stream numbered `stream` of `seed`; different (seed, stream) pairs give independent
    /// streams.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var mixer = seed ^ (stream &* 0xD1B5_4A32_D192_ED03)
        func next() -> UInt64 {
            // SplitMix64, the seeding procedure recommended for xoshiro.
            mixer &+= 0x9E37_79B9_7F4A_7C15
            var z = mixer
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (next(), next(), next(), next())
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform `Double` in [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal `Double`, by the Box–Muller transform.
    public mutating func nextNormal() -> Double {
        let u1 = 1 - nextUniform()  // (0, 1]: the logarithm stays finite
        let u2 = nextUniform()
        return Self.boxMuller(u1, u2)
    }

    /// The standard normal value the Box–Muller transform makes of `u1` in (0, 1] and `u2` in
    /// [0, 1): √(−2 ln u1) · cos 2πu2. The one definition of ``nextNormal()``'s arithmetic, which
    /// ``Tensor/randomNormal(shape:mean:standardDeviation:using:)``'s threads also apply to the
    /// uniforms they draw.
    @inline(__always)
    static func boxMuller(_ u1: Double, _ u2: Double) -> Double {
        (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    public static func == (a: RandomStream, b: RandomStream) -> Bool {
        a.state == b.state
    }
}
