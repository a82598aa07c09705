#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// The permission bits of the file at `path`, or nil when nothing is there.
func permissions(_ path: String) -> mode_t? {
    var info = stat()
    return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
}

/// The mode a new file gets in this process: 0666 less the umask, read from `/proc/self/status`
/// (`Umask:` in octal) because `umask(2)` can only be read by setting it, for every thread at
/// once, while other tests run beside this one.
func newFileMode() throws -> mode_t {
    let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
    let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Umask:") })
    let mask = try #require(mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8))
    return 0o666 & ~mask
}
