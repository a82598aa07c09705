extension Expression {
    /// Whether `name` can name a variable of an expression: letters, digits and `_`, not
    /// starting with a digit (a function's name, such as `sin`, is such a name too).
    public static func isVariableName(_ name: some StringProtocol) -> Bool {
        guard let first = name.first, Lexer.isIdentifierStart(first) else { return false }
        return name.allSatisfy(Lexer.isIdentifierContinuation)
    }

    /// Parses variable values written as `NAME=VALUE`, several to an argument separated by
    /// commas: `["x=1.5,y=-2", "z=3"]` gives x = 1.5, y = −2, z = 3.
    ///
    /// - Parameter arguments: the texts, e.g. the values of repeated `--at` options. Spaces
    ///   around names and values are ignored.
    /// - Returns: the value of each name.
    /// - Throws: ``ExpressionError`` with reason `.invalidAssignment` for an empty assignment, a
    ///   missing `=`, a name that is not an identifier or is a function's name, a value that is
    ///   not a finite number written in decimal (`0x10`, `inf` and `nan`, which `Float(_:)`
    ///   reads, are refused), or a name given twice.
    public static func parseAssignments(_ arguments: [String]) throws -> [String: Float] {
        var values: [String: Float] = [:]
        for argument in arguments {
            for piece in argument.split(separator: ",", omittingEmptySubsequences: false) {
                let assignment = piece.trimmingSpaces
                func fail(_ message: String) -> ExpressionError {
                    ExpressionError(.invalidAssignment, message)
                }
                func short(_ text: some StringProtocol) -> String { ExpressionError.excerpt(text) }
                guard !assignment.isEmpty else {
                    throw fail("empty assignment in '\(short(argument))'; expected NAME=VALUE pairs separated by commas, such as x=1.5,y=-2")
                }
                guard let equals = assignment.firstIndex(of: "=") else {
                    throw fail("the assignment '\(short(assignment))' has no value; expected NAME=VALUE, such as \(short(assignment))=1.5")
                }
                let name = assignment[..<equals].trimmingSpaces
                let valueText = assignment[assignment.index(after: equals)...].trimmingSpaces
                guard isVariableName(name) else {
                    throw fail("'\(short(name))' in '\(short(assignment))' is not a variable name; names are letters, digits and '_', not starting with a digit")
                }
                if Expression.function(named: name) != nil {
                    throw fail("'\(name)' is a function, not a variable; choose another name")
                }
                guard isDecimalNumber(valueText), let value = Float(valueText) else {
                    let word = valueText.lowercased().trimmingCharacters(in: "+-")
                    if ["inf", "infinity", "nan"].contains(word) {
                        throw fail("the value '\(valueText)' given for '\(short(name))' is not a finite number; expected e.g. \(short(name))=1.5")
                    }
                    throw fail("the value '\(short(valueText))' given for '\(short(name))' is not a number; expected a decimal number such as \(short(name))=1.5 or \(short(name))=-2e-3")
                }
                guard value.isFinite else {
                    throw fail("the value '\(short(valueText))' given for '\(short(name))' is not a finite 32-bit float")
                }
                if value == 0, Lexer.writesNonzero(valueText) {
                    throw fail("the value '\(short(valueText))' given for '\(short(name))' is too small for a 32-bit float: it would be 0 (the least is \(Float.leastNonzeroMagnitude))")
                }
                if let previous = values[name] {
                    throw fail("the variable '\(short(name))' is given twice (\(short(name))=\(Derivatives.format(previous)) and \(short(name))=\(short(valueText))); give each variable once")
                }
                values[name] = value
            }
        }
        return values
    }
}

/// Whether `text` is a decimal number as the expression grammar writes one, with an optional
/// sign: `1`, `-2.5`, `.5`, `+1e-3`; not `0x10`, `inf`, `nan` or `1_000`.
func isDecimalNumber(_ text: String) -> Bool {
    var body = Substring(text)
    if body.first == "+" || body.first == "-" { body = body.dropFirst() }
    let lexer = Lexer(source: String(body))
    guard let first = lexer.characters.first, first.isASCII, first.isNumber || first == "." else { return false }
    guard let end = try? lexer.scanNumber(from: 0) else { return false }
    return end == lexer.characters.count
}

extension String {
    /// The string without leading and trailing characters of `set`.
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let characters = Array(self)
        guard let start = characters.firstIndex(where: { !$0.isWhitespace }),
              let end = characters.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(characters[start...end])
    }
}
