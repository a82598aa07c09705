import CKernels
import Foundation
import Testing

extension GEMMKernel {
    static let avx512BF16 = GEMMKernel(id: Int32(SG_GEMM_KERNEL_AVX512_BF16))

    /// The families that compute bf16 products without `vdpbf16ps` on this CPU: the emulated
    /// AVX-512 kernel, the portable kernel built for AVX2, and the portable kernel itself.
    static let supportedWithoutBF16 = [avx512, avx2, generic].filter(\.isSupported)
}

/// A context that computes bf16 products with `threads` threads, posting on `board` when given.
func bf16Context(threads: Int32 = 1, board: OpaquePointer? = nil, slot: Int32 = 0) -> sg_gemm_context {
    sg_gemm_context(threads: threads, help_board: board, help_slot: slot,
                    precision: Int32(SG_PRECISION_BF16))
}

extension GEMMProblem {
    /// C after `sg_sgemm_bf16_reference` on copies of the operands.
    func bf16Reference(a: [Float], b: [Float], c: [Float]) -> [Float] {
        var out = c
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    sg_sgemm_bf16_reference(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha,
                                            pa.baseAddress! + offset, lda,
                                            pb.baseAddress! + offset, ldb,
                                            beta, pc.baseAddress! + offset, ldc)
                }
            }
        }
        return out
    }

    /// Elements of two C buffers (padding included) whose bits differ.
    static func differing(_ x: [Float], _ y: [Float]) -> Int {
        zip(x, y).filter { $0.bitPattern != $1.bitPattern }.count
    }
}

/// bf16 products (`precision` `SG_PRECISION_BF16`): every kernel family, thread count and help
/// board gives the bits of `sg_sgemm_bf16_reference`, which itself is checked against a model
/// of the definition written here in Swift.
@Suite struct BF16GEMMTests {
    /// Odd shapes from 1, 2, 3, 7, 17, 31, 33, 100, 513 and 1030: K odd, K > SG_BF16_KC (one
    /// and two more blocks, the last of odd length), narrow outputs either way round, every
    /// transpose, alpha != 1 and beta 0, 1 and 0.5, with padded strides and unaligned operands.
    static let problems: [GEMMProblem] = {
        let shapes = [(1, 1, 1), (2, 3, 7), (3, 2, 17), (7, 17, 1030), (17, 7, 513), (31, 33, 100),
                      (33, 31, 1030), (100, 3, 513), (3, 100, 33), (513, 2, 31), (2, 513, 7),
                      (1030, 3, 17), (17, 1030, 3), (100, 100, 1), (33, 100, 513), (100, 17, 1031)]
        let scalars: [(alpha: Float, beta: Float)] = [(1, 0), (-1.5, 1), (0.75, 0.5), (2, 0)]
        var list: [GEMMProblem] = []
        for (index, (m, n, k)) in shapes.enumerated() {
            for (t, transposes) in allTransposes.enumerated() {
                let s = scalars[(index + t) % scalars.count]
                list.append(GEMMProblem(m: m, n: n, k: k, transA: transposes.transA,
                                        transB: transposes.transB, alpha: s.alpha, beta: s.beta,
                                        padA: 1 + index % 3, padB: 2, padC: 1 + t))
            }
        }
        return list
    }()

