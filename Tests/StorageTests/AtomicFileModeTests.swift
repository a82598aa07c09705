#if canImport(Glibc)
import Glibc
#endif
import Foundation
import _TestSupport
import Storage
import Testing

/// New files get the mode any new file gets (0666 less the umask), whether written whole,
/// over a recycled file's storage, or appended to; a replaced file keeps its own.
@Suite("New files honour the umask")
struct AtomicFileModeTests {
    @Test func newFilesGetTheUmasksModeAndReplacedFilesKeepTheirs() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let expected = try newFileMode()
        let path = directory.path + "/out.csv"
        try AtomicFile.write("a", to: path)
        #expect(permissions(path) == expected)
        #expect(chmod(path, 0o600) == 0)
        try AtomicFile.write("b", to: path)
        #expect(permissions(path) == 0o600)

        // A recycled file lends its storage, not its mode.
        let doomed = try directory.write("step-1.bin", "old")
        #expect(chmod(doomed, 0o640) == 0)
        try AtomicFile.write([1, 2, 3], to: directory.path + "/step-2.bin", recycling: doomed)
        #expect(permissions(directory.path + "/step-2.bin") == expected)

        let appended = try AppendingFile(path: directory.path + "/metrics.jsonl", truncating: false)
        appended.close()
        #expect(permissions(directory.path + "/metrics.jsonl") == expected)
    }

    /// `(umask 077; swiftgrad run …)` leaves files only their owner can read. The umask is set in
    /// a child process: setting it here would change it for the tests running beside this one.
    @Test func aRestrictiveUmaskIsHonoured() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            umask(0o077)
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let doomed = try directory.write("step-1.bin", "old")
            try AtomicFile.write("a", to: directory.path + "/whole.json")
            try AtomicFile.write([1], to: directory.path + "/recycled.bin", recycling: doomed)
            try AtomicFile.write([1], to: directory.path + "/linked.bin", linkingIfEqual: directory.path + "/recycled.bin")
            _ = try AppendingFile(path: directory.path + "/appended.jsonl", truncating: false)
            var wrong = false
            for name in ["whole.json", "recycled.bin", "linked.bin", "appended.jsonl"] {
                let mode = permissions(directory.path + "/" + name) ?? 0
                if mode != 0o600 {
                    FileHandle.standardError.write(Data("\(name) has mode \(String(mode, radix: 8)), expected 600\n".utf8))
                    wrong = true
                }
            }
            exit(wrong ? 1 : 0)
        }
        #expect(!standardError(of: result).contains("has mode"), "\(standardError(of: result))")
    }
}
