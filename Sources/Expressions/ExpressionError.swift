import Storage

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
        /// The expression is longer than ``Expression/maximumSourceBytes``.
        case tooLong
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
    /// kept in the caret line so that the caret lines up). A source longer than
    /// 2 × ``windowRadius`` characters is shown as a window of that many characters either side
    /// of the caret, with `…` where it is cut.
    public var description: String {
        guard let column else { return message }
        var text = "column \(column): \(message)"
        if let source, !source.contains(where: \.isNewline) {
            let (window, caret) = Self.window(of: source, around: column)
            // Control characters are shown escaped, and the caret moves past their escapes.
            let shown = window.map(Self.shown)
            let padding = zip(window, shown).prefix(caret).map { $0 == "\t" ? "\t" : String(repeating: " ", count: $1.count) }.joined()
            text += "\n  \(shown.joined())\n  \(padding)^"
        }
        return text
    }

    /// `character` as a message shows it: a control character other than a tab (an escape
    /// sequence would act on the terminal, a NUL end a C string) or a line or paragraph
    /// separator as its Swift escape, `\u{1B}`, as Storage's `quoted(_:limit:)` shows text.
    static func shown(_ character: Character) -> String {
        character == "\t" ? "\t" : quoted(String(character), limit: 1)
    }

    /// Characters of the source shown on each side of the caret.
    public static let windowRadius = 40

    /// The part of `source` shown around 1-based `column`, and the caret's offset in it.
    static func window(of source: String, around column: Int) -> (text: String, caret: Int) {
        let characters = Array(source)
        guard characters.count > 2 * windowRadius else { return (source, column - 1) }
        let caret = Swift.min(Swift.max(column - 1, 0), characters.count)
        let start = Swift.max(0, caret - windowRadius)
        let end = Swift.min(characters.count, caret + windowRadius)
        var text = String(characters[start..<end])
        var offset = caret - start
        if start > 0 { text = "…" + text; offset += 1 }
        if end < characters.count { text += "…" }
        return (text, offset)
    }

    /// `text` as a message quotes it: whole up to 40 characters, else its start and `…`, so that
    /// an error about a 100 KB name does not echo it; control characters escaped.
    static func excerpt(_ text: some StringProtocol) -> String {
        let shown = text.prefix(40).map(Self.shown).joined()
        return text.count <= 40 ? shown : shown + "…"
    }
}
