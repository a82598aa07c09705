import DataParallel
import Autograd
import Datasets
import Foundation
import Models
import Optimizers

/// Trains a model with the data-parallel engine: each global batch is split across worker
/// threads, each with its own tape; their gradients are all-reduced in a fixed order and one
/// shared optimizer applies them.
///
/// When it can, the trainer fuses the update into the all-reduce: each thread of the reduction
/// hands the chunk it has just summed to the optimizer (``Optimizer/applyPartitioned(to:_:)``),
/// so the whole gradient is never written out. Gradient accumulation, and clipping by norm or by
/// global norm, need whole gradients; with them it reduces into tensors and calls
/// ``Optimizer/apply(_:to:)``. Both give the same bits.
///
/// The trainer owns the parameters (as ``Variable``s) and the optimizer; workers only ever see the
/// parameters' values. With ``TrainingOptions/deterministic`` on, the final parameters are bitwise
/// the same for any number of workers.
///
/// ```swift
/// let split = try Dataset.digits(path: "datasets/digits.csv").split(trainFraction: 0.8, shuffledWithSeed: 1).standardized().split
/// let model = MLP(layerSizes: [64, 128, 10], weightInitializer: .heNormal, seed: 1)
/// let trainer = Trainer(model: model, data: split, optimizer: Adam(), options: TrainingOptions(epochs: 20, batchSize: 64, workers: 2))
/// let summary = trainer.run { print($0) }
/// ```
public final class Trainer {
    public let model: any Model
    public let variables: [Variable]
    public let optimizer: any Optimizer
    public let data: DatasetSplit
    public let options: TrainingOptions
    public let engine: DataParallelEngine

    /// Optimizer steps taken so far. With gradient accumulation a step spans several batches;
    /// the engine's ``DataParallelEngine/step`` (``TrainingState/globalStep``) counts batches.
    public private(set) var globalStep = 0
    /// The epoch in progress (0-based).
    public private(set) var epoch = 0
    /// Batches of the current epoch already trained on.
    public private(set) var batchInEpoch = 0

