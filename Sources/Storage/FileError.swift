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

    /// Creates an error.
    ///
    /// - Parameter message: one line saying what went wrong and where.
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
