/// A file that could not be read or written, described in one line that names it.
///
/// ```swift
/// do {
///     try AtomicFile.write(data, to: "out/report.json")
/// } catch let error as FileError {
///     print(error)  // cannot write 'out/report.json': directory 'out' does not exist
/// }
/// ```
public struct FileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, naming the file.
    public var message: String

    /// The longest message kept whole; paths are at most 4096 bytes, but a flag is not.
    public static let messageLimit = 10_000

    /// Creates an error.
    ///
    /// - Parameter message: what went wrong and where; kept to one line (a path's control
    ///   characters, a newline among them, are escaped) and cut past ``messageLimit`` characters.
    public init(_ message: String) {
        self.message = quoted(message, limit: Self.messageLimit)
    }

    /// The message.
    public var description: String { message }
}
