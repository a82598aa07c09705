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

    /// Mixes in the floats' bits two at a time, as 64-bit words (the first float in the low
    /// half), with FNV-1a's step applied to words instead of bytes: eight times fewer steps, for
    /// checksums of large tensors. An odd last float is mixed in alone. Not byte-wise FNV-1a, so
    /// a hash made this way is only comparable with another made this way.
    public mutating func combineWords(_ floats: UnsafeBufferPointer<Float>) {
        var index = 0
        #if _endian(little)
        // A little-endian 8-byte load is exactly `low | high << 32` of the two floats' bits.
        if let base = UnsafeRawPointer(floats.baseAddress) {
            var hash = value
            while index + 1 < floats.count {
                hash ^= base.loadUnaligned(fromByteOffset: index &* 4, as: UInt64.self)
                hash &*= 0x0000_0100_0000_01B3
                index &+= 2
            }
            value = hash
        }
        #endif
        while index + 1 < floats.count {
            let word = UInt64(floats[index].bitPattern) | UInt64(floats[index + 1].bitPattern) << 32
            value ^= word
            value &*= 0x0000_0100_0000_01B3
            index += 2
        }
        if index < floats.count {
            value ^= UInt64(floats[index].bitPattern)
            value &*= 0x0000_0100_0000_01B3
        }
    }

    /// The hash as 16 lowercase hex digits.
    public var hexDigest: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
