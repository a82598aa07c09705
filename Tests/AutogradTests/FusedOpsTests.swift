import Autograd
import Testing
import _TestSupport

/// Inputs whose pre-activations stay away from 0, so that ReLU's kink does not spoil the
/// finite differences.
private func denseInputs() -> (x: Tensor, w: Tensor, b: Tensor) {
    let x = Tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    let w = Tensor([[0.3, -0.8, 0.6, 0.1], [-0.4, 0.2, 0.9, -0.7], [0.7, 0.5, -0.3, 0.2]])
    let b = Tensor([0.1, -0.2, 0.05, 0.3])
    return (x, w, b)
}

@Suite("Fused ops")
struct FusedOpsTests {
    @Test(arguments: [DenseActivation.none, .relu])
    func denseMatchesComposedOps(activation: DenseActivation) {
        let (x, w, b) = denseInputs()
        let fused = Tensor.dense(x, w, b, activation: activation)
        let linear = Tensor.matmul(x, w) + b
        let composed = activation == .relu ? linear.relu() : linear
        assertClose(fused.scalars, composed.scalars, rtol: 1e-6, atol: 1e-6, "dense forward")
        #expect(fused.shape == [2, 4])
    }

    @Test(arguments: [DenseActivation.none, .relu])
    func denseGradientsMatchFiniteDifferences(activation: DenseActivation) {
        let (x, w, b) = denseInputs()
        checkGradient("dense \(activation)", of: { Tensor.dense($0[0], $0[1], $0[2], activation: activation) }, at: [x, w, b])
    }

    @Test func denseGradientsDoNotDependOnThreads() {
        var random = RandomStream(seed: 9)
        let x = Tensor.randomNormal(shape: [600, 300], using: &random)
        let w = Tensor.randomNormal(shape: [300, 500], standardDeviation: 0.1, using: &random)
        let b = Tensor.randomNormal(shape: [500], using: &random)
        func run(_ threads: Int) -> [[Float]] {
            let tape = GradientTape()
            tape.watch(x); tape.watch(w); tape.watch(b)
            let y = tape.record { Tensor.dense(x, w, b, activation: .relu, threads: threads).sum() }
            return [y.scalars] + tape.gradient(of: y, withRespectTo: [x, w, b]).map { $0!.scalars }
        }
        let one = run(1), two = run(2)
        #expect(one.map { $0.map(\.bitPattern) } == two.map { $0.map(\.bitPattern) })
    }

    @Test func denseGradientsOfVariablesMatchComposedOps() {
        let (x, w, b) = denseInputs()
        let wv = Variable(w), bv = Variable(b)
        let tape = GradientTape()
        let y = tape.record { Tensor.dense(x, wv.value, bv.value, activation: .relu).sum() }
        let gradients = tape.gradient(of: y, withRespectTo: [wv, bv])
        let reference = GradientTape()
        let z = reference.record { (Tensor.matmul(x, wv.value) + bv.value).relu().sum() }
        let expected = reference.gradient(of: z, withRespectTo: [wv, bv])
        assertClose(gradients[0]?.scalars ?? [], expected[0]!.scalars, rtol: 1e-6, atol: 1e-6, "dW")
        assertClose(gradients[1]?.scalars ?? [], expected[1]!.scalars, rtol: 1e-6, atol: 1e-6, "db")
    }

    @Test func denseSecondDerivativeThroughAnOuterTape() {
        // y = Σ (x·W + b)², so ∂y/∂W = 2 Xᵀ(XW + b) and ∂/∂b of Σ ∂y/∂W = 2 · Σᵢ xᵢ (per column).
        let (x, w, b) = denseInputs()
        let outer = GradientTape()
        outer.watch(b)
        let gradientSum = outer.record { () -> Tensor in
            let inner = GradientTape()
            inner.watch(w)
            let y = inner.record { Tensor.dense(x, w, b).squared().sum() }
            return inner.gradient(of: y, withRespectTo: w)!.sum()
        }
        let second = outer.gradient(of: gradientSum, withRespectTo: b)!
        let columnTotal = x.sum().scalar   // Σ over every element of X
        assertClose(second.scalars, [Float](repeating: 2 * columnTotal, count: 4), rtol: 1e-5, atol: 1e-5, "d/db Σ dy/dW")
    }

    @Test func softmaxCrossEntropyGradientMatchesFiniteDifferences() {
        let logits = Tensor([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0], [0.2, 0.1, -0.4]])
        let labels = [1, 2, 0]
        let weights = Tensor([2.0, -1.0, 0.5])
        func loss(_ z: Tensor) -> Tensor { (Losses.softmaxCrossEntropy(logits: z, labels: labels) * weights).sum() }
        checkGradient("softmaxCrossEntropy", of: { loss($0[0]) }, at: [logits])
        let tape = GradientTape()
        tape.watch(logits)
        let y = tape.record { loss(logits) }
        let gradient = tape.gradient(of: y, withRespectTo: logits)!
        // And against the closed form g · (softmax − onehot), which the kernel computes.
        let closedForm = weights.expandingShape(at: 1) * (logits.softmax(alongAxis: 1) - Tensor.oneHot(labels, classes: 3))
        assertClose(gradient.scalars, closedForm.scalars, rtol: 1e-6, atol: 1e-6, "closed form")
    }

    @Test func softmaxCrossEntropyKeepsSecondDerivatives() {
        // d/dx of Σ ∂L/∂x through an outer tape: the pullback must be recorded as tensor ops.
        let logits = Tensor([[0.3, -0.2, 1.1]])
        let outer = GradientTape()
        outer.watch(logits)
        let firstSum = outer.record { () -> Tensor in
            let inner = GradientTape()
            inner.watch(logits)
            let loss = inner.record { Losses.softmaxCrossEntropy(logits: logits, labels: [2]).sum() }
            let g = inner.gradient(of: loss, withRespectTo: logits)!
            return (g * Tensor([[1.0, 2.0, 3.0]])).sum()
        }
        #expect(outer.gradient(of: firstSum, withRespectTo: logits) != nil)
        // The same second derivative against finite differences of the first derivative.
        checkGradient("softmaxCrossEntropy'", of: { z in
            let inner = GradientTape()
            inner.watch(z[0])
            let loss = inner.record { Losses.softmaxCrossEntropy(logits: z[0], labels: [2]).sum() }
            return (inner.gradient(of: loss, withRespectTo: z[0])! * Tensor([[1.0, 2.0, 3.0]])).sum()
        }, at: [logits])
    }
}
