import DataParallel
import Autograd
import Datasets
import Foundation
import Models
import Optimizers
import Storage
import Synchronization

/// Trains a model with the data-parallel engine: each global batch is split across worker
/// threads, each with its own tape; their gradients are all-reduced in a fixed order and one
/// shared optimizer applies them.
///
/// When it can, the trainer fuses the update into the all-reduce: each thread of the reduction
/// hands the chunk it has just summed to the optimizer
/// (``/Optimizers/Optimizer/applyPartitioned(to:_:)``), so the whole gradient is never written
/// out. Gradient accumulation, and clipping by norm or by global norm, need whole gradients; with
/// them it reduces into tensors and calls ``/Optimizers/Optimizer/apply(_:to:)``. Both give the
/// same bits.
///
/// The trainer owns the parameters (as ``/Autograd/Variable``s) and the optimizer; workers only
/// ever see the parameters' values. With ``TrainingOptions/deterministic`` on, the final
/// parameters are bitwise the same for any number of workers.
///
/// ```swift
/// let split = try Dataset.digits(path: "datasets/digits.csv").split(trainFraction: 0.8, shuffledWithSeed: 1).standardized().split
/// let model = MLP(layerSizes: [64, 128, 10], weightInitializer: .heNormal, seed: 1)
/// let trainer = Trainer(model: model, data: split, optimizer: Adam(), options: TrainingOptions(epochs: 20, batchSize: 64, workers: 2))
/// let summary = trainer.run { print($0) }
/// ```
public final class Trainer {
    /// The model trained.
    public let model: any Model
    /// The model's parameters, one variable per parameter, in the model's order.
    public let variables: [Variable]
    /// The one optimizer that applies every step's gradient.
    public let optimizer: any Optimizer
    /// The training and test splits.
    public let data: DatasetSplit
    /// How the run goes: epochs, batch, workers, seed and the rest.
    public let options: TrainingOptions
    /// The data-parallel engine that computes each batch's gradient.
    public let engine: DataParallelEngine

    /// Optimizer steps taken so far. With gradient accumulation a step spans several batches;
    /// the engine's ``/DataParallel/DataParallelEngine/step`` (``TrainingState/globalStep``)
    /// counts batches.
    public private(set) var globalStep = 0
    /// The epoch in progress (0-based).
    public private(set) var epoch = 0
    /// Batches of the current epoch already trained on.
    public private(set) var batchInEpoch = 0
    /// Early stopping's best value of its metric so far.
    public private(set) var bestMetric: Float?
    /// The epoch of early stopping's best evaluation so far (the evaluation's ``Evaluation/epoch``).
    public private(set) var bestEpoch: Int?
    /// Evaluations since the metric last improved.
    public private(set) var evaluationsWithoutImprovement = 0
    /// The parameters at the best evaluation, kept when early stopping restores them.
    public private(set) var bestParameters: [Tensor]?
    /// The running sums of the current epoch's training batches: the epoch's training loss and
    /// accuracy under ``TrainMetricsSource/trainingBatches``.
    public private(set) var epochFigures = EpochTrainingFigures()
    /// The mean loss of the last optimizer step's examples, once a step has been taken (a
    /// restored state's, until this trainer takes one).
    public private(set) var lastLoss: Float?
    /// Whether ``run(evaluating:measuring:log:onStep:)`` logs a warning, once, when early
    /// stopping watches a metric its evaluations do not measure; true by default. A caller that
    /// has said so already (the command line warns as it reads the config, naming the key)
    /// turns it off.
    public var warnsOfUnmeasuredEarlyStoppingMetric = true

