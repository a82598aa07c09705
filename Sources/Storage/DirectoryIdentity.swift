#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which directory a path named when it was recorded (its device and inode), so that a program
/// writing into it can tell later that the path still names that directory.
///
/// A run's folder can be moved aside while the run goes on, and another run can make a new
/// folder at its path; a run that went on writing by path would then write into the other run's
/// folder. Checking the identity before each write stops it with an error instead.
///
/// Neither recording nor checking follows a symbolic link at the path: a link there is refused
/// when recorded, and a link put there later fails the check, whatever it points to. An
/// identity that ``followsLink`` (a folder the user named through a link) is instead checked
/// through it: the path must still lead to the directory recorded, by whatever link.
///
/// ```swift
/// let checkpoints = try DirectoryIdentity(of: "runs/digits-mlp/checkpoints", role: "checkpoints folder")
/// try checkpoints.check()  // before each write into it
/// ```
public struct DirectoryIdentity: Sendable, Hashable {
    /// The path as given.
    public let path: String
    /// What the directory is to the program, for messages: `run folder`, `checkpoints folder`.
    public let role: String
    /// The device the directory is on.
    public let device: UInt64
    /// The directory's inode on `device`.
    public let inode: UInt64
    /// Whether a symbolic link at ``path`` is followed when checking, rather than failing it.
    public let followsLink: Bool

    /// Records the directory at `path`.
    ///
    /// - Parameters:
    ///   - path: an existing directory, not a symbolic link to one.
    ///   - role: what the directory is, for messages (`run folder`).
    /// - Throws: ``FileError`` when nothing is at `path`, or a link, or something other than a
    ///   directory, e.g. `cannot use the run folder 'runs/a': it is a symbolic link; …`.
    public init(of path: String, role: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw FileError("cannot use the \(role) '\(path)': \(String(cString: strerror(errno)))")
        }
        if let kind = Self.notADirectory(info.st_mode) {
            let advice = info.st_mode & S_IFMT == S_IFLNK ? "; refusing to follow it (name the folder it points to instead)" : ", not a directory"
            throw FileError("cannot use the \(role) '\(path)': it is \(kind)\(advice)")
        }
        self.init(path: path, role: role, device: UInt64(truncatingIfNeeded: info.st_dev), inode: UInt64(truncatingIfNeeded: info.st_ino))
    }

    /// An identity measured elsewhere (as ``FolderLock`` does on its open folder).
    init(path: String, role: String, device: UInt64, inode: UInt64, followsLink: Bool = false) {
        self.path = path
        self.role = role
        self.device = device
        self.inode = inode
        self.followsLink = followsLink
    }

    /// Checks that ``path`` still names the directory recorded, itself rather than through a
    /// symbolic link.
    ///
    /// - Throws: ``FileError`` when the directory was moved, replaced or turned into a link, e.g.
    ///   `the run folder 'runs/a' was moved, replaced or turned into a link while the run was
    ///   going (another directory is there now); …`, or when the path cannot be examined.
    public func check() throws {
        var info = stat()
        let now: String
        if (followsLink ? stat(path, &info) : lstat(path, &info)) != 0 {
            let code = errno
            guard code == ENOENT || code == ENOTDIR else {
                throw FileError("cannot check the \(role) '\(path)': \(String(cString: strerror(code)))")
            }
            now = "nothing is there now"
        } else if let kind = Self.notADirectory(info.st_mode) {
            now = "\(kind) is there now"
        } else if UInt64(truncatingIfNeeded: info.st_dev) == device && UInt64(truncatingIfNeeded: info.st_ino) == inode {
            return
        } else {
            now = "another directory is there now"
        }
        throw movedError(now)
    }

    /// Runs `body`, a write into `folders`, after checking each of them (``check()``). When
    /// `body` fails, they are checked again, so that a folder moved while it ran is named as the
    /// cause rather than the file error it led to (a rename into a folder that is gone).
    ///
    /// The check goes by path before the write does, so a folder moved in between is caught at
    /// the next write; the links the write refuses keep it from going anywhere else meanwhile.
    public static func writing<Result>(in folders: [DirectoryIdentity], _ body: () throws -> Result) throws -> Result {
        for folder in folders { try folder.check() }
        do {
            return try body()
        } catch {
            for folder in folders { try folder.check() }
            throw error
        }
    }

    /// The error of a check that found `now` at the path instead of the directory recorded.
    func movedError(_ now: String) -> FileError {
        FileError("the \(role) '\(path)' was moved, replaced or turned into a link while the run was going (\(now)); stopping rather than writing into a folder that may be another run's: put it back, or start the run again")
    }

    /// What a `stat` mode is when it is not a directory (`a symbolic link`, `a regular file`, …);
    /// nil for a directory.
    private static func notADirectory(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFDIR: nil
        default: InputFile.kindDescription(mode)
        }
    }
}
