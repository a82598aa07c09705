import Foundation
import _TestSupport
import Testing
import Autograd
import Models
import DataParallel
import Training

/// (batch size, micro-shards, workers): even, uneven, more micro-shards than examples, more
/// workers than micro-shards, a single example.
private let splits = [(64, 8, 4), (37, 8, 3), (3, 8, 2), (20, 3, 8), (1, 4, 4), (50, 1, 1)]

@Test(arguments: splits)
func engineMatchesTheWholeBatchGradientOfAnMLP(batchSize: Int, microShards: Int, workers: Int) {
    let model = MLP(layerSizes: [6, 16, 8, 4], hiddenActivation: .relu, seed: 3)
    let (x, labels) = syntheticClassification(examples: batchSize, features: 6, classes: 4, seed: 10)
    let parameters = model.initialParameters()
    let engine = DataParallelEngine(
        parameterShapes: model.parameterShapes,
        configuration: DataParallelConfiguration(workers: workers, microShardCount: microShards, kernelThreads: 1))
    let result = engine.computeGradients(model: model, parameters: parameters, features: x, targets: .classes(labels))
    let (expected, expectedLoss) = singleTapeGradient(model, parameters: parameters, features: x, targets: .classes(labels))
    #expect(result.exampleCount == batchSize)
    #expect(abs(result.loss - expectedLoss) <= 1e-5 * abs(expectedLoss))
    for (gradient, reference) in zip(result.gradients, expected) {
        assertClose(gradient, reference, rtol: 1e-4, atol: 1e-6)
    }
}

@Test func engineMatchesWholeBatchGradientsOfTheRegressionModels() {
    var random = RandomStream(seed: 4)
    let x = Tensor.randomNormal(shape: [29, 5], using: &random)
    let configuration = DataParallelConfiguration(workers: 3, microShardCount: 4, kernelThreads: 1)

    let logistic = LogisticRegression(featureCount: 5, seed: 1)
    let binary = Targets.values((x.sum(alongAxes: 1) .> 0).asFloats())
    let logisticParameters = [logistic.initialParameters()[0], Tensor([0.3])]
    let logisticResult = DataParallelEngine(parameterShapes: logistic.parameterShapes, configuration: configuration)
        .computeGradients(model: logistic, parameters: logisticParameters, features: x, targets: binary)
    let (logisticExpected, _) = singleTapeGradient(logistic, parameters: logisticParameters, features: x, targets: binary)
    for (g, e) in zip(logisticResult.gradients, logisticExpected) { assertClose(g, e, rtol: 1e-4, atol: 1e-6) }

    let linear = LinearRegression()
    let inputs = x.slice(alongAxis: 1, 0..<1).reshaped(to: [29])
    let y = Targets.values(2 * inputs + 1)
    let linearParameters = [Tensor(0.5), Tensor(-0.25)]
    let linearResult = DataParallelEngine(parameterShapes: linear.parameterShapes, configuration: configuration)
        .computeGradients(model: linear, parameters: linearParameters, features: inputs, targets: y)
    let (linearExpected, _) = singleTapeGradient(linear, parameters: linearParameters, features: inputs, targets: y)
    for (g, e) in zip(linearResult.gradients, linearExpected) { assertClose(g, e, rtol: 1e-4, atol: 1e-6) }
}

@Test func gradientsAreBitwiseIdenticalForAnyWorkerCount() {
    let model = MLP(layerSizes: [10, 32, 5], hiddenActivation: .tanh, seed: 8)
    let (x, labels) = syntheticClassification(examples: 45, features: 10, classes: 5, seed: 2)
    let parameters = model.initialParameters()
    let results = [1, 2, 3, 4, 8].map { workers in
        DataParallelEngine(
            parameterShapes: model.parameterShapes,
            configuration: DataParallelConfiguration(workers: workers, microShardCount: 8, kernelThreads: 1))
        .computeGradients(model: model, parameters: parameters, features: x, targets: .classes(labels))
    }
    for result in results.dropFirst() {
        #expect(bitwiseEqual(result.gradients, results[0].gradients))
        #expect(result.loss.bitPattern == results[0].loss.bitPattern)
    }
}