    /// Makes a trainer with fresh variables from `model`'s initialisers.
    ///
    /// The trainer sets `optimizer.threads` to the number of cores for the updates it applies
    /// whole, which run while the workers wait, so every core is free then.
    ///
    /// - Parameters:
    ///   - model: the model, whose initialisers make the variables.
    ///   - data: the training and test splits.
    ///   - optimizer: the one optimizer that applies every step's gradient: a fresh one, that
    ///     has taken no step (``restore(_:)`` brings back a saved optimizer's state).
    ///   - options: epochs, batch, workers, seed and the rest.
    ///   - reducer: the all-reduce that sums the workers' micro-shard gradients; `nil` (the
    ///     default) for the engine's in-process one. Another implementation must keep
    ///     ``/DataParallel/GradientReducer``'s fixed summation order for results to stay the same;
    ///     a ``/DataParallel/DistributedGradientReducer`` (`SwiftGradMPI`'s over MPI) makes each
    ///     process train on its share of every batch.
    /// - Precondition: `data.train` holds at least one example; `options` asks for at least one
    ///   epoch, example per batch, batch per step and epoch between evaluations, no negative
    ///   step limit, and workers, kernel threads and micro-shards within
    ///   ``TrainingOptions/threadCounts`` and ``TrainingOptions/microShardCounts`` (a config is
    ///   checked before it gets here). A batch larger than the training split is the whole split.
    ///   `optimizer.iterations` is 0: an optimizer that has stepped (for another trainer, say)
    ///   would carry its step count into this run's bias corrections and schedule, and into a
    ///   state that no trainer could restore.
    public init(model: any Model, data: DatasetSplit, optimizer: any Optimizer, options: TrainingOptions, reducer: (any GradientReducer)? = nil) {
        for (name, value) in [
            ("epochs", options.epochs), ("batchSize", options.batchSize), ("gradientAccumulation", options.gradientAccumulation),
            ("evaluateEvery", options.evaluateEvery),
        ] {
            countPrecondition(value, "Trainer: options.\(name)")
        }
        for (name, value, range) in [
            ("workers", options.workers, TrainingOptions.threadCounts), ("kernelThreads", options.kernelThreads, TrainingOptions.threadCounts),
            ("microShards", options.microShards, TrainingOptions.microShardCounts),
        ] {
            guard let value else { continue }
            usagePrecondition(range.contains(value), "Trainer: options.\(name) must be in \(range), got \(value)")
        }
        if let maxSteps = options.maxSteps {
            usagePrecondition(maxSteps >= 0, "Trainer: options.maxSteps must not be negative, got \(maxSteps)")
        }
        usagePrecondition(
            optimizer.iterations == 0,
            "Trainer: the optimizer has already taken \(optimizer.iterations) step\(optimizer.iterations == 1 ? "" : "s") (\(optimizer.name).iterations is \(optimizer.iterations)); give each trainer a fresh optimizer, and restore(_:) a saved state to continue a run")
        usagePrecondition(
            data.train.count >= 1,
            "Trainer: the training split has no examples (the test split has \(data.test.count)); a trainer needs at least one to train on")
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
    ///
    /// What the training figures are depends on ``TrainingOptions/trainMetrics``: in a run's
    /// evaluations, by default (``TrainMetricsSource/trainingBatches``), the mean per-example
    /// loss and the accuracy of the epoch's training batches as the training passes computed
    /// them, as Keras's `fit` reports `loss` and `accuracy`; with
    /// ``TrainMetricsSource/evaluationPass``, and always from ``Trainer/evaluate(epoch:)``, an
    /// inference pass over the whole training split with the current parameters. The test
    /// figures are always an inference pass over the test split with the current parameters.
    public struct Evaluation: Sendable, Equatable {
        /// The epochs trained before it (1 after the first).
        public var epoch: Int
        /// The mean loss on the training split: of the epoch's training batches, or of an
        /// inference pass (see ``Trainer/Evaluation``).
        public var trainLoss: Float
        /// The accuracy on the training split, measured as ``trainLoss`` is; `nil` for a
        /// regression model.
        public var trainAccuracy: Float?
        /// The mean loss on the test split; `nil` without one.
        public var testLoss: Float?
        /// The accuracy on the test split; `nil` without one or for a regression model.
        public var testAccuracy: Float?

        /// An evaluation after `epoch` epochs.
        public init(epoch: Int, trainLoss: Float, trainAccuracy: Float? = nil, testLoss: Float? = nil, testAccuracy: Float? = nil) {
            self.epoch = epoch
            self.trainLoss = trainLoss
            self.trainAccuracy = trainAccuracy
            self.testLoss = testLoss
            self.testAccuracy = testAccuracy
        }
    }

    /// How a run ended.
    public enum Outcome: Sendable, Equatable {
        /// Every epoch (or ``TrainingOptions/maxSteps``) was trained.
        case completed
        /// ``TrainingOptions/earlyStopping`` stopped it.
        case stoppedEarly
        /// A ``StepEvent`` handler asked it to stop (a signal, say).
        case interrupted
        /// The loss or a parameter stopped being finite; the parameters are those of the
        /// failed step.
        case diverged(Divergence)
    }

    /// Where and how a run diverged.
    public struct Divergence: Sendable, Equatable, CustomStringConvertible {
        /// The optimizer step that failed, counted from 1.
        public var step: Int
        /// The epoch it belonged to, counted from 1.
        public var epoch: Int
        /// What stopped being finite: `loss` or a parameter's name.
        public var quantity: String
        /// The offending value (NaN or an infinity).
        public var value: Float
        /// The failed step's figures, as a ``StepEvent`` would have given them: the run stops
        /// before its handler sees the step, and its metrics record the step from these.
        public var figures: StepFigures

        /// ``value`` as messages and reports write it: `nan` whatever its sign bit (Swift writes a
        /// NaN with the sign bit set, which 0/0 gives on x86, as `-nan`), `inf` or `-inf`.
        public var valueDescription: String { value.isNaN ? "nan" : "\(value)" }

        public var description: String {
            "step \(step) (epoch \(epoch)): \(quantity == "loss" ? "the loss" : "parameter \(quantity)") became \(valueDescription)"
        }
    }

    /// Per-step figures that cost something to measure, which a
    /// ``run(evaluating:measuring:log:onStep:)`` computes only when asked.
    public struct StepMeasurements: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// The global L2 norm of the step's mean gradient, before any clipping
        /// (``StepEvent/gradientNorm``): summed chunk by chunk inside the all-reduce
        /// (``/DataParallel/GradientSquares``).
        public static let gradientNorm = StepMeasurements(rawValue: 1 << 0)
        /// The fraction of the step's examples the training pass classified right
        /// (``StepEvent/accuracy``), counted by the workers: an argmax per micro-shard.
        public static let accuracy = StepMeasurements(rawValue: 1 << 1)
        /// Both.
        public static let all: StepMeasurements = [.gradientNorm, .accuracy]
    }

