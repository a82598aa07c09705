#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum FileHandleWriter {
    /// Writes `text` to standard error, unbuffered.
    static func writeToStandardError(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            _ = write(2, buffer.baseAddress, buffer.count)
        }
    }
}
