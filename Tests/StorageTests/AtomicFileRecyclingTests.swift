import Foundation
import _TestSupport
import Storage
import Testing

/// `AtomicFile.write(_:to:durable:recycling:)`: the new contents are written over a doomed
/// file's storage when that is safe, and as a new file otherwise.
@Suite struct AtomicFileRecyclingTests {
    private func inode(_ path: String) -> UInt? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt(info.st_ino) : nil
    }

    /// A longer and a shorter old file: the destination gets exactly the new bytes on the old
    /// file's inode, the old name is gone, and no temporary is left.
    @Test(arguments: [Array(repeating: UInt8(7), count: 100_000), [1, 2, 3]])
    func theDoomedFilesStorageHoldsTheNewContents(old: [UInt8]) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let doomed = try directory.write("step-1.bin", bytes: old)
        let recycledInode = inode(doomed)
        let new = (0..<5000).map { UInt8(truncatingIfNeeded: $0 * 31) }
        let path = directory.path + "/step-3.bin"
        try AtomicFile.write(new, to: path, recycling: doomed)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == new)
        #expect(inode(path) == recycledInode)
        #expect(try directory.contents() == ["step-3.bin"])
        #expect(permissions(path) == (try newFileMode()))
    }

    /// A file with a second hard link, a symbolic link, the destination itself, a missing file
    /// and a file in another directory are not recycled: each stays as it was (but the missing
    /// one), and the destination is written as a new file.
    @Test func filesThatAreNotSafeToRecycleAreLeftAlone() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let new: [UInt8] = Array("new contents".utf8)

        let linked = try directory.write("linked.bin", "linked")
        #expect(link(linked, directory.path + "/other-name.bin") == 0)
        try AtomicFile.write(new, to: directory.path + "/a.bin", recycling: linked)
        #expect(try directory.read("linked.bin") == "linked")
        #expect(try directory.read("other-name.bin") == "linked")

        let target = try directory.write("target.bin", "target")
        #expect(symlink(target, directory.path + "/symlink.bin") == 0)
        try AtomicFile.write(new, to: directory.path + "/b.bin", recycling: directory.path + "/symlink.bin")
        #expect(try directory.read("target.bin") == "target")
        #expect(try directory.read("symlink.bin") == "target")

        try AtomicFile.write(new, to: target, recycling: target)
        #expect(try directory.read("target.bin") == "new contents")

        try AtomicFile.write(new, to: directory.path + "/c.bin", recycling: directory.path + "/missing.bin")

        try FileManager.default.createDirectory(atPath: directory.path + "/sub", withIntermediateDirectories: false)
        let elsewhere = try directory.write("sub/elsewhere.bin", "elsewhere")
        try AtomicFile.write(new, to: directory.path + "/d.bin", recycling: elsewhere)
        #expect(try directory.read("sub/elsewhere.bin") == "elsewhere")

        for name in ["a.bin", "b.bin", "c.bin", "d.bin"] { #expect(try directory.read(name) == "new contents") }
        #expect(try directory.contents().filter { $0.hasPrefix(".") }.isEmpty, "no temporary is left")
    }
}