    /// Runs each of `problems` on `kernel` with 1 and 2 threads, on operands from seeds counting
    /// up from `seed`, and expects the reference's bits.
    static func expectReferenceBits(kernel: GEMMKernel, problems: [GEMMProblem] = BF16GEMMTests.problems, seed: UInt64 = 700) {
        for (index, problem) in problems.enumerated() {
            let (a, b, c) = problem.makeOperands(seed: seed + UInt64(index))
            let reference = problem.bf16Reference(a: a, b: b, c: c)
            for threads: Int32 in [1, 2] {
                let result = problem.run(kernel: kernel, a: a, b: b, c: c,
                                         context: bf16Context(threads: threads))
                let differing = GEMMProblem.differing(result, reference)
                #expect(differing == 0,
                        "\(kernel) \(problem) threads \(threads): \(differing) elements differ from the reference")
            }
        }
    }

    /// The start-up check that keeps a CPU's native kernels out when they disagree with the
    /// emulated ones also keeps a defect of the native packing or kernels out of every test
    /// above, which then skip: on a CPU with the instructions, the check must pass.
    @Test(.enabled(if: sg_cpu_has_bf16_instructions() != 0, "needs AVX512-BF16"))
    func aCPUWithTheInstructionsPassesTheStartUpCheck() {
        #expect(GEMMKernel.avx512BF16.isSupported,
                "this CPU has AVX512-BF16, but the native packing or kernels disagree with the emulated ones (sg_bf16_native_agrees)")
    }

    /// bf16 products pick the native family only where it passes the start-up check, and
    /// otherwise the Float32 products' family: never a kernel this CPU cannot run, never the
    /// portable one on a CPU with AVX-512 or AVX2. (Which of the two it picks on a CPU with a
    /// usable vdpbf16ps is decided by a timing, which a test cannot pin.)
    @Test func bf16ProductsPickTheNativeFamilyOrTheFloat32One() {
        let detected = sg_gemm_detected_bf16_kernel()
        if detected == Int32(SG_GEMM_KERNEL_AVX512_BF16) {
            #expect(GEMMKernel.avx512BF16.isSupported)
        } else {
            #expect(detected == sg_gemm_detected_kernel())
        }
        #expect(sg_gemm_detected_bf16_kernel() == detected, "decided once")
        if sg_cpu_has_bf16_instructions() == 0 {
            #expect(detected != Int32(SG_GEMM_KERNEL_AVX512_BF16))
        }
    }

    @Test(.enabled(if: GEMMKernel.avx512BF16.isSupported,
                   "needs AVX512-BF16 whose vdpbf16ps passes the start-up check"))
    func nativeKernelGivesTheReferenceBits() {
        Self.expectReferenceBits(kernel: .avx512BF16)
    }

    @Test(arguments: GEMMKernel.supportedWithoutBF16)
    func kernelsWithoutBF16InstructionsGiveTheReferenceBits(kernel: GEMMKernel) {
        Self.expectReferenceBits(kernel: kernel)
    }

    /// Shapes that the native family computes with its kernels for narrow outputs (N <= 16 with
    /// M > N: row-wise, or vectorised along M when A is transposed) and short K (K <= 16 with
    /// N > 16): N of 1, 10, 13 (two column passes along M) and 16; M off every tile (12 and
    /// 32 rows, 6-row tiles and 64-column tiles); K odd, 1, 512 and past one K block; every
    /// transpose, beta 0, 1 and 0.5, padded strides and unaligned operands. Most are large enough
    /// that two threads split them (as the Float32 kernels do, from 1 MFLOP of padded work per
    /// thread); the smallest check the tails on one thread.
    static let shapeKernelProblems: [GEMMProblem] = {
        let shapes = [(517, 10, 300), (300, 13, 1031), (77, 16, 513), (1030, 1, 512), (45, 10, 7),
                      (200, 7, 1), (517, 300, 7), (1030, 17, 16), (35, 64, 10), (5, 65, 1),
                      (611, 129, 15), (13, 100, 2)]
        let scalars: [(alpha: Float, beta: Float)] = [(1, 0), (-1.5, 1), (0.75, 0.5)]
        var list: [GEMMProblem] = []
        for (index, (m, n, k)) in shapes.enumerated() {
            for (t, transposes) in allTransposes.enumerated() {
                let s = scalars[(index + t) % scalars.count]
                list.append(GEMMProblem(m: m, n: n, k: k, transA: transposes.transA,
                                        transB: transposes.transB, alpha: s.alpha, beta: s.beta,
                                        padA: 1 + index % 3, padB: 2 + t, padC: 1 + t))
            }
        }
        return list
    }()

    @Test(.enabled(if: GEMMKernel.avx512BF16.isSupported,
                   "needs AVX512-BF16 whose vdpbf16ps passes the start-up check"))
    func nativeNarrowAndShortKKernelsGiveTheReferenceBits() {
        Self.expectReferenceBits(kernel: .avx512BF16, problems: Self.shapeKernelProblems, seed: 1300)
    }

    /// The narrow and short-K kernels on operands of mixed magnitudes, whose sums and scaled
    /// sums fall under FLT_MIN, over a C holding subnormals: flushed as the reference flushes.
    @Test(.enabled(if: GEMMKernel.avx512BF16.isSupported,
                   "needs AVX512-BF16 whose vdpbf16ps passes the start-up check"))
    func nativeNarrowAndShortKKernelsFlushAsTheReference() {
        var rng = SeededFloats(seed: 23)
        for problem in [GEMMProblem(m: 29, n: 10, k: 21, alpha: 0.75, beta: 0.5),
                        GEMMProblem(m: 37, n: 11, k: 21, transA: true, alpha: 0.75, beta: 0.5),
                        GEMMProblem(m: 13, n: 40, k: 9, transB: true, alpha: 0.75, beta: 0.5),
                        GEMMProblem(m: 13, n: 40, k: 9, transA: true, alpha: 0.75, beta: 0.5)] {
            let a = (0..<(problem.offset + problem.rowsA * problem.lda)).map { _ in rng.next() * 0x1p-62 }
            let b = (0..<(problem.offset + problem.rowsB * problem.ldb)).map { _ in rng.next() * 0x1p-62 }
            let c = (0..<(problem.offset + problem.m * problem.ldc)).map { i in
                i % 3 == 0 ? Float(bitPattern: 0x0000_1234) : rng.next() * 0x1p-120
            }
            let result = problem.run(kernel: .avx512BF16, a: a, b: b, c: c, context: bf16Context())
            #expect(GEMMProblem.differing(result, problem.bf16Reference(a: a, b: b, c: c)) == 0,
                    "\(problem)")
        }
    }

    /// What the rest of SwiftGrad calls: the detected kernel, with its threads.
    @Test func theDetectedKernelGivesTheReferenceBits() {
        let detected = sg_gemm_detected_bf16_kernel()
        #expect(sg_gemm_kernel_supported(detected) == 1)
        for problem in [GEMMProblem(m: 256, n: 256, k: 784), GEMMProblem(m: 784, n: 256, k: 256, transA: true),
                        GEMMProblem(m: 256, n: 784, k: 256, transB: true, beta: 1),
                        GEMMProblem(m: 256, n: 10, k: 256), GEMMProblem(m: 256, n: 10, k: 512, transA: true),
                        GEMMProblem(m: 512, n: 256, k: 10, transB: true, alpha: 0.5, beta: 0.5)] {
            let (a, b, c) = problem.makeOperands(seed: 11)
            let reference = problem.bf16Reference(a: a, b: b, c: c)
            for threads: Int32 in [1, 2] {
                var result = c
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        result.withUnsafeMutableBufferPointer { pc in
                            sg_sgemm_with_context(bf16Context(threads: threads),
                                                  problem.transA ? 1 : 0, problem.transB ? 1 : 0,
                                                  problem.m, problem.n, problem.k, problem.alpha,
                                                  pa.baseAddress! + problem.offset, problem.lda,
                                                  pb.baseAddress! + problem.offset, problem.ldb,
                                                  problem.beta, pc.baseAddress! + problem.offset,
                                                  problem.ldc)
                        }
                    }
                }
                #expect(GEMMProblem.differing(result, reference) == 0, "\(problem) threads \(threads)")
            }
        }
    }

    /// Shapes on the packed path with several row panels, several K blocks, N blocks of every
    /// family (N > 1024), a narrow output computed as C^T, both transposes and beta != 0.
    static let postedProblems = [
        GEMMProblem(m: 96, n: 256, k: 600),
        GEMMProblem(m: 300, n: 200, k: 96, transA: true),
        GEMMProblem(m: 96, n: 300, k: 200, transB: true, beta: 0.5),
        GEMMProblem(m: 37, n: 1100, k: 530, alpha: 2, beta: -1),
        GEMMProblem(m: 1500, n: 30, k: 300, transA: true, transB: true),
        // N = 7 < NR / 2: C^T is computed, whose 7 rows make two micro-panels for the families
        // with 4-row tiles (AVX2, portable), and one, which is not posted, for the AVX-512 ones.
        GEMMProblem(m: 1500, n: 7, k: 300, transA: true, transB: true),
    ]

    @Test(arguments: [GEMMKernel.avx512BF16, .avx512, .avx2, .generic].filter(\.isSupported))
    func postedProductsHaveTheReferenceBits(kernel: GEMMKernel) throws {
        let board = try #require(sg_help_board_create(2))
        defer { sg_help_board_destroy(board) }
        let helper = HelpBoardTests.Helper(board: board)
        defer { helper.stop() }
        for (index, problem) in Self.postedProblems.enumerated() {
            let (a, b, c) = problem.makeOperands(seed: 900 + UInt64(index))
            let reference = problem.bf16Reference(a: a, b: b, c: c)
            // Whether the helper has a core while the product runs is up to the scheduler, and
            // on a loaded machine it may have none for a while: repeat, letting other threads
            // run between products, until it has computed some of this product's pieces (or,
            // for a product that posts nothing, three times).
            let rowsPerTile = kernel.id == GEMMKernel.avx512BF16.id || kernel.id == GEMMKernel.avx512.id ? 12 : 4
            let posts = (min(problem.m, problem.n) + rowsPerTile - 1) / rowsPerTile >= 2
            let before = sg_help_board_pieces_helped(board)
            let deadline = ContinuousClock.now + .seconds(30)
            var rounds = 0
            while posts ? ContinuousClock.now < deadline : rounds < 3 {
                rounds += 1
                let posted = problem.run(kernel: kernel, a: a, b: b, c: c,
                                         context: bf16Context(board: board, slot: 1))
                let differing = GEMMProblem.differing(posted, reference)
                #expect(differing == 0, "\(kernel) \(problem): \(differing) elements of a helped product differ")
                if differing != 0 || sg_help_board_pieces_helped(board) > before { break }
                if rounds % 50 == 0 { usleep(1_000) }
            }
            if !posts {
                #expect(sg_help_board_pieces_helped(board) == before,
                        "\(kernel) \(problem): a product with one micro-panel of rows posts nothing")
            } else if ProcessInfo.processInfo.activeProcessorCount >= 2 {
                #expect(sg_help_board_pieces_helped(board) > before,
                        "\(kernel) \(problem): the helper never computed a piece")
            }
        }
    }

    /// A bf16 product on the bf16 family's kernel constant with Float32 precision is the
    /// AVX-512 Float32 product.
    @Test(.enabled(if: GEMMKernel.avx512BF16.isSupported, "needs AVX512-BF16"))
    func float32ProductsOfTheBF16FamilyAreTheAVX512Ones() {
        let problem = GEMMProblem(m: 50, n: 70, k: 300, transB: true, beta: 0.5)
        let (a, b, c) = problem.makeOperands(seed: 5)
        let float32 = sg_gemm_context(threads: 1, help_board: nil, help_slot: 0, precision: 0)
        #expect(GEMMProblem.differing(problem.run(kernel: .avx512BF16, a: a, b: b, c: c, context: float32),
                                      problem.run(kernel: .avx512, a: a, b: b, c: c, context: float32)) == 0)
    }
}

