import _TestSupport
import Testing
import Autograd
import Models

/// `Sequential`: layer names and parameter names, initial parameters per layer stream, the shape
/// check when it is made, and the training context it hands its layers.
@Suite struct SequentialTests {
    @Test func unnamedLayersAreNamedByTypeAndIndex() {
        let model = Sequential(
            [Dense(inputSize: 4, outputSize: 8, activation: .relu), LayerNormalization(size: 8), Dropout(rate: 0.5), Dense(inputSize: 8, outputSize: 3)],
            lossKind: .softmaxCrossEntropy)
        #expect(model.layerNames == ["dense0", "layer_norm1", "dropout2", "dense3"])
        #expect(model.parameterNames == [
            "dense0/weight", "dense0/bias", "layer_norm1/gamma", "layer_norm1/beta", "dense3/weight", "dense3/bias",
        ])
        #expect(model.parameterShapes == [[4, 8], [8], [8], [8], [8, 3], [3]])
        #expect(model.parameterRanges == [0..<2, 2..<4, 4..<4, 4..<6])
        #expect(model.inputShape == [4] && model.outputShape == [3])
    }

    @Test func namesGivenReplaceTheDefaultsOfTheFirstLayers() {
        let layers: [any Layer] = [Dense(inputSize: 2, outputSize: 2), LayerNormalization(size: 2), Dense(inputSize: 2, outputSize: 1)]
        let model = Sequential(layers, names: ["hidden", nil], lossKind: .meanSquaredError)
        #expect(model.layerNames == ["hidden", "layer_norm1", "dense2"])
        #expect(model.parameterNames.first == "hidden/weight")
        #expect(model != Sequential(layers, lossKind: .meanSquaredError), "names are part of the model")
        #expect(model == Sequential(layers, names: ["hidden"], lossKind: .meanSquaredError))
    }

    @Test func anMLPKeepsTheNamesAndInitialValuesOfDenseLayersOnTheirOwnStreams() {
        // What every MLP's parameters have always been: layer i's weight then bias, drawn from
        // stream i of the seed, named dense<i>/weight and dense<i>/bias.
        let model = MLP(layerSizes: [5, 7, 3], hiddenActivation: .tanh, weightInitializer: .heNormal, seed: 13)
        var expected: [Tensor] = []
        for (index, shape) in [[5, 7], [7, 3]].enumerated() {
            var random = RandomStream(seed: 13, stream: UInt64(index))
            expected.append(Initializer.heNormal.makeTensor(shape: shape, using: &random))
            expected.append(Tensor.zeros(shape: [shape[1]]))
        }
        #expect(model.initialParameters() == expected)
        #expect(model.parameterNames == ["dense0/weight", "dense0/bias", "dense1/weight", "dense1/bias"])
        #expect(model.sequential == Sequential(model.layers, lossKind: .softmaxCrossEntropy, seed: 13))
    }

    @Test func aShapePreservingFirstLayerTakesTheShapeOfTheNext() {
        let model = Sequential([Dropout(rate: 0.1), Dense(inputSize: 3, outputSize: 2)], lossKind: .meanSquaredError)
        #expect(model.inputShape == nil, "dropout takes any shape")
        #expect(model.outputShape == [2])
        let x = Tensor.testInput(shape: [4, 3])
        #expect(model(x, parameters: model.initialParameters()).shape == [4, 2])
    }

    @Test func inferenceAndTrainingPassesDifferOnlyWhereALayerDrawsRandomNumbers() {
        let model = Sequential(
            [Dense(inputSize: 6, outputSize: 16, activation: .relu), Dropout(rate: 0.5), Dense(inputSize: 16, outputSize: 2)],
            lossKind: .meanSquaredError, seed: 2)
        let parameters = model.initialParameters()
        let x = Tensor.testInput(shape: [8, 6], seed: 5)
        let inference = model(x, parameters: parameters)
        var inferenceContext = LayerContext(kernelThreads: 2)
        #expect(model(x, parameters: parameters, context: &inferenceContext) == inference)

        var first = LayerContext(isTraining: true, random: RandomStream(seed: 4))
        let trained = model(x, parameters: parameters, context: &first)
        #expect(trained != inference, "dropout is on in a training pass")
        #expect(first.random != RandomStream(seed: 4), "the pass advanced the stream")
        var again = LayerContext(isTraining: true, random: RandomStream(seed: 4))
        #expect(model(x, parameters: parameters, context: &again) == trained, "the stream alone names the masks")
        // With variables, as a single-threaded TensorFlow-style loop would.
        var withVariables = LayerContext(isTraining: true, random: RandomStream(seed: 4))
        #expect(model(x, parameters: model.makeVariables(), context: &withVariables) == trained)
    }

    @Test func aModelWithoutRandomLayersGivesTheSameOutputInEveryContext() {
        let model = MLP(layerSizes: [3, 4, 2], seed: 1)
        let x = Tensor.testInput(shape: [5, 3])
        var context = LayerContext(kernelThreads: 2, isTraining: true)
        #expect(model(x, parameters: model.initialParameters(), context: &context) == model(x, parameters: model.initialParameters()))
        // A model that only takes kernel threads gets them from the context.
        let linear = LinearRegression(initialSlope: 2, initialIntercept: 1)
        #expect(linear(Tensor([1, 2]), parameters: linear.initialParameters(), context: &context) == Tensor([3, 5]))
    }

    // MARK: Errors

    @Test func layersWhoseShapesDoNotChainStopNamingBothLayersAndShapes() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Sequential(
                [Dense(inputSize: 4, outputSize: 8), LayerNormalization(size: 8), Dense(inputSize: 6, outputSize: 2)],
                names: ["hidden"], lossKind: .meanSquaredError)
        }.map { result in
            let message = standardError(of: result)
            #expect(message.contains("Sequential: layer 2 'dense2' (Dense) takes examples of shape [6], but layer 1 'layer_norm1' (LayerNormalization) gives [8]"))
        }
    }

    @Test func aMismatchBehindAShapePreservingLayerIsFound() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Sequential([Dense(inputSize: 4, outputSize: 8), Dropout(rate: 0.5), LayerNormalization(size: 4)], lossKind: .meanSquaredError)
        }.map { result in
            #expect(standardError(of: result).contains("layer 2 'layer_norm2' (LayerNormalization) takes examples of shape [4], but layer 1 'dropout1' (Dropout) gives [8]"))
        }
    }

    @Test func aNameUsedTwiceStops() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            // Layer 0 takes the default name of layer 1.
            _ = Sequential([Dense(inputSize: 2, outputSize: 2), Dense(inputSize: 2, outputSize: 1)], names: ["dense1"], lossKind: .meanSquaredError)
        }.map { result in
            #expect(standardError(of: result).contains("Sequential: layers 0 and 1 are both named 'dense1'; layer names must be unique"))
        }
    }

    @Test func aNameWithASlashStops() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Sequential([Dense(inputSize: 2, outputSize: 1)], names: ["a/b"], lossKind: .meanSquaredError)
        }.map { result in
            #expect(standardError(of: result).contains(#"layer 0 has the name "a/b"; a layer name must be non-empty and must not contain '/' or control characters"#))
        }
    }

    @Test func tooFewParametersStopNamingTheExpectedOnes() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let model = Sequential([LayerNormalization(size: 2)], lossKind: .meanSquaredError)
            _ = model(Tensor([[1, 2]]), parameters: [Tensor([1, 1])])
        }.map { result in
            #expect(standardError(of: result).contains("Sequential: expected 2 parameters [\"layer_norm0/gamma\", \"layer_norm0/beta\"] but got 1"))
        }
    }
}
