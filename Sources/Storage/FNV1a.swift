/// The 64-bit FNV-1a hash: small, fast enough for checksums of files and data sets, and the same
/// on every machine. Not a cryptographic hash.
///
/// ```swift
/// var hash = FNV1a()
/// hash.combine("dense0/weight")
/// hash.hexDigest   // 16 hex digits
/// ```
public struct FNV1a: Sendable, Equatable {
    /// The hash so far.
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    /// Mixes in one byte.
    public mutating func combine(_ byte: UInt8) {
        value ^= UInt64(byte)
        value &*= 0x0000_0100_0000_01B3
    }

    /// Mixes in raw bytes, in order.
    public mutating func combine(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes { combine(byte) }
    }

    /// Mixes in a string's UTF-8 bytes and a terminating zero, so that ("ab", "c") and ("a", "bc")
    /// differ.
    public mutating func combine(_ text: String) {
        for byte in text.utf8 { combine(byte) }
        combine(0)
    }

    /// Mixes in an integer's 8 little-endian bytes.
    public mutating func combine(_ integer: Int) {
        withUnsafeBytes(of: UInt64(truncatingIfNeeded: integer).littleEndian) { combine($0) }
    }

    /// Mixes in the bits of each float, little-endian.
    public mutating func combine(_ floats: UnsafeBufferPointer<Float>) {
        for value in floats {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { combine($0) }
        }
    }

    /// The hash as 16 lowercase hex digits.
    public var hexDigest: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
