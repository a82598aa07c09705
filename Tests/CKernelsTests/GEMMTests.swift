import CKernels
import Testing

/// Shapes that hit every edge: single elements, sizes just under and over the register tiles
/// (12 x 32, 6 x 16, 4 x 16) and cache blocks (KC = 256), narrow outputs (the swapped roles
/// of the AVX2 and portable packed paths, the AVX2 kernel for a transposed A, AVX-512's own
/// narrow and matrix-vector kernels), and one
/// MLP layer shape kept small enough for a debug build.
private let edgeShapes: [(m: Int, n: Int, k: Int)] = [
    (1, 1, 1), (3, 17, 255), (17, 3, 257), (255, 257, 3), (257, 1, 17), (1, 255, 3),
    (17, 17, 17), (13, 33, 64), (64, 10, 300), (40, 257, 31), (5, 70, 9),
]

/// Every problem of `shapes` in each transpose combination and alpha / beta pair, with a seed
/// for its operands counted up from `firstSeed`.
private func edgeProblems(_ shapes: [(m: Int, n: Int, k: Int)] = edgeShapes, firstSeed: UInt64) -> [(GEMMProblem, UInt64)] {
    var problems: [(GEMMProblem, UInt64)] = []
    for shape in shapes {
        for (transA, transB) in allTransposes {
            for (alpha, beta): (Float, Float) in [(1, 0), (-1.5, 0.5)] {
                let problem = GEMMProblem(m: shape.m, n: shape.n, k: shape.k, transA: transA,
                                          transB: transB, alpha: alpha, beta: beta)
                problems.append((problem, firstSeed + UInt64(problems.count)))
            }
        }
    }
    return problems
}

/// Checks `kernel` on every edge shape, transpose combination and alpha / beta pair.
private func checkEdges(_ kernel: GEMMKernel) {
    for (problem, seed) in edgeProblems(firstSeed: 2) {
        problem.expectMatchesReference(kernel: kernel, seed: seed)
    }
}

/// One layer of the MLP (batch x 784 -> 256) forward and its two backward products, shrunk
/// in the batch dimension only.
private func checkMLPShapes(_ kernel: GEMMKernel) {
    let batch = 12
    let problems = [
        GEMMProblem(m: batch, n: 256, k: 784),                 // X W
        GEMMProblem(m: 784, n: 256, k: batch, transA: true),   // X^T dY
        GEMMProblem(m: batch, n: 784, k: 256, transB: true),   // dY W^T
        GEMMProblem(m: batch, n: 10, k: 256),                  // output layer, narrow N
    ]
    for (index, problem) in problems.enumerated() {
        problem.expectMatchesReference(kernel: kernel, seed: 100 + UInt64(index))
    }
}

/// Threads own tiles of C but never split K, so any thread count gives the same bits.
private func checkThreadInvariance(_ kernel: GEMMKernel) {
    let problems = [
        GEMMProblem(m: 100, n: 70, k: 300, beta: 0.5),           // split over rows
        GEMMProblem(m: 7, n: 300, k: 50, transB: true),          // few rows: split over columns
        // Narrow N with A transposed: AVX-512's transposed-A narrow kernel, C^T on the packed
        // path elsewhere. M = 1000 gives that kernel >= 1 MFLOP per thread for 2 and 3 threads,
        // so it splits rows too (at M = 200 it stayed on one thread).
        GEMMProblem(m: 1000, n: 5, k: 100, transA: true),
        GEMMProblem(m: 37, n: 1100, k: 520, alpha: 2),           // several N and K blocks
    ]
    for (index, problem) in problems.enumerated() {
        problem.expectSameBitsAcrossThreads(kernel: kernel, seed: 200 + UInt64(index))
    }
}

@Suite("GEMM kernels against a Double reference")
struct GEMMTests {
    @Test(.enabled(if: GEMMKernel.avx512.isSupported, "CPU lacks AVX-512"))
    func avx512EdgeShapes() { checkEdges(.avx512) }

    @Test(.enabled(if: GEMMKernel.avx2.isSupported, "CPU lacks AVX2 + FMA"))
    func avx2EdgeShapes() { checkEdges(.avx2) }

    @Test func genericEdgeShapes() { checkEdges(.generic) }

    @Test(.enabled(if: GEMMKernel.avx512.isSupported, "CPU lacks AVX-512"))
    func avx512MLPShapes() { checkMLPShapes(.avx512) }

    @Test(.enabled(if: GEMMKernel.avx2.isSupported, "CPU lacks AVX2 + FMA"))
    func avx2MLPShapes() { checkMLPShapes(.avx2) }

    @Test func genericMLPShapes() { checkMLPShapes(.generic) }

    /// The AVX2 family computes every element as its definition's chain of fused
    /// multiply-adds, in K blocks of 256: the same bits whatever the tile shape, unrolling or
    /// path (a narrow output's swapped roles included), and so the same bits as any other
    /// kernel that keeps to that definition.
    @Test(.enabled(if: GEMMKernel.avx2.isSupported, "CPU lacks AVX2 + FMA"))
    func avx2ComputesTheFusedDefinitionBitForBit() {
        // Narrow outputs of 13 and 16 columns: the transposed-A kernel's uneven passes (4, 4, 5
        // and 5, 5, 6 columns) and half-vector row tails over two K blocks; and A read in place.
        let shapes = edgeShapes + [(m: 12, n: 256, k: 784), (m: 7, n: 40, k: 513), (m: 23, n: 13, k: 270), (m: 40, n: 16, k: 33)]
        for (problem, seed) in edgeProblems(shapes, firstSeed: 301) {
            let (a, b, c) = problem.makeOperands(seed: seed)
            let result = problem.run(kernel: .avx2, a: a, b: b, c: c)
            let expected = problem.fusedDefinition(a: a, b: b, c: c, blockDepth: 256)  // SG_AVX2_KC
            let first = result.indices.first { result[$0].bitPattern != expected[$0].bitPattern }
            #expect(first == nil, "avx2 \(problem): element \(first ?? 0) is \(first.map { result[$0] } ?? 0), the definition gives \(first.map { expected[$0] } ?? 0)")
        }
    }

    @Test(arguments: GEMMKernel.supported)
    func threadCountDoesNotChangeBits(kernel: GEMMKernel) {
        checkThreadInvariance(kernel)
    }

    @Test func degenerateShapesOnlyScaleC() {
        // K == 0 and alpha == 0 leave beta * C; beta == 0 clears NaN rather than keeping it.
        for (k, alpha, beta): (Int, Float, Float) in [(0, 1, 0), (0, 1, 2), (5, 0, 0), (5, 0, -1)] {
            let problem = GEMMProblem(m: 3, n: 4, k: k, alpha: alpha, beta: beta)
            problem.expectMatchesReference(kernel: GEMMKernel(id: sg_gemm_detected_kernel()), seed: 7)
        }
    }

    @Test func detectedKernelIsSupportedAndNamed() {
        let detected = GEMMKernel(id: sg_gemm_detected_kernel())
        #expect(detected.isSupported)
        #expect(String(cString: sg_gemm_kernel_name()) == detected.description)
        #expect(["avx512", "avx2", "generic"].contains(detected.description))
    }
}
