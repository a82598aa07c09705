import _TestSupport
import Testing
import Autograd
import Models

@Test func summedLossIsMeanTimesExamples() {
    let output = Tensor([[1, -2], [0.5, 3], [-1, 0]])
    let values = Tensor([[0, 1], [1, 1], [0, 0]])
    for kind in [LossKind.meanSquaredError, .halfMeanSquaredError, .sigmoidCrossEntropy] {
        assertClose(kind.summedLoss(output, targets: .values(values)), 3 * kind.meanLoss(output, targets: .values(values)))
    }
    let labels = Targets.classes([1, 1, 0])
    assertClose(LossKind.softmaxCrossEntropy.summedLoss(output, targets: labels), 3 * LossKind.softmaxCrossEntropy.meanLoss(output, targets: labels))
}

@Test func meanLossesMatchAutogradLosses() {
    let output = Tensor([[1, -2], [0.5, 3]])
    let values = Tensor([[0, 1], [1, 1]])
    assertClose(LossKind.meanSquaredError.meanLoss(output, targets: .values(values)), Losses.meanSquaredError(predictions: output, labels: values))
    assertClose(LossKind.halfMeanSquaredError.meanLoss(output, targets: .values(values)), Losses.meanSquaredError(predictions: output, labels: values) / 2)
    assertClose(LossKind.sigmoidCrossEntropy.meanLoss(output, targets: .values(values)), Losses.sigmoidCrossEntropy(logits: output, labels: values).mean())
    assertClose(LossKind.softmaxCrossEntropy.meanLoss(output, targets: .classes([1, 0])), Losses.softmaxCrossEntropy(logits: output, labels: [1, 0]).mean())
}

@Test func targetsSliceByExample() {
    #expect(Targets.classes([4, 5, 6]).examples(1..<3) == .classes([5, 6]))
    #expect(Targets.values(Tensor([[1], [2], [3]])).examples(0..<2) == .values(Tensor([[1], [2]])))
    #expect(Targets.values(Tensor([1, 2, 3])).exampleCount == 3)
}

@Test func accuracyCountsCorrectPredictions() {
    let logits = Tensor([[2, 1], [0, 3], [5, -1]])
    #expect(LossKind.softmaxCrossEntropy.accuracy(logits, targets: .classes([0, 1, 1])) == 2.0 / 3)
    #expect(LossKind.sigmoidCrossEntropy.accuracy(Tensor([[1], [-1]]), targets: .values(Tensor([[1], [1]]))) == 0.5)
    #expect(LossKind.meanSquaredError.accuracy(logits, targets: .values(logits)) == nil)
}

@Test func predictionCountsAddUpOverBatches() {
    let logits = Tensor([[2, 1], [0, 3], [5, -1], [1, 4]])
    let labels = [0, 1, 1, 1]
    let whole = LossKind.softmaxCrossEntropy.predictionCount(logits, targets: .classes(labels))
    #expect(whole == PredictionCount(correct: 3, total: 4))
    let halves = [0..<2, 2..<4].map { rows in
        LossKind.softmaxCrossEntropy.predictionCount(logits.rows(rows), targets: .classes(Array(labels[rows])))!
    }
    #expect(halves[0] + halves[1] == whole)
    #expect(whole?.accuracy == 0.75)
    #expect(LossKind.sigmoidCrossEntropy.predictionCount(Tensor([[1, -2], [-1, 3]]), targets: .values(Tensor([[1, 0], [1, 1]])))
        == PredictionCount(correct: 3, total: 4))
    #expect(LossKind.halfMeanSquaredError.predictionCount(logits, targets: .values(logits)) == nil)
    #expect(PredictionCount(correct: 0, total: 0).accuracy.isNaN)
}

@Test func predictionCountPicksTheClassArgmaxPicks() {
    // Ties go to the first largest logit and a NaN loses to any number, as in `argmax`; a row
    // of NaNs predicts class 0. Every label is tried against every row, so the count is right
    // only if each row's prediction is.
    let nan = Float.nan
    let logits = Tensor([[1, 3, 3], [nan, 2, 1], [nan, nan, nan], [-1, -1, -2], [0, nan, 5], [-.infinity, -.infinity, 7]])
    let predicted = logits.argmax(squeezingAxis: -1).scalars.map { Int($0) }
    #expect(predicted == [1, 1, 0, 0, 2, 2])
    for label in 0..<3 {
        let labels = [Int](repeating: label, count: 6)
        let expected = predicted.count { $0 == label }
        #expect(LossKind.softmaxCrossEntropy.predictionCount(logits, targets: .classes(labels)) == PredictionCount(correct: expected, total: 6))
    }
}
