import CKernels
import Testing

extension GEMMProblem {
    /// C after packing op(B) with `sg_gemm_pack_b` and running `sg_sgemm_packed_b` on copies of
    /// the operands as `context` says.
    func runPackedB(kernel: GEMMKernel, a: [Float], b: [Float], c: [Float],
                    context: sg_gemm_context) -> [Float] {
        var out = c
        let bytes = sg_gemm_packed_b_bytes(kernel.id, context.precision, n, k)
        let packed = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { packed.deallocate() }
        b.withUnsafeBufferPointer { pb in
            sg_gemm_pack_b(kernel.id, context.precision, transB ? 1 : 0, n, k, pb.baseAddress! + offset,
                           ldb, packed)
            a.withUnsafeBufferPointer { pa in
                out.withUnsafeMutableBufferPointer { pc in
                    sg_sgemm_packed_b(context, transA ? 1 : 0, m, alpha, pa.baseAddress! + offset, lda,
                                      packed, beta, pc.baseAddress! + offset, ldc)
                }
            }
        }
        return out
    }

    /// C after packing op(B) with `sg_gemm_pack_b` and running `sg_sgemm_packed_b_unpacked_a`
    /// (A read in place; `transA` must be false) on copies of the operands as `context` says.
    func runPackedBUnpackedA(kernel: GEMMKernel, a: [Float], b: [Float], c: [Float],
                             context: sg_gemm_context) -> [Float] {
        precondition(!transA, "sg_sgemm_packed_b_unpacked_a reads A as stored")
        var out = c
        let bytes = sg_gemm_packed_b_bytes(kernel.id, context.precision, n, k)
        let packed = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { packed.deallocate() }
        b.withUnsafeBufferPointer { pb in
            sg_gemm_pack_b(kernel.id, context.precision, transB ? 1 : 0, n, k, pb.baseAddress! + offset,
                           ldb, packed)
            a.withUnsafeBufferPointer { pa in
                out.withUnsafeMutableBufferPointer { pc in
                    sg_sgemm_packed_b_unpacked_a(context, m, alpha, pa.baseAddress! + offset, lda, packed,
                                                 beta, pc.baseAddress! + offset, ldc)
                }
            }
        }
        return out
    }
}

/// Products against op(B) packed once (`sg_gemm_pack_b`, `sg_sgemm_packed_b`) give the bits of
/// the unpacked call, for every path a shape can take.
@Suite struct PackedBGEMMTests {
    /// Shapes (M, N, K) that reach every path: the packed path with ragged tiles, several K
    /// blocks in both precisions (K > 512, an odd last block), several N blocks (N > 1024 on
    /// AVX-512, N > 256 for the portable family), the narrow kernels (N <= 16, M > N) and the
    /// narrow output with M <= N, a single column, short K, and the AVX2 / portable role swap.
    static let shapes: [(Int, Int, Int)] = [
        (37, 45, 19), (1, 33, 7), (53, 10, 601), (29, 1100, 37), (5, 300, 270), (70, 16, 17),
        (8, 10, 40), (19, 1, 33), (100, 40, 12), (31, 7, 300), (26, 64, 1030),
    ]

    static func problems() -> [GEMMProblem] {
        var problems: [GEMMProblem] = []
        for (index, (m, n, k)) in shapes.enumerated() {
            for transA in [false, true] {
                for transB in [false, true] {
                    let scaled = (index + (transA ? 1 : 0) + (transB ? 2 : 0)) % 2 == 1
                    problems.append(GEMMProblem(m: m, n: n, k: k, transA: transA, transB: transB,
                                                alpha: scaled ? 0.5 : 1, beta: scaled ? 0.75 : 0))
                }
            }
        }
        return problems
    }

    static func expectUnpackedBits(kernel: GEMMKernel, precision: Int32) {
        let board = sg_help_board_create(1)
        defer { sg_help_board_destroy(board) }
        let contexts = [
            sg_gemm_context(threads: 1, help_board: nil, help_slot: 0, precision: precision),
            sg_gemm_context(threads: 2, help_board: nil, help_slot: 0, precision: precision),
            sg_gemm_context(threads: 1, help_board: board, help_slot: 0, precision: precision),
        ]
        for (index, problem) in problems().enumerated() {
            let (a, b, c) = problem.makeOperands(seed: UInt64(index + 1))
            let expected = problem.run(kernel: kernel, a: a, b: b, c: c, context: contexts[0])
            for context in contexts {
                let packed = problem.runPackedB(kernel: kernel, a: a, b: b, c: c, context: context)
                let differing = zip(packed, expected).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(differing == 0,
                        "\(kernel) precision \(precision) threads \(context.threads) board \(context.help_board != nil): \(problem)")
            }
        }
    }

    @Test(arguments: GEMMKernel.supported)
    func float32ProductsGiveTheUnpackedBits(kernel: GEMMKernel) {
        Self.expectUnpackedBits(kernel: kernel, precision: Int32(SG_PRECISION_FLOAT32))
    }

    @Test(arguments: [GEMMKernel.avx512BF16, .avx512, .avx2, .generic].filter(\.isSupported))
    func bf16ProductsGiveTheUnpackedBits(kernel: GEMMKernel) {
        Self.expectUnpackedBits(kernel: kernel, precision: Int32(SG_PRECISION_BF16))
    }

