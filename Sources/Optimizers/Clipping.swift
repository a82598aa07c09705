import Autograd

/// Rescales `gradients` together so that their global L2 norm is at most `maxNorm`, like
/// `tf.clip_by_global_norm`.
///
/// With the global norm N = √(Σᵢ ‖gᵢ‖²) over the non-nil gradients, each gradient becomes
/// `gᵢ · maxNorm / max(N, maxNorm)`: unchanged when N ≤ maxNorm, otherwise scaled down so the
/// norm becomes exactly `maxNorm`, keeping every gradient's direction and their proportions. As
/// in TensorFlow, an infinite or NaN norm makes every clipped gradient NaN, so a divergence
/// shows rather than being silently scaled away.
///
/// The squares are summed in `Double`, so the norm of many large tensors keeps its precision.
///
/// - Parameters:
///   - gradients: the gradients; `nil` entries stay `nil` and count for nothing.
///   - maxNorm: the largest global norm allowed, greater than 0.
/// - Returns: the clipped gradients, and the global norm before clipping.
///
/// ```swift
/// let (clipped, norm) = clipByGlobalNorm(gradients, maxNorm: 1)
/// ```
public func clipByGlobalNorm(_ gradients: [Tensor?], maxNorm: Float) -> (clipped: [Tensor?], norm: Float) {
    usagePrecondition(maxNorm > 0, "clipByGlobalNorm: maxNorm must be positive, got \(maxNorm)")
    var sumOfSquares: Double = 0
    for case let gradient? in gradients { sumOfSquares = addingSquares(of: gradient, to: sumOfSquares) }
    let norm = Float(sumOfSquares.squareRoot())
    // TF: scale = clip_norm * min(1 / norm, 1 / clip_norm), made NaN when the norm is not finite.
    var scale = maxNorm * min(1 / norm, 1 / maxNorm)
    if !norm.isFinite { scale = .nan }
    if scale == 1 { return (gradients, norm) }
    return (withoutRecording { gradients.map { $0.map { $0 * scale } } }, norm)
}

/// Rescales `gradient` so its L2 norm is at most `maxNorm` (Keras `clipnorm`,
/// `tf.clip_by_norm`): `g · maxNorm / max(‖g‖, maxNorm)`. A zero gradient stays zero.
///
/// - Precondition: `maxNorm > 0`.
public func clipByNorm(_ gradient: Tensor, maxNorm: Float) -> Tensor {
    usagePrecondition(maxNorm > 0, "clipByNorm: maxNorm must be positive, got \(maxNorm)")
    let norm = Float(addingSquares(of: gradient, to: 0).squareRoot())
    if norm <= maxNorm { return gradient }
    return withoutRecording { gradient * (maxNorm / norm) }
}

/// Clamps every element of `tensor` to `[min, max]` (Keras `clipvalue`, `tf.clip_by_value`).
///
/// - Precondition: `min <= max`.
public func clipByValue(_ tensor: Tensor, min lower: Float, max upper: Float) -> Tensor {
    usagePrecondition(lower <= upper, "clipByValue: min \(lower) is greater than max \(upper)")
    return withoutRecording { tensor.clipped(to: lower, upper) }
}

/// `total` plus the square of every element of `tensor`, added one at a time in `Double` in
/// element order, so a sum over several tensors runs in one sequence.
private func addingSquares(of tensor: Tensor, to total: Double) -> Double {
    tensor.withUnsafeBufferPointer { buffer in
        buffer.reduce(total) { $0 + Double($1) * Double($1) }
    }
}
