import Testing
import Autograd
import _TestSupport

/// Values and gradients at the edges of Float's range, at infinities, NaNs and empty tensors,
/// where TensorFlow 2's results are the reference (each expectation is what `tf.GradientTape`
/// gives in float32 for the same expression).
@Suite struct EdgeValueTests {
    /// The gradient of `f` at `x` on a fresh tape.
    private func gradient(at x: Tensor, _ f: (Tensor) -> Tensor) -> Tensor? {
        let tape = GradientTape()
        tape.watch(x)
        let y = tape.record { f(x) }
        return tape.gradient(of: y, withRespectTo: x)
    }

    @Test func aQuotientsGradientByItsDivisorStaysInRangeWhereTheDivisorsSquareDoesNot() throws {
        // b² is 1e-50 and 1e40, outside Float's range; −a/b² is not.
        let a = Tensor([1e-30, 1e30])
        let b = Tensor([1e-25, 1e20])
        let db = gradient(at: b) { (a / $0).sum() }
        assertClose(try #require(db).scalars, [-1e20, -1e-10], rtol: 1e-6, atol: 0)
        // The second derivative of 0/x is 0, not 0/0.
        let x = Tensor([1e-30, -1e-30])
        let outer = GradientTape(), inner = GradientTape()
        outer.watch(x)
        let first = outer.record { () -> Tensor in
            inner.watch(x)
            let y = inner.record { (Tensor([0, 0]) / x).sum() }
            return inner.gradient(of: y, withRespectTo: x)!.sum()
        }
        let second = try #require(outer.gradient(of: first, withRespectTo: x))
        #expect(second.scalars == [0, 0])
    }

    @Test func aMaximumKeepsANaNWhereverItIs() {
        let m = Tensor([[1, .nan, 2], [.nan, 1, 2]])
        #expect(m.max(alongAxes: [1]).scalars.allSatisfy { $0.isNaN })
        #expect(m.max().scalar.isNaN)
        #expect(Tensor([.nan, 1]).max(squeezingAxes: 0).scalar.isNaN)
        #expect(Tensor([1, .nan]).max(squeezingAxes: 0).scalar.isNaN)
    }

    @Test func theMaximumOfNothingIsMinusInfinity() {
        #expect(Tensor.zeros(shape: [0]).max().scalar == -.infinity)
        #expect(Tensor.zeros(shape: [2, 0]).max(alongAxes: [1]).scalars == [-.infinity, -.infinity])
        // Along an axis that is not empty, the maximum of an empty tensor is empty.
        let rows = Tensor.zeros(shape: [0, 3])
        #expect(rows.max(alongAxes: [1]).shape == [0, 1])
        #expect(rows.max(squeezingAxes: 1).shape == [0])
        #expect(gradient(at: rows) { $0.max(alongAxes: [1]).sum() }?.shape == [0, 3])
    }

    @Test func softmaxAndItsKinOfEmptyTensors() {
        let rows = Tensor.zeros(shape: [0, 3])
        #expect(rows.softmax().shape == [0, 3])
        #expect(rows.logSoftmax().shape == [0, 3])
        #expect(rows.logSumExp().shape == [0, 1])
        #expect(Tensor.zeros(shape: [2, 0]).softmax().shape == [2, 0])
        #expect(Tensor.zeros(shape: [2, 0]).logSumExp().scalars == [-.infinity, -.infinity])
        // The second derivative of softmax cross-entropy on an empty batch, through softmax.
        let logits = Tensor.zeros(shape: [0, 3])
        let labels: [Int] = []
        let outer = GradientTape(), inner = GradientTape()
        outer.watch(logits)
        let first = outer.record { () -> Tensor in
            inner.watch(logits)
            let loss = inner.record { Losses.softmaxCrossEntropy(logits: logits, labels: labels) }
            return inner.gradient(of: loss, withRespectTo: logits)!.sum()
        }
        #expect(outer.gradient(of: first, withRespectTo: logits)?.shape == [0, 3])
    }

    @Test func logSumExpOfInfinities() {
        let x = Tensor([[-.infinity, -.infinity, -.infinity], [.infinity, 0, 1], [.infinity, .infinity, 1], [-.infinity, 0, 0]])
        let value = x.logSumExp().scalars
        #expect(value[0] == -.infinity)
        #expect(value[1] == .infinity)
        #expect(value[2] == .infinity)
        assertClose([value[3]], [0.6931472], rtol: 1e-6, atol: 0)
    }

    @Test func aSquareRootWhoseOutputNothingUsesPassesNoNaNBack() {
        // At 0 (and below) the derivative 1/(2√x) is ∞ or NaN; times an upstream 0 it is 0.
        let x = Tensor([0, -1, 4])
        #expect(gradient(at: x) { ($0.sqrt() * 0).sum() }?.scalars == [0, 0, 0])
        #expect(gradient(at: x) { $0.sqrt().sum() }.map { Array($0.scalars.suffix(1)) } == [0.25])
        // Second derivative: −1/(4·x^1.5) at 4 is −1/32.
        let at4 = Tensor([4])
        let outer = GradientTape(), inner = GradientTape()
        outer.watch(at4)
        let first = outer.record { () -> Tensor in
            inner.watch(at4)
            let y = inner.record { at4.sqrt().sum() }
            return inner.gradient(of: y, withRespectTo: at4)!.sum()
        }
        #expect(outer.gradient(of: first, withRespectTo: at4)?.scalars == [-0.03125])
    }

    @Test func signOfNaNIsNaNAndItsGradientIsZero() {
        let s = Tensor([-2, 0, 3, .nan]).sign().scalars
        #expect(Array(s.prefix(3)) == [-1, 0, 1])
        #expect(s[3].isNaN)
        #expect(gradient(at: Tensor([-2, 0, 3])) { $0.sign().sum() }?.scalars == [0, 0, 0])
    }

    @Test func aHalfPowerIsPowNotSquareRootAtMinusInfinityAndMinusZero() {
        let y = Tensor([-.infinity, -0.0, 4]).pow(0.5).scalars
        #expect(y[0] == .infinity)
        #expect(y[1] == 0 && y[1].sign == .plus)
        #expect(y[2] == 2)
    }
}
