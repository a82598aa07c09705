import Testing
import Autograd
import _TestSupport

/// Shape ops, reductions and softmax against values computed by hand, following NumPy and
/// TensorFlow semantics (axis conventions, keep versus squeeze, negative axes).
@Suite struct ShapeAndReductionValueTests {
    let m = Tensor([[1, 2, 3], [4, 5, 6]])

    @Test func construction() {
        #expect(Tensor(3).shape == [])
        #expect(Tensor(3).scalar == 3)
        #expect(Tensor([1, 2]).shape == [2])
        #expect(m.shape == [2, 3])
        #expect(m.rank == 2)
        #expect(m.scalarCount == 6)
        let literal: Tensor = [1, 2, 3]
        #expect(literal.scalars == [1, 2, 3])
        #expect(Tensor(repeating: 7, shape: [2, 2]).scalars == [7, 7, 7, 7])
        #expect(Tensor.zeros(like: m).scalars == [0, 0, 0, 0, 0, 0])
        #expect(Tensor.ones(shape: [0, 3]).scalarCount == 0)
        #expect(Tensor.linspace(from: 0, to: 1, count: 5).scalars == [0, 0.25, 0.5, 0.75, 1])
        #expect(Tensor.linspace(from: -1, to: 1, count: 7).scalars.last == 1)
        #expect(m.description == "[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]")
    }

    @Test func reshapeTransposeSqueezeExpand() {
        #expect(m.reshaped(to: [3, 2]).scalars == [1, 2, 3, 4, 5, 6])
        #expect(m.reshaped(to: [-1]).shape == [6])
        #expect(m.reshaped(to: [3, -1]).shape == [3, 2])
        #expect(m.transposed().shape == [3, 2])
        #expect(m.transposed().scalars == [1, 4, 2, 5, 3, 6])
        let t = Tensor(shape: [2, 3, 4], scalars: (0..<24).map(Float.init))
        let p = t.transposed(permutation: [2, 0, 1])
        #expect(p.shape == [4, 2, 3])
        // p[i, j, k] = t[j, k, i] = 12j + 4k + i.
        let (i, j, k) = (1, 1, 2)
        let expected = Float(12 * j + 4 * k + i)
        #expect(p.scalars[i * 6 + j * 3 + k] == expected)
        #expect(t.transposed().shape == [4, 3, 2])
        // transposed()[i, j, k] = t[k, j, i] = 12k + 4j + i.
        let reversed = t.transposed().scalars
        #expect(reversed[i * 6 + k * 2 + j] == Float(12 * j + 4 * k + i))
        #expect(Tensor.zeros(shape: [1, 3, 1]).squeezing().shape == [3])
        #expect(Tensor.zeros(shape: [1, 3, 1]).squeezing(axes: [0]).shape == [3, 1])
        #expect(m.expandingShape(at: 0).shape == [1, 2, 3])
        #expect(m.expandingShape(at: -1).shape == [2, 3, 1])
    }

    @Test func concatenateSliceGatherScatter() {
        let n = Tensor([[7, 8, 9]])
        #expect(Tensor.concatenating([m, n]).scalars == [1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(Tensor.concatenating([m, Tensor([[0], [0]])], alongAxis: 1).scalars == [1, 2, 3, 0, 4, 5, 6, 0])
        #expect(m.slice(alongAxis: 1, 1..<3).scalars == [2, 3, 5, 6])
        #expect(m.rows(1..<2).scalars == [4, 5, 6])
        #expect(m.padded(alongAxis: 0, before: 1, after: 0).scalars == [0, 0, 0, 1, 2, 3, 4, 5, 6])
        // A negative axis counts from the end, as in slice(alongAxis:_:).
        #expect(m.padded(alongAxis: -1, before: 0, after: 1) == m.padded(alongAxis: 1, before: 0, after: 1))
        #expect(m.padded(alongAxis: -1, before: 0, after: 1).scalars == [1, 2, 3, 0, 4, 5, 6, 0])
        #expect(m.gathering(rows: [1, 1, 0]).scalars == [4, 5, 6, 4, 5, 6, 1, 2, 3])
        let scattered = m.scatteringRows(into: [2, 2], rowCount: 3)
        #expect(scattered.shape == [3, 3])
        #expect(scattered.scalars == [0, 0, 0, 0, 0, 0, 5, 7, 9])
    }

    @Test func reductions() {
        #expect(m.sum().scalar == 21)
        #expect(m.sum().shape == [])
        #expect(m.sum(alongAxes: [0]).shape == [1, 3])
        #expect(m.sum(alongAxes: [0]).scalars == [5, 7, 9])
        #expect(m.sum(squeezingAxes: [1]).shape == [2])
        #expect(m.sum(squeezingAxes: [1]).scalars == [6, 15])
        #expect(m.sum(squeezingAxes: [-1]).scalars == [6, 15])
        #expect(m.sum(alongAxes: [0, 1]).shape == [1, 1])
        #expect(m.mean().scalar == 3.5)
        #expect(m.mean(squeezingAxes: [0]).scalars == [2.5, 3.5, 4.5])
        #expect(m.mean(alongAxes: [1]).scalars == [2, 5])
        #expect(m.max().scalar == 6)
        #expect(m.max(squeezingAxes: [0]).scalars == [4, 5, 6])
        #expect(m.max(alongAxes: [1]).shape == [2, 1])
        #expect(m.max(alongAxes: [1]).scalars == [3, 6])
        #expect(Tensor([[3, 1, 3], [0, 2, 1]]).argmax().scalars == [0, 1])
        #expect(m.argmax(squeezingAxis: 0).scalars == [1, 1, 1])
        // NaN is passed over wherever it stands; a slice of NaN alone gives 0.
        #expect(Tensor([[.nan, 1, 3], [2, .nan, 1], [0, 4, .nan], [.nan, .nan, .nan]]).argmax().scalars == [2, 0, 1, 0])
    }

