extension Expression {
    /// Parses variable values written as `NAME=VALUE`, several to an argument separated by
    /// commas: `["x=1.5,y=-2", "z=3"]` gives x = 1.5, y = −2, z = 3.
    ///
    /// - Parameter arguments: the texts, e.g. the values of repeated `--at` options. Spaces
    ///   around names and values are ignored.
    /// - Returns: the value of each name.
    /// - Throws: ``ExpressionError`` with reason `.invalidAssignment` for an empty assignment, a
    ///   missing `=`, a name that is not an identifier or is a function's name, a value that is
    ///   not a finite number, or a name given twice.
    public static func parseAssignments(_ arguments: [String]) throws -> [String: Float] {
        var values: [String: Float] = [:]
        for argument in arguments {
            for piece in argument.split(separator: ",", omittingEmptySubsequences: false) {
                let assignment = piece.trimmingSpaces
                func fail(_ message: String) -> ExpressionError {
                    ExpressionError(.invalidAssignment, message)
                }
                guard !assignment.isEmpty else {
                    throw fail("empty assignment in '\(argument)'; expected NAME=VALUE pairs separated by commas, such as x=1.5,y=-2")
                }
                guard let equals = assignment.firstIndex(of: "=") else {
                    throw fail("the assignment '\(assignment)' has no value; expected NAME=VALUE, such as \(assignment)=1.5")
                }
                let name = assignment[..<equals].trimmingSpaces
                let valueText = assignment[assignment.index(after: equals)...].trimmingSpaces
                guard let first = name.first, Lexer.isIdentifierStart(first), name.allSatisfy(Lexer.isIdentifierContinuation) else {
                    throw fail("'\(name)' in '\(assignment)' is not a variable name; names are letters, digits and '_', not starting with a digit")
                }
                if Expression.function(named: name) != nil {
                    throw fail("'\(name)' is a function, not a variable; choose another name")
                }
                guard let value = Float(valueText) else {
                    throw fail("the value '\(valueText)' given for '\(name)' is not a number; expected e.g. \(name)=1.5 or \(name)=-2e-3")
                }
                guard value.isFinite else {
                    throw fail("the value '\(valueText)' given for '\(name)' is not a finite 32-bit float")
                }
                if let previous = values[name] {
                    throw fail("the variable '\(name)' is given twice (\(name)=\(Derivatives.format(previous)) and \(name)=\(valueText)); give each variable once")
                }
                values[name] = value
            }
        }
        return values
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
