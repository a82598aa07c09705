#if canImport(Glibc)
import Glibc
#endif
import Foundation
import _TestSupport
import Storage
import Testing

/// `links: .refuse`: a symbolic link at the path is refused by every write and by the check, and
/// nothing in a write reads or writes through one, even one put there while it runs.
@Suite("AtomicFile can refuse a symbolic link at the path")
struct AtomicFileLinkPolicyTests {
    /// Every public way to write `path` (and to check it), under `.refuse`.
    private static let writes: [(String, @Sendable (String, String) throws -> Void)] = [
        ("Data", { path, _ in try AtomicFile.write(Data("new".utf8), to: path, links: .refuse) }),
        ("bytes", { path, _ in try AtomicFile.write(Array("new".utf8), to: path, links: .refuse) }),
        ("text", { path, _ in try AtomicFile.write("new", to: path, links: .refuse) }),
        ("recycling", { path, spare in try AtomicFile.write(Array("new".utf8), to: path, links: .refuse, recycling: spare) }),
        ("linking", { path, spare in try AtomicFile.write(Array("new".utf8), to: path, links: .refuse, linkingIfEqual: spare) }),
        ("parts recycling", { path, spare in
            try Array("new".utf8).withUnsafeBytes { try AtomicFile.write(parts: [$0], to: path, links: .refuse, recycling: spare) }
        }),
        ("parts linking", { path, spare in
            try Array("new".utf8).withUnsafeBytes { try AtomicFile.write(parts: [$0], to: path, links: .refuse, linkingIfEqual: spare) }
        }),
        ("check", { path, _ in try AtomicFile.checkWritable(path, links: .refuse) }),
    ]

    @Test(arguments: writes.map(\.0))
    func aLinkAtThePathIsRefusedAndWhatItPointsToIsUntouched(way: String) throws {
        let write = try #require(Self.writes.first { $0.0 == way }?.1)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outside = try directory.write("outside.json", "someone else's")
        let spare = try directory.write("spare.bin", "new")
        try FileManager.default.createDirectory(atPath: directory.path + "/run", withIntermediateDirectories: false)
        let path = directory.path + "/run/summary.json"
        #expect(symlink(outside, path) == 0)

        let error = try #require(throws: FileError.self) { try write(path, spare) }
        #expect(error.description == "cannot write '\(path)': it is a symbolic link; refusing to follow it, as it could point at any file (remove the link, or choose another path)")
        #expect(try directory.read("outside.json") == "someone else's")
        #expect(try directory.read("spare.bin") == "new", "the spare file is neither recycled nor removed")
        var info = stat()
        #expect(lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/run") == ["summary.json"])

        // A link to nothing is refused as a link, and nothing is made where it points.
        #expect(unlink(path) == 0 && symlink(directory.path + "/missing.json", path) == 0)
        #expect(throws: FileError.self) { try write(path, spare) }
        #expect(!directory.exists("missing.json"))

        // Once the link is gone, the same call writes the file itself.
        #expect(unlink(path) == 0)
        try write(path, spare)
        if way != "check" { #expect(try directory.read("run/summary.json") == "new") }
        #expect(try directory.read("outside.json") == "someone else's")
    }

    /// Neither the file whose storage is recycled nor the equal file linked is followed when it
    /// is a link: the write goes to a new file, and what the link points to stays as it was.
    @Test func aRecycledOrTwinFileThatIsALinkIsNotFollowed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outside = try directory.write("outside.bin", "new")
        #expect(symlink(outside, directory.path + "/step-1.bin") == 0)
        try AtomicFile.write(Array("new".utf8), to: directory.path + "/step-2.bin", links: .refuse, recycling: directory.path + "/step-1.bin")
        try AtomicFile.write(Array("new".utf8), to: directory.path + "/model.bin", links: .refuse, linkingIfEqual: directory.path + "/step-1.bin")
        var info = stat(), outsideInfo = stat()
        #expect(stat(outside, &outsideInfo) == 0 && outsideInfo.st_nlink == 1, "nothing became a second name of the file outside")
        for name in ["step-2.bin", "model.bin"] {
            #expect(lstat(directory.path + "/" + name, &info) == 0 && info.st_mode & S_IFMT == S_IFREG, "\(name)")
            #expect(try directory.read(name) == "new")
        }
        #expect(try directory.read("outside.bin") == "new")
        #expect(lstat(directory.path + "/step-1.bin", &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
    }

    /// A link put at the path again and again while writes go on: each write is refused or
    /// replaces the link itself, and the file the link points to is never written, nor its mode
    /// changed.
    @Test func aLinkPutThereWhileWritingIsNeverFollowed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outside = try directory.write("outside.json", "someone else's")
        #expect(chmod(outside, 0o600) == 0)
        let path = directory.path + "/summary.json"
        let rounds = 300
        DispatchQueue.concurrentPerform(iterations: 2) { role in
            for round in 0..<rounds {
                if role == 0 {
                    unlink(path)
                    symlink(outside, path)
                } else {
                    try? AtomicFile.write("run \(round)", to: path, durable: false, links: .refuse)
                }
            }
        }
        #expect(try directory.read("outside.json") == "someone else's")
        #expect(permissions(outside) == 0o600)
        #expect(try directory.contents().filter { $0.hasPrefix(".") }.isEmpty, "no temporary is left")
    }

    @Test func aRegularFileOrANewOneIsWrittenAsUsual() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/summary.json"
        try AtomicFile.checkWritable(path, links: .refuse)
        try AtomicFile.write("first", to: path, links: .refuse)
        #expect(chmod(path, 0o600) == 0)
        try AtomicFile.write("second", to: path, links: .refuse)
        #expect(try directory.read("summary.json") == "second")
        #expect(permissions(path) == 0o600)
        #expect(try directory.contents() == ["summary.json"])
    }
}
