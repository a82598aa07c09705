import Autograd
import Datasets
import Models
import Optimizers
import Synchronization
import Testing
import _TestSupport
import DataParallel
import Training

/// 250 synthetic examples of 32 features and 4 classes, split 200 / 50: batches of 32 leave a
/// last batch of 8 in every epoch, so every run crosses smaller batches and uneven micro-shards.
private let split = Dataset.synthetic(examples: 250, features: 32, classes: 4, seed: 5)
    .split(trainFraction: 0.8, shuffledWithSeed: 5)
private let model = MLP(layerSizes: [32, 24, 4], hiddenActivation: .relu, weightInitializer: .heNormal, seed: 11)

/// Trains `model` on `split` with `options` and returns the trainer (for its variables and
/// digest) and the run's summary.
private func train(_ options: TrainingOptions, optimizer: any Optimizer = Adam(learningRate: 0.01)) -> (Trainer, Trainer.Summary) {
    let trainer = Trainer(model: model, data: split, optimizer: optimizer, options: options)
    let summary = trainer.run()
    return (trainer, summary)
}

/// The current values of a trainer's parameters.
private func values(_ trainer: Trainer) -> [Tensor] { trainer.variables.map(\.value) }

@Suite struct TrainerTests {
    @Test func theDataEndEveryEpochWithASmallerBatch() {
        #expect(split.train.count == 200)
        #expect(split.train.count % 32 == 8)
    }

    /// 8 micro-shards of 4 rows, and 3 uneven ones (11, 11 and 10 rows; 3, 3 and 2 in the last
    /// batch), so that every worker count splits every batch.
    @Test(arguments: [8, 3])
    func finalParametersAreBitwiseIdenticalForAnyWorkerCountWithAdam(microShards: Int) {
        // Three epochs of 7 batches (6 of 32 and one of 8): 21 Adam steps.
        func options(workers: Int) -> TrainingOptions {
            TrainingOptions(epochs: 3, batchSize: 32, workers: workers, microShards: microShards, seed: 3)
        }
        let (reference, summary) = train(options(workers: 1))
        #expect(summary.steps == 21)
        #expect(!bitwiseEqual(values(reference), model.initialParameters()), "training moved the parameters")
        let untrained = Trainer(model: model, data: split, optimizer: Adam(), options: options(workers: 1))
        #expect(reference.parameterDigest != untrained.parameterDigest)
        #expect(reference.parameterDigest.count == 16)
        #expect(reference.parameterDigest.allSatisfy { $0.isHexDigit })
        for workers in [2, 3, 4, 8] {
            let (trainer, run) = train(options(workers: workers))
            #expect(bitwiseEqual(values(trainer), values(reference)), "\(workers) workers differ from 1")
            #expect(trainer.parameterDigest == reference.parameterDigest, "\(workers) workers")
            #expect(run.finalLoss.bitPattern == summary.finalLoss.bitPattern, "\(workers) workers")
        }
    }

    @Test(arguments: ["adam, clipped", "adam, 3 batches a step", "sgd with momentum, clipped, 2 batches a step"])
    func reducingIntoWholeGradientsIsBitwiseIdenticalForAnyWorkerCount(setting: String) {
        // Clipping by global norm and gradient accumulation take the path that reduces into whole
        // gradients and then applies them; it too must not depend on the worker count. A limit
        // of 0.5 clips most steps here.
        let accumulation = setting.contains("3 batches") ? 3 : setting.contains("2 batches") ? 2 : 1
        func run(workers: Int) -> (Trainer, Trainer.Summary) {
            let clipping: GradientClipping = setting.contains("clipped") ? .byGlobalNorm(0.5) : .none
            let optimizer: any Optimizer = setting.hasPrefix("sgd")
                ? SGD(learningRate: 0.05, momentum: 0.9, clipping: clipping)
                : Adam(learningRate: 0.01, clipping: clipping)
            return train(
                TrainingOptions(epochs: 2, batchSize: 32, workers: workers, microShards: 4, seed: 3, gradientAccumulation: accumulation),
                optimizer: optimizer)
        }
        let (reference, summary) = run(workers: 1)
        #expect(summary.steps > 0)
        #expect(!bitwiseEqual(values(reference), model.initialParameters()), "training moved the parameters")
        for workers in [2, 3, 4, 8] {
            let (trainer, other) = run(workers: workers)
            #expect(other.steps == summary.steps)
            #expect(bitwiseEqual(values(trainer), values(reference)), "\(workers) workers differ from 1")
            #expect(other.finalLoss.bitPattern == summary.finalLoss.bitPattern, "\(workers) workers")
        }
    }

