import CKernels
import Testing

/// The AVX-512 narrow-output kernel (N <= 16) and the multi-threaded path that packs all of B
/// at once, against the Double reference, for every transpose, with bits independent of threads.
@Suite("Narrow-output GEMM and whole-B packing")
struct NarrowGEMMTests {
    private let transposes: [(Bool, Bool)] = [(false, false), (true, false), (false, true), (true, true)]

    @Test(.enabled(if: GEMMKernel.avx512.isSupported, "CPU lacks AVX-512"),
          arguments: [(m: 17, n: 1, k: 1), (m: 13, n: 10, k: 256), (m: 25, n: 16, k: 3),
                      (m: 130, n: 10, k: 77), (m: 12, n: 11, k: 5), (m: 300, n: 7, k: 1)])
    func narrowOutputsMatchReference(m: Int, n: Int, k: Int) {
        for (index, (transA, transB)) in transposes.enumerated() {
            for (alpha, beta): (Float, Float) in [(1, 0), (0.5, -2)] {
                let problem = GEMMProblem(m: m, n: n, k: k, transA: transA, transB: transB, alpha: alpha, beta: beta)
                let (a, b, c) = problem.makeOperands(seed: 300 + UInt64(index))
                let result = problem.run(kernel: .avx512, a: a, b: b, c: c)
                let mismatch = problem.firstMismatch(result: result, a: a, b: b, c: c)
                #expect(mismatch == nil, "\(problem): \(mismatch ?? "")")
            }
        }
    }

    @Test(.enabled(if: GEMMKernel.avx512.isSupported, "CPU lacks AVX-512"))
    func narrowOutputBitsDoNotDependOnThreads() {
        // Large enough that the narrow kernel hands rows to several threads.
        for (transA, transB) in transposes {
            let problem = GEMMProblem(m: 517, n: 10, k: 300, transA: transA, transB: transB, beta: 0.25)
            let (a, b, c) = problem.makeOperands(seed: 400)
            let one = problem.run(kernel: .avx512, a: a, b: b, c: c, threads: 1)
            #expect(problem.firstMismatch(result: one, a: a, b: b, c: c) == nil, "\(problem)")
            for threads: Int32 in [2, 3] {
                let many = problem.run(kernel: .avx512, a: a, b: b, c: c, threads: threads)
                #expect(one.map(\.bitPattern) == many.map(\.bitPattern), "\(problem): \(threads) threads differ from 1")
            }
        }
    }

    @Test(arguments: [GEMMKernel.avx512, GEMMKernel.avx2, GEMMKernel.generic])
    func bBlocksTooLargeToPackAtOnceKeepBitsAcrossThreads(kernel: GEMMKernel) {
        guard kernel.isSupported else { return }
        // K x N above 2 Mi floats: B is packed one K block at a time between barriers.
        let problem = GEMMProblem(m: 30, n: 1100, k: 2000, transB: true, alpha: 1.5, beta: 1)
        let (a, b, c) = problem.makeOperands(seed: 500)
        let one = problem.run(kernel: kernel, a: a, b: b, c: c, threads: 1)
        #expect(problem.firstMismatch(result: one, a: a, b: b, c: c) == nil, "\(kernel) \(problem)")
        let two = problem.run(kernel: kernel, a: a, b: b, c: c, threads: 2)
        #expect(one.map(\.bitPattern) == two.map(\.bitPattern), "\(kernel) \(problem): 2 threads differ from 1")
    }
}
