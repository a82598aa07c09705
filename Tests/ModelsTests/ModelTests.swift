import _TestSupport
import Testing
import Autograd
import Models

@Test func denseComputesActivationOfAffineMap() {
    let layer = Dense(inputSize: 2, outputSize: 3, activation: .relu)
    let x = Tensor([[1, 2], [-1, 0]])
    let w = Tensor([[1, -1, 0.5], [2, 0, -1]])
    let b = Tensor([0, 1, -0.5])
    // Rows of x·w + b: [5, 0, -2] and [-1, 2, -1].
    #expect(layer(x, weight: w, bias: b) == Tensor([[5, 0, 0], [0, 2, 0]]))
    #expect(layer.parameterShapes == [[2, 3], [3]])
}

@Test func activationsMatchTheirFormulas() {
    let x = Tensor([-2, 0, 3])
    #expect(Activation.linear(x) == x)
    #expect(Activation.relu(x) == Tensor([0, 0, 3]))
    assertClose(Activation.sigmoid(x), Tensor([0.11920292, 0.5, 0.95257413]))
    assertClose(Activation.tanh(x), Tensor([-0.96402758, 0, 0.99505475]))
    assertClose(Activation.softplus(x), Tensor([0.12692801, 0.69314718, 3.04858735]))
    assertClose(Activation.softmax(x).sum(), Tensor(1))
}

@Test func mlpDescribesItsParameters() {
    let model = MLP(layerSizes: [784, 256, 256, 10], hiddenActivation: .relu, seed: 42)
    #expect(model.parameterShapes == [[784, 256], [256], [256, 256], [256], [256, 10], [10]])
    #expect(model.parameterNames == ["dense0/weight", "dense0/bias", "dense1/weight", "dense1/bias", "dense2/weight", "dense2/bias"])
    #expect(model.parameterCount == 784 * 256 + 256 + 256 * 256 + 256 + 2570)
    #expect(model.layers.map(\.activation) == [.relu, .relu, .linear])
    let parameters = model.initialParameters()
    #expect(parameters.map(\.shape) == model.parameterShapes)
    #expect(parameters == model.initialParameters(), "initial parameters come from the seed alone")
    #expect(parameters[0] != MLP(layerSizes: [784, 256, 256, 10], seed: 43).initialParameters()[0])
    #expect(parameters[1] == Tensor.zeros(shape: [256]))
}

@Test func changingALaterLayerKeepsEarlierInitialValues() {
    let a = MLP(layerSizes: [5, 4, 3], seed: 7).initialParameters()
    let b = MLP(layerSizes: [5, 4, 6], seed: 7).initialParameters()
    #expect(a[0] == b[0])
}

@Test func variableAndTensorForwardPassesAgree() {
    let model = MLP(layerSizes: [3, 4, 2], hiddenActivation: .tanh, seed: 1)
    let x = Tensor([[0.5, -1, 2], [1, 0, -0.5]])
    let variables = model.makeVariables()
    #expect(variables.map(\.name) == model.parameterNames)
    #expect(model(x, parameters: variables) == model(x, parameters: model.initialParameters()))
    #expect(model(x, parameters: model.initialParameters(), kernelThreads: 2) == model(x, parameters: model.initialParameters()))
}

@Test func mlpGradientsMatchFiniteDifferences() {
    let model = MLP(layerSizes: [3, 5, 4], hiddenActivation: .tanh, seed: 5)
    var random = RandomStream(seed: 11)
    let x = Tensor.randomNormal(shape: [6, 3], using: &random)
    let targets = Targets.classes([0, 1, 2, 3, 1, 0])
    let parameters = model.initialParameters()
    let tape = GradientTape()
    for parameter in parameters { tape.watch(parameter) }
    let loss = tape.record { model.loss(model(x, parameters: parameters), targets: targets) }
    let gradients = tape.gradient(of: loss, withRespectTo: parameters)
    for index in parameters.indices {
        let numeric = numericalGradient({ model.loss(model(x, parameters: $0), targets: targets).scalar }, at: parameters, which: index)
        assertClose(gradients[index]!, numeric, rtol: 2e-2, atol: 2e-3)
    }
}

@Test func variablesAreWatchedWhenReadDuringRecording() {
    let model = LogisticRegression(featureCount: 2, classes: 3, seed: 2)
    let variables = model.makeVariables()
    let tape = GradientTape()
    let loss = tape.record { model.loss(model(Tensor([[1, 2]]), parameters: variables), targets: .classes([2])) }
    let gradients = tape.gradient(of: loss, withRespectTo: variables)
    #expect(gradients.map { $0?.shape } == [[2, 3], [3]])
}
