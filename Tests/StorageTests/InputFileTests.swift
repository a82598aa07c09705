import Foundation
import _TestSupport
import Storage
import Testing

/// `InputFile` reads regular files only, whole or in chunks, and never past its limit.
@Suite("InputFile reads bounded regular files")
struct InputFileTests {
    @Test func chunksHoldTheWholeFileInOrder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let path = try directory.write("data.bin", bytes: bytes)
        for chunkSize in [1, 7, 4096, 1 << 20] {
            var read: [UInt8] = []
            var chunks = 0
            try InputFile.readChunks(path, limit: bytes.count, chunkSize: chunkSize) { chunk in
                #expect(chunk.count <= chunkSize)
                read.append(contentsOf: chunk)
                chunks += 1
            }
            #expect(read == bytes)
            #expect(chunks == (bytes.count + chunkSize - 1) / chunkSize)
        }
        #expect(try InputFile.read(path, limit: bytes.count) == bytes)
    }

    @Test func aFIFOADeviceAndAFileOverTheLimitAreRefusedBeforeReading() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.path + "/fifo"
        #expect(mkfifo(fifo, 0o644) == 0)
        // Nothing writes to the FIFO: a reader that opened it blocking would never return.
        let fromFIFO = try #require(throws: FileError.self) { try InputFile.readChunks(fifo, limit: 100, what: "data file") { _ in } }
        #expect(fromFIFO.description == "cannot read data file '\(fifo)': it is a FIFO, not a regular file")
        let zero = try #require(throws: FileError.self) { try InputFile.readChunks("/dev/zero", limit: 100) { _ in } }
        #expect(zero.description == "cannot read file '/dev/zero': it is a character device, not a regular file")
        let big = try directory.write("big", bytes: [UInt8](repeating: 1, count: 101))
        let tooBig = try #require(throws: FileError.self) { try InputFile.readChunks(big, limit: 100) { _ in Issue.record("read") } }
        #expect(tooBig.description == "cannot read file '\(big)': it is 101 bytes, more than the limit of 100")
    }
}
