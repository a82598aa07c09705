/// A place in a JSON text: 1-based line and column.
///
/// Columns count Unicode scalars, not bytes, so a column matches what an editor shows for a line
/// that holds non-ASCII text.
///
/// ```swift
/// let value = try ConfigDocument(parsing: "{\n  \"lr\": 0.1\n}").root  // ConfigKit's parser
/// value.objectValue?["lr"]?.position  // 2:9
/// ```
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 1-based line.
    public var line: Int
    /// The 1-based column, in Unicode scalars.
    public var column: Int

    /// Creates a position.
    ///
    /// - Parameters:
    ///   - line: the 1-based line.
    ///   - column: the 1-based column, in Unicode scalars.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// `LINE:COLUMN`, the form compilers print after a file name.
    public var description: String { "\(line):\(column)" }

    public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}