    /// A long sum adds runs of elements and combines the runs' sums pairwise, so its error grows
    /// with the logarithm of the count: 2²⁰ tenths summed whole come within a millionth of 2²⁰
    /// times the Float 0.1, and summed along an axis (one running sum per run) within 1e-4.
    @Test func longSumsStayAccurate() {
        let count = 1 << 20
        let exact = Double(Float(0.1)) * Double(count)
        func relativeError(_ sum: Tensor) -> Double { Swift.abs(Double(sum.scalar) - exact) / exact }
        let tenths = Tensor(repeating: 0.1, shape: [count])
        #expect(relativeError(tenths.sum()) < 1e-6)
        #expect(Swift.abs(Double(tenths.mean().scalar) - Double(Float(0.1))) < 1e-7)
        #expect(relativeError(tenths.reshaped(to: [count, 1]).sum(squeezingAxes: 0)) < 1e-4)
        #expect(relativeError(tenths.reshaped(to: [2, count / 2]).transposed().sum(alongAxes: 0).sum()) < 1e-4)
    }

    /// Up to one run long, a sum along an axis adds its rows in order, from the first.
    @Test func shortSumsAlongAnAxisAddInOrder() {
        let rows = Tensor([[1e8, -0.0], [1, -0.0], [-1e8, -0.0]])
        #expect(rows.sum(squeezingAxes: 0).scalars.map(\.bitPattern) == [Float(0).bitPattern, Float(-0.0).bitPattern])
    }

    @Test func reductionsOfEmptyAxes() {
        // NumPy: the sum of nothing reduces to 0 with a kept extent of 1.
        let empty = Tensor.zeros(shape: [0, 3])
        #expect(empty.sum(alongAxes: [0]).scalars == [0, 0, 0])
        #expect(empty.sum().scalar == 0)
    }

    @Test func meansOfNothingAreNaN() {
        // TensorFlow's reduce_mean and NumPy: 0 / 0.
        #expect(Tensor.zeros(shape: [0]).mean().scalar.isNaN)
        #expect(Tensor.zeros(shape: [0, 3]).mean().scalar.isNaN)
        let rows = Tensor.zeros(shape: [2, 0])
        #expect(rows.mean(alongAxes: 1).shape == [2, 1])
        #expect(rows.mean(alongAxes: 1).scalars.allSatisfy { $0.isNaN })
        #expect(rows.mean(squeezingAxes: 1).shape == [2])
        #expect(rows.mean(squeezingAxes: 1).scalars.allSatisfy { $0.isNaN })
        // Along an axis that is not empty, the mean of an empty tensor is empty.
        #expect(rows.mean(alongAxes: 0).shape == [1, 0])
        #expect(Losses.meanSquaredError(predictions: Tensor.zeros(shape: [0]), labels: Tensor.zeros(shape: [0])).scalar.isNaN)
    }

    @Test func theGradientOfAMeanOfNothingIsEmpty() {
        let x = Tensor.zeros(shape: [2, 0])
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let (all, rows) = tape.record { (x.mean(), x.mean(squeezingAxes: 1).sum()) }
        #expect(all.scalar.isNaN)
        #expect(rows.scalar.isNaN)
        #expect(tape.gradient(of: all, withRespectTo: x)?.shape == [2, 0])
        #expect(tape.gradient(of: rows, withRespectTo: x)?.shape == [2, 0])
    }

    @Test func largeSumsAreExactForIntegers() {
        let ones = Tensor.ones(shape: [1001])
        #expect(ones.sum().scalar == 1001)
        #expect(Tensor(shape: [1000], scalars: (0..<1000).map(Float.init)).sum().scalar == 499_500)
    }

    @Test func softmaxValues() {
        let x = Tensor([[1, 2, 3], [0, 0, 0]])
        assertClose(x.softmax(), [0.09003057, 0.24472847, 0.66524096, 1 / 3, 1 / 3, 1 / 3])
        assertClose(x.softmax().sum(squeezingAxes: [1]), [1, 1])
        assertClose(x.logSoftmax(), [-2.4076059, -1.4076059, -0.40760595, -1.0986123, -1.0986123, -1.0986123])
        assertClose(x.logSumExp(), Tensor(shape: [2, 1], scalars: [3.4076059, 1.0986123]))
        assertClose(x.softmax(alongAxis: 0), [0.7310586, 0.880797, 0.95257413, 0.26894143, 0.11920292, 0.047425874])
        // Shifting by the maximum keeps huge logits finite.
        let huge = Tensor([1000, 1001, -1000])
        assertClose(huge.softmax(), [0.26894143, 0.7310586, 0])
        assertClose(huge.logSumExp(), Tensor([1001.3133]))
    }

    @Test func oneHot() {
        #expect(Tensor.oneHot([2, 0], classes: 3).scalars == [0, 0, 1, 1, 0, 0])
        // Labels outside 0..<classes leave their rows at zero.
        #expect(Tensor.oneHot([3, -1, 1], classes: 3).scalars == [0, 0, 0, 0, 0, 0, 0, 1, 0])
    }
}
