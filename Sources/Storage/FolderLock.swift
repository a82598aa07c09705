#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive claim on a folder, held while the value lives: two runs of one run folder
/// would interleave their metrics and prune each other's checkpoints, so the second is refused.
///
/// The claim is a `flock` on the folder itself, so no lock file is left behind, and the kernel
/// releases it when the process ends, however it ends (a `SIGKILL` included): a crashed run
/// never leaves its folder claimed.
///
/// The claim is on the folder that was at the path when it was made; ``identity(as:)`` gives
/// that folder's identity, to check before each write that the path still names it.
///
/// ```swift
/// let claim = try FolderLock(claiming: "runs/digits-mlp", holder: "a run")
/// defer { claim.release() }
/// let runFolder = try claim.identity(as: "run folder")
/// try runFolder.check()  // before each write into the folder
/// ```
public final class FolderLock {
    /// The folder's path as given.
    public let path: String
    /// The open folder the claim is on; -1 once released.
    private var descriptor: Int32
    /// The device and inode of the folder opened, claimed or not.
    private let device: UInt64, inode: UInt64
    /// Whether the folder is claimed: `false` on a file system that keeps no locks (an NFS
    /// mount without its lock service), where nothing stops a second run.
    public let isHeld: Bool

    /// Claims `path`, an existing folder.
    ///
    /// - Parameters:
    ///   - path: the folder.
    ///   - holder: what the claim is for, for the message of the one refused (`a run`).
    /// - Throws: `FileError` when another process (or another claim in this one) holds the
    ///   folder, or when it cannot be opened as a folder.
    public init(claiming path: String, holder: String) throws {
        self.path = path
        let opened = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        var info = stat()
        guard opened >= 0, fstat(opened, &info) == 0 else {
            let reason = errno
            if opened >= 0 { close(opened) }
            throw FileError("cannot claim the folder '\(path)' for \(holder): \(String(cString: strerror(reason)))")
        }
        device = UInt64(truncatingIfNeeded: info.st_dev)
        inode = UInt64(truncatingIfNeeded: info.st_ino)
        var result: Int32
        repeat {
            result = flock(opened, LOCK_EX | LOCK_NB)
        } while result != 0 && errno == EINTR
        guard result == 0 else {
            let reason = errno
            close(opened)
            if reason == EWOULDBLOCK {
                throw FileError("the folder '\(path)' is in use: \(holder) cannot claim it while another claim holds it (another swiftgrad run, most likely); only one run may use a run folder at a time: wait for it to end, or choose another folder")
            }
            // A file system without locks cannot say whether another process uses the folder;
            // that is no reason to refuse the run. NFS emulates flock with a byte-range lock,
            // which a folder (open read-only) cannot take: EBADF there.
            if reason == ENOLCK || reason == EOPNOTSUPP || reason == ENOSYS || reason == EBADF || reason == EINVAL {
                descriptor = -1
                isHeld = false
                return
            }
            throw FileError("cannot claim the folder '\(path)' for \(holder): \(String(cString: strerror(reason)))")
        }
        descriptor = opened
        isHeld = true
    }

    /// The identity of the folder the claim is on, checked against what `path` names now.
    ///
    /// It is measured on the open folder itself, so a folder swapped in at the path between the
    /// claim and this call is caught here rather than recorded as the one to keep writing into.
    /// It is the same when no lock could be taken (``isHeld`` false).
    ///
    /// The path claimed may itself be a symbolic link to the folder (the user named the folder
    /// through one): the identity then follows it (``DirectoryIdentity/followsLink``), and a
    /// check fails when the path no longer leads to the folder claimed.
    ///
    /// - Parameter role: what the folder is, for messages (`run folder`).
    /// - Returns: the identity, for ``DirectoryIdentity/check()`` before each write.
    /// - Throws: ``FileError`` when `path` names another folder or nothing, as
    ///   ``DirectoryIdentity/check()`` does.
    public func identity(as role: String) throws -> DirectoryIdentity {
        var info = stat()
        let isLink = lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
        let claimed = DirectoryIdentity(path: path, role: role, device: device, inode: inode, followsLink: isLink)
        try claimed.check()
        return claimed
    }

    /// Gives the folder up; a second call does nothing.
    public func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