    /// Makes a trainer with fresh variables from `model`'s initialisers.
    ///
    /// The trainer sets `optimizer.threads` to the number of cores for the updates it applies
    /// whole, which run while the workers wait, so every core is free then.
    ///
    /// - Parameters:
    ///   - model: the model, whose initialisers make the variables.
    ///   - data: the training and test splits.
    ///   - optimizer: the one optimizer that applies every step's gradient.
    ///   - options: epochs, batch, workers, seed and the rest.
    ///   - reducer: the all-reduce that sums the workers' micro-shard gradients; `nil` (the
    ///     default) for the engine's in-process one. Another implementation (across processes,
    ///     say) must keep ``GradientReducer``'s fixed summation order for results to stay the same.
    /// - Precondition: `options` asks for at least one epoch, example per batch, batch per
    ///   step, worker and epoch between evaluations (a config is checked before it gets here).
    public init(model: any Model, data: DatasetSplit, optimizer: any Optimizer, options: TrainingOptions, reducer: (any GradientReducer)? = nil) {
        for (name, value) in [
            ("epochs", options.epochs), ("batchSize", options.batchSize), ("gradientAccumulation", options.gradientAccumulation),
            ("workers", options.workers), ("evaluateEvery", options.evaluateEvery),
        ] {
            usagePrecondition(value >= 1, "Trainer: options.\(name) must be at least 1, got \(value)")
        }
        self.model = model
        self.variables = model.makeVariables()
        self.optimizer = optimizer
        // The optimizer runs while the workers wait, so its update may use every core.
        optimizer.threads = Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)
        self.data = data
        self.options = options
        self.engine = DataParallelEngine(parameterShapes: model.parameterShapes, configuration: options.engineConfiguration, reducer: reducer)
    }

    /// One evaluation of the model on the training and test splits.
    public struct Evaluation: Sendable {
        public var epoch: Int
        public var trainLoss: Float
        public var trainAccuracy: Float?
        public var testLoss: Float?
        public var testAccuracy: Float?
    }

    /// What a run did.
    public struct Summary: Sendable {
        public var steps: Int
        public var epochs: Int
        /// The mean loss of the last optimizer step's examples.
        public var finalLoss: Float
        public var evaluations: [Evaluation]
        /// Seconds of training, evaluations excluded.
        public var trainingSeconds: Double
        /// Seconds the workers spent in forward and backward passes, part of `trainingSeconds`.
        public var computeSeconds: Double
        /// Seconds spent in the all-reduce, with the optimizer update when the trainer fuses it
        /// in; part of `trainingSeconds`.
        public var reduceSeconds: Double
        /// Examples processed per second of training.
        public var samplesPerSecond: Double
    }

    /// Runs the whole schedule, logging one line per evaluation.
    ///
    /// - Parameter evaluating: `false` trains only, with no evaluation (not even after the last
    ///   epoch): a benchmark's runs, whose evaluations on every core would disturb others
    ///   training at the same time. The summary then has no evaluations.
    public func run(evaluating: Bool = true, log: (String) -> Void = { _ in }) -> Summary {
        let trainCount = data.train.count
        let totalSteps = options.totalSteps(examples: trainCount)
        var evaluations: [Evaluation] = []
        var finalLoss: Float = .nan
        var trainingSeconds = 0.0, reduceSeconds = 0.0, computeSeconds = 0.0
        var examples = 0
        var accumulated: [Tensor]? = nil
        var accumulatedLoss: Float = 0
        var accumulatedExamples = 0
        var batchesInStep = 0
        // Without accumulation the optimizer can take the gradient chunk by chunk from the
        // all-reduce; accumulating needs whole gradients, as does clipping by norm.
        let fusesUpdate = options.gradientAccumulation == 1 && optimizer.canApplyPartitioned

        epochs: for epochIndex in epoch..<options.epochs {
            epoch = epochIndex
            let batches = data.train.batches(size: options.batchSize, shuffleSeed: options.seed, epoch: epochIndex)
            let epochStart = ContinuousClock.now
            for position in batchInEpoch..<batches.count {
                let start = ContinuousClock.now
                let rows = Array(batches.indices(ofBatch: position))
                let batch = engine.computeMicroShardGradients(
                    model: model, parameters: variables.map(\.value),
                    features: RowSelection(source: data.train.features, rows: rows), targets: targets(of: data.train, rows: rows))
                examples += batch.exampleCount
                let lastOfEpoch = position == batches.count - 1
                if fusesUpdate {
                    // Each thread of the all-reduce updates the elements it has just summed.
                    optimizer.applyPartitioned(to: variables) { step in
                        engine.allReduce { chunk in
                            step.update(variable: chunk.parameter, elements: chunk.elements, gradient: chunk.values.baseAddress!)
                        }
                    }
                    finalLoss = batch.loss
                    globalStep += 1
                } else {
                    let gradients = engine.allReducedGradients()
                    // Accumulate sums (gradient × examples) so the step equals one big batch's mean.
                    let weight = Float(batch.exampleCount)
                    if let sums = accumulated {
                        accumulated = zip(sums, gradients).map { $0 + $1 * weight }
                    } else {
                        accumulated = options.gradientAccumulation == 1 ? gradients : gradients.map { $0 * weight }
                    }
                    accumulatedLoss += batch.loss * weight
                    accumulatedExamples += batch.exampleCount
                    batchesInStep += 1
                    if batchesInStep == options.gradientAccumulation || lastOfEpoch {
                        var gradients = accumulated!
                        if options.gradientAccumulation > 1 {
                            let scale = 1 / Float(accumulatedExamples)
                            gradients = gradients.map { $0 * scale }
                        }
                        optimizer.apply(gradients, to: variables)
                        finalLoss = accumulatedLoss / Float(accumulatedExamples)
                        globalStep += 1
                        (accumulated, accumulatedLoss, accumulatedExamples, batchesInStep) = (nil, 0, 0, 0)
                    }
                }
                reduceSeconds += engine.lastTiming.reduceSeconds
                computeSeconds += engine.lastTiming.computeSeconds
                trainingSeconds += (ContinuousClock.now - start) / .seconds(1)
                batchInEpoch = position + 1
                if globalStep >= totalSteps { break }
            }
            let finishedEpoch = batchInEpoch == batches.count
            if finishedEpoch {
                epoch = epochIndex + 1
                batchInEpoch = 0
            }
            let epochSeconds = (ContinuousClock.now - epochStart) / .seconds(1)
            let isLast = epochIndex == options.epochs - 1 || globalStep >= totalSteps
            if evaluating && ((finishedEpoch && (epochIndex + 1) % options.evaluateEvery == 0) || isLast) {
                let evaluation = evaluate(epoch: epochIndex + 1)
                evaluations.append(evaluation)
                var line = "epoch \(epochIndex + 1)/\(options.epochs): loss \(format(finalLoss))"
                line += ", train loss \(format(evaluation.trainLoss))"
                if let accuracy = evaluation.trainAccuracy { line += ", train accuracy \(format(accuracy))" }
                if let loss = evaluation.testLoss { line += ", test loss \(format(loss))" }
                if let accuracy = evaluation.testAccuracy { line += ", test accuracy \(format(accuracy))" }
                line += epochSeconds < 1 ? String(format: " (%.1f ms)", epochSeconds * 1000) : String(format: " (%.2f s)", epochSeconds)
                log(line)
            }
            if globalStep >= totalSteps { break epochs }
        }
        return Summary(
            steps: globalStep, epochs: epoch + (batchInEpoch > 0 ? 1 : 0), finalLoss: finalLoss, evaluations: evaluations,
            trainingSeconds: trainingSeconds, computeSeconds: computeSeconds, reduceSeconds: reduceSeconds,
            samplesPerSecond: trainingSeconds > 0 ? Double(examples) / trainingSeconds : 0)
    }

    /// Loss and accuracy of the current parameters on both splits (no tape, all cores).
    public func evaluate(epoch: Int) -> Evaluation {
        let threads = Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)
        let parameters = variables.map(\.value)
        func measure(_ dataset: Dataset) -> (Float, Float?) {
            let output = model(dataset.features, parameters: parameters, kernelThreads: threads)
            let targets = targets(of: dataset)
            return (model.loss(output, targets: targets).scalar, model.lossKind.accuracy(output, targets: targets))
        }
        let (trainLoss, trainAccuracy) = measure(data.train)
        var evaluation = Evaluation(epoch: epoch, trainLoss: trainLoss, trainAccuracy: trainAccuracy)
        if data.test.count > 0 {
            (evaluation.testLoss, evaluation.testAccuracy) = measure(data.test)
        }
        return evaluation
    }

    /// The targets of a dataset's rows (all of them when `rows` is nil) in the form the model's
    /// loss takes.
    private func targets(of dataset: Dataset, rows: [Int]? = nil) -> Targets {
        if model.lossKind == .softmaxCrossEntropy, let labels = dataset.classLabels {
            return .classes(rows.map { $0.map { labels[$0] } } ?? labels)
        }
        return .values(rows.map { rows in withoutRecording { dataset.targets.gathering(rows: rows) } } ?? dataset.targets)
    }

    private func format(_ value: Float) -> String { String(format: "%.4f", value) }
}

