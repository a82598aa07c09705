import Foundation
import _TestSupport
import Storage
import Testing

/// What `AtomicFile` refuses to replace, and what `checkWritable` finds out before a run: things
/// that are not regular files, the run's own inputs (by inode, whatever the spelling), names too
/// long for the file system, and folders that take no new file.
@Suite("AtomicFile never destroys what is at the path")
struct AtomicFileDestinationTests {
    @Test func aFIFOIsRefusedAndStaysAFIFO() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.path + "/report.json"
        #expect(mkfifo(fifo, 0o644) == 0)
        let written = try #require(throws: FileError.self) { try AtomicFile.write("x", to: fifo) }
        #expect(written.description == "cannot write '\(fifo)': it is a FIFO, not a regular file; refusing to replace it")
        let checked = try #require(throws: FileError.self) { try AtomicFile.checkWritable(fifo) }
        #expect(checked == written)
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        #expect(try directory.contents() == ["report.json"])
    }

    @Test func aLinkToAFIFOIsRefusedToo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(mkfifo(directory.path + "/pipe", 0o644) == 0)
        #expect(symlink(directory.path + "/pipe", directory.path + "/link") == 0)
        let error = try #require(throws: FileError.self) { try AtomicFile.write("x", to: directory.path + "/link") }
        #expect(error.description.hasSuffix("it is a FIFO, not a regular file; refusing to replace it"))
    }

    @Test func aLinkToARegularFileReplacesTheFileAndKeepsTheLink() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("target.json", "old")
        #expect(symlink("target.json", directory.path + "/link.json") == 0)
        try AtomicFile.write("new", to: directory.path + "/link.json")
        #expect(try directory.read("target.json") == "new")
        var info = stat()
        #expect(lstat(directory.path + "/link.json", &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
        #expect(try directory.contents() == ["link.json", "target.json"])
    }

    @Test func aLinkToNothingIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(symlink(directory.path + "/missing/file", directory.path + "/dangling") == 0)
        let error = try #require(throws: FileError.self) { try AtomicFile.checkWritable(directory.path + "/dangling") }
        #expect(error.description.contains("is a symbolic link to nothing"))
    }

    /// A link to something without a path, as /dev/stdout is to a pipe: refused as what it is.
    @Test func aLinkToAPipeIsRefusedAsAPipe() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        let link = "/proc/self/fd/\(ends[1])"
        let error = try #require(throws: FileError.self) { try AtomicFile.checkWritable(link) }
        #expect(error.description == "cannot write '\(link)': it is a FIFO, not a regular file; refusing to replace it")
    }

    /// A path's control characters reach the message escaped: it stays one line.
    @Test func aFileErrorIsOneLine() throws {
        let error = try #require(throws: FileError.self) { try AtomicFile.checkWritable("no\ndir/r.json") }
        #expect(!error.description.contains("\n") && error.description.contains("no\\ndir"), "\(error)")
        #expect(FileError(String(repeating: "x", count: 20_000)).description.count < FileError.messageLimit + 40)
    }

    @Test func anInputOfTheRunIsRefusedByAnySpellingOrHardLink() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("config.json", "{}")
        let data = try directory.write("data.csv", "x,y\n1,2\n")
        #expect(link(data, directory.path + "/alias.csv") == 0)
        let inputs = [AtomicFile.Input(config, role: "config"), AtomicFile.Input(data, role: "data file")]

        let same = try #require(throws: FileError.self) { try AtomicFile.checkWritable(config, inputs: inputs) }
        #expect(same.description == "cannot write '\(config)': it is the config of this run; choose another path")
        let spelt = directory.path + "/./data.csv"
        let respelt = try #require(throws: FileError.self) { try AtomicFile.checkWritable(spelt, inputs: inputs) }
        #expect(respelt.description == "cannot write '\(spelt)': it is the data file of this run ('\(data)'); choose another path")
        #expect(throws: FileError.self) { try AtomicFile.checkWritable(directory.path + "/alias.csv", inputs: inputs) }

        // Other files, existing or new, are fine; and nothing was left behind.
        try directory.write("old-report.json", "{}")
        try AtomicFile.checkWritable(directory.path + "/old-report.json", inputs: inputs)
        try AtomicFile.checkWritable(directory.path + "/report.json", inputs: inputs)
        #expect(try directory.contents() == ["alias.csv", "config.json", "data.csv", "old-report.json"])
    }

    @Test func aNameTooLongForTheFileSystemIsFoundBeforeTheRun() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let long = directory.path + "/" + String(repeating: "a", count: 300) + ".json"
        let error = try #require(throws: FileError.self) { try AtomicFile.checkWritable(long) }
        #expect(error.description.hasSuffix("the file name is 305 bytes, more than the 255 the file system allows (File name too long)"))
        #expect(throws: FileError.self) { try AtomicFile.write("x", to: long) }
    }

    @Test func aNameJustWithinTheLimitIsWrittenThoughItsTemporaryWouldNotFit() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let name = String(repeating: "é", count: 100) + String(repeating: "b", count: 50)  // 250 bytes
        try AtomicFile.checkWritable(directory.path + "/" + name)
        try AtomicFile.write("long", to: directory.path + "/" + name)
        #expect(try directory.read(name) == "long")
        #expect(try directory.contents() == [name])
    }

    @Test func aFolderThatTakesNoNewFileIsFoundBeforeTheRun() throws {
        // /proc exists and refuses new files even to root; elsewhere there is nothing to test.
        guard FileManager.default.fileExists(atPath: "/proc/self") else { return }
        let error = try #require(throws: FileError.self) { try AtomicFile.checkWritable("/proc/report.json") }
        #expect(error.description.hasPrefix("cannot write '/proc/report.json': cannot create a file in directory '/proc': "))
    }

    @Test func anEmptyPathIsNamedAsEmpty() throws {
        let error = try #require(throws: FileError.self) { try AtomicFile.checkWritable("") }
        #expect(error.description == "cannot write '': the path is empty; expected a file name")
    }

    @Test func pathsNameOneFileByAnySpellingBeforeItExists() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let root = directory.path
        // Neither the folder nor the file exists yet.
        #expect(AtomicFile.namesSameFile(root + "/run/model.safetensors", root + "/./run//x/../model.safetensors"))
        #expect(!AtomicFile.namesSameFile(root + "/run/model.safetensors", root + "/run/best.safetensors"))
        #expect(AtomicFile.canonicalPath(root + "/run/") == AtomicFile.canonicalPath(root + "/run"))
        // A link to a folder, or at the file itself, leads to the file it names.
        try FileManager.default.createDirectory(atPath: root + "/run", withIntermediateDirectories: false)
        #expect(symlink(root + "/run", root + "/alias") == 0)
        #expect(AtomicFile.namesSameFile(root + "/alias/model.safetensors", root + "/run/model.safetensors"))
        try directory.write("run/model.safetensors", "m")
        #expect(symlink("run/model.safetensors", root + "/link") == 0)
        #expect(AtomicFile.namesSameFile(root + "/link", root + "/run/model.safetensors"))
        // A hard link is another name, which a write (a rename over it) leaves alone.
        #expect(link(root + "/run/model.safetensors", root + "/hard") == 0)
        #expect(!AtomicFile.namesSameFile(root + "/hard", root + "/run/model.safetensors"))
        // Relative paths are taken from the working directory.
        #expect(AtomicFile.canonicalPath("x.json") == AtomicFile.canonicalPath(FileManager.default.currentDirectoryPath + "/x.json"))
    }
}
