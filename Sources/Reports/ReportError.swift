/// A report that could not be produced, described in one line. (Files that cannot be written
/// throw `FileError`.)
public struct ReportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, naming the file or value concerned.
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
