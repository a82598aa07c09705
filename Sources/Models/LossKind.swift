import Autograd

/// What a model is trained against: real values or integer classes, one entry per example along
/// the first axis.
public enum Targets: Sendable, Equatable {
    /// Real targets (regression) or 0/1 labels (binary and multi-label classification), shaped
    /// like the model's output.
    case values(Tensor)
    /// One class index per example, for softmax cross-entropy.
    case classes([Int])

    /// The number of examples: the first dimension of the values (1 for a scalar), or the
    /// number of classes listed.
    public var exampleCount: Int {
        switch self {
        case .values(let tensor): return tensor.rank == 0 ? 1 : tensor.shape[0]
        case .classes(let labels): return labels.count
        }
    }

    /// The targets of examples `range`.
    public func examples(_ range: Range<Int>) -> Targets {
        switch self {
        case .values(let tensor): return .values(tensor.rows(range))
        case .classes(let labels): return .classes(Array(labels[range]))
        }
    }
}

/// The losses SwiftGrad's models are trained with, each on the model's raw output (logits).
///
/// Each has a per-example form (``summedLoss(_:targets:)`` adds it over examples, which is what a
/// data-parallel worker computes on its shard) and a mean form (``meanLoss(_:targets:)``, what a
/// single training step minimises). Their relation is exact: mean = sum / examples, so summing
/// shards' sums and dividing by the batch size reproduces the whole batch's mean.
public enum LossKind: String, Sendable, CaseIterable, Equatable {
    /// Per example, the mean over its outputs of (output − target)²; Keras's
    /// `MeanSquaredError`.
    case meanSquaredError
    /// Half the mean squared error, the classic linear-regression loss Σ(h − y)² / 2m.
    case halfMeanSquaredError
    /// Per example, the mean over its outputs of the logistic loss of the logits against 0/1
    /// labels, like `tf.nn.sigmoid_cross_entropy_with_logits` followed by a mean.
    case sigmoidCrossEntropy
    /// Per example, −log softmax(logits)[label], like
    /// `tf.nn.sparse_softmax_cross_entropy_with_logits`.
    case softmaxCrossEntropy

    /// The sum over examples of the per-example loss.
    ///
    /// Examples lie along the first axis of `output`; an example's loss averages over the rest
    /// of its elements, so an output of shape `[n, k]` gives (Σ all elementwise losses) / k.
    /// - Precondition: the targets match the output (same shape for values; one label per row
    ///   for classes) and the kind (classes only for softmax cross-entropy).
    public func summedLoss(_ output: Tensor, targets: Targets) -> Tensor {
        switch (self, targets) {
        case (.softmaxCrossEntropy, .classes(let labels)):
            return Losses.softmaxCrossEntropy(logits: output, labels: labels).sum()
        case (.softmaxCrossEntropy, .values):
            fatalError("softmaxCrossEntropy: needs integer class targets (.classes), got real values")
        case (_, .classes):
            fatalError("\(rawValue): needs real-valued targets (.values), got integer classes")
        case (_, .values(let values)):
            shapePrecondition(
                output.shape == values.shape,
                "\(rawValue): output of shape \(output.shape) and targets of shape \(values.shape) must have the same shape")
            let perElement: Tensor
            switch self {
            case .meanSquaredError, .halfMeanSquaredError: perElement = (output - values).squared()
            default: perElement = Losses.sigmoidCrossEntropy(logits: output, labels: values)
            }
            let examples = output.rank == 0 ? 1 : output.shape[0]
            var divisor = Float(examples == 0 ? 1 : output.scalarCount / examples)
            if self == .halfMeanSquaredError { divisor *= 2 }
            let total = perElement.sum()
            return divisor == 1 ? total : total / divisor
        }
    }

    /// The mean over examples of the per-example loss: ``summedLoss(_:targets:)`` divided by
    /// the number of examples.
    public func meanLoss(_ output: Tensor, targets: Targets) -> Tensor {
        summedLoss(output, targets: targets) / Float(Swift.max(1, targets.exampleCount))
    }

    /// The fraction of examples classified correctly: argmax of the logits for softmax
    /// cross-entropy, logit > 0 for sigmoid cross-entropy (per output). Not defined for the
    /// regression losses, which return `nil`.
    public func accuracy(_ output: Tensor, targets: Targets) -> Float? {
        predictionCount(output, targets: targets)?.accuracy
    }

    /// How many predictions were right, out of how many, as ``accuracy(_:targets:)`` counts
    /// them: counts of several batches add up to the count of their union, which fractions do
    /// not. `nil` for the regression losses and for no targets.
    public func predictionCount(_ output: Tensor, targets: Targets) -> PredictionCount? {
        switch (self, targets) {
        case (.softmaxCrossEntropy, .classes(let labels)):
            guard !labels.isEmpty, let classes = output.shape.last, classes > 0, output.scalarCount == labels.count * classes else {
                return nil
            }
            // Each row's first largest logit (a NaN loses to any number), as `argmax` picks it,
            // compared with the label in place: a step's accuracy costs one read of the logits.
            let correct = output.withUnsafeBufferPointer { logits in
                var correct = 0
                for (row, label) in labels.enumerated() {
                    let base = row &* classes
                    var best = 0, bestValue = logits[base]
                    for k in 1..<classes {
                        let value = logits[base &+ k]
                        if value > bestValue || (bestValue.isNaN && !value.isNaN) { (best, bestValue) = (k, value) }
                    }
                    if best == label { correct &+= 1 }
                }
                return correct
            }
            return PredictionCount(correct: correct, total: labels.count)
        case (.sigmoidCrossEntropy, .values(let labels)):
            guard labels.scalarCount > 0 else { return nil }
            let predicted = (output .> 0).asFloats()
            return PredictionCount(correct: Tensor.equal(predicted, labels).trueCount, total: labels.scalarCount)
        default:
            return nil
        }
    }
}

/// Predictions that were right, out of how many were made.
public struct PredictionCount: Sendable, Equatable {
    public var correct: Int
    public var total: Int

    public init(correct: Int, total: Int) {
        self.correct = correct
        self.total = total
    }

    /// `correct / total`, or NaN for no predictions.
    public var accuracy: Float { total > 0 ? Float(correct) / Float(total) : .nan }

    /// The count of both sets of predictions together.
    public static func + (lhs: PredictionCount, rhs: PredictionCount) -> PredictionCount {
        PredictionCount(correct: lhs.correct + rhs.correct, total: lhs.total + rhs.total)
    }
}