    /// What a ``run(evaluating:measuring:log:onStep:)`` handler sees after each optimizer step.
    public struct StepEvent {
        /// The trainer, between two steps: its ``state`` is a consistent point to resume from.
        public let trainer: Trainer
        /// The mean loss of the step's examples.
        public let loss: Float
        /// The learning rate the step used (the schedule's value before the step).
        public let learningRate: Float
        /// The global L2 norm of the step's mean gradient before clipping, when the run measures
        /// it (``StepMeasurements/gradientNorm``).
        public let gradientNorm: Float?
        /// The fraction of the step's examples (or outputs, for sigmoid cross-entropy) the
        /// training pass got right, when the run measures it (``StepMeasurements/accuracy``) and
        /// the model classifies.
        public let accuracy: Float?
        /// Examples the step trained on (all its batches, with gradient accumulation).
        public let examples: Int
        /// Wall seconds of the step: forward and backward passes, all-reduce and update, not
        /// evaluation.
        public let seconds: Double
        /// Examples per second of the step.
        public var samplesPerSecond: Double { seconds > 0 ? Double(examples) / seconds : 0 }
        /// Whether this step finished an epoch.
        public let endsEpoch: Bool
        /// The evaluation made after this step, if one was due.
        public let evaluation: Evaluation?
        /// Whether the run ends after this step (the last epoch, the step limit, or early
        /// stopping).
        public let isLast: Bool
    }

    /// What a step handler tells the trainer.
    public enum StepAction: Sendable {
        /// Go on training.
        case `continue`
        /// End the run after this step, with ``Outcome/interrupted``.
        case stop
    }

    /// What a run did.
    public struct Summary: Sendable {
        /// Optimizer steps taken, counted from the start of training (a resumed run included).
        public var steps: Int
        /// Epochs trained, a partly trained last one included, counted from the start of training.
        public var epochs: Int
        /// The mean loss of the last optimizer step's examples: of the restored state's last
        /// step when this run took none, NaN when no step was ever taken.
        public var finalLoss: Float
        /// The evaluations of this run, in order.
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
        /// How the run ended.
        public var outcome: Outcome = .completed
        /// Examples trained on in this run (every epoch's, a resumed run's from where it resumed).
        public var examples = 0
        /// Seconds in the evaluations (``Trainer/evaluate(epoch:)``), not part of
        /// `trainingSeconds`.
        public var evaluationSeconds = 0.0
        /// Seconds spent shuffling each epoch's examples into batches, not part of
        /// `trainingSeconds` (gathering a batch's rows is: the workers do it).
        public var dataSeconds = 0.0
        /// Seconds in the step handler and the epoch log lines: metrics, progress, checkpoints
        /// handed to their writer.
        public var handlerSeconds = 0.0
    }

