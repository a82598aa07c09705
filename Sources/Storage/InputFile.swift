#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads input files whole, with a size limit, refusing anything that is not a regular file.
///
/// A FIFO would block, `/dev/zero` would never end and a directory has no bytes: each is refused
/// with a message before anything is read, and a file larger than the limit is refused before
/// memory is reserved for it.
public enum InputFile {
    /// The bytes of the regular file at `path`.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - limit: the most bytes accepted.
    ///   - what: what the file is, for messages (`checkpoint`, `config`).
    /// - Throws: ``FileError`` when the file is missing, unreadable, not a regular file, or larger
    ///   than `limit`.
    public static func read(_ path: String, limit: Int, what: String = "file") throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FileError("cannot read \(what) '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw FileError("cannot read \(what) '\(path)': \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw FileError("cannot read \(what) '\(path)': it is \(kindDescription(info.st_mode)), not a regular file")
        }
        guard Int(info.st_size) <= limit else {
            throw FileError("cannot read \(what) '\(path)': it is \(info.st_size) bytes, more than the limit of \(limit)")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError("cannot read \(what) '\(path)': \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            offset += count
        }
        // A file that shrank while being read is read as far as it went.
        return offset == bytes.count ? bytes : Array(bytes[..<offset])
    }

    /// "a directory", "a FIFO", … for a `stat` mode.
    static func kindDescription(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFLNK: "a symbolic link"
        default: "not a regular file"
        }
    }
}
