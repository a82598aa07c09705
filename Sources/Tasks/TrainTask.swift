import DataParallel
import Foundation
import Training
import Autograd
import ConfigKit
import Datasets
import Models
import Optimizers
import JSON
import Reports
import Storage

/// `"task": "train"`: trains a model with the data-parallel trainer.
///
/// Keys (all documented in `Documentation/Configuration.md`, rendered from `Configs/schema.json`):
/// - `data`: `source` (`digits`, `csv` or `synthetic`); `path` (digits, csv); `header` (true),
///   `label` (a name or an index) and `kind` (`classes`: the distinct labels, sorted, or
///   `regression`) (csv); `examples`, `features`, `classes`, `labels` (`teacher` or `uniform`) and
///   `seed` (synthetic); `test_fraction` (0.2); `split` (`shuffled` or `file_order`);
///   `standardize` (`train_rows`: fitted on the training split only, `all_rows` or `none`).
/// - `model`: `type` (`mlp`, `logistic`, `softmax`, `linear` or `sequential`), `hidden_layers`
///   (mlp), `activation` (`relu`), `initializer` (`he_normal` for mlp, else `glorot_uniform`),
///   `layers` (sequential: see ``SequentialModelSpec``), `loss` (what the data calls for; see
///   ``readModel(_:features:classes:context:seed:description:)``), `standardize_target` (false;
///   regression only), and optionally `input_size` and `output_size`, checked against the data.
/// - `optimizer`: see ``OptimizerSpec`` (Adam at Keras's defaults when absent).
/// - `training`: `epochs` or `steps` (not both), `batch_size` (a number or `"full"`),
///   `workers`, `micro_shards`, `seed`,
///   `deterministic`, `gradient_accumulation`, `evaluate_every`, `train_metrics`,
///   `kernel_threads`, `workers_help`, `scale_learning_rate`, `base_batch_size` and `precision`
///   (`float32` or `bf16`).
package struct TrainTask: RunnableTask {
    package var kind: String { "train" }

    /// The data sources a config may name.
    package static let sources = ["digits", "csv", "synthetic"]
    /// The model types a config may name. `softmax` is softmax regression: a `logistic` model
    /// trained by softmax cross-entropy, with one logit per class even for two.
    package static let modelTypes = ["mlp", "logistic", "softmax", "linear", "sequential"]
    /// The class counts a train config may have: the synthetic data's `classes`, and the
    /// distinct labels of a CSV file's label column.
    package static let classCounts = 2...100_000
    /// The layers a model may have: dense layers of an `mlp` (its hidden layers and the output
    /// layer), entries of a `sequential` model's `layers`. Far deeper than an MLP trains well,
    /// and each layer costs every step a few tape entries and buffers besides its arithmetic.
    package static let layerCounts = 1...1000
    /// The units a hidden or dense layer may have.
    package static let unitCounts = 1...100_000_000
    /// The `base_batch_size`s of the linear scaling rule a config may name.
    package static let baseBatchSizes = 1...1_000_000_000
    static let initializers: [String: Initializer] = [
        "he_normal": .heNormal, "he_uniform": .heUniform, "glorot_uniform": .glorotUniform,
        "glorot_normal": .glorotNormal, "zeros": .zeros,
    ]
    /// The config name of one of ``initializers``.
    static func initializerName(of initializer: Initializer) -> String {
        initializers.first { $0.value == initializer }!.key
    }

    /// The examples the model trains and is evaluated on: features standardised when
    /// `data.standardize` says so, targets when `model.standardize_target` does.
    package let data: DatasetSplit
    package let model: any Model
    /// The statistics the regression targets were standardised with (fitted on the training
    /// split only) when `model.standardize_target` is true: the model learns the standardised
    /// target, and its predictions, reports, `swiftgrad eval` and `swiftgrad predict` map its
    /// outputs back to the original scale with them.
    package let targetStandardizer: Standardizer?
    package let optimizer: OptimizerSpec
    package var options: TrainingOptions
    /// Where the data came from, for messages and reports.
    package let dataDescription: String
    /// Seconds spent reading (or generating) and preparing the data when the task was loaded
    /// (its checksum is computed on another thread from then on: ``dataChecksum``).
    package let dataSeconds: Double
    /// When the data was ready: the run's setup (model, optimizer, engine) is timed from here.
    package let dataLoaded: ContinuousClock.Instant
    /// The statistics the features were standardised with, if they were.
    package let standardizer: Standardizer?
    /// Where and when checkpoints are written.
    package var checkpoints: CheckpointPolicy
    /// A hash of everything in the config, as written, that changes the trained bits
    /// (``resultHash(of:options:coveringDataPath:)``); checkpoints carry it beside
    /// ``resolvedConfigHash``, and one written before they carried both is told by it.
    package let configHash: String
    /// The hash of ``resolvedConfigObject``: what tells a checkpoint of this config from one of
    /// another, however either spells its defaults (``isThisConfig(_:options:)``).
    package let resolvedConfigHash: String
    /// The config's values as written, from which ``isThisConfig(_:options:)`` hashes the run at
    /// other lengths.
    let configObject: JSONObject
    /// The config's values with every default its reading filled in (a config without an
    /// `optimizer` has Adam's, as `{"name": "adam"}` gives): two configs that spell the same
    /// run differently, one writing a default the other leaves out, have the same.
    let resolvedConfigObject: JSONObject
    /// A checksum of the split data, so a checkpoint is not resumed on other data; computed
    /// on another thread from the moment the data is ready, and waited for when first read.
    package var dataChecksum: String { pendingDataChecksum.value }
    private let pendingDataChecksum: BackgroundValue<String>
    /// The data file, which no output may replace.
    package let inputFiles: [AtomicFile.Input]
    /// Lines for standard error about what the config may not mean as it reads: a header that
    /// looks like data, a class column that looks like a quantity (`warning: …`), a batch larger
    /// than the training split (`note: …`).
    package let warnings: [String]

    init(reading root: inout ConfigObject, context: ConfigContext, overrides: RunOptions) throws {
        // The training options first: the seed shuffles the split and the batch size scales the rate.
        var scaleLearningRate = false
        var baseBatchSize = 256
        var fullBatch = false
        var stepsGiven = false
        var stepsPosition: SourcePosition?
        var earlyStoppingPosition: SourcePosition?
        var earlyStoppingMetricGiven = false
        var options = try root.object("training") { training -> TrainingOptions in
            var options = TrainingOptions()
            // `steps` alone trains that many steps, however many epochs they take (worked out
            // once the data's size is known); with `epochs` too it would be ambiguous.
            if training.contains("steps") {
                options.maxSteps = try training.optional("steps", as: Int.self, .in(TrainingOptions.stepCounts))
                if training.contains("epochs") {
                    _ = try training.optional("epochs", as: Int.self, .in(TrainingOptions.epochCounts))
                    throw context.error(
                        in: training, key: "epochs",
                        "training.epochs and training.steps are both given; expected one of them: steps alone trains that many optimizer steps, epochs alone that many passes over the training split")
                }
                stepsGiven = true
            } else {
                options.epochs = try training.optional("epochs", as: Int.self, default: 1, .in(TrainingOptions.epochCounts))
            }
            switch try training.require("batch_size", as: BatchSizeSelection.self) {
            case .full: fullBatch = true
            case .examples(let count):
                guard TrainingOptions.batchSizes.contains(count) else {
                    throw context.error(in: training, key: "batch_size", "expected \(BatchSizeSelection.expectedDescription), found \(count)")
                }
                options.batchSize = count
            }
            options.workers = try training.optional("workers", as: Int.self, default: 1, .in(TrainingOptions.threadCounts))
            options.microShards = try training.optional("micro_shards", as: Int.self, .in(TrainingOptions.microShardCounts))
            options.seed = UInt64(try training.optional("seed", as: Int.self, default: 0, .nonNegative))
            options.deterministic = try training.optional("deterministic", as: Bool.self, default: true)
            options.gradientAccumulation = try training.optional(
                "gradient_accumulation", as: Int.self, default: 1, .in(TrainingOptions.accumulationCounts))
            options.evaluateEvery = try training.optional("evaluate_every", as: Int.self, default: 1, .in(TrainingOptions.evaluationIntervals))
            options.trainMetrics = TrainMetricsSource(
                rawValue: try training.optional(
                    "train_metrics", as: String.self, default: TrainMetricsSource.trainingBatches.rawValue,
                    .oneOf(TrainMetricsSource.allCases.map(\.rawValue))))!
            options.kernelThreads = try training.optional("kernel_threads", as: Int.self, .in(TrainingOptions.threadCounts))
            options.workersHelp = try training.optional("workers_help", as: Bool.self, default: true)
            let precision = try training.optional(
                "precision", as: String.self, default: MatrixPrecision.float32.rawValue, .oneOf(MatrixPrecision.allCases.map(\.rawValue)))
            options.precision = MatrixPrecision(rawValue: precision)!
            options.earlyStopping = try training.optionalObject("early_stopping") { try Self.readEarlyStopping(&$0) }
            scaleLearningRate = try training.optional("scale_learning_rate", as: Bool.self, default: false)
            baseBatchSize = try training.optional("base_batch_size", as: Int.self, default: 256, .in(Self.baseBatchSizes))
            stepsPosition = training.object.member("steps")?.value.position
            if let member = training.object.member("early_stopping") {
                let metric = member.value.objectValue?.member("metric")
                earlyStoppingMetricGiven = metric != nil
                earlyStoppingPosition = metric?.value.position ?? member.value.position
            }
            return options
        }
        if let workers = overrides.workers {
            let counts = TrainingOptions.threadCounts
            guard counts.contains(workers) else {
                throw Self.overrideError(context, "workers", "must be between \(counts.lowerBound) and \(counts.upperBound), got \(workers)")
            }
            options.workers = workers
        }
        if let epochs = overrides.epochs {
            if stepsGiven {
                throw Self.overrideError(context, "epochs", "--epochs \(epochs) conflicts with training.steps, which sets the length of the run; expected one of them")
            }
            let counts = TrainingOptions.epochCounts
            guard counts.contains(epochs) else {
                throw Self.overrideError(context, "epochs", "must be between \(counts.lowerBound) and \(counts.upperBound), got \(epochs)")
            }
            options.epochs = epochs
        }
        if let seed = overrides.seed { options.seed = seed }
        if let precision = overrides.precision { options.precision = precision }

        var description = ""
        var standardizer: Standardizer?
        let seed = options.seed
        // Taken before the data is loaded: the model's estimate below counts the data, which
        // would otherwise count twice under a process limit, as part of what the process uses.
        let budget = try overrides.memoryBudget ?? MemoryBudget.current()
        var inputs: [AtomicFile.Input] = []
        let dataStart = ContinuousClock.now
        var warnings: [String] = []
        var data = try root.object("data") { data in
            try Self.readData(
                &data, context: context, seed: seed, budget: budget, description: &description, standardizer: &standardizer,
                inputs: &inputs, warnings: &warnings)
        }
        let loaded = data
        pendingDataChecksum = BackgroundValue { Self.checksum(of: loaded) }
        dataLoaded = ContinuousClock.now
        dataSeconds = (dataLoaded - dataStart) / .seconds(1)
        // The config is an input too: no file the run writes may replace it.
        inputFiles = inputs + [AtomicFile.Input(context.file, role: "config")]
        dataDescription = description
        self.standardizer = standardizer
        // The batch and the run's length, now that the training split's size is known.
        let trainCount = data.train.count
        if fullBatch {
            options.batchSize = Swift.min(trainCount, TrainingOptions.batchSizes.upperBound)
        } else if options.batchSize > trainCount {
            warnings.append("note: training.batch_size \(options.batchSize) is larger than the training split (\(trainCount) examples), so each batch is the whole split (\"batch_size\": \"full\" says so)")
        }
        let batchesPerEpoch = options.batchesPerEpoch(examples: trainCount)
        if options.gradientAccumulation > batchesPerEpoch {
            warnings.append("note: training.gradient_accumulation \(options.gradientAccumulation) is more than the \(batchesPerEpoch) batch\(batchesPerEpoch == 1 ? "" : "es") of an epoch; an epoch's last batch ends a step, so each epoch is one optimizer step over its \(batchesPerEpoch) batch\(batchesPerEpoch == 1 ? "" : "es")")
        }
        if stepsGiven, let steps = options.maxSteps {
            let perEpoch = options.stepsPerEpoch(examples: trainCount)
            let epochs = steps / perEpoch + (steps % perEpoch == 0 ? 0 : 1)
            guard TrainingOptions.epochCounts.contains(epochs) else {
                throw ConfigError(
                    .invalidValue, file: context.file, position: stepsPosition, keyPath: ConfigKeyPath([.key("training"), .key("steps")]),
                    message: "\(steps) steps of \(perEpoch) per epoch take \(epochs) epochs; expected at most \(TrainingOptions.epochCounts.upperBound) epochs (a larger batch_size takes fewer)")
            }
            options.epochs = epochs
        }
        self.options = options
        checkpoints = try root.optionalObject("checkpoint") { try CheckpointPolicy(reading: &$0, config: context.file) }
            ?? CheckpointPolicy(config: context.file)
        // A watched metric that no evaluation holds never stops the run or keeps a checkpoint.
        // The config is valid (the schema cannot see the data), so this is a warning.
        let unmeasured = { (metric: TrainingMetric) -> String? in
            let noTest = metric.isTestMetric && data.test.count == 0
            // The metrics where higher is better are the accuracies.
            let noAccuracy = metric.higherIsBetter && data.train.classCount == nil
            switch (noTest, noAccuracy) {
            case (true, true): return "a regression has no accuracy, and the data has no test split; expected train_loss"
            case (true, false): return "the data has no test split; expected a train_ metric, or a test_fraction above 0 in data"
            case (false, true): return "a regression has no accuracy; expected train_loss or test_loss"
            case (false, false): return nil
            }
        }
        if let stopping = options.earlyStopping, let reason = unmeasured(stopping.metric) {
            let error = ConfigError(
                .invalidValue, file: context.file, position: earlyStoppingPosition,
                keyPath: ConfigKeyPath([.key("training"), .key("early_stopping"), .key("metric")]),
                message: "early stopping watches \(stopping.metric.rawValue)\(earlyStoppingMetricGiven ? "" : " (the default)"), which no evaluation of this run measures, so it never stops the run: \(reason)")
            warnings.append("warning: \(error)")
        }
        if let metric = checkpoints.keepBest, let reason = unmeasured(metric) {
            let position = root.object.member("checkpoint")?.value.objectValue?.member("keep_best")?.value.position
            let error = ConfigError(
                .invalidValue, file: context.file, position: position, keyPath: ConfigKeyPath([.key("checkpoint"), .key("keep_best")]),
                message: "\(metric.rawValue) is not measured by this run's evaluations, so best.safetensors is never written: \(reason)")
            warnings.append("warning: \(error)")
        }
        if let directory = overrides.runDirectory {
            // An empty folder would put the run's files at the root of the file system.
            guard !directory.isEmpty else { throw FileError("the run folder is an empty path; expected a folder for the run's checkpoints and model") }
            checkpoints.directory = directory
        }
        configObject = root.object
        configHash = Self.resultHash(of: root.object, options: options)
        let (features, classes) = (data.train.featureCount, data.train.classCount)
        var standardizesTarget = false
        model = try root.object("model") { model in
            let made = try Self.readModel(&model, features: features, classes: classes, context: context, seed: seed, description: description)
            // Not part of the architecture: the saved model keeps the statistics instead.
            standardizesTarget = try model.optional("standardize_target", as: Bool.self, default: false)
            if standardizesTarget && classes != nil {
                throw context.error(in: model, key: "standardize_target", "the data (\(description)) has classes, which are not standardised; expected false, or \"kind\": \"regression\" in data")
            }
            return made
        }
        if standardizesTarget {
            let standardized = data.standardizingTargets()
            data = standardized.split
            targetStandardizer = standardized.standardizer
        } else {
            targetStandardizer = nil
            if classes == nil, model.lossKind == .meanSquaredError, let warning = Self.unscaledTargetWarning(data.train, description: description) {
                warnings.append(warning)
            }
        }
        self.warnings = warnings
        self.data = data
        // The linear scaling rule, as a factor on whichever rate the optimizer reads.
        let batchScale = scaleLearningRate ? linearlyScaledLearningRate(1, globalBatchSize: options.effectiveBatchSize, baseBatchSize: baseBatchSize) : 1
        let totalSteps = options.totalSteps(examples: data.train.count)
        // Read as optional even when absent, so that a misspelt key gets its suggestion.
        if let given = try root.optionalObject("optimizer", { try OptimizerSpec(reading: &$0, batchScale: batchScale, totalSteps: totalSteps) }) {
            optimizer = given
        } else {
            // No optimizer is Adam at its defaults: `{"name": "adam"}` read as the config's own
            // would be, which the resolved config then shows.
            var adam = try ConfigDocument(parsing: #"{"name": "adam"}"#).rootObject()
            optimizer = try OptimizerSpec(reading: &adam, batchScale: batchScale, totalSteps: totalSteps)
            root.resolveAbsent("optimizer", as: .object(adam.resolved))
        }
        resolvedConfigObject = root.resolved
        resolvedConfigHash = Self.resultHash(of: root.resolved, options: options)
        // Nothing large is allocated yet: the trainer makes the parameters, its optimizer the
        // slots, its engine the gradient slots.
        let (estimate, parameterCount) = Self.memoryEstimate(
            model: model, data: data, options: options, optimizerSlots: optimizer.slotCount, writesCheckpoints: overrides.keepsRunFolder)
        try budget.check(
            estimate, "'\(context.file)' trains a model of \(parameterCount == Int.max ? "more than \(Int.max)" : "\(parameterCount)") parameters that",
            advice: "use a smaller model, batch_size or data set")
    }

    package func run(options runOptions: RunOptions, log: (String) -> Void) throws -> TaskReport {
        let trainer = Trainer(model: model, data: data, optimizer: optimizer.make(), options: options, reducer: runOptions.distributed?.reducer)
        // The config's reading warned of a metric no evaluation measures, naming its key.
        trainer.warnsOfUnmeasuredEarlyStoppingMetric = false
        let microShards = trainer.engine.configuration.microShardCount
        let batchMicroShards = trainer.engine.configuration.microShardCount(forBatchSize: Swift.min(options.batchSize, data.train.count))
        // Under --quiet only the result line below is printed.
        func info(_ line: String) {
            if runOptions.showsProgress { log(line) }
        }
        info("train: \(dataDescription); \(data.train.count) train, \(data.test.count) test examples")
        if let names = data.train.classNames {
            info("classes: \(names.count) (\(Self.classList(names)))")
        }
        info("training: \(lengthDescription)")
        info("model: \(model.parameterShapes.map { "\($0)" }.joined(separator: " ")) (\(model.parameterCount) parameters); optimizer \(optimizer.name), learning rate \(optimizer.learningRate)")
        // Deterministic: the bits of every worker count and, under MPI, of one process. A
        // reduction across ranks in MPI's own order gives neither.
        let inMicroShardOrder = runOptions.distributed?.reducer.addsInMicroShardOrder ?? true
        let deterministic = options.deterministic && inMicroShardOrder
        info("\(options.workers) worker\(options.workers == 1 ? "" : "s"), batch \(options.batchSize), \(batchMicroShards) micro-shard\(batchMicroShards == 1 ? "" : "s")\(microShards == nil ? " (by batch size)" : ""), \(deterministic ? "deterministic" : inMicroShardOrder ? "non-deterministic" : "non-deterministic (the ranks' gradients are added in MPI_Allreduce's order)")")
        if options.precision == .bf16 {
            info("precision: bf16 matrix products (inputs rounded to bfloat16, sums in float32); parameters, gradients and optimizer state in float32")
            switch MatrixPrecision.bf16Products {
            case .dotProduct:
                break
            case .multiplyAddsWithoutDotProduct:
                info("note: this CPU has no bf16 dot-product instructions (AVX512-BF16), so bf16 products are emulated with float32 multiply-adds: the same bits, but slower than --precision float32")
            case .multiplyAddsAfterFailedCheck:
                info("note: this CPU's bf16 dot product (vdpbf16ps) failed the start-up check of its bits, so bf16 products are emulated with float32 multiply-adds: the same bits, but slower than --precision float32")
            case .multiplyAddsFasterThanDotProduct:
                info("note: this CPU's bf16 dot product (vdpbf16ps) is slower than two float32 multiply-adds, so bf16 products use those: the same bits, at about the speed of --precision float32, not faster")
            }
        }
        if let distributed = runOptions.distributed {
            info("\(distributed.description); each rank computes its share of the \(batchMicroShards) micro-shard\(batchMicroShards == 1 ? "" : "s") with its workers")
        }
        if options.workers > batchMicroShards {
            let one = batchMicroShards == 1
            info("note: each batch has \(batchMicroShards) micro-shard\(one ? "" : "s"), so only \(batchMicroShards) of the \(options.workers) workers \(one ? "has" : "have") work; set training.micro_shards to cut batches finer")
        }
        let start = ContinuousClock.now
        var run = try withoutActuallyEscaping(info) { try runKeepingCheckpoints(trainer, options: runOptions, log: $0) }
        let summary = run.summary
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        let (last, evaluatedAfresh) = finalEvaluation(of: trainer, summary, earlier: run.earlierEvaluations)
        // Finite steps can end on parameters whose losses are not (a schedule that blows the
        // rate up at the last step): the run diverged, though no step's loss showed it. A test
        // loss alone that is not finite may be the test rows' doing instead; a pass over the
        // training rows tells which.
        if run.exitStatus == 0, !last.trainLoss.isFinite || last.testLoss?.isFinite == false {
            let train = last.trainLoss.isFinite && !evaluatedAfresh ? withoutRecording { trainer.evaluate(epoch: summary.epochs) }.trainLoss : last.trainLoss
            let test = last.testLoss.map { " (test loss \($0))" } ?? ""
            if !train.isFinite {
                run.status = "diverged"
                run.exitStatus = 1
                run.failure = "training diverged: the final parameters give a train loss of \(train)\(test), not a finite number"
            } else {
                info("warning: the test loss is \(last.testLoss ?? .nan), though the training rows' is finite: some test examples overflow the model's Float32 arithmetic (swiftgrad eval names the first)")
            }
        }
        let regression = regressionMetrics(of: trainer)
        let timing = RunTiming(
            summary: summary, wallSeconds: seconds, dataLoadingSeconds: dataSeconds, setupSeconds: (start - dataLoaded) / .seconds(1))
        var line = "trained \(summary.steps) step\(summary.steps == 1 ? "" : "s") in \(String(format: "%.2f", summary.trainingSeconds)) s (\(Int(summary.samplesPerSecond.rounded())) samples/s)"
        if let accuracy = last.trainAccuracy { line += ", train accuracy \(accuracy)" }
        if let accuracy = last.testAccuracy { line += ", test accuracy \(accuracy)" }
        if let (train, test) = regression {
            func figures(_ metrics: RegressionMetrics) -> String {
                "MSE \(Self.format(metrics.meanSquaredError)), MAE \(Self.format(metrics.meanAbsoluteError)), R² \(metrics.rSquared.map { Self.format($0) } ?? "undefined")"
            }
            line += ", train \(figures(train))"
            if let test { line += ", test \(figures(test))" }
        }
        log(line)
        let digest = trainer.parameterDigest
        info(timing.line)
        info("parameter digest \(digest)")

        // The figures of the final parameters, the same keys in every task (Documentation/CommandLine.md, "Reports").
        var extra = JSONObject()
        extra["train_loss"] = .number(last.trainLoss)
        extra["test_loss"] = last.testLoss.map { .number($0) } ?? .null
        if let accuracy = last.trainAccuracy { extra["train_accuracy"] = .number(accuracy) }
        // Accuracies are for classes: a classifier's empty test split has a null one, as its loss.
        if data.train.classCount != nil { extra["test_accuracy"] = last.testAccuracy.map { .number($0) } ?? .null }
        // What train_loss and train_accuracy are: the last epoch's training batches, or a pass
        // over the training split (always so when the report evaluated the final parameters
        // afresh: after early stopping restored the best ones, or when the run made no evaluation).
        extra["train_metrics"] = .string(evaluatedAfresh ? TrainMetricsSource.evaluationPass.rawValue : options.trainMetrics.rawValue)
        if let classes = data.train.classCount {
            extra["labels"] = .array((0..<classes).map { SavedModel.json(label: data.train.classLabel(of: $0)) })
        }
        if let (train, test) = regression {
            train.add(to: &extra, prefix: "train")
            if let test { test.add(to: &extra, prefix: "test") }
        }
        extra["train_examples"] = .number(data.train.count)
        extra["test_examples"] = .number(data.test.count)
        extra["epochs"] = .number(summary.epochs)
        extra["workers"] = .number(options.workers)
        if let distributed = runOptions.distributed { extra["ranks"] = .number(distributed.rankCount) }
        extra["micro_shards"] = microShards.map { .number($0) } ?? .string("auto")
        extra["micro_shards_per_batch"] = .number(batchMicroShards)
        extra["deterministic"] = .bool(deterministic)
        extra["precision"] = .string(options.precision.rawValue)
        extra["matrix_kernel"] = .string(options.precision.kernelName)
        extra["samples_per_second"] = .number(summary.samplesPerSecond)
        extra["end_to_end_samples_per_second"] = .number(timing.endToEndSamplesPerSecond)
        extra["timing"] = .object(timing.json)
        extra["allreduce_share"] = .number(summary.trainingSeconds > 0 ? summary.reduceSeconds / summary.trainingSeconds : 0)
        extra["parameter_digest"] = .string(digest)
        extra["status"] = .string(run.status)
        if case .diverged(let divergence) = summary.outcome {
            var entry = JSONObject()
            entry["step"] = .number(divergence.step)
            entry["epoch"] = .number(divergence.epoch)
            entry["quantity"] = .string(divergence.quantity)
            entry["value"] = .string(divergence.valueDescription)
            extra["divergence"] = .object(entry)
        }
        if let path = run.modelPath { extra["model"] = .string(path) }
        if let path = run.lastCheckpoint { extra["last_checkpoint"] = .string(path) }
        // The last evaluations only: a long run's whole history is in its metrics.jsonl. A
        // resumed run's include those its metrics recorded before the checkpoint.
        let evaluations = run.earlierEvaluations + summary.evaluations
        let history = evaluations.suffix(Self.historyLimit)
        if history.count < evaluations.count { extra["history_evaluations"] = .number(evaluations.count) }
        if let path = run.metricsPath { extra["metrics"] = .string(path) }
        extra["history"] = .array(history.map { evaluation in
            var entry = JSONObject()
            entry["epoch"] = .number(evaluation.epoch)
            entry["train_loss"] = .number(evaluation.trainLoss)
            if let value = evaluation.trainAccuracy { entry["train_accuracy"] = .number(value) }
            if let value = evaluation.testLoss { entry["test_loss"] = .number(value) }
            if let value = evaluation.testAccuracy { entry["test_accuracy"] = .number(value) }
            return .object(entry)
        })
        var report = TaskReport(
            task: "train", steps: summary.steps, finalLoss: summary.finalLoss,
            parameters: zip(model.parameterNames, trainer.variables).map { ($0, $1.value.scalars) },
            wallSeconds: seconds, extra: extra)
        report.exitStatus = run.exitStatus
        report.failure = run.failure
        return report
    }

    /// How long the run trains, as it was asked for: `300 steps (= 300 epochs of 1 batch)` for
    /// `training.steps`, `20 epochs of 23 batches (= 460 steps)` for `training.epochs`.
    package var lengthDescription: String {
        func plural(_ count: Int, _ word: String) -> String { "\(count) \(word)\(count == 1 ? "" : "s")" }
        let perEpoch = options.stepsPerEpoch(examples: data.train.count)
        let unit = options.gradientAccumulation == 1 ? "batch" : "step"
        let epochText = "\(plural(options.epochs, "epoch")) of \(unit == "batch" ? (perEpoch == 1 ? "1 batch" : "\(perEpoch) batches") : plural(perEpoch, unit))"
        let total = options.totalSteps(examples: data.train.count)
        guard let steps = options.maxSteps else { return "\(epochText) (= \(plural(total, "step")))" }
        let last = total - (options.epochs - 1) * perEpoch
        return "\(plural(steps, "step")) (= \(epochText)\(last < perEpoch ? ", the last cut to \(last)" : ""))"
    }

    /// Class labels for a message: all of them up to 10, else the first and last five, each as
    /// ``shownLabel(_:)`` shows it.
    static func classList(_ names: [String]) -> String {
        let shown = names.map(shownLabel)
        return shown.count <= 10 ? shown.joined(separator: ", ")
            : (shown.prefix(5) + ["…"] + shown.suffix(5)).joined(separator: ", ")
    }

    /// A class label as output shows it: control characters escaped (a label from a data file
    /// may hold a terminal's escape sequences) and cut short past 32 characters.
    static func shownLabel(_ label: String) -> String { quoted(label, limit: 32) }

    /// The evaluation of the parameters the run ends with: its last one, or a new one when
    /// early stopping restored the best parameters or the run made none (`afresh`: an inference
    /// pass over both splits).
    /// The figures the report gives for the final parameters: the run's last evaluation, or,
    /// for a resumed run that had nothing left to train, the evaluation its run folder's
    /// metrics recorded at that state (so that the report is the finished run's); otherwise a
    /// pass over both splits, `afresh`.
    private func finalEvaluation(
        of trainer: Trainer, _ summary: Trainer.Summary, earlier: [Trainer.Evaluation]
    ) -> (evaluation: Trainer.Evaluation, afresh: Bool) {
        if !restoredBest(summary, trainer) {
            if let last = summary.evaluations.last { return (last, false) }
            if summary.examples == 0, let recorded = earlier.last, recorded.epoch == summary.epochs,
               trainer.state.stepInEpoch == 0 || trainer.globalStep >= options.totalSteps(examples: data.train.count)
            {
                return (recorded, false)
            }
        }
        return (withoutRecording { trainer.evaluate(epoch: summary.epochs) }, true)
    }

    /// Whether early stopping ended the run with the parameters of its best evaluation, which
    /// the report then evaluates afresh on both splits. A run resumed from a checkpoint that kept
    /// no copy of them (its run did not restore them) has none to put back.
    func restoredBest(_ summary: Trainer.Summary, _ trainer: Trainer) -> Bool {
        summary.outcome == .stoppedEarly && options.earlyStopping?.restoreBest == true && trainer.bestParameters != nil
    }

    /// For regression data, MSE, MAE and R² of the final parameters on the training and test
    /// splits, on the targets' original scale; `nil` for classes.
    private func regressionMetrics(of trainer: Trainer) -> (train: RegressionMetrics, test: RegressionMetrics?)? {
        guard model.lossKind.isRegression else { return nil }
        let parameters = trainer.variables.map(\.value)
        func metrics(_ dataset: Dataset) -> RegressionMetrics {
            // The trainer's own inference pass, on its threads, as its evaluations run.
            let output = trainer.engine.inference.outputs(of: model, parameters: parameters, inputs: dataset.features)
            return RegressionMetrics(output: output, targets: dataset.targets, standardizer: targetStandardizer)
        }
        return (metrics(data.train), data.test.count > 0 ? metrics(data.test) : nil)
    }

    private static func format(_ value: Double) -> String { formatted(value, "%.6g") }

    /// The most evaluations a report's `history` keeps, the last ones: a 5000-epoch run's whole
    /// history would make the report hundreds of kilobytes, and `metrics.jsonl` holds it all.
    static let historyLimit = 100

    // MARK: Reading

    /// An error about a value that overrides `training.<key>` from outside the file.
    private static func overrideError(_ context: ConfigContext, _ key: String, _ message: String) -> ConfigError {
        ConfigError(
            .invalidValue, file: context.file, position: nil,
            keyPath: ConfigKeyPath([.key("training"), .key(key)]), message: "the override \(message)")
    }

    private static func readData(
        _ data: inout ConfigObject, context: ConfigContext, seed: UInt64, budget: MemoryBudget?, description: inout String,
        standardizer: inout Standardizer?, inputs: inout [AtomicFile.Input], warnings: inout [String]
    ) throws -> DatasetSplit {
        try DataSection.refuseOldKeys(data)
        let source = try data.require("source", as: String.self, .oneOf(sources))
        var dataset: Dataset
        switch source {
        case "digits":
            let path = try context.existingFile(in: &data, key: "path")
            dataset = try Dataset.digits(path: path)
            // The format names ten classes whatever the file holds: a file of one digit is
            // refused as a csv file of one class is.
            let present = (dataset.classCounts ?? []).enumerated().filter { $0.element > 0 }.map(\.offset)
            if present.count < classCounts.lowerBound {
                throw context.error(in: data, key: "path", "'\(path)' has only one class (\(Self.classList(present.map(dataset.classLabel(of:))))); a classifier needs at least two classes")
            }
            description = "digits from '\(path)'"
            inputs.append(AtomicFile.Input(path, role: "data file"))
        case "csv":
            let path = try context.existingFile(in: &data, key: "path")
            let hasHeader = try DataSection.readHeader(&data)
            let label = try DataSection.readLabel(&data, hasHeader: hasHeader, context: context)
            let kindGiven = data.contains("kind")
            let kind = try data.optional("kind", as: String.self, default: "classes", .oneOf(["classes", "regression"]))
            let headerLooksLikeData: Bool
            do {
                (dataset, headerLooksLikeData) = try Dataset.loadCSVCheckingHeader(
                    path: path, hasHeader: hasHeader, labelColumn: label,
                    labels: kind == "classes" ? .classes : .regression, classLimit: classCounts.upperBound,
                    memory: try DataSection.csvMemory(budget))
            } catch let error as DatasetError {
                switch error.reason {
                case .fractionalClassLabel, .classLabelBeyondExactIntegers, .tooManyClasses:
                    throw context.error(in: data, key: "kind", "\(error); set \"kind\": \"regression\" to predict the column as a number")
                default: throw DataSection.columnError(error, in: data, context: context, keys: label.map { [("label", $0)] } ?? [])
                }
            }
            warnings += DataSection.headerWarnings(path: path, dataset: dataset, headerLooksLikeData: headerLooksLikeData, labelGiven: label != nil)
            if let classes = dataset.classCount, classes < classCounts.lowerBound {
                throw context.error(in: data, key: "path", "'\(path)' has only one class (\(Self.shownLabel(dataset.classLabel(of: 0)))); a classifier needs at least two classes (or \"kind\": \"regression\")")
            }
            if !kindGiven, let warning = manyClassesWarning(dataset, path: path) { warnings.append(warning) }
            description = "'\(path)'"
            inputs.append(AtomicFile.Input(path, role: "data file"))
        default:
            try data.requirePresent(
                ["source", "examples", "features", "classes"], optional: ["labels", "seed", "test_fraction", "split", "standardize"])
            let examples = try data.require("examples", as: Int.self, .in(1...10_000_000))
            let features = try data.require("features", as: Int.self, .in(1...1_000_000))
            let classes = try data.require("classes", as: Int.self, .in(2...classCounts.upperBound))
            let labels = try data.optional("labels", as: String.self, default: "teacher", .oneOf(["teacher", "uniform"]))
            let dataSeed = try data.optional("seed", as: Int.self, .nonNegative).map(UInt64.init) ?? seed
            // The examples, their split copy and a standardised copy; the teacher's weights.
            var estimate = MemoryEstimate()
            estimate.add("examples and their copies", examples, features + 1, 3 * MemoryLayout<Float>.size)
            // The teacher's weights, and their copy in Double padded to whole pairs of classes.
            if labels == "teacher" { estimate.add("the teacher's weights", features, classes + 1, MemoryLayout<Float>.size + MemoryLayout<Double>.size) }
            try (budget ?? MemoryBudget.current()).check(
                estimate, "'\(context.file)': synthetic data of \(examples) examples of \(features) features",
                advice: "make data.examples or data.features smaller")
            dataset = Dataset.synthetic(
                examples: examples, features: features, classes: classes, seed: dataSeed,
                labels: labels == "teacher" ? .teacher : .uniform)
            description = "synthetic \(examples) x \(features), \(classes) classes"
        }
        let defaults = source == "synthetic"
            ? SplitDefaults(testFraction: 0, order: .shuffled, standardization: .none)
            : SplitDefaults(testFraction: 0.2, order: .shuffled, standardization: .trainRows)
        let split: DatasetSplit
        (split, standardizer) = try DataSection.split(
            consume dataset, reading: &data, defaults: defaults, seed: seed, rowName: "examples", context: context)
        return split
    }

    /// The most distinct integer labels a class column has before ``manyClassesWarning(_:path:)``
    /// looks at it, and the share of its rows that distinct labels must pass on top.
    static let manyClassesRule = (classes: 50, fraction: 0.05, fewest: 10)

    /// A warning for a column taken as classes (`kind` absent) whose labels are integers with
    /// many distinct values for its rows: more than 50, or more than 10 that make up more than
    /// 5 % of the rows. Such a column is likelier a count or a price to regress than classes;
    /// `nil` when the labels are text or few.
    static func manyClassesWarning(_ dataset: Dataset, path: String) -> String? {
        guard let classes = dataset.classCount, let names = dataset.classNames, names.allSatisfy({ Int($0) != nil }) else { return nil }
        let rule = manyClassesRule
        guard classes > rule.classes || (classes > rule.fewest && Double(classes) > rule.fraction * Double(dataset.count)) else { return nil }
        let column = dataset.labelName.map { "column '\($0)'" } ?? "the label column"
        return "warning: \(column) of '\(path)' has \(classes) distinct integer values in \(dataset.count) rows, so it is read as \(classes) classes; if it is a quantity to predict, set \"kind\": \"regression\" in data (\"kind\": \"classes\" keeps the classes and this warning away)"
    }

    /// The largest target magnitude a squared error is safe from at Float32: twice it, squared,
    /// is within a factor of 100 of `Float.greatestFiniteMagnitude`.
    static let largestUnscaledTarget: Float = 1e18

    /// The warning for regression targets so large that their squared errors overflow a Float,
    /// so that a model trained on them by mean squared error diverges at its first step.
    static func unscaledTargetWarning(_ train: Dataset, description: String) -> String? {
        guard let largest = train.targets.scalars.max(by: { abs($0) < abs($1) }).map(abs), largest > largestUnscaledTarget else { return nil }
        return "warning: the targets of \(description) reach \(largest), whose squared errors come within a factor of 100 of a 32-bit float's range (\(Float.greatestFiniteMagnitude)), so mean squared error overflows on the first steps; set \"standardize_target\": true in model to learn them on a standard scale"
    }

    /// The examples `test_fraction` holds out: ⌈fraction × count⌉, where a product within
    /// rounding error of a whole number counts as that number (0.9 × 10 holds out 9, not 10).
    static func heldOutCount(fraction: Double, of count: Int) -> Int {
        let exact = fraction * Double(count)
        let nearest = exact.rounded()
        let heldOut = abs(exact - nearest) <= 1e-9 * Swift.max(1, Double(count)) ? Int(nearest) : Int(exact.rounded(.up))
        // ⌈fraction × rows⌉ is at least 1 for any fraction above 0, however small.
        return fraction > 0 ? Swift.max(heldOut, 1) : heldOut
    }

    /// The config names of the losses a `model` may name in `loss`, in the order messages list
    /// them.
    package static let losses: [(name: String, kind: LossKind)] = [
        ("softmax_cross_entropy", .softmaxCrossEntropy), ("sigmoid_cross_entropy", .sigmoidCrossEntropy),
        ("mean_squared_error", .meanSquaredError), ("mean_absolute_error", .meanAbsoluteError),
    ]
    /// The config name of a loss a model is trained with (`mean_squared_error` for the half form,
    /// which no train config makes).
    static func lossName(of kind: LossKind) -> String {
        losses.first { $0.kind == kind }?.name ?? "mean_squared_error"
    }

    /// Reads a `model` object for data of `features` features and `classes` classes (`nil` for
    /// regression); a saved model's architecture is read back by it too.
    ///
    /// The loss follows the data unless `loss` names one: softmax cross-entropy on the classes
    /// (one logit per class), except a `logistic` model on two classes, which has one logit and
    /// sigmoid cross-entropy; mean squared error on real-valued labels. `softmax` is `logistic`
    /// with softmax cross-entropy whatever the number of classes. A loss that does not fit the
    /// data or the type is an error naming `loss`.
    static func readModel(
        _ object: inout ConfigObject, features: Int, classes: Int?, context: ConfigContext, seed: UInt64, description: String
    ) throws -> any Model {
        let type = try object.require("type", as: String.self, .oneOf(modelTypes))
        if let inputSize = try object.optional("input_size", as: Int.self, .positive), inputSize != features {
            throw context.error(in: object, key: "input_size", "the model takes \(inputSize) features but the data (\(description)) has \(features); expected input_size \(features)")
        }
        let lossKind = try readLoss(&object, type: type, classes: classes, context: context, description: description)
        let outputs = lossKind == .softmaxCrossEntropy ? classes ?? 1 : 1
        if let outputSize = try object.optional("output_size", as: Int.self, .positive), outputSize != outputs {
            throw context.error(in: object, key: "output_size", "the model gives \(outputSize) outputs but the data (\(description)) needs \(outputs)")
        }
        if type == "sequential" {
            return try SequentialModelSpec.read(
                &object, features: features, outputs: outputs, lossKind: lossKind, seed: seed, context: context, description: description)
        }
        var hidden: [Int] = []
        if type == "mlp" {
            hidden = try object.require("hidden_layers", as: [Int].self, .nonEmpty)
            guard hidden.count < layerCounts.upperBound else {
                throw context.error(in: object, key: "hidden_layers", "a model has at most \(layerCounts.upperBound) layers, so at most \(layerCounts.upperBound - 1) hidden ones; found \(hidden.count)")
            }
            if let bad = hidden.first(where: { !unitCounts.contains($0) }) {
                throw context.error(in: object, key: "hidden_layers", "every layer needs between \(unitCounts.lowerBound) and \(unitCounts.upperBound) units, found \(bad)")
            }
        }
        let activationName = try object.optional("activation", as: String.self, default: "relu", .oneOf(Activation.allCases.map(\.rawValue)))
        let initializerName = try object.optional(
            "initializer", as: String.self, default: type == "mlp" ? "he_normal" : "glorot_uniform",
            .oneOf(initializers.keys.sorted()))
        return MLP(
            layerSizes: [features] + hidden + [outputs], hiddenActivation: Activation(rawValue: activationName)!,
            weightInitializer: initializers[initializerName]!, lossKind: lossKind, seed: seed)
    }

    /// Reads a model's `loss`, or picks the one its type and the data call for.
    private static func readLoss(
        _ object: inout ConfigObject, type: String, classes: Int?, context: ConfigContext, description: String
    ) throws -> LossKind {
        // Real-valued labels, or a linear model, which regresses even on class numbers.
        let regresses = classes == nil || type == "linear"
        if regresses && (type == "logistic" || type == "softmax") {
            throw context.error(in: object, key: "type", "a '\(type)' model classifies, but the data (\(description)) has real-valued labels; expected \"type\": \"linear\", \"mlp\" or \"sequential\" for regression, or class labels")
        }
        let standard: LossKind = regresses ? .meanSquaredError : type == "logistic" && classes == 2 ? .sigmoidCrossEntropy : .softmaxCrossEntropy
        // Read with the loss the data calls for as its default, which `swiftgrad validate` shows.
        let name = try object.optional("loss", as: String.self, default: lossName(of: standard), .oneOf(losses.map(\.name)))
        let named = losses.first { $0.name == name }?.kind ?? standard
        guard let classes, !regresses else {
            guard named.isRegression else {
                let reason = classes == nil ? "the data (\(description)) has real-valued labels" : "a 'linear' model fits values"
                throw context.error(in: object, key: "loss", "'\(lossName(of: named))' needs classes but \(reason); expected \"mean_squared_error\" or \"mean_absolute_error\"")
            }
            return named
        }
        switch named {
        case .softmaxCrossEntropy:
            return named
        case .sigmoidCrossEntropy:
            guard classes == 2 else {
                throw context.error(in: object, key: "loss", "'sigmoid_cross_entropy' separates two classes but the data (\(description)) has \(classes); expected \"softmax_cross_entropy\"")
            }
            guard type != "softmax" else {
                throw context.error(in: object, key: "loss", "a 'softmax' model gives one logit per class; expected \"type\": \"logistic\" for one sigmoid output")
            }
            return named
        default:
            throw context.error(in: object, key: "loss", "'\(lossName(of: named))' fits real values but the data (\(description)) has \(classes) classes; expected \"softmax_cross_entropy\"\(classes == 2 ? " or \"sigmoid_cross_entropy\"" : ""), or \"kind\": \"regression\" in data")
        }
    }
}

/// `training.batch_size`: a number of examples, or `"full"` for the whole training split.
enum BatchSizeSelection: ConfigValue {
    case examples(Int)
    case full

    static var expectedDescription: String {
        "an integer in [\(TrainingOptions.batchSizes.lowerBound), \(TrainingOptions.batchSizes.upperBound)] or \"full\""
    }
    static var pluralDescription: String { "integers or \"full\"" }

    static func decode(_ node: ConfigNode) throws -> BatchSizeSelection {
        if let text = node.value.stringValue {
            guard text == "full" else { throw node.invalidValue(expected: expectedDescription) }
            return .full
        }
        guard case .number = node.value.kind else { throw node.typeMismatch(expected: expectedDescription) }
        return .examples(try Int.decode(node))
    }
}