    /// Runs the schedule from where the trainer stands (the start, or a restored state),
    /// logging one line per evaluation.
    ///
    /// After every optimizer step the trainer checks that the loss and every parameter are
    /// finite; if not, it stops at once with ``Outcome/diverged(_:)``. With
    /// ``TrainingOptions/earlyStopping`` set, it stops when the watched metric has not improved
    /// for that many evaluations.
    ///
    /// - Parameters:
    ///   - evaluating: `false` trains only, with no evaluation (not even after the last
    ///     epoch): a benchmark's runs, whose evaluations on every core would disturb others
    ///     training at the same time. The summary then has no evaluations.
    ///   - measuring: the per-step figures to compute for `onStep` beyond those that cost
    ///     nothing (loss, learning rate, examples, seconds); none by default, which keeps them off
    ///     the hot path. Measuring never changes the trained bits.
    ///   - log: receives one line per evaluation.
    ///   - onStep: called after each optimizer step, and after the epoch's evaluation for the
    ///     last step of an epoch; the place to write checkpoints or metrics, or to stop on a
    ///     signal.
    public func run(
        evaluating: Bool = true, measuring: StepMeasurements = [], log: (String) -> Void = { _ in },
        onStep: ((StepEvent) -> StepAction)? = nil
    ) -> Summary {
        let trainCount = data.train.count
        let totalSteps = options.totalSteps(examples: trainCount)
        var evaluations: [Evaluation] = []
        var finalLoss: Float = lastLoss ?? .nan
        var trainingSeconds = 0.0, reduceSeconds = 0.0, computeSeconds = 0.0
        var evaluationSeconds = 0.0, dataSeconds = 0.0, handlerSeconds = 0.0
        /// `body`'s result, its wall time added to `total`.
        func timed<R>(_ total: inout Double, _ body: () -> R) -> R {
            let start = ContinuousClock.now
            defer { total += (ContinuousClock.now - start) / .seconds(1) }
            return body()
        }
        var examples = 0
        var accumulated: [Tensor]? = nil
        var accumulatedLoss: Float = 0
        var accumulatedExamples = 0
        var batchesInStep = 0
        var outcome = Outcome.completed
        var finishedStep = StepFigures(loss: .nan, learningRate: .nan, gradientNorm: nil, accuracy: nil, examples: 0, seconds: 0)
        // Without accumulation the optimizer can take the gradient chunk by chunk from the
        // all-reduce; accumulating needs whole gradients, as does clipping by norm.
        let fusesUpdate = options.gradientAccumulation == 1 && optimizer.canApplyPartitioned
        let squares = measuring.contains(.gradientNorm) ? GradientSquares() : nil
        // A fused update checks the parameters as it writes them; the other path leaves
        // `divergence` to read them.
        let finiteness = UpdateFiniteness()
        // The step in progress, over its batches.
        var stepExamples = 0, stepSeconds = 0.0
        var stepPredictions: PredictionCount? = nil
        var learningRate: Float = .nan, gradientNorm: Float? = nil
        // A classifier's training passes always count their predictions (an argmax a row): the
        // epoch's figures, kept in every checkpoint, then hold its accuracy whatever the run
        // measures, so a run resumed under any train_metrics reports the whole epoch's.
        let countsPredictions = true
        let runningFigures = evaluating && options.trainMetrics == .trainingBatches
        var warnedOfUnmeasuredMetric = false

        // A state restored at its step limit (training.steps) has nothing left to train, nor has
        // one whose early stopping had already stopped its run (its final parameters are then
        // the best ones again, when it restores them).
        let stoppedAlready = evaluating && options.earlyStopping.map { evaluationsWithoutImprovement >= $0.patience } == true
        if stoppedAlready, let earlyStopping = options.earlyStopping {
            outcome = .stoppedEarly
            log("early stopping: the restored state has \(evaluationsWithoutImprovement) evaluation\(evaluationsWithoutImprovement == 1 ? "" : "s") without improvement, which uses up this run's patience of \(earlyStopping.patience); nothing is left to train")
        }
        let firstEpoch = stoppedAlready || (options.maxSteps != nil && globalStep >= totalSteps) ? options.epochs : epoch
        epochs: for epochIndex in firstEpoch..<options.epochs {
            epoch = epochIndex
            if batchInEpoch == 0 { epochFigures = EpochTrainingFigures() }
            let batches = timed(&dataSeconds) { data.train.batches(size: options.batchSize, shuffleSeed: options.seed, epoch: epochIndex) }
            let epochStart = ContinuousClock.now
            for position in batchInEpoch..<batches.count {
                let start = ContinuousClock.now
                let rows = Array(batches.indices(ofBatch: position))
                let batch = engine.computeMicroShardGradients(
                    model: model, parameters: variables.map(\.value),
                    features: RowSelection(source: data.train.features, rows: rows), targets: targets(of: data.train, rows: rows),
                    countingPredictions: countsPredictions)
                examples += batch.exampleCount
                epochFigures.add(batch)
                stepPredictions = stepExamples == 0
                    ? batch.predictions : stepPredictions.flatMap { sum in batch.predictions.map { sum + $0 } }
                stepExamples += batch.exampleCount
                let lastOfEpoch = position == batches.count - 1
                var stepped = false
                if fusesUpdate {
                    learningRate = optimizer.currentLearningRate
                    // Each thread of the all-reduce updates the elements it has just summed.
                    // The threads also check the elements they have just updated, so that
                    // `divergence` need not read every parameter again after a finite step.
                    finiteness.reset()
                    squares?.reset()
                    optimizer.applyPartitioned(to: variables) { step in
                        engine.allReduce { chunk in
                            step.update(variable: chunk.parameter, elements: chunk.elements, gradient: chunk.values.baseAddress!)
                            finiteness.record(step.elementsAreFinite(variable: chunk.parameter, elements: chunk.elements))
                            squares?.add(chunk)
                        }
                    }
                    if let squares { gradientNorm = squares.globalNorm }
                    finalLoss = batch.loss
                    lastLoss = finalLoss
                    globalStep += 1
                    stepped = true
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
                        learningRate = optimizer.currentLearningRate
                        if squares != nil { gradientNorm = GradientSquares.globalNorm(of: gradients) }
                        optimizer.apply(gradients, to: variables)
                        finalLoss = accumulatedLoss / Float(accumulatedExamples)
                        lastLoss = finalLoss
                        globalStep += 1
                        stepped = true
                        (accumulated, accumulatedLoss, accumulatedExamples, batchesInStep) = (nil, 0, 0, 0)
                    }
                }
                reduceSeconds += engine.lastTiming.reduceSeconds
                computeSeconds += engine.lastTiming.computeSeconds
                let batchSeconds = (ContinuousClock.now - start) / .seconds(1)
                trainingSeconds += batchSeconds
                stepSeconds += batchSeconds
                batchInEpoch = position + 1
                guard stepped else { continue }
                finishedStep = StepFigures(
                    loss: finalLoss, learningRate: learningRate, gradientNorm: gradientNorm,
                    accuracy: measuring.contains(.accuracy) ? stepPredictions?.accuracy : nil,
                    examples: stepExamples, seconds: stepSeconds)
                (stepExamples, stepSeconds, stepPredictions) = (0, 0, nil)
                if let divergence = divergence(finishedStep, parametersKnownFinite: fusesUpdate && finiteness.allFinite) {
                    outcome = .diverged(divergence)
                    log("diverged at \(divergence)")
                    break epochs
                }
                let reachedLimit = globalStep >= totalSteps
                if lastOfEpoch { break }
                // A stop asked for with the run's last step finds its work done.
                if let onStep,
                    timed(&handlerSeconds, { onStep(event(loss: finalLoss, finishedStep, endsEpoch: false, evaluation: nil, isLast: reachedLimit)) }) == .stop,
                    !reachedLimit
                {
                    outcome = .interrupted
                }
                if reachedLimit || outcome == .interrupted { break }
            }
            let finishedEpoch = batchInEpoch == batches.count
            if finishedEpoch {
                epoch = epochIndex + 1
                batchInEpoch = 0
            }

            let epochSeconds = (ContinuousClock.now - epochStart) / .seconds(1)
            var isLast = epochIndex == options.epochs - 1 || globalStep >= totalSteps || outcome == .interrupted
            var evaluation: Evaluation?
            // The evaluation's lines, printed after the epoch's last step has been handled, so
            // that a line the handler prints for that step (`--verbose`) comes before them.
            var epochLines: [String] = []
            // A run interrupted mid-epoch is not evaluated: an uninterrupted run makes no
            // evaluation there, and one would reach early stopping and the best checkpoint.
            let endsRun = isLast && outcome != .interrupted
            if evaluating && ((finishedEpoch && (epochIndex + 1) % options.evaluateEvery == 0) || endsRun) {
                let made = timed(&evaluationSeconds) {
                    runningFigures ? evaluate(epoch: epochIndex + 1, training: epochFigures) : evaluate(epoch: epochIndex + 1)
                }
                evaluation = made
                evaluations.append(made)
                var line = "epoch \(epochIndex + 1)/\(options.epochs): loss \(format(finalLoss))"
                line += ", train loss \(format(made.trainLoss))"
                if let accuracy = made.trainAccuracy { line += ", train accuracy \(format(accuracy))" }
                if let loss = made.testLoss { line += ", test loss \(format(loss))" }
                if let accuracy = made.testAccuracy { line += ", test accuracy \(format(accuracy))" }
                line += epochSeconds < 1 ? String(format: " (%.1f ms)", epochSeconds * 1000) : String(format: " (%.2f s)", epochSeconds)
                epochLines.append(line)
                if let earlyStopping = options.earlyStopping {
                    if earlyStopping.metric.value(in: made) == nil {
                        // As Keras warns of a monitored metric that is not available: the run
                        // goes on, and would otherwise never say why it did not stop.
                        if warnsOfUnmeasuredEarlyStoppingMetric && !warnedOfUnmeasuredMetric {
                            warnedOfUnmeasuredMetric = true
                            epochLines.append("warning: early stopping watches \(earlyStopping.metric.rawValue), which this evaluation does not measure (\(earlyStopping.metric.isTestMetric ? "the data has no test split" : "the model is not a classifier")); it will not stop the run")
                        }
                    } else if observe(made, earlyStopping) {
                        epochLines.append("early stopping: \(earlyStopping.metric.rawValue) has not improved for \(earlyStopping.patience) evaluation\(earlyStopping.patience == 1 ? "" : "s")")
                        outcome = .stoppedEarly
                        isLast = true
                    }
                }
            }
            // The evaluation has read the epoch's sums; a state taken between epochs holds none.
            if finishedEpoch { epochFigures = EpochTrainingFigures() }
            if finishedEpoch, outcome != .interrupted, let onStep {
                if timed(&handlerSeconds, { onStep(event(loss: finalLoss, finishedStep, endsEpoch: true, evaluation: evaluation, isLast: isLast)) }) == .stop,
                    !isLast
                {
                    outcome = .interrupted
                    isLast = true
                }
            }
            if !epochLines.isEmpty { timed(&handlerSeconds) { for line in epochLines { log(line) } } }
            if isLast { break epochs }
        }
        if case .stoppedEarly = outcome, let earlyStopping = options.earlyStopping, earlyStopping.restoreBest, let best = bestParameters {
            for (variable, value) in zip(variables, best) { variable.assign(value) }
            log("restored the parameters of the best evaluation (\(earlyStopping.metric.rawValue) \(format(bestMetric ?? .nan)))")
        }
        return Summary(
            steps: globalStep, epochs: epoch + (batchInEpoch > 0 ? 1 : 0), finalLoss: finalLoss, evaluations: evaluations,
            trainingSeconds: trainingSeconds, computeSeconds: computeSeconds, reduceSeconds: reduceSeconds,
            samplesPerSecond: trainingSeconds > 0 ? Double(examples) / trainingSeconds : 0, outcome: outcome, examples: examples,
            evaluationSeconds: evaluationSeconds, dataSeconds: dataSeconds, handlerSeconds: handlerSeconds)
    }

    /// What a step measured, kept until its ``StepEvent`` is made.
    /// What one optimizer step measured, as its ``StepEvent`` gives it.
    public struct StepFigures: Sendable, Equatable {
        /// The mean loss of the step's examples.
        public var loss: Float
        /// The learning rate the step used.
        public var learningRate: Float
        /// The gradient's global L2 norm, when measured (``StepMeasurements/gradientNorm``).
        public var gradientNorm: Float?
        /// The fraction of examples classified right, when measured (``StepMeasurements/accuracy``).
        public var accuracy: Float?
        /// Examples the step trained on.
        public var examples: Int
        /// Wall seconds of the step.
        public var seconds: Double
        /// Examples per second of the step.
        public var samplesPerSecond: Double { seconds > 0 ? Double(examples) / seconds : 0 }
    }

    private func event(loss: Float, _ step: StepFigures, endsEpoch: Bool, evaluation: Evaluation?, isLast: Bool) -> StepEvent {
        StepEvent(
            trainer: self, loss: loss, learningRate: step.learningRate, gradientNorm: step.gradientNorm,
            accuracy: step.accuracy, examples: step.examples, seconds: step.seconds, endsEpoch: endsEpoch,
            evaluation: evaluation, isLast: isLast)
    }

    /// Records `evaluation` for early stopping; returns whether the run should stop.
    private func observe(_ evaluation: Evaluation, _ earlyStopping: EarlyStopping) -> Bool {
        guard let value = earlyStopping.metric.value(in: evaluation) else { return false }
        if earlyStopping.metric.improves(value, on: bestMetric, minDelta: earlyStopping.minDelta) {
            bestMetric = value
            bestEpoch = evaluation.epoch
            evaluationsWithoutImprovement = 0
            if earlyStopping.restoreBest { bestParameters = variables.map(\.value) }
            return false
        }
        // A restored count may be anything up to Int.max; past it the run has long stopped.
        if evaluationsWithoutImprovement < Int.max { evaluationsWithoutImprovement += 1 }
        return evaluationsWithoutImprovement >= earlyStopping.patience
    }

    /// The first non-finite quantity after a step: the loss, then each parameter in order.
    /// `parametersKnownFinite` says the step's update already found every parameter finite.
    private func divergence(_ figures: StepFigures, parametersKnownFinite: Bool) -> Divergence? {
        func failed(_ quantity: String, _ value: Float) -> Divergence {
            Divergence(step: globalStep, epoch: epoch + 1, quantity: quantity, value: value, figures: figures)
        }
        if !figures.loss.isFinite { return failed("loss", figures.loss) }
        if parametersKnownFinite { return nil }
        for (name, variable) in zip(model.parameterNames, variables) {
            if let value = variable.value.firstNonFiniteScalar { return failed(name, value) }
        }
        return nil
    }

    /// Loss and accuracy of the current parameters on both splits: an inference pass with no
    /// tape on the engine's threads (``/DataParallel/DataParallelEngine/inference``), whose
    /// output is the same bits for any worker count; the per-example losses are then summed in
    /// example order, as one pass over the whole split would.
    public func evaluate(epoch: Int) -> Evaluation {
        let (trainLoss, trainAccuracy) = measure(data.train)
        return evaluatingTest(Evaluation(epoch: epoch, trainLoss: trainLoss, trainAccuracy: trainAccuracy))
    }

    /// An evaluation whose training figures are `training`'s (the running sums of the epoch's
    /// batches) and whose test figures are an inference pass over the test split; with no
    /// batches in `training`, ``evaluate(epoch:)``.
    public func evaluate(epoch: Int, training: EpochTrainingFigures) -> Evaluation {
        guard training.examples > 0 else { return evaluate(epoch: epoch) }
        return evaluatingTest(Evaluation(epoch: epoch, trainLoss: training.meanLoss, trainAccuracy: training.accuracy))
    }

    /// `evaluation` with the test split's figures added, when there is a test split.
    private func evaluatingTest(_ evaluation: Evaluation) -> Evaluation {
        var evaluation = evaluation
        if data.test.count > 0 {
            (evaluation.testLoss, evaluation.testAccuracy) = measure(data.test)
        }
        return evaluation
    }

    /// The mean loss and the accuracy of the current parameters on `dataset`. With class labels,
    /// each chunk of the inference pass has its examples' losses and right answers computed by
    /// the thread that computed its logits, while the other threads go on with theirs; the
    /// losses are then summed in example order, as ``/Models/LossKind/meanLoss(_:targets:)``
    /// sums them over one pass.
    private func measure(_ dataset: Dataset) -> (Float, Float?) {
        let parameters = variables.map(\.value)
        if model.lossKind == .softmaxCrossEntropy, let labels = dataset.classLabels, !labels.isEmpty {
            let figures = ChunkFigures(examples: labels.count)
            let output = engine.inference.outputs(of: model, parameters: parameters, inputs: dataset.features) { rows, logits in
                figures.record(rows, logits: logits, labels: labels)
            }
            if output.rank == 2, let measured = figures.meanLossAndAccuracy { return measured }
            // Logits the chunks could not take as a row per example with every label among
            // them: the whole pass's loss names what is wrong.
            return (model.loss(output, targets: .classes(labels)).scalar, model.lossKind.accuracy(output, targets: .classes(labels)))
        }
        let output = engine.inference.outputs(of: model, parameters: parameters, inputs: dataset.features)
        let targets = targets(of: dataset)
        return (model.loss(output, targets: targets).scalar, model.lossKind.accuracy(output, targets: targets))
    }

    /// The targets of a dataset's rows (all of them when `rows` is nil) in the form the model's
    /// loss takes.
    private func targets(of dataset: Dataset, rows: [Int]? = nil) -> Targets {
        if model.lossKind == .softmaxCrossEntropy, let labels = dataset.classLabels {
            return .classes(rows.map { $0.map { labels[$0] } } ?? labels)
        }
        return .values(rows.map { rows in withoutRecording { dataset.targets.gathering(rows: rows) } } ?? dataset.targets)
    }

    private func format(_ value: Float) -> String { formatted(value, "%.4f") }
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
        state.bestMetric = bestMetric
        state.bestEpoch = bestEpoch
        state.evaluationsWithoutImprovement = evaluationsWithoutImprovement
        state.bestParameters = bestParameters
        state.precision = options.precision
        state.epochFigures = epochFigures
        state.lastLoss = lastLoss
        return state
    }

    /// Continues from `state`: the next ``run(evaluating:measuring:log:onStep:)`` picks up at its
    /// position and, with the same options (the worker count aside), ends bitwise where an
    /// uninterrupted run would.
    ///
    /// A state of another ``TrainingState/precision`` is restored too (its parameters and
    /// optimizer state are Float32 either way), and training goes on in the options' precision;
    /// the bits then differ from an uninterrupted run in either precision.
    ///
    /// The state's position must be one this run reaches, counted as
    /// ``run(evaluating:measuring:log:onStep:)`` counts it. With `B` batches an epoch
    /// (``TrainingOptions/batchesPerEpoch(examples:)`` of the training split), `S` optimizer
    /// steps an epoch (``TrainingOptions/stepsPerEpoch(examples:)``) and `A` batches a step
    /// (``TrainingOptions/gradientAccumulation``), a state taken between optimizer steps after
    /// `e` epochs and `b` batches of the next has
    ///
    /// - `0 ≤ e ≤ epochs`, and `b = 0` when `e = epochs`: a state that finished epoch `e`
    ///   resumes with `e` or more epochs;
    /// - `0 ≤ b < B`, a multiple of `A` (an epoch's last batch always ends a step, after which
    ///   the state stands at the next epoch's batch 0);
    /// - ``TrainingState/globalStep`` (batches) `= e·B + b`, ``TrainingState/optimizerStep``
    ///   `= e·S + b/A`, and the optimizer state's `iterations` tensor equal to the latter as a
    ///   `Float` (the optimizer resumes at the exact count, past 2²⁴ steps too);
    /// - with a step limit (`training.steps`), an optimizer step no later than the limit (a
    ///   state at the limit trains no further).
    ///
    /// A state from a run over other data, batches or accumulation fails these, as does one
    /// whose counters were altered; the run's loops would otherwise start past their end, and
    /// its counters could overflow.
    ///
    /// - Throws: `TrainingStateError` when the state does not belong to this model, seed or
    ///   optimizer, or when its position does not fit this run's data and options (naming the
    ///   field, its checkpoint key, its value and what was expected). The trainer is unchanged
    ///   when it throws.
    public func restore(_ state: TrainingState) throws {
        guard state.parameterNames == model.parameterNames, state.parameters.map(\.shape) == model.parameterShapes else {
            throw TrainingStateError("the state holds parameters \(zip(state.parameterNames, state.parameters.map(\.shape)).map { "\($0) \($1)" }) but the model has \(zip(model.parameterNames, model.parameterShapes).map { "\($0) \($1)" })")
        }
        if let best = state.bestParameters, best.map(\.shape) != model.parameterShapes {
            throw TrainingStateError("the state's best parameters have shapes \(best.map(\.shape)) but the model has \(model.parameterShapes)")
        }
        guard state.seed == options.seed else {
            throw TrainingStateError("the state was trained with seed \(state.seed) but the options say \(options.seed); the data order would differ")
        }
        try checkPosition(of: state)
        do {
            // Every step hands the optimizer a gradient for every parameter, so a stepped state
            // holds every parameter's slots.
            try optimizer.restoreState(state.optimizerState, for: variables, iterations: state.optimizerStep, requiringStateOfTrainableVariables: true)
        } catch {
            throw TrainingStateError("the optimizer state does not fit \(optimizer.name): \(error)")
        }
        for (variable, value) in zip(variables, state.parameters) { variable.assign(value) }
        engine.step = state.globalStep
        globalStep = state.optimizerStep
        epoch = state.epoch
        batchInEpoch = state.stepInEpoch
        bestMetric = state.bestMetric
        bestEpoch = state.bestEpoch
        evaluationsWithoutImprovement = state.evaluationsWithoutImprovement
        bestParameters = state.bestParameters
        epochFigures = state.epochFigures
        lastLoss = state.lastLoss
    }

    /// Refuses a state whose position this run never reaches (see ``restore(_:)``), naming the
    /// field, its checkpoint metadata key, its value and what was expected.
    private func checkPosition(of state: TrainingState) throws {
        let examples = data.train.count
        let batches = options.batchesPerEpoch(examples: examples)
        let steps = options.stepsPerEpoch(examples: examples)
        let accumulation = options.gradientAccumulation
        func refuse(_ field: String, _ key: String, _ value: Int, expected: String) -> TrainingStateError {
            TrainingStateError("the state's \(field) (checkpoint metadata swiftgrad.\(key)) is \(value); expected \(expected)")
        }
        guard (0...options.epochs).contains(state.epoch) else {
            throw refuse("epochs done", "epoch", state.epoch, expected: "0...\(options.epochs): this run trains \(options.epochs) epoch\(options.epochs == 1 ? "" : "s"), and a state that finished E epochs resumes with E or more")
        }
        let perEpoch = "\(batches) batch\(batches == 1 ? "" : "es") an epoch (\(examples) training examples in batches of \(options.batchSize))"
        if state.epoch == options.epochs {
            guard state.stepInEpoch == 0 else {
                throw refuse("batches done in its epoch", "step_in_epoch", state.stepInEpoch, expected: "0, as the state has finished all \(options.epochs) of this run's epochs")
            }
        } else {
            guard state.stepInEpoch >= 0, state.stepInEpoch < Swift.max(batches, 1) else {
                throw refuse("batches done in its epoch", "step_in_epoch", state.stepInEpoch, expected: "0...\(Swift.max(batches - 1, 0)): this run has \(perEpoch)")
            }
        }
        guard state.stepInEpoch % accumulation == 0 else {
            throw refuse("batches done in its epoch", "step_in_epoch", state.stepInEpoch, expected: "a multiple of the gradient accumulation, \(accumulation): a state is taken between optimizer steps")
        }
        /// `epoch · perEpoch + within`, or `nil` past `Int.max`.
        func count(_ perEpoch: Int, plus within: Int) -> Int? {
            let (product, overflow) = state.epoch.multipliedReportingOverflow(by: perEpoch)
            let (sum, sumOverflow) = product.addingReportingOverflow(within)
            return overflow || sumOverflow ? nil : sum
        }
        let position = "\(state.epoch) epoch\(state.epoch == 1 ? "" : "s") and \(state.stepInEpoch) batch\(state.stepInEpoch == 1 ? "" : "es") at \(perEpoch)"
        let batchesDone = count(batches, plus: state.stepInEpoch)
        guard state.globalStep == batchesDone else {
            throw refuse("batches done", "global_step", state.globalStep, expected: "\(batchesDone.map(String.init) ?? "more than \(Int.max)"), the batches trained in \(position)")
        }
        let stepsDone = count(steps, plus: state.stepInEpoch / accumulation)
        guard state.optimizerStep == stepsDone else {
            throw refuse("optimizer steps done", "optimizer_step", state.optimizerStep, expected: "\(stepsDone.map(String.init) ?? "more than \(Int.max)"), the optimizer steps taken in \(position)\(accumulation > 1 ? " and \(accumulation) batches a step" : "")")
        }
        if options.maxSteps != nil, state.optimizerStep > options.totalSteps(examples: examples) {
            throw refuse("optimizer steps done", "optimizer_step", state.optimizerStep, expected: "at most \(options.totalSteps(examples: examples)), the steps this run takes (training.steps)")
        }
        // The optimizer keeps its own count (Adam's bias correction and the schedules read it),
        // saved as a Float; it must be the same count, rounded as a Float.
        if let iterations = state.optimizerState["iterations"], iterations.scalarCount == 1, iterations.scalars[0] != Float(state.optimizerStep) {
            throw TrainingStateError("the state's optimizer iterations (checkpoint tensor optimizer/iterations) are \(iterations.scalars[0]); expected \(Float(state.optimizerStep)), its optimizerStep (swiftgrad.optimizer_step)")
        }
    }

    /// A 64-bit FNV-1a digest of every parameter's bits, in order: equal digests mean bitwise
    /// equal models (up to a hash collision), which makes determinism easy to check by eye.
    public var parameterDigest: String {
        var hash = FNV1a()
        for variable in variables {
            variable.value.withUnsafeBufferPointer { hash.combine($0) }
        }
        return hash.hexDigest
    }
}

