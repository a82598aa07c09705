import Foundation
import Storage

/// A TensorBoard event file of scalars, as `tf.summary.scalar` writes it, appended to record by
/// record so that a run killed half-way keeps everything it wrote.
///
/// The format, TensorFlow's `TFRecord` framing around `Event` protocol buffers
/// (`tensorflow/core/util/event.proto`):
///
/// - each record is `uint64 length`, `uint32 masked CRC-32C of the length`, the data,
///   `uint32 masked CRC-32C of the data`, all little-endian (``CRC32C/masked(_:)``);
/// - the data is an `Event`: `wall_time` (double, field 1, seconds since 1970), `step` (int64,
///   field 2), and either `file_version` (string, field 3: `brain.Event:2`, the first event of
///   every file) or `summary` (field 5): a `Summary` of repeated `Value`s (field 1), each a `tag`
///   (string, field 1) and a `simple_value` (float, field 2).
///
/// TensorBoard reads every file named `events.out.tfevents.*` under `--logdir`
/// (``fileName(wallTime:host:)``). Each `append` is one `write(2)`.
///
/// ```swift
/// let events = try TensorBoardEventFile(creating: "runs/digits/" + TensorBoardEventFile.fileName(wallTime: now, host: host), wallTime: now)
/// try events.append(step: 1, wallTime: now, scalars: [("train/loss", 2.3)])
/// ```
public final class TensorBoardEventFile {
    /// The file's path.
    public var path: String { file.path }
    private let file: AppendingFile

    /// The version string TensorBoard expects in the first event.
    public static let fileVersion = "brain.Event:2"

    /// Starts a new event file at `path` (emptying any file there) with its `file_version`
    /// event.
    ///
    /// - Throws: `FileError` naming the file.
    public init(creating path: String, wallTime: Double) throws {
        file = try AppendingFile(path: path, truncating: true)
        try file.append(Self.record(Self.versionEvent(wallTime: wallTime)))
    }

    /// Opens the event file at `path` to append to what it holds.
    ///
    /// - Throws: `FileError` naming the file.
    public init(appendingTo path: String) throws {
        file = try AppendingFile(path: path, truncating: false)
    }

    /// Appends to `file`, an event file opened (and perhaps cut back) by the caller.
    public init(appendingTo file: AppendingFile) {
        self.file = file
    }

