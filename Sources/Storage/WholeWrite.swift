#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes all of `buffer` to `descriptor` with `write(2)`, going on after a short write, after a
/// signal's interruption (`EINTR`), and after `EAGAIN` from a descriptor in non-blocking mode.
///
/// A pipe's or a terminal's non-blocking mode belongs to the open file that every process
/// holding it shares, so a parent (a Node.js or Python program reading the output, a CI runner)
/// may set it on standard output or error: a full pipe then answers `EAGAIN` where it would
/// otherwise make the write wait. The write waits instead, with `poll(2)`, until the descriptor
/// takes output, as it would in blocking mode.
///
/// - Returns: `errno` of the write that failed, or 0 when every byte was written.
package func writeWhole(_ buffer: UnsafeRawBufferPointer, to descriptor: Int32) -> Int32 {
    guard let base = buffer.baseAddress else { return 0 }
    var offset = 0
    while offset < buffer.count {
        let written = write(descriptor, base + offset, buffer.count - offset)
        if written < 0 {
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK {
                var entry = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                // POLLERR or POLLHUP come back as ready: the next write then names the failure.
                if poll(&entry, 1, -1) >= 0 || errno == EINTR { continue }
            }
            return code
        }
        offset += written
    }
    return 0
}