@Test func aParameterTheLossIgnoresGetsAZeroGradient() {
    let engine = DataParallelEngine(parameterShapes: [[2], [3]], configuration: DataParallelConfiguration(workers: 2, microShardCount: 2, kernelThreads: 1))
    let parameters = [Tensor([1, 2]), Tensor([5, 5, 5])]
    let result = engine.computeGradients(parameters: parameters, features: Tensor([[1, 1], [2, 0], [0, 3]]), labels: [0, 0, 0]) { x, _, p, _ in
        Tensor.matmul(x, p[0].reshaped(to: [2, 1])).sum()
    }
    // d/dp0 of mean over rows of x·p0 is the column mean of x.
    assertClose(result.gradients[0], Tensor([1, 4.0 / 3]))
    #expect(result.gradients[1] == Tensor.zeros(shape: [3]))
}

@Test func everyExampleIsComputedExactlyOnce() {
    let engine = DataParallelEngine(parameterShapes: [[1]], configuration: DataParallelConfiguration(workers: 3, microShardCount: 5, kernelThreads: 1))
    // The loss's gradient with respect to p is the sum of the shard's example indices, so the
    // batch gradient is the mean index: any dropped or repeated row would change it.
    let batch = 23
    let indices = Tensor(shape: [batch, 1], scalars: (0..<batch).map(Float.init))
    let result = engine.computeGradients(parameters: [Tensor([0])], features: indices, labels: Array(0..<batch)) { x, labels, p, context in
        precondition(labels.first == context.rows.lowerBound)
        return (x * p[0]).sum()
    }
    #expect(result.gradients[0] == Tensor([Float(batch - 1) / 2]))
    let statistics = engine.workerStatisticsSnapshot
    #expect(statistics.map(\.examples).reduce(0, +) == batch)
    #expect(statistics.map(\.microShards).reduce(0, +) == 5)
    #expect(engine.step == 1)
}

@Test func workersRecordTheTimeTheySpendComputing() {
    // Worker 1's micro-shards sleep 20 ms each; worker 0's return at once. Each worker's busy
    // time is its own, and the compute phase lasts as long as the slower one.
    let engine = DataParallelEngine(parameterShapes: [[1]], configuration: DataParallelConfiguration(workers: 2, microShardCount: 4, kernelThreads: 1))
    let x = Tensor(shape: [8, 1], scalars: Array(repeating: 1, count: 8))
    _ = engine.computeGradients(parameters: [Tensor([0])], features: x, labels: Array(0..<8)) { x, _, p, context in
        if context.worker == 1 { usleep(20_000) }
        return (x * p[0]).sum()
    }
    let busy = engine.workerStatisticsSnapshot.map(\.busySeconds)
    #expect(busy[1] >= 0.04, "two 20 ms micro-shards: \(busy)")
    #expect(busy[0] < busy[1], "\(busy)")
    #expect(engine.lastTiming.computeSeconds >= busy[1])
}

@Test func idleWorkersHelpWithBusyWorkersProductsWithoutChangingABit() {
    // Micro-shard 0 runs a chain of 128 x 256 x 256 products; micro-shard 1 almost nothing. With
    // two workers, worker 1 finishes at once and computes panels of worker 0's products, which
    // post on the board because they are given the context's kernels.
    let loss: ShardLoss<Tensor, [Int]> = { x, _, p, context in
        var h = x
        if context.microShard == 0 {
            for _ in 0..<12 { h = Tensor.matmul(h, p[0], kernels: context.kernels) * 0.0625 }
        }
        return (h * h).sum()
    }
    var random = RandomStream(seed: 3)
    let x = Tensor.randomUniform(shape: [256, 256], lower: -1, upper: 1, using: &random)
    let weight = Tensor.randomUniform(shape: [256, 256], lower: -1, upper: 1, using: &random)
    func engine(workers: Int, help: Bool) -> DataParallelEngine {
        DataParallelEngine(
            parameterShapes: [[256, 256]],
            configuration: DataParallelConfiguration(workers: workers, microShardCount: 2, kernelThreads: 1, workersHelp: help))
    }
    func gradients(_ engine: DataParallelEngine) -> [Tensor] {
        engine.computeGradients(parameters: [weight], features: x, labels: Array(0..<256), loss: loss).gradients
    }
    let one = engine(workers: 1, help: true)
    let alone = gradients(one)
    let unhelpedEngine = engine(workers: 2, help: false)
    #expect(bitwiseEqual(alone, gradients(unhelpedEngine)))
    #expect(one.piecesHelped == 0 && unhelpedEngine.piecesHelped == 0, "no one helps one worker, nor workers told not to")
    #expect(one.helpingSeconds == 0 && unhelpedEngine.helpingSeconds == 0)

    // Whether worker 1's thread gets a core while worker 0 still computes is up to the
    // scheduler (other tests run at the same time), so take steps until it has helped.
    let helped = engine(workers: 2, help: true)
    for _ in 0..<50 {
        #expect(bitwiseEqual(alone, gradients(helped)))
        if helped.piecesHelped > 0 { break }
    }
    if ProcessInfo.processInfo.activeProcessorCount >= 2 {
        #expect(helped.piecesHelped > 0, "worker 1 never helped")
        #expect(helped.helpingSeconds > 0)
    }
}

