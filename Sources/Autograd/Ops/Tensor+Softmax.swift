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

    /// log Σ exp(x) along `axis`, keeping it.
    public func logSumExp(alongAxis axis: Int = -1) -> Tensor {
        let m = stopGradient(max(alongAxes: [axis]))
        return (self - m).exp().sum(alongAxes: [axis]).log() + m
    }
}
