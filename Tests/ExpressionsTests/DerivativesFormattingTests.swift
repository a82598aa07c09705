import Testing
@testable import Expressions

@Test func numbersUseTheShortestFormWithoutATrailingPointZero() {
    #expect(Derivatives.format(920) == "920")
    #expect(Derivatives.format(182) == "182")
    #expect(Derivatives.format(-3) == "-3")
    #expect(Derivatives.format(1.5) == "1.5")
    #expect(Derivatives.format(0.1) == "0.1")
    #expect(Derivatives.format(-0.0) == "0")
    #expect(Derivatives.format(1e20) == "1e+20")
    #expect(Derivatives.format(1e-7) == "1e-07")
    #expect(Derivatives.format(.nan) == "nan")
    #expect(Derivatives.format(-.infinity) == "-inf")
}

@Test func plainTextIsTheBareDerivativeForOneVariableAndOrderOne() throws {
    let f = try Expression.parse("3*x^3 + x^2")
    #expect(try f.evaluate(at: ["x": 10]).plainText == "920")
    #expect(try f.evaluate(at: ["x": 10], order: 2).plainText == "d/dx = 920\nd2/dx2 = 182")
}

@Test func plainTextListsEachVariable() throws {
    let d = try Expression.parse("x*y").evaluate(at: ["x": 3, "y": -2], order: 2)
    #expect(d.plainText == "d/dx = -2\nd/dy = 3\nd2/dx2 = 0\nd2/dy2 = 0")
    #expect(try Expression.parse("2^3").evaluate(at: [:]).plainText == "value = 8")
}

@Test func jsonHasValueGradientAndOnlyForOrderTwoSecondDerivatives() throws {
    let f = try Expression.parse("3*x^3 + x^2 + 0*y")
    #expect(try f.evaluate(at: ["x": 10, "y": 1]).jsonText == #"{"value": 3100, "gradient": {"x": 920, "y": 0}}"#)
    #expect(try f.evaluate(at: ["x": 10, "y": 1], order: 2).jsonText
        == #"{"value": 3100, "gradient": {"x": 920, "y": 0}, "second_derivative": {"x": 182, "y": 0}}"#)
    let d = Derivatives(value: .nan, variables: ["x"], gradient: ["x": .infinity])
    #expect(d.jsonText == #"{"value": null, "gradient": {"x": null}}"#)
}
