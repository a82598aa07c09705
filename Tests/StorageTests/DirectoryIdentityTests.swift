#if canImport(Glibc)
import Glibc
#endif
import Foundation
import _TestSupport
import Storage
import Testing

/// A directory recorded by device and inode is checked to be still the one at its path: moved
/// aside, replaced by another folder or a link, or gone, it fails the check.
@Suite struct DirectoryIdentityTests {
    private func moved(_ path: String, _ now: String) -> String {
        "the run folder '\(path)' was moved, replaced or turned into a link while the run was going (\(now)); stopping rather than writing into a folder that may be another run's: put it back, or start the run again"
    }

    @Test func aFolderMovedAsideAndReplacedFailsTheCheck() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let run = directory.path + "/run"
        #expect(mkdir(run, 0o755) == 0)
        let identity = try DirectoryIdentity(of: run, role: "run folder")
        try identity.check()
        try AtomicFile.write("x", to: run + "/file.txt")
        try identity.check()  // what is in it does not matter

        // Another run makes a new folder where this one's was.
        #expect(rename(run, directory.path + "/run-moved") == 0)
        #expect(throws: FileError(moved(run, "nothing is there now"))) { try identity.check() }
        #expect(mkdir(run, 0o755) == 0)
        #expect(throws: FileError(moved(run, "another directory is there now"))) { try identity.check() }
        // A link to the very folder recorded is refused too.
        #expect(rmdir(run) == 0 && symlink(directory.path + "/run-moved", run) == 0)
        #expect(throws: FileError(moved(run, "a symbolic link is there now"))) { try identity.check() }
        #expect(unlink(run) == 0)
        try directory.write("run", "a file")
        #expect(throws: FileError(moved(run, "a regular file is there now"))) { try identity.check() }
        // Put back, it passes again.
        #expect(unlink(run) == 0 && rename(directory.path + "/run-moved", run) == 0)
        try identity.check()
    }

    /// A write into recorded folders runs only while they are in place, and a write that fails
    /// because its folder was moved meanwhile is reported as the move.
    @Test func aWriteIntoRecordedFoldersNamesAMoveAsItsCause() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let run = directory.path + "/run"
        #expect(mkdir(run, 0o755) == 0)
        let identity = try DirectoryIdentity(of: run, role: "run folder")
        #expect(try DirectoryIdentity.writing(in: [identity]) { 7 } == 7)
        // Moved while the write ran: the write's own error gives way to the move.
        #expect(throws: FileError(moved(run, "nothing is there now"))) {
            try DirectoryIdentity.writing(in: [identity]) {
                #expect(rename(run, directory.path + "/run-moved") == 0)
                try AtomicFile.write("x", to: run + "/file.txt")
            }
        }
        // Moved before: the write does not run.
        var ran = false
        #expect(throws: FileError(moved(run, "nothing is there now"))) { try DirectoryIdentity.writing(in: [identity]) { ran = true } }
        #expect(!ran)
        // A write failing for its own reason keeps its error.
        #expect(rename(directory.path + "/run-moved", run) == 0)
        struct Refused: Error, Equatable {}
        #expect(throws: Refused()) { try DirectoryIdentity.writing(in: [identity]) { throw Refused() } }
    }

    @Test func onlyAFolderItselfCanBeRecorded() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(symlink(directory.path, directory.path + "/link") == 0)
        let link = try #require(throws: FileError.self) { try DirectoryIdentity(of: directory.path + "/link", role: "run folder") }
        #expect(link.description == "cannot use the run folder '\(directory.path)/link': it is a symbolic link; refusing to follow it (name the folder it points to instead)")
        let file = try directory.write("file", "x")
        let notFolder = try #require(throws: FileError.self) { try DirectoryIdentity(of: file, role: "run folder") }
        #expect(notFolder.description == "cannot use the run folder '\(file)': it is a regular file, not a directory")
        let missing = try #require(throws: FileError.self) { try DirectoryIdentity(of: directory.path + "/missing", role: "run folder") }
        #expect(missing.description == "cannot use the run folder '\(directory.path)/missing': No such file or directory")
    }

    /// The claim's identity is that of the folder it locked: a folder swapped in before the
    /// identity is asked for is refused, not recorded.
    @Test func aClaimGivesTheIdentityOfTheFolderItLocked() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let run = directory.path + "/run"
        #expect(mkdir(run, 0o755) == 0)
        let claim = try FolderLock(claiming: run, holder: "a run")
        let identity = try claim.identity(as: "run folder")
        #expect(identity == (try DirectoryIdentity(of: run, role: "run folder")))
        #expect(rename(run, directory.path + "/run-moved") == 0 && mkdir(run, 0o755) == 0)
        #expect(throws: FileError(moved(run, "another directory is there now"))) { try identity.check() }
        #expect(throws: FileError(moved(run, "another directory is there now"))) { try claim.identity(as: "run folder") }
        // The new folder is free to claim: the claim stayed on the old one.
        _ = try FolderLock(claiming: run, holder: "another run")
    }

    /// A folder named through a symbolic link is claimed through it, and checked through it:
    /// the link must go on leading to the folder claimed.
    @Test func aFolderClaimedThroughALinkIsCheckedThroughIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (real, other, link) = (directory.path + "/real", directory.path + "/other", directory.path + "/link")
        #expect(mkdir(real, 0o755) == 0 && mkdir(other, 0o755) == 0 && symlink(real, link) == 0)
        let claim = try FolderLock(claiming: link, holder: "a run")
        let identity = try claim.identity(as: "run folder")
        #expect(identity.followsLink)
        try identity.check()
        #expect(unlink(link) == 0 && symlink(other, link) == 0)
        #expect(throws: FileError(moved(link, "another directory is there now"))) { try identity.check() }
        #expect(unlink(link) == 0)
        #expect(throws: FileError(moved(link, "nothing is there now"))) { try identity.check() }
        #expect(symlink(real, link) == 0)
        try identity.check()
    }
}
