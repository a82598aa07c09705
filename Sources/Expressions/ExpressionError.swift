/// Why an expression or a variable assignment could not be parsed or evaluated.
///
/// Its ``description`` names the 1-based column where the problem is and what was expected,
/// then shows the expression with a caret under that column:
///
/// ```text
/// column 7: expected an operand after '*', found end of input
///   3*x^3*
///         ^
/// ```
public struct ExpressionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broad kind of problem, for callers that react to some differently.
    public enum Reason: Sendable, Equatable {
        /// The text does not follow the grammar (also: bad numbers, unknown characters).
        case syntax
        /// A name followed by `(` is not one of ``Expression/functions``.
        case unknownFunction(String)
        /// The expression nests deeper than ``Expression/maximumDepth``.
        case tooDeep
        /// ``Expression/evaluate(at:order:)`` was given no value for a variable.
        case missingValue(variable: String)
        /// A `NAME=VALUE` assignment is malformed.
        case invalidAssignment
        /// The requested derivative order is not supported.
        case unsupportedOrder(Int)
    }

    /// The kind of problem.
    public let reason: Reason
    /// What was wrong and what was expected, without the column.
    public let message: String
    /// The 1-based column in ``source`` where the problem is, if it has one.
    public let column: Int?
    /// The expression the column refers to.
    public let source: String?

    /// Makes an error; `column` counts characters from 1.
    public init(_ reason: Reason, _ message: String, column: Int? = nil, source: String? = nil) {
        self.reason = reason
        self.message = message
        self.column = column
        self.source = source
    }

    /// `column N: message`, then the source and a caret under column N (tabs in the source are
    /// kept in the caret line so that the caret lines up).
    public var description: String {
        guard let column else { return message }
        var text = "column \(column): \(message)"
        if let source, !source.contains(where: \.isNewline) {
            let padding = source.prefix(column - 1).map { $0 == "\t" ? "\t" : " " }.joined()
            text += "\n  \(source)\n  \(padding)^"
        }
        return text
    }
}
