import CKernels

extension Tensor {
    /// The first element that is NaN or infinite, in storage order; `nil` when every element is
    /// finite.
    ///
    /// One pass with no branch per element (`sg_first_non_finite`, vectorised for the CPU), so
    /// finite tensors, the common case, cost about as much as reading them.
    ///
    /// - Complexity: O(n).
    public var firstNonFiniteScalar: Float? { firstNonFiniteElement?.value }

    /// The first element that is NaN or infinite, in storage order, with its index into the
    /// flat storage (row-major, as ``scalars``); `nil` when every element is finite. A file
    /// loader names it in its error.
    ///
    /// - Complexity: O(n), one pass as ``firstNonFiniteScalar``.
    public var firstNonFiniteElement: (index: Int, value: Float)? {
        withUnsafeBufferPointer { buffer -> (index: Int, value: Float)? in
            guard let base = buffer.baseAddress else { return nil }
            let index = sg_first_non_finite(base, buffer.count)
            return index < buffer.count ? (index, buffer[index]) : nil
        }
    }
}
