import Foundation
import Storage

#if canImport(Glibc)
import Glibc
#endif

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

    /// Opens the event file at `path` to append to `bytes`, the records it is to keep: cut
    /// back to them in place when it starts with them, so that a TensorBoard reading it reads on
    /// into what is appended; otherwise replaced by them (``AppendingFile/init(path:keeping:)``).
    ///
    /// - Throws: `FileError` naming the file.
    public init(appendingTo path: String, keeping bytes: [UInt8]) throws {
        file = try AppendingFile(path: path, keeping: bytes)
    }

    /// The first record of the file at `path`, framed, when it is a `file_version` event as
    /// ``versionEvent(wallTime:)`` writes it; nil for a file that is missing, unreadable or
    /// starts otherwise. A resumed run keeps it, so that the records it keeps are the file's
    /// bytes as they are.
    public static func versionRecord(ofFileAt path: String) -> [UInt8]? {
        let length = record(versionEvent(wallTime: 0)).count
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var head = [UInt8](repeating: 0, count: length)
        guard head.withUnsafeMutableBytes({ pread(descriptor, $0.baseAddress!, length, 0) }) == length else { return nil }
        // The wall time sits after the record's 12-byte header and the field's key; the rest is
        // fixed, so the record is exactly the one written for that time.
        let wallTime = Double(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(head[13 + $1]) << (8 * $1) })
        return record(versionEvent(wallTime: wallTime)) == head ? head : nil
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