// MARK: - Special values

/// The C of an M x N x K product of dense row-major operands on `kernel` (bf16, one thread),
/// starting from `c`.
func bf16Product(kernel: GEMMKernel, m: Int, n: Int, k: Int, a: [Float], b: [Float],
                 alpha: Float = 1, beta: Float = 0, c: [Float]? = nil) -> [Float] {
    var out = c ?? [Float](repeating: 0, count: m * n)
    sg_sgemm_with_kernel(kernel.id, bf16Context(), 0, 0, m, n, k, alpha, a, k, b, n, beta, &out, n)
    return out
}

/// The same product by `sg_sgemm_bf16_reference`.
func bf16ReferenceProduct(m: Int, n: Int, k: Int, a: [Float], b: [Float], alpha: Float = 1,
                          beta: Float = 0, c: [Float]? = nil) -> [Float] {
    var out = c ?? [Float](repeating: 0, count: m * n)
    sg_sgemm_bf16_reference(0, 0, m, n, k, alpha, a, k, b, n, beta, &out, n)
    return out
}

@Suite struct BF16SpecialValueTests {
    static let kernels = [GEMMKernel.avx512BF16, .avx512, .avx2, .generic].filter(\.isSupported)

    @Test func roundingToBF16() {
        func rounded(_ bits: UInt32) -> UInt32 { sg_round_to_bf16(Float(bitPattern: bits)).bitPattern }
        #expect(rounded(0x3F80_8000) == 0x3F80_0000)  // a tie rounds down to the even 0x3F80
        #expect(rounded(0x3F81_8000) == 0x3F82_0000)  // a tie rounds up to the even 0x3F82
        #expect(rounded(0xBF81_8000) == 0xBF82_0000)  // and so for negatives
        #expect(rounded(0x3F80_8001) == 0x3F81_0000)  // past the tie: up
        #expect(rounded(0x3F80_7FFF) == 0x3F80_0000)  // short of it: down
        #expect(rounded(0x7F7F_7FFF) == 0x7F7F_0000)  // the largest bf16 stays
        #expect(rounded(0x7F7F_8000) == 0x7F80_0000)  // a tie above it overflows to +inf
        #expect(Float(bitPattern: rounded(Float.greatestFiniteMagnitude.bitPattern)) == .infinity)
        #expect(Float(bitPattern: rounded((-Float.greatestFiniteMagnitude).bitPattern)) == -.infinity)
        #expect(rounded(Float.infinity.bitPattern) == Float.infinity.bitPattern)
        #expect(rounded((-Float.infinity).bitPattern) == (-Float.infinity).bitPattern)
        #expect(rounded(0x8000_0000) == 0x8000_0000)  // -0 stays -0
        #expect(rounded(0x0000_0000) == 0x0000_0000)
        #expect(rounded(0x007F_FFFF) == 0x0000_0000)  // the largest subnormal becomes +0
        #expect(rounded(0x8000_0001) == 0x8000_0000)  // a negative subnormal becomes -0
        #expect(rounded(Float.leastNormalMagnitude.bitPattern) == Float.leastNormalMagnitude.bitPattern)
        // NaN: quiet, sign and leading payload kept.
        let signalling = rounded(0x7F80_0001), negative = rounded(0xFFA0_0000)
        #expect(signalling == 0x7FC0_0000)
        #expect(negative == 0xFFE0_0000)
        #expect(Float(bitPattern: rounded(Float.nan.bitPattern)).isNaN)
    }

