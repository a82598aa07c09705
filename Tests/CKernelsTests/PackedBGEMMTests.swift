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