/// A training state that cannot be restored into a trainer.
public struct TrainingStateError: Error, CustomStringConvertible, Equatable {
    /// What does not fit.
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}

/// Whether the elements a partitioned step updated were all finite, as the all-reduce's threads
/// report chunk by chunk; read after the step, when those threads have finished.
private final class UpdateFiniteness: Sendable {
    private let sawNonFinite = Atomic<Bool>(false)

    func reset() { sawNonFinite.store(false, ordering: .relaxed) }

    func record(_ finite: Bool) {
        if !finite { sawNonFinite.store(true, ordering: .relaxed) }
    }

    var allFinite: Bool { !sawNonFinite.load(ordering: .relaxed) }
}

/// The per-example softmax cross-entropy losses and the right answers of one evaluation, which
/// the inference pass's threads record chunk by chunk.
private final class ChunkFigures: @unchecked Sendable {
    // @unchecked: each chunk writes only its own rows of `losses`, and the counts are atomic;
    // the caller reads them after the pass.
    private let losses: UnsafeMutableBufferPointer<Float>
    private let correct = Atomic<Int>(0)
    /// Set by a chunk whose logits are not a row of at least one logit per example, or whose
    /// labels are not all among them.
    private let unfit = Atomic<Bool>(false)

    init(examples: Int) {
        losses = .allocate(capacity: examples)
        losses.initialize(repeating: 0)
    }

