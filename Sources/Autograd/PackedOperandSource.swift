/// Right operands of matrix products packed once, ahead of many products that multiply by
/// them: a layer's weights, which every micro-shard of a training step multiplies by, forward
/// (x·W) and backward (dZ·Wᵀ).
///
/// A ``KernelContext`` may carry one. ``Tensor/dense(_:_:_:activation:kernels:)`` and
/// ``Tensor/matmul(_:transposed:_:transposed:kernels:)`` ask it for their right operand op(B)
/// (the tensor, and whether the product reads it transposed) and, when it has a packing, run
/// `sg_sgemm_packed_b` against it instead of packing op(B) themselves. That gives the bits of the
/// unpacked product (`sg_sgemm_packed_b` takes its path, blocking and micro-kernel), so a source
/// changes only the speed.
package protocol PackedOperandSource: AnyObject, Sendable {
    /// A buffer that `sg_gemm_pack_b` filled with op(B) = `matrix` (or `matrixᵀ` when
    /// `transposed`) for products in `precision`, from the elements `matrix` holds now, with the
    /// kernel family `sg_sgemm_with_context` takes for that precision; or nil, and the product
    /// packs op(B) itself.
    ///
    /// The buffer must stay unchanged, and `matrix`'s elements with it, until every product
    /// given the source has returned. Any thread may ask at any time.
    func packedOperand(_ matrix: Tensor, transposed: Bool, precision: MatrixPrecision) -> UnsafeRawPointer?
}
