import _TestSupport
import Testing
import Autograd
import Models
import DataParallel
import Training

/// 100 examples in batches of 32: three full batches and a last one of 4, so every epoch ends
/// with a smaller batch whose micro-shards are uneven.
private let data = syntheticClassification(examples: 100, features: 12, classes: 3, seed: 21)
private let model = MLP(layerSizes: [12, 24, 16, 3], hiddenActivation: .relu, seed: 9)

private func train(workers: Int, optimizer: MiniTrainer<MLP>.Optimizer, steps: Int, microShards: Int = 8) -> TrainingState {
    let trainer = MiniTrainer(
        model: model, features: data.0, labels: data.1, batchSize: 32, optimizer: optimizer,
        configuration: DataParallelConfiguration(workers: workers, microShardCount: microShards, kernelThreads: 1, seed: 77))
    return trainer.train(from: trainer.initialState(seed: 77), steps: steps)
}

@Test(arguments: [MiniTrainer<MLP>.Optimizer.sgd(learningRate: 0.1), .adam(learningRate: 0.01)])
func finalParametersAreBitwiseIdenticalForOneTwoThreeFourAndEightWorkers(optimizer: MiniTrainer<MLP>.Optimizer) {
    // 10 steps: two full epochs plus two batches, crossing two smaller last batches.
    let reference = train(workers: 1, optimizer: optimizer, steps: 10)
    #expect(reference.epoch == 2 && reference.stepInEpoch == 2)
    #expect(!bitwiseEqual(reference.parameters, model.initialParameters()), "training moved the parameters")
    for workers in [2, 3, 4, 8] {
        let state = train(workers: workers, optimizer: optimizer, steps: 10)
        #expect(bitwiseEqual(state.parameters, reference.parameters), "\(workers) workers differ from 1")
        #expect(state.optimizerState.keys.sorted() == reference.optimizerState.keys.sorted())
        for (key, value) in reference.optimizerState {
            #expect(state.optimizerState[key].map { bitwiseEqual([$0], [value]) } ?? false, "\(workers) workers: optimizer slot \(key)")
        }
    }
}

@Test func trainingLowersTheLoss() {
    let trained = train(workers: 2, optimizer: .adam(learningRate: 0.01), steps: 40)
    let before = model.loss(model(data.0, parameters: model.initialParameters()), targets: .classes(data.1)).scalar
    let after = model.loss(model(data.0, parameters: trained.parameters), targets: .classes(data.1)).scalar
    #expect(after < 0.5 * before)
}

@Test func theMicroShardCountIsPartOfTheResultButTheWorkerCountIsNot() {
    // Different micro-shard counts sum in a different order: close, though not necessarily equal.
    let eight = train(workers: 2, optimizer: .sgd(learningRate: 0.1), steps: 4, microShards: 8)
    let three = train(workers: 2, optimizer: .sgd(learningRate: 0.1), steps: 4, microShards: 3)
    for (a, b) in zip(eight.parameters, three.parameters) { assertClose(a, b, rtol: 1e-3, atol: 1e-5) }
}

@Test func resumingFromASavedStateContinuesTheSameRun() {
    let noisyLoss: ShardLoss<Tensor, [Int]> = { x, labels, parameters, context in
        let noisy = x + 0.1 * Tensor.randomNormal(shape: x.shape, using: &context.random)
        return LossKind.softmaxCrossEntropy.summedLoss(model(noisy, parameters: parameters, kernels: context.kernels), targets: .classes(labels))
    }
    let make = { (workers: Int) in
        MiniTrainer(model: model, features: data.0, labels: data.1, batchSize: 32, optimizer: .adam(learningRate: 0.01),
                    configuration: DataParallelConfiguration(workers: workers, microShardCount: 8, kernelThreads: 1, seed: 3))
    }
    let straight = make(1).train(from: make(1).initialState(seed: 3), steps: 6, loss: noisyLoss)
    // Stop after 5 steps (mid-epoch), then resume with a new engine and a different worker count.
    let saved = make(4).train(from: make(4).initialState(seed: 3), steps: 5, loss: noisyLoss)
    #expect(saved.epoch == 1 && saved.stepInEpoch == 1 && saved.globalStep == 5)
    let resumed = make(2).train(from: saved, steps: 1, loss: noisyLoss)
    #expect(bitwiseEqual(resumed.parameters, straight.parameters))
    #expect(resumed == straight)
}
