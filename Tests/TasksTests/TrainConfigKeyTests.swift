import _TestSupport
import ConfigKit
import Foundation
import SwiftGrad
import Tasks
import Testing

/// `"task": "train"`: every key of the config reference that no other test reads through a config file
/// is read here from a real JSON file and takes effect. Each test checks something that would
/// change were the key ignored or misread: the options, data, model or optimizer the loaded task
/// holds, a learning rate against its formula, step and evaluation counts, or the digest of a run
/// against one of a config that differs only in that key. The data are a few dozen synthetic
/// examples or a ten-row CSV, so the whole suite runs in seconds.
@Suite struct TrainConfigKeyTests {
    // MARK: Helpers

    /// A small synthetic data set: 64 examples of 4 features in 3 classes.
    private static let syntheticData = #"{"source": "synthetic", "examples": 64, "features": 4, "classes": 3}"#

    /// Ten rows of class data with the label between the features: `a` is 1…10 and `b` ten
    /// times that, so their means (5.5 and 55) are far from 0.
    private static let classesCSV = "a,label,b\n" + (1...10).map { "\($0),\($0 % 3),\($0 * 10)" }.joined(separator: "\n") + "\n"

    /// Ten rows of regression data, `y = 2a − b + 1` exactly.
    private static let regressionCSV: String = {
        let b = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
        return "a,b,y\n" + (1...10).map { "\($0),\(b[$0 - 1]),\(2 * $0 - b[$0 - 1] + 1)" }.joined(separator: "\n") + "\n"
    }()

