import Testing
import Autograd
import _TestSupport

/// Finite-difference checks of the ops that move elements: transpose, reshape, squeeze and
/// expand, broadcast, concatenation, slicing, gathering and scattering.
@Suite struct ShapeGradientTests {
    @Test func transposed() {
        checkGradient("transposed (rank 2)", of: { $0[0].transposed() }, at: [Tensor.testInput(shape: [3, 5])])
        checkGradient("transposed (rank 3)", of: { $0[0].transposed() }, at: [Tensor.testInput(shape: [2, 3, 4])])
        withEvery("permutation", in: [[0, 1, 2], [1, 0, 2], [2, 0, 1], [1, 2, 0], [0, 2, 1]]) { permutation in
            checkGradient("transposed(permutation:)", of: { $0[0].transposed(permutation: permutation) },
                          at: [Tensor.testInput(shape: [2, 3, 4])])
        }
    }

    @Test func reshapedSqueezedExpanded() {
        let x = Tensor.testInput(shape: [2, 6])
        checkGradient("reshaped", of: { $0[0].reshaped(to: [3, 4]) }, at: [x])
        checkGradient("reshaped(-1)", of: { $0[0].reshaped(to: [4, -1]) }, at: [x])
        checkGradient("flattened", of: { $0[0].flattened() }, at: [x])
        let y = Tensor.testInput(shape: [1, 3, 1, 2])
        checkGradient("squeezing()", of: { $0[0].squeezing() }, at: [y])
        checkGradient("squeezing(axes: [2])", of: { $0[0].squeezing(axes: [2]) }, at: [y])
        withEvery("axis", in: [0, 1, 2, -1]) { axis in
            checkGradient("expandingShape", of: { $0[0].expandingShape(at: axis) }, at: [x])
        }
    }

    @Test func broadcastedTo() {
        withEvery("from", in: [[], [4], [3, 1], [1, 4], [2, 1, 4]]) { shape in
            checkGradient("broadcasted(to:)", of: { $0[0].broadcasted(to: [2, 3, 4]) },
                          at: [Tensor.testInput(shape: shape)])
        }
    }

    @Test func concatenating() {
        let a = Tensor.testInput(shape: [2, 3], seed: 1)
        let b = Tensor.testInput(shape: [4, 3], seed: 2)
        let c = Tensor.testInput(shape: [2, 5], seed: 3)
        checkGradient("concatenating axis 0", of: { Tensor.concatenating([$0[0], $0[1]], alongAxis: 0) }, at: [a, b])
        checkGradient("concatenating axis 1", of: { Tensor.concatenating([$0[0], $0[1]], alongAxis: 1) }, at: [a, c])
        checkGradient("concatenating axis -1", of: { Tensor.concatenating([$0[1], $0[0]], alongAxis: -1) }, at: [c, a])
        let d = Tensor.testInput(shape: [2, 2, 3], seed: 4)
        let e = Tensor.testInput(shape: [2, 1, 3], seed: 5)
        checkGradient("concatenating rank 3 axis 1", of: { Tensor.concatenating([$0[0], $0[1], $0[0]], alongAxis: 1) }, at: [d, e])
    }

    @Test func slices() {
        let x = Tensor.testInput(shape: [4, 5, 2])
        withEvery("axis", in: [0, 1, 2], "range", in: [0..<1, 1..<2, 0..<2]) { axis, range in
            checkGradient("slice(alongAxis:)", of: { $0[0].slice(alongAxis: axis, range) }, at: [x])
        }
        checkGradient("rows", of: { $0[0].rows(1..<4) }, at: [x])
        checkGradient("padded", of: { $0[0].padded(alongAxis: 1, before: 2, after: 1) }, at: [x])
    }

    @Test func gatheringWithRepeatsAndScattering() {
        let x = Tensor.testInput(shape: [4, 3])
        checkGradient("gathering(rows:)", of: { $0[0].gathering(rows: [2, 0, 2, 3, 2]) }, at: [x])
        checkGradient("gathering(rows:) rank 1", of: { $0[0].gathering(rows: [1, 1, 0]) }, at: [Tensor.testInput(shape: [3])])
        let rows = Tensor.testInput(shape: [5, 3], seed: 8)
        checkGradient("scatteringRows", of: { $0[0].scatteringRows(into: [1, 3, 1, 0, 1], rowCount: 4) }, at: [rows])
    }

    @Test func secondDerivativeThroughGatherAndScatter() {
        // d/dx of sum(gather(x)²) is scatter(2·gather(x)); its own derivative gathers again.
        let x = Tensor.testInput(shape: [3, 2])
        checkGradient("d/dx sum(gather(x)²)", of: { inputs in
            let tape = GradientTape()
            tape.watch(inputs[0])
            let y = tape.record { inputs[0].gathering(rows: [0, 2, 2]).squared().sum() }
            return tape.gradient(of: y, withRespectTo: inputs[0])!
        }, at: [x])
    }
}
