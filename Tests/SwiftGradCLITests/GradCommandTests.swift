import Expressions
import Foundation
import Testing

@Test func gradPrintsTheLectureDerivative() throws {
    let run = try swiftgrad("grad", "3*x^3 + x^2", "--at", "x=10")
    #expect(run.status == 0, "\(run.standardError)")
    #expect(run.standardOutput == "920\n")
}

@Test func gradPrintsJSONWithSecondDerivatives() throws {
    let run = try swiftgrad("grad", "3*x^3 + x^2", "--at", "x=10", "--order", "2", "--json")
    #expect(run.status == 0, "\(run.standardError)")
    #expect(run.standardOutput == #"{"value": 3100, "gradient": {"x": 920}, "second_derivative": {"x": 182}}"# + "\n")
}

@Test func gradPrintsOneLinePerVariable() throws {
    let run = try swiftgrad("grad", "x*y", "--at", "x=3", "--at", "y=-2")
    #expect(run.status == 0, "\(run.standardError)")
    #expect(run.standardOutput == "d/dx = -2\nd/dy = 3\n")
}

@Test func aMalformedExpressionFailsWithTheColumnOnStandardError() throws {
    let run = try swiftgrad("grad", "3*x^3 *", "--at", "x=10")
    #expect(run.status != 0)
    #expect(run.standardOutput.isEmpty)
    #expect(run.standardError.contains("error: column 8: expected an operand after '*', found end of input"))
}

@Test func aMissingOrBadValueFails() throws {
    let missing = try swiftgrad("grad", "x + y", "--at", "x=1")
    #expect(missing.status != 0)
    #expect(missing.standardError.contains("column 5: no value given for the variable 'y'"))
    let bad = try swiftgrad("grad", "x", "--at", "x=abc")
    #expect(bad.status != 0)
    #expect(bad.standardError.contains("'abc'"))
    let order = try swiftgrad("grad", "x", "--at", "x=1", "--order", "3")
    #expect(order.status != 0)
    #expect(order.standardError.contains("--order must be 1 or 2"))
}

@Test func theHelpListsEveryFunction() throws {
    let run = try swiftgrad("grad", "--help")
    #expect(run.status == 0, "\(run.standardError)")
    // The help is wrapped to the terminal's width; read it as one line.
    let text = run.standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    let functions = Expressions.Expression.functionNames.joined(separator: " ")
    #expect(text.contains("parentheses and the functions \(functions). "), "\(run.standardOutput)")
}
