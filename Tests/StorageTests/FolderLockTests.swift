#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Storage
import Testing
import _TestSupport

/// One claim on a folder at a time, given back on release and when the claim's value ends.
@Suite struct FolderLockTests {
    @Test func aSecondClaimIsRefusedUntilTheFirstIsReleased() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try FolderLock(claiming: directory.path, holder: "the run")
        let refused = try #require(throws: FileError.self) { try FolderLock(claiming: directory.path, holder: "the run") }
        #expect(refused.description.hasPrefix("the folder '\(directory.path)' is in use: the run cannot claim it while another claim holds it"), "\(refused)")
        first.release()
        first.release()
        do {
            let second = try FolderLock(claiming: directory.path, holder: "the run")
            _ = second
        }
        // The claim ended with its value: a third succeeds.
        _ = try FolderLock(claiming: directory.path, holder: "the run")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty, "a claim leaves no file")
    }

    @Test func aClaimOnWhatIsNotAFolderSaysWhy() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("file", "x")
        let error = try #require(throws: FileError.self) { try FolderLock(claiming: file, holder: "the run") }
        #expect(error.description == "cannot claim the folder '\(file)' for the run: Not a directory")
    }
}
