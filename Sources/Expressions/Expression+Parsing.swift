/// The lexer and the recursive-descent parser behind ``Expression/parse(_:)``.
extension Expression {
    /// Parses `source` into an expression.
    ///
    /// - Parameter source: text such as `"3*x^3 + x^2"` or `"sin(x) * exp(-y/2)"`; spaces,
    ///   tabs and newlines between tokens are ignored.
    /// - Returns: the syntax tree and the variables in order of first appearance.
    /// - Throws: ``ExpressionError`` naming the 1-based column and what was expected, for an
    ///   empty expression, a missing operand, unbalanced parentheses, two operands with no
    ///   operator between them (`x y`), an unknown function, a malformed number, an unexpected
    ///   character, nesting deeper than ``maximumDepth``, or (without a column) a source longer
    ///   than ``maximumSourceBytes``.
    ///
    /// ```swift
    /// let f = try Expression.parse("-x^2")
    /// f.root.description   // "(-(x ^ 2))"
    /// ```
    public static func parse(_ source: String) throws -> Expression {
        let size = source.utf8.count
        guard size <= maximumSourceBytes else {
            throw ExpressionError(.tooLong, "the expression is \(size) bytes long, more than the limit of \(maximumSourceBytes) bytes (1 MiB)")
        }
        let tokens = try Lexer(source: source).tokens()
        var parser = Parser(source: source, tokens: tokens)
        let root = try parser.parseExpression()
        return Expression(source: source, root: root, variables: parser.variables, firstColumns: parser.firstColumns)
    }
}

/// One token of the source.
struct Token {
    enum Kind: Equatable {
        case number(Float)
        case identifier(String)
        /// One of `+ - * / ^ ( ) ,`.
        case symbol(Character)
        case end
    }

    let kind: Kind
    /// The characters the token was read from.
    let text: String
    /// 1-based column of its first character.
    let column: Int

    /// How error messages name the token.
    var described: String {
        switch kind {
        case .number: return "number '\(ExpressionError.excerpt(text))'"
        case .identifier: return "'\(ExpressionError.excerpt(text))'"
        case .symbol: return "'\(text)'"
        case .end: return "end of input"
        }
    }

    /// Whether the token can begin an operand (so that, after an operand, it shows a missing
    /// operator).
    var beginsOperand: Bool {
        switch kind {
        case .number, .identifier, .symbol("("): return true
        default: return false
        }
    }
}

/// Splits the source into tokens, by columns of Swift `Character`s.
struct Lexer {
    let source: String
    let characters: [Character]

    init(source: String) {
        self.source = source
        self.characters = Array(source)
    }

