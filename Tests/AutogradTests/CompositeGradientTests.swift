import Testing
import Autograd
import _TestSupport

/// Finite-difference checks of whole computations, where gradients from many ops meet and
/// accumulate: a small network with each loss, and a function that reuses its inputs.
@Suite struct CompositeGradientTests {
    @Test func twoLayerNetworkWithSoftmaxCrossEntropy() {
        let x = Tensor.testInput(shape: [4, 3], seed: 1)
        let w1 = Tensor.testInput(shape: [3, 5], in: -1...1, seed: 2), b1 = Tensor.testInput(shape: [5], seed: 3)
        let w2 = Tensor.testInput(shape: [5, 3], in: -1...1, seed: 4), b2 = Tensor.testInput(shape: [3], seed: 5)
        checkGradient("two-layer network", of: { p in
            let hidden = (matmul(p[0], p[1]) + p[2]).tanh()
            let logits = matmul(hidden, p[3]) + p[4]
            return Losses.softmaxCrossEntropy(logits: logits, labels: [0, 2, 1, 2]).mean()
        }, at: [x, w1, b1, w2, b2])
    }

    @Test func logisticRegressionWithSigmoidCrossEntropy() {
        let x = Tensor.testInput(shape: [6, 2], seed: 6)
        let w = Tensor.testInput(shape: [2, 1], seed: 7), b = Tensor.testInput(shape: [1], seed: 8)
        let labels = Tensor(shape: [6, 1], scalars: [1, 0, 0, 1, 1, 0])
        checkGradient("logistic regression", of: { p in
            Losses.sigmoidCrossEntropy(logits: matmul(p[0], p[1]) + p[2], labels: labels).mean()
        }, at: [x, w, b])
    }

    @Test func regressionWithMeanSquaredError() {
        let x = Tensor.linspace(from: -1, to: 1, count: 8).reshaped(to: [8, 1])
        let w = Tensor([[0.3, -0.7]]), b = Tensor([0.1, 0.2]), v = Tensor([[0.5], [-1.5]])
        let y = (x * 2 + 1).sin()
        checkGradient("mlp regression", of: { p in
            let hidden = (matmul(x, p[0]) + p[1]).sigmoid()
            return Losses.meanSquaredError(predictions: matmul(hidden, p[2]), labels: y)
        }, at: [w, b, v])
    }

    @Test func inputsReusedAcrossBranches() {
        let a = Tensor.testInput(shape: [3, 3], seed: 9)
        let b = Tensor.testInputAwayFromZero(shape: [3], magnitudes: 0.5...2, seed: 10)
        checkGradient("branches", of: { p in
            let left = Tensor.matmul(p[0], p[0], transposed: true).softmax(alongAxis: 0)
            let right = (p[0] / p[1]).exp().logSumExp(alongAxis: 1)
            return left * right + p[0].transposed() * p[1].squared()
        }, at: [a, b])
    }
}