    /// Step 4 of the definition: a sum or a scaled sum under FLT_MIN is stored as a zero of its
    /// sign; a subnormal C is read as zero; a product under FLT_MIN inside a larger sum counts.
    @Test(arguments: kernels)
    func subnormalsAreFlushed(kernel: GEMMKernel) {
        let tiny: Float = 0x1p-65, small: Float = 0x1p-60
        // K = 1: the lone product 2^-130 is flushed, keeping its sign.
        for (a, expected) in [(tiny, Float(0).bitPattern), (-tiny, (-Float(0)).bitPattern)] {
            let result = bf16Product(kernel: kernel, m: 1, n: 1, k: 1, a: [a], b: [tiny])
            #expect(result[0].bitPattern == expected, "\(kernel): \(a) * \(tiny)")
            #expect(bf16ReferenceProduct(m: 1, n: 1, k: 1, a: [a], b: [tiny])[0].bitPattern == expected)
        }
        // K = 2: the odd product 2^-120 first, then 2^-130 is added, exactly.
        let kept = bf16Product(kernel: kernel, m: 1, n: 1, k: 2, a: [tiny, small], b: [tiny, small])
        #expect(kept[0] == 0x1.004p-120, "\(kernel): \(kept[0])")
        // alpha * s under FLT_MIN.
        let scaled = bf16Product(kernel: kernel, m: 1, n: 1, k: 1, a: [0x1p-50], b: [0x1p-50],
                                 alpha: 0x1p-30)
        #expect(scaled[0].bitPattern == 0, "\(kernel): \(scaled[0])")
        // A subnormal C is read as zero.
        let denormalC = bf16Product(kernel: kernel, m: 1, n: 2, k: 1, a: [1], b: [0, 0], beta: 1,
                                    c: [0x1p-140, -0x1p-130])
        #expect(denormalC.map(\.bitPattern) == [0, 0], "\(kernel): \(denormalC)")
        // Over a 13 x 40 tile with mixed magnitudes, the kernel gives the reference's bits.
        var rng = SeededFloats(seed: 17)
        let a = (0..<(13 * 9)).map { _ in rng.next() * 0x1p-62 }
        let b = (0..<(9 * 40)).map { _ in rng.next() * 0x1p-62 }
        let c = (0..<(13 * 40)).map { i in i % 3 == 0 ? Float(bitPattern: 0x0000_1234) : rng.next() * 0x1p-120 }
        #expect(bf16Product(kernel: kernel, m: 13, n: 40, k: 9, a: a, b: b, alpha: 0.75, beta: 0.5, c: c)
                    .map(\.bitPattern)
                == bf16ReferenceProduct(m: 13, n: 40, k: 9, a: a, b: b, alpha: 0.75, beta: 0.5, c: c)
                    .map(\.bitPattern), "\(kernel)")
    }

    /// The packing of every family rounds as `sg_bf16_bits` does, whichever way op(A) and op(B)
    /// lie. Edge values that stay finite (ties to even both ways, values past a tie, the
    /// smallest normal, subnormals, signed zeros) are spread over op(A) and op(B); infinities,
    /// the largest floats (which round to infinity) and NaNs (signalling, all-ones payload,
    /// negative) fill row 0 of op(A) and column 0 of op(B) only, so that every other element of
    /// C stays finite. K = 37 (odd) and M = 13 leave partial pairs and tiles. An element that is
    /// NaN in the reference must be NaN; every other element must have the reference's bits.
    @Test(arguments: kernels)
    func packingRoundsEdgeValuesAsTheReference(kernel: GEMMKernel) {
        let finite: [UInt32] = [0x3F80_8000, 0x3F81_8000, 0xBF81_8000, 0x3F80_8001, 0x3F80_7FFF,
                                0x0000_0001, 0x807F_FFFF, 0x0080_0000, 0x8000_0000, 0x0000_0000,
                                0x4049_0FDB]
        let nonFinite: [UInt32] = [0x7F80_0000, 0xFF80_0000, 0x7F7F_FFFF, 0xFF7F_8000,
                                   0x7F80_0001, 0x7FFF_FFFF, 0xFF80_0001]
        for (t, transposes) in allTransposes.enumerated() {
            let p = GEMMProblem(m: 13, n: 21, k: 37, transA: transposes.transA,
                                transB: transposes.transB, alpha: 1, beta: 0.5,
                                padA: 1 + t, padB: 2, padC: 1)
            var (a, b, c) = p.makeOperands(seed: 900 + UInt64(t))
            func setA(_ i: Int, _ k: Int, _ bits: UInt32) {
                a[p.offset + (p.transA ? k * p.lda + i : i * p.lda + k)] = Float(bitPattern: bits)
            }
            func setB(_ k: Int, _ j: Int, _ bits: UInt32) {
                b[p.offset + (p.transB ? j * p.ldb + k : k * p.ldb + j)] = Float(bitPattern: bits)
            }
            for k in 0..<p.k {
                setA(0, k, nonFinite[k % nonFinite.count])
                setB(k, 0, nonFinite[(k + 2) % nonFinite.count])
                for i in 1..<p.m where (i + k) % 4 == 0 { setA(i, k, finite[(i * 3 + k) % finite.count]) }
                for j in 1..<p.n where (j + k) % 5 == 0 { setB(k, j, finite[(j + k * 7) % finite.count]) }
            }
            let reference = p.bf16Reference(a: a, b: b, c: c)
            let result = p.run(kernel: kernel, a: a, b: b, c: c, context: bf16Context())
            let differing = zip(result, reference).filter { x, y in
                x.isNaN != y.isNaN || (!x.isNaN && x.bitPattern != y.bitPattern)
            }.count
            #expect(differing == 0, "\(kernel) \(p): \(differing) elements differ from the reference")
            // Row 0 and column 0 of C meet the infinities and NaNs; the other 12 x 20 stay finite.
            let finiteCount = (1..<p.m).reduce(0) { count, i in
                count + (1..<p.n).filter { j in reference[p.offset + i * p.ldc + j].isFinite }.count
            }
            #expect(finiteCount == (p.m - 1) * (p.n - 1), "\(p): \(finiteCount) finite elements")
            #expect(reference.contains { $0.isNaN }, "\(p): the non-finite operands reach C")
        }
        // A NaN input stays NaN, whatever its payload (rounding 0x7F80_0001 without the NaN
        // case would give infinity, and 0x7FFF_FFFF would wrap to -0), alone in its product.
        for bits: UInt32 in [0x7F80_0001, 0x7FFF_FFFF, 0xFF80_0001] {
            for (x, y) in [(Float(bitPattern: bits), Float(1)), (Float(1), Float(bitPattern: bits))] {
                let result = bf16Product(kernel: kernel, m: 1, n: 1, k: 2, a: [x, 0], b: [y, 0])
                #expect(result[0].isNaN, "\(kernel): NaN 0x\(String(bits, radix: 16)) gave \(result[0])")
            }
        }
        // A subnormal input is a zero of its sign: K = 2, the subnormal times 2^100 (exact in
        // bf16) would otherwise leave about -1.5e-8, not -0 + 0 = +0.
        for a in [[Float(bitPattern: 0x807F_FFFF), 0], [Float(bitPattern: 0x0000_0001), 0]] {
            let result = bf16Product(kernel: kernel, m: 1, n: 1, k: 2, a: a, b: [0x1p100, 0])
            let reference = bf16ReferenceProduct(m: 1, n: 1, k: 2, a: a, b: [0x1p100, 0])
            #expect(result[0].bitPattern == reference[0].bitPattern && result[0] == 0,
                    "\(kernel): \(a[0]) * 2^100 gave \(result[0]), the reference \(reference[0])")
        }
    }

    /// Within a pair the odd element's product is added first, each step rounded: 1, then
    /// 1 - 1 = 0, then 0 + 2^-30 (the other order would give 1 + 2^-30 = 1, then 0); and two
    /// products of 2^-24 each round 1 + 2^-24 back to 1 (one rounding of the pair would give
    /// 1 + 2^-23).
    @Test(arguments: kernels)
    func pairsAreSummedOddFirstWithTwoRoundings(kernel: GEMMKernel) {
        let order = bf16Product(kernel: kernel, m: 1, n: 1, k: 4, a: [0, 1, 1, -1], b: [0, 1, 0x1p-30, 1])
        #expect(order[0] == 0x1p-30, "\(kernel): \(order[0])")
        let ties = bf16Product(kernel: kernel, m: 1, n: 1, k: 4, a: [0, 1, 1, 1], b: [0, 1, 0x1p-24, 0x1p-24])
        #expect(ties[0] == 1, "\(kernel): \(ties[0])")
    }
}

