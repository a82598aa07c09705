import CKernels
import Testing

/// The AVX-512 small-K kernel (K <= 16, N > 16: an MLP's dY·Wᵀ through a 10-wide layer) and the
/// narrow-output kernel for transposed A (N <= 16: the weight gradient Xᵀ·dY of that layer),
/// against the Double reference, with bits independent of threads.
@Suite("Small-K and transposed narrow-output GEMM")
struct SmallKAndTransposedNarrowGEMMTests {
    @Test(.enabled(if: GEMMKernel.avx512.isSupported, "CPU lacks AVX-512"),
          arguments: [(m: 1, n: 17, k: 1), (m: 7, n: 33, k: 10), (m: 13, n: 64, k: 16),
                      (m: 6, n: 65, k: 3), (m: 20, n: 200, k: 10), (m: 2, n: 127, k: 4), (m: 11, n: 49, k: 17)])
    func smallKMatchesReference(m: Int, n: Int, k: Int) {
        for (index, (transA, transB)) in allTransposes.enumerated() {
            for (alpha, beta): (Float, Float) in [(1, 0), (-1.5, 0.5)] {
                let problem = GEMMProblem(m: m, n: n, k: k, transA: transA, transB: transB, alpha: alpha, beta: beta)
                problem.expectMatchesReference(kernel: .avx512, seed: 600 + UInt64(index))
            }
        }
    }

    @Test(.enabled(if: GEMMKernel.avx512.isSupported, "CPU lacks AVX-512"),
          arguments: [(m: 16, n: 10, k: 5), (m: 17, n: 13, k: 40), (m: 32, n: 12, k: 1),
                      (m: 33, n: 16, k: 64), (m: 95, n: 14, k: 9), (m: 256, n: 10, k: 128)])
    func transposedNarrowMatchesReference(m: Int, n: Int, k: Int) {
        for (index, transB) in [false, true].enumerated() {
            for (alpha, beta): (Float, Float) in [(1, 0), (0.75, -1)] {
                let problem = GEMMProblem(m: m, n: n, k: k, transA: true, transB: transB, alpha: alpha, beta: beta)
                problem.expectMatchesReference(kernel: .avx512, seed: 700 + UInt64(index))
            }
        }
    }

    @Test(.enabled(if: GEMMKernel.avx512.isSupported, "CPU lacks AVX-512"))
    func transposedNarrowGivesTheBitsOfTheRowWiseKernel() {
        // Both kernels run one FMA chain per element over k in order, so Xᵀ·dY must equal, bit
        // for bit, the same product with Xᵀ stored explicitly (which takes the row-wise kernel).
        let problem = GEMMProblem(m: 70, n: 10, k: 33, transA: true, beta: 0.5)
        let (a, b, c) = problem.makeOperands(seed: 800)
        let viaTranspose = problem.run(kernel: .avx512, a: a, b: b, c: c)
        var plain = problem
        plain.transA = false
        var stored = [Float](repeating: 0, count: plain.offset + plain.rowsA * plain.lda)
        for i in 0..<problem.m {
            for p in 0..<problem.k {
                stored[plain.offset + i * plain.lda + p] = a[problem.offset + p * problem.lda + i]
            }
        }
        let rowWise = plain.run(kernel: .avx512, a: stored, b: b, c: c)
        #expect(viaTranspose.map(\.bitPattern) == rowWise.map(\.bitPattern))
    }

    @Test(.enabled(if: GEMMKernel.avx512.isSupported, "CPU lacks AVX-512"),
          arguments: [(m: 1031, n: 300, k: 10), (m: 1000, n: 15, k: 700)])
    func bitsDoNotDependOnThreads(m: Int, n: Int, k: Int) {
        // Large enough that both kernels hand row blocks to several threads.
        for (transA, transB) in allTransposes {
            let problem = GEMMProblem(m: m, n: n, k: k, transA: transA, transB: transB, beta: 0.25)
            problem.expectSameBitsAcrossThreads(kernel: .avx512, seed: 900, checkingReference: true)
        }
    }
}