    /// A train config from its four objects (each a JSON object's text; `optimizer` may be left out).
    private func config(
        data: String = syntheticData, model: String = #"{"type": "logistic"}"#, optimizer: String? = nil,
        training: String = #"{"epochs": 1, "batch_size": 16}"#
    ) -> String {
        var lines = [#"  "task": "train""#, #"  "data": \#(data)"#, #"  "model": \#(model)"#]
        if let optimizer { lines.append(#"  "optimizer": \#(optimizer)"#) }
        lines.append(#"  "training": \#(training)"#)
        return "{\n" + lines.joined(separator: ",\n") + "\n}\n"
    }

    /// Writes `json` as `train.json` (beside `files`) into a fresh directory and loads it.
    private func load(_ json: String, files: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws -> TrainTask {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (name, text) in files { try directory.write(name, text) }
        let path = try directory.write("train.json", json)
        return try #require(try TaskLoader.load(path: path, options: RunOptions(verbosity: .quiet)) as? TrainTask, sourceLocation: sourceLocation)
    }

    /// Runs a loaded task quietly; returns the report and its written JSON object.
    private func run(_ task: TrainTask) throws -> (report: TaskReport, object: [String: Any]) {
        let options = RunOptions(verbosity: .quiet)
        let report = try task.run(options: options) { _ in }
        #expect(report.task == "train")
        return (report, try writtenReport(report).object)
    }

    /// The evaluated epochs of a report's `history`.
    private func evaluatedEpochs(_ object: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) throws -> [Int] {
        try #require(object["history"] as? [[String: Any]], sourceLocation: sourceLocation).compactMap { $0["epoch"] as? Int }
    }

    /// The schedule of the optimizer a task makes, failing when its rate is a constant.
    private func schedule(_ task: TrainTask, sourceLocation: SourceLocation = #_sourceLocation) throws -> any LearningRateSchedule {
        var schedule: (any LearningRateSchedule)?
        if case .scheduled(let scheduled) = task.optimizer.make().learningRate { schedule = scheduled }
        return try #require(schedule, "the optimizer has a constant learning rate, not a schedule", sourceLocation: sourceLocation)
    }

    /// The learning rates of the task's optimizer at `steps`.
    private func rates(_ task: TrainTask, at steps: [Int]) -> [Float] {
        let rate = task.optimizer.make().learningRate
        return steps.map { rate.value(at: $0) }
    }

    /// The features of ``classesCSV``'s rows `numbers` (counted from 1), row after row.
    private func classesFeatures(_ numbers: ClosedRange<Int>) -> [Float] {
        numbers.flatMap { number -> [Float] in [Float(number), Float(number * 10)] }
    }

    /// The column means of a dataset's features.
    private func columnMeans(_ dataset: Dataset) -> [Double] {
        let values = dataset.features.scalars, columns = dataset.featureCount
        return (0..<columns).map { column in
            stride(from: column, to: values.count, by: columns).reduce(0) { $0 + Double(values[$1]) } / Double(dataset.count)
        }
    }

    // MARK: training

    @Test func scaleLearningRateMultipliesTheRateByBatchTimesAccumulationOverTheBase() throws {
        let optimizer = #"{"name": "sgd", "learning_rate": 0.05}"#
        // 0.05 × 32 × 2 / 16 = 0.2.
        let scaled = try load(config(optimizer: optimizer, training: #"""
            {"batch_size": 32, "gradient_accumulation": 2, "scale_learning_rate": true, "base_batch_size": 16}
            """#))
        #expect(scaled.optimizer.learningRate == 0.2)
        #expect(rates(scaled, at: [0, 5]) == [0.2, 0.2])
        // Off by default: the base batch alone changes nothing.
        let unscaled = try load(config(optimizer: optimizer, training: #"{"batch_size": 32, "gradient_accumulation": 2, "base_batch_size": 16}"#))
        #expect(unscaled.optimizer.learningRate == 0.05)
        #expect(rates(unscaled, at: [0]) == [0.05])
        // The scaled rate is the one the schedule starts from.
        let scheduled = try load(config(
            optimizer: #"{"name": "sgd", "learning_rate": 0.05, "schedule": {"type": "step", "step_size": 4, "gamma": 0.5}}"#,
            training: #"{"batch_size": 32, "scale_learning_rate": true, "base_batch_size": 16}"#))
        #expect(rates(scheduled, at: [0, 4]) == [0.1, 0.05])
    }

    @Test func baseBatchSizeDefaultsTo256AndScalesTheDefaultAdamRate() throws {
        // No optimizer: Adam's 0.001, × 64 × 2 / 256 = 0.0005.
        let byDefault = try load(config(training: #"{"batch_size": 64, "gradient_accumulation": 2, "scale_learning_rate": true}"#))
        #expect(byDefault.optimizer.name == "adam")
        #expect(byDefault.optimizer.learningRate == 0.0005)
        #expect(rates(byDefault, at: [0]) == [0.0005])
        // A base of 32 makes the same batch four times the rate.
        let base32 = try load(config(training: #"{"batch_size": 64, "gradient_accumulation": 2, "scale_learning_rate": true, "base_batch_size": 32}"#))
        #expect(base32.optimizer.learningRate == 0.004)
        #expect(rates(base32, at: [0]) == [0.004])
    }

    @Test func gradientAccumulationSumsBatchesIntoOneOptimizerStep() throws {
        let optimizer = #"{"name": "sgd", "learning_rate": 0.1}"#
        let accumulated = try load(config(optimizer: optimizer, training: #"{"batch_size": 16, "gradient_accumulation": 2}"#))
        #expect(accumulated.options.gradientAccumulation == 2)
        #expect(accumulated.options.effectiveBatchSize == 32)
        let (accumulatedReport, accumulatedObject) = try run(accumulated)
        // 64 examples: 4 batches of 16, summed in pairs into 2 steps.
        #expect(accumulatedObject["steps"] as? Int == 2)

        // Every epoch visits the rows in an order that does not depend on the batch size, so two
        // batches of 16 summed are one batch of 32, up to the order of the additions.
        let (wholeReport, wholeObject) = try run(load(config(optimizer: optimizer, training: #"{"batch_size": 32}"#)))
        #expect(wholeObject["steps"] as? Int == 2)
        assertClose(accumulatedReport.parameters.flatMap(\.values), wholeReport.parameters.flatMap(\.values), rtol: 1e-4, atol: 1e-6)
        let (_, separateObject) = try run(load(config(optimizer: optimizer, training: #"{"batch_size": 16}"#)))
        #expect(separateObject["steps"] as? Int == 4)
        #expect(try parameterDigest(separateObject) != parameterDigest(accumulatedObject))

        // Five batches of 16 per epoch: the last step of each epoch has one batch.
        let uneven = try load(config(
            data: #"{"source": "synthetic", "examples": 80, "features": 4, "classes": 3}"#, optimizer: optimizer,
            training: #"{"epochs": 2, "batch_size": 16, "gradient_accumulation": 2}"#))
        #expect(try run(uneven).object["steps"] as? Int == 6)
    }

    @Test func evaluateEveryEvaluatesEveryNEpochsAndAfterTheLast() throws {
        let everySecond = try load(config(training: #"{"epochs": 5, "batch_size": 32, "evaluate_every": 2}"#))
        #expect(everySecond.options.evaluateEvery == 2)
        #expect(try evaluatedEpochs(run(everySecond).object) == [2, 4, 5])
        let everyEpoch = try load(config(training: #"{"epochs": 5, "batch_size": 32}"#))
        #expect(try evaluatedEpochs(run(everyEpoch).object) == [1, 2, 3, 4, 5])
    }

    @Test func trainMetricsChoosesWhatTheTrainFiguresMeasureAndNothingElse() throws {
        let batches = try load(config(training: #"{"epochs": 3, "batch_size": 16}"#))
        #expect(batches.options.trainMetrics == .trainingBatches, "Keras's figures by default")
        let pass = try load(config(training: #"{"epochs": 3, "batch_size": 16, "train_metrics": "evaluation_pass"}"#))
        #expect(pass.options.trainMetrics == .evaluationPass)
        let (_, fromBatches) = try run(batches)
        let (_, fromPass) = try run(pass)
        #expect(fromBatches["train_metrics"] as? String == "training_batches")
        #expect(fromPass["train_metrics"] as? String == "evaluation_pass")
        #expect(fromBatches["parameter_digest"] as? String == fromPass["parameter_digest"] as? String, "the same training")
        #expect(fromBatches["test_loss"] as? Double == fromPass["test_loss"] as? Double, "the same test pass")
        #expect(fromBatches["train_loss"] as? Double != fromPass["train_loss"] as? Double)
        #expect(batches.configHash == pass.configHash, "a run may be resumed with the other choice")
        let error = try #require(throws: ConfigError.self) {
            try load(config(training: #"{"epochs": 1, "batch_size": 16, "train_metrics": "evaluation"}"#))
        }
        #expect("\(error)".contains("key path 'training.train_metrics'") && "\(error)".contains("evaluation_pass"), "\(error)")
    }

    @Test func stepsStopsTheRunAfterThatManyOptimizerSteps() throws {
        // 4 steps an epoch: step 6 falls in the middle of the second epoch.
        let task = try load(config(training: #"{"batch_size": 16, "steps": 6}"#))
        #expect(task.options.maxSteps == 6)
        #expect(task.options.epochs == 2)
        #expect(task.lengthDescription == "6 steps (= 2 epochs of 4 batches, the last cut to 2)")
        let (_, object) = try run(task)
        #expect(object["steps"] as? Int == 6)
        #expect(object["epochs"] as? Int == 2)
        #expect(try evaluatedEpochs(object) == [1, 2], "the epoch the run stops in is evaluated as the last")
        let unlimitedTask = try load(config(training: #"{"epochs": 3, "batch_size": 16}"#))
        #expect(unlimitedTask.lengthDescription == "3 epochs of 4 batches (= 12 steps)")
        #expect(try run(unlimitedTask).object["steps"] as? Int == 12)

        // Optimizer steps, not batches: 3 steps of 2 batches each.
        let accumulated = try load(config(training: #"{"batch_size": 16, "gradient_accumulation": 2, "steps": 3}"#))
        #expect(try run(accumulated).object["steps"] as? Int == 3)
    }

    @Test func stepsAloneTrainsThatManyStepsWhateverTheEpochs() throws {
        // One batch per epoch: 300 steps are 300 epochs, not the one epoch's single step.
        let task = try load(config(training: #"{"batch_size": 64, "steps": 30, "evaluate_every": 10}"#))
        #expect(task.options.epochs == 30)
        #expect(task.lengthDescription == "30 steps (= 30 epochs of 1 batch)")
        let resolved = try #require(task.resolvedDescription["training"]?.objectValue, "validate shows what steps come to")
        #expect(resolved["epochs"]?.intValue == 30 && resolved["steps"]?.intValue == 30 && resolved["batch_size"]?.intValue == 64)
        let (_, object) = try run(task)
        #expect(object["steps"] as? Int == 30)
        #expect(object["epochs"] as? Int == 30)
        // More epochs than a run may have are refused at `steps`.
        let tooMany = try #require(throws: ConfigError.self) { try load(config(training: #"{"batch_size": 64, "steps": 2000000}"#)) }
        #expect("\(tooMany)".contains("key path 'training.steps': 2000000 steps of 1 per epoch take 2000000 epochs; expected at most 1000000 epochs"), "\(tooMany)")
    }

    @Test func stepsAndEpochsTogetherAreAnErrorNamingBoth() throws {
        let error = try #require(throws: ConfigError.self) { try load(config(training: #"{"epochs": 3, "batch_size": 16, "steps": 6}"#)) }
        #expect("\(error)".contains("key path 'training.epochs': training.epochs and training.steps are both given; expected one of them"), "\(error)")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("train.json", config(training: #"{"batch_size": 16, "steps": 6}"#))
        let override = try #require(throws: ConfigError.self) { try TaskLoader.load(path: path, options: RunOptions(epochs: 2)) }
        #expect("\(override)".contains("key path 'training.epochs': the override --epochs 2 conflicts with training.steps"), "\(override)")
    }

    @Test func aRunPrintsHowLongItTrains() throws {
        var lines: [String] = []
        _ = try load(config(training: #"{"batch_size": "full", "steps": 3}"#)).run(options: RunOptions()) { lines.append($0) }
        #expect(lines.contains("training: 3 steps (= 3 epochs of 1 batch)"), "\(lines)")
        var quiet: [String] = []
        _ = try load(config(training: #"{"batch_size": "full", "steps": 3}"#)).run(options: RunOptions(verbosity: .quiet)) { quiet.append($0) }
        #expect(quiet.count == 1 && quiet[0].hasPrefix("trained 3 steps"), "--quiet prints the result line only: \(quiet)")
    }

    @Test func batchSizeFullIsTheWholeTrainingSplitAndALargerOneANote() throws {
        let full = try load(config(data: #"{"source": "synthetic", "examples": 64, "features": 4, "classes": 3, "test_fraction": 0.25}"#, training: #"{"batch_size": "full"}"#))
        #expect(full.options.batchSize == 48)
        #expect(full.warnings.isEmpty)
        let larger = try load(config(training: #"{"batch_size": 1000}"#))
        #expect(larger.options.stepsPerEpoch(examples: 64) == 1)
        #expect(larger.warnings == [#"note: training.batch_size 1000 is larger than the training split (64 examples), so each batch is the whole split ("batch_size": "full" says so)"#])
        let error = try #require(throws: ConfigError.self) { try load(config(training: #"{"batch_size": "all"}"#)) }
        #expect("\(error)".contains(#"key path 'training.batch_size': expected an integer in [1, 10000000] or "full", found "all""#), "\(error)")
    }

    @Test func kernelThreadsSetsTheThreadsOfEachWorkersKernels() throws {
        let configured = try load(config(training: #"{"batch_size": 16, "workers": 2, "kernel_threads": 2}"#))
        #expect(configured.options.kernelThreads == 2)
        #expect(configured.options.engineConfiguration.resolvedKernelThreads == 2)
        let trainer = Trainer(model: configured.model, data: configured.data, optimizer: configured.optimizer.make(), options: configured.options)
        #expect(trainer.engine.configuration.resolvedKernelThreads == 2)

        // Without the key: one kernel thread for each of several workers, every core for one.
        let automatic = try load(config(training: #"{"batch_size": 16, "workers": 2}"#))
        #expect(automatic.options.kernelThreads == nil)
        #expect(automatic.options.engineConfiguration.resolvedKernelThreads == 1)
        let single = try load(config(training: #"{"batch_size": 16, "kernel_threads": 1}"#))
        #expect(single.options.engineConfiguration.resolvedKernelThreads == 1)
        let singleAutomatic = try load(config(training: #"{"batch_size": 16}"#))
        #expect(singleAutomatic.options.engineConfiguration.resolvedKernelThreads == max(1, ProcessInfo.processInfo.activeProcessorCount))

        // The kernels split work over output blocks only, so the bits stay the same.
        #expect(try parameterDigest(run(configured).object) == parameterDigest(run(automatic).object))
    }

    @Test func aRunSaysWhenWorkersOutnumberTheMicroShards() throws {
        func header(_ training: String) throws -> [String] {
            var lines: [String] = []
            _ = try load(config(training: training)).run(options: RunOptions()) { lines.append($0) }
            return lines
        }
        // Batches of 16 make one micro-shard by the automatic rule (one per 128 examples).
        let automatic = try header(#"{"batch_size": 16, "workers": 4}"#)
        #expect(automatic.contains("4 workers, batch 16, 1 micro-shard (by batch size), deterministic"), "\(automatic)")
        #expect(automatic.contains("note: each batch has 1 micro-shard, so only 1 of the 4 workers has work; set training.micro_shards to cut batches finer"))
        let two = try header(#"{"batch_size": 16, "workers": 4, "micro_shards": 2}"#)
        #expect(two.contains("note: each batch has 2 micro-shards, so only 2 of the 4 workers have work; set training.micro_shards to cut batches finer"), "\(two)")
        let enough = try header(#"{"batch_size": 16, "workers": 4, "micro_shards": 4}"#)
        #expect(enough.contains("4 workers, batch 16, 4 micro-shards, deterministic"), "\(enough)")
        #expect(!enough.contains { $0.hasPrefix("note:") })
    }

    // MARK: optimizer

    @Test func clipGlobalNormClipsTheGradientsBeforeEachStep() throws {
        let clipped = try load(config(optimizer: #"{"name": "sgd", "learning_rate": 0.5, "clip_global_norm": 0.001}"#))
        let optimizer = try #require(clipped.optimizer.make() as? OptimizerBase)
        #expect(optimizer.clipping == .byGlobalNorm(0.001))
        #expect(!optimizer.canApplyPartitioned, "clipping by global norm needs whole gradients")
        let plain = try load(config(optimizer: #"{"name": "sgd", "learning_rate": 0.5}"#))
        #expect(try #require(plain.optimizer.make() as? OptimizerBase).clipping == GradientClipping.none)
        // A limit far below the gradients' norm changes the run.
        #expect(try parameterDigest(run(clipped).object) != parameterDigest(run(plain).object))
    }

    @Test func aConstantScheduleKeepsTheRateAfterItsWarmUp() throws {
        let constant = try load(config(optimizer: #"{"name": "sgd", "learning_rate": 0.1, "schedule": {"type": "constant"}}"#))
        #expect(rates(constant, at: [0, 7, 1000]) == [0.1, 0.1, 0.1])
        // Warm-up: linear from 0, half the rate halfway.
        let warm = try load(config(optimizer: #"{"name": "sgd", "learning_rate": 0.1, "schedule": {"type": "constant", "warmup_steps": 4}}"#))
        let warmRates = rates(warm, at: [0, 1, 2, 4, 100])
        assertClose(warmRates, [0, 0.025, 0.05, 0.1, 0.1], rtol: 1e-6, atol: 0)
        #expect(try parameterDigest(run(warm).object) != parameterDigest(run(constant).object))
    }

    @Test func aStepScheduleMultipliesTheRateByGammaEveryStepSize() throws {
        let halving = try load(config(optimizer: #"{"name": "sgd", "learning_rate": 0.1, "schedule": {"type": "step", "step_size": 3, "gamma": 0.5}}"#))
        #expect(try schedule(halving) is StepDecay)
        assertClose(rates(halving, at: [0, 2, 3, 5, 6, 9]), [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125], rtol: 1e-6, atol: 0)
        // gamma defaults to 0.1.
        let tenfold = try load(config(optimizer: #"{"name": "sgd", "learning_rate": 0.1, "schedule": {"type": "step", "step_size": 3}}"#))
        assertClose(rates(tenfold, at: [2, 3, 6]), [0.1, 0.01, 0.001], rtol: 1e-6, atol: 0)
        // With a warm-up the decays start after it.
        let warm = try load(config(optimizer: #"{"name": "sgd", "learning_rate": 0.1, "schedule": {"type": "step", "step_size": 3, "gamma": 0.5, "warmup_steps": 2}}"#))
        assertClose(rates(warm, at: [0, 1, 2, 4, 5, 8]), [0, 0.05, 0.1, 0.1, 0.05, 0.025], rtol: 1e-6, atol: 0)
    }

    @Test func anExponentialScheduleDecaysByDecayRateEveryDecaySteps() throws {
        let smooth = try load(config(optimizer: #"""
            {"name": "sgd", "learning_rate": 0.1, "schedule": {"type": "exponential", "decay_steps": 4, "decay_rate": 0.5}}
            """#))
        #expect(try schedule(smooth) is ExponentialDecay)
        assertClose(rates(smooth, at: [0, 2, 4, 8]), [0.1, Float(0.1 * 0.5.squareRoot()), 0.05, 0.025], rtol: 1e-6, atol: 0)
        let staircase = try load(config(optimizer: #"""
            {"name": "sgd", "learning_rate": 0.1, "schedule": {"type": "exponential", "decay_steps": 4, "decay_rate": 0.5, "staircase": true}}
            """#))
        assertClose(rates(staircase, at: [0, 2, 3, 4, 7, 8]), [0.1, 0.1, 0.1, 0.05, 0.05, 0.025], rtol: 1e-6, atol: 0)
    }

    @Test func aCosineScheduleReachesAlphaTimesTheRateOverTheRunsStepsAfterTheWarmUp() throws {
        // 64 examples in batches of 16 for 3 epochs: 12 steps, 4 of warm-up, 8 of cosine.
        let optimizer = #"{"name": "sgd", "learning_rate": 0.1, "schedule": {"type": "cosine", "alpha": 0.1, "warmup_steps": 4}}"#
        let task = try load(config(optimizer: optimizer, training: #"{"epochs": 3, "batch_size": 16}"#))
        let warmup = try #require(try schedule(task) as? LinearWarmup)
        #expect(warmup.warmupSteps == 4)
        let cosine = try #require(warmup.schedule as? CosineDecay)
        #expect(cosine.decaySteps == 8)
        #expect(cosine.alpha == 0.1)
        // Warm-up to the rate, then halfway down the cosine at step 4 + 4, the floor 0.1 × 0.1 at 12.
        assertClose(rates(task, at: [0, 2, 4, 8, 12, 20]), [0, 0.05, 0.1, 0.055, 0.01, 0.01], rtol: 1e-5, atol: 0)

        // The optimizer of a run of the task's own parts has taken all 12 steps and stands at the floor.
        let trainer = Trainer(model: task.model, data: task.data, optimizer: task.optimizer.make(), options: task.options)
        let summary = trainer.run()
        #expect(summary.steps == 12)
        #expect(trainer.optimizer.iterations == 12)
        assertClose(trainer.optimizer.currentLearningRate, 0.01, rtol: 1e-5, atol: 0)

        // The run's steps count `training.steps`, and an explicit decay_steps wins.
        let stopped = try load(config(optimizer: optimizer, training: #"{"batch_size": 16, "steps": 10}"#))
        let stoppedWarmup = try #require(try schedule(stopped) as? LinearWarmup)
        #expect((stoppedWarmup.schedule as? CosineDecay)?.decaySteps == 6)
        let explicit = try load(config(
            optimizer: #"{"name": "sgd", "learning_rate": 0.1, "schedule": {"type": "cosine", "decay_steps": 20}}"#,
            training: #"{"epochs": 3, "batch_size": 16}"#))
        let explicitCosine = try #require(try schedule(explicit) as? CosineDecay, "no warm-up, no LinearWarmup")
        #expect(explicitCosine.decaySteps == 20)
        #expect(explicitCosine.alpha == 0)
        assertClose(rates(explicit, at: [0, 10, 20]), [0.1, 0.05, 0], rtol: 1e-5, atol: 1e-9)
    }

    // MARK: data

    @Test func aCSVSourceReadsTheHeaderAndTheLabelColumn() throws {
        let task = try load(
            config(data: #"{"source": "csv", "path": "rows.csv", "label": "label", "split": "file_order", "test_fraction": 0, "standardize": "none"}"#),
            files: ["rows.csv": Self.classesCSV])
        let train = task.data.train
        #expect(train.count == 10, "the header is not a row")
        #expect(task.data.test.count == 0)
        #expect(train.featureNames == ["a", "b"])
        #expect(train.classCount == 3)
        #expect(train.classLabels == (1...10).map { $0 % 3 })
        #expect(train.features.scalars == classesFeatures(1...10))
        #expect(task.model.parameterShapes == [[2, 3], [3]])
        #expect(try run(task).object["train_accuracy"] is Double)

        // Without `label`, the last column is the label.
        let lastColumn = try load(
            config(data: #"{"source": "csv", "path": "rows.csv", "split": "file_order", "test_fraction": 0, "standardize": "none"}"#),
            files: ["rows.csv": Self.classesCSV])
        #expect(lastColumn.data.train.featureNames == ["a", "label"])
        #expect(lastColumn.data.train.classLabels == Array(0..<10))
        #expect(lastColumn.data.train.classNames == (1...10).map { String($0 * 10) })
    }

    @Test func classesAreTheDistinctLabelsAndKeepTheirNames() throws {
        // Labels 1…3: three outputs, not four, and the saved model answers in 1, 2, 3.
        let csv = "a,b,label\n" + (1...12).map { "\($0),\($0 % 4),\($0 % 3 + 1)" }.joined(separator: "\n") + "\n"
        let numbers = try load(config(data: #"{"source": "csv", "path": "rows.csv", "test_fraction": 0}"#, model: #"{"type": "mlp", "hidden_layers": [4]}"#), files: ["rows.csv": csv])
        #expect(numbers.data.train.classCount == 3)
        #expect(numbers.model.parameterShapes.last == [3])
        let saved = numbers.savedModel(parameters: numbers.model.parameterShapes.map { Tensor.zeros(shape: $0) })
        #expect(saved.target == .classes(labels: ["1", "2", "3"]))
        #expect(try run(numbers).object["labels"] as? [Int] == [1, 2, 3])
        #expect(numbers.resolvedDescription["data"]?.objectValue?["labels"]?.arrayValue?.compactMap(\.intValue) == [1, 2, 3])
        // Text labels are classes in byte order.
        let words = "a,b,kind\n" + (1...12).map { "\($0),\($0 % 4),\(["dog", "cat"][$0 % 2])" }.joined(separator: "\n") + "\n"
        let text = try load(config(data: #"{"source": "csv", "path": "rows.csv"}"#), files: ["rows.csv": words])
        #expect(text.data.train.classNames == ["cat", "dog"])
        #expect(text.model.parameterShapes.last == [1], "two classes: one sigmoid output")
        #expect(text.savedModel(parameters: text.model.parameterShapes.map { Tensor.zeros(shape: $0) }).target == .classes(labels: ["cat", "dog"]))
        // A column of reals read as classes is refused at `kind`.
        let error = try #require(throws: ConfigError.self) { try load(config(data: #"{"source": "csv", "path": "rows.csv"}"#), files: ["rows.csv": Self.regressionCSV.replacingOccurrences(of: ",3\n", with: ",3.5\n")]) }
        #expect("\(error)".contains("key path 'data.kind': "), "\(error)")
        #expect("\(error)".hasSuffix("set \"kind\": \"regression\" to predict the column as a number"), "\(error)")
    }

    /// A watched metric that no evaluation measures would never stop the run or keep a
    /// checkpoint: a warning names it (the schema cannot see the data, so the config is valid).
    @Test func aWatchedMetricTheRunNeverMeasuresWarns() throws {
        let noTest = #"{"source": "synthetic", "examples": 64, "features": 4, "classes": 3, "test_fraction": 0}"#
        let stopping = try load(config(data: noTest, training: #"{"epochs": 1, "batch_size": 16, "early_stopping": {"patience": 2}}"#))
        #expect(stopping.warnings == ["warning: \(stopping.inputFiles.last!.path):5:65: key path 'training.early_stopping.metric': early stopping watches test_loss (the default), which no evaluation of this run measures, so it never stops the run: the data has no test split; expected a train_ metric, or a test_fraction above 0 in data"])
        let trainLoss = try load(config(data: noTest, training: #"{"epochs": 1, "batch_size": 16, "early_stopping": {"metric": "train_loss"}}"#))
        #expect(trainLoss.warnings.isEmpty)

        let regression = config(data: #"{"source": "csv", "path": "rows.csv", "kind": "regression"}"#, model: #"{"type": "linear"}"#)
            .replacingOccurrences(of: "\n}\n", with: ",\n  \"checkpoint\": {\"keep_best\": \"test_accuracy\"}\n}\n")
        let best = try load(regression, files: ["rows.csv": Self.regressionCSV])
        #expect(best.warnings.contains { $0.hasSuffix("key path 'checkpoint.keep_best': test_accuracy is not measured by this run's evaluations, so best.safetensors is never written: a regression has no accuracy; expected train_loss or test_loss") }, "\(best.warnings)")
    }

    @Test func anAccumulationLongerThanAnEpochIsNoted() throws {
        let task = try load(config(training: #"{"epochs": 1, "batch_size": 16, "gradient_accumulation": 1000000}"#))
        #expect(task.warnings.contains("note: training.gradient_accumulation 1000000 is more than the 4 batches of an epoch; an epoch's last batch ends a step, so each epoch is one optimizer step over its 4 batches"), "\(task.warnings)")
        #expect(try load(config(training: #"{"epochs": 1, "batch_size": 16, "gradient_accumulation": 4}"#)).warnings.isEmpty)
    }

    @Test func aClassColumnOfManyIntegersWarnsUnlessKindIsGiven() throws {
        // 300 rows of 60 distinct integers: more than 50.
        let csv = "x,price\n" + (0..<300).map { "\($0),\(100 + $0 % 60)" }.joined(separator: "\n") + "\n"
        let warned = try load(config(data: #"{"source": "csv", "path": "rows.csv"}"#), files: ["rows.csv": csv])
        #expect(warned.warnings == [#"warning: column 'price' of '\#(warned.inputFiles[0].path)' has 60 distinct integer values in 300 rows, so it is read as 60 classes; if it is a quantity to predict, set "kind": "regression" in data ("kind": "classes" keeps the classes and this warning away)"#])
        #expect(try load(config(data: #"{"source": "csv", "path": "rows.csv", "kind": "classes"}"#), files: ["rows.csv": csv]).warnings.isEmpty)
        // 11 distinct values in 200 rows (5.5 %) warn; 11 in 300 rows (3.7 %), or 10 in 20, do not.
        func labels(_ rows: Int, _ classes: Int) -> String { "x,y\n" + (0..<rows).map { "\($0),\($0 % classes)" }.joined(separator: "\n") + "\n" }
        #expect(try load(config(data: #"{"source": "csv", "path": "rows.csv"}"#), files: ["rows.csv": labels(200, 11)]).warnings.count == 1)
        #expect(try load(config(data: #"{"source": "csv", "path": "rows.csv"}"#), files: ["rows.csv": labels(300, 11)]).warnings.isEmpty)
        #expect(try load(config(data: #"{"source": "csv", "path": "rows.csv"}"#), files: ["rows.csv": labels(20, 10)]).warnings.isEmpty)
    }

    @Test func aLabelColumnTheHeaderLeavesUnnamedWarns() throws {
        // A trailing comma in the header: the label (the last column) has no name.
        let rows = "a,b,\n" + (0..<20).map { "\($0),\($0 * 2),\($0 % 2)" }.joined(separator: "\n") + "\n"
        let task = try load(config(data: #"{"source": "csv", "path": "rows.csv"}"#), files: ["rows.csv": rows])
        #expect(task.warnings == [#"warning: the label is the last column of '\#(task.inputFiles[0].path)' (column 3), which the header leaves unnamed (a trailing comma?); name it, or set "label" in data to the column meant"#])
        // Chosen by index, the unnamed column is what was meant.
        #expect(try load(config(data: #"{"source": "csv", "path": "rows.csv", "label": 2}"#), files: ["rows.csv": rows]).warnings.isEmpty)
        #expect(try load(config(data: #"{"source": "csv", "path": "rows.csv"}"#), files: ["rows.csv": "a,b,y" + rows.dropFirst(4)]).warnings.isEmpty)
    }

    @Test func headerFalseReadsTheFirstRowAsDataAndColumnsByIndex() throws {
        let rows = (1...10).map { "\($0),\($0 % 3),\($0 * 10)" }.joined(separator: "\n") + "\n"
        let task = try load(
            config(data: #"{"source": "csv", "path": "rows.csv", "header": false, "label": 1, "split": "file_order", "test_fraction": 0, "standardize": "none"}"#,
                   training: #"{"batch_size": 4}"#),
            files: ["rows.csv": rows])
        #expect(task.data.train.count == 10, "the first row is data")
        #expect(task.data.train.featureNames == ["x0", "x1"])
        #expect(task.data.train.classLabels == (1...10).map { $0 % 3 })
        #expect(task.data.train.features.scalars == classesFeatures(1...10))
        #expect(task.warnings.isEmpty)
        // The same file read with a header loses its first row, with a warning.
        let headed = try load(config(data: #"{"source": "csv", "path": "rows.csv", "label": 1}"#, training: #"{"batch_size": 4}"#), files: ["rows.csv": rows])
        #expect(headed.data.train.count + headed.data.test.count == 9)
        #expect(headed.warnings == [#"warning: the first row of '\#(headed.inputFiles[0].path)' looks like data (its feature fields are numbers) but is read as the header; set "header": false in data if the file has none"#])
        // Without a header, columns have no names.
        let error = try #require(throws: ConfigError.self) {
            try load(config(data: #"{"source": "csv", "path": "rows.csv", "header": false, "label": "label"}"#), files: ["rows.csv": rows])
        }
        #expect("\(error)".contains(#"key path 'data.label': column 'label' is chosen by name, but "header": false gives the columns no names; expected the column's index, counting from 0"#), "\(error)")
    }

    @Test func theOldDataKeysNameTheirReplacements() throws {
        let fraction = try #require(throws: ConfigError.self) {
            try load(config(data: #"{"source": "csv", "path": "rows.csv", "train_fraction": 0.8}"#), files: ["rows.csv": Self.classesCSV])
        }
        #expect("\(fraction)".contains("key path 'data.train_fraction': unknown key (did you mean 'test_fraction'? it replaced 'train_fraction': test_fraction = 1 − train_fraction)"), "\(fraction)")
        let flag = try #require(throws: ConfigError.self) {
            try load(config(data: #"{"source": "csv", "path": "rows.csv", "standardize": true}"#), files: ["rows.csv": Self.classesCSV])
        }
        #expect("\(flag)".contains(#"key path 'data.standardize': expected one of "train_rows", "all_rows", "none", found true (standardize is a string: true is "train_rows")"#), "\(flag)")
    }

    @Test func fileOrderSplitKeepsTheRowsOfTheFileInOrder() throws {
        let data = #"{"source": "csv", "path": "rows.csv", "label": "label", "test_fraction": 0.3, "standardize": "none""#
        let ordered = try load(config(data: data + #", "split": "file_order"}"#), files: ["rows.csv": Self.classesCSV])
        #expect(ordered.data.train.features.scalars == classesFeatures(1...7))
        #expect(ordered.data.test.features.scalars == classesFeatures(8...10))
        #expect(ordered.data.train.classLabels == (1...7).map { $0 % 3 })
        // The default, shuffled by the seed, does not keep the file's order.
        let shuffled = try load(config(data: data + "}"), files: ["rows.csv": Self.classesCSV])
        #expect(shuffled.data.train.count == 7)
        #expect(shuffled.data.train.features.scalars != ordered.data.train.features.scalars)
    }

    @Test func testFractionHoldsOutThatShareOfTheExamples() throws {
        let half = try load(
            config(data: #"{"source": "csv", "path": "rows.csv", "label": "label", "test_fraction": 0.5}"#),
            files: ["rows.csv": Self.classesCSV])
        #expect(half.data.train.count == 5)
        #expect(half.data.test.count == 5)
        let byDefault = try load(config(data: #"{"source": "csv", "path": "rows.csv", "label": "label"}"#), files: ["rows.csv": Self.classesCSV])
        #expect(byDefault.data.train.count == 8)
        #expect(byDefault.data.test.count == 2)
        // Synthetic data hold nothing out unless asked.
        let synthetic = try load(config(data: #"{"source": "synthetic", "examples": 64, "features": 4, "classes": 3, "test_fraction": 0.25}"#))
        #expect(synthetic.data.train.count == 48)
        #expect(synthetic.data.test.count == 16)
        let (_, object) = try run(synthetic)
        #expect(object["test_accuracy"] is Double, "a test split is evaluated")
        #expect(try load(config()).data.test.count == 0)
        // ⌈fraction × examples⌉ are held out, a product a rounding error from a whole number
        // counting as that number: 0.9 of 10 holds out 9 (1 − 0.9 is 0.0999… in binary), 0.25
        // of 10 holds out 3, 0.7 of 100 (70.00000000000001) holds out 70.
        // Any fraction above 0, however small, holds out at least one.
        for (fraction, examples, heldOut) in [(0.9, 10, 9), (0.25, 10, 3), (0.7, 100, 70), (0.2, 1797, 360), (1e-10, 10, 1), (1e-300, 10, 1)] {
            let task = try load(config(data: #"{"source": "synthetic", "examples": \#(examples), "features": 2, "classes": 2, "test_fraction": \#(fraction)}"#))
            #expect(task.data.test.count == heldOut, "\(fraction) of \(examples)")
            #expect(task.data.train.count == examples - heldOut, "\(fraction) of \(examples)")
        }
    }

    @Test func standardizeAllRowsFitsOnTestRowsOnlyWhenAsked() throws {
        let data = #"{"source": "csv", "path": "rows.csv", "label": "label", "split": "file_order", "test_fraction": 0.5"#
        let trainRows = try load(config(data: data + "}"), files: ["rows.csv": Self.classesCSV])
        let allRows = try load(config(data: data + #", "standardize": "all_rows"}"#), files: ["rows.csv": Self.classesCSV])
        // The first five rows' a is 1…5: mean 3 over the training rows, 5.5 over all ten.
        #expect(abs((trainRows.standardizer?.mean[0] ?? 0) - 3) < 1e-9)
        #expect(abs((allRows.standardizer?.mean[0] ?? 0) - 5.5) < 1e-9)
        #expect(abs(columnMeans(allRows.data.train)[0]) > 0.1, "the training rows are not centred by statistics of all rows")
    }

    @Test func standardizeFalseKeepsTheRawFeatures() throws {
        let data = #"{"source": "csv", "path": "rows.csv", "label": "label", "split": "file_order", "test_fraction": 0"#
        let raw = try load(config(data: data + #", "standardize": "none"}"#), files: ["rows.csv": Self.classesCSV])
        let rawMeans = columnMeans(raw.data.train)
        #expect(abs(rawMeans[0] - 5.5) < 1e-9 && abs(rawMeans[1] - 55) < 1e-9)
        // CSV features are standardised by default: zero means.
        let standardized = try load(config(data: data + "}"), files: ["rows.csv": Self.classesCSV])
        #expect(columnMeans(standardized.data.train).allSatisfy { abs($0) < 1e-5 })
        // Synthetic ones are not, unless asked.
        let synthetic = #"{"source": "synthetic", "examples": 64, "features": 4, "classes": 3"#
        #expect(try columnMeans(load(config(data: synthetic + #", "standardize": "train_rows"}"#)).data.train).allSatisfy { abs($0) < 1e-5 })
        #expect(try !columnMeans(load(config(data: synthetic + "}")).data.train).allSatisfy { abs($0) < 1e-5 })
    }

    @Test func uniformLabelsAreRandomClassesOverTheSameFeatures() throws {
        let data = #"{"source": "synthetic", "examples": 200, "features": 3, "classes": 4, "split": "file_order""#
        let uniform = try load(config(data: data + #", "labels": "uniform"}"#))
        let expected = Dataset.synthetic(examples: 200, features: 3, classes: 4, seed: 0, labels: .uniform)
        #expect(uniform.data.train.classLabels == expected.classLabels)
        let teacher = try load(config(data: data + "}"))
        #expect(teacher.data.train.classLabels == Dataset.synthetic(examples: 200, features: 3, classes: 4, seed: 0).classLabels)
        #expect(uniform.data.train.classLabels != teacher.data.train.classLabels)
        #expect(uniform.data.train.features == teacher.data.train.features, "the features do not depend on the labelling")
    }

    @Test func dataSeedSeedsTheSyntheticDataAndDefaultsToTheTrainingSeed() throws {
        let data = #"{"source": "synthetic", "examples": 32, "features": 3, "classes": 2, "split": "file_order""#
        let expected = Dataset.synthetic(examples: 32, features: 3, classes: 2, seed: 7)
        let seeded = try load(config(data: data + #", "seed": 7}"#))
        #expect(seeded.data.train.features == expected.features)
        #expect(seeded.data.train.classLabels == expected.classLabels)
        // The training seed makes the data when there is no data seed …
        let bySeed = try load(config(data: data + "}", training: #"{"batch_size": 16, "seed": 7}"#))
        #expect(bySeed.data.train.features == expected.features)
        // … but not when there is one.
        let both = try load(config(data: data + #", "seed": 7}"#, training: #"{"batch_size": 16, "seed": 3}"#))
        #expect(both.data.train.features == expected.features)
        #expect(try load(config(data: data + "}")).data.train.features != expected.features)
    }

    // MARK: model

    /// A logistic model on 128 synthetic examples of 4 features in `classes` classes, trained for
    /// 10 epochs by SGD: the loaded task, the model, each epoch's training loss and the final
    /// training accuracy.
    private func trainedLogistic(classes: Int) throws -> (task: TrainTask, model: MLP, losses: [Double], accuracy: Double) {
        let task = try load(config(
            data: #"{"source": "synthetic", "examples": 128, "features": 4, "classes": \#(classes)}"#,
            optimizer: #"{"name": "sgd", "learning_rate": 0.5}"#, training: #"{"epochs": 10, "batch_size": 32}"#))
        let model = try #require(task.model as? MLP)
        let (_, object) = try run(task)
        let losses = try #require(object["history"] as? [[String: Any]]).compactMap { $0["train_loss"] as? Double }
        return (task, model, losses, try #require(object["train_accuracy"] as? Double))
    }

    @Test func aLogisticModelOnTwoClassesHasOneSigmoidOutput() throws {
        let (_, model, losses, accuracy) = try trainedLogistic(classes: 2)
        #expect(model.layerSizes == [4, 1])
        #expect(model.lossKind == .sigmoidCrossEntropy)
        #expect(model.layers[0].weightInitializer == .glorotUniform)
        #expect(losses.count == 10 && losses[9] < losses[0])
        #expect(accuracy >= 0.9, "the teacher's labels are linear in the features")
    }

    @Test func aLogisticModelOnSeveralClassesIsSoftmaxRegression() throws {
        let (task, model, losses, accuracy) = try trainedLogistic(classes: 3)
        #expect(model.layerSizes == [4, 3])
        #expect(model.lossKind == .softmaxCrossEntropy)
        #expect(task.model.parameterShapes == [[4, 3], [3]])
        #expect(losses.count == 10 && losses[9] < losses[0])
        #expect(accuracy >= 0.8)
    }

    @Test func aLinearModelOnCSVRegressionDataFitsByMeanSquaredError() throws {
        let task = try load(
            config(
                data: #"{"source": "csv", "path": "values.csv", "label": "y", "kind": "regression"}"#, model: #"{"type": "linear"}"#,
                optimizer: #"{"name": "sgd", "learning_rate": 0.1}"#, training: #"{"epochs": 50, "batch_size": 4, "evaluate_every": 10}"#),
            files: ["values.csv": Self.regressionCSV])
        #expect(task.data.train.classLabels == nil, "regression labels are real values")
        #expect(task.data.train.featureNames == ["a", "b"])
        let model = try #require(task.model as? MLP)
        #expect(model.layerSizes == [2, 1])
        #expect(model.lossKind == .meanSquaredError)
        let (_, object) = try run(task)
        #expect(object["train_accuracy"] == nil && object["test_accuracy"] == nil, "no accuracy for regression")
        let history = try #require(object["history"] as? [[String: Any]])
        #expect(history.compactMap { $0["epoch"] as? Int } == [10, 20, 30, 40, 50])
        // y is exactly linear in the features, so the held-out rows are fitted too.
        #expect(try #require(history.last?["train_loss"] as? Double) < 1e-3)
        #expect(try #require(object["test_loss"] as? Double) < 1e-2)
    }
}
