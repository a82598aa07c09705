import Autograd
import Datasets
import Models
import Optimizers
import Testing
import _TestSupport
import Training

/// 160 synthetic examples of 12 features and 3 classes, split 128 / 32: at batch 24 each epoch
/// has 5 batches of 24 and a last one of 8.
private let split = Dataset.synthetic(examples: 160, features: 12, classes: 3, seed: 21)
    .split(trainFraction: 0.8, shuffledWithSeed: 21)
private let model = MLP(layerSizes: [12, 16, 3], hiddenActivation: .relu, weightInitializer: .heNormal, seed: 6)

private func makeTrainer(
    workers: Int = 2, epochs: Int = 3, maxSteps: Int? = nil, trainMetrics: TrainMetricsSource = .trainingBatches
) -> Trainer {
    Trainer(
        model: model, data: split, optimizer: Adam(learningRate: 0.02),
        options: TrainingOptions(
            epochs: epochs, maxSteps: maxSteps, batchSize: 24, workers: workers, microShards: 3, seed: 8, trainMetrics: trainMetrics))
}

/// Each evaluation's four figures as bit patterns, for bitwise comparisons (NaN included).
private func bits(_ evaluations: [Trainer.Evaluation]) -> [[UInt32?]] {
    evaluations.map { [$0.trainLoss.bitPattern, $0.trainAccuracy?.bitPattern, $0.testLoss?.bitPattern, $0.testAccuracy?.bitPattern] }
}

/// The default training figures are the running mean of the epoch's training batches, as Keras
/// reports them; they are deterministic and survive a resume.
@Suite struct EpochTrainingFiguresTests {
    @Test func theTrainFiguresAreTheMeanOfTheEpochsTrainingBatches() throws {
        let trainer = makeTrainer()
        // Per epoch: Σ (batch mean loss × batch size), right predictions, examples.
        var sums: [(loss: Double, correct: Int, examples: Int)] = []
        let summary = trainer.run(measuring: .accuracy, onStep: { event in
            // The epoch counter has moved on when the step ended its epoch.
            let epoch = event.trainer.epoch - (event.endsEpoch ? 1 : 0)
            while sums.count <= epoch { sums.append((0, 0, 0)) }
            let accuracy = event.accuracy ?? .nan
            sums[epoch].loss += Double(event.loss) * Double(event.examples)
            sums[epoch].correct += Int((accuracy * Float(event.examples)).rounded())
            sums[epoch].examples += event.examples
            return .continue
        })
        #expect(summary.evaluations.count == 3 && sums.count == 3)
        for (evaluation, sum) in zip(summary.evaluations, sums) {
            #expect(sum.examples == 128)
            let mean = sum.loss / Double(sum.examples)
            #expect(isClose(Double(evaluation.trainLoss), mean, rtol: 1e-6, atol: 0), "epoch \(evaluation.epoch): \(evaluation.trainLoss) against \(mean)")
            // Integer counts: exactly the fraction of right predictions.
            #expect(evaluation.trainAccuracy == Float(sum.correct) / Float(sum.examples), "epoch \(evaluation.epoch)")
        }
        // The test split is still evaluated with the epoch's final parameters.
        let last = try #require(summary.evaluations.last)
        let pass = trainer.evaluate(epoch: 3)
        #expect(last.testLoss?.bitPattern == pass.testLoss?.bitPattern && last.testAccuracy == pass.testAccuracy)
        #expect(last.trainLoss != pass.trainLoss, "the batches' mean is not the final parameters' loss")
        #expect(trainer.epochFigures.examples == 0, "an epoch's sums are cleared once it has been evaluated")
    }

    @Test func theTrainFiguresAreTheSameBitsForAnyWorkerCount() {
        let reference = makeTrainer(workers: 1)
        let expected = bits(reference.run().evaluations)
        #expect(expected.count == 3)
        for workers in [2, 3] {
            let trainer = makeTrainer(workers: workers)
            #expect(bits(trainer.run().evaluations) == expected, "\(workers) workers")
            #expect(trainer.parameterDigest == reference.parameterDigest)
        }
    }

