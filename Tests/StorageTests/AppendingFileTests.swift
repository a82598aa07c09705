import Foundation
import _TestSupport
import Storage
import Testing

@Suite("AppendingFile hands each record to the kernel at once")
struct AppendingFileTests {
    @Test func appendsAreInTheFileBeforeItIsClosedAndTruncatingStartsOver() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/metrics.jsonl"
        let file = try AppendingFile(path: path, truncating: false)
        try file.append("one\n")
        try file.append(Array("two\n".utf8))
        // A reader sees both lines while the file is still open: nothing waits in a buffer.
        #expect(try directory.read("metrics.jsonl") == "one\ntwo\n")
        let again = try AppendingFile(path: path, truncating: false)
        try again.append("three\n")
        #expect(try directory.read("metrics.jsonl") == "one\ntwo\nthree\n")
        _ = try AppendingFile(path: path, truncating: true)
        #expect(try directory.read("metrics.jsonl") == "")
    }

    @Test func errorsNameTheFile() throws {
        do {
            _ = try AppendingFile(path: "/nonexistent-folder/metrics.csv", truncating: true)
            Issue.record("opened a file in a missing folder")
        } catch {
            #expect("\(error)" == "cannot open '/nonexistent-folder/metrics.csv' for writing: No such file or directory")
        }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try AppendingFile(path: directory.path + "/closed.txt", truncating: true)
        file.close()
        do {
            try file.append("late\n")
            Issue.record("appended to a closed file")
        } catch {
            #expect("\(error)".hasPrefix("cannot write '\(directory.path)/closed.txt': "))
        }
    }

    /// A FIFO is refused at once rather than waited on (an open for writing would block until a
    /// reader came), and a symbolic link is not followed, even to a regular file.
    @Test func onlyARegularFileIsOpenedWithoutWaitingOrFollowingALink() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.path + "/metrics.jsonl"
        try #require(mkfifo(fifo, 0o644) == 0)
        #expect(throws: (any Error).self) { _ = try AppendingFile(path: fifo, truncating: false) }
        do {
            _ = try AppendingFile(path: fifo, truncating: true)
            Issue.record("opened a FIFO")
        } catch {
            #expect("\(error)" == "cannot write '\(fifo)': it is a FIFO, not a regular file; refusing to write into it")
        }

        let target = try directory.write("config.json", "{}\n")
        let link = directory.path + "/metrics.csv"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        for truncating in [false, true] {
            do {
                let file = try AppendingFile(path: link, truncating: truncating)
                try file.append("overwritten\n")
                Issue.record("wrote through a symbolic link")
            } catch {
                #expect("\(error)".contains("it is a symbolic link"), "\(error)")
            }
        }
        #expect(try directory.read("config.json") == "{}\n")
    }

    /// Cutting a file back happens in place: a reader holding the file open (TensorBoard,
    /// `tail -f`) reads on into what is appended. A length beyond the file (it changed since it
    /// was read) is refused rather than filled with zeros, and so are a link, its target left
    /// untouched, and a FIFO.
    @Test func truncatingToALengthCutsTheFileBackInPlace() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("metrics.jsonl", "one\ntwo\nthree\n")
        let reader = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? reader.close() }
        let file = try AppendingFile(path: path, truncatingTo: 8)
        try file.append("four\n")
        #expect(try directory.read("metrics.jsonl") == "one\ntwo\nfour\n")
        #expect(String(decoding: try reader.readToEnd() ?? Data(), as: UTF8.self) == "one\ntwo\nfour\n")
        do {
            _ = try AppendingFile(path: path, truncatingTo: 100)
            Issue.record("cut a file back to more than it holds")
        } catch {
            #expect("\(error)" == "cannot write '\(path)': it holds fewer than the 100 bytes read from it moments ago; another program changed it")
        }
        #expect(try directory.read("metrics.jsonl") == "one\ntwo\nfour\n")

        let target = try directory.write("config.json", "{}\n")
        let link = directory.path + "/metrics.csv"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect(throws: (any Error).self) { _ = try AppendingFile(path: link, truncatingTo: 1) }
        #expect(try directory.read("config.json") == "{}\n")
        let fifo = directory.path + "/fifo.csv"
        try #require(mkfifo(fifo, 0o644) == 0)
        do {
            _ = try AppendingFile(path: fifo, truncatingTo: 0)
            Issue.record("opened a FIFO")
        } catch {
            #expect("\(error)" == "cannot write '\(fifo)': it is a FIFO, not a regular file; refusing to write into it")
        }
    }
}
