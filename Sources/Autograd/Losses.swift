import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Loss functions. The two cross-entropies are single ops with fused, numerically stable forward
/// passes and closed-form gradients, so logits of ±100 give finite losses and exact gradients.
public enum Losses {
    /// mean((predictions − labels)²), with broadcasting; NaN when there are no elements, as
    /// ``Tensor/mean()`` gives.
    public static func meanSquaredError(predictions: Tensor, labels: Tensor) -> Tensor {
        (predictions - labels).squared().mean()
    }

    /// The elementwise logistic loss of `logits` against `labels` in [0, 1], like
    /// `tf.nn.sigmoid_cross_entropy_with_logits`: max(x, 0) − x·z + ln(1 + e^−|x|).
    ///
    /// ∂/∂x = σ(x) − z and ∂/∂z = −x.
    public static func sigmoidCrossEntropy(logits: Tensor, labels: Tensor) -> Tensor {
        shapePrecondition(
            logits.shape == labels.shape,
            "sigmoidCrossEntropy: logits of shape \(logits.shape) and labels of shape \(labels.shape) must have the same shape")
        let output = Tensor.zip(logits, labels, op: "sigmoidCrossEntropy") { x, z in
            Swift.max(x, 0) - x * z + log1pf(expf(-Swift.abs(x)))
        }
        Tensor.record(output, logits, labels) {
            { g, needed in
                [needed[0] ? g * (logits.sigmoid() - labels) : nil, needed[1] ? -(g * logits) : nil]
            }
        }
        return output
    }

    /// The per-example softmax cross-entropy of `logits` (shape [batch, classes]) against integer
    /// class `labels`, like `tf.nn.sparse_softmax_cross_entropy_with_logits`:
    /// log Σⱼ exp(xⱼ) − x_label, shape [batch].
    ///
    /// ∂/∂x = softmax(x) − onehot(label). Both passes run in C kernels (`sg_softmax_xent_*`);
    /// while an outer tape records the pullback, the gradient is composed from tensor ops instead
    /// so that higher derivatives stay available.
    /// - Precondition: every label is in `0..<classes`.
    public static func softmaxCrossEntropy(logits: Tensor, labels: [Int]) -> Tensor {
        shapePrecondition(
            logits.rank == 2 && logits.shape[0] == labels.count,
            "softmaxCrossEntropy: logits of shape \(logits.shape) need rank 2 with one row per label, got \(labels.count) labels")
        let (batch, classes) = (logits.shape[0], logits.shape[1])
        for label in labels {
            shapePrecondition(label >= 0 && label < classes, "softmaxCrossEntropy: label \(label) is out of range for \(classes) classes")
        }
        let output = logits.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                Tensor(shape: [batch]) { loss in
                    guard batch > 0 else { return }
                    sg_softmax_xent_forward(x.baseAddress, y.baseAddress, batch, classes, loss.baseAddress, 1)
                }
            }
        }
        Tensor.record(output, logits) {
            { g, _ in
                // An outer tape that records this pullback needs it as tensor ops; otherwise one
                // kernel pass computes g·(softmax − onehot) without intermediate tensors.
                if Tensor.isAnyTapeRecording {
                    let oneHot = Tensor.oneHot(labels, classes: classes)
                    return [g.expandingShape(at: 1) * (logits.softmax(alongAxis: 1) - oneHot)]
                }
                let gradient = logits.withUnsafeBufferPointer { x in
                    labels.withUnsafeBufferPointer { y in
                        g.withUnsafeBufferPointer { upstream in
                            Tensor(shape: [batch, classes]) { dx in
                                guard batch > 0 && classes > 0 else { return }
                                sg_softmax_xent_backward(
                                    x.baseAddress, y.baseAddress, upstream.baseAddress, batch, classes, dx.baseAddress, 1)
                            }
                        }
                    }
                }
                return [gradient]
            }
        }
        return output
    }
}

extension Tensor {
    /// Rows of zeros with a 1 at each label: shape [labels.count, classes].
    ///
    /// A label outside `0..<classes` is not an error here: its row stays all zeros.
    public static func oneHot(_ labels: [Int], classes: Int) -> Tensor {
        Tensor(shape: [labels.count, classes]) { buffer in
            buffer.initialize(repeating: 0)
            for (row, label) in labels.enumerated() where label >= 0 && label < classes {
                buffer[row * classes + label] = 1
            }
        }
    }
}
