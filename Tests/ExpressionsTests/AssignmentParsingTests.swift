import Testing
@testable import Expressions

@Test func assignmentsAreCommaSeparatedAndMayBeRepeated() throws {
    #expect(try Expression.parseAssignments(["x=1.5,y=-2", " z = 1e-3 "]) == ["x": 1.5, "y": -2, "z": 0.001])
    #expect(try Expression.parseAssignments([]) == [:])
}

@Test(arguments: [
    (["x"], "has no value"),
    (["x=abc"], "'abc' given for 'x' is not a number"),
    (["x="], "is not a number"),
    (["=1"], "is not a variable name"),
    (["1x=2"], "'1x' in '1x=2' is not a variable name"),
    (["x=1,,y=2"], "empty assignment"),
    (["x=1,"], "empty assignment"),
    (["x=1", "x=2"], "'x' is given twice (x=1 and x=2)"),
    (["x=1,x=1"], "given twice"),
    (["sin=1"], "'sin' is a function"),
    (["x=inf"], "not a finite"),
    (["x=nan"], "not a finite"),
])
func badAssignmentsAreExplained(arguments: [String], message: String) throws {
    let error = try #require(throws: ExpressionError.self) { try Expression.parseAssignments(arguments) }
    #expect(error.reason == .invalidAssignment)
    #expect(error.message.contains(message), "\(error.message)")
}
