import Foundation
import Testing
@testable import Expressions

/// Foundation has an `Expression` type of its own on some platforms.
private typealias Expression = Expressions.Expression

/// Whether `actual` is within `tolerance` of `expected`, relative to its size (absolute near 0).
private func isClose(_ actual: Float?, _ expected: Double, tolerance: Double = 1e-5) -> Bool {
    guard let actual else { return false }
    return Swift.abs(Double(actual) - expected) <= tolerance * Swift.max(1, Swift.abs(expected))
}

@Test func theLectureExampleIsExact() throws {
    let d = try Expression.parse("3*x^3 + x^2").evaluate(at: ["x": 10], order: 2)
    #expect(d.value == 3100)
    #expect(d.gradient == ["x": 920])
    #expect(d.secondDerivatives == ["x": 182])
    #expect(try Expression.parse("3*x^3 + x^2").evaluate(at: ["x": 10]).secondDerivatives == nil)
}

@Test func partialDerivativesOfSeveralVariables() throws {
    let (x, y) = (1.5, -2.0)
    let d = try Expression.parse("x*y + sin(x)").evaluate(at: ["x": Float(x), "y": Float(y)], order: 2)
    #expect(d.variables == ["x", "y"])
    #expect(isClose(d.value, x * y + Foundation.sin(x)))
    #expect(isClose(d.gradient["x"], y + Foundation.cos(x)))
    #expect(isClose(d.gradient["y"], x))
    #expect(isClose(d.secondDerivatives?["x"], -Foundation.sin(x)))
    #expect(d.secondDerivatives?["y"] == 0)
}

@Test func quotientsPowersAndNegation() throws {
    let (x, y) = (2.0, 3.0)
    let d = try Expression.parse("-x^2/y + y^x - 2^-x").evaluate(at: ["x": Float(x), "y": Float(y)], order: 2)
    #expect(isClose(d.value, -x * x / y + Foundation.pow(y, x) - Foundation.pow(2, -x)))
    #expect(isClose(d.gradient["x"], -2 * x / y + Foundation.pow(y, x) * Foundation.log(y) + Foundation.pow(2, -x) * Foundation.log(2)))
    #expect(isClose(d.gradient["y"], x * x / (y * y) + x * Foundation.pow(y, x - 1)))
    #expect(isClose(d.secondDerivatives?["x"], -2 / y + Foundation.pow(y, x) * Foundation.log(y) * Foundation.log(y) - Foundation.pow(2, -x) * Foundation.log(2) * Foundation.log(2)))
    #expect(isClose(d.secondDerivatives?["y"], -2 * x * x / (y * y * y) + x * (x - 1) * Foundation.pow(y, x - 2)))
}

/// Each function's value, first and second derivative at a point, by hand.
@Test(arguments: [
    ("exp", 0.5, Foundation.exp(0.5), Foundation.exp(0.5), Foundation.exp(0.5)),
    ("log", 0.5, Foundation.log(0.5), 2.0, -4.0),
    ("sqrt", 0.25, 0.5, 1.0, -2.0),
    ("abs", -0.5, 0.5, -1.0, 0.0),
    ("abs", 0.5, 0.5, 1.0, 0.0),
    ("sin", 0.5, Foundation.sin(0.5), Foundation.cos(0.5), -Foundation.sin(0.5)),
    ("cos", 0.5, Foundation.cos(0.5), -Foundation.sin(0.5), -Foundation.cos(0.5)),
    ("tanh", 0.5, Foundation.tanh(0.5), 1 - Foundation.tanh(0.5) * Foundation.tanh(0.5),
        -2 * Foundation.tanh(0.5) * (1 - Foundation.tanh(0.5) * Foundation.tanh(0.5))),
    ("sigmoid", 0.5, 1 / (1 + Foundation.exp(-0.5)), sigmoidDerivative(0.5),
        sigmoidDerivative(0.5) * (1 - 2 / (1 + Foundation.exp(-0.5)))),
    ("relu", 0.5, 0.5, 1.0, 0.0),
    ("relu", -0.5, 0.0, 0.0, 0.0),
])
func everyFunctionHasTheRightDerivatives(function: String, x: Double, value: Double, first: Double, second: Double) throws {
    let d = try Expression.parse("\(function)(x)").evaluate(at: ["x": Float(x)], order: 2)
    #expect(isClose(d.value, value), "\(function)(\(x)) = \(d.value)")
    #expect(isClose(d.gradient["x"], first), "d/dx \(function) at \(x): \(d.gradient)")
    #expect(isClose(d.secondDerivatives?["x"], second), "d2/dx2 \(function) at \(x): \(String(describing: d.secondDerivatives))")
}

private func sigmoidDerivative(_ x: Double) -> Double {
    let s = 1 / (1 + Foundation.exp(-x))
    return s * (1 - s)
}

@Test func theChainRuleThroughFunctions() throws {
    let x = 0.7
    let d = try Expression.parse("exp(sin(x)^2)").evaluate(at: ["x": Float(x)])
    let value = Foundation.exp(Foundation.sin(x) * Foundation.sin(x))
    #expect(isClose(d.value, value))
    #expect(isClose(d.gradient["x"], value * 2 * Foundation.sin(x) * Foundation.cos(x)))
}

@Test func unusedVariablesHaveDerivativeZeroAndComeLastSorted() throws {
    let d = try Expression.parse("x^2").evaluate(at: ["x": 3, "b": 1, "a": 2], order: 2)
    #expect(d.variables == ["x", "a", "b"])
    #expect(d.gradient == ["x": 6, "a": 0, "b": 0])
    #expect(d.secondDerivatives == ["x": 2, "a": 0, "b": 0])
}

@Test func aVariableAloneAndAConstantExpression() throws {
    let alone = try Expression.parse("x").evaluate(at: ["x": 4], order: 2)
    #expect(alone.value == 4 && alone.gradient == ["x": 1] && alone.secondDerivatives == ["x": 0])
    let constant = try Expression.parse("(1 + 2) * 3").evaluate(at: [:], order: 2)
    #expect(constant.value == 9 && constant.variables.isEmpty)
}