    @Test func aTrainerUsesTheReducerItIsGiven() {
        // A reducer written here, summing each element over the slots in order with a plain
        // loop, must be the one the trainer calls, once per step, and give the built-in one's bits.
        let options = TrainingOptions(epochs: 2, batchSize: 32, workers: 2, microShards: 4, seed: 3)
        let (builtIn, builtInRun) = train(options)
        let reducer = SerialReducer()
        let trainer = Trainer(model: model, data: split, optimizer: Adam(learningRate: 0.01), options: options, reducer: reducer)
        let run = trainer.run()
        #expect(reducer.calls.withLock { $0 } == run.steps)
        #expect(run.steps == builtInRun.steps)
        #expect(bitwiseEqual(values(trainer), values(builtIn)))
    }

    @Test func aRunWithoutEvaluationTrainsTheSameAndEvaluatesNothing() {
        let options = TrainingOptions(epochs: 2, batchSize: 32, workers: 2, seed: 3)
        let (evaluated, evaluatedRun) = train(options)
        let silent = Trainer(model: model, data: split, optimizer: Adam(learningRate: 0.01), options: options)
        var lines: [String] = []
        let silentRun = silent.run(evaluating: false) { lines.append($0) }
        #expect(evaluatedRun.evaluations.count == 2)
        #expect(silentRun.evaluations.isEmpty && lines.isEmpty)
        #expect(silentRun.steps == evaluatedRun.steps)
        #expect(silent.parameterDigest == evaluated.parameterDigest)
    }

    @Test func theFusedUpdateGivesTheSameBitsAsReducingThenApplying() {
        // Clipping by global norm needs whole gradients, so the trainer reduces into tensors and
        // then applies them; a limit no gradient reaches leaves the arithmetic unchanged.
        let options = TrainingOptions(epochs: 2, batchSize: 32, workers: 2, seed: 3)
        let fusedOptimizer = Adam(learningRate: 0.01)
        let wholeOptimizer = Adam(learningRate: 0.01, clipping: .byGlobalNorm(1e30))
        #expect(fusedOptimizer.canApplyPartitioned && !wholeOptimizer.canApplyPartitioned)
        let (fused, fusedRun) = train(options, optimizer: fusedOptimizer)
        let (whole, wholeRun) = train(options, optimizer: wholeOptimizer)
        #expect(fusedRun.steps == 14 && wholeRun.steps == 14)
        #expect(bitwiseEqual(values(fused), values(whole)))
        #expect(fusedRun.finalLoss.bitPattern == wholeRun.finalLoss.bitPattern)
        let fusedState = fusedOptimizer.stateTensors(for: fused.variables)
        let wholeState = wholeOptimizer.stateTensors(for: whole.variables)
        // Both hold the step count and Adam's two slots for every variable, under the same keys.
        #expect(Set(fusedState.keys) == Set(wholeState.keys))
        #expect(fusedState.count == 1 + 2 * fused.variables.count, "\(fusedState.keys.sorted())")
        #expect(fusedState["iterations"]?.scalar == 14)
        for (key, tensor) in fusedState {
            #expect(tensor.scalars.map(\.bitPattern) == wholeState[key]?.scalars.map(\.bitPattern), "slot \(key)")
        }
    }

    @Test(arguments: [4, 10, 14])
    func aRunResumedFromItsStateEndsBitwiseWhereAnUninterruptedRunEnds(stopAfter steps: Int) throws {
        // Stopping mid-epoch (4, 10) or on an epoch boundary (14), then resuming with another
        // worker count and a fresh optimizer, must give the uninterrupted run's bits.
        let (reference, _) = train(TrainingOptions(epochs: 3, batchSize: 32, workers: 2, seed: 3))
        let (first, _) = train(TrainingOptions(epochs: 3, maxSteps: steps, batchSize: 32, workers: 1, seed: 3))
        let state = first.state
        #expect(state.optimizerStep == steps)
        #expect(state.epoch * 7 + state.stepInEpoch == steps)
        let resumed = Trainer(model: model, data: split, optimizer: Adam(learningRate: 0.01),
                              options: TrainingOptions(epochs: 3, batchSize: 32, workers: 3, seed: 3))
        try resumed.restore(state)
        let summary = resumed.run()
        #expect(summary.steps == 21)
        #expect(bitwiseEqual(values(resumed), values(reference)))
        #expect(resumed.parameterDigest == reference.parameterDigest)
    }

