import Testing
import Autograd
import _TestSupport

/// NumPy's broadcasting rules: values, result shapes, and gradients summed back to each
/// operand's shape.
@Suite struct BroadcastingTests {
    @Test func rowVectorAcrossRows() {
        let a = Tensor([[1, 2, 3], [4, 5, 6]])
        let b = Tensor([10, 20, 30])
        let sum = a + b
        #expect(sum.shape == [2, 3])
        #expect(sum.scalars == [11, 22, 33, 14, 25, 36])
    }

    @Test func columnTimesRowIsAnOuterProduct() {
        let column = Tensor(shape: [3, 1], scalars: [1, 2, 3])
        let row = Tensor(shape: [1, 4], scalars: [1, 10, 100, 1000])
        let product = column * row
        #expect(product.shape == [3, 4])
        #expect(product.scalars == [1, 10, 100, 1000, 2, 20, 200, 2000, 3, 30, 300, 3000])
    }

    @Test func rank3AgainstAColumn() {
        let a = Tensor(shape: [2, 3, 2], scalars: (0..<12).map(Float.init))
        let b = Tensor(shape: [3, 1], scalars: [100, 200, 300])
        let sum = a + b
        #expect(sum.shape == [2, 3, 2])
        #expect(sum.scalars == [100, 101, 202, 203, 304, 305, 106, 107, 208, 209, 310, 311])
    }

    @Test func scalarTensorAgainstAMatrix() {
        let s = Tensor(2)
        let m = Tensor([[1, 2, 3], [4, 5, 6]])
        #expect((s - m).shape == [2, 3])
        #expect((s - m).scalars == [1, 0, -1, -2, -3, -4])
        #expect((m / s).scalars == [0.5, 1, 1.5, 2, 2.5, 3])
    }

    @Test func resultShapes() {
        let cases: [([Int], [Int], [Int])] = [
            ([2, 3], [2, 3], [2, 3]), ([3, 4], [4], [3, 4]), ([3, 1], [1, 4], [3, 4]),
            ([2, 3, 4], [3, 1], [2, 3, 4]), ([], [2, 3], [2, 3]), ([1], [], [1]),
            ([5, 1, 3], [4, 1], [5, 4, 3]), ([0, 3], [3], [0, 3]), ([1, 1], [1], [1, 1]),
        ]
        withEvery("case", in: cases.indices) { index in
            let (a, b, expected) = cases[index]
            #expect((Tensor.zeros(shape: a) + Tensor.ones(shape: b)).shape == expected)
            #expect((Tensor.zeros(shape: b) * Tensor.ones(shape: a)).shape == expected)
        }
    }

    @Test func gradientsAreSummedBackToEachOperandsShape() {
        let a = Tensor([[1, 2, 3], [4, 5, 6]])
        let b = Tensor([10, 20, 30])
        let c = Tensor(shape: [2, 1], scalars: [-1, 1])
        let tape = GradientTape()
        tape.watch(a)
        tape.watch(b)
        tape.watch(c)
        let y = tape.record { a * b + c }
        let gradients = tape.gradient(of: y, withRespectTo: [a, b, c])
        #expect(gradients[0]?.scalars == [10, 20, 30, 10, 20, 30])
        #expect(gradients[1]?.shape == [3])
        #expect(gradients[1]?.scalars == [5, 7, 9])
        #expect(gradients[2]?.shape == [2, 1])
        #expect(gradients[2]?.scalars == [3, 3])
    }

    @Test func broadcastedToRepeatsValues() {
        let column = Tensor(shape: [2, 1], scalars: [1, 2])
        let b = column.broadcasted(to: [3, 2, 4])
        #expect(b.shape == [3, 2, 4])
        #expect(b.scalars == Array(repeating: [1, 1, 1, 1, 2, 2, 2, 2] as [Float], count: 3).flatMap { $0 })
        #expect(Tensor(5).broadcasted(to: [2]).scalars == [5, 5])
    }

    @Test func broadcastedToCopiesTheBitsOnEveryPath() {
        // -0 and a NaN with a payload must come out bit for bit, whichever loop copies them.
        let odd: [Float] = [-0.0, Float(nan: 5, signaling: false), 3]
        func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }
        let vector = Tensor(odd)
        #expect(bits(vector.broadcasted(to: [1, 3])) == bits(vector))   // same count
        #expect(bits(vector.broadcasted(to: [2, 3])) == bits(vector) + bits(vector))
        #expect(vector.broadcasted(to: [0, 3]).shape == [0, 3])
        let one = Tensor(shape: [1, 1], scalars: [-0.0])
        #expect(bits(one.broadcasted(to: [2, 2])) == Array(repeating: (-0.0 as Float).bitPattern, count: 4))
        let column = Tensor(shape: [3, 1], scalars: odd)
        #expect(bits(column.broadcasted(to: [2, 3, 2])) == Array(repeating: bits(vector).flatMap { [$0, $0] }, count: 2).flatMap { $0 })
    }

    @Test func comparisonsBroadcastToo() {
        let m = Tensor([[1, 5], [3, 2]])
        #expect((m .> Tensor([2, 2])).values == [false, true, true, false])
        #expect((m .< 3).values == [true, false, false, true])
        #expect(Tensor.equal(m, Tensor(shape: [2, 1], scalars: [1, 2])).values == [true, false, false, true])
        #expect((m .>= Tensor(3)).asFloats().scalars == [0, 1, 1, 0])
        #expect((m .<= Tensor(3)).trueCount == 3)
        #expect((m .== m).trueCount == 4)
    }
}
