#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes files so that a reader sees either the old contents or the new, never a mix.
///
/// The bytes go to a hidden temporary file in the destination's directory, are flushed to disk
/// with `fsync(2)`, and the temporary is then `rename(2)`d over the destination, which POSIX
/// makes atomic within one file system. On any failure the temporary is removed.
///
/// Missing directories are an error rather than created silently: a typo in an output path
/// should not scatter files in new folders.
public enum AtomicFile {
    /// Checks, without writing, that ``write(_:to:durable:)-(Data,_,_)`` could create `path`: its directory
    /// exists and `path` is not a directory. Lets a long run refuse a bad output path up front.
    ///
    /// - Throws: the same `FileError` that writing would.
    public static func checkWritable(_ path: String) throws {
        let (directory, name) = split(path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw FileError("cannot write '\(path)': the path names a directory, not a file")
        }
        try checkDirectory(directory, for: path)
        var info = stat()
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            throw FileError("cannot write '\(path)': the path names a directory, not a file")
        }
        guard access(directory, W_OK) == 0 else {
            throw FileError("cannot write '\(path)': directory '\(directory)' is not writable")
        }
    }

    /// Atomically replaces the file at `path` with `data`.
    ///
    /// A new file gets mode 0644; a replaced file keeps its mode.
    ///
    /// - Parameters:
    ///   - data: the complete new contents.
    ///   - path: the destination; its directory must exist.
    ///   - durable: `fsync` the file and its directory, so the new contents survive a power cut;
    ///     `false` for a file that can be made again (a plot), which is still replaced whole but
    ///     skips the milliseconds an `fsync` can take.
    /// - Throws: `FileError`, e.g. `cannot write 'out/report.json': directory 'out' does not exist`.
    ///
    /// ```swift
    /// try AtomicFile.write(Data("epoch,loss\n".utf8), to: "results/loss.csv")
    /// ```
    public static func write(_ data: Data, to path: String, durable: Bool = true) throws {
        let (directory, name) = split(path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw FileError("cannot write '\(path)': the path names a directory, not a file")
        }
        try checkDirectory(directory, for: path)

        var template = Array("\(directory)/.\(name).tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw failure(path, errno) }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }

        var isOpen = true
        do {
            try writeAll(data, to: descriptor, path: path)
            var existing = stat()
            let mode = stat(path, &existing) == 0 ? mode_t(existing.st_mode & 0o7777) : 0o644
            guard fchmod(descriptor, mode) == 0, !durable || fsync(descriptor) == 0 else { throw failure(path, errno) }
            isOpen = false
            guard close(descriptor) == 0 else { throw failure(path, errno) }
            guard rename(temporary, path) == 0 else { throw failure(path, errno) }
        } catch {
            if isOpen { close(descriptor) }
            unlink(temporary)
            throw error
        }
        if durable { syncDirectory(directory) }
    }

    /// Atomically replaces the file at `path` with `text` encoded as UTF-8.
    ///
    /// - Parameters:
    ///   - text: the complete new contents.
    ///   - path: the destination; its directory must exist.
    ///   - durable: as for ``write(_:to:durable:)-(Data,_,_)``.
    /// - Throws: `FileError` as for ``write(_:to:durable:)-(Data,_,_)``.
    ///
    /// ```swift
    /// try AtomicFile.write("hello\n", to: "out/hello.txt")
    /// ```
    public static func write(_ text: String, to path: String, durable: Bool = true) throws {
        try write(Data(text.utf8), to: path, durable: durable)
    }

    private static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        return (directory, String(path[path.index(after: slash)...]))
    }

    private static func checkDirectory(_ directory: String, for path: String) throws {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            let code = errno
            if code == ENOENT { throw FileError("cannot write '\(path)': directory '\(directory)' does not exist") }
            throw FileError("cannot write '\(path)': directory '\(directory)': \(reason(code))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw FileError("cannot write '\(path)': '\(directory)' is not a directory")
        }
    }

    private static func writeAll(_ data: Data, to descriptor: Int32, path: String) throws {
        try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < buffer.count {
                let written = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure(path, errno)
                }
                offset += written
            }
        }
    }

    /// Makes the rename itself durable; best effort, since some file systems refuse it.
    private static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    private static func failure(_ path: String, _ code: Int32) -> FileError {
        FileError("cannot write '\(path)': \(reason(code))")
    }

    private static func reason(_ code: Int32) -> String {
        strerror(code).map { String(cString: $0) } ?? "error \(code)"
    }
}

/// `write(2)`, named apart from ``AtomicFile/write(_:to:durable:)-(Data,_,_)``.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
