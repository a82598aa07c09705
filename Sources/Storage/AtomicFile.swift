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
/// Only regular files are replaced: a device (`/dev/null`), a FIFO, a socket or a directory at
/// the path is refused, since renaming over it would put a regular file in its place. A
/// symbolic link to a regular file is followed by default: the file it points to is replaced and
/// the link stays. With ``LinkPolicy/refuse`` a link at the path is refused instead, for files a
/// program names inside its own folders.
///
/// A new file gets the mode any new file gets (0666 less the umask); a replaced file keeps its
/// mode.
///
/// The temporary is named `.NAME.tmp-PID-XXXXXX` after the writer's process id. A writer killed
/// between creating and renaming it leaves it behind; every later write to (or check of) the
/// same path removes such leftovers (see ``removeStaleTemporaries(for:)``), and
/// ``removeStaleTemporaries(in:)`` removes those of a whole folder.
///
/// Missing directories are an error rather than created silently: a typo in an output path
/// should not scatter files in new folders.
public enum AtomicFile {
    /// A file the run reads, which no output of the run may replace.
    public struct Input: Sendable, Equatable {
        /// The path as given.
        public var path: String
        /// What the file is to the run, for messages: `config`, `data file`, `checkpoint`.
        public var role: String

        public init(_ path: String, role: String) {
            self.path = path
            self.role = role
        }
    }

    /// What a write does with a symbolic link at its path (the last part of it; links among the
    /// folders above are followed either way).
    public enum LinkPolicy: Sendable, Hashable {
        /// Replace the regular file the link points to and keep the link: for an output a person
        /// names, where a link they made says where they want the file.
        case follow
        /// Refuse the write with a ``FileError``: for a file a program names inside a folder of
        /// its own (a run folder), where a link was put there by someone else and following it
        /// would overwrite a file outside the folder. Nothing in the write follows a link at the
        /// path: a link put there after the check is replaced by the rename itself, and the file
        /// it points to is left as it was.
        case refuse
    }

    /// How old a leftover temporary whose writer cannot be identified (an old name without a
    /// process id) must be before it is removed: no write takes this long.
    public static let staleAgeWithoutProcess: TimeInterval = 60
    /// How old a leftover temporary whose process id belongs to a live process must be before
    /// it is removed anyway: the id has then been reused by another process.
    public static let staleAgeWithLiveProcess: TimeInterval = 3600

    /// Checks, without leaving anything behind, that ``write(_:to:durable:links:)-(Data,_,_,_)``
    /// could create `path`, so a long run can refuse a bad output path up front.
    ///
    /// It checks that the directory exists; that the file name fits the file system's limit
    /// (`ENAMETOOLONG` otherwise); that what is at `path`, if anything, is a regular file (or,
    /// under ``LinkPolicy/follow``, a link to one); that `path` is none of `inputs`, compared by device and inode so that
    /// another spelling or a hard link is caught too; and, by creating and removing a temporary
    /// file there, that the directory takes new files (a read-only file system, `/proc`, a
    /// folder without write permission all refuse). Stale temporaries of `path` are removed.
    ///
    /// - Parameters:
    ///   - path: the output file.
    ///   - inputs: files the run reads, which the output must not replace.
    ///   - links: what to do with a symbolic link at `path`, as the write will.
    /// - Throws: `FileError` naming `path` and what is wrong, e.g. `cannot write 'cfg.json': it
    ///   is the config of this run; choose another path`.
    public static func checkWritable(_ path: String, inputs: [Input] = [], links: LinkPolicy = .follow) throws {
        let target = try destination(of: path, links: links)
        try checkNotInput(path, inputs: inputs)
        removeStaleTemporaries(directory: target.directory, name: target.name)
        let temporary = try makeTemporary(target, path: path)
        close(temporary.descriptor)
        unlink(temporary.path)
    }

