import Autograd
import Testing

/// Central finite differences of the scalar `f` at `x`, in Double-free Float arithmetic with a
/// step large enough for Float (1e-2): compared against tape gradients at a loose tolerance.
private func fusedNumericalGradient(_ f: (Tensor) -> Tensor, at x: Tensor, step: Float = 1e-2) -> [Float] {
    var gradient: [Float] = []
    for index in 0..<x.scalarCount {
        var plus = x, minus = x
        plus.withUnsafeMutableBufferPointer { $0[index] += step }
        minus.withUnsafeMutableBufferPointer { $0[index] -= step }
        gradient.append((f(plus).scalar - f(minus).scalar) / (2 * step))
    }
    return gradient
}

/// Expects `actual` within `tolerance` (absolute plus relative) of `expected`, element by element.
private func expectFusedClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 2e-2,
                              _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) vs \(expected.count) elements", sourceLocation: sourceLocation)
    for (index, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > tolerance * (1 + abs(e)) {
        Issue.record("\(what)[\(index)]: \(a) differs from \(e)", sourceLocation: sourceLocation)
        return
    }
}

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
        expectFusedClose(fused.scalars, composed.scalars, tolerance: 1e-6, "dense forward")
        #expect(fused.shape == [2, 4])
    }

    @Test(arguments: [DenseActivation.none, .relu])
    func denseGradientsMatchFiniteDifferences(activation: DenseActivation) {
        let (x, w, b) = denseInputs()
        // A weighted sum, so every output element has a different upstream gradient.
        let weights = Tensor([[1.0, -2.0, 0.5, 3.0], [-1.5, 0.25, 2.0, 1.0]])
        func loss(_ x: Tensor, _ w: Tensor, _ b: Tensor) -> Tensor {
            (Tensor.dense(x, w, b, activation: activation) * weights).sum()
        }
        let tape = GradientTape()
        tape.watch(x); tape.watch(w); tape.watch(b)
        let y = tape.record { loss(x, w, b) }
        let gradients = tape.gradient(of: y, withRespectTo: [x, w, b])
        expectFusedClose(gradients[0]!.scalars, fusedNumericalGradient({ loss($0, w, b) }, at: x), "dX \(activation)")
        expectFusedClose(gradients[1]!.scalars, fusedNumericalGradient({ loss(x, $0, b) }, at: w), "dW \(activation)")
        expectFusedClose(gradients[2]!.scalars, fusedNumericalGradient({ loss(x, w, $0) }, at: b), "db \(activation)")
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
        expectFusedClose(gradients[0]?.scalars ?? [], expected[0]!.scalars, tolerance: 1e-6, "dW")
        expectFusedClose(gradients[1]?.scalars ?? [], expected[1]!.scalars, tolerance: 1e-6, "db")
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
        expectFusedClose(second.scalars, [Float](repeating: 2 * columnTotal, count: 4), tolerance: 1e-5, "d/db Σ dy/dW")
    }

    @Test func softmaxCrossEntropyGradientMatchesFiniteDifferences() {
        let logits = Tensor([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0], [0.2, 0.1, -0.4]])
        let labels = [1, 2, 0]
        let weights = Tensor([2.0, -1.0, 0.5])
        func loss(_ z: Tensor) -> Tensor { (Losses.softmaxCrossEntropy(logits: z, labels: labels) * weights).sum() }
        let tape = GradientTape()
        tape.watch(logits)
        let y = tape.record { loss(logits) }
        let gradient = tape.gradient(of: y, withRespectTo: logits)!
        expectFusedClose(gradient.scalars, fusedNumericalGradient(loss, at: logits), "dlogits")
        // And against the closed form g · (softmax − onehot), which the kernel computes.
        let closedForm = weights.expandingShape(at: 1) * (logits.softmax(alongAxis: 1) - Tensor.oneHot(labels, classes: 3))
        expectFusedClose(gradient.scalars, closedForm.scalars, tolerance: 1e-6, "closed form")
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
        let second = outer.gradient(of: firstSum, withRespectTo: logits)
        let numerical = fusedNumericalGradient({ z in
            let inner = GradientTape()
            inner.watch(z)
            let loss = inner.record { Losses.softmaxCrossEntropy(logits: z, labels: [2]).sum() }
            return (inner.gradient(of: loss, withRespectTo: z)! * Tensor([[1.0, 2.0, 3.0]])).sum()
        }, at: logits)
        #expect(second != nil)
        expectFusedClose(second?.scalars ?? [], numerical, "second derivative")
    }
}