/// `AtomicFile.write(_:to:durable:linkingIfEqual:)`: a file that already holds the bytes lends
/// its inode; any other is left alone and the bytes are written.
@Suite struct AtomicFileLinkingTests {
    private func inode(_ path: String) -> UInt? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt(info.st_ino) : nil
    }

    /// A file replaced keeps its mode: where the twin's differs, the new contents are written as
    /// a copy of their own rather than a second name of the twin.
    @Test func aFileOfAnotherModeIsNotReplacedByALink() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bytes = Array("the same contents".utf8)
        let twin = try directory.write("step-9.bin", bytes: bytes)
        #expect(chmod(twin, 0o644) == 0)
        let model = try directory.write("model.bin", "old model")
        #expect(chmod(model, 0o600) == 0)
        try AtomicFile.write(bytes, to: model, linkingIfEqual: twin)
        var info = stat()
        #expect(stat(model, &info) == 0 && info.st_mode & 0o7777 == 0o600)
        #expect(inode(model) != inode(twin))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: model))) == bytes)
        // Of the twin's mode, it becomes a second name.
        #expect(chmod(model, 0o644) == 0)
        try AtomicFile.write(bytes, to: model, linkingIfEqual: twin)
        #expect(inode(model) == inode(twin))
    }

    @Test func anEqualFileBecomesASecondNameAndAnyOtherDoesNot() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bytes = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let twin = try directory.write("step-9.bin", bytes: bytes)
        let model = directory.path + "/model.bin"
        try AtomicFile.write("old model", to: model)
        try AtomicFile.write(bytes, to: model, linkingIfEqual: twin)
        #expect(inode(model) == inode(twin))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: model))) == bytes)

        // Same length, one byte different; shorter; longer; missing; a symbolic link to an equal file.
        var changed = bytes
        changed[2999] ^= 1
        let cases: [(String, [UInt8]?)] = [("changed.bin", changed), ("short.bin", Array(bytes.dropLast())), ("long.bin", bytes + [0]), ("missing.bin", nil)]
        for (name, contents) in cases {
            let other = contents.map { try? directory.write(name, bytes: $0) } ?? directory.path + "/" + name
            let output = directory.path + "/out-" + name
            try AtomicFile.write(bytes, to: output, linkingIfEqual: other)
            #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: output))) == bytes, "\(name)")
            #expect(inode(output) != inode(other ?? ""), "\(name)")
            if let contents { #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: other!))) == contents) }
        }
        #expect(symlink(twin, directory.path + "/alias.bin") == 0)
        try AtomicFile.write(bytes, to: directory.path + "/out-alias.bin", linkingIfEqual: directory.path + "/alias.bin")
        #expect(inode(directory.path + "/out-alias.bin") != inode(twin))
        #expect(try directory.contents().filter { $0.hasPrefix(".") }.isEmpty, "no temporary is left")

        // A linked file is not recycled: writing over the twin's storage would change the model.
        try AtomicFile.write([1, 2, 3], to: directory.path + "/step-10.bin", recycling: twin)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: model))) == bytes)
    }

    /// Files written from parts that lie apart in memory: the file is their bytes in order,
    /// empty parts included; an equal file is linked whatever the parts' boundaries, and a file
    /// that differs in a later part, or has the same bytes cut short, is not.
    @Test func partsAreWrittenAndComparedAsOneRunOfBytes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bytes = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ $0 >> 11) }
        // Boundaries that fall inside the comparison's 1 MiB reads and on them, and empty parts.
        let cuts = [0, 0, 5, 1 << 20, (1 << 20) + 3, (3 << 20) - 1, 3 << 20]
        func withParts<R>(_ bytes: [UInt8], _ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
            try bytes.withUnsafeBytes { whole in
                let cuts = cuts.map { Swift.min($0, whole.count) } + [whole.count]
                return try body(zip(cuts, cuts.dropFirst()).map { UnsafeRawBufferPointer(rebasing: whole[$0..<$1]) })
            }
        }
        let twin = directory.path + "/step-4.bin"
        try withParts(bytes) { try AtomicFile.write(parts: $0, to: twin, recycling: nil) }
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: twin))) == bytes)

        let doomed = try directory.write("step-1.bin", bytes: Array(repeating: 9, count: 5 << 20))
        let recycledInode = inode(doomed)
        let recycledPath = directory.path + "/step-5.bin"
        try withParts(bytes) { try AtomicFile.write(parts: $0, to: recycledPath, recycling: doomed) }
        #expect(inode(recycledPath) == recycledInode)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: recycledPath))) == bytes)

        let model = directory.path + "/model.bin"
        try withParts(bytes) { try AtomicFile.write(parts: $0, to: model, linkingIfEqual: twin) }
        #expect(inode(model) == inode(twin))

        var changed = bytes
        changed[(1 << 20) + 4] ^= 0x80
        let other = directory.path + "/other.bin"
        try withParts(changed) { try AtomicFile.write(parts: $0, to: other, linkingIfEqual: twin) }
        #expect(inode(other) != inode(twin))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: other))) == changed)

        let short = directory.path + "/short.bin"
        try withParts(Array(bytes.dropLast())) { try AtomicFile.write(parts: $0, to: short, linkingIfEqual: twin) }
        #expect(inode(short) != inode(twin))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: short))) == Array(bytes.dropLast()))
        #expect(try directory.contents().filter { $0.hasPrefix(".") }.isEmpty, "no temporary is left")
    }
}
