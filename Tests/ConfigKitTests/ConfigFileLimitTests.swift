import ConfigKit
import Foundation
import Testing

/// A config is read through `InputFile`: nothing that is not a regular file, nothing over
/// `ConfigDocument.maximumFileBytes`, so `swiftgrad run /dev/zero` or a FIFO fails at once.
@Suite("Config files have limits")
struct ConfigFileLimitTests {
    @Test func aDeviceOrAFIFOIsRefusedWithoutReading() throws {
        let zero = try #require(throws: ConfigError.self) { try ConfigDocument.load(path: "/dev/zero") }
        #expect(zero.kind == .unreadableFile)
        #expect(zero.description == "cannot read config '/dev/zero': it is a character device, not a regular file")
        let fifoPath = NSTemporaryDirectory() + "configkit-fifo-\(UUID().uuidString)"
        #expect(mkfifo(fifoPath, 0o644) == 0)
        defer { unlink(fifoPath) }
        let fifo = try #require(throws: ConfigError.self) { try ConfigDocument.load(path: fifoPath) }
        #expect(fifo.description == "cannot read config '\(fifoPath)': it is a FIFO, not a regular file")
    }

    @Test func aFileOverTheLimitIsRefusedBeforeItIsRead() throws {
        let path = NSTemporaryDirectory() + "configkit-big-\(UUID().uuidString).json"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { unlink(path) }
        // A sparse file: its size is what counts, and nothing is written.
        #expect(truncate(path, off_t(ConfigDocument.maximumFileBytes + 1)) == 0)
        let error = try #require(throws: ConfigError.self) { try ConfigDocument.load(path: path) }
        #expect(error.description == "cannot read config '\(path)': it is \(ConfigDocument.maximumFileBytes + 1) bytes, more than the limit of \(ConfigDocument.maximumFileBytes)")
    }
}
