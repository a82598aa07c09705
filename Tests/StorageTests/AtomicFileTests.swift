import Foundation
import _TestSupport
import Storage
import Testing

@Suite("AtomicFile replaces files whole or not at all")
struct AtomicFileTests {
    @Test func writesAndReplacesLeavingNoTemporary() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/report.json"
        try AtomicFile.write(Data("first".utf8), to: path)
        #expect(try directory.read("report.json") == "first")
        try AtomicFile.write("second, longer", to: path)
        #expect(try directory.read("report.json") == "second, longer")
        try AtomicFile.write("", to: path)
        #expect(try directory.read("report.json") == "")
        #expect(try directory.contents() == ["report.json"])
    }

    @Test func checkWritableRefusesBadPathsWithoutWriting() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try AtomicFile.checkWritable(directory.path + "/report.json")
        #expect(try directory.contents() == [])
        let missing = try #require(throws: FileError.self) { try AtomicFile.checkWritable(directory.path + "/missing/report.json") }
        #expect("\(missing)".contains("does not exist"))
        #expect(throws: FileError.self) { try AtomicFile.checkWritable(directory.path) }
    }

    @Test func missingDirectoryIsAnErrorAndIsNotCreated() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/out/report.json"
        let error = try #require(throws: FileError.self) { try AtomicFile.write("x", to: path) }
        #expect(error.description == "cannot write '\(path)': directory '\(directory.path)/out' does not exist")
        #expect(try directory.contents().isEmpty)
    }

    @Test func relativePathsAreNamedAsGiven() throws {
        let missing = "no-such-dir-\(UUID().uuidString)"
        let error = try #require(throws: FileError.self) { try AtomicFile.write("x", to: "\(missing)/report.json") }
        #expect(error.description == "cannot write '\(missing)/report.json': directory '\(missing)' does not exist")
    }

    @Test func parentThatIsAFileIsNamed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try AtomicFile.write("x", to: directory.path + "/file")
        let error = try #require(throws: FileError.self) {
            try AtomicFile.write("x", to: directory.path + "/file/report.json")
        }
        #expect(error.description == "cannot write '\(directory.path)/file/report.json': '\(directory.path)/file' is not a directory")
    }

    @Test func failedRenameRemovesTheTemporary() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.path + "/taken", withIntermediateDirectories: false)
        let error = try #require(throws: FileError.self) { try AtomicFile.write("x", to: directory.path + "/taken") }
        #expect(error.description.hasPrefix("cannot write '\(directory.path)/taken': "))
        #expect(try directory.contents() == ["taken"])
    }

    @Test func trailingSlashIsRejected() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let error = try #require(throws: FileError.self) { try AtomicFile.write("x", to: directory.path + "/") }
        #expect(error.description.contains("names a directory"))
    }
}

@Suite struct FNV1aTests {
    /// The published FNV-1a 64-bit test vectors.
    @Test func bytesGiveThePublishedHashes() {
        for (text, expected) in [("", 0xcbf2_9ce4_8422_2325 as UInt64), ("a", 0xaf63_dc4c_8601_ec8c), ("foobar", 0x8594_4171_f739_67e8)] {
            var hash = FNV1a()
            text.utf8.forEach { hash.combine($0) }
            #expect(hash.value == expected, "\(text)")
        }
    }

    @Test func wordsSeeEveryBitAndTheOddLastFloat() {
        func hash(_ floats: [Float]) -> UInt64 {
            var hash = FNV1a()
            floats.withUnsafeBufferPointer { hash.combineWords($0) }
            return hash.value
        }
        let base: [Float] = [1, 2, 3]
        #expect(hash(base) != hash([1, 2, 3.0000002]))
        #expect(hash(base) != hash([2, 1, 3]))
        #expect(hash(base) != hash([1, 2]))
        #expect(hash([1, 2]) != hash([1, 2, 0]))
        #expect(hash(base) == hash([1, 2, 3]))
    }
}
