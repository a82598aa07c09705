#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The hidden temporaries an atomic write goes through: how they are named and created, and how
/// the ones killed writers left behind are found and removed.
///
/// A temporary is named `.NAME.tmp-PID-XXXXXX`: `NAME` is the destination's name (cut to fit the
/// file system's limit), `PID` the writer's process id and `XXXXXX` six random letters and
/// digits. The process id is what tells a leftover (its writer is gone) from a write in progress.
extension AtomicFile {
    static let temporaryMarker = ".tmp-"

    /// How many random names ``makeTemporary(_:path:)`` tries before giving up; with 62⁶ names
    /// a clash is already rare, so only a directory flooded with temporaries exhausts them.
    private static let temporaryAttempts = 100

    /// A temporary just created for a write: its open descriptor, its path, and the mode the
    /// kernel gave it, which is the mode a new file gets here (0666 less the umask, or what the
    /// directory's default ACL says).
    struct Temporary {
        var descriptor: Int32
        var path: String
        var mode: mode_t
    }

    /// The start of the names of `name`'s temporaries: `.NAME.tmp-`, with `NAME` cut (at a
    /// character boundary) so that the whole temporary name, process id and six random
    /// characters included, fits the file system's limit.
    static func temporaryPrefix(for name: String, directory: String) -> String {
        // "." + name + ".tmp-" + up to 10 digits of pid + "-" + "XXXXXX"
        let room = nameLimit(directory) - (1 + temporaryMarker.utf8.count + 10 + 1 + 6)
        var kept = ""
        var bytes = 0
        for character in name {
            let size = character.utf8.count
            if bytes + size > room { break }
            kept.append(character)
            bytes += size
        }
        return "." + kept + temporaryMarker
    }

    /// Creates the temporary for a write of `target`; the caller closes and removes it.
    ///
    /// It is opened with `O_CREAT | O_EXCL | O_NOFOLLOW` and mode 0666 for a new file, so that
    /// the kernel applies the process's umask as it does to any new file (`mkstemp` would make it
    /// 0600 whatever the umask, and reading the umask means changing it, process-wide). For a
    /// file that exists, whose mode the new contents take once written, it is 0600 until then:
    /// the contents of a private file are never readable by others while they are written.
    /// `O_EXCL` never opens what is already there, a link included; a name that is taken is
    /// tried again with other random characters.
    static func makeTemporary(_ target: Destination, path: String) throws -> Temporary {
        let prefix = "\(target.directory)/\(temporaryPrefix(for: target.name, directory: target.directory))\(getpid())-"
        var existing = stat()
        let replaces = lstat(target.path, &existing) == 0 && existing.st_mode & S_IFMT == S_IFREG
        let mode: mode_t = replaces ? 0o600 : 0o666
        var code = EEXIST
        for _ in 0..<temporaryAttempts {
            let candidate = prefix + randomCharacters(6)
            let descriptor = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if descriptor < 0 {
                code = errno
                if code == EEXIST || code == EINTR { continue }
                break
            }
            var info = stat()
            guard fstat(descriptor, &info) == 0 else {
                code = errno
                close(descriptor)
                unlink(candidate)
                break
            }
            return Temporary(descriptor: descriptor, path: candidate, mode: mode_t(info.st_mode & 0o7777))
        }
        if code == EACCES || code == EPERM {
            throw FileError("cannot write '\(path)': directory '\(target.directory)' is not writable (\(reason(code)))")
        }
        throw FileError("cannot write '\(path)': cannot create a file in directory '\(target.directory)': \(reason(code))")
    }

    /// `count` characters drawn from letters and digits by the system's random source.
    private static func randomCharacters(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        return String(decoding: (0..<count).map { _ in alphabet.randomElement()! }, as: UTF8.self)
    }

    // MARK: Leftovers

    /// Removes the temporaries that killed writers of `path` left in its directory: those whose
    /// process no longer runs (it exited, or is a zombie no one has reaped), those older than
    /// ``staleAgeWithLiveProcess`` (the id was reused), and those without a process id in their
    /// name older than ``staleAgeWithoutProcess``. A temporary of a live writer is left alone.
    /// Best effort: nothing is reported.
    ///
    /// Every write of `path` does this first; it only reaches `path`'s own temporaries (see
    /// ``removeStaleTemporaries(in:)`` for a whole folder).
    ///
    /// - Parameter path: the destination whose temporaries are removed.
    public static func removeStaleTemporaries(for path: String) {
        let (directory, name) = split(path)
        guard !name.isEmpty else { return }
        removeStaleTemporaries(directory: directory, name: name)
    }

