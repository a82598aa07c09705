import Testing
@testable import Expressions

/// The error `source` fails to parse with.
private func parseError(_ source: String, sourceLocation: SourceLocation = #_sourceLocation) -> ExpressionError? {
    do {
        let expression = try Expression.parse(source)
        Issue.record("'\(source)' parsed as \(expression.root)", sourceLocation: sourceLocation)
        return nil
    } catch let error as ExpressionError {
        return error
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

@Test(arguments: [
    ("3*x^3 *", 8, "expected an operand after '*', found end of input"),
    ("", 1, "the expression is empty"),
    ("   ", 4, "the expression is empty"),
    ("(x+1", 5, "expected ')' to close the '(' at column 1, found end of input"),
    ("x+1)", 4, "unmatched ')'"),
    ("sin(x", 6, "expected ')' to close the call to 'sin'"),
    ("x y", 3, "expected an operator between 'x' and 'y'"),
    ("(x+1)(x-1)", 6, "expected an operator between ')' and '('"),
    ("(x y)", 4, "expected an operator or ')' between 'x' and 'y'"),
    ("foo(x)", 1, "unknown function 'foo'"),
    ("x + sin x", 9, "expected '(' after the function 'sin'"),
    ("1 + 2 )", 7, "unmatched ')'"),
    ("2 * (3 + )", 10, "expected an operand after '+', found ')'"),
    ("()", 2, "empty parentheses"),
    ("* x", 1, "expected an operand"),
    ("x + #", 5, "unexpected character '#'"),
    ("1e+", 4, "expected the digits of the exponent"),
    ("2x", 2, "malformed number '2x'"),
    ("1.2.3", 4, "malformed number '1.2.'; a number has at most one decimal point"),
    ("1e39", 1, "too large"),
    ("x + 1e-46", 5, "number '1e-46' is too small for a 32-bit float: it would be 0"),
    // Below a Double's range too, where a Double reads them as 0 as well.
    ("x + 1e-400", 5, "number '1e-400' is too small for a 32-bit float: it would be 0"),
    ("x * 2.5e-99999999999999999999", 5, "number '2.5e-99999999999999999999' is too small for a 32-bit float: it would be 0"),
    ("sin(x, y)", 6, "functions take one argument"),
    ("x ^", 4, "expected an operand after '^', found end of input"),
    ("+x", 1, "expected an operand"),
])
func malformedExpressionsNameTheColumnAndWhatWasExpected(source: String, column: Int, message: String) throws {
    let error = try #require(parseError(source))
    #expect(error.column == column, "\(error)")
    #expect(error.message.contains(message), "\(error)")
    #expect(error.reason != .tooDeep)
}

@Test func unknownFunctionsAreReportedByName() throws {
    let error = try #require(parseError("x * cosh(x)"))
    #expect(error.reason == .unknownFunction("cosh"))
    #expect(error.column == 5)
}

@Test func theDescriptionShowsTheSourceWithACaretUnderTheColumn() throws {
    let error = try #require(parseError("3*x^3*"))
    #expect(error.description == """
        column 7: expected an operand after '*', found end of input
          3*x^3*
                ^
        """)
}

/// Control characters reach neither the message nor the source line raw (an escape sequence
/// would act on the terminal); the caret moves past their escapes.
@Test func controlCharactersAreShownEscapedWithTheCaretAfterThem() throws {
    let error = try #require(parseError("x\u{1B}[2J y"))
    #expect(error.description == #"""
        column 2: unexpected character '\u{1B}'; expected a number, a variable, a function call, an operator (+ - * / ^) or a parenthesis
          x\u{1B}[2J y
           ^
        """#)
    let name = try #require(parseError("sin\u{0}x (1)"))
    #expect(!name.description.contains("\u{0}"), "\(name.description)")
}

@Test func pathologicalNestingIsRefusedWithoutOverflowingTheStack() throws {
    for source in [
        String(repeating: "(", count: 100_000) + "x",
        String(repeating: "-", count: 100_000) + "x",
        String(repeating: "2^", count: 100_000) + "x",
        String(repeating: "sin(", count: 100_000) + "x",
        "x" + String(repeating: "+(x", count: 100_000),
    ] {
        let error = try #require(parseError(source))
        #expect(error.reason == .tooDeep, "\(error.message)")
    }
}

@Test func nestingOneLevelPastTheLimitIsRefusedWhereItBegins() throws {
    let limit = Expression.maximumDepth
    // Each '(' opens a level, and the operand inside it one more.
    _ = try Expression.parse(String(repeating: "(", count: limit - 1) + "x" + String(repeating: ")", count: limit - 1))
    let error = try #require(parseError(String(repeating: "(", count: limit) + "x" + String(repeating: ")", count: limit)))
    #expect(error.reason == .tooDeep)
    #expect(error.column == limit + 1)
    #expect(error.message == "the expression nests more than \(limit) levels deep (parentheses, calls, unary minus and powers); simplify it")
}

@Test func aLongFlatSumIsNotTooDeep() throws {
    let source = "x" + String(repeating: "+x", count: 100_000)
    #expect(try Expression.parse(source).variables == ["x"])
}

@Test func unknownVariablesAreReportedAtTheirFirstAppearance() throws {
    let expression = try Expression.parse("x * y + y")
    let error = try #require(throws: ExpressionError.self) { try expression.evaluate(at: ["x": 1]) }
    #expect(error.reason == .missingValue(variable: "y"))
    #expect(error.column == 5)
    #expect(error.description.hasPrefix("column 5: no value given for the variable 'y'"))
}

@Test func onlyOrdersOneAndTwoAreSupported() throws {
    let expression = try Expression.parse("x")
    for order in [0, 3] {
        let error = try #require(throws: ExpressionError.self) { try expression.evaluate(at: ["x": 1], order: order) }
        #expect(error.reason == .unsupportedOrder(order))
    }
}
