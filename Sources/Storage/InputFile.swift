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
        let (descriptor, size) = try openRegular(path, limit: limit, what: what)
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: size)
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

    /// Reads the regular file at `path` in chunks of at most `chunkSize` bytes, handing each to
    /// `body` in order, so that a large file is never held whole.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - limit: the most bytes accepted; a file that grows past it while being read is
    ///     refused too.
    ///   - what: what the file is, for messages (`data file`).
    ///   - chunkSize: the most bytes handed over at once.
    ///   - body: receives each chunk; the buffer is only valid during the call.
    /// - Throws: ``FileError`` as ``read(_:limit:what:)`` does, or what `body` throws.
    public static func readChunks(
        _ path: String, limit: Int, what: String = "file", chunkSize: Int = 1 << 20,
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws {
        let (descriptor, _) = try openRegular(path, limit: limit, what: what)
        defer { close(descriptor) }
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Swift.max(1, chunkSize))
        defer { buffer.deallocate() }
        var total = 0
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress!, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError("cannot read \(what) '\(path)': \(String(cString: strerror(errno)))")
            }
            if count == 0 { return }
            total += count
            guard total <= limit else {
                throw FileError("cannot read \(what) '\(path)': it grew past the limit of \(limit) bytes while being read")
            }
            try body(UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// A regular file opened by ``withOpenFile(_:limit:what:_:)``, read at the offsets a caller
    /// chooses: a reader that learns from a file's first bytes where the rest lies (a header, then
    /// data) reads each part straight to where it is kept, never holding the whole file.
    public struct OpenFile {
        /// The path, as given.
        public let path: String
        /// The file's size in bytes when it was opened, at most the limit it was opened with.
        public let size: Int
        /// What the file is, for messages.
        let what: String
        let descriptor: Int32

        /// Fills `buffer` with the bytes from `offset` on.
        ///
        /// - Throws: ``FileError`` when the bytes asked for lie outside the file's ``size``, or the
        ///   file cannot be read or ends before the buffer is full (it shrank after it was opened).
        public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
            try checkWithin(buffer.count, at: offset)
            var done = 0
            while done < buffer.count {
                let count = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
                if count < 0 {
                    if errno == EINTR { continue }
                    throw FileError("cannot read \(what) '\(path)': \(String(cString: strerror(errno)))")
                }
                if count == 0 {
                    throw FileError("cannot read \(what) '\(path)': it ends at byte \(offset + done), before the \(buffer.count) bytes from byte \(offset) (it shrank while being read?)")
                }
                done += count
            }
        }

        /// The `count` bytes from `offset` on, checked to lie within the file before memory is
        /// reserved for them.
        ///
        /// - Throws: ``FileError`` as ``read(into:at:)`` does.
        public func bytes(_ count: Int, at offset: Int) throws -> [UInt8] {
            try checkWithin(count, at: offset)
            var bytes = [UInt8](repeating: 0, count: count)
            try bytes.withUnsafeMutableBytes { try read(into: $0, at: offset) }
            return bytes
        }

        /// Refuses `count` bytes from `offset` unless they lie within the file's ``size``,
        /// compared without arithmetic that can overflow.
        private func checkWithin(_ count: Int, at offset: Int) throws {
            guard count >= 0, offset >= 0, offset <= size, count <= size - offset else {
                throw FileError("cannot read \(what) '\(path)': \(count) bytes from byte \(offset) lie outside its \(size) bytes")
            }
        }
    }

    /// Opens the regular file at `path` and calls `body` with it, closing it afterwards.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - limit: the most bytes accepted.
    ///   - what: what the file is, for messages (`checkpoint`).
    ///   - links: ``AtomicFile/LinkPolicy/follow`` reads through a symbolic link at `path`;
    ///     ``AtomicFile/LinkPolicy/refuse`` opens with `O_NOFOLLOW`, so that a link at `path`,
    ///     even one put there after a caller's check, is refused rather than read through.
    ///   - body: reads the parts it needs; the file is only open during the call.
    /// - Throws: ``FileError`` as ``read(_:limit:what:)`` does, or what `body` throws.
    public static func withOpenFile<Result>(
        _ path: String, limit: Int, what: String = "file", links: AtomicFile.LinkPolicy = .follow,
        _ body: (OpenFile) throws -> Result
    ) throws -> Result {
        let (descriptor, size) = try openRegular(path, limit: limit, what: what, links: links)
        defer { close(descriptor) }
        return try body(OpenFile(path: path, size: size, what: what, descriptor: descriptor))
    }

    /// Opens `path` for reading after checking that it is a regular file within `limit`;
    /// returns the descriptor (the caller closes it) and the file's size.
    private static func openRegular(
        _ path: String, limit: Int, what: String, links: AtomicFile.LinkPolicy = .follow
    ) throws -> (Int32, Int) {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (links == .refuse ? O_NOFOLLOW : 0))
        guard descriptor >= 0 else {
            let code = errno
            if code == ELOOP && links == .refuse {
                throw FileError("cannot read \(what) '\(path)': it is a symbolic link, not a regular file, and links are not followed here")
            }
            throw FileError("cannot read \(what) '\(path)': \(String(cString: strerror(code)))")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            throw FileError("cannot read \(what) '\(path)': \(String(cString: strerror(code)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw FileError("cannot read \(what) '\(path)': it is \(kindDescription(info.st_mode)), not a regular file")
        }
        guard Int(info.st_size) <= limit else {
            close(descriptor)
            throw FileError("cannot read \(what) '\(path)': it is \(info.st_size) bytes, more than the limit of \(limit)")
        }
        return (descriptor, Int(info.st_size))
    }

    /// "a regular file", "a directory", "a FIFO", … for a `stat` mode.
    package static func kindDescription(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: "a regular file"
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFLNK: "a symbolic link"
        default: "a file of an unknown kind"
        }
    }
}