    /// Removes the temporaries that killed writers left in `directory` for the files `written`
    /// names: a run killed while writing a checkpoint leaves
    /// `.step-000000080.safetensors.tmp-PID-XXXXXX`, which no later write of that name would
    /// remove if the step is never written again.
    ///
    /// A file is taken for a temporary when its name has the form `.NAME.tmp-PID-XXXXXX` (or
    /// `.NAME.tmp-XXXXXX`, without a process id), `XXXXXX` being six letters and digits, `NAME`
    /// is a name `written` accepts (a file the caller's program writes there: another program's
    /// `.notes.tmp-backup` is not its to remove), and it is a regular file; it is removed under
    /// the rules of ``removeStaleTemporaries(for:)``: never while its writer runs, this process
    /// included. Subfolders are not entered. Best effort: a file that cannot be examined or
    /// removed is skipped.
    ///
    /// - Parameters:
    ///   - directory: the folder to sweep, such as a run folder when a run starts.
    ///   - written: whether a file name is one the caller writes in `directory`.
    /// - Returns: the names removed, sorted.
    ///
    /// ```swift
    /// AtomicFile.removeStaleTemporaries(in: "runs/digits-mlp/checkpoints") { $0.hasPrefix("step-") }
    /// ```
    @discardableResult
    public static func removeStaleTemporaries(in directory: String, of written: (String) -> Bool) -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        let now = Date().timeIntervalSince1970
        var removed: [String] = []
        for entry in entries.sorted() where entry.hasPrefix(".") {
            // The random part has no dot, so the last marker is the one the writer appended.
            guard let marker = entry.range(of: temporaryMarker, options: .backwards),
                  marker.lowerBound > entry.startIndex,
                  written(String(entry[entry.index(after: entry.startIndex)..<marker.lowerBound]))
            else { continue }
            if removeIfStale(directory + "/" + entry, suffix: entry[marker.upperBound...], now: now) {
                removed.append(entry)
            }
        }
        return removed
    }

    static func removeStaleTemporaries(directory: String, name: String) {
        let prefix = temporaryPrefix(for: name, directory: directory)
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        let now = Date().timeIntervalSince1970
        for entry in entries where entry.hasPrefix(prefix) {
            removeIfStale(directory + "/" + entry, suffix: entry.dropFirst(prefix.count), now: now)
        }
    }

    /// Removes `file`, whose name ends in `suffix` after the temporary marker, if it is a
    /// regular file and a stale temporary; whether it removed it.
    @discardableResult
    private static func removeIfStale(_ file: String, suffix: Substring, now: TimeInterval) -> Bool {
        let parts = suffix.split(separator: "-", omittingEmptySubsequences: false)
        let writer: pid_t?
        if parts.count == 2, parts[0].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let pid = pid_t(parts[0]), pid > 0, isRandomPart(parts[1]) {
            writer = pid
        } else if parts.count == 1, isRandomPart(suffix) {
            writer = nil  // a name without a process id
        } else {
            return false
        }
        if writer == getpid() { return false }  // this process's own writes clean up after themselves
        var info = stat()
        guard lstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        #if canImport(Darwin)
        let age = now - Double(info.st_mtimespec.tv_sec)
        #else
        let age = now - Double(info.st_mtim.tv_sec)
        #endif
        let stale = if let writer { !isRunning(writer) || age > staleAgeWithLiveProcess } else { age > staleAgeWithoutProcess }
        return stale && unlink(file) == 0
    }

    /// Whether `part` could be the six random characters of a temporary's name.
    private static func isRandomPart(_ part: Substring) -> Bool {
        part.utf8.count == 6 && part.utf8.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
    }
}

/// Whether process `pid` still runs: it exists (`kill(pid, 0)` finds it, or finds it owned by
/// someone else) and is not a zombie. A zombie has exited and only waits for its parent to
/// collect its status, so it writes nothing more; `kill` still finds it, and its state in
/// `/proc/PID/stat` (`Z`, or `X` while it is torn down) is what tells it apart. Where `/proc`
/// cannot be read, a process `kill` finds counts as running.
func isRunning(_ pid: pid_t) -> Bool {
    guard kill(pid, 0) == 0 || errno == EPERM else { return false }
    guard let state = processState(pid) else { return true }
    return state != UInt8(ascii: "Z") && state != UInt8(ascii: "X")
}

/// The state letter of process `pid` in `/proc/PID/stat`, or nil where that cannot be read.
///
/// The file reads `PID (COMMAND) STATE …`; the command may hold spaces and parentheses, so the
/// state is the letter after the last `)`.
private func processState(_ pid: pid_t) -> UInt8? {
    let descriptor = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    // The command is at most 64 bytes (kernel threads' names included), so the state lies well
    // within the first 256.
    var buffer = [UInt8](repeating: 0, count: 256)
    var count: Int
    repeat {
        count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
    } while count < 0 && errno == EINTR
    guard count > 0, let close = buffer[..<count].lastIndex(of: UInt8(ascii: ")")), close + 2 < count else { return nil }
    return buffer[close + 2]
}
