import _TestSupport
import Datasets
import Testing
import Autograd
import Models
import DataParallel
import Training

/// Whether two lists of tensors are equal bit for bit (NaN payloads and −0 included).
func bitwiseEqual(_ a: [Tensor], _ b: [Tensor]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { x, y in
        x.shape == y.shape && x.scalars.map(\.bitPattern) == y.scalars.map(\.bitPattern)
    }
}

/// A small classification data set: Gaussian blobs around one centre per class.
func syntheticClassification(examples: Int, features: Int, classes: Int, seed: UInt64) -> (Tensor, [Int]) {
    var random = RandomStream(seed: seed)
    let centres = Tensor.randomNormal(shape: [classes, features], standardDeviation: 2, using: &random)
    let labels = (0..<examples).map { _ in Int(random.next() % UInt64(classes)) }
    let noise = Tensor.randomNormal(shape: [examples, features], using: &random)
    return (centres.gathering(rows: labels) + noise, labels)
}

/// The mean gradient and loss of the whole batch from one tape on this thread: the reference
/// the engine must reproduce.
func singleTapeGradient<M: Model>(_ model: M, parameters: [Tensor], features: Tensor, targets: Targets) -> ([Tensor], Float) {
    let tape = GradientTape()
    for parameter in parameters { tape.watch(parameter) }
    let loss = tape.record { model.loss(model(features, parameters: parameters), targets: targets) }
    return (tape.gradient(of: loss, withRespectTo: parameters, unconnected: .zero).map { $0! }, loss.scalar)
}

/// A minimal training loop for the tests: shuffle each epoch, cut into batches (the last one
/// smaller), compute gradients with the engine, update with plain SGD or Adam.
struct MiniTrainer<M: Model> {
    enum Optimizer { case sgd(learningRate: Float), adam(learningRate: Float) }

    let model: M
    let features: Tensor
    let labels: [Int]
    let batchSize: Int
    let optimizer: Optimizer
    let engine: DataParallelEngine

    init(model: M, features: Tensor, labels: [Int], batchSize: Int, optimizer: Optimizer, configuration: DataParallelConfiguration) {
        self.model = model
        self.features = features
        self.labels = labels
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.engine = DataParallelEngine(parameterShapes: model.parameterShapes, configuration: configuration)
    }

    /// A fresh state for the model.
    func initialState(seed: UInt64) -> TrainingState {
        TrainingState(parameterNames: model.parameterNames, parameters: model.initialParameters(), seed: seed)
    }

    /// Runs `steps` batches from `state` (crossing epochs as needed) and returns the new state.
    func train(from start: TrainingState, steps: Int, loss: ShardLoss<Tensor, [Int]>? = nil) -> TrainingState {
        var state = start
        engine.step = state.globalStep
        let examples = labels.count
        let batchesPerEpoch = (examples + batchSize - 1) / batchSize
        var order = epochOrder(state)
        for _ in 0..<steps {
            let first = state.stepInEpoch * batchSize
            let indices = Array(order[first..<min(examples, first + batchSize)])
            let x = features.gathering(rows: indices)
            let y = indices.map { labels[$0] }
            let result: BatchGradient
            if let loss {
                result = engine.computeGradients(parameters: state.parameters, features: x, labels: y, loss: loss)
            } else {
                result = engine.computeGradients(model: model, parameters: state.parameters, features: x, targets: .classes(y))
            }
            apply(result.gradients, to: &state)
            state.globalStep += 1
            state.stepInEpoch += 1
            if state.stepInEpoch == batchesPerEpoch {
                state.epoch += 1
                state.stepInEpoch = 0
                order = epochOrder(state)
            }
        }
        return state
    }

    /// The current epoch's example order, a function of the seed and the epoch alone (so a run
    /// resumed mid-epoch recomputes the same order).
    private func epochOrder(_ state: TrainingState) -> [Int] {
        Datasets.epochOrder(seed: state.seed, epoch: state.epoch, count: labels.count)
    }

    private func apply(_ gradients: [Tensor], to state: inout TrainingState) {
        state.optimizerStep += 1
        switch optimizer {
        case .sgd(let learningRate):
            for index in state.parameters.indices { state.parameters[index] -= learningRate * gradients[index] }
        case .adam(let learningRate):
            let (beta1, beta2, epsilon): (Float, Float, Float) = (0.9, 0.999, 1e-7)
            let t = Float(state.optimizerStep)
            let correction = (1 - pow(beta2, t)).squareRoot() / (1 - pow(beta1, t))
            for (index, name) in state.parameterNames.enumerated() {
                let g = gradients[index]
                let m = beta1 * (state.optimizerState[name + "/m"] ?? Tensor.zeros(like: g)) + (1 - beta1) * g
                let v = beta2 * (state.optimizerState[name + "/v"] ?? Tensor.zeros(like: g)) + (1 - beta2) * g * g
                state.optimizerState[name + "/m"] = m
                state.optimizerState[name + "/v"] = v
                state.parameters[index] -= learningRate * correction * m / (v.sqrt() + epsilon)
            }
        }
    }
}

private func pow(_ x: Float, _ y: Float) -> Float { Float(Foundation.pow(Double(x), Double(y))) }

import Foundation
