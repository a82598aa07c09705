extension Tensor {
    /// The first element that is NaN or infinite, in storage order; `nil` when every element is
    /// finite.
    ///
    /// The scan multiplies each element by zero and adds it up, 16 lanes at a time: the sum stays
    /// zero unless an element is NaN or infinite (0 × ±∞ is NaN), so finite tensors, the common
    /// case, cost one vectorised pass with no branch per element.
    ///
    /// - Complexity: O(n).
    public var firstNonFiniteScalar: Float? {
        withUnsafeBufferPointer { buffer -> Float? in
            let lanes = SIMD16<Float>.scalarCount
            var sum = SIMD16<Float>()
            var index = 0
            while index + lanes <= buffer.count {
                sum += SIMD16<Float>(buffer[index..<index + lanes]) * 0
                index += lanes
            }
            var tail: Float = 0
            while index < buffer.count {
                tail += buffer[index] * 0
                index += 1
            }
            // Finite elements leave the sum exactly zero; any NaN or infinity makes it NaN.
            guard (sum.sum() + tail).isNaN else { return nil }
            return buffer.first { !$0.isFinite }
        }
    }
}
