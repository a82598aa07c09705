import Testing
@testable import Expressions

/// Expressions have a size limit, errors about long ones show a window around the caret rather
/// than the whole text, `--at` values are decimal numbers, and results that are not finite say so.
@Suite struct ExpressionLimitTests {
    @Test func anExpressionOverTheLimitIsRefusedWithoutEchoingIt() throws {
        let source = String(repeating: "x+", count: Expression.maximumSourceBytes / 2) + "x"
        let error = try #require(throws: ExpressionError.self) { try Expression.parse(source) }
        #expect(error.reason == .tooLong)
        #expect(error.description == "the expression is \(source.utf8.count) bytes long, more than the limit of 1048576 bytes (1 MiB)")
        // Just within the limit parses.
        let within = String(repeating: "x+", count: Expression.maximumSourceBytes / 2 - 1) + "x"
        #expect(try Expression.parse(within).variables == ["x"])
    }

    @Test func anErrorInALongExpressionShowsAWindowAroundTheCaret() throws {
        let source = String(repeating: "x+", count: 50_000) + "*" + String(repeating: "+x", count: 50_000)
        let error = try #require(throws: ExpressionError.self) { try Expression.parse(source) }
        #expect(error.column == 100_001)
        let lines = error.description.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0] == "column 100001: expected an operand after '+', found '*'")
        #expect(lines[1] == "  …" + String(repeating: "x+", count: 20) + "*" + String(repeating: "+x", count: 20).dropLast() + "…")
        // The caret stands under the '*'.
        let caret = try #require(lines[2].firstIndex(of: "^"))
        let star = try #require(lines[1].firstIndex(of: "*"))
        #expect(lines[2].distance(from: lines[2].startIndex, to: caret) == lines[1].distance(from: lines[1].startIndex, to: star))
        #expect(error.description.count < 200)
    }

    @Test func shortSourcesAreShownWhole() throws {
        let error = try #require(throws: ExpressionError.self) { try Expression.parse("3*x^3 *") }
        #expect(error.description == "column 8: expected an operand after '*', found end of input\n  3*x^3 *\n         ^")
    }

    @Test func longNamesInMessagesAreCut() throws {
        let name = String(repeating: "v", count: 100_000)
        let error = try #require(throws: ExpressionError.self) { try Expression.parse("x \(name)") }
        #expect(error.message == "expected an operator between 'x' and '\(String(repeating: "v", count: 40))…'; write x*\(String(repeating: "v", count: 40))… for a product")
        let assignment = try #require(throws: ExpressionError.self) { try Expression.parseAssignments(["\(name)=abc"]) }
        #expect(assignment.message.count < 300)
    }

    @Test(arguments: ["0x10", "0x1p4", "1_0", "e5", "--1", "1e", "1.5.2"])
    func valuesAreDecimalNumbersOnly(text: String) throws {
        let error = try #require(throws: ExpressionError.self) { try Expression.parseAssignments(["x=\(text)"]) }
        #expect(error.message.hasPrefix("the value '\(text)' given for 'x' is not a number; expected a decimal number such as x=1.5"), "\(error.message)")
    }

    @Test func decimalValuesWithSignsAndExponentsAreRead() throws {
        #expect(try Expression.parseAssignments(["a=+1.5,b=-.5,c=2e-3,d=-0"]) == ["a": 1.5, "b": -0.5, "c": 0.002, "d": 0])
        for text in ["inf", "-Infinity", "nan"] {
            let error = try #require(throws: ExpressionError.self) { try Expression.parseAssignments(["x=\(text)"]) }
            #expect(error.message.contains("is not a finite number"), "\(error.message)")
        }
        let large = try #require(throws: ExpressionError.self) { try Expression.parseAssignments(["x=1e39"]) }
        #expect(large.message == "the value '1e39' given for 'x' is not a finite 32-bit float")
        // A value that rounds to 0 would move the point silently; one that stays a subnormal is kept.
        let tiny = try #require(throws: ExpressionError.self) { try Expression.parseAssignments(["x=1e-46"]) }
        #expect(tiny.message == "the value '1e-46' given for 'x' is too small for a 32-bit float: it would be 0 (the least is 1e-45)")
        // So is one that a Double reads as 0 too.
        for text in ["1e-400", "-3e-99999999999999999999"] {
            let tinier = try #require(throws: ExpressionError.self) { try Expression.parseAssignments(["x=\(text)"]) }
            #expect(tinier.message == "the value '\(text)' given for 'x' is too small for a 32-bit float: it would be 0 (the least is 1e-45)")
        }
        #expect(try Expression.parseAssignments(["x=1e-40,y=0e-99,z=0.000e-400"]) == ["x": Float("1e-40")!, "y": 0, "z": 0])
    }

    /// Each number, variable, negation, call, power and chained operator is one operation;
    /// parentheses are none.
    @Test(arguments: [
        ("x", 1), ("((x))", 1), ("-x", 2), ("sin(x)", 2), ("3*x^3 + x^2", 9), ("x+y*z", 5),
        ("2^3^2", 5), ("-sigmoid(x*y) / (1 - x)", 9),
    ])
    func operationsAreCountedOncePerNode(source: String, operations: Int) throws {
        #expect(try Expression.parse(source).operationCount == operations)
    }

    @Test func aLongChainsOperationsAreCountedWithoutRecursion() throws {
        let terms = 200_000
        let chain = try Expression.parse(Array(repeating: "x", count: terms).joined(separator: "+"))
        #expect(chain.operationCount == 2 * terms - 1)
        #expect(Expression.evaluationBytesPerOperation(order: 2) > Expression.evaluationBytesPerOperation(order: 1))
    }

    @Test func resultsThatAreNotFiniteAreNamed() throws {
        let log = try Expression.parse("log(x)").evaluate(at: ["x": 0], order: 2)
        #expect(log.nonFiniteDescription == "the value is -inf, d/dx is inf, d2/dx2 is -inf")
        #expect(log.jsonText == #"{"value": null, "gradient": {"x": null}, "second_derivative": {"x": null}}"#)
        #expect(try Expression.parse("x^2").evaluate(at: ["x": 3]).nonFiniteDescription == nil)
        let sqrt = try Expression.parse("sqrt(x) + y").evaluate(at: ["x": 0, "y": 1])
        #expect(sqrt.nonFiniteDescription == "d/dx is inf")
    }
}
