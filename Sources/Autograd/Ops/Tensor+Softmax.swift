/// Softmax and log-softmax, composed from primitive ops so they need no gradient of their own.
extension Tensor {
    /// exp(x) / Σ exp(x) along `axis` (the last by default), computed after subtracting the
    /// maximum so that large logits do not overflow.
    public func softmax(alongAxis axis: Int = -1) -> Tensor {
        let shifted = self - stopGradient(max(alongAxes: [axis]))
        let e = shifted.exp()
        return e / e.sum(alongAxes: [axis])
    }

    /// x − log Σ exp(x) along `axis` (the last by default), stable for logits of any size.
    public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
        let shifted = self - stopGradient(max(alongAxes: [axis]))
        return shifted - shifted.exp().sum(alongAxes: [axis]).log()
    }

    /// log Σ exp(x) along `axis`, keeping it: −∞ where every element is −∞ (or there are
    /// none), +∞ where one is +∞, as TensorFlow's `reduce_logsumexp`.
    public func logSumExp(alongAxis axis: Int = -1) -> Tensor {
        // Shifting by an infinite maximum would give ∞ − ∞; as TensorFlow does, such a row is
        // not shifted, and its exponentials' sum is 0 or +∞ as it should be.
        let m = stopGradient(max(alongAxes: [axis]).map { $0.isFinite ? $0 : 0 })
        return (self - m).exp().sum(alongAxes: [axis]).log() + m
    }
}
