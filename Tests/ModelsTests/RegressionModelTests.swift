import _TestSupport
import Testing
import Autograd
import Models

@Test func linearRegressionIsWTimesXPlusC() {
    let model = LinearRegression()
    #expect(model.parameterNames == ["w", "c"])
    #expect(model.initialParameters() == [Tensor(0), Tensor(0)])
    #expect(model(Tensor([0, 1, 2]), parameters: [Tensor(2), Tensor(3)]) == Tensor([3, 5, 7]))
}

@Test func linearRegressionLearnsALineWithTheLectureLoss() {
    // y = 2.5x + 3 exactly; SGD on Σ(h − y)²/2m converges towards w = 2.5, c = 3.
    let model = LinearRegression()
    let x = Tensor.linspace(from: 0, to: 10, count: 100)
    let y = 2.5 * x + 3
    let variables = model.makeVariables()
    for _ in 0..<5000 {
        let tape = GradientTape()
        let loss = tape.record { model.loss(model(x, parameters: variables), targets: .values(y)) }
        let gradients = tape.gradient(of: loss, withRespectTo: variables)
        for (variable, gradient) in zip(variables, gradients) { variable.assignSub(0.02 * gradient!) }
    }
    #expect(abs(variables[0].value.scalar - 2.5) < 1e-3)
    #expect(abs(variables[1].value.scalar - 3) < 1e-2)
}

@Test func logisticLayoutsGiveTheSameLogits() {
    var random = RandomStream(seed: 3)
    let x = Tensor.randomNormal(shape: [5, 4], using: &random)
    let rows = LogisticRegression(featureCount: 4, seed: 8)
    let columns = LogisticRegression(featureCount: 4, layout: .examplesInColumns, seed: 8)
    #expect(rows.parameterShapes == [[4, 1], [1]])
    #expect(columns.parameterShapes == [[1, 4], [1]])
    #expect(rows.lossKind == .sigmoidCrossEntropy)
    let w = rows.initialParameters()[0]
    let b = Tensor([0.25])
    let byRows = rows(x, parameters: [w, b])
    let byColumns = columns(x.transposed(), parameters: [w.transposed(), b])
    assertClose(byRows.transposed(), byColumns)
    // The two layouts' mean losses agree as well.
    let labels = Tensor([[1], [0], [0], [1], [1]])
    assertClose(
        rows.loss(byRows, targets: .values(labels)),
        columns.loss(byColumns, targets: .values(labels.transposed())))
}

@Test func multinomialLogisticRegressionUsesSoftmax() {
    let model = LogisticRegression(featureCount: 3, classes: 4)
    #expect(model.parameterShapes == [[3, 4], [4]])
    #expect(model.lossKind == .softmaxCrossEntropy)
    let p = model.probabilities(Tensor([[1, 2, 3]]), parameters: model.initialParameters())
    assertClose(p.sum(), Tensor(1))
}
