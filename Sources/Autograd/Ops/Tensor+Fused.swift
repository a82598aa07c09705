import CKernels

/// The activation a fused ``Tensor/dense(_:_:_:activation:kernels:)`` layer applies.
public enum DenseActivation: Sendable, Equatable {
    /// No activation: y = x·W + b.
    case none
    /// max(·, 0): y = max(x·W + b, 0).
    case relu
}

/// Fused forms of common op sequences: one recorded op and one pullback where the composed form
/// would record three, with the elementwise work done by the C kernels.
extension Tensor {
    /// A dense layer, `activation(x·W + b)`, as one recorded op.
    ///
    /// The product runs in `sg_sgemm_with_context` (or, when the context's packed operands hold
    /// W, `sg_sgemm_packed_b_unpacked_a`, which reads x's rows where they are); the bias and the
    /// activation are applied in place on its output in one pass. With Y the output and upstream
    /// gradient G, the pullback computes
    ///
    ///     dZ = G ⊙ [Y > 0]   (relu; dZ = G without activation)
    ///     dX = dZ·Wᵀ,   dW = Xᵀ·dZ,   db = Σ_rows dZ
    ///
    /// skipping whichever the tape does not need (the data matrix usually needs none). The
    /// pullback is built from recorded ops, so an outer tape still sees second derivatives.
    ///
    /// ```swift
    /// let hidden = Tensor.dense(x, w1.value, b1.value, activation: .relu)
    /// let logits = Tensor.dense(hidden, w2.value, b2.value)
    /// ```
    ///
    /// - Parameters:
    ///   - x: inputs, shape [batch, fanIn].
    ///   - w: weights, shape [fanIn, fanOut].
    ///   - b: bias, shape [fanOut], added to every row.
    ///   - activation: `.none` (default) or `.relu`.
    ///   - kernels: how the products and loops of this op and its pullback run: their threads,
    ///     the help board, if any, where single-threaded products post their pieces, and the
    ///     precision of the three products x·W, dZ·Wᵀ and Xᵀ·dZ (see ``KernelContext``). Results
    ///     do not depend on the threads or the board; under ``MatrixPrecision/bf16`` the products
    ///     round their inputs to bfloat16 and sum in Float32, while the bias, the activation, its
    ///     mask and db stay Float32.
    /// - Returns: shape [batch, fanOut].
    public static func dense(
        _ x: Tensor, _ w: Tensor, _ b: Tensor, activation: DenseActivation = .none, kernels: KernelContext
    ) -> Tensor {
        shapePrecondition(
            x.rank == 2 && w.rank == 2 && x.shape[1] == w.shape[0],
            "dense: inputs of shape \(x.shape) and weights of shape \(w.shape) must be matrices [batch, fanIn] and [fanIn, fanOut]")
        shapePrecondition(
            b.shape == [w.shape[1]],
            "dense: bias of shape \(b.shape) must have shape [\(w.shape[1])] to match weights of shape \(w.shape)")
        let (m, k, n) = (x.shape[0], x.shape[1], w.shape[1])
        let relu = activation == .relu
        let output = x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                b.withUnsafeBufferPointer { pb in
                    Tensor(shape: [m, n]) { py in
                        guard m > 0 && n > 0 else { return }
                        if k == 0 {
                            py.initialize(repeating: 0)
                        } else if let packed = kernels.packedOperand(w, transposed: false) {
                            sg_sgemm_packed_b_unpacked_a(kernels.gemm, m, 1, px.baseAddress, k, packed, 0, py.baseAddress, n)
                        } else {
                            sg_sgemm_with_context(kernels.gemm, 0, 0, m, n, k, 1, px.baseAddress, k,
                                                  pw.baseAddress, n, 0, py.baseAddress, n)
                        }
                        sg_bias_activation(py.baseAddress, pb.baseAddress, m, n, relu ? 1 : 0, Int32(kernels.threads))
                    }
                }
            }
        }
        record(output, [x, w, b]) {
            { g, needed in
                let dz = relu ? g.keepingWherePositive(output, threads: kernels.threads) : g
                return [
                    needed[0] ? matmul(dz, w, transposed: true, kernels: kernels) : nil,
                    needed[1] ? matmul(x, transposed: true, dz, kernels: kernels) : nil,
                    needed[2] ? dz.columnSums(threads: kernels.threads) : nil,
                ]
            }
        }
        return output
    }

    /// `dense(x, w, b, activation:)` in Float32, whose kernels use up to `threads` threads (1 by
    /// default, so data-parallel workers never oversubscribe; results do not depend on it) and
    /// never post on a help board.
    public static func dense(
        _ x: Tensor, _ w: Tensor, _ b: Tensor, activation: DenseActivation = .none, threads: Int = 1
    ) -> Tensor {
        countPrecondition(threads, "Tensor.dense: threads")
        return dense(x, w, b, activation: activation, kernels: KernelContext(threads: threads))
    }

    /// `self` where `reference` is positive, 0 elsewhere: the ReLU backward mask.
    ///
    /// Differentiable in `self` only (its derivative is the same mask); the mask is constant
    /// almost everywhere, so `reference` gets no gradient.
    func keepingWherePositive(_ reference: Tensor, threads: Int) -> Tensor {
        shapePrecondition(shape == reference.shape, "keepingWherePositive: shapes \(shape) and \(reference.shape) differ")
        let output = withUnsafeBufferPointer { pg in
            reference.withUnsafeBufferPointer { py in
                Tensor(shape: shape) { result in
                    guard !result.isEmpty else { return }
                    sg_relu_backward(pg.baseAddress, py.baseAddress, result.baseAddress, result.count, Int32(threads))
                }
            }
        }
        Tensor.record(output, self) { { g, _ in [g.keepingWherePositive(reference, threads: threads)] } }
        return output
    }

    /// The sums of the columns of a matrix, shape [columns]: the gradient of a bias added to
    /// every row. Its own gradient repeats the upstream vector on every row.
    func columnSums(threads: Int) -> Tensor {
        shapePrecondition(rank == 2, "columnSums: expected a matrix, got shape \(shape)")
        let (rows, columns) = (shape[0], shape[1])
        let output = withUnsafeBufferPointer { px in
            Tensor(shape: [columns]) { sums in
                guard columns > 0 else { return }
                if rows == 0 {
                    sums.initialize(repeating: 0)
                } else {
                    sg_column_sums(px.baseAddress, rows, columns, sums.baseAddress, Int32(threads))
                }
            }
        }
        let inputShape = shape
        Tensor.record(output, self) { { g, _ in [g.broadcasted(to: inputShape)] } }
        return output
    }

    /// Whether some tape on this thread would record an op right now. Pullbacks use it to take
    /// a kernel-only path when no outer tape needs to see their operations.
    static var isAnyTapeRecording: Bool {
        guard let stack = TapeStack.active else { return false }
        return stack.tapes.contains { $0.isRecording }
    }
}