    deinit { losses.deallocate() }

    /// Records the examples `rows`, whose logits are `logits` (`rows.count` rows) and whose
    /// classes are `labels[rows]`: the losses `Losses.softmaxCrossEntropy` gives them and the
    /// right answers `LossKind.predictionCount` counts.
    func record(_ rows: Range<Int>, logits: UnsafeBufferPointer<Float>, labels: [Int]) {
        let width = rows.isEmpty ? 0 : logits.count / rows.count
        let classes = Array(labels[rows])
        guard width > 0, logits.count == rows.count * width, classes.allSatisfy({ $0 >= 0 && $0 < width }) else {
            unfit.store(true, ordering: .relaxed)
            return
        }
        withoutRecording {
            let output = Tensor(shape: [rows.count, width]) { _ = $0.initialize(from: logits) }
            Losses.softmaxCrossEntropy(logits: output, labels: classes).withUnsafeBufferPointer {
                _ = UnsafeMutableBufferPointer(rebasing: losses[rows]).initialize(from: $0)
            }
            // Always counted: the labels are a chunk's, each among its logits.
            let count = LossKind.softmaxCrossEntropy.predictionCount(output, targets: .classes(classes))
            correct.add(count?.correct ?? 0, ordering: .relaxed)
        }
    }

    /// The mean of the losses, summed in example order (the arithmetic of `LossKind.meanLoss`),
    /// and the fraction of right answers; nil when a chunk's logits did not fit its labels.
    var meanLossAndAccuracy: (Float, Float?)? {
        guard !unfit.load(ordering: .relaxed) else { return nil }
        let count = losses.count
        let loss = withoutRecording { Tensor(shape: [count], scalars: Array(losses)).sum() / Float(Swift.max(1, count)) }
        return (loss.scalar, PredictionCount(correct: correct.load(ordering: .relaxed), total: count).accuracy)
    }
}