    @Test func aStateFromAnotherSeedIsRefused() throws {
        let (trained, _) = train(TrainingOptions(epochs: 1, batchSize: 32, seed: 3))
        let other = Trainer(model: model, data: split, optimizer: Adam(), options: TrainingOptions(epochs: 1, batchSize: 32, seed: 4))
        #expect(throws: TrainingStateError.self) { try other.restore(trained.state) }
    }

    @Test func aDifferentSeedGivesADifferentDigest() {
        let (a, _) = train(TrainingOptions(epochs: 1, batchSize: 32, workers: 2, seed: 3))
        let (b, _) = train(TrainingOptions(epochs: 1, batchSize: 32, workers: 2, seed: 4))
        #expect(a.parameterDigest != b.parameterDigest)
    }

    @Test func nonDeterministicModeCutsOneMicroShardPerWorkerAndStillTrains() throws {
        let options = TrainingOptions(epochs: 6, batchSize: 32, workers: 3, seed: 3, deterministic: false)
        #expect(options.engineConfiguration.microShardCount == 3)
        let (trainer, summary) = train(options)
        let untrained = Trainer(model: model, data: split, optimizer: Adam(), options: options).evaluate(epoch: 0)
        let last = try #require(summary.evaluations.last)
        #expect(last.trainLoss < 0.5 * untrained.trainLoss, "loss \(untrained.trainLoss) -> \(last.trainLoss)")
        // One micro-shard per worker is the deterministic run with that many micro-shards.
        let (deterministic, _) = train(TrainingOptions(epochs: 6, batchSize: 32, workers: 1, microShards: 3, seed: 3))
        #expect(bitwiseEqual(values(trainer), values(deterministic)))
    }

    @Test func twoAccumulatedBatchesOf16TakeTheSameStepAsOneBatchOf32() throws {
        let accumulated = try firstSGDUpdate(TrainingOptions(epochs: 1, maxSteps: 1, batchSize: 16, workers: 2, microShards: 4, seed: 3, gradientAccumulation: 2))
        let single = try firstSGDUpdate(TrainingOptions(epochs: 1, maxSteps: 1, batchSize: 32, workers: 2, microShards: 4, seed: 3))
        #expect(accumulated.steps == 1 && single.steps == 1)
        // The step's mean loss covers the same 32 examples either way.
        #expect(abs(accumulated.loss - single.loss) <= 1e-5 * abs(single.loss))
        for (a, b) in zip(accumulated.update, single.update) {
            let scale = b.abs().max().scalar
            #expect(scale > 0)
            // Each element within 1e-5 of the largest update of its parameter.
            #expect((a - b).abs().max().scalar <= 1e-5 * scale, "updates differ: \(a.shape)")
        }
    }

    /// The change one SGD step (learning rate 1) made to every parameter, that is −gradient.
    private func firstSGDUpdate(_ options: TrainingOptions) throws -> (update: [Tensor], loss: Float, steps: Int) {
        let trainer = Trainer(model: model, data: split, optimizer: SGD(learningRate: 1), options: options)
        let before = values(trainer)
        let summary = trainer.run()
        return (zip(values(trainer), before).map { $0 - $1 }, summary.finalLoss, summary.steps)
    }

    @Test func anEpochEndingInTheMiddleOfAnAccumulationStillTakesAStep() {
        // 200 examples in batches of 16: 13 batches a epoch, so 7 steps of two batches with a last
        // step of one batch (of 8 examples).
        let options = TrainingOptions(epochs: 2, batchSize: 16, workers: 2, seed: 3, gradientAccumulation: 2)
        #expect(options.stepsPerEpoch(examples: 200) == 7)
        let (_, summary) = train(options)
        #expect(summary.steps == 14)
        #expect(summary.finalLoss.isFinite)
    }

