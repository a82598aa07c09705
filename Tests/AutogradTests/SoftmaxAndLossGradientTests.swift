import Testing
import Autograd
import _TestSupport

/// Finite-difference checks of softmax, log-softmax, log-sum-exp, the losses and
/// `customGradient`.
@Suite struct SoftmaxAndLossGradientTests {
    @Test func softmaxFamily() {
        let x = Tensor.testInput(shape: [3, 5], in: -3...3)
        withEvery("axis", in: [0, 1, -1]) { axis in
            checkGradient("softmax", of: { $0[0].softmax(alongAxis: axis) }, at: [x])
            checkGradient("logSoftmax", of: { $0[0].logSoftmax(alongAxis: axis) }, at: [x])
            checkGradient("logSumExp", of: { $0[0].logSumExp(alongAxis: axis) }, at: [x])
        }
        checkGradient("softmax rank 3", of: { $0[0].softmax(alongAxis: 1) }, at: [Tensor.testInput(shape: [2, 3, 2])])
        checkGradient("softmax default axis", of: { $0[0].softmax() }, at: [Tensor.testInput(shape: [4])])
    }

    @Test func meanSquaredError() {
        withEvery("shapes", in: [([2, 3], [2, 3]), ([4, 1], [4, 1]), ([3, 2], [2])]) { shapes in
            let predictions = Tensor.testInput(shape: shapes.0, seed: 1)
            let labels = Tensor.testInput(shape: shapes.1, seed: 2)
            checkGradient("meanSquaredError", of: { Losses.meanSquaredError(predictions: $0[0], labels: $0[1]) },
                          at: [predictions, labels])
        }
    }

    @Test func sigmoidCrossEntropyWithRespectToLogitsAndLabels() {
        let logits = Tensor.testInput(shape: [3, 4], in: -4...4, seed: 1)
        let labels = Tensor.testInput(shape: [3, 4], in: 0...1, seed: 2)
        checkGradient("sigmoidCrossEntropy", of: { Losses.sigmoidCrossEntropy(logits: $0[0], labels: $0[1]) },
                      at: [logits, labels])
        checkGradient("sigmoidCrossEntropy mean", of: { Losses.sigmoidCrossEntropy(logits: $0[0], labels: $0[1]).mean() },
                      at: [logits, labels])
    }

    @Test func softmaxCrossEntropy() {
        let logits = Tensor.testInput(shape: [4, 5], in: -3...3)
        checkGradient("softmaxCrossEntropy", of: { Losses.softmaxCrossEntropy(logits: $0[0], labels: [0, 4, 2, 2]) },
                      at: [logits])
        checkGradient("softmaxCrossEntropy mean", of: { Losses.softmaxCrossEntropy(logits: $0[0], labels: [1, 3, 0, 4]).mean() },
                      at: [logits])
    }

    @Test func secondDerivativesOfTheLosses() {
        // The pullbacks are written with tensor ops, so their own gradients are checked too.
        let logits = Tensor.testInput(shape: [2, 3], in: -2...2)
        checkGradient("d/dlogits softmaxCrossEntropy", of: { inputs in
            let tape = GradientTape()
            tape.watch(inputs[0])
            let loss = tape.record { Losses.softmaxCrossEntropy(logits: inputs[0], labels: [2, 0]).sum() }
            return tape.gradient(of: loss, withRespectTo: inputs[0])!
        }, at: [logits])
        checkGradient("d/dlogits sigmoidCrossEntropy", of: { inputs in
            let tape = GradientTape()
            tape.watch(inputs[0])
            let loss = tape.record { Losses.sigmoidCrossEntropy(logits: inputs[0], labels: Tensor.ones(shape: [2, 3]) * 0.3).sum() }
            return tape.gradient(of: loss, withRespectTo: inputs[0])!
        }, at: [logits])
    }

    @Test func customGradientIsUsedAndChecked() {
        // log(1 + eˣ) with its gradient σ(x) written by hand.
        let x = Tensor.testInput(shape: [2, 3], in: -3...3)
        checkGradient("customGradient softplus", of: { inputs in
            customGradient(inputs[0]) { ($0[0].exp() + 1).log() } gradient: { upstream, inputs, _ in
                [upstream * inputs[0].sigmoid()]
            }
        }, at: [x])
        // Two inputs, a broadcast one, and a gradient that uses the output: a·b with b: [3].
        let a = Tensor.testInput(shape: [2, 3], seed: 3), b = Tensor.testInputAwayFromZero(shape: [3], seed: 4)
        checkGradient("customGradient product", of: { inputs in
            customGradient(inputs[0], inputs[1]) { $0[0] * $0[1] } gradient: { upstream, inputs, output in
                [upstream * inputs[1], (upstream * output / inputs[1]).sum(alongAxes: [0]).reshaped(to: [3])]
            }
        }, at: [a, b])
    }
}
