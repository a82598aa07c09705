import Autograd
import Testing
import _TestSupport
@testable import Expressions

/// Points to check each function at: those where its value is finite (log and sqrt skip the
/// negative one), all well away from the kinks of abs and relu at 0.
private let points: [Float] = [-1.3, 0.7, 2.1]

/// For every entry of the table, so that a new entry is checked without a new test: the value
/// `name(x)` evaluates to is the table's operation, and the first and second derivatives match
/// central differences of the value and of the first derivative,
///
///     f′(x) ≈ (f(x + h) − f(x − h)) / 2h,   f″(x) ≈ (f′(x + h) − f′(x − h)) / 2h,
///
/// with h = 2·10⁻³·max(|x|, 1) and the tolerances of ``checkGradient(_:of:at:relativeStep:rtol:atol:seed:sourceLocation:)``,
/// whose error analysis applies here too.
@Test(arguments: Expression.functions)
func everyFunctionMatchesFiniteDifferences(function: Expression.Function) throws {
    let f = try Expression.parse("\(function.name)(x)")
    let domain = points.filter { function(Tensor($0)).scalar.isFinite }
    #expect(domain.count >= 2, "\(function.name) is finite at only \(domain) of \(points)")
    for x in domain {
        let d = try f.evaluate(at: ["x": x], order: 2)
        #expect(d.value == function(Tensor(x)).scalar, "\(function.name)(\(x))")

        let h = 2e-3 * Swift.max(Swift.abs(x), 1)
        let (below, above) = (x - h, x + h)
        let (lower, upper) = (try f.evaluate(at: ["x": below]), try f.evaluate(at: ["x": above]))
        let step = Double(above) - Double(below)
        let first = (Double(upper.value) - Double(lower.value)) / step
        let second = (Double(upper.gradient["x"]!) - Double(lower.gradient["x"]!)) / step
        let gradient = try #require(d.gradient["x"])
        let secondDerivative = try #require(d.secondDerivatives?["x"])
        #expect(isClose(Double(gradient), first, rtol: 1e-2, atol: 1e-3),
                "d/dx \(function.name) at \(x): the tape gives \(gradient), finite differences \(first)")
        #expect(isClose(Double(secondDerivative), second, rtol: 1e-2, atol: 1e-3),
                "d2/dx2 \(function.name) at \(x): the tape gives \(secondDerivative), finite differences \(second)")
    }
}

@Test func theNamesAreDistinctIdentifiersFoundByName() {
    let names = Expression.functionNames
    #expect(names == Expression.functions.map(\.name))
    #expect(Set(names).count == names.count, "a name is given twice: \(names)")
    for name in names {
        #expect(name.first.map(Lexer.isIdentifierStart) == true && name.allSatisfy(Lexer.isIdentifierContinuation), "\(name)")
        #expect(Expression.function(named: name)?.name == name)
    }
    #expect(Expression.function(named: "cosh") == nil)
}

@Test func theUnknownFunctionErrorListsEveryFunction() throws {
    let error = try #require(throws: ExpressionError.self) { try Expression.parse("x * cosh(x)") }
    #expect(error.message == "unknown function 'cosh'; the functions are " + Expression.functionNames.joined(separator: ", "))
    #expect(Expression.functionNames.allSatisfy(error.message.contains))
}

@Test func noFunctionNameIsAVariable() {
    for name in Expression.functionNames {
        let error = #expect(throws: ExpressionError.self) { try Expression.parseAssignments(["\(name)=1"]) }
        #expect(error?.message == "'\(name)' is a function, not a variable; choose another name")
    }
}
