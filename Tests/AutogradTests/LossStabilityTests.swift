import Testing
import Autograd
import _TestSupport

/// The losses' values against hand-computed ones, and their stability: logits of ±100 must give
/// finite, correct losses and gradients (the naive formulas give ∞ or NaN there).
@Suite struct LossStabilityTests {
    @Test func meanSquaredError() {
        let loss = Losses.meanSquaredError(predictions: Tensor([1, 2, 3]), labels: Tensor([1, 0, 6]))
        #expect(loss.shape == [])
        assertClose(loss.scalar, (0 + 4 + 9) / 3)
    }

    @Test func sigmoidCrossEntropyValues() {
        // −z·ln σ(x) − (1 − z)·ln(1 − σ(x)).
        let loss = Losses.sigmoidCrossEntropy(logits: Tensor([0, 2, -1]), labels: Tensor([1, 0, 0.25]))
        let expected: [Float] = [0.6931472, 2.126928, 0.25 * 1.3132616 + 0.75 * 0.31326169]
        assertClose(loss, expected)
    }

    @Test func sigmoidCrossEntropyAtLargeLogits() {
        let logits = Tensor([100, -100, 100, -100])
        let labels = Tensor([1, 0, 0, 1])
        let tape = GradientTape(persistent: true)
        tape.watch(logits)
        tape.watch(labels)
        let loss = tape.record { Losses.sigmoidCrossEntropy(logits: logits, labels: labels) }
        #expect(loss.scalars.allSatisfy { $0.isFinite })
        assertClose(loss, [0, 0, 100, 100], atol: 1e-6)
        // ∂/∂x = σ(x) − z, ∂/∂z = −x.
        let dLogits = tape.gradient(of: loss, withRespectTo: logits)!
        assertClose(dLogits, [0, 0, 1, -1], atol: 1e-6)
        assertClose(tape.gradient(of: loss, withRespectTo: labels)!, [-100, 100, -100, 100])
    }

    @Test func softmaxCrossEntropyValues() {
        let logits = Tensor([[1, 2, 3], [0, 0, 0]])
        let loss = Losses.softmaxCrossEntropy(logits: logits, labels: [2, 1])
        #expect(loss.shape == [2])
        assertClose(loss, [0.40760595, 1.0986123])
    }

    @Test func softmaxCrossEntropyAtLargeLogits() {
        let logits = Tensor([[100, -100, 0], [-100, 100, 0], [100, 100, -100]])
        let tape = GradientTape()
        tape.watch(logits)
        let loss = tape.record { Losses.softmaxCrossEntropy(logits: logits, labels: [0, 0, 2]) }
        #expect(loss.scalars.allSatisfy { $0.isFinite })
        // Right with certainty, wrong by 200, wrong by 200 + ln 2.
        assertClose(loss, [0, 200, 200.6931472], atol: 1e-5)
        let gradient = tape.gradient(of: loss, withRespectTo: logits)!
        #expect(gradient.scalars.allSatisfy { $0.isFinite })
        // softmax − onehot.
        assertClose(gradient, [0, 0, 0, -1, 1, 0, 0.5, 0.5, -1], atol: 1e-6)
    }

    @Test func logSoftmaxAndLogSumExpGradientsAtHugeLogits() {
        let x = Tensor([[1000, 1000, -1000], [-500, 0, 500]])
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let (logProbabilities, lse) = tape.record { (x.logSoftmax(), x.logSumExp()) }
        assertClose(logProbabilities, [-0.6931472, -0.6931472, -2000.6931, -1000, -500, 0], rtol: 1e-6)
        assertClose(lse, Tensor(shape: [2, 1], scalars: [1000.6931, 500]), rtol: 1e-6)
        // d lse/dx = softmax(x).
        assertClose(tape.gradient(of: lse, withRespectTo: x)!, [0.5, 0.5, 0, 0, 0, 1], atol: 1e-6)
        // d Σ logSoftmax/dx = 1 − n·softmax(x) with n = 3 classes.
        assertClose(tape.gradient(of: logProbabilities, withRespectTo: x)!, [-0.5, -0.5, 1, 1, 1, -2], atol: 1e-5)
    }

    @Test func theLossesAgreeWithTheirDefinitionsAtModerateLogits() {
        let logits = Tensor.testInput(shape: [4, 3], in: -3...3)
        let labels = [0, 2, 1, 1]
        let reference = -(logits.logSoftmax() * Tensor.oneHot(labels, classes: 3)).sum(squeezingAxes: [1])
        assertClose(Losses.softmaxCrossEntropy(logits: logits, labels: labels), reference, rtol: 1e-5, atol: 1e-6)
        let z = Tensor.testInput(shape: [4, 3], in: 0...1, seed: 2)
        let p = logits.sigmoid()
        let naive = -(z * p.log() + (1 - z) * (1 - p).log())
        assertClose(Losses.sigmoidCrossEntropy(logits: logits, labels: z), naive, rtol: 1e-5, atol: 1e-5)
    }
}
