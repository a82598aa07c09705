import Foundation
import Storage
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("writeWhole writes every byte")
struct WholeWriteTests {
    /// A pipe whose write end is non-blocking, as a parent may leave standard output, filled
    /// until the next write would answer `EAGAIN`: the pipe and the bytes it holds.
    static func fullNonBlockingPipe() throws -> (reader: Int32, writer: Int32, filled: Int) {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        let (reader, writer) = (ends[0], ends[1])
        try #require(fcntl(writer, F_SETFL, fcntl(writer, F_GETFL) | O_NONBLOCK) == 0)
        let chunk = [UInt8](repeating: UInt8(ascii: "."), count: 4096)
        var filled = 0
        while true {
            let written = chunk.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
            if written < 0 {
                try #require(errno == EAGAIN || errno == EWOULDBLOCK)
                break
            }
            filled += written
        }
        return (reader, writer, filled)
    }

    /// Reads `descriptor` to its end.
    static func readAll(_ descriptor: Int32) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return received }
            received += buffer[..<count]
        }
    }

    /// The write waits for a reader that comes later. The reader starts reading only after a
    /// pause, so that the write meets the full pipe first.
    @Test func aFullNonBlockingPipeIsWaitedForNotAFailure() throws {
        let (reader, writer, filled) = try Self.fullNonBlockingPipe()
        defer { close(reader) }
        let received = Mutex<[UInt8]>([])
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            usleep(200_000)
            let bytes = Self.readAll(reader)
            received.withLock { $0 = bytes }
            done.signal()
        }
        thread.start()
        let message = Array(String(repeating: "after the filler\n", count: 10_000).utf8)
        let code = message.withUnsafeBytes { writeWhole($0, to: writer) }
        close(writer)
        done.wait()
        #expect(code == 0, "errno \(code)")
        let bytes = received.withLock { $0 }
        #expect(bytes.count == filled + message.count)
        let endsWithTheMessage = bytes.suffix(message.count).elementsEqual(message)
        #expect(endsWithTheMessage)
    }

    /// A reader that goes away while the write waits ends the wait: the write fails with
    /// `EPIPE` (SIGPIPE ignored, as `swiftgrad` ignores it), whether it was waiting yet or not.
    @Test func aReaderThatLeavesEndsTheWait() throws {
        let (reader, writer, _) = try Self.fullNonBlockingPipe()
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        let result = Atomic<Int32>(-1)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            result.store(Array("lost\n".utf8).withUnsafeBytes { writeWhole($0, to: writer) }, ordering: .sequentiallyConsistent)
            close(writer)
            done.signal()
        }
        thread.start()
        close(reader)
        done.wait()
        #expect(result.load(ordering: .sequentiallyConsistent) == EPIPE)
    }
}
