import Autograd
import Datasets
import Models
import Optimizers
import Testing
import _TestSupport
import DataParallel
import Training

/// 300 synthetic examples, 240 to train: three batches of 64 and one of 48 an epoch.
private let split = Dataset.synthetic(examples: 300, features: 32, classes: 4, seed: 7)
    .split(trainFraction: 0.8, shuffledWithSeed: 7)
/// Its 32 × 160 weight is two chunks of the all-reduce, so the norm adds chunk sums.
private let model = MLP(layerSizes: [32, 160, 4], hiddenActivation: .relu, weightInitializer: .heNormal, seed: 3)

/// The figures of one step event.
private struct Figures {
    var loss: Float, learningRate: Float, gradientNorm: Float?, accuracy: Float?, examples: Int, seconds: Double
}

/// Trains for two epochs and collects every step's figures, and the trainer.
private func figures(
    workers: Int = 1, accumulation: Int = 1, optimizer: any Optimizer = Adam(learningRate: 0.01),
    measuring: Trainer.StepMeasurements = .all
) -> ([Figures], Trainer) {
    let options = TrainingOptions(epochs: 2, batchSize: 64, workers: workers, microShards: 4, seed: 2, gradientAccumulation: accumulation)
    let trainer = Trainer(model: model, data: split, optimizer: optimizer, options: options)
    var collected: [Figures] = []
    _ = trainer.run(measuring: measuring, onStep: { event in
        collected.append(Figures(
            loss: event.loss, learningRate: event.learningRate, gradientNorm: event.gradientNorm, accuracy: event.accuracy,
            examples: event.examples, seconds: event.seconds))
        return .continue
    })
    return (collected, trainer)
}

@Suite struct StepEventTests {
    @Test func everyStepReportsItsExamplesTimeAndRateAndNothingCostlyUnlessAsked() {
        let (steps, _) = figures(measuring: [])
        #expect(steps.map(\.examples) == [64, 64, 64, 48, 64, 64, 64, 48])
        #expect(steps.allSatisfy { $0.seconds > 0 && $0.learningRate == 0.01 && $0.loss.isFinite })
        #expect(steps.allSatisfy { $0.gradientNorm == nil && $0.accuracy == nil })
    }

    @Test func theLearningRateIsTheSchedulesRateForTheStep() {
        let schedule = ExponentialDecay(initialLearningRate: 0.02, decaySteps: 3, decayRate: 0.5)
        let (steps, _) = figures(optimizer: Adam(learningRate: .scheduled(schedule)))
        #expect(steps.map(\.learningRate) == (0..<8).map { schedule.learningRate(at: $0) })
        #expect(steps[0].learningRate == 0.02 && steps[7].learningRate < 0.005)
    }

    /// The first step's norm and accuracy, recomputed from its batch with one tape.
    @Test func theFirstStepsNormAndAccuracyAreThoseOfItsBatch() throws {
        let (steps, _) = figures()
        let rows = Array(split.train.batches(size: 64, shuffleSeed: 2, epoch: 0).indices(ofBatch: 0))
        let features = split.train.features.gathering(rows: rows)
        let allLabels = try #require(split.train.classLabels)
        let labels = rows.map { allLabels[$0] }
        let parameters = model.initialParameters()
        let (gradients, loss) = singleTapeGradient(model, parameters: parameters, features: features, targets: .classes(labels))
        let norm = clipByGlobalNorm(gradients, maxNorm: 1e30).norm
        let measured = try #require(steps[0].gradientNorm)
        #expect(abs(measured - norm) <= 1e-5 * norm, "\(measured) against \(norm)")
        #expect(abs(steps[0].loss - loss) <= 1e-5 * loss)
        let count = try #require(model.lossKind.predictionCount(model(features, parameters: parameters), targets: .classes(labels)))
        #expect(steps[0].accuracy == count.accuracy)
    }

    @Test func theNormAndAccuracyAreTheSameBitsForAnyWorkerCountAndEitherUpdatePath() {
        let (reference, trainer) = figures()
        let norms = reference.map { $0.gradientNorm?.bitPattern }
        let accuracies = reference.map { $0.accuracy?.bitPattern }
        #expect(norms.allSatisfy { $0 != nil } && accuracies.allSatisfy { $0 != nil })
        for workers in [2, 3] {
            let (steps, other) = figures(workers: workers)
            #expect(steps.map { $0.gradientNorm?.bitPattern } == norms, "\(workers) workers")
            #expect(steps.map { $0.accuracy?.bitPattern } == accuracies, "\(workers) workers")
            #expect(other.parameterDigest == trainer.parameterDigest)
        }
        // Clipping by a global norm never reached reduces into whole gradients, then applies them.
        let (whole, wholeTrainer) = figures(workers: 2, optimizer: Adam(learningRate: 0.01, clipping: .byGlobalNorm(1e30)))
        #expect(whole.map { $0.gradientNorm?.bitPattern } == norms)
        #expect(wholeTrainer.parameterDigest == trainer.parameterDigest)
    }

    @Test func measuringChangesNoBit() {
        let (_, measured) = figures(workers: 2)
        let (_, plain) = figures(workers: 2, measuring: [])
        #expect(measured.parameterDigest == plain.parameterDigest)
    }

    @Test func anAccumulatedStepSpansItsBatches() throws {
        let (steps, _) = figures(accumulation: 2)
        #expect(steps.map(\.examples) == [128, 112, 128, 112])
        #expect(steps.allSatisfy { $0.gradientNorm != nil && $0.accuracy != nil })
        // 112 examples: the accuracy of the step is a multiple of 1/112.
        let correct = try #require(steps[1].accuracy) * 112
        #expect(abs(correct - correct.rounded()) < 1e-4)
    }
}