    @Test func anEvaluationPassMeasuresTheWholeTrainingSplitAndTrainsTheSameBits() throws {
        let batches = makeTrainer()
        let batchRun = batches.run()
        let pass = makeTrainer(trainMetrics: .evaluationPass)
        let passRun = pass.run()
        #expect(pass.parameterDigest == batches.parameterDigest, "how the train figures are measured never changes the training")
        let final = pass.evaluate(epoch: 3)
        let last = try #require(passRun.evaluations.last)
        #expect(bits([last]) == bits([final]))
        #expect(bits(passRun.evaluations).map { $0[2...] } == bits(batchRun.evaluations).map { $0[2...] }, "the same test figures")
        #expect(bits(passRun.evaluations).map { $0[0] } != bits(batchRun.evaluations).map { $0[0] })
    }

    /// Stopped in the middle of an epoch (or at its end), written to a file, read into a trainer
    /// with another worker count: the resumed run reports the uninterrupted run's figures.
    @Test(arguments: [2, 6, 9])
    func aRunResumedInsideAnEpochReportsTheUninterruptedRunsFigures(stopAfter: Int) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let whole = makeTrainer(workers: 1)
        let expected = bits(whole.run().evaluations)

        let first = makeTrainer(workers: 2)
        let stopped = first.run(onStep: { event in event.trainer.globalStep == stopAfter ? .stop : .continue })
        #expect(stopped.outcome == .interrupted)
        let inside = stopAfter % 6 != 0
        #expect((first.epochFigures.examples > 0) == inside)
        let path = directory.path + "/step.safetensors"
        try Checkpoint(state: first.state).write(to: path)
        let state = try Checkpoint.read(from: path).state
        #expect(state.epochFigures == first.epochFigures)

        let second = makeTrainer(workers: 3)
        try second.restore(state)
        let resumed = second.run()
        #expect(second.parameterDigest == whole.parameterDigest)
        // The stopped run evaluated where it stopped; the resumed one each epoch from there on.
        let firstEpoch = stopAfter / 6 + (inside ? 1 : 0)
        #expect(resumed.evaluations.map(\.epoch) == Array(firstEpoch + (inside ? 0 : 1)...3))
        #expect(bits(resumed.evaluations) == Array(expected.suffix(resumed.evaluations.count)))
    }

    @Test func aCheckpointsEpochSumsAreCheckedWhenRead() throws {
        let trainer = makeTrainer(maxSteps: 2)
        _ = trainer.run(evaluating: false)
        // A classifier's training passes count their predictions even when nothing asks for them.
        #expect(trainer.epochFigures.examples == 48 && trainer.epochFigures.predictions?.total == 48)
        var file = Checkpoint(state: trainer.state).safeTensors
        #expect(file.metadata["swiftgrad.epoch_examples"] == "48" && file.metadata["swiftgrad.epoch_predictions"] == "48")
        file.metadata["swiftgrad.epoch_correct"] = "50"
        file.metadata["swiftgrad.epoch_predictions"] = "48"
        let error = try #require(throws: CheckpointError.self) { try Checkpoint(file, source: "c.safetensors") }
        #expect("\(error)".contains("swiftgrad.epoch_correct (50) exceeds swiftgrad.epoch_predictions (48)"), "\(error)")
        // Counts no epoch reaches would overflow as the resumed run adds its batches.
        file.metadata["swiftgrad.epoch_correct"] = "1"
        file.metadata["swiftgrad.epoch_examples"] = "\(Int.max)"
        let huge = try #require(throws: CheckpointError.self) { try Checkpoint(file, source: "c.safetensors") }
        #expect("\(huge)".contains("exceeds 2^53"), "\(huge)")
        file.metadata["swiftgrad.epoch_examples"] = "48"
        file.metadata["swiftgrad.epoch_predictions"] = "\(Int.max)"
        #expect(throws: CheckpointError.self) { try Checkpoint(file, source: "c.safetensors") }
        file.metadata["swiftgrad.epoch_predictions"] = "48"
        #expect(throws: Never.self) { try Checkpoint(file, source: "c.safetensors") }
        file.metadata["swiftgrad.epoch_loss_sum"] = "not bits"
        #expect(throws: CheckpointError.self) { try Checkpoint(file, source: "c.safetensors") }
    }
}
