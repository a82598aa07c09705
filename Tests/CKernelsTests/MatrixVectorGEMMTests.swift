import CKernels
import Testing

/// The AVX-512 matrix-vector path (N == 1: a logistic regression's logits X·w and its weight
/// gradient Xᵀ·g), against the Double reference, with bits independent of threads.
@Suite("Matrix-vector GEMM")
struct MatrixVectorGEMMTests {
    @Test(.enabled(if: GEMMKernel.avx512.isSupported, "CPU lacks AVX-512"),
          arguments: [(m: 1, k: 1), (m: 3, k: 5), (m: 17, k: 16), (m: 40, k: 17), (m: 324, k: 64),
                      (m: 64, k: 324), (m: 9, k: 257), (m: 300, k: 33)])
    func matrixVectorMatchesReference(m: Int, k: Int) {
        for (index, (transA, transB)) in allTransposes.enumerated() {
            for (alpha, beta): (Float, Float) in [(1, 0), (-0.5, 2)] {
                let problem = GEMMProblem(m: m, n: 1, k: k, transA: transA, transB: transB, alpha: alpha, beta: beta)
                problem.expectMatchesReference(kernel: .avx512, seed: 900 + UInt64(index))
            }
        }
    }

    @Test(.enabled(if: GEMMKernel.avx512.isSupported, "CPU lacks AVX-512"))
    func matrixVectorBitsDoNotDependOnThreads() {
        // Large enough (M·K ≥ 2²⁰) that the row-wise path splits rows between threads.
        let problem = GEMMProblem(m: 4099, n: 1, k: 300, beta: 0.25)
        problem.expectSameBitsAcrossThreads(kernel: .avx512, seed: 950)
    }
}