@Test func randomnessIsNamedByMicroShardNotByWorker() {
    // A loss with noise drawn from the context's stream: like dropout, it must not depend on
    // which worker runs the micro-shard.
    let loss: ShardLoss<Tensor, [Int]> = { x, _, p, context in
        let noise = Tensor.randomNormal(shape: x.shape, using: &context.random)
        return ((x + noise) * p[0]).sum()
    }
    let x = Tensor(shape: [17, 3], scalars: (0..<51).map { Float($0) / 10 })
    let gradients = [1, 2, 4].map { workers in
        DataParallelEngine(parameterShapes: [[3]], configuration: DataParallelConfiguration(workers: workers, microShardCount: 4, kernelThreads: 1, seed: 5))
            .computeGradients(parameters: [Tensor([1, 1, 1])], features: x, labels: Array(0..<17), loss: loss).gradients
    }
    #expect(bitwiseEqual(gradients[0], gradients[1]))
    #expect(bitwiseEqual(gradients[0], gradients[2]))
    #expect(gradients[0][0] != x.mean(squeezingAxes: 0), "the noise reached the gradient")
}

@Test func enginesWorkFromInsideARecordingTape() {
    // A caller recording its own tape must not see the workers' operations.
    let engine = DataParallelEngine(parameterShapes: [[2]], configuration: DataParallelConfiguration(workers: 2, microShardCount: 2, kernelThreads: 1))
    let outer = GradientTape()
    let w = Variable(Tensor([1, 1]))
    let result = outer.record {
        engine.computeGradients(parameters: [w.value], features: Tensor([[1, 2], [3, 4]]), labels: [0, 1]) { x, _, p, _ in (x * p[0]).sum() }
    }
    #expect(result.gradients[0] == Tensor([2, 3]))
    #expect(outer.recordedOperationCount == 0)
}

@Test func theTwoHalvesOfAStepGiveTheSameGradientAsOneCall() {
    let model = MLP(layerSizes: [6, 16, 4], hiddenActivation: .relu, seed: 3)
    let (x, labels) = syntheticClassification(examples: 29, features: 6, classes: 4, seed: 10)
    let parameters = model.initialParameters()
    let configuration = DataParallelConfiguration(workers: 3, microShardCount: 5, kernelThreads: 1)
    let whole = DataParallelEngine(parameterShapes: model.parameterShapes, configuration: configuration)
        .computeGradients(model: model, parameters: parameters, features: x, targets: .classes(labels))
    let engine = DataParallelEngine(parameterShapes: model.parameterShapes, configuration: configuration)
    let batch = engine.computeMicroShardGradients(model: model, parameters: parameters, features: x, targets: .classes(labels))
    #expect(batch.loss == whole.loss && batch.exampleCount == 29 && batch.predictions == nil)
    #expect(batch.lossSum / 29 == batch.loss, "the mean is the micro-shards' summed loss over the batch")
    #expect(bitwiseEqual(engine.allReducedGradients(), whole.gradients))
    // The engine is ready for the next batch, and counts both.
    _ = engine.computeMicroShardGradients(model: model, parameters: parameters, features: x, targets: .classes(labels))
    #expect(bitwiseEqual(engine.allReducedGradients(), whole.gradients))
    #expect(engine.step == 2)
}

@Test func reducingWithoutAWaitingBatchStopsWithAMessage() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
        DataParallelEngine(parameterShapes: [[2]]).allReduce { _ in }
    }.map { result in
        let message = standardError(of: result)
        #expect(message.contains("DataParallelEngine.allReduce"))
        #expect(message.contains("computeMicroShardGradients"))
    }
}

@Test func computingASecondBatchBeforeReducingTheFirstStopsWithAMessage() async {
    await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
        let engine = DataParallelEngine(parameterShapes: [[2]])
        for _ in 0..<2 {
            _ = engine.computeMicroShardGradients(parameters: [Tensor([1, 1])], features: Tensor([[1, 2]]), labels: [0]) { x, _, p, _ in (x * p[0]).sum() }
        }
    }.map { result in
        let message = standardError(of: result)
        #expect(message.contains("have not been reduced"))
    }
}