    @Test func maxStepsStopsTheRunEarly() {
        let options = TrainingOptions(epochs: 5, maxSteps: 10, batchSize: 32, workers: 2, seed: 3)
        let (trainer, summary) = train(options)
        #expect(summary.steps == 10)
        #expect(trainer.globalStep == 10)
        // 7 steps an epoch: the tenth falls in the second epoch, which is the last evaluated.
        #expect(summary.epochs == 2)
        #expect(summary.evaluations.map(\.epoch) == [1, 2])
        // The same ten steps as an unstopped run's first ten.
        let (reference, _) = train(TrainingOptions(epochs: 5, maxSteps: 10, batchSize: 32, workers: 1, seed: 3))
        #expect(trainer.parameterDigest == reference.parameterDigest)
    }

    @Test func maxStepsOnAnEpochBoundaryDoesNotStartAnotherEpoch() {
        let (_, summary) = train(TrainingOptions(epochs: 5, maxSteps: 14, batchSize: 32, workers: 2, seed: 3, evaluateEvery: 4))
        #expect(summary.steps == 14)
        #expect(summary.epochs == 2)
        #expect(summary.evaluations.map(\.epoch) == [2])
    }

    @Test func evaluationsComeEveryEvaluateEveryEpochsAndAfterTheLast() {
        let (_, summary) = train(TrainingOptions(epochs: 7, batchSize: 64, workers: 2, seed: 3, evaluateEvery: 3))
        #expect(summary.evaluations.map(\.epoch) == [3, 6, 7])
        #expect(summary.epochs == 7)
        for evaluation in summary.evaluations {
            #expect(evaluation.trainAccuracy != nil)
            #expect(evaluation.testLoss != nil && evaluation.testAccuracy != nil, "the split has a test part")
        }
        let (_, everyEpoch) = train(TrainingOptions(epochs: 3, batchSize: 64, workers: 1, seed: 3))
        #expect(everyEpoch.evaluations.map(\.epoch) == [1, 2, 3])
    }

