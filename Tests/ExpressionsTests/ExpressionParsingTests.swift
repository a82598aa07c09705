import Testing
@testable import Expressions

/// The tree the parser builds, written with every operation in parentheses.
private func grouped(_ source: String) throws -> String {
    try Expression.parse(source).root.description
}

@Test func powerBindsTighterThanUnaryMinus() throws {
    #expect(try grouped("-x^2") == "(-(x ^ 2))")
    #expect(try grouped("(-x)^2") == "((-x) ^ 2)")
    #expect(try grouped("--x") == "(-(-x))")
}

@Test func powerIsRightAssociativeAndTakesASignedExponent() throws {
    #expect(try grouped("2^3^2") == "(2 ^ (3 ^ 2))")
    #expect(try grouped("2^-x^2") == "(2 ^ (-(x ^ 2)))")
    #expect(try Expression.parse("2^3^2").evaluate(at: [:]).value == 512)
}

@Test func productsBindTighterThanSumsAndBothAreLeftAssociative() throws {
    #expect(try grouped("2*-3") == "(2 * (-3))")
    #expect(try grouped("(1+2)*3") == "((1 + 2) * 3)")
    #expect(try grouped("1+2*3") == "(1 + (2 * 3))")
    #expect(try grouped("a-b-c") == "((a - b) - c)")
    #expect(try grouped("a/b/c") == "((a / b) / c)")
    #expect(try grouped("a-b*c^d") == "(a - (b * (c ^ d)))")
    #expect(try grouped("-a*b") == "((-a) * b)")
}

@Test func functionsTakeOneParenthesisedArgument() throws {
    #expect(try grouped("sin(x)^2") == "(sin(x) ^ 2)")
    #expect(try grouped("-exp(x+1)") == "(-exp(x + 1))")
    #expect(try grouped("relu(sigmoid(tanh(x)))") == "relu(sigmoid(tanh(x)))")
    for function in Expression.functions {
        let root = try Expression.parse("\(function.name)(y)").root
        #expect(root.kind == .call(function, Expression.Node(.variable("y"), column: function.name.count + 2)))
    }
}

@Test func numbersAcceptDecimalsAndExponents() throws {
    for (text, value) in [("3", Float(3)), ("0.25", 0.25), (".5", 0.5), ("2.", 2), ("1e-3", 0.001), ("2.5E+2", 250)] {
        #expect(try Expression.parse(text).root.kind == .number(value), "\(text)")
    }
}

@Test func nodesRecordTheirColumns() throws {
    let root = try Expression.parse("3*x^3 + x^2").root
    guard case .binary(.add, let left, let right) = root.kind else {
        Issue.record("expected a sum, got \(root)")
        return
    }
    #expect(root.column == 7)
    #expect(left.column == 2)   // the first '*'
    #expect(right.column == 10) // the second '^'
}

@Test func variablesAreListedInOrderOfFirstAppearance() throws {
    let expression = try Expression.parse("y*x + sin(y) - z_1/x")
    #expect(expression.variables == ["y", "x", "z_1"])
    #expect(try Expression.parse("2^3").variables.isEmpty)
}

@Test func deepButReasonableNestingParses() throws {
    let depth = Expression.maximumDepth - 2
    let source = String(repeating: "(", count: depth) + "x" + String(repeating: ")", count: depth)
    #expect(try Expression.parse(source).evaluate(at: ["x": 2]).gradient["x"] == 1)
}

@Test func aChainShowsItsLastOperationWithTheRestAsTheLeftOperand() throws {
    let root = try Expression.parse("a - b*c + d").root
    let (a, b, c, d) = (Expression.Node(.variable("a"), column: 1), Expression.Node(.variable("b"), column: 5),
                        Expression.Node(.variable("c"), column: 7), Expression.Node(.variable("d"), column: 11))
    let difference = Expression.Node(.binary(.subtract, a, Expression.Node(.binary(.multiply, b, c), column: 6)), column: 3)
    #expect(root == Expression.Node(.binary(.add, difference, d), column: 9))
    #expect(root.kind == .binary(.add, difference, d))
    #expect(try grouped("(a+b)*c - d/e") == "(((a + b) * c) - (d / e))")
}

@Test func longFlatChainsParseWithoutCountingAsDepth() throws {
    let terms = 10_000
    let sum = try Expression.parse("x" + String(repeating: " + x", count: terms - 1))
    let d = try sum.evaluate(at: ["x": 0.5], order: 2)
    #expect(d.value == 5_000)
    #expect(d.gradient == ["x": Float(terms)])
    #expect(d.secondDerivatives == ["x": 0])
    #expect(sum.root.description.hasPrefix(String(repeating: "(", count: terms - 1) + "x + x)"))

    let mixed = try Expression.parse("1" + String(repeating: " - x*y/2 + x*y/2", count: terms / 2))
    let e = try mixed.evaluate(at: ["x": 3, "y": 4])
    #expect(e.value == 1 && e.gradient == ["x": 0, "y": 0])

    // Inside the deepest nesting allowed, a chain is still only one level.
    let depth = Expression.maximumDepth - 1
    let nested = String(repeating: "(", count: depth) + "x" + String(repeating: "+x", count: terms - 1) + String(repeating: ")", count: depth)
    #expect(try Expression.parse(nested).evaluate(at: ["x": 1]).gradient == ["x": Float(terms)])
}
