import CKernels

/// Matrix products, computed by the C kernel `sg_sgemm_with_context`, or by `sg_sgemm_packed_b`
/// when the context's packed operands hold the right operand (the same bits).
extension Tensor {
    /// The matrix product `op(a) · op(b)`, where `op` transposes its operand when asked.
    ///
    /// Gradients, for C = A·B with upstream G: ∂A = G·Bᵀ and ∂B = Aᵀ·G; the transposed forms
    /// follow by transposing these, and each is again a single product with transpose flags, so
    /// no transposed copy is ever made.
    ///
    /// - Parameters:
    ///   - a: the left operand, a matrix.
    ///   - transposeA: use `aᵀ` in place of `a`.
    ///   - b: the right operand, a matrix.
    ///   - transposeB: use `bᵀ` in place of `b`.
    ///   - kernels: how the product and those of its pullback run: their threads, the help
    ///     board, if any, where single-threaded ones post their pieces, and their precision (see
    ///     ``KernelContext``). The result is the same for any threads and board; under
    ///     ``MatrixPrecision/bf16`` the product and the pullback's two (∂A, ∂B) round their
    ///     inputs to bfloat16 and sum in Float32.
    /// - Precondition: both operands have rank 2 and their inner dimensions agree.
    public static func matmul(
        _ a: Tensor, transposed transposeA: Bool = false,
        _ b: Tensor, transposed transposeB: Bool = false,
        kernels: KernelContext
    ) -> Tensor {
        shapePrecondition(
            a.rank == 2 && b.rank == 2,
            "matmul: both operands must be matrices, got shapes \(a.shape) and \(b.shape)")
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        shapePrecondition(
            k == k2,
            "matmul: incompatible shapes \(a.shape)\(transposeA ? "ᵀ" : "") and \(b.shape)\(transposeB ? "ᵀ" : ""): inner dimensions \(k) and \(k2) differ")
        let output = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                Tensor(shape: [m, n]) { pc in
                    guard m > 0 && n > 0 else { return }
                    if k == 0 {
                        pc.initialize(repeating: 0)
                        return
                    }
                    if let packed = kernels.packedOperand(b, transposed: transposeB) {
                        // A row-major A is read where it is (the same bits as packing it).
                        if transposeA {
                            sg_sgemm_packed_b(kernels.gemm, 1, m, 1, pa.baseAddress, a.shape[1], packed, 0, pc.baseAddress, n)
                        } else {
                            sg_sgemm_packed_b_unpacked_a(kernels.gemm, m, 1, pa.baseAddress, a.shape[1], packed, 0, pc.baseAddress, n)
                        }
                    } else {
                        sg_sgemm_with_context(
                            kernels.gemm, transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, 1,
                            pa.baseAddress, a.shape[1], pb.baseAddress, b.shape[1],
                            0, pc.baseAddress, n)
                    }
                }
            }
        }
        record(output, a, b) {
            { g, needed in
                var da: Tensor?, db: Tensor?
                switch (transposeA, transposeB) {
                case (false, false):
                    if needed[0] { da = matmul(g, b, transposed: true, kernels: kernels) }
                    if needed[1] { db = matmul(a, transposed: true, g, kernels: kernels) }
                case (true, false):
                    if needed[0] { da = matmul(b, g, transposed: true, kernels: kernels) }
                    if needed[1] { db = matmul(a, g, kernels: kernels) }
                case (false, true):
                    if needed[0] { da = matmul(g, b, kernels: kernels) }
                    if needed[1] { db = matmul(g, transposed: true, a, kernels: kernels) }
                case (true, true):
                    if needed[0] { da = matmul(b, transposed: true, g, transposed: true, kernels: kernels) }
                    if needed[1] { db = matmul(g, transposed: true, a, transposed: true, kernels: kernels) }
                }
                return [da, db]
            }
        }
        return output
    }

    /// The matrix product `op(a) · op(b)` in Float32, whose kernels use up to `threads` threads
    /// (1 by default, so data-parallel workers never oversubscribe the cores; the result is the
    /// same for any count) and never post on a help board.
    public static func matmul(
        _ a: Tensor, transposed transposeA: Bool = false,
        _ b: Tensor, transposed transposeB: Bool = false,
        threads: Int = 1
    ) -> Tensor {
        countPrecondition(threads, "Tensor.matmul: threads")
        return matmul(a, transposed: transposeA, b, transposed: transposeB, kernels: KernelContext(threads: threads))
    }

    /// `matmul(a, b, transposed: flag)`: only the second operand transposed.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposed transposeB: Bool, threads: Int = 1) -> Tensor {
        matmul(a, transposed: false, b, transposed: transposeB, threads: threads)
    }

    /// `matmul(a, b, transposed: flag, kernels: context)`: only the second operand transposed.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposed transposeB: Bool, kernels: KernelContext) -> Tensor {
        matmul(a, transposed: false, b, transposed: transposeB, kernels: kernels)
    }
}

/// The matrix product a · b.
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor { Tensor.matmul(a, b) }