    func tokens() throws -> [Token] {
        var tokens: [Token] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let start = index
            if character.isWhitespace {
                index += 1
            } else if character.isASCII, character.isNumber || character == "." {
                index = try scanNumber(from: start)
                let text = String(characters[start..<index])
                guard let value = Float(text), value.isFinite else {
                    throw error("number '\(ExpressionError.excerpt(text))' is too large for a 32-bit float", at: start)
                }
                if value == 0, Lexer.writesNonzero(text) {
                    throw error("number '\(ExpressionError.excerpt(text))' is too small for a 32-bit float: it would be 0 (the least is \(Float.leastNonzeroMagnitude))", at: start)
                }
                tokens.append(Token(kind: .number(value), text: text, column: start + 1))
            } else if Lexer.isIdentifierStart(character) {
                while index < characters.count, Lexer.isIdentifierContinuation(characters[index]) { index += 1 }
                let name = String(characters[start..<index])
                tokens.append(Token(kind: .identifier(name), text: name, column: start + 1))
            } else if "+-*/^(),".contains(character) {
                tokens.append(Token(kind: .symbol(character), text: String(character), column: start + 1))
                index += 1
            } else {
                throw error("unexpected character '\(ExpressionError.shown(character))'; expected a number, a variable, a function call, an operator (+ - * / ^) or a parenthesis", at: start)
            }
        }
        tokens.append(Token(kind: .end, text: "", column: characters.count + 1))
        return tokens
    }

    /// Reads `digits [. digits] [(e|E) [+|-] digits]` (or `. digits ...`) and returns the index
    /// after it.
    func scanNumber(from start: Int) throws -> Int {
        var index = start
        func skipDigits() -> Int {
            let first = index
            while index < characters.count, characters[index].isASCII, characters[index].isNumber { index += 1 }
            return index - first
        }
        var digits = skipDigits()
        if index < characters.count, characters[index] == "." {
            index += 1
            digits += skipDigits()
        }
        guard digits > 0 else {
            throw error("expected a digit before or after '.'", at: start)
        }
        if index < characters.count, characters[index] == "e" || characters[index] == "E" {
            let exponentMark = index
            index += 1
            if index < characters.count, characters[index] == "+" || characters[index] == "-" { index += 1 }
            guard skipDigits() > 0 else {
                throw error("expected the digits of the exponent after '\(ExpressionError.excerpt(String(characters[start...exponentMark])))', as in 1e-3", at: index)
            }
        }
        if index < characters.count, characters[index] == "." {
            throw error("malformed number '\(ExpressionError.excerpt(String(characters[start...index])))'; a number has at most one decimal point", at: index)
        }
        if index < characters.count, Lexer.isIdentifierStart(characters[index]) {
            throw error("malformed number '\(ExpressionError.excerpt(String(characters[start...index])))'; write an operator between a number and a name, as in 2*x", at: index)
        }
        return index
    }

    private func error(_ message: String, at index: Int) -> ExpressionError {
        ExpressionError(.syntax, message, column: index + 1, source: source)
    }

    /// Whether the decimal number `text` has a non-zero digit before its exponent: it is not 0,
    /// even where it reads as 0 in a `Float` or a `Double` (`1e-46`, `1e-400`).
    static func writesNonzero(_ text: some StringProtocol) -> Bool {
        text.prefix(while: { $0 != "e" && $0 != "E" }).contains(where: { ("1"..."9").contains($0) })
    }

    static func isIdentifierStart(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c == "_")
    }

    static func isIdentifierContinuation(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "_")
    }
}

/// A recursive-descent parser, one method per precedence level (see ``Expression``'s grammar).
struct Parser {
    let source: String
    let tokens: [Token]
    var position = 0
    /// How many `unary` levels are open: every nesting (parentheses, calls, unary minus, the
    /// right side of `^`) passes through ``parseUnary()``, so this bounds the recursion. The
    /// operands of a chain of `+ - * /` are read in a loop, side by side, at one level.
    var depth = 0
    var variables: [String] = []
    var firstColumns: [String: Int] = [:]

    init(source: String, tokens: [Token]) {
        self.source = source
        self.tokens = tokens
    }

    var next: Token { tokens[position] }

    mutating func advance() -> Token {
        defer { position += 1 }
        return tokens[position]
    }

    func error(_ message: String, at column: Int, reason: ExpressionError.Reason = .syntax) -> ExpressionError {
        ExpressionError(reason, message, column: column, source: source)
    }

    /// The whole source: one `sum` and then the end.
    mutating func parseExpression() throws -> Expression.Node {
        if next.kind == .end {
            throw error("the expression is empty; expected a number, a variable, a function call or '('", at: next.column)
        }
        let root = try parseSum()
        guard next.kind == .end else {
            if next.kind == .symbol(")") {
                throw error("unmatched ')': no '(' is open here", at: next.column)
            }
            if next.beginsOperand {
                let previous = tokens[position - 1]
                throw error("expected an operator between \(previous.described) and \(next.described); write \(ExpressionError.excerpt(previous.text))*\(ExpressionError.excerpt(next.text)) for a product", at: next.column)
            }
            throw error("unexpected \(next.described); expected an operator or the end of the expression", at: next.column)
        }
        return root
    }

