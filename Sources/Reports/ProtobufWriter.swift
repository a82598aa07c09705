/// The few Protocol Buffers encodings TensorBoard's event files need, written by hand so the
/// command line depends on no protobuf library.
///
/// A message is a sequence of fields, each a key (field number << 3 | wire type, as a varint)
/// and a value: varints (wire type 0) for integers, 8 little-endian bytes (type 1) for a
/// `double`, 4 (type 5) for a `float`, and a varint length then the bytes (type 2) for strings
/// and nested messages. Fields are written in the order they are called, which is the order
/// every protobuf encoder uses (by field number) when callers call them in that order.
///
/// ```swift
/// var value = ProtobufWriter()
/// value.string(1, "train/loss")
/// value.float(2, 0.25)
/// var summary = ProtobufWriter()
/// summary.message(1, value)
/// ```
public struct ProtobufWriter: Sendable {
    /// The encoded fields so far.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// An `int64`/`uint64` field (wire type 0). Negative values take ten bytes, as in protobuf.
    public mutating func varint(_ field: Int, _ value: Int64) {
        key(field, wireType: 0)
        appendVarint(UInt64(bitPattern: value))
    }

    /// A `double` field (wire type 1).
    public mutating func double(_ field: Int, _ value: Double) {
        key(field, wireType: 1)
        appendLittleEndian(value.bitPattern)
    }

    /// A `float` field (wire type 5).
    public mutating func float(_ field: Int, _ value: Float) {
        key(field, wireType: 5)
        appendLittleEndian(value.bitPattern)
    }

    /// A `string` field (wire type 2), in UTF-8.
    public mutating func string(_ field: Int, _ value: String) {
        lengthDelimited(field, Array(value.utf8))
    }

    /// An embedded message field (wire type 2).
    public mutating func message(_ field: Int, _ value: ProtobufWriter) {
        lengthDelimited(field, value.bytes)
    }

    /// The key and length of an embedded message of `length` bytes, whose fields the caller
    /// writes next: nesting without building the inner message apart and copying it.
    public mutating func messageHeader(_ field: Int, length: Int) {
        key(field, wireType: 2)
        appendVarint(UInt64(length))
    }

    /// The bytes a varint takes.
    public static func varintSize(_ value: UInt64) -> Int {
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }

    /// Reserves room for `count` more bytes.
    public mutating func reserveCapacity(_ count: Int) {
        bytes.reserveCapacity(bytes.count + count)
    }

    private mutating func lengthDelimited(_ field: Int, _ value: [UInt8]) {
        key(field, wireType: 2)
        appendVarint(UInt64(value.count))
        bytes += value
    }

    private mutating func key(_ field: Int, wireType: UInt64) {
        precondition(field >= 1 && field < 1 << 29, "ProtobufWriter: field number \(field) is out of range 1..<2^29")
        appendVarint(UInt64(field) << 3 | wireType)
    }

    private mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    private mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}
