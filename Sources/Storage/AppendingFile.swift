#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written record by record at its end, each record handed to the kernel at once.
///
/// Every ``append(_:)`` is one `write(2)` call on a descriptor opened with `O_APPEND`, with no
/// buffer in the process, so a run that is killed keeps every record it appended (up to the
/// last, which a kill in the middle of its write may cut short). It does not `fsync`: records
/// survive the process, not a power cut. Used for the metrics a training run streams.
///
/// ```swift
/// let log = try AppendingFile(path: "runs/digits/metrics.jsonl", truncating: false)
/// try log.append(Array("{\"step\": 1}\n".utf8))
/// ```
public final class AppendingFile {
    /// The file's path as given.
    public let path: String
    private var descriptor: Int32

    /// Opens `path` for appending, creating it when missing with the mode any new file gets
    /// (0666 less the umask).
    ///
    /// Only a regular file is opened: a symbolic link is not followed (a link in a run folder
    /// could point at the run's own config or data), and a FIFO, device or socket is refused
    /// without waiting for a reader, as it could otherwise block the run forever.
    ///
    /// - Parameters:
    ///   - path: the file; its directory must exist.
    ///   - truncating: empty the file first, for a run that starts over.
    /// - Throws: ``FileError`` naming the file.
    public init(path: String, truncating: Bool) throws {
        self.path = path
        var info = stat()
        if lstat(path, &info) == 0 && info.st_mode & S_IFMT != S_IFREG {
            throw FileError("cannot write '\(path)': it is \(InputFile.kindDescription(info.st_mode)), not a regular file; refusing to write into it")
        }
        // O_NONBLOCK: a FIFO put there after the check must not block the open; O_NOFOLLOW: nor
        // may a link put there after it be followed. Neither changes how a regular file is written.
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o666)
        guard descriptor >= 0 else {
            let code = errno
            if code == ELOOP { throw FileError("cannot write '\(path)': it is a symbolic link; refusing to follow it") }
            throw FileError("cannot open '\(path)' for writing: \(String(cString: strerror(code)))")
        }
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            let kind = InputFile.kindDescription(info.st_mode)
            _ = systemClose(descriptor)
            descriptor = -1
            throw FileError("cannot write '\(path)': it is \(kind), not a regular file; refusing to write into it")
        }
        if truncating && ftruncate(descriptor, 0) != 0 {
            let code = errno
            _ = systemClose(descriptor)
            descriptor = -1
            throw FileError("cannot write '\(path)': \(String(cString: strerror(code)))")
        }
    }

    /// Opens the regular file at `path` for appending after cutting it back to its first
    /// `length` bytes in place, for a run that resumes: it keeps the records up to its
    /// checkpoint and drops those a killed run wrote after it. A reader that holds the file open,
    /// as TensorBoard does its event files and `tail -f` a log, reads on into what is appended
    /// next; replacing the file would leave such a reader on the old one, which no longer grows.
    ///
    /// - Parameters:
    ///   - path: an existing regular file; a link, FIFO, device or socket is refused, as by
    ///     ``init(path:truncating:)``.
    ///   - length: the bytes to keep, at most the file's size.
    /// - Throws: ``FileError`` naming the file, also when it is shorter than `length` (it
    ///   changed since it was read).
    public convenience init(path: String, truncatingTo length: Int) throws {
        try self.init(path: path, truncating: false)
        var info = stat()
        guard fstat(descriptor, &info) == 0, Int(info.st_size) >= length else {
            close()
            throw FileError("cannot write '\(path)': it holds fewer than the \(length) bytes read from it moments ago; another program changed it")
        }
        if ftruncate(descriptor, off_t(length)) != 0 {
            let code = errno
            close()
            throw FileError("cannot write '\(path)': \(String(cString: strerror(code)))")
        }
    }

    deinit {
        if descriptor >= 0 { _ = systemClose(descriptor) }
    }

    /// Writes `bytes` at the end of the file. A write that fails part way (the disk full, the
    /// file-size limit reached) is taken back: the file is cut to its length before it, so it
    /// ends with the last whole record appended rather than with part of this one, which a
    /// reader would take for a record.
    ///
    /// - Throws: ``FileError`` naming the file, e.g. when the disk is full.
    public func append(_ bytes: [UInt8]) throws {
        var info = stat()
        let before = fstat(descriptor, &info) == 0 ? info.st_size : -1
        let code = bytes.withUnsafeBytes { writeWhole($0, to: descriptor) }
        guard code != 0 else { return }
        if before >= 0 { _ = ftruncate(descriptor, before) }
        throw FileError("cannot write '\(path)': \(String(cString: strerror(code)))")
    }

    /// Writes `text` in UTF-8 at the end of the file.
    public func append(_ text: String) throws {
        try append(Array(text.utf8))
    }

    /// Closes the file; later appends throw.
    public func close() {
        if descriptor >= 0 { _ = systemClose(descriptor) }
        descriptor = -1
    }
}

/// `close(2)`, named apart from ``AppendingFile/close()``.
private func systemClose(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}