    @Test func theLogHasOneLinePerEvaluation() {
        let trainer = Trainer(model: model, data: split, optimizer: Adam(), options: TrainingOptions(epochs: 4, batchSize: 64, seed: 3, evaluateEvery: 2))
        var lines: [String] = []
        _ = trainer.run { lines.append($0) }
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("epoch 2/4: loss ") == true)
        #expect(lines.last?.contains("test accuracy") == true)
    }

    @Test func theLossFallsOnAnEasyProblem() throws {
        let untrained = Trainer(model: model, data: split, optimizer: Adam(), options: TrainingOptions()).evaluate(epoch: 0)
        let (_, summary) = train(TrainingOptions(epochs: 15, batchSize: 32, workers: 2, seed: 3))
        let losses = summary.evaluations.map(\.trainLoss)
        #expect(losses.count == 15)
        let last = try #require(summary.evaluations.last)
        #expect(last.trainLoss < 0.25 * untrained.trainLoss, "loss \(untrained.trainLoss) -> \(last.trainLoss)")
        #expect(losses.last! < losses.first!)
        #expect(try #require(last.trainAccuracy) > 0.9)
        #expect(summary.samplesPerSecond > 0)
        #expect(summary.reduceSeconds <= summary.trainingSeconds)
        #expect(summary.computeSeconds <= summary.trainingSeconds)
    }

    @Test func stepCountsFollowTheBatchSizeAndAccumulation() {
        #expect(TrainingOptions(batchSize: 32).stepsPerEpoch(examples: 200) == 7)
        #expect(TrainingOptions(batchSize: 32, gradientAccumulation: 3).stepsPerEpoch(examples: 200) == 3)
        #expect(TrainingOptions(epochs: 4, batchSize: 32).totalSteps(examples: 200) == 28)
        #expect(TrainingOptions(epochs: 4, maxSteps: 5, batchSize: 32).totalSteps(examples: 200) == 5)
        #expect(TrainingOptions(epochs: 1, maxSteps: 50, batchSize: 32).totalSteps(examples: 200) == 7)
        #expect(TrainingOptions(batchSize: 32, gradientAccumulation: 4).effectiveBatchSize == 128)
    }

    @Test func optionsThatCannotRunStopNamingTheOption() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Trainer(model: model, data: split, optimizer: SGD(), options: TrainingOptions(batchSize: 0))
        }.map { result in
            let message = standardError(of: result)
            #expect(message.contains("Trainer: options.batchSize must be at least 1, got 0"), "\(message)")
        }
    }

    /// An optimizer that has stepped would start this run at its step count: Adam's bias
    /// corrections and any schedule would be off, and the state would not restore.
    @Test func anOptimizerThatHasAlreadySteppedStops() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let optimizer = Adam()
            _ = Trainer(model: model, data: split, optimizer: optimizer, options: TrainingOptions(epochs: 1))
            let first = Trainer(model: model, data: split, optimizer: optimizer, options: TrainingOptions(epochs: 1))
            _ = first.run()
            _ = Trainer(model: model, data: split, optimizer: optimizer, options: TrainingOptions(epochs: 1))
        }.map { result in
            let message = standardError(of: result)
            #expect(message.contains("Trainer: the optimizer has already taken"), "\(message)")
            #expect(message.contains("give each trainer a fresh optimizer"), "\(message)")
        }
    }

    @Test func aWorkerCountNoMachineHasStopsNamingTheOption() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Trainer(model: model, data: split, optimizer: SGD(), options: TrainingOptions(workers: Int.max))
        }.map { result in
            let message = standardError(of: result)
            #expect(message.contains("Trainer: options.workers must be in 1...256, got 9223372036854775807"), "\(message)")
        }
    }

    @Test func noWorkersStopsNamingTheOption() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Trainer(model: model, data: split, optimizer: SGD(), options: TrainingOptions(workers: 0))
        }.map { result in
            let message = standardError(of: result)
            #expect(message.contains("Trainer: options.workers must be in 1...256, got 0"), "\(message)")
        }
    }

    @Test func noMicroShardsStopNamingTheOption() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Trainer(model: model, data: split, optimizer: SGD(), options: TrainingOptions(microShards: 0))
        }.map { result in
            let message = standardError(of: result)
            #expect(message.contains("Trainer: options.microShards must be in 1...4096, got 0"), "\(message)")
        }
    }

    @Test func noKernelThreadsStopNamingTheOption() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Trainer(model: model, data: split, optimizer: SGD(), options: TrainingOptions(kernelThreads: 0))
        }.map { result in
            let message = standardError(of: result)
            #expect(message.contains("Trainer: options.kernelThreads must be in 1...256, got 0"), "\(message)")
        }
    }

    @Test func aNegativeStepLimitStopsNamingTheOption() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Trainer(model: model, data: split, optimizer: SGD(), options: TrainingOptions(maxSteps: -1))
        }.map { result in
            let message = standardError(of: result)
            #expect(message.contains("Trainer: options.maxSteps must not be negative, got -1"), "\(message)")
        }
    }

    @Test func anEmptyTrainingSplitStopsSayingSo() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let data = Dataset.synthetic(examples: 10, features: 32, classes: 4, seed: 5).split(trainFraction: 0)
            _ = Trainer(model: model, data: data, optimizer: SGD(), options: TrainingOptions(batchSize: 4))
        }.map { result in
            let message = standardError(of: result)
            #expect(message.contains("Trainer: the training split has no examples (the test split has 10)"), "\(message)")
        }
    }

    @Test func aBatchLargerThanTheDataIsTheWholeSplit() {
        let (whole, wholeSummary) = train(TrainingOptions(epochs: 2, batchSize: 200, workers: 2, seed: 3))
        let (larger, largerSummary) = train(TrainingOptions(epochs: 2, batchSize: Int.max, workers: 2, seed: 3))
        #expect(wholeSummary.steps == 2 && largerSummary.steps == 2)
        #expect(whole.parameterDigest == larger.parameterDigest)
    }
}

/// A reducer for ``TrainerTests/aTrainerUsesTheReducerItIsGiven()``: one thread, one chunk per
/// parameter, each element summed over the active slots in order, then divided.
private final class SerialReducer: GradientReducer {
    let calls = Mutex(0)

    func allReduce(_ slots: GradientSlots, activeSlots: [Int], divisor: Float, consume: @escaping @Sendable (ReducedChunk) -> Void) {
        calls.withLock { $0 += 1 }
        slots.withGradients(ofSlots: activeSlots) { gradients in
            for parameter in 0..<slots.layout.counts.count {
                let count = slots.layout.counts[parameter]
                var sums = [Float](repeating: 0, count: count)
                for element in 0..<count {
                    var sum = gradients.gradient(slot: 0, parameter: parameter)[element]
                    for slot in 1..<gradients.slotCount { sum += gradients.gradient(slot: slot, parameter: parameter)[element] }
                    sums[element] = sum / divisor
                }
                sums.withUnsafeBufferPointer { values in
                    consume(ReducedChunk(parameter: parameter, elements: 0..<count, values: values))
                }
            }
        }
    }
}