extension Trainer {
    /// The whole state of the run in one value, taken between optimizer steps: parameters,
    /// optimizer state, the seed (from which every shuffle and random stream derives) and the
    /// position in the data. ``restore(_:)`` continues from it exactly, with any worker count.
    public var state: TrainingState {
        var state = TrainingState(parameterNames: model.parameterNames, parameters: variables.map(\.value), seed: options.seed)
        state.optimizerState = optimizer.stateTensors(for: variables)
        state.optimizerStep = optimizer.iterations
        state.epoch = epoch
        state.stepInEpoch = batchInEpoch
        state.globalStep = engine.step
        return state
    }

    /// Continues from `state`: the next ``run(log:)`` picks up at its position and, with the same
    /// options (the worker count aside), ends bitwise where an uninterrupted run would.
    ///
    /// - Throws: `TrainingStateError` when the state does not belong to this model, seed or
    ///   optimizer.
    public func restore(_ state: TrainingState) throws {
        guard state.parameterNames == model.parameterNames, state.parameters.map(\.shape) == model.parameterShapes else {
            throw TrainingStateError("the state holds parameters \(zip(state.parameterNames, state.parameters.map(\.shape)).map { "\($0) \($1)" }) but the model has \(zip(model.parameterNames, model.parameterShapes).map { "\($0) \($1)" })")
        }
        guard state.seed == options.seed else {
            throw TrainingStateError("the state was trained with seed \(state.seed) but the options say \(options.seed); the data order would differ")
        }
        do {
            try optimizer.restoreState(state.optimizerState, for: variables)
        } catch {
            throw TrainingStateError("the optimizer state does not fit \(optimizer.name): \(error)")
        }
        for (variable, value) in zip(variables, state.parameters) { variable.assign(value) }
        engine.step = state.globalStep
        globalStep = state.optimizerStep
        epoch = state.epoch
        batchInEpoch = state.stepInEpoch
    }

    /// A 64-bit FNV-1a digest of every parameter's bits, in order: equal digests mean bitwise
    /// equal models (up to a hash collision), which makes determinism easy to check by eye.
    public var parameterDigest: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for variable in variables {
            variable.value.withUnsafeBufferPointer { buffer in
                for value in buffer {
                    var bits = value.bitPattern
                    for _ in 0..<4 {
                        hash ^= UInt64(bits & 0xFF)
                        hash &*= 0x0000_0100_0000_01B3
                        bits >>= 8
                    }
                }
            }
        }
        return String(hash, radix: 16, uppercase: false).leftPadded(to: 16)
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}

/// A training state that cannot be restored into a trainer.
public struct TrainingStateError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
