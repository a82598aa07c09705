import Foundation
import Reports
import Testing
import _TestSupport

/// The expected bytes come from TensorBoard's own code (tensorboard 2.21): `event_pb2.Event(...)
/// .SerializeToString()` and `RecordWriter.write`.
@Suite("TensorBoard event files: TFRecord framing around Event protocol buffers")
struct TensorBoardEventFileTests {
    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test func aScalarEventIsWhatTensorBoardsProtobufWrites() {
        let event = TensorBoardEventFile.scalarEvent(
            step: 23, wallTime: 1_765_000_000.25, scalars: [("train/loss", 0.3125), ("train/learning_rate", 0.001)])
        #expect(hex(event) == "09000010d0f04cda4110172a2f0a110a0a747261696e2f6c6f7373150000a03e0a1a0a13747261696e2f6c6561726e696e675f72617465156f12833a")
    }

    @Test func theFirstEventHoldsTheFileVersion() {
        #expect(hex(TensorBoardEventFile.versionEvent(wallTime: 1_765_000_000.5)) == "09000020d0f04cda411a0d627261696e2e4576656e743a32")
    }

    @Test func aRecordIsFramedAsTensorBoardsRecordWriterFramesIt() {
        let record = TensorBoardEventFile.record(Array("brain.Event:2".utf8))
        #expect(hex(record) == "0d000000000000003c37b834627261696e2e4576656e743a32ee01067c")
    }

    /// Reads the records of a file back, checking both CRCs of each.
    private func records(of bytes: [UInt8]) -> [[UInt8]]? {
        var records: [[UInt8]] = []
        var offset = 0
        func uint32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
        while offset < bytes.count {
            guard offset + 12 <= bytes.count else { return nil }
            let length = (0..<8).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
            guard uint32(offset + 8) == CRC32C.masked(CRC32C.checksum(bytes[offset..<offset + 8])),
                  offset + 16 + length <= bytes.count else { return nil }
            let data = Array(bytes[offset + 12..<offset + 12 + length])
            guard uint32(offset + 12 + length) == CRC32C.masked(CRC32C.checksum(data)) else { return nil }
            records.append(data)
            offset += 16 + length
        }
        return records
    }

    @Test func aFileHoldsTheVersionThenOneRecordPerAppendAndAppendingKeepsIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let name = TensorBoardEventFile.fileName(wallTime: 1_765_000_000.9, host: "box")
        #expect(name == "events.out.tfevents.1765000000.box")
        #expect(TensorBoardEventFile.isEventFileName(name))
        let path = directory.path + "/" + name
        do {
            let file = try TensorBoardEventFile(creating: path, wallTime: 1)
            try file.append(step: 1, wallTime: 2, scalars: [("a", 1)])
        }
        // Everything appended is in the file at once, without closing it.
        let file = try TensorBoardEventFile(appendingTo: path)
        try file.append(step: 2, wallTime: 3, scalars: [("a", 0.5), ("b", -1)])
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let read = try #require(records(of: bytes))
        #expect(read == [
            TensorBoardEventFile.versionEvent(wallTime: 1),
            TensorBoardEventFile.scalarEvent(step: 1, wallTime: 2, scalars: [("a", 1)]),
            TensorBoardEventFile.scalarEvent(step: 2, wallTime: 3, scalars: [("a", 0.5), ("b", -1)]),
        ])
        // Creating starts the file over.
        _ = try TensorBoardEventFile(creating: path, wallTime: 4)
        let restarted = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(records(of: restarted) == [TensorBoardEventFile.versionEvent(wallTime: 4)])
    }

    @Test func aFileInAMissingFolderIsAnErrorNamingIt() {
        do {
            _ = try TensorBoardEventFile(creating: "/nonexistent-folder/events.out.tfevents.1.x", wallTime: 0)
            Issue.record("created a file in a missing folder")
        } catch {
            #expect("\(error)" == "cannot open '/nonexistent-folder/events.out.tfevents.1.x' for writing: No such file or directory")
        }
    }
}
