import CKernels
import Testing

/// The AVX-512 narrow-output kernel (N <= 16) and the multi-threaded packed path when B is too
/// large to pack all at once, against the Double reference, for every transpose, with bits
/// independent of threads.
@Suite("Narrow-output GEMM and whole-B packing")
struct NarrowGEMMTests {
    @Test(.enabled(if: GEMMKernel.avx512.isSupported, "CPU lacks AVX-512"),
          // (17, 1, 1) has N == 1, so it takes the matrix-vector path, not the narrow kernel.
          arguments: [(m: 17, n: 1, k: 1), (m: 13, n: 10, k: 256), (m: 25, n: 16, k: 3),
                      (m: 130, n: 10, k: 77), (m: 12, n: 11, k: 5), (m: 300, n: 7, k: 1)])
    func narrowOutputsMatchReference(m: Int, n: Int, k: Int) {
        for (index, (transA, transB)) in allTransposes.enumerated() {
            for (alpha, beta): (Float, Float) in [(1, 0), (0.5, -2)] {
                let problem = GEMMProblem(m: m, n: n, k: k, transA: transA, transB: transB, alpha: alpha, beta: beta)
                problem.expectMatchesReference(kernel: .avx512, seed: 300 + UInt64(index))
            }
        }
    }

    @Test(.enabled(if: GEMMKernel.avx512.isSupported, "CPU lacks AVX-512"))
    func narrowOutputBitsDoNotDependOnThreads() {
        // Large enough that the narrow kernel hands rows to several threads.
        for (transA, transB) in allTransposes {
            let problem = GEMMProblem(m: 517, n: 10, k: 300, transA: transA, transB: transB, beta: 0.25)
            problem.expectSameBitsAcrossThreads(kernel: .avx512, seed: 400, checkingReference: true)
        }
    }

    @Test(arguments: GEMMKernel.supported)
    func bBlocksTooLargeToPackAtOnceKeepBitsAcrossThreads(kernel: GEMMKernel) {
        // K x min(N, NC) above 2 Mi floats with the AVX-512 and AVX2 kernels (2100 x 1024), so B
        // is packed one K block at a time between barriers; the portable kernel (NC = 256) still
        // packs all of it at once.
        let problem = GEMMProblem(m: 30, n: 1100, k: 2100, transB: true, alpha: 1.5, beta: 1)
        problem.expectSameBitsAcrossThreads(kernel: kernel, seed: 500, threadCounts: [2], checkingReference: true)
    }
}
