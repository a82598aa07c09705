import Testing
import Autograd
import _TestSupport

/// Finite-difference checks of the matrix product in all four transpose combinations, with odd
/// sizes so that a swapped dimension cannot go unnoticed.
@Suite struct MatMulGradientTests {
    @Test func allTransposeCombinations() {
        let (m, k, n) = (3, 5, 7)
        withEvery("transposeA", in: [false, true], "transposeB", in: [false, true]) { ta, tb in
            let a = Tensor.testInput(shape: ta ? [k, m] : [m, k], seed: 1)
            let b = Tensor.testInput(shape: tb ? [n, k] : [k, n], seed: 2)
            checkGradient("matmul", of: { Tensor.matmul($0[0], transposed: ta, $0[1], transposed: tb) }, at: [a, b])
        }
    }

    @Test func vectorShapedMatrices() {
        withEvery("sizes", in: [(1, 4, 1), (1, 1, 5), (6, 1, 2), (2, 9, 1)]) { (m, k, n) in
            let a = Tensor.testInput(shape: [m, k], seed: 3)
            let b = Tensor.testInput(shape: [k, n], seed: 4)
            checkGradient("matmul", of: { matmul($0[0], $0[1]) }, at: [a, b])
        }
    }

    @Test func productOfAMatrixWithItself() {
        let a = Tensor.testInput(shape: [4, 4])
        checkGradient("a·a", of: { matmul($0[0], $0[0]) }, at: [a])
        checkGradient("a·aᵀ", of: { Tensor.matmul($0[0], $0[0], transposed: true) }, at: [a])
    }

    @Test func valuesAgainstHandComputedProducts() {
        let a = Tensor([[1, 2, 3], [4, 5, 6]])
        let b = Tensor([[7, 8], [9, 10], [11, 12]])
        assertClose(matmul(a, b), Tensor([[58, 64], [139, 154]]))
        assertClose(Tensor.matmul(a, transposed: true, a), Tensor([[17, 22, 27], [22, 29, 36], [27, 36, 45]]))
        assertClose(Tensor.matmul(a, a, transposed: true), Tensor([[14, 32], [32, 77]]))
        assertClose(Tensor.matmul(b, transposed: true, a, transposed: true), Tensor([[58, 139], [64, 154]]))
        // Several threads give the same result as one.
        let x = Tensor.testInput(shape: [33, 17]), y = Tensor.testInput(shape: [17, 29], seed: 9)
        #expect(Tensor.matmul(x, y, threads: 2) == Tensor.matmul(x, y, threads: 1))
    }
}