    /// A `sum`, read in a loop into one chain: its length costs no depth.
    mutating func parseSum() throws -> Expression.Node {
        var chain = Expression.Node.ChainBuilder(try parseProduct())
        while case .symbol(let symbol) = next.kind, symbol == "+" || symbol == "-" {
            let op = advance()
            chain.append(symbol == "+" ? .add : .subtract, try parseProduct(), column: op.column)
        }
        return chain.node
    }

    /// A `product`, read in a loop into one chain: its length costs no depth.
    mutating func parseProduct() throws -> Expression.Node {
        var chain = Expression.Node.ChainBuilder(try parseUnary())
        while case .symbol(let symbol) = next.kind, symbol == "*" || symbol == "/" {
            let op = advance()
            chain.append(symbol == "*" ? .multiply : .divide, try parseUnary(), column: op.column)
        }
        return chain.node
    }

    mutating func parseUnary() throws -> Expression.Node {
        depth += 1
        defer { depth -= 1 }
        if depth > Expression.maximumDepth {
            throw error("the expression nests more than \(Expression.maximumDepth) levels deep (parentheses, calls, unary minus and powers); simplify it", at: next.column, reason: .tooDeep)
        }
        if next.kind == .symbol("-") {
            let minus = advance()
            return Expression.Node(.negation(try parseUnary()), column: minus.column)
        }
        return try parsePower()
    }

    mutating func parsePower() throws -> Expression.Node {
        let base = try parsePrimary()
        guard next.kind == .symbol("^") else { return base }
        let caret = advance()
        // The exponent is a `unary`: `2^-x` is allowed, and `2^3^2` recurses to the right.
        return Expression.Node(.binary(.power, base, try parseUnary()), column: caret.column)
    }

    mutating func parsePrimary() throws -> Expression.Node {
        let token = next
        switch token.kind {
        case .number(let value):
            position += 1
            return Expression.Node(.number(value), column: token.column)

        case .identifier(let name):
            position += 1
            let function = Expression.function(named: name)
            if next.kind == .symbol("(") {
                guard let function else {
                    let known = Expression.functionNames.joined(separator: ", ")
                    throw error("unknown function '\(ExpressionError.excerpt(name))'; the functions are \(known)", at: token.column, reason: .unknownFunction(name))
                }
                let open = advance()
                let argument = try parseSum()
                try expectClose(opening: open, what: "the call to '\(name)'")
                return Expression.Node(.call(function, argument), column: token.column)
            }
            if function != nil {
                throw error("expected '(' after the function '\(name)', found \(next.described); write \(name)(x)", at: next.column)
            }
            if firstColumns[name] == nil {
                firstColumns[name] = token.column
                variables.append(name)
            }
            return Expression.Node(.variable(name), column: token.column)

        case .symbol("("):
            let open = advance()
            let inner = try parseSum()
            try expectClose(opening: open, what: "the '(' at column \(open.column)")
            return inner

        default:
            let found = token.kind == .symbol(")") && position > 0 && tokens[position - 1].kind == .symbol("(")
                ? "')' (empty parentheses)" : token.described
            if position == 0 {
                throw error("expected an operand (a number, a variable, a function call or '('), found \(found)", at: token.column)
            }
            throw error("expected an operand after \(tokens[position - 1].described), found \(found)", at: token.column)
        }
    }

    mutating func expectClose(opening: Token, what: String) throws {
        if next.kind == .symbol(")") {
            position += 1
            return
        }
        if next.beginsOperand {
            let previous = tokens[position - 1]
            throw error("expected an operator or ')' between \(previous.described) and \(next.described)", at: next.column)
        }
        let hint = next.kind == .symbol(",") ? "; functions take one argument" : ""
        throw error("expected ')' to close \(what), found \(next.described)\(hint)", at: next.column)
    }
}
