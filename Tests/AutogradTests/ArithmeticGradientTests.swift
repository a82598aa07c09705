import Testing
import Autograd
import _TestSupport

/// Finite-difference checks of `+ - * /` over every broadcast pair, their mixes with `Float`,
/// and negation.
@Suite struct ArithmeticGradientTests {
    @Test func binaryOpsOverBroadcastPairs() {
        let ops: [(String, (Tensor, Tensor) -> Tensor)] = [
            ("add", { $0 + $1 }),
            ("subtract", { $0 - $1 }),
            ("multiply", { $0 * $1 }),
        ]
        withEvery("op", in: ops.map(\.0), "shapes", in: broadcastPairs) { name, pair in
            let op = ops.first { $0.0 == name }!.1
            let a = Tensor.testInput(shape: pair.0, seed: 1)
            let b = Tensor.testInput(shape: pair.1, seed: 2)
            checkGradient(name, of: { op($0[0], $0[1]) }, at: [a, b])
        }
    }

    @Test func divideOverBroadcastPairs() {
        withEvery("shapes", in: broadcastPairs) { pair in
            let a = Tensor.testInput(shape: pair.0, seed: 3)
            // Denominators away from zero keep 1/b smooth over the finite-difference step.
            let b = Tensor.testInputAwayFromZero(shape: pair.1, magnitudes: 0.5...2, seed: 4)
            checkGradient("divide", of: { $0[0] / $0[1] }, at: [a, b])
        }
    }

    @Test func sameTensorOnBothSides() {
        let x = Tensor.testInput(shape: [2, 3])
        checkGradient("x * x", of: { $0[0] * $0[0] }, at: [x])
        checkGradient("x + x", of: { $0[0] + $0[0] }, at: [x])
        checkGradient("x - x * x", of: { $0[0] - $0[0] * $0[0] }, at: [x])
    }

    @Test func mixedWithFloat() {
        let x = Tensor.testInputAwayFromZero(shape: [2, 3], magnitudes: 0.5...2)
        let cases: [(String, (Tensor) -> Tensor)] = [
            ("tensor + 1.5", { $0 + 1.5 }),
            ("1.5 + tensor", { 1.5 + $0 }),
            ("tensor - 1.5", { $0 - 1.5 }),
            ("1.5 - tensor", { 1.5 - $0 }),
            ("tensor * -2.5", { $0 * -2.5 }),
            ("-2.5 * tensor", { -2.5 * $0 }),
            ("tensor / 4", { $0 / 4 }),
            ("3 / tensor", { 3 / $0 }),
        ]
        withEvery("op", in: cases.indices) { index in
            checkGradient(cases[index].0, of: { cases[index].1($0[0]) }, at: [x])
        }
    }

    @Test func compoundAssignment() {
        let x = Tensor.testInputAwayFromZero(shape: [3], magnitudes: 0.5...2)
        let y = Tensor.testInput(shape: [3], seed: 5)
        checkGradient("+= -= *= /=", of: { inputs in
            var z = inputs[0]
            z += inputs[1]
            z *= inputs[0]
            z -= 2
            z /= inputs[0]
            return z
        }, at: [x, y])
    }

    @Test func negation() {
        withEvery("shape", in: elementwiseShapes) { shape in
            checkGradient("negate", of: { -$0[0] }, at: [Tensor.testInput(shape: shape)])
        }
    }
}
