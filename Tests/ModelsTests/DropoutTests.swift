import _TestSupport
import Testing
import Autograd
import Models

/// `Dropout`: the identity outside training; in training, inverted dropout with a mask drawn from
/// the context's stream, whose gradient is the mask.
@Suite struct DropoutTests {
    @Test func isTheIdentityOutsideTraining() {
        let x = Tensor.testInput(shape: [4, 3])
        let layer = Dropout(rate: 0.5)
        #expect(Dropout.typeName == "dropout")
        #expect(layer.parameterNames.isEmpty && layer.parameterShapes.isEmpty && layer.inputShape == nil)
        #expect(layer.outputShape(forInputShape: [7, 2]) == [7, 2])
        #expect(layer(x, parameters: []) == x)
        var context = LayerContext(isTraining: false, random: RandomStream(seed: 1))
        #expect(layer(x, parameters: [], context: &context) == x)
        #expect(context.random == RandomStream(seed: 1), "nothing drawn")
    }

    @Test func keepsOrZeroesEachElementAndScalesTheKeptOnes() {
        let x = Tensor(repeating: 2, shape: [200, 50])
        let layer = Dropout(rate: 0.25)
        var context = LayerContext(isTraining: true, random: RandomStream(seed: 3))
        let y = layer(x, parameters: [], context: &context)
        let values = y.scalars
        // Kept elements are 2 / 0.75.
        #expect(values.allSatisfy { $0 == 0 || $0 == Float(2) * Float(1 / 0.75) })
        let dropped = Double(values.filter { $0 == 0 }.count) / Double(values.count)
        // 10 000 draws: the standard deviation of the fraction is √(0.25 · 0.75 / 10⁴) ≈ 0.0043.
        #expect(abs(dropped - 0.25) < 0.02)
        assertClose(y.mean(), Tensor(2), rtol: 0.03, "the expected output is the input")
    }

    @Test func aRateOfZeroDrawsNothing() {
        let x = Tensor.testInput(shape: [3, 3])
        var context = LayerContext(isTraining: true, random: RandomStream(seed: 9))
        #expect(Dropout(rate: 0)(x, parameters: [], context: &context) == x)
        #expect(context.random == RandomStream(seed: 9))
    }

    @Test func theGradientIsTheMask() {
        let layer = Dropout(rate: 0.4)
        let x = Tensor.testInput(shape: [4, 6], seed: 2)
        // The same stream on every call, so finite differences see the same mask.
        checkGradient("dropout", of: { p in
            var context = LayerContext(isTraining: true, random: RandomStream(seed: 6))
            return layer(p[0], parameters: [], context: &context)
        }, at: [x])
    }

    @Test func trainingWithoutARandomStreamStops() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var context = LayerContext(isTraining: true)
            _ = Dropout(rate: 0.5)(Tensor([1, 2]), parameters: [], context: &context)
        }.map { result in
            #expect(standardError(of: result).contains("Dropout: a training pass needs a random stream"))
        }
    }

    @Test func aRateOfOneStops() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Dropout(rate: 1)
        }.map { result in
            #expect(standardError(of: result).contains("Dropout: rate must be in [0, 1), got 1.0"))
        }
    }
}
