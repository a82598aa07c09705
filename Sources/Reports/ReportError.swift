/// A report that could not be produced or written, described in one line.
///
/// ```swift
/// do {
///     try AtomicFile.write(data, to: "out/report.json")
/// } catch let error as ReportError {
///     print(error)  // cannot write 'out/report.json': directory 'out' does not exist
/// }
/// ```
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