    /// The absolute path a write of `path` lands on, whether or not the file exists yet.
    ///
    /// The longest leading part of the path that exists is resolved by `realpath(3)`, which
    /// follows symbolic links (a link at `path` itself included) and undoes `.`, `..` and repeated
    /// slashes; the rest, which does not exist yet, is joined to it with `.` and `..` applied by
    /// name. Two paths that will name one file once it is written, such as `pe/model.safetensors`
    /// and `./pe/../pe/model.safetensors` before the folder `pe` exists, have the same canonical
    /// path. A relative path is taken from the working directory.
    ///
    /// - Parameter path: a file or folder, existing or not.
    /// - Returns: an absolute path without links, `.` or `..` in its existing part.
    public static func canonicalPath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var head = absolute
        var rest: [Substring] = []
        while true {
            if let real = realpath(head, nil) {
                var components = String(cString: real).split(separator: "/")
                free(real)
                for component in rest where component != "" && component != "." {
                    if component == ".." {
                        if !components.isEmpty { components.removeLast() }
                    } else {
                        components.append(component)
                    }
                }
                return "/" + components.joined(separator: "/")
            }
            // `realpath("/")` succeeds, so the loop ends at the latest there.
            guard let slash = head.lastIndex(of: "/") else { return absolute }
            rest.insert(head[head.index(after: slash)...], at: 0)
            head = slash == head.startIndex ? "/" : String(head[..<slash])
        }
    }

    /// Whether `path` and `other` name one file, existing or not: whether their
    /// ``canonicalPath(_:)``s are equal, so another spelling or a symbolic link counts, and a
    /// file not yet written is compared by where it will be.
    ///
    /// Two hard links are two names: a write replaces only the name it is given (it renames a
    /// new file over it), so the other keeps its contents. Commands use this to refuse two
    /// outputs that are one file, or an output (or a resumed checkpoint) that is a file the run
    /// itself writes later, before either exists; ``checkWritable(_:inputs:)`` compares inputs
    /// by inode instead, which is stricter.
    public static func namesSameFile(_ path: String, _ other: String) -> Bool {
        canonicalPath(path) == canonicalPath(other)
    }

    /// Atomically replaces the file at `path` with `data`.
    ///
    /// A new file gets mode 0666 less the umask, as any new file does; a replaced file keeps its
    /// mode.
    ///
    /// - Parameters:
    ///   - data: the complete new contents.
    ///   - path: the destination; its directory must exist, and anything already there must be
    ///     a regular file or (under ``LinkPolicy/follow``) a symbolic link to one.
    ///   - durable: `fsync` the file and its directory, so the new contents survive a power cut;
    ///     `false` for a file that can be made again (a plot), which is still replaced whole but
    ///     skips the milliseconds an `fsync` can take.
    ///   - links: what to do with a symbolic link at `path`: ``LinkPolicy/follow`` it (the
    ///     default, for an output a person names) or ``LinkPolicy/refuse`` it (for a file inside
    ///     a folder the program owns).
    /// - Throws: `FileError`, e.g. `cannot write 'out/report.json': directory 'out' does not exist`.
    ///
    /// ```swift
    /// try AtomicFile.write(Data("epoch,loss\n".utf8), to: "results/loss.csv")
    /// try AtomicFile.write(Data("{}".utf8), to: "runs/digits/summary.json", links: .refuse)
    /// ```
    public static func write(_ data: Data, to path: String, durable: Bool = true, links: LinkPolicy = .follow) throws {
        try data.withUnsafeBytes { try write(parts: [$0], to: path, durable: durable, links: links) }
    }

    /// Atomically replaces the file at `path` with `bytes`, without copying them first.
    ///
    /// - Parameters:
    ///   - bytes: the complete new contents.
    ///   - path: the destination, as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    ///   - durable: as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    ///   - links: as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    /// - Throws: `FileError` as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    public static func write(_ bytes: [UInt8], to path: String, durable: Bool = true, links: LinkPolicy = .follow) throws {
        try bytes.withUnsafeBytes { try write(parts: [$0], to: path, durable: durable, links: links) }
    }

    /// Atomically replaces the file at `path` with `bytes`, written over the storage of
    /// `recycled`, a file the caller is about to delete (the oldest of the checkpoints it
    /// keeps), instead of a new file's.
    ///
    /// `recycled` is renamed to the temporary, overwritten in place, cut to the new length and
    /// renamed over `path`: a file system hands out no new pages or blocks for it, which on a
    /// virtual machine can cost more than the copy itself (writing a 3 MB checkpoint to a new
    /// file took 0.7–15 ms here, over an old one 0.1 ms). Once this returns, `recycled` no
    /// longer exists under its name. It is only recycled when it is a regular file with no other
    /// hard link, in the destination's directory and not the destination itself; otherwise, or
    /// when `recycled` is nil, this is ``write(_:to:durable:links:)-([UInt8],_,_,_)``, and `recycled`
    /// stays for the caller to delete.
    ///
    /// - Parameters:
    ///   - bytes: the complete new contents.
    ///   - path: the destination, as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    ///   - durable: as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    ///   - links: as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    ///   - recycled: the file whose storage to reuse, or nil.
    /// - Throws: `FileError` as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    public static func write(_ bytes: [UInt8], to path: String, durable: Bool = true, links: LinkPolicy = .follow, recycling recycled: String?) throws {
        try bytes.withUnsafeBytes { try write(parts: [$0], to: path, durable: durable, links: links, recycling: recycled) }
    }

    /// Atomically replaces the file at `path` with `bytes`, as a second name (a hard link) of
    /// `twin` when `twin` already holds exactly those bytes: a run's final model is its last
    /// checkpoint, and linking it costs no copy at all.
    ///
    /// `twin` is linked only when it is a regular file (not a link) on the destination's file
    /// system whose contents equal `bytes`; otherwise, or when it is nil or the link fails,
    /// this is ``write(_:to:durable:links:)-([UInt8],_,_,_)``. Either way `path` ends up with `bytes`,
    /// replaced atomically. A file with a second name is never overwritten in place by
    /// ``write(_:to:durable:recycling:)``, so the two names keep their contents.
    ///
    /// - Parameters:
    ///   - bytes: the complete new contents.
    ///   - path: the destination, as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    ///   - durable: as for ``write(_:to:durable:links:)-(Data,_,_,_)``; a linked `twin` must itself
    ///     have been written durably.
    ///   - links: as for ``write(_:to:durable:links:)-(Data,_,_,_)``; `twin` is never followed.
    ///   - twin: a file that may already hold `bytes`, or nil.
    /// - Throws: `FileError` as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    public static func write(_ bytes: [UInt8], to path: String, durable: Bool = true, links: LinkPolicy = .follow, linkingIfEqual twin: String?) throws {
        try bytes.withUnsafeBytes { try write(parts: [$0], to: path, durable: durable, links: links, linkingIfEqual: twin) }
    }

    /// Atomically replaces the file at `path` with the bytes of `parts` one after another, as a
    /// second name of `twin` when `twin` already holds exactly those bytes (as
    /// `write(_:to:durable:linkingIfEqual:)` does). A file made of pieces that lie apart in
    /// memory (a header and tensors) is compared and written without a copy of the whole.
    ///
    /// - Parameters:
    ///   - parts: the complete new contents, in order.
    ///   - path: the destination, as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    ///   - durable: as for ``write(_:to:durable:links:)-(Data,_,_,_)``; a linked `twin` must itself
    ///     have been written durably.
    ///   - links: as for ``write(_:to:durable:links:)-(Data,_,_,_)``; `twin` is never followed.
    ///   - twin: a file that may already hold those bytes, or nil.
    /// - Throws: `FileError` as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    public static func write(parts: [UnsafeRawBufferPointer], to path: String, durable: Bool = true, links: LinkPolicy = .follow, linkingIfEqual twin: String?) throws {
        let target = try destination(of: path, links: links)
        if let twin, try linkTwin(twin, holding: parts, to: target, path: path, durable: durable) { return }
        try write(parts: parts, to: path, durable: durable, links: links)
    }

    /// Makes `target` a hard link of `twin` if `twin` holds exactly the bytes of `parts`; false
    /// (and nothing changed) if it does not or cannot be linked.
    ///
    /// `twin` is never followed: it must be a regular file when looked at, when read and once
    /// linked (one device and inode throughout), so that a link or another file put in its place
    /// meanwhile is not what ends up at `target`. A file at `target` whose mode differs from
    /// `twin`'s is not linked over: a replaced file keeps its mode (a model made private stays
    /// private), which a second name of `twin` could not.
    private static func linkTwin(_ twin: String, holding parts: [UnsafeRawBufferPointer], to target: Destination, path: String, durable: Bool) throws -> Bool {
        var info = stat(), directoryInfo = stat(), existing = stat()
        if lstat(target.path, &existing) == 0, existing.st_mode & S_IFMT == S_IFREG, lstat(twin, &info) == 0,
           existing.st_mode & 0o7777 != info.st_mode & 0o7777
        {
            return false
        }
        guard lstat(twin, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) == parts.reduce(0, { $0 + $1.count }),
              stat(target.directory, &directoryInfo) == 0, directoryInfo.st_dev == info.st_dev,
              contents(of: twin, equal: parts, device: info.st_dev, inode: info.st_ino)
        else { return false }
        removeStaleTemporaries(directory: target.directory, name: target.name)
        // A free name for the link: `link(2)` makes a new name only.
        let temporary = try makeTemporary(target, path: path)
        close(temporary.descriptor)
        unlink(temporary.path)
        // Linux's `link(2)` does not follow a link at `twin`; it would link the link itself.
        guard link(twin, temporary.path) == 0 else { return false }
        var linked = stat()
        guard lstat(temporary.path, &linked) == 0, linked.st_dev == info.st_dev, linked.st_ino == info.st_ino,
              rename(temporary.path, target.path) == 0
        else {
            unlink(temporary.path)
            return false
        }
        if durable { syncDirectory(target.directory) }
        return true
    }

    /// Whether the regular file at `path`, which must be the one with `device` and `inode`, holds
    /// exactly the bytes of `parts`, one after another.
    private static func contents(of path: String, equal parts: [UnsafeRawBufferPointer], device: dev_t, inode: ino_t) -> Bool {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_dev == device, info.st_ino == inode else { return false }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buffer.deallocate() }
        var fileOffset = 0
        for part in parts {
            var offset = 0
            while offset < part.count {
                let wanted = Swift.min(chunk, part.count - offset)
                let got = pread(descriptor, buffer, wanted, off_t(fileOffset))
                if got < 0 && errno == EINTR { continue }
                guard got > 0, memcmp(buffer, part.baseAddress! + offset, got) == 0 else { return false }
                offset += got
                fileOffset += got
            }
        }
        var extra: UInt8 = 0
        return pread(descriptor, &extra, 1, off_t(fileOffset)) == 0
    }

    /// Atomically replaces the file at `path` with the bytes of `parts` one after another, over
    /// the storage of `recycled` when it can (as `write(_:to:durable:recycling:)` does). Each
    /// part is written from where it lies, so a file made of pieces (a header and tensors) needs
    /// no copy of the whole in memory.
    ///
    /// - Parameters:
    ///   - parts: the complete new contents, in order.
    ///   - path: the destination, as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    ///   - durable: as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    ///   - links: as for ``write(_:to:durable:links:)-(Data,_,_,_)``; `recycled` is never followed.
    ///   - recycled: the file whose storage to reuse, or nil.
    /// - Throws: `FileError` as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    public static func write(parts: [UnsafeRawBufferPointer], to path: String, durable: Bool = true, links: LinkPolicy = .follow, recycling recycled: String? = nil) throws {
        let target = try destination(of: path, links: links)
        removeStaleTemporaries(directory: target.directory, name: target.name)
        let created = try makeTemporary(target, path: path)
        let temporary = created.path
        var descriptor = created.descriptor

        var isOpen = true
        do {
            if let recycled, isRecyclable(recycled, for: target), rename(recycled, temporary) == 0 {
                // The temporary's name now holds the recycled file; the empty one made for it is gone.
                close(descriptor)
                descriptor = open(temporary, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
                guard descriptor >= 0 else { isOpen = false; throw failure(path, errno) }
                for part in parts { try writeAll(part, to: descriptor, path: path) }
                guard ftruncate(descriptor, off_t(parts.reduce(0) { $0 + $1.count })) == 0 else { throw failure(path, errno) }
            } else {
                for part in parts { try writeAll(part, to: descriptor, path: path) }
            }
            // A replaced file keeps its mode; a new one gets the mode the kernel gave the
            // temporary as it made it (a recycled file's storage still has its old mode).
            // `lstat`, so that a link put at the path meanwhile is not read through: the rename
            // replaces the link itself.
            var existing = stat()
            let replacesFile = lstat(target.path, &existing) == 0 && existing.st_mode & S_IFMT == S_IFREG
            let mode = replacesFile ? mode_t(existing.st_mode & 0o7777) : created.mode
            guard fchmod(descriptor, mode) == 0, !durable || fsync(descriptor) == 0 else { throw failure(path, errno) }
            isOpen = false
            guard close(descriptor) == 0 else { throw failure(path, errno) }
            guard rename(temporary, target.path) == 0 else { throw failure(path, errno) }
        } catch {
            if isOpen { close(descriptor) }
            unlink(temporary)
            throw error
        }
        if durable { syncDirectory(target.directory) }
    }

    /// Atomically replaces the file at `path` with `text` encoded as UTF-8.
    ///
    /// - Parameters:
    ///   - text: the complete new contents.
    ///   - path: the destination; its directory must exist.
    ///   - durable: as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    ///   - links: as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    /// - Throws: `FileError` as for ``write(_:to:durable:links:)-(Data,_,_,_)``.
    ///
    /// ```swift
    /// try AtomicFile.write("hello\n", to: "out/hello.txt")
    /// ```
    public static func write(_ text: String, to path: String, durable: Bool = true, links: LinkPolicy = .follow) throws {
        var text = text
        try text.withUTF8 { try write(parts: [UnsafeRawBufferPointer($0)], to: path, durable: durable, links: links) }
    }

    // MARK: Destination

    /// The file a write of `path` replaces: `path` itself, or (under ``LinkPolicy/follow``) the
    /// file a symbolic link there points to.
    struct Destination {
        var path: String
        var directory: String
        var name: String
    }

    /// Whether `recycled` may lend its storage to a write of `target`: a regular file (not a
    /// link), with no other name that would see its contents change, in the same directory (a
    /// rename cannot cross file systems) and not `target` itself.
    private static func isRecyclable(_ recycled: String, for target: Destination) -> Bool {
        var info = stat(), directoryInfo = stat(), recycledDirectoryInfo = stat()
        guard lstat(recycled, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1 else { return false }
        guard stat(target.directory, &directoryInfo) == 0, stat(split(recycled).0, &recycledDirectoryInfo) == 0,
              directoryInfo.st_dev == recycledDirectoryInfo.st_dev, directoryInfo.st_ino == recycledDirectoryInfo.st_ino
        else { return false }
        var targetInfo = stat()
        if lstat(target.path, &targetInfo) == 0, targetInfo.st_dev == info.st_dev, targetInfo.st_ino == info.st_ino { return false }
        return true
    }

    /// Resolves and checks the destination of a write of `path`.
    private static func destination(of path: String, links: LinkPolicy) throws -> Destination {
        guard !path.isEmpty else { throw FileError("cannot write '': the path is empty; expected a file name") }
        var (directory, name) = split(path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw FileError("cannot write '\(path)': the path names a directory, not a file")
        }
        try checkDirectory(directory, for: path)
        try checkNameLength(name, directory: directory, path: path)
        var resolved = path
        var info = stat()
        if lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK {
            guard links == .follow else {
                throw FileError("cannot write '\(path)': it is a symbolic link; refusing to follow it, as it could point at any file (remove the link, or choose another path)")
            }
            guard let real = realpath(path, nil) else {
                let failure = errno
                // A link to something that has no path (/dev/stdout to a pipe or a socket).
                if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
                    throw FileError("cannot write '\(path)': it is \(InputFile.kindDescription(info.st_mode)), not a regular file; refusing to replace it")
                }
                throw FileError("cannot write '\(path)': it is a symbolic link to nothing (\(reason(failure)))")
            }
            resolved = String(cString: real)
            free(real)
            (directory, name) = split(resolved)
        }
        // `resolved` has no link at its end (`realpath` followed it), unless one was put there
        // meanwhile: `lstat` then reports the link rather than reading through it.
        if lstat(resolved, &info) == 0 {
            let kind = info.st_mode & S_IFMT
            if kind == S_IFDIR {
                throw FileError("cannot write '\(path)': the path names a directory, not a file")
            }
            if kind != S_IFREG {
                throw FileError("cannot write '\(path)': it is \(InputFile.kindDescription(info.st_mode)), not a regular file; refusing to replace it")
            }
        }
        return Destination(path: resolved, directory: directory, name: name)
    }

    /// Refuses an output `path` that is one of `inputs`, compared by device and inode after
    /// following a symbolic link, so that another spelling or a hard link is caught too. A path
    /// where nothing exists yet is none of them. ``checkWritable(_:inputs:)`` does this among its
    /// checks; a command calls it alone to give this reason before others.
    ///
    /// - Throws: `FileError`, e.g. `cannot write 'cfg.json': it is the config of this run; choose
    ///   another path`.
    public static func checkNotInput(_ path: String, inputs: [Input]) throws {
        var output = stat()
        guard stat(path, &output) == 0 else { return }  // a new file replaces nothing
        for input in inputs {
            var info = stat()
            guard stat(input.path, &info) == 0 else { continue }
            if info.st_dev == output.st_dev && info.st_ino == output.st_ino {
                let alias = input.path == path ? "" : " ('\(input.path)')"
                throw FileError("cannot write '\(path)': it is the \(input.role) of this run\(alias); choose another path")
            }
        }
    }

    static func split(_ path: String) -> (directory: String, name: String) {
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

    /// The longest file name the directory's file system takes (255 on Linux's).
    static func nameLimit(_ directory: String) -> Int {
        let limit = pathconf(directory, Int32(_PC_NAME_MAX))
        return limit > 0 ? limit : 255
    }

    private static func checkNameLength(_ name: String, directory: String, path: String) throws {
        let limit = nameLimit(directory)
        let length = name.utf8.count
        guard length <= limit else {
            throw FileError("cannot write '\(path)': the file name is \(length) bytes, more than the \(limit) the file system allows (\(reason(ENAMETOOLONG)))")
        }
    }

    // MARK: Writing

    private static func writeAll(_ buffer: UnsafeRawBufferPointer, to descriptor: Int32, path: String) throws {
        let code = writeWhole(buffer, to: descriptor)
        if code != 0 { throw failure(path, code) }
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

    static func reason(_ code: Int32) -> String {
        strerror(code).map { String(cString: $0) } ?? "error \(code)"
    }
}
