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

    /// An open file is read at the offsets asked for; bytes outside its size when opened, and a
    /// file that shrinks after it was opened, are errors naming it rather than short reads.
    @Test func anOpenFileIsReadAtOffsetsWithinItsSize() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let path = try directory.write("data.bin", bytes: bytes)
        try InputFile.withOpenFile(path, limit: bytes.count, what: "checkpoint") { file in
            #expect(file.size == bytes.count && file.path == path)
            #expect(try file.bytes(8, at: 0) == Array(bytes[0..<8]))
            #expect(try file.bytes(100, at: 900) == Array(bytes[900...]))
            #expect(try file.bytes(0, at: 1000) == [])
            for (count, offset) in [(1, 1000), (101, 900), (1, -1), (2, Int.max), (Int.max, 1)] {
                let error = try #require(throws: FileError.self) { try file.bytes(count, at: offset) }
                #expect(error.description == "cannot read checkpoint '\(path)': \(count) bytes from byte \(offset) lie outside its 1000 bytes")
            }
            #expect(truncate(path, 500) == 0)
            let shrunk = try #require(throws: FileError.self) { try file.bytes(100, at: 450) }
            #expect(shrunk.description == "cannot read checkpoint '\(path)': it ends at byte 500, before the 100 bytes from byte 450 (it shrank while being read?)")
        }
        let tooBig = try #require(throws: FileError.self) { try InputFile.withOpenFile(path, limit: 100) { _ in Issue.record("opened") } }
        #expect(tooBig.description == "cannot read file '\(path)': it is 500 bytes, more than the limit of 100")
    }

    /// A link is read through unless the caller refuses links, and then refused at the open
    /// itself (O_NOFOLLOW), whatever a check before it saw; a link in a folder above still leads.
    @Test func aLinkIsReadThroughOrRefusedAsAsked() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bytes: [UInt8] = [1, 2, 3, 4]
        let path = try directory.write("data.bin", bytes: bytes)
        #expect(symlink(path, directory.path + "/link.bin") == 0)
        let link = directory.path + "/link.bin"
        #expect(try InputFile.withOpenFile(link, limit: 10) { try $0.bytes(4, at: 0) } == bytes)
        let refused = try #require(throws: FileError.self) {
            try InputFile.withOpenFile(link, limit: 10, what: "checkpoint", links: .refuse) { _ in Issue.record("opened") }
        }
        #expect(refused.description == "cannot read checkpoint '\(link)': it is a symbolic link, not a regular file, and links are not followed here")
        #expect(try InputFile.withOpenFile(path, limit: 10, links: .refuse) { $0.size } == 4)
        #expect(symlink(directory.path, directory.path + "/folder") == 0)
        #expect(try InputFile.withOpenFile(directory.path + "/folder/data.bin", limit: 10, links: .refuse) { $0.size } == 4)
    }
}
