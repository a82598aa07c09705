import CKernels

extension Tensor {
    /// The first element that is NaN or infinite, in storage order; `nil` when every element is
    /// finite.
    ///
    /// One pass with no branch per element (`sg_first_non_finite`, vectorised for the CPU), so
    /// finite tensors, the common case, cost about as much as reading them.
    ///
    /// - Complexity: O(n).
    public var firstNonFiniteScalar: Float? {
        withUnsafeBufferPointer { buffer -> Float? in
            guard let base = buffer.baseAddress else { return nil }
            let index = sg_first_non_finite(base, buffer.count)
            return index < buffer.count ? buffer[index] : nil
        }
    }
}