    /// Shapes for A read in place, beyond those above: several blocks of rows per thread (M past
    /// MC = 240 on AVX-512 and AVX2, 256 for the portable family) with a ragged last tile, an
    /// inference chunk's first layer (K = 784, several K blocks) and a hidden layer, and a
    /// narrow N that the AVX2 and portable families compute with the roles swapped.
    static let unpackedAShapes: [(Int, Int, Int)] = shapes + [
        (517, 40, 33), (263, 256, 784), (257, 256, 256), (300, 5, 70),
    ]

    /// Every alpha and beta case the products distinguish: beta 0 (C not read: it holds NaN),
    /// beta 1 and another beta (C read once, then accumulated over K blocks), alpha 1, another
    /// alpha, and alpha 0 (C only scaled).
    static let scalings: [(alpha: Float, beta: Float)] = [(1, 0), (0.5, 0.75), (-1.25, 1), (0, 0.5)]

    static func unpackedAProblems() -> [GEMMProblem] {
        var problems: [GEMMProblem] = []
        for (index, (m, n, k)) in unpackedAShapes.enumerated() {
            for transB in [false, true] {
                // Two scalings per shape and transpose, all four over the shapes.
                for offset in 0..<2 {
                    let (alpha, beta) = scalings[(2 * index + (transB ? 1 : 0) + 2 * offset) % scalings.count]
                    problems.append(GEMMProblem(m: m, n: n, k: k, transA: false, transB: transB,
                                                alpha: alpha, beta: beta))
                }
            }
        }
        return problems
    }

    /// `sg_sgemm_packed_b_unpacked_a` gives the bits of `sg_sgemm_packed_b` (A packed per
    /// block) for every shape, scaling and context: 1 thread, 2 threads and a help board. The
    /// elements of A's rows past K hold NaN, so a kernel that read past a row's K elements
    /// would show it.
    static func expectPackedABits(kernel: GEMMKernel, precision: Int32) {
        let board = sg_help_board_create(1)
        defer { sg_help_board_destroy(board) }
        let contexts = [
            sg_gemm_context(threads: 1, help_board: nil, help_slot: 0, precision: precision),
            sg_gemm_context(threads: 2, help_board: nil, help_slot: 0, precision: precision),
            sg_gemm_context(threads: 1, help_board: board, help_slot: 0, precision: precision),
        ]
        for (index, problem) in unpackedAProblems().enumerated() {
            var (a, b, c) = problem.makeOperands(seed: UInt64(100 + index))
            for row in 0..<problem.m {
                for column in problem.k..<problem.lda { a[problem.offset + row * problem.lda + column] = .nan }
            }
            let expected = problem.runPackedB(kernel: kernel, a: a, b: b, c: c, context: contexts[0])
            #expect(problem.beta == 0 || problem.alpha == 0 || expected != c, "the product changed nothing: \(problem)")
            for context in contexts {
                let inPlace = problem.runPackedBUnpackedA(kernel: kernel, a: a, b: b, c: c, context: context)
                let differing = zip(inPlace, expected).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(differing == 0,
                        "\(kernel) precision \(precision) threads \(context.threads) board \(context.help_board != nil): \(problem)")
                let outputs = (0..<problem.m).flatMap { row in
                    inPlace[(problem.offset + row * problem.ldc)..<(problem.offset + row * problem.ldc + problem.n)]
                }
                #expect(!outputs.contains { $0.isNaN }, "NaN in C: \(problem)")
            }
        }
    }

    @Test(arguments: GEMMKernel.supported)
    func float32ProductsReadingAInPlaceGiveThePackedBits(kernel: GEMMKernel) {
        Self.expectPackedABits(kernel: kernel, precision: Int32(SG_PRECISION_FLOAT32))
    }

    /// bf16 products pack A whichever entry point is called (packing rounds it to bf16).
    @Test(arguments: [GEMMKernel.avx512BF16, .avx512, .avx2, .generic].filter(\.isSupported))
    func bf16ProductsReadingAInPlaceGiveThePackedBits(kernel: GEMMKernel) {
        Self.expectPackedABits(kernel: kernel, precision: Int32(SG_PRECISION_BF16))
    }

    /// The buffer is read only: a second product against it gives the same bits, and products
    /// of different M against one packing each give their unpacked bits.
    @Test func oneBufferServesManyProducts() {
        let kernel = GEMMKernel(id: sg_gemm_detected_kernel())
        let n = 40, k = 300
        var rng = SeededFloats(seed: 7)
        let b = rng.array(k * n)
        let context = sg_gemm_context(threads: 1, help_board: nil, help_slot: 0, precision: 0)
        let packed = UnsafeMutableRawPointer.allocate(
            byteCount: sg_gemm_packed_b_bytes(kernel.id, 0, n, k), alignment: 64)
        defer { packed.deallocate() }
        b.withUnsafeBufferPointer { sg_gemm_pack_b(kernel.id, 0, 0, n, k, $0.baseAddress!, n, packed) }
        for m in [3, 17, 64, 3] {
            let a = rng.array(m * k)
            var viaPacked = [Float](repeating: .nan, count: m * n)
            var direct = viaPacked
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    sg_sgemm_packed_b(context, 0, m, 1, pa.baseAddress!, k, packed, 0, &viaPacked, n)
                    sg_sgemm_with_kernel(kernel.id, context, 0, 0, m, n, k, 1, pa.baseAddress!, k,
                                         pb.baseAddress!, n, 0, &direct, n)
                }
            }
            #expect(zip(viaPacked, direct).allSatisfy { $0.bitPattern == $1.bitPattern }, "M = \(m)")
            #expect(!viaPacked.contains { $0.isNaN })
        }
    }
}
