import Foundation
import _TestSupport
import Storage
import Testing

/// The temporaries a killed writer leaves (`.NAME.tmp-PID-XXXXXX`) are removed by the next write
/// or check of the same path, or by a sweep of their folder; those of live writers, and files
/// that are not temporaries, are left alone. A writer that is a zombie no longer writes.
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

    @Test func aSweepRemovesStaleTemporariesOfEveryName() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dead = try exitedProcessID()
        let alive = getppid()
        let own = getpid()
        let removed = [
            ".step-000000080.safetensors.tmp-\(dead)-a1B2c3", ".metrics.csv.tmp-\(dead)-Zz9Yy8",
            ".a.tmp-b.json.tmp-\(dead)-q1w2e3",  // the marker in the name itself
            "..tmp-\(dead)-abc123",  // a name cut to nothing to fit the file system's limit
            ".report.json.tmp-OLDONE", ".report.json.tmp-\(alive)-OLDLIV",
        ]
        let kept = [
            ".report.json.tmp-\(alive)-d4E5f6", ".report.json.tmp-\(own)-mine00", ".report.json.tmp-NEWONE",
            ".x.tmp-\(dead)-abc12", ".x.tmp-\(dead)-abc123.bak", ".x.tmp-\(dead)-ab.123", ".x.tmp-+\(dead)-abc123",
            "step.tmp-\(dead)-abc123", ".tmp-\(dead)-abc123", "model.safetensors",
        ]
        for name in removed + kept { try directory.write(name, "x") }
        age(directory.path + "/.report.json.tmp-OLDONE", by: 120)
        age(directory.path + "/.report.json.tmp-\(alive)-OLDLIV", by: 7200)
        // Only regular files are temporaries: a folder or a link with such a name stays.
        #expect(mkdir(directory.path + "/.sub.tmp-\(dead)-folder", 0o755) == 0)
        try directory.write(".sub.tmp-\(dead)-folder/.inner.tmp-\(dead)-abcdef", "not entered")
        #expect(symlink(directory.path + "/model.safetensors", directory.path + "/.link.tmp-\(dead)-link00") == 0)

        #expect(AtomicFile.removeStaleTemporaries(in: directory.path) { _ in true } == removed.sorted())
        #expect(try directory.contents() == (kept + [".sub.tmp-\(dead)-folder", ".link.tmp-\(dead)-link00"]).sorted())
        #expect(directory.exists(".sub.tmp-\(dead)-folder/.inner.tmp-\(dead)-abcdef"))
        #expect(AtomicFile.removeStaleTemporaries(in: directory.path + "/missing") { _ in true }.isEmpty)
    }

    /// A sweep removes only the temporaries of the files its caller writes there: a user's files
    /// named like temporaries of others stay, however old.
    @Test func aSweepRemovesOnlyTheTemporariesOfTheFilesItIsGiven() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dead = try exitedProcessID()
        let ours = [".model.safetensors.tmp-\(dead)-abc123", ".model.safetensors.tmp-backup"]
        let theirs = [".notes.tmp-backup", ".vimrc.tmp-old123", ".mine.txt.tmp-\(dead)-aB3xYz"]
        for name in ours + theirs {
            try directory.write(name, "x")
            age(directory.path + "/" + name, by: 300)
        }
        #expect(AtomicFile.removeStaleTemporaries(in: directory.path) { $0 == "model.safetensors" } == ours.sorted())
        #expect(try directory.contents() == theirs.sorted())
    }

    /// A child that has exited but is not yet reaped is a zombie: `kill(pid, 0)` still finds
    /// it, but it writes nothing more, so its temporaries are stale.
    @Test func aZombiesTemporariesAreStale() throws {
        var pid: pid_t = 0
        let arguments: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        defer { for argument in arguments { free(argument) } }
        try #require(posix_spawn(&pid, "/bin/true", nil, nil, arguments, environ) == 0)
        defer { waitpid(pid, nil, 0) }
        let deadline = Date().addingTimeInterval(10)
        func state() -> String? {
            guard let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
                  let text = String(data: stat, encoding: .utf8), let close = text.lastIndex(of: ")")
            else { return nil }
            return String(text[text.index(close, offsetBy: 2)])
        }
        while state() != "Z" && Date() < deadline { usleep(10_000) }
        try #require(state() == "Z", "the child is a zombie")
        #expect(kill(pid, 0) == 0, "kill finds a zombie")

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(".out.csv.tmp-\(pid)-ZoMbIe", "partial")
        try directory.write(".model.bin.tmp-\(pid)-ZoMbIe", "partial")
        try AtomicFile.write("a,b\n", to: directory.path + "/out.csv")
        #expect(try directory.contents() == [".model.bin.tmp-\(pid)-ZoMbIe", "out.csv"])
        #expect(AtomicFile.removeStaleTemporaries(in: directory.path) { _ in true } == [".model.bin.tmp-\(pid)-ZoMbIe"])
    }
}
