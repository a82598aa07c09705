import Testing
import Autograd
import _TestSupport

/// Finite-difference checks of sum, mean and max over every axis set, keeping and squeezing.
@Suite struct ReductionGradientTests {
    static let axisSets: [[Int]] = [[0], [1], [2], [-1], [0, 2], [0, 1, 2]]

    @Test func sumAndMean() {
        let x = Tensor.testInput(shape: [2, 3, 4])
        checkGradient("sum()", of: { $0[0].sum() }, at: [x])
        checkGradient("mean()", of: { $0[0].mean() }, at: [x])
        withEvery("axes", in: Self.axisSets) { axes in
            checkGradient("sum(alongAxes:)", of: { $0[0].sum(alongAxes: axes) }, at: [x])
            checkGradient("sum(squeezingAxes:)", of: { $0[0].sum(squeezingAxes: axes) }, at: [x])
            checkGradient("mean(alongAxes:)", of: { $0[0].mean(alongAxes: axes) }, at: [x])
            checkGradient("mean(squeezingAxes:)", of: { $0[0].mean(squeezingAxes: axes) }, at: [x])
        }
    }

    @Test func maxWithDistinctValues() {
        let x = Tensor.testInputDistinct(shape: [2, 3, 4])
        checkGradient("max()", of: { $0[0].max() }, at: [x])
        withEvery("axes", in: Self.axisSets) { axes in
            checkGradient("max(alongAxes:)", of: { $0[0].max(alongAxes: axes) }, at: [x])
            checkGradient("max(squeezingAxes:)", of: { $0[0].max(squeezingAxes: axes) }, at: [x])
        }
    }

    @Test func maxSharesTheGradientBetweenTies() {
        let x = Tensor([1, 3, 3, 2])
        let tape = GradientTape()
        tape.watch(x)
        let y = tape.record { x.max() }
        assertClose(tape.gradient(of: y, withRespectTo: x)!, [0, 0.5, 0.5, 0])
    }

    @Test func variadicAxisForms() {
        let x = Tensor.testInputDistinct(shape: [3, 4])
        #expect(x.sum(alongAxes: 1) == x.sum(alongAxes: [1]))
        #expect(x.sum(squeezingAxes: 0) == x.sum(squeezingAxes: [0]))
        #expect(x.mean(alongAxes: 0) == x.mean(alongAxes: [0]))
        #expect(x.mean(squeezingAxes: 1) == x.mean(squeezingAxes: [1]))
        #expect(x.max(alongAxes: 1) == x.max(alongAxes: [1]))
        #expect(x.max(squeezingAxes: 0) == x.max(squeezingAxes: [0]))
    }
}
