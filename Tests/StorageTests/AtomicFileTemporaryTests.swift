import Foundation
import _TestSupport
import Storage
import Testing

/// The temporaries a killed writer leaves (`.NAME.tmp-PID-XXXXXX`) are removed by the next write
/// or check of the same path; those of live writers, and of other files, are left alone.
@Suite("AtomicFile removes the temporaries of killed writers")
struct AtomicFileTemporaryTests {
    /// The id of a process that has exited: a child started and waited for.
    private func exitedProcessID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    /// Sets a file's modification time `seconds` into the past.
    private func age(_ path: String, by seconds: Int) {
        let then = time(nil) - seconds
        var times = [timespec(tv_sec: then, tv_nsec: 0), timespec(tv_sec: then, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
    }

    @Test func aWriteRemovesStaleTemporariesOfItsPathOnly() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dead = try exitedProcessID()
        let alive = getppid()  // the test runner's parent outlives the test
        try directory.write(".report.json.tmp-\(dead)-a1B2c3", "killed mid-write")
        try directory.write(".report.json.tmp-\(alive)-d4E5f6", "a live writer's")
        try directory.write(".report.json.tmp-OLDONE", "old naming, old")
        try directory.write(".report.json.tmp-NEWONE", "old naming, new")
        try directory.write(".other.json.tmp-\(dead)-g7H8i9", "another file's")
        try directory.write(".report.json.tmp-\(alive)-OLDLIV", "a live id, reused long ago")
        age(directory.path + "/.report.json.tmp-OLDONE", by: 120)
        age(directory.path + "/.report.json.tmp-\(alive)-OLDLIV", by: 7200)

        try AtomicFile.write("{}", to: directory.path + "/report.json")
        #expect(try directory.contents() == [
            ".other.json.tmp-\(dead)-g7H8i9", ".report.json.tmp-\(alive)-d4E5f6", ".report.json.tmp-NEWONE", "report.json",
        ])
    }

    @Test func checkingAPathRemovesThemToo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dead = try exitedProcessID()
        try directory.write(".model.safetensors.tmp-\(dead)-zzzzzz", "partial")
        try AtomicFile.checkWritable(directory.path + "/model.safetensors")
        #expect(try directory.contents().isEmpty)
    }

    @Test func aKilledWriterLeavesATemporaryTheNextWriteRemoves() throws {
        // A real writer killed between creating its temporary and renaming it: a shell that
        // makes a temporary named as AtomicFile names them, then is killed.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "echo partial > \(directory.path)/.out.csv.tmp-$$-QwErTy; kill -KILL $$"]
        try shell.run()
        shell.waitUntilExit()
        #expect(shell.terminationReason == .uncaughtSignal)
        #expect(try directory.contents() == [".out.csv.tmp-\(shell.processIdentifier)-QwErTy"])

        try AtomicFile.write("a,b\n", to: directory.path + "/out.csv")
        #expect(try directory.contents() == ["out.csv"])
    }
}
