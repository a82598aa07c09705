import Testing
import Autograd
import _TestSupport

/// The backward pass walks the record with a loop, not recursion, so a tape of a million ops
/// neither overflows the stack when differentiated nor when freed.
@Suite struct LongTapeTests {
    @Test func millionScalarOps() throws {
        let steps = 1_000_000
        let factor: Float = 1.0000001
        let x = Tensor(1)
        let tape = GradientTape()
        tape.watch(x)
        let y = tape.record { () -> Tensor in
            var y = x
            for _ in 0..<steps { y = y * factor }
            return y
        }
        #expect(tape.recordedOperationCount == steps)
        // dy/dx = factorⁿ. The backward pass multiplies 1 by the factor n times in Float, the
        // very products the forward pass made, so both equal this loop bit for bit.
        var expected: Float = 1
        for _ in 0..<steps { expected *= factor }
        #expect(expected > 1.1, "the factor must not round to 1")
        let gradient = try #require(tape.gradient(of: y, withRespectTo: x))
        #expect(gradient.scalar == expected)
        #expect(y.scalar == expected)
        #expect(tape.recordedOperationCount == 0)
    }

    @Test func longChainOfBinaryOps() {
        // 100k tensor–tensor additions: y = x + Σ c, dy/dx = 1, dy/dc = 100k (accumulated).
        let steps = 100_000
        let x = Tensor([1, 2]), c = Tensor([0, 0])
        let tape = GradientTape()
        tape.watch(x)
        tape.watch(c)
        let y = tape.record { () -> Tensor in
            var y = x
            for _ in 0..<steps { y = y + c }
            return y.sum()
        }
        let gradients = tape.gradient(of: y, withRespectTo: [x, c])
        #expect(gradients[0]?.scalars == [1, 1])
        #expect(gradients[1]?.scalars == [Float(steps), Float(steps)])
    }
}
