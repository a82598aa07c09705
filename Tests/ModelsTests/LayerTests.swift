import _TestSupport
import Testing
import Autograd
import Models

/// y = scale ⊙ x with one learnt scale per feature: a layer type defined outside Models, to show
/// that `Sequential` takes new layers unchanged.
struct FeatureScale: Layer {
    var size: Int
    static var typeName: String { "feature_scale" }
    var parameterNames: [String] { ["scale"] }
    var parameterShapes: [[Int]] { [[size]] }
    var inputShape: [Int]? { [size] }
    func outputShape(forInputShape inputShape: [Int]) -> [Int] { inputShape }
    func initialParameters(using random: inout RandomStream) -> [Tensor] {
        [Tensor.randomUniform(shape: [size], lower: 0.5, upper: 1.5, using: &random)]
    }
    func callAsFunction(_ input: Tensor, parameters: ArraySlice<Tensor>, context: inout LayerContext) -> Tensor {
        input * parameters[parameters.startIndex]
    }
}

/// The `Layer` protocol as `Dense` implements it, and a layer type of a user's own.
@Suite struct LayerTests {
    @Test func denseDescribesItsParametersAsALayer() {
        let layer = Dense(inputSize: 3, outputSize: 2, activation: .tanh)
        #expect(Dense.typeName == "dense")
        #expect(layer.parameterNames == ["weight", "bias"])
        #expect(layer.parameterShapes == [[3, 2], [2]])
        #expect(layer.inputShape == [3])
        #expect(layer.outputShape(forInputShape: [3]) == [2])
    }

    @Test func denseDrawsItsWeightThenItsBiasFromTheStream() {
        let layer = Dense(inputSize: 4, outputSize: 3, biasInitializer: .normal(standardDeviation: 1))
        var random = RandomStream(seed: 5, stream: 2)
        let parameters = layer.initialParameters(using: &random)
        var expected = RandomStream(seed: 5, stream: 2)
        let weight = Initializer.glorotUniform.makeTensor(shape: [4, 3], using: &expected)
        let bias = Initializer.normal(standardDeviation: 1).makeTensor(shape: [3], using: &expected)
        #expect(parameters == [weight, bias])
        #expect(random == expected, "both draws came from the stream handed in")
    }

    @Test func theLayerCallOnASliceMatchesTheDirectCall() {
        let layer = Dense(inputSize: 3, outputSize: 2, activation: .sigmoid)
        var random = RandomStream(seed: 1)
        let parameters = layer.initialParameters(using: &random)
        let x = Tensor.testInput(shape: [5, 3], seed: 2)
        let direct = layer(x, weight: parameters[0], bias: parameters[1])
        // The parameters in the middle of a longer list, as a model hands them over.
        let list = [Tensor(1)] + parameters + [Tensor(2)]
        var context = LayerContext(kernelThreads: 2)
        #expect(layer(x, parameters: list[1..<3], context: &context) == direct)
        #expect(layer(x, parameters: parameters) == direct)
    }

    @Test func layersCompareByTypeAndConfiguration() {
        let dense = Dense(inputSize: 2, outputSize: 2)
        #expect(dense.isEqual(to: Dense(inputSize: 2, outputSize: 2)))
        #expect(!dense.isEqual(to: Dense(inputSize: 2, outputSize: 2, activation: .relu)))
        #expect(!dense.isEqual(to: FeatureScale(size: 2)))
        #expect(!LayerNormalization(size: 2).isEqual(to: LayerNormalization(size: 2, epsilon: 1e-5)))
    }

    @Test func aLayerTypeOfOneSOwnJoinsASequentialModel() {
        let model = Sequential(
            [Dense(inputSize: 3, outputSize: 4, activation: .tanh), FeatureScale(size: 4), Dense(inputSize: 4, outputSize: 2)],
            lossKind: .meanSquaredError, seed: 8)
        #expect(model.layerNames == ["dense0", "feature_scale1", "dense2"])
        #expect(model.parameterNames == ["dense0/weight", "dense0/bias", "feature_scale1/scale", "dense2/weight", "dense2/bias"])
        let parameters = model.initialParameters()
        var random = RandomStream(seed: 8, stream: 1)
        #expect(parameters[2] == FeatureScale(size: 4).initialParameters(using: &random)[0], "layer 1 draws from stream 1")
        let x = Tensor.testInput(shape: [6, 3], seed: 3)
        let layers = model.layers
        let hidden = layers[0](x, parameters: Array(parameters[0..<2]))
        let expected = layers[2](hidden * parameters[2], parameters: Array(parameters[3..<5]))
        #expect(model(x, parameters: parameters) == expected)
        // Its gradient flows through the user's layer like any other.
        checkGradient("sequential with a custom layer", of: { p in model.loss(model(x, parameters: p), targets: .values(Tensor.testInput(shape: [6, 2], seed: 4))) }, at: parameters)
    }
}
