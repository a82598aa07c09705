import _TestSupport
import Testing
import Autograd
import Models
import DataParallel
import Training

/// A sequential model with layer normalisation and dropout under the data-parallel engine: the
/// engine runs training passes whose dropout masks come from each micro-shard's own stream, so
/// runs stay bitwise the same for any number of workers.
@Suite struct LayerTrainingTests {
    private static let data = syntheticClassification(examples: 90, features: 10, classes: 3, seed: 31)
    private static let model = Sequential(
        [
            Dense(inputSize: 10, outputSize: 24, activation: .relu), LayerNormalization(size: 24), Dropout(rate: 0.3),
            Dense(inputSize: 24, outputSize: 3),
        ],
        names: ["hidden"], lossKind: .softmaxCrossEntropy, seed: 4)

    private func train(workers: Int, steps: Int) -> TrainingState {
        let trainer = MiniTrainer(
            model: Self.model, features: Self.data.0, labels: Self.data.1, batchSize: 32, optimizer: .adam(learningRate: 0.01),
            configuration: DataParallelConfiguration(workers: workers, microShardCount: 4, kernelThreads: 1, seed: 12))
        return trainer.train(from: trainer.initialState(seed: 12), steps: steps)
    }

    @Test func dropoutRunsAreBitwiseTheSameForOneTwoAndThreeWorkers() {
        let reference = train(workers: 1, steps: 7)
        #expect(!bitwiseEqual(reference.parameters, Self.model.initialParameters()))
        for workers in [2, 3] {
            #expect(bitwiseEqual(train(workers: workers, steps: 7).parameters, reference.parameters), "\(workers) workers differ from 1")
        }
    }

    @Test func theEngineRunsATrainingPassWithTheMicroShardStream() {
        let x = Self.data.0.rows(0..<16)
        let labels = Array(Self.data.1[0..<16])
        let parameters = Self.model.initialParameters()
        let configuration = DataParallelConfiguration(workers: 1, microShardCount: 1, kernelThreads: 1, seed: 5)
        let engine = DataParallelEngine(parameterShapes: Self.model.parameterShapes, configuration: configuration)
        let gradients = engine.computeGradients(model: Self.model, parameters: parameters, features: x, targets: .classes(labels)).gradients

        // One micro-shard at step 0: the same pass on one tape, with that micro-shard's stream.
        let tape = GradientTape()
        for parameter in parameters { tape.watch(parameter) }
        let loss = tape.record { () -> Tensor in
            var context = LayerContext(
                isTraining: true,
                random: ShardContext.randomStream(seed: 5, step: 0, microShard: 0, microShardCount: configuration.maximumMicroShardCount))
            return Self.model.loss(Self.model(x, parameters: parameters, context: &context), targets: .classes(labels))
        }
        let expected = tape.gradient(of: loss, withRespectTo: parameters).map { $0! }
        for (actual, wanted) in zip(gradients, expected) { assertClose(actual, wanted, rtol: 1e-5, atol: 1e-7) }

        let (inference, _) = singleTapeGradient(Self.model, parameters: parameters, features: x, targets: .classes(labels))
        #expect(!bitwiseEqual(gradients, inference), "dropout was on")
    }
}