// MARK: - The reference against a model of the definition

/// The definition of a bf16 product written again in Swift, for operands whose every partial
/// result stays normal (no flushing): each input rounded to 8 significant bits, nearest even, by
/// scaling to an integer; each element of C summed in blocks of SG_BF16_KC, pairs odd element
/// first, each step a fused multiply-add; C = fma(beta', C, alpha * s) after each block.
func bf16Model(_ p: GEMMProblem, a: [Float], b: [Float], c: [Float]) -> [Float] {
    func round(_ x: Float) -> Float {
        if x == 0 || !x.isFinite { return x }
        let unit = Float(sign: .plus, exponent: x.exponent - 7, significand: 1)
        return (x / unit).rounded(.toNearestOrEven) * unit
    }
    func opA(_ i: Int, _ k: Int) -> Float {
        round(p.transA ? a[p.offset + k * p.lda + i] : a[p.offset + i * p.lda + k])
    }
    func opB(_ k: Int, _ j: Int) -> Float {
        round(p.transB ? b[p.offset + j * p.ldb + k] : b[p.offset + k * p.ldb + j])
    }
    let block = Int(SG_BF16_KC)
    var out = c
    for i in 0..<p.m {
        for j in 0..<p.n {
            let index = p.offset + i * p.ldc + j
            for k0 in stride(from: 0, to: p.k, by: block) {
                let k1 = min(k0 + block, p.k)
                var s: Float = 0
                for k in stride(from: k0, to: k1, by: 2) {
                    if k + 1 < k1 { s.addProduct(opA(i, k + 1), opB(k + 1, j)) } else { s += 0 }
                    s.addProduct(opA(i, k), opB(k, j))
                }
                let betaPrime = k0 == 0 ? p.beta : 1
                out[index] = betaPrime == 0 ? p.alpha * s : (p.alpha * s).addingProduct(betaPrime, out[index])
            }
        }
    }
    return out
}

