import Testing
import Autograd
import _TestSupport

/// Finite-difference checks of the elementwise functions, over several shapes, at inputs in
/// their domains and away from their kinks.
@Suite struct MathGradientTests {
    /// A unary op, the range its inputs are drawn from, and whether they must avoid 0.
    struct Case: CustomStringConvertible, Sendable {
        let name: String
        let range: ClosedRange<Float>
        let avoidZero: Bool
        let op: @Sendable (Tensor) -> Tensor
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "exp", range: -2...2, avoidZero: false) { $0.exp() },
        Case(name: "log", range: 0.3...3, avoidZero: false) { $0.log() },
        Case(name: "sqrt", range: 0.3...3, avoidZero: false) { $0.sqrt() },
        Case(name: "abs", range: 0.2...2, avoidZero: true) { $0.abs() },
        Case(name: "sin", range: -3...3, avoidZero: false) { $0.sin() },
        Case(name: "cos", range: -3...3, avoidZero: false) { $0.cos() },
        Case(name: "tanh", range: -2...2, avoidZero: false) { $0.tanh() },
        Case(name: "sigmoid", range: -4...4, avoidZero: false) { $0.sigmoid() },
        Case(name: "relu", range: 0.2...2, avoidZero: true) { $0.relu() },
        Case(name: "softplus", range: 0.2...3, avoidZero: true) { $0.softplus() },
        Case(name: "softplus of large values", range: 20...30, avoidZero: false) { $0.softplus() },
        Case(name: "squared", range: -2...2, avoidZero: false) { $0.squared() },
        Case(name: "pow(3)", range: -2...2, avoidZero: false) { $0.pow(3) },
        Case(name: "pow(0.5)", range: 0.3...3, avoidZero: false) { $0.pow(0.5) },
        Case(name: "pow(-1.5)", range: 0.5...3, avoidZero: false) { $0.pow(-1.5) },
        Case(name: "pow(2.7)", range: 0.3...3, avoidZero: false) { $0.pow(2.7) },
        Case(name: "pow(0)", range: 0.3...3, avoidZero: false) { $0.pow(0) },
        Case(name: "free functions", range: 0.3...2, avoidZero: false) {
            exp(sin($0)) + log($0) * sqrt($0) + abs(cos($0)) + tanh($0) + pow($0, 1.5)
        },
    ]

    @Test(arguments: cases)
    func unaryOp(_ testCase: Case) {
        withEvery("shape", in: elementwiseShapes) { shape in
            let x = testCase.avoidZero
                ? Tensor.testInputAwayFromZero(shape: shape, magnitudes: testCase.range)
                : Tensor.testInput(shape: shape, in: testCase.range)
            checkGradient(testCase.name, of: { testCase.op($0[0]) }, at: [x])
        }
    }

    @Test func clippedInsideAndOutsideTheBounds() {
        // Values in (−3, −1.2) ∪ (−0.8, 0.8) ∪ (1.2, 3): never within a step of the bounds ±1.
        let x = Tensor([-2.5, -1.5, -0.5, 0, 0.7, 1.3, 2.9, -0.75])
        checkGradient("clipped", of: { $0[0].clipped(to: -1, 1) }, at: [x])
    }

    @Test func powWithTensorExponent() {
        withEvery("shapes", in: broadcastPairs) { pair in
            let base = Tensor.testInput(shape: pair.0, in: 0.5...2.5, seed: 6)
            let exponent = Tensor.testInput(shape: pair.1, in: -2...3, seed: 7)
            checkGradient("pow(Tensor)", of: { $0[0].pow($0[1]) }, at: [base, exponent])
        }
    }
}
