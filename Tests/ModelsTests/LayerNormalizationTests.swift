import _TestSupport
import Testing
import Autograd
import Models

/// `LayerNormalization`: values against the formula worked in Double, its parameters, and its
/// gradient with respect to input, gamma and beta against finite differences.
@Suite struct LayerNormalizationTests {
    @Test func describesGammaThenBeta() {
        let layer = LayerNormalization(size: 5)
        #expect(LayerNormalization.typeName == "layer_norm")
        #expect(layer.parameterNames == ["gamma", "beta"])
        #expect(layer.parameterShapes == [[5], [5]])
        #expect(layer.inputShape == [5] && layer.outputShape(forInputShape: [5]) == [5])
        #expect(layer.epsilon == 1e-3, "Keras's default")
        var random = RandomStream(seed: 0)
        #expect(layer.initialParameters(using: &random) == [Tensor.ones(shape: [5]), Tensor.zeros(shape: [5])])
        #expect(random == RandomStream(seed: 0), "ones and zeros draw nothing")
    }

    @Test func normalisesEachExampleOverItsFeatures() {
        let layer = LayerNormalization(size: 4)
        let x = Tensor([[1, 2, 3, 6], [2, 4, 6, 12], [5, 5, 5, 5]])
        let y = layer(x, parameters: [Tensor.ones(shape: [4]), Tensor.zeros(shape: [4])])
        // Row 0: μ = 3, σ² = 3.5, so (x − 3) / √3.501. Row 1 is row 0 doubled: σ² = 14, and
        // ε matters less. Row 2 is constant: every feature is its mean, so 0.
        assertClose(y.rows(0..<1), [-1.0688922796581097, -0.5344461398290549, 0, 1.6033384194871645])
        let rootOfFourteen = (14.001 as Double).squareRoot()
        assertClose(y.rows(1..<2), [-4, -2, 0, 6].map { Float($0 / rootOfFourteen) })
        #expect(y.rows(2..<3) == Tensor([[0, 0, 0, 0]]))
    }

    @Test func scalesByGammaAndShiftsByBeta() {
        let layer = LayerNormalization(size: 4)
        let gamma = Tensor([0.5, 1, 2, -1]), beta = Tensor([0, 0.25, -1, 1])
        let y = layer(Tensor([[1, 2, 3, 6]]), parameters: [gamma, beta])
        assertClose(y, [-0.5344461398290549, -0.28444613982905487, -1, -0.6033384194871645])
    }

    @Test func epsilonIsAddedToTheVariance() {
        // Two features ±0.75 from their mean: σ² = 0.5625, so ε = 0.4375 makes the divisor 1.
        let layer = LayerNormalization(size: 2, epsilon: 0.4375)
        let y = layer(Tensor([[-1, 0.5]]), parameters: [Tensor.ones(shape: [2]), Tensor.zeros(shape: [2])])
        assertClose(y, [-0.75, 0.75])
    }

    @Test func gradientsWithRespectToInputGammaAndBetaMatchFiniteDifferences() {
        let layer = LayerNormalization(size: 5)
        let x = Tensor.testInput(shape: [3, 5], seed: 1)
        let gamma = Tensor.testInput(shape: [5], in: 0.5...1.5, seed: 2)
        let beta = Tensor.testInput(shape: [5], seed: 3)
        checkGradient("layer normalization", of: { p in layer(p[0], parameters: [p[1], p[2]]) }, at: [x, gamma, beta])
    }

    @Test func gradientsFlowThroughTheStatisticsOfASmallVariance() {
        // Features close together: 1/√(σ² + ε) is steep, the case a missing term in σ²'s
        // gradient would get most wrong.
        let layer = LayerNormalization(size: 4, epsilon: 1e-2)
        let x = Tensor([[0.1, 0.15, -0.05, 0.2], [1, 1.1, 0.9, 1.05]])
        checkGradient(
            "layer normalization, small variance", of: { p in layer(p[0], parameters: [p[1], p[2]]) },
            at: [x, Tensor([1, -0.5, 2, 0.75]), Tensor.zeros(shape: [4])], relativeStep: 1e-3)
    }

    @Test func inputOfTheWrongWidthStops() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let layer = LayerNormalization(size: 3)
            _ = layer(Tensor([[1, 2]]), parameters: [Tensor.ones(shape: [3]), Tensor.zeros(shape: [3])])
        }.map { result in
            #expect(standardError(of: result).contains("LayerNormalization: input of shape [1, 2] does not match a layer of size 3; expected [batch, 3]"))
        }
    }
}