@Suite struct BF16ReferenceModelTests {
    @Test func referenceMatchesTheSwiftModelOfTheDefinition() {
        let shapes = [(1, 1, 1), (3, 5, 7), (4, 3, 512), (5, 2, 513), (2, 3, 1030), (3, 4, 1031),
                      (7, 6, 33)]
        for (index, (m, n, k)) in shapes.enumerated() {
            for (t, transposes) in allTransposes.enumerated() {
                let problem = GEMMProblem(m: m, n: n, k: k, transA: transposes.transA, transB: transposes.transB,
                                          alpha: [1, 1.5, -0.5, 2][t], beta: [0, 1, 0.5, -1][(index + t) % 4])
                let (a, b, c) = problem.makeOperands(seed: 40 + UInt64(index * 4 + t))
                let model = bf16Model(problem, a: a, b: b, c: c)
                let reference = problem.bf16Reference(a: a, b: b, c: c)
                #expect(GEMMProblem.differing(model, reference) == 0, "\(problem)")
            }
        }
    }

    /// The model is not the reference in disguise: its rounding keeps 8 significant bits.
    @Test func modelRoundingKeepsEightSignificantBits() {
        let problem = GEMMProblem(m: 1, n: 1, k: 1, padA: 0, padB: 0, padC: 0, offset: 0)
        let a: [Float] = [1 + 0x1p-8 + 0x1p-20], b: [Float] = [1], c: [Float] = [0]
        #expect(bf16Model(problem, a: a, b: b, c: c)[0] == 1 + 0x1p-7)
        #expect(problem.bf16Reference(a: a, b: b, c: c)[0] == 1 + 0x1p-7)
    }
}