    /// The events framed in `bytes` (an event file's contents), in order, as far as they are
    /// whole with matching checksums: each one's wall time, its step (0 when it has none),
    /// whether it is the `file_version` event, and the offset just past its record.
    public static func events(in bytes: [UInt8]) -> [(wallTime: Double, step: Int, isVersion: Bool, end: Int)] {
        var events: [(wallTime: Double, step: Int, isVersion: Bool, end: Int)] = []
        var offset = 0
        func littleEndian(_ at: Int, _ count: Int) -> UInt64 {
            (0..<count).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * $1) }
        }
        while bytes.count - offset >= 16 {
            let length = littleEndian(offset, 8)
            guard length <= UInt64(bytes.count - offset - 16),
                  UInt32(littleEndian(offset + 8, 4)) == CRC32C.masked(CRC32C.checksum(bytes[offset..<offset + 8]))
            else { break }
            let data = bytes[offset + 12..<offset + 12 + Int(length)]
            guard UInt32(littleEndian(data.endIndex, 4)) == CRC32C.masked(CRC32C.checksum(data)),
                  let event = Self.decodeEvent(data)
            else { break }
            offset = data.endIndex + 4
            events.append((event.wallTime, event.step, event.isVersion, offset))
        }
        return events
    }

    /// An `Event`'s wall time (field 1), step (field 2) and whether it holds a `file_version`
    /// (field 3); nil when `data` is not a protocol buffer message.
    private static func decodeEvent(_ data: ArraySlice<UInt8>) -> (wallTime: Double, step: Int, isVersion: Bool)? {
        var index = data.startIndex
        func varint() -> UInt64? {
            var value: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                guard index < data.endIndex else { return nil }
                let byte = data[index]
                index += 1
                value |= UInt64(byte & 0x7F) << UInt64(shift)
                if byte & 0x80 == 0 { return value }
            }
            return nil
        }
        var event = (wallTime: 0.0, step: 0, isVersion: false)
        while index < data.endIndex {
            guard let key = varint() else { return nil }
            switch key & 7 {
            case 0:
                guard let value = varint() else { return nil }
                if key >> 3 == 2 { event.step = Int(truncatingIfNeeded: value) }
            case 1:
                guard data.endIndex - index >= 8 else { return nil }
                let bits = (0..<8).reduce(UInt64(0)) { $0 | UInt64(data[index + $1]) << (8 * $1) }
                if key >> 3 == 1 { event.wallTime = Double(bitPattern: bits) }
                index += 8
            case 2:
                guard let length = varint(), length <= UInt64(data.endIndex - index) else { return nil }
                if key >> 3 == 3 { event.isVersion = true }
                index += Int(length)
            case 5:
                guard data.endIndex - index >= 4 else { return nil }
                index += 4
            default:
                return nil
            }
        }
        return event
    }

    /// Appends one event holding `scalars` at `step`.
    ///
    /// - Throws: `FileError` naming the file.
    public func append(step: Int, wallTime: Double, scalars: [(tag: String, value: Float)]) throws {
        try file.append(Self.record(Self.scalarEvent(step: step, wallTime: wallTime, scalars: scalars)))
    }

    /// Appends one event per entry of `events`, all in one write.
    ///
    /// - Throws: `FileError` naming the file.
    public func append(_ events: [(step: Int, wallTime: Double, scalars: [(tag: String, value: Float)])]) throws {
        var bytes: [UInt8] = []
        for event in events {
            bytes += Self.record(Self.scalarEvent(step: event.step, wallTime: event.wallTime, scalars: event.scalars))
        }
        try file.append(bytes)
    }

    /// The conventional name, `events.out.tfevents.<whole seconds>.<host>`, as TensorFlow's
    /// writers name their files (they may add a suffix after the host; TensorBoard needs only the
    /// `events.out.tfevents` prefix).
    public static func fileName(wallTime: Double, host: String) -> String {
        "events.out.tfevents.\(Int(wallTime)).\(host.isEmpty ? "localhost" : host)"
    }

    /// Whether `name` is an event file's name.
    public static func isEventFileName(_ name: String) -> Bool {
        name.hasPrefix("events.out.tfevents.")
    }

    /// The first event of a file: its wall time and `file_version`.
    public static func versionEvent(wallTime: Double) -> [UInt8] {
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.string(3, fileVersion)
        return event.bytes
    }

    /// An `Event` holding a `Summary` of `scalars` at `step`.
    public static func scalarEvent(step: Int, wallTime: Double, scalars: [(tag: String, value: Float)]) -> [UInt8] {
        // Each Value is written in place, behind its length: tag (key, length, bytes), then the
        // float (key, 4 bytes).
        let valueSizes = scalars.map { 1 + ProtobufWriter.varintSize(UInt64($0.tag.utf8.count)) + $0.tag.utf8.count + 5 }
        let summarySize = valueSizes.reduce(0) { $0 + 1 + ProtobufWriter.varintSize(UInt64($1)) + $1 }
        var event = ProtobufWriter()
        event.reserveCapacity(9 + 11 + 1 + ProtobufWriter.varintSize(UInt64(summarySize)) + summarySize)
        event.double(1, wallTime)
        event.varint(2, Int64(step))
        event.messageHeader(5, length: summarySize)
        for ((tag, value), size) in zip(scalars, valueSizes) {
            event.messageHeader(1, length: size)
            event.string(1, tag)
            event.float(2, value)
        }
        return event.bytes
    }

    /// `data` framed as one TFRecord.
    public static func record(_ data: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(data.count + 16)
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { bytes += $0 }
        let lengthCRC = CRC32C.masked(CRC32C.checksum(bytes))
        withUnsafeBytes(of: lengthCRC.littleEndian) { bytes += $0 }
        bytes += data
        withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(data)).littleEndian) { bytes += $0 }
        return bytes
    }
}
