import Autograd
import Datasets
import Models
import Optimizers
import Testing
import _TestSupport
import DataParallel
import Training

/// 1300 examples split 1040 / 260: the training split is four chunks of the engine's inference,
/// the test split one.
private let split = Dataset.synthetic(examples: 1300, features: 16, classes: 3, seed: 2)
    .split(trainFraction: 0.8, shuffledWithSeed: 2)

@Suite("Trainer.evaluate: chunked inference on the engine's threads")
struct EvaluationTests {
    /// The loss and accuracy of one taped forward pass over a whole split, as the trainer
    /// computed them before evaluation was cut into chunks.
    private func wholePass<M: Model>(_ model: M, _ parameters: [Tensor], _ dataset: Dataset) -> (loss: Float, accuracy: Float?) {
        let tape = GradientTape()
        for parameter in parameters { tape.watch(parameter) }
        let output = tape.record { model(dataset.features, parameters: parameters) }
        let targets = Targets.classes(dataset.classLabels!)
        return (model.loss(output, targets: targets).scalar, model.lossKind.accuracy(output, targets: targets))
    }

    @Test(arguments: [1, 2, 3])
    func anEvaluationIsTheWholePasssBitsForAnyWorkerCount(workers: Int) {
        let model = MLP(layerSizes: [16, 20, 3], hiddenActivation: .relu, weightInitializer: .heNormal, seed: 4)
        let trainer = Trainer(model: model, data: split, optimizer: Adam(learningRate: 0.01), options: TrainingOptions(epochs: 1, batchSize: 64, workers: workers, seed: 3))
        #expect(trainer.engine.inference.chunks(ofExamples: split.train.count).count == 4)
        _ = trainer.run(evaluating: false)
        let evaluation = trainer.evaluate(epoch: 1)
        let parameters = trainer.variables.map(\.value)
        let train = wholePass(model, parameters, split.train), test = wholePass(model, parameters, split.test)
        #expect(evaluation.trainLoss.bitPattern == train.loss.bitPattern)
        #expect(evaluation.trainAccuracy == train.accuracy)
        #expect(evaluation.testLoss?.bitPattern == test.loss.bitPattern)
        #expect(evaluation.testAccuracy == test.accuracy)
    }

    /// A model that runs its own pass on each chunk (layer normalisation), and one in bf16:
    /// the losses and right answers counted chunk by chunk are still the whole pass's.
    @Test(arguments: [1, 3])
    func chunkedFiguresAreTheWholePasssForOtherModelsAndBf16(workers: Int) {
        let normalised = Sequential(
            [Dense(inputSize: 16, outputSize: 12, activation: .relu), LayerNormalization(size: 12), Dense(inputSize: 12, outputSize: 3)],
            lossKind: .softmaxCrossEntropy, seed: 5)
        let trainer = Trainer(model: normalised, data: split, optimizer: Adam(learningRate: 0.01), options: TrainingOptions(epochs: 1, batchSize: 64, workers: workers, seed: 3))
        _ = trainer.run(evaluating: false)
        let evaluation = trainer.evaluate(epoch: 1)
        let train = wholePass(normalised, trainer.variables.map(\.value), split.train)
        #expect(evaluation.trainLoss.bitPattern == train.loss.bitPattern)
        #expect(evaluation.trainAccuracy == train.accuracy)

        let mlp = MLP(layerSizes: [16, 20, 3], hiddenActivation: .relu, weightInitializer: .heNormal, seed: 4)
        var options = TrainingOptions(epochs: 1, batchSize: 64, workers: workers, seed: 3)
        options.precision = .bf16
        let bf16 = Trainer(model: mlp, data: split, optimizer: Adam(learningRate: 0.01), options: options)
        _ = bf16.run(evaluating: false)
        let figures = bf16.evaluate(epoch: 1)
        let output = withoutRecording { mlp(split.train.features, parameters: bf16.variables.map(\.value), kernels: KernelContext(precision: .bf16)) }
        let targets = Targets.classes(split.train.classLabels!)
        #expect(figures.trainLoss.bitPattern == mlp.loss(output, targets: targets).scalar.bitPattern)
        #expect(figures.trainAccuracy == mlp.lossKind.accuracy(output, targets: targets))
    }

    @Test func aSummarySaysWhereTheTimeWent() {
        let model = MLP(layerSizes: [16, 8, 3], seed: 1)
        let options = TrainingOptions(epochs: 2, batchSize: 128, workers: 2, seed: 3)
        var handled = 0
        let summary = Trainer(model: model, data: split, optimizer: Adam(), options: options).run(onStep: { _ in
            handled += 1
            return .continue
        })
        #expect(summary.examples == 2 * split.train.count)
        #expect(summary.evaluations.count == 2)
        #expect(summary.evaluationSeconds > 0)
        #expect(summary.handlerSeconds > 0 && handled > 0)
        #expect(summary.dataSeconds > 0)
        let quiet = Trainer(model: model, data: split, optimizer: Adam(), options: options).run(evaluating: false)
        #expect(quiet.evaluationSeconds == 0 && quiet.handlerSeconds == 0)
    }
}
