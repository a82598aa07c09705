import Autograd
import ConfigKit
import DataParallel
import JSON
import Reports
import Datasets
import Foundation
import Storage
import Training

extension TrainTask {
    /// What ``runKeepingCheckpoints(_:options:log:)`` did.
    struct CheckpointedRun {
        var summary: Trainer.Summary
        /// `completed`, `stopped_early`, `interrupted` or `diverged`.
        var status: String
        var modelPath: String?
        var lastCheckpoint: String?
        /// The run's `metrics.jsonl`, when it wrote one.
        var metricsPath: String?
        /// The evaluations a resumed run's metrics recorded before its checkpoint, which
        /// `summary` (this process's) lacks.
        var earlierEvaluations: [Trainer.Evaluation] = []
        var exitStatus: Int32 = 0
        var failure: String?
    }

    /// Runs `trainer`, resuming from `options.resume` first when given, writing the periodic and
    /// best checkpoints the policy asks for and the final model, and stopping cleanly (with a
    /// checkpoint) on SIGINT or SIGTERM when `options.handlesSignals`.
    func runKeepingCheckpoints(_ trainer: Trainer, options runOptions: RunOptions, log: @escaping (String) -> Void) throws -> CheckpointedRun {
        let policy = checkpoints
        var resumedFrom: (path: String, step: Int)?
        // Rank 0 reads the checkpoint for every rank: the ranks first agree on whether there is
        // one, or some would wait for its bytes while the others go on to train.
        try runOptions.distributed?.checkAgreement([("--resume", runOptions.resume == nil ? "no --resume" : "--resume")])
        // What the resume says, once the run has its folder: a run refused there resumed nothing.
        var resumeLines: [String] = []
        // Why this run's bits are no uninterrupted run's, and from which step: the checkpoint's
        // own record, or the first thing this resume changes that makes them differ. Every
        // checkpoint the run writes carries it on, so that no later resume claims those bits.
        var departure: String?
        if let resume = runOptions.resume {
            let (path, checkpoint) = try readCheckpoint(resume, distributed: runOptions.distributed, budget: runOptions.memoryBudget)
            // Early stopping's record is of what it watched: a run watching something else
            // (another metric, or a train_* metric over other figures) starts its own.
            var state = checkpoint.state
            let watched = checkpoint.metadata["early_stopping"]
            let watchChanged = watched != nil && watched != earlyStoppingWatch
            if watchChanged {
                (state.bestMetric, state.bestEpoch, state.evaluationsWithoutImprovement, state.bestParameters) = (nil, nil, 0, nil)
            }
            // A run that did not restore its best parameters (restore_best false) kept no copy of
            // them. A state at the end of its best epoch holds them itself; of an earlier best
            // this run has none to put back should it stop before a better one.
            var lostBestEpoch: Int?
            if !watchChanged, options.earlyStopping?.restoreBest == true, let bestEpoch = state.bestEpoch, state.bestParameters == nil {
                if bestEpoch == state.epoch && state.stepInEpoch == 0 {
                    state.bestParameters = state.parameters
                } else {
                    lostBestEpoch = bestEpoch
                }
            }
            // Every rank checks the same bytes alike: under MPI one error, printed once.
            let restore = {
                try checkCompatible(checkpoint, path: path)
                do {
                    try trainer.restore(state)
                } catch {
                    throw CheckpointError(file: path, "\(error)")
                }
            }
            if let distributed = runOptions.distributed { try distributed.onEveryRank(restore) } else { try restore() }
            resumedFrom = (path, checkpoint.state.optimizerStep)
            let position = checkpoint.state.stepInEpoch > 0 || checkpoint.state.epoch == 0
                ? "epoch \(checkpoint.state.epoch + 1), batch \(checkpoint.state.stepInEpoch) of it"
                : "the end of epoch \(checkpoint.state.epoch)"
            let remaining = options.totalSteps(examples: data.train.count) - checkpoint.state.optimizerStep
            let rest = remaining <= 0 || checkpoint.state.epoch >= options.epochs ? "; the run is complete, nothing is left to train" : ""
            resumeLines.append("resumed from \(path): \(position), \(checkpoint.state.optimizerStep) steps done\(rest)")
            // What this resume changes that makes its bits differ from an uninterrupted run's.
            var departures: [String] = []
            if watchChanged, let watched {
                departures.append("early stopping's record started afresh")
                resumeLines.append("note: early stopping watched \(watched) in the checkpoint's run and watches \(earlyStoppingWatch) in this one, so its record starts afresh here, and the bits differ from an uninterrupted run of either config")
            }
            // A record past this run's patience: an uninterrupted run of this config stopped at an
            // earlier evaluation, and this one stops here, at once.
            if !watchChanged, let earlyStopping = options.earlyStopping {
                let count = state.evaluationsWithoutImprovement
                let atEvaluation = state.stepInEpoch == 0 && state.epoch % options.evaluateEvery == 0
                if count > earlyStopping.patience || (count == earlyStopping.patience && !atEvaluation) {
                    departures.append("early stopping's patience was lowered past its record")
                    resumeLines.append("note: the checkpoint's run had gone \(count) evaluation\(count == 1 ? "" : "s") without improvement\(atEvaluation ? "" : " and trained on since the last"), past where this run's patience of \(earlyStopping.patience) stops; this run stops here, later than an uninterrupted run of this config, so its final state differs from that run's")
                }
            }
            // Which evaluations counted as improvements depends on min_delta: a record kept with
            // another is neither run's.
            if !watchChanged, state.bestMetric != nil, let minDelta = options.earlyStopping?.minDelta,
               let recorded = checkpoint.metadata[Self.minDeltaKey].flatMap(Float.init), recorded != minDelta
            {
                departures.append("early stopping's min_delta changed")
                resumeLines.append("note: the checkpoint's early-stopping record was kept with min_delta \(recorded) and this run's is \(minDelta), so evaluations one counted as improvements the other would not have, and the bits may differ from an uninterrupted run of either config")
            }
            // best.safetensors holds the best evaluation by what the checkpoint's run kept it by:
            // by anything else, this run knows only its own evaluations.
            if checkpoints.keepBest != nil, checkpoint.state.optimizerStep > 0, let keptBy = checkpoint.metadata["keep_best"], keptBy != keepBestWatch {
                resumeLines.append("note: checkpoint.keep_best keeps best.safetensors by \(keepBestWatch) in this run and by \(keptBy) in the checkpoint's, so this run keeps the best of its own evaluations from here on, which may not be the best checkpoint of an uninterrupted run")
            }
            // Early stopping counts evaluations, and keep_best compares them: evaluated at other
            // epochs, an uninterrupted run of this config would have counted and kept others.
            if options.earlyStopping != nil || checkpoints.keepBest != nil, checkpoint.state.optimizerStep > 0,
               let every = checkpoint.metadata["training.evaluate_every"].flatMap(Int.init), every != options.evaluateEvery
            {
                departures.append("training.evaluate_every changed")
                resumeLines.append("note: the checkpoint's run evaluated every \(Self.epochCount(every)) and this one every \(Self.epochCount(options.evaluateEvery)) (training.evaluate_every), so what early stopping and checkpoint.keep_best saw before the checkpoint is not what an uninterrupted run of this config sees, and the bits may differ from one of either config")
            }
            if let lostBestEpoch {
                resumeLines.append("note: the checkpoint's run kept no copy of the parameters of its best evaluation (epoch \(lostBestEpoch)), as early_stopping.restore_best was false there, so if this run stops before a better evaluation it ends on its last parameters, and the bits differ from an uninterrupted run that restores them")
            }
            let precisionNote = Self.precisionNote(resuming: checkpoint.state.precision, in: options.precision)
            let shardingNote = shardingNote(resuming: checkpoint.metadata)
            let reductionNote = reductionNote(resuming: checkpoint.metadata, distributed: runOptions.distributed)
            // A model whose parameters early stopping restored holds the best evaluation's
            // parameters beside the last step's position and optimizer state: a run that trains
            // on from it (early stopping now more patient, or off) is no uninterrupted run.
            let stopsAtOnce = !watchChanged && options.earlyStopping.map { state.evaluationsWithoutImprovement >= $0.patience } == true
            let trainsOn = remaining > 0 && checkpoint.state.epoch < options.epochs && !stopsAtOnce
            let restoredNote = checkpoint.metadata[Self.restoredBestKey] == "true" && trainsOn
                ? "note: \(path) holds the parameters early stopping restored (the best evaluation's) with the last step's position and optimizer state, so the bits from here on differ from an uninterrupted run's; resume from the run's last periodic checkpoint (--resume latest in its run folder) to go on from where it stopped"
                : nil
            if precisionNote != nil { departures.append("resumed with \(options.precision.rawValue) matrix products from a \(checkpoint.state.precision.rawValue) checkpoint") }
            if shardingNote != nil { departures.append("resumed without determinism with another worker count") }
            if reductionNote != nil { departures.append("resumed from ranks that added in MPI_Allreduce's order") }
            if restoredNote != nil { departures.append("trained on from the parameters early stopping restored") }
            let inherited = checkpoint.metadata[Self.departureKey]
            departure = inherited ?? departures.first.map { "step \(checkpoint.state.optimizerStep): \($0)" }
            if !watchChanged, let trained = otherEpochs(of: checkpoint.metadata) {
                // In another precision, cut into other shards, summed in MPI's order or from
                // restored parameters, the bits differ from every uninterrupted run, as those
                // notes say; a checkpoint whose run departed earlier says so itself.
                let ends = departure == nil
                    ? " and ends where an uninterrupted run of \(Self.epochCount(options.epochs)) does"
                    : inherited.map { "; the checkpoint's bits already differ from an uninterrupted run's (from \($0))" } ?? ""
                resumeLines.append("note: \(path) is a state of this config's run of \(Self.epochCount(trained)); this run goes on to \(options.epochs)\(ends)")
            }
            if let precisionNote { resumeLines.append(precisionNote) }
            if let shardingNote { resumeLines.append(shardingNote) }
            if let reductionNote { resumeLines.append(reductionNote) }
            if let restoredNote { resumeLines.append(restoredNote) }
        }
        // Every rank of an MPI job starts from the same config, data and parameters.
        try runOptions.distributed?.checkAgreement(distributedFacts(of: trainer))
        let keeps = runOptions.keepsRunFolder
        var folderLock: FolderLock?
        defer { folderLock?.release() }
        // The folders the run writes in, checked before each write: a folder moved aside (and
        // perhaps another run's put at its path) or replaced by a link stops the run instead of
        // taking its files. Within them no file is written through a link.
        var folders: [DirectoryIdentity] = []
        if keeps {
            try policy.checkFolderCanBeMade(source: "--run-dir or checkpoint.directory")
            try checkRunFolderFiles()
            try createDirectory(policy.checkpointsDirectory)
            // Held until the run returns: a second run of the folder would mix its files with this one's.
            let lock = try FolderLock(claiming: policy.directory, holder: "the run")
            folderLock = lock
            if !lock.isHeld {
                log("note: the file system of '\(policy.directory)' keeps no locks, so nothing stops a second run from using the folder at the same time; start one at a time")
            }
            folders = [try lock.identity(as: "run folder"), try DirectoryIdentity(of: policy.checkpointsDirectory, role: "checkpoints folder")]
            // What killed writers left, under names this run may never write again.
            let runFiles = Set(policy.fixedOutputs.map { ($0 as NSString).lastPathComponent })
            AtomicFile.removeStaleTemporaries(in: policy.directory) { runFiles.contains($0) || TensorBoardEventFile.isEventFileName($0) }
            AtomicFile.removeStaleTemporaries(in: policy.checkpointsDirectory) { CheckpointPolicy.step(ofCheckpoint: $0) != nil }
        }
        let guardedFolders = folders
        for line in resumeLines { log(line) }
        if keeps { try claimRunFolder(resumedFrom: resumedFrom, budget: runOptions.memoryBudget, log: log) }

        let watcher = runOptions.handlesSignals ? SignalWatcher() : nil
        defer {
            watcher?.stop()
            // The engine reads this watcher's record no longer than the run.
            trainer.engine.stopRequest = nil
        }
        // The signal the run stops on after a step. One process stops on the one it caught.
        // The ranks of an MPI job each send theirs with every step's exchange of results and stop
        // on the one they agreed on there, all after the same step: a rank that stopped alone
        // would leave the others waiting for its gradients. A signal a rank catches after the
        // exchange goes out with the next step's.
        let stopSignal: () -> Int32?
        if runOptions.distributed != nil {
            if let watcher { trainer.engine.stopRequest = { watcher.signalNumber ?? 0 } }
            stopSignal = { trainer.engine.agreedStopRequest }
        } else {
            stopSignal = { watcher?.signalNumber }
        }
        // Checkpoints are written on a queue of their own, so the workers go on training while
        // the file is encoded and flushed to disk; a resumed or signalled run waits for it.
        let writer = CheckpointWriter()
        var lastCheckpoint: String?
        var failure: Error?
        var caughtSignal: Int32?
        var bestValue = keeps ? policy.keepBest.flatMap { bestSoFar($0, path: policy.bestPath, budget: runOptions.memoryBudget) } : nil
        let keepLast = policy.keepLast
        var metadata = checkpointMetadata(of: trainer)
        if let departure { metadata[Self.departureKey] = departure }
        let watch = try watchRun(trainer, options: runOptions, resumed: runOptions.resume != nil, log: log)
        watch.metrics?.guardedFolders = guardedFolders
        let summary = trainer.run(measuring: watch.measuring, log: watch.progress.line) { event in
            do {
                watch.progress.step(event)
                try watch.metrics?.record(event)
            } catch {
                failure = error
                return .stop
            }
            guard keeps || watcher != nil else { return .continue }
            do {
                let stepsDone = event.trainer.globalStep
                var due = false
                if event.endsEpoch, policy.everyEpochs > 0, event.trainer.epoch % policy.everyEpochs == 0 { due = true }
                if let every = policy.everySteps, stepsDone % every == 0 { due = true }
                if let signal = stopSignal() { caughtSignal = signal; due = true }
                // The best checkpoint is written before the periodic one of the same step: a
                // resume starts from the periodic checkpoint and does not evaluate that step
                // again, so a run killed between the two must already have the best one.
                if keeps, let metric = policy.keepBest, let evaluation = event.evaluation, let value = metric.value(in: evaluation),
                   metric.improves(value, on: bestValue)
                {
                    bestValue = value
                    try watch.metrics?.flush()
                    var best = Checkpoint(state: event.trainer.state, metadata: metadata)
                    best.metadata["best_metric"] = metric.rawValue
                    best.metadata["best_value"] = String(value.bitPattern, radix: 16)
                    let path = policy.bestPath, snapshot = best
                    try writer.submit {
                        try DirectoryIdentity.writing(in: guardedFolders) { try snapshot.write(to: path, links: .refuse, recycling: nil) }
                    }
                }
                if due && keeps {
                    try watch.metrics?.flush()
                    let path = policy.checkpointPath(step: stepsDone)
                    let snapshot = Checkpoint(state: event.trainer.state, metadata: metadata)
                    try writer.submit {
                        try DirectoryIdentity.writing(in: guardedFolders) {
                            try snapshot.write(to: path, links: .refuse, recycling: recyclableCheckpoint(besides: path, keeping: keepLast))
                        }
                        // Checked again: the checkpoints deleted must be this run's.
                        try DirectoryIdentity.writing(in: guardedFolders) { try pruneCheckpoints(keeping: keepLast) }
                    }
                    lastCheckpoint = path
                    try watch.metrics?.writePlotIfDue()
                }
                if caughtSignal != nil { try writer.finish() }
            } catch {
                failure = error
                return .stop
            }
            return caughtSignal == nil ? .continue : .stop
        }
        // The model (a copy of the state and its checksum) is made while the writer's thread
        // still flushes the last checkpoint; after the run the trainer's state no longer changes.
        let finished = summary.outcome == .completed || summary.outcome == .stoppedEarly
        var model: SafeTensors?
        if keeps && finished && failure == nil {
            var saved = Checkpoint(state: trainer.state, metadata: metadata)
            // Early stopping put back the best evaluation's parameters: the position and the
            // optimizer state are the last step's, and the metadata says whose parameters these are.
            if restoredBest(summary, trainer) { saved.metadata[Self.restoredBestKey] = "true" }
            model = saved.safeTensors
        }
        do {
            try writer.finish()
        } catch {
            failure = failure ?? error
        }
        watch.progress.finish()
        if let failure { throw failure }
        try finishWatching(watch, trainer: trainer, summary: summary)

        // A resumed run that wrote none (it had nothing left to train) last checkpointed at its resume.
        var run = CheckpointedRun(summary: summary, status: "completed", lastCheckpoint: lastCheckpoint ?? resumedFrom?.path)
        run.metricsPath = watch.metrics?.jsonPath
        run.earlierEvaluations = watch.metrics?.earlierEvaluations ?? []
        switch summary.outcome {
        case .completed, .stoppedEarly:
            run.status = summary.outcome == .completed ? "completed" : "stopped_early"
            if let model {
                // Usually the last checkpoint's bytes exactly: then the model is a second name of it.
                try DirectoryIdentity.writing(in: guardedFolders) {
                    try model.write(to: policy.modelPath, links: .refuse, linkingIfEqual: lastCheckpoint)
                }
                run.modelPath = policy.modelPath
                log("saved the model to \(policy.modelPath)")
            }
            // A signal that came with the last step, or until the watcher stops, found the run's
            // work done: it is reported, and the exit status says the run was signalled, so that
            // a script or scheduler that sent it stops as it asked. After this, a signal has its
            // usual effect. The ranks of an MPI job report the signal any of them caught, so
            // that every rank exits alike.
            if let signal = caughtSignal ?? Self.signalAfterTheLastStep(watcher, distributed: runOptions.distributed) {
                run.exitStatus = 128 + signal
                let kept = run.modelPath.map { " and its model saved to \($0)" } ?? ""
                run.failure = "stopped by \(SignalWatcher.name(of: signal)) after the last step (\(trainer.globalStep)): the run is complete\(kept); nothing is left to resume"
                log(run.failure!)
            }
        case .interrupted:
            run.status = "interrupted"
            let signal = caughtSignal ?? SIGINT
            run.exitStatus = 128 + signal
            let at = lastCheckpoint.map { "wrote \($0); continue with --resume \($0) (or --resume latest)" } ?? "no checkpoint written"
            run.failure = "stopped by \(SignalWatcher.name(of: signal)) after step \(trainer.globalStep): \(at)"
            log(run.failure!)
        case .diverged(let divergence):
            run.status = "diverged"
            run.exitStatus = 1
            let kept = policy.existingCheckpoints().last.map { "the last good checkpoint is \($0)" } ?? "no checkpoint was written before it"
            run.failure = "training diverged at \(divergence); \(kept)"
        }
        return run
    }

    /// Stops `watcher` (after which a signal has its usual effect) and returns the signal it
    /// caught. Under MPI, where each rank caught its own or none after the last exchange of
    /// results, the ranks then exchange them once, and every rank returns the lowest rank's.
    static func signalAfterTheLastStep(_ watcher: SignalWatcher?, distributed: DistributedRun?) -> Int32? {
        let own = watcher?.stop()
        guard let distributed, watcher != nil else { return own }
        let gathered = distributed.allGather(own.map { Array(String($0).utf8) } ?? [])
        return gathered.lazy.compactMap { Int32(String(decoding: $0, as: UTF8.self)) }.first
    }

    /// The metadata key that marks a saved model whose parameters early stopping restored from
    /// its best evaluation (that evaluation's epoch is `swiftgrad.best_epoch`).
    package static let restoredBestKey = "restored_best"

    /// The metadata key of a run whose bits differ from any uninterrupted run's: the step from
    /// which they do and why (`step 64: resumed with bf16 matrix products from a float32
    /// checkpoint`). Absent from the checkpoints of a run that no resume took off course.
    static let departureKey = "departed_at"

    /// The metadata every checkpoint of `trainer`'s run carries: what inference needs (the saved
    /// model's description), the hashes a resume checks, the optimizer and the classes. None of
    /// it changes during a run, so a run computes it once.
    func checkpointMetadata(of trainer: Trainer) -> [String: String] {
        var metadata = savedModel(parameters: trainer.variables.map(\.value)).metadata
        metadata["config_hash"] = configHash
        metadata[Self.resolvedConfigHashKey] = resolvedConfigHash
        metadata["data_checksum"] = dataChecksum
        metadata["optimizer"] = trainer.optimizer.name
        metadata["training.epochs"] = String(options.epochs)
        metadata["training.workers"] = String(options.workers)
        if let reducer = trainer.engine.reducer as? any DistributedGradientReducer, !reducer.addsInMicroShardOrder {
            metadata[Self.reductionKey] = Self.allreduceReduction
        }
        metadata["classes"] = data.train.classCount.map(String.init) ?? "regression"
        metadata["early_stopping"] = earlyStoppingWatch
        metadata["keep_best"] = keepBestWatch
        metadata["training.evaluate_every"] = String(options.evaluateEvery)
        if let minDelta = options.earlyStopping?.minDelta { metadata[Self.minDeltaKey] = "\(minDelta)" }
        for (key, object) in [(Self.recordedConfigKey, configObject), (Self.resolvedConfigKey, resolvedConfigObject)] {
            let config = Self.hashedPart(of: object).description
            if config.utf8.count <= Self.recordedConfigLimit { metadata[key] = config }
        }
        return metadata
    }

    /// The metadata key of the `min_delta` early stopping kept its record with (a Float as
    /// Swift prints it, which reads back to the same value); absent without early stopping.
    static let minDeltaKey = "early_stopping.min_delta"

    /// What early stopping watches, as checkpoints record it: its metric, and for a `train_*`
    /// metric what `train_metrics` measures it over; `none` without early stopping. A resume
    /// may change it, and then early stopping's record starts afresh.
    var earlyStoppingWatch: String {
        guard let metric = options.earlyStopping?.metric else { return "none" }
        return watch(of: metric)
    }

    /// What `checkpoint.keep_best` keeps `best.safetensors` by, as checkpoints record it (in the
    /// form of ``earlyStoppingWatch``); `none` without it.
    var keepBestWatch: String {
        guard let metric = checkpoints.keepBest else { return "none" }
        return watch(of: metric)
    }

    /// `metric`, and for a `train_*` metric what `train_metrics` measures it over.
    private func watch(of metric: TrainingMetric) -> String {
        metric.isTestMetric ? metric.rawValue : "\(metric.rawValue) over \(options.trainMetrics.rawValue)"
    }

    /// Refuses a checkpoint from another config or other data.
    ///
    /// - Parameters:
    ///   - checkpoint: the checkpoint read.
    ///   - path: its file, for messages.
    ///   - resuming: whether a run continues from it (the message then says which keys a
    ///     resume may change) or only evaluates it (`swiftgrad eval`).
    func checkCompatible(_ checkpoint: Checkpoint, path: String, resuming: Bool = true) throws {
        let epochsSource = options.maxSteps == nil ? "training.epochs, or --epochs" : "as many as training.steps takes"
        if let trained = otherEpochs(of: checkpoint.metadata) {
            // An evaluation does not depend on the epochs; a resume does where the schedule does.
            let lengths = "it was trained for \(Self.epochCount(trained)) and this run trains \(options.epochs) (\(epochsSource))"
            if resuming && optimizer.scheduleSpansRun {
                throw CheckpointError(file: path, "\(lengths); the cosine schedule without decay_steps decays over the run's length, so another length gives every step another learning rate: resume with \(trained) epochs, or start afresh")
            }
            // A run evaluates its last epoch whatever evaluate_every says. A state at the end of
            // an epoch off that cadence differs in what early stopping and the best checkpoint
            // saw: a longer run's has not evaluated the shorter run's last epoch, and a shorter
            // run's has.
            let state = checkpoint.state
            let watching = [options.earlyStopping != nil ? "early stopping" : nil, checkpoints.keepBest != nil ? "checkpoint.keep_best" : nil].compactMap { $0 }
            let atEpochEnd = state.stepInEpoch == 0 && state.epoch % options.evaluateEvery != 0
            if resuming && atEpochEnd && !watching.isEmpty && (state.epoch == trained || state.epoch == options.epochs) {
                let which = state.epoch == trained
                    ? "that run evaluated its last epoch, \(trained), which a run of \(options.epochs) evaluating every \(options.evaluateEvery) epochs does not"
                    : "this run evaluates its last epoch, \(options.epochs), which that run, evaluating every \(options.evaluateEvery) epochs, did not"
                throw CheckpointError(file: path, "\(lengths); \(which), and \(watching.joined(separator: " and ")) would see the difference, so the runs differ from there: resume with \(trained) epochs, or start afresh")
            }
        } else if let hash = checkpoint.metadata["config_hash"], !isThisConfig(checkpoint.metadata) {
            let advice = resuming
                ? "only training.workers, kernel_threads, workers_help, evaluate_every, train_metrics, early_stopping, precision, data.path (the data are checked by their checksum), the checkpoint object and (unless the schedule spans the run) epochs may change on resume"
                : "evaluate it with the config that trained it"
            // The hash covers the config and the two values flags override; those two the
            // checkpoint records, so a difference in them is named, and whether more differs.
            // A checkpoint that records its config has the rest named too.
            // Defaults written out on both sides when the checkpoint records them so, so that
            // only values that differ are named.
            let record = checkpoint.metadata[Self.resolvedConfigKey].map { ($0, resolvedConfigObject) }
                ?? checkpoint.metadata[Self.recordedConfigKey].map { ($0, configObject) }
            let recorded = record.flatMap { text, current in (try? ConfigDocument(parsing: text).root).map { ($0, current) } }
            var differences = recorded.map { Self.configDifferences(recorded: $0, current: Self.hashedPart(of: $1)) } ?? []
            let named = !differences.isEmpty
            var trainedOptions = options
            trainedOptions.seed = checkpoint.state.seed
            if let text = checkpoint.metadata["training.epochs"], text != String(options.epochs) {
                // Other epochs alone are no reason to refuse, unless the schedule spans the run.
                if optimizer.scheduleSpansRun || !resuming {
                    differences.append("it was trained for \(Int(text).map(Self.epochCount) ?? "'\(quoted(text))' epochs") and this run trains \(options.epochs) (\(epochsSource))")
                }
                trainedOptions.epochs = Int(text) ?? 0
            }
            if checkpoint.state.seed != options.seed {
                differences.append("its seed is \(checkpoint.state.seed) and this run's \(options.seed) (training.seed, or --seed)")
            }
            if !named && !differences.isEmpty && !isThisConfig(checkpoint.metadata, options: trainedOptions) {
                differences.append("and other values differ too")
            }
            let listed = differences.isEmpty ? "" : ": " + differences.joined(separator: "; ")
            throw CheckpointError(file: path, "it was written by a config that trains differently (config hash \(hash), this config's \(configHash))\(listed); \(advice)")
        }
        if let checksum = checkpoint.metadata["data_checksum"], checksum != dataChecksum, checksum != Self.bytewiseChecksum(of: data) {
            throw CheckpointError(file: path, "it was trained on other data (data checksum \(checksum), this run's \(dataChecksum))")
        }
        let shapes = checkpoint.state.parameters.map(\.shape)
        if checkpoint.state.parameterNames != model.parameterNames || shapes != model.parameterShapes {
            throw CheckpointError(file: path, "it holds parameters \(zip(checkpoint.state.parameterNames, shapes).map { "\($0) \($1)" }.joined(separator: ", ")) but the model has \(zip(model.parameterNames, model.parameterShapes).map { "\($0) \($1)" }.joined(separator: ", "))")
        }
    }

    /// The epochs of the run that wrote a checkpoint of `metadata` when they are all that differ from this
    /// config's (its config hash is this config's at those epochs); `nil` when the epochs are
    /// the same, or when more than they differ.
    ///
    /// Every epoch's order comes from the seed and the epoch's index, so a run of other epochs
    /// passes through the same states as this one, and goes on from any of them as this run
    /// would, unless its learning-rate schedule spans the run (``OptimizerSpec/scheduleSpansRun``).
    func otherEpochs(of metadata: [String: String]) -> Int? {
        guard metadata["config_hash"] != nil, !isThisConfig(metadata),
              let text = metadata["training.epochs"], let epochs = Int(text), epochs != options.epochs
        else { return nil }
        var other = options
        other.epochs = epochs
        return isThisConfig(metadata, options: other) ? epochs : nil
    }

    /// Whether a checkpoint of `metadata` holds a state of this run: one its config and data
    /// would pass through, written by this config or by one that differs only in the epochs
    /// when the schedule does not depend on them.
    func isStateOfThisRun(_ metadata: [String: String]) -> Bool {
        let sameConfig = isThisConfig(metadata) || (!optimizer.scheduleSpansRun && otherEpochs(of: metadata) != nil)
        guard sameConfig, let checksum = metadata["data_checksum"] else { return false }
        return checksum == dataChecksum || checksum == Self.bytewiseChecksum(of: data)
    }

    /// Whether a checkpoint of `metadata` was written by this config under `options` (the run's
    /// own when `nil`). A checkpoint with a `resolved_config_hash` is decided by it alone: the
    /// hash of this config's values with their defaults (``resolvedConfigObject``), so that a
    /// config writing out a default the checkpoint's left out, or leaving out one it wrote, is
    /// the same config, and one whose defaults differ from the checkpoint's is not, however it
    /// is written. A checkpoint without one is decided by its `config_hash`: ``configHash``, or
    /// the other form of it, which also covers `data.path`
    /// (``resultHash(of:options:coveringDataPath:)``).
    func isThisConfig(_ metadata: [String: String], options: TrainingOptions? = nil) -> Bool {
        let options = options ?? self.options
        if let resolved = metadata[Self.resolvedConfigHashKey] {
            return resolved == (options == self.options ? resolvedConfigHash : Self.resultHash(of: resolvedConfigObject, options: options))
        }
        guard let hash = metadata["config_hash"] else { return false }
        return [false, true].contains { hash == Self.resultHash(of: configObject, options: options, coveringDataPath: $0) }
    }

    /// The metadata key of ``resultHash(of:options:coveringDataPath:)`` of
    /// ``resolvedConfigObject``, beside `config_hash` (the config as written).
    static let resolvedConfigHashKey = "resolved_config_hash"
    /// The metadata key of the config's values with their defaults, without its
    /// ``unhashedKeys``, beside ``recordedConfigKey``; absent past ``recordedConfigLimit``.
    static let resolvedConfigKey = "resolved_config"

    /// `1 epoch`, `3 epochs`.
    static func epochCount(_ epochs: Int) -> String { "\(epochs) epoch\(epochs == 1 ? "" : "s")" }

    /// The note a run prints when it resumes a checkpoint trained in another precision (one
    /// without `swiftgrad.precision` was Float32); `nil` when the precisions agree.
    package static func precisionNote(resuming trained: MatrixPrecision, in running: MatrixPrecision) -> String? {
        guard trained != running else { return nil }
        return "note: the checkpoint was trained with \(trained.rawValue) matrix products and this run computes them in \(running.rawValue) (training.precision); its Float32 parameters and optimizer state carry over, but the bits from here on differ from an uninterrupted run in either precision"
    }

    /// The note a run prints when it resumes, without determinism, a checkpoint of another
    /// worker count (`training.workers` in its metadata): each batch is then cut into one shard
    /// per worker, so the sums, and the bits from here on, differ from an uninterrupted run with
    /// either count. `nil` for a deterministic run, the same count, or a checkpoint that does not
    /// record it.
    func shardingNote(resuming metadata: [String: String]) -> String? {
        guard !options.deterministic, let text = metadata["training.workers"], let trained = Int(text), trained != options.workers else { return nil }
        return "note: training.deterministic is false, so each batch is cut into one shard per worker: the checkpoint's run had \(trained) worker\(trained == 1 ? "" : "s") and this one has \(options.workers), so the bits from here on differ from an uninterrupted run with either count (give --workers \(trained) to continue that run's bits)"
    }

    /// The metadata key that says how the ranks of an MPI run added their gradients, written only
    /// when that was ``allreduceReduction``: every other checkpoint holds the bits of a run
    /// summed in micro-shard order.
    static let reductionKey = "training.reduction"
    /// ``reductionKey``'s value for a run whose ranks' gradients `MPI_Allreduce` added in an order
    /// of its own.
    static let allreduceReduction = "mpi_allreduce"

    /// The note a run prints when it resumes a checkpoint whose ranks added their gradients in
    /// `MPI_Allreduce`'s order: its parameters are no deterministic run's, so neither are the
    /// bits from here on. `nil` for any other checkpoint, and for a run that goes on adding
    /// them that way (it says itself that it is not deterministic).
    func reductionNote(resuming metadata: [String: String], distributed: DistributedRun?) -> String? {
        guard metadata[Self.reductionKey] == Self.allreduceReduction, distributed?.reducer.addsInMicroShardOrder ?? true else { return nil }
        return "note: the checkpoint's run added its ranks' gradients in MPI_Allreduce's order (--mpi-reduction allreduce), so its parameters, and the bits from here on, differ from those of an uninterrupted run with the deterministic reduction or in one process"
    }

    /// The checkpoint `--resume` names, and its path.
    ///
    /// In an MPI job rank 0 alone opens the file (its path, or `latest` in its run folder) and
    /// sends the others its bytes and path, so the checkpoint needs no file system every host
    /// sees; every rank checks the bytes against the checksum they carry.
    ///
    /// Reading is refused when it would need more memory than the budget leaves now (`budget`,
    /// or ``MemoryBudget/current(environment:process:)``): the file's size and its header's
    /// length say how much before anything large is allocated.
    ///
    /// - Throws: ``/Training/CheckpointError`` when the checkpoint cannot be read, is damaged or
    ///   would not fit in memory; in an MPI job ``FailureOnEveryRank`` instead, on every rank.
    private func readCheckpoint(
        _ resume: String, distributed: DistributedRun?, budget: MemoryBudget?
    ) throws -> (path: String, checkpoint: Checkpoint) {
        guard let distributed else {
            let path = try resumePath(resume)
            do {
                return (path, try Checkpoint.read(from: path, memory: (budget ?? MemoryBudget.current()).allowance, links: Self.links(resuming: resume)))
            } catch var error as CheckpointError where resume == "latest" {
                // A newest checkpoint torn or damaged (a disk that failed under it): the one
                // before it is the state to go on from.
                if let earlier = checkpoints.existingCheckpoints().dropLast().last {
                    error.message += "; the checkpoint before it is '\(quoted(earlier))': resume from it with --resume '\(quoted(earlier))'"
                }
                throw error
            }
        }
        // The path, a zero byte, then the file's bytes (a path holds no zero byte). Rank 0 holds
        // up to three copies of them at once: as read, in the message, and the message as
        // broadcast and received; every rank then decodes its message in place.
        let message = try distributed.readOnRankZero {
            let path = try resumePath(resume)
            return Array(path.utf8) + [0] + (try Checkpoint.readBytes(
                from: path, memory: (budget ?? MemoryBudget.current()).allowance, copies: 3, links: Self.links(resuming: resume)))
        }
        return try distributed.onEveryRank {
            guard let end = message.firstIndex(of: 0) else { throw CheckpointError(file: resume, "rank 0 sent no path with the checkpoint") }
            let path = String(decoding: message[..<end], as: UTF8.self)
            return (path, try Checkpoint(SafeTensors(decoding: message[(end + 1)...], file: path), source: path))
        }
    }

    /// How the checkpoint `--resume` names is opened: `latest`, found in the run folder, with
    /// `O_NOFOLLOW`, so that a link put in its place after ``resumePath(_:)``'s check is refused
    /// rather than read through; a path given by name wherever it leads.
    private static func links(resuming resume: String) -> AtomicFile.LinkPolicy {
        resume == "latest" ? .refuse : .follow
    }

    /// `latest` is the newest periodic checkpoint in the run folder; anything else a path.
    /// Inside the run folder no link is followed: `latest` reads only a regular file in a
    /// `checkpoints` folder that is a directory (a path given by name is read wherever it leads).
    private func resumePath(_ given: String) throws -> String {
        guard given == "latest" else { return given }
        try checkCheckpointsFolder()
        guard let newest = checkpoints.existingCheckpoints().last else {
            throw CheckpointError(file: checkpoints.checkpointsDirectory, "--resume latest found no checkpoint (step-*.safetensors) in this folder")
        }
        if let kind = Self.kind(ofNonRegular: newest) {
            throw FileError("cannot resume from '\(newest)' (--resume latest): it is \(kind), not a regular file; a run folder holds only the run's own files, so remove it, or name the checkpoint to resume from")
        }
        return newest
    }

    /// The oldest periodic checkpoint that keeping the newest `count` will delete once `path` is
    /// written, whose file the write may reuse; nil when there is none, or when it is the newest
    /// checkpoint (with `count` 1), which must stay whole until the new one is.
    private func recyclableCheckpoint(besides path: String, keeping count: Int) -> String? {
        let others = checkpoints.existingCheckpoints().filter { $0 != path }
        guard others.count >= count, others.count >= 2, let oldest = others.first else { return nil }
        return oldest
    }

    /// Deletes the oldest periodic checkpoints beyond `count`.
    private func pruneCheckpoints(keeping count: Int) throws {
        let existing = checkpoints.existingCheckpoints()
        for path in existing.dropLast(count) {
            if unlink(path) != 0 && errno != ENOENT {
                throw FileError("cannot delete old checkpoint '\(path)': \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Makes the run folder's checkpoints this run's before it writes its own, so that
    /// `keep_last`, `--resume latest` and the last good checkpoint a diverged run names only ever
    /// see this run's.
    ///
    /// Every checkpoint there (each periodic one other than the one resumed from, and
    /// `best.safetensors`) must have been written by this config on this data, as its header
    /// says. When one comes from another config or other data,
    /// says nothing of them (a checkpoint written from the library) or cannot be read, the run is
    /// refused, naming it: deleting it, or pruning it with `keep_last`, could lose another run's
    /// work, and keeping it would mix two runs. Otherwise the checkpoints this run computes again
    /// are removed, with a note: for a fresh run every periodic checkpoint and
    /// `best.safetensors`; for a resumed one the periodic checkpoints past the step it resumes
    /// at, which an abandoned continuation left and `--resume latest` would take.
    ///
    /// - Parameters:
    ///   - resumedFrom: the checkpoint the run resumed from and its optimizer step, or `nil` for
    ///     a fresh run.
    ///   - budget: the memory the files read here may take; `nil` for
    ///     ``MemoryBudget/current(environment:process:)``.
    private func claimRunFolder(resumedFrom: (path: String, step: Int)?, budget: MemoryBudget?, log: (String) -> Void) throws {
        let earlier = checkpoints.existingCheckpoints().filter { path in
            resumedFrom.map { !AtomicFile.namesSameFile(path, $0.path) } ?? true
        }
        let verb = resumedFrom == nil ? "start" : "resume"
        // A longer run of this config left its model and best evaluation past this run's last
        // step: this run would replace them with states it never reaches. Their headers say so,
        // without reading their tensors.
        let totalSteps = options.totalSteps(examples: data.train.count)
        let memory = try (budget ?? MemoryBudget.current()).allowance
        for (path, what) in [(checkpoints.modelPath, "model"), (checkpoints.bestPath, "best checkpoint")]
        where FileManager.default.fileExists(atPath: path) {
            guard let metadata = try? SafeTensors.metadata(ofFileAt: path, limit: Checkpoint.maximumFileBytes, memory: memory), isStateOfThisRun(metadata),
                  let step = metadata["swiftgrad.optimizer_step"].flatMap(Int.init), step > totalSteps
            else { continue }
            throw FileError("cannot \(verb) a run in '\(checkpoints.directory)': its \(what), \(path), is a longer run's of this config (step \(step), past this run's \(totalSteps)), which this run would replace and never write again; choose another --run-dir")
        }
        // Without periodic checkpoints (every_epochs 0), best.safetensors tells whose folder it is.
        let hasBest = FileManager.default.fileExists(atPath: checkpoints.bestPath)
        guard let newest = earlier.last ?? (hasBest ? checkpoints.bestPath : nil) else { return }
        /// The refusal of a folder holding `path`, a checkpoint of another run.
        func foreign(_ path: String, _ metadata: [String: String], _ advice: String) -> FileError {
            let hash = metadata["config_hash"]
            let origin = hash == nil ? "no config hash" : isThisConfig(metadata) ? "other data" : "config hash \(hash!), this config's \(configHash)"
            return FileError("cannot \(verb) a run in '\(checkpoints.directory)': it holds the checkpoints of another run (\(path): \(origin)); \(advice)")
        }
        // Each checkpoint is checked by its header alone, which says whose it is without reading
        // its tensors: one damaged past its header (the newest, torn by a crash) is still known
        // to be this run's, and is replaced. The newest being this run's says nothing of the
        // others: a checkpoint copied in from another run keeps its own step.
        let moveAside = "move it out of '\(checkpoints.directory)', or choose another --run-dir"
        for path in [newest] + (earlier + (hasBest ? [checkpoints.bestPath] : [])).filter({ $0 != newest }) {
            // Another run's periodic checkpoints are that run's to continue; a single file is
            // moved aside.
            let advice = path == newest && path != checkpoints.bestPath
                ? "continue that run with its own config and --resume latest, remove '\(checkpoints.checkpointsDirectory)', or choose another --run-dir"
                : moveAside
            let metadata: [String: String]
            do {
                metadata = try SafeTensors.metadata(ofFileAt: path, limit: Checkpoint.maximumFileBytes, memory: memory)
            } catch {
                throw FileError("cannot \(verb) a run in '\(checkpoints.directory)': its checkpoint \(path) cannot be read (\(error)); \(moveAside)")
            }
            guard isStateOfThisRun(metadata) else { throw foreign(path, metadata, advice) }
        }
        let removed: [String]
        if let resumedFrom {
            removed = earlier.filter { (CheckpointPolicy.step(ofCheckpoint: $0) ?? 0) > resumedFrom.step }
        } else {
            removed = earlier + (hasBest ? [checkpoints.bestPath] : [])
        }
        guard let last = removed.last else { return }
        // A run of more epochs wrote them; those past this run's end it would never write again.
        if let beyond = removed.last(where: { (CheckpointPolicy.step(ofCheckpoint: $0) ?? 0) > totalSteps }) {
            throw FileError("cannot \(verb) a run in '\(checkpoints.directory)': it holds checkpoints of a longer run of this config past this run's \(totalSteps) steps (the newest: \(beyond)), which it would remove and never write again; choose another --run-dir")
        }
        for path in removed {
            if unlink(path) != 0 && errno != ENOENT {
                throw FileError("cannot delete the earlier run's checkpoint '\(path)': \(String(cString: strerror(errno)))")
            }
        }
        let count = "\(removed.count) checkpoint\(removed.count == 1 ? "" : "s")"
        if let resumedFrom {
            log("note: removed \(count) past step \(resumedFrom.step) from \(checkpoints.directory) (the newest: \(last)); this run computes them again, and --resume latest would have taken a state it has not reached")
        } else {
            log("note: removed \(count) of an earlier run of this config from \(checkpoints.directory) (the newest: \(newest)); --resume latest would have continued that run")
        }
    }

    /// The best value recorded in `best.safetensors`, if it exists and was kept for `metric`.
    private func bestSoFar(_ metric: TrainingMetric, path: String, budget: MemoryBudget?) -> Float? {
        // The header holds all of it; the tensors are not read.
        guard let memory = try? (budget ?? MemoryBudget.current()).allowance,
              let metadata = try? SafeTensors.metadata(ofFileAt: path, limit: Checkpoint.maximumFileBytes, memory: memory),
              metadata["best_metric"] == metric.rawValue,
              isStateOfThisRun(metadata),
              let bits = metadata["best_value"].flatMap({ UInt32($0, radix: 16) })
        else { return nil }
        return Float(bitPattern: bits)
    }

    /// Makes the folder `path`, in the run folder, and each missing folder above it, one
    /// `mkdir` at a time so that an error names the folder the system would not make and its
    /// reason (under `/proc`, a folder that cannot be made "does not exist"), where
    /// `FileManager` says only "The file doesn't exist".
    ///
    /// - Throws: `FileError` naming the run folder, the folder refused and why.
    private func createDirectory(_ path: String) throws {
        var missing: [String] = []
        var folder = path
        var info = stat()
        while !folder.isEmpty, stat(folder, &info) != 0 {
            missing.append(folder)
            let parent = folderPart(of: folder)
            if parent == folder { break }
            folder = parent
        }
        for folder in missing.reversed() {
            guard mkdir(folder, 0o777) != 0 else { continue }
            let code = errno
            if code == EEXIST { continue }  // made meanwhile by another process
            let reason = String(cString: strerror(code))
            let parent = folderPart(of: folder)
            let why = code == EACCES || code == EPERM
                ? "the folder '\(parent.isEmpty ? "." : parent)' is not writable (\(reason))"
                : "the system cannot make the folder '\(folder)' (\(reason))"
            throw FileError("cannot create the run folder '\(checkpoints.directory)': \(why); choose another --run-dir or checkpoint.directory")
        }
    }

    /// What the entry at `path` is (`a symbolic link`, `a FIFO`, …) when it exists and is not a
    /// regular file, a link to one included; nil otherwise.
    private static func kind(ofNonRegular path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG else { return nil }
        return InputFile.kindDescription(info.st_mode)
    }

    /// Refuses a `checkpoints` folder that exists and is not a directory (a link to one
    /// included): it is where the run reads, writes, prunes and removes files, and a link there
    /// would take those to wherever it points.
    private func checkCheckpointsFolder() throws {
        var folder = stat()
        if lstat(checkpoints.checkpointsDirectory, &folder) == 0, folder.st_mode & S_IFMT != S_IFDIR {
            throw FileError("cannot use '\(checkpoints.checkpointsDirectory)' as the run's checkpoints folder: it is \(InputFile.kindDescription(folder.st_mode)), not a directory; a run folder holds only the run's own files, so remove it or choose another --run-dir")
        }
    }

    /// Refuses a run folder in which the run could write somewhere it must not: its
    /// `checkpoints` folder, if it exists, must be a directory and not a link to one, and each
    /// file the run writes there (the model, the best checkpoint, the metrics, the TensorBoard
    /// event files and the periodic checkpoints) must be a regular file, if it exists at all,
    /// and none of the run's inputs. A symbolic link is refused even to a regular file, as it
    /// could lead to the config or a data file of this run or of another; a FIFO would block
    /// the run.
    private func checkRunFolderFiles() throws {
        let policy = checkpoints
        try checkCheckpointsFolder()
        let events = ((try? FileManager.default.contentsOfDirectory(atPath: policy.directory)) ?? [])
            .filter(TensorBoardEventFile.isEventFileName).map { policy.directory + "/" + $0 }
        // Only the checkpoint names the run writes: other entries of checkpoints/ are not its.
        for path in policy.fixedOutputs + events + policy.existingCheckpoints() {
            if let kind = Self.kind(ofNonRegular: path) {
                throw FileError("cannot write '\(path)': it is \(kind), not a regular file; a run folder holds only the run's own files, so remove it or choose another --run-dir")
            }
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            for input in inputFiles {
                var inputInfo = stat()
                if stat(input.path, &inputInfo) == 0, inputInfo.st_dev == info.st_dev, inputInfo.st_ino == info.st_ino {
                    throw FileError("cannot write '\(path)': it is the \(input.role) of this run ('\(input.path)'); move it out of the run folder or choose another --run-dir")
                }
            }
        }
    }

    // MARK: Reading

    /// Reads `training.early_stopping`.
    static func readEarlyStopping(_ object: inout ConfigObject) throws -> EarlyStopping {
        let metric = try object.optional("metric", as: String.self, default: "test_loss", .oneOf(TrainingMetric.allCases.map(\.rawValue)))
        let patience = try object.optional("patience", as: Int.self, default: 5, .in(1...1_000_000))
        let minDelta = try object.optional("min_delta", as: Double.self, default: 0, .in(0...1e30))
        let restoreBest = try object.optional("restore_best", as: Bool.self, default: true)
        return EarlyStopping(metric: TrainingMetric(rawValue: metric)!, patience: patience, minDelta: Float(minDelta), restoreBest: restoreBest)
    }

    /// A hash of every config value that changes the trained bits: everything but the keys that
    /// only change speed, evaluation or where files go, with the overridden seed and epochs.
    /// `training.precision` changes the bits but is left out too, so that a run may resume in
    /// the other precision; checkpoints record it on their own (``TrainingState/precision``).
    /// `data.path` is left out as well: the data checksum says which data a run read, whatever
    /// path it read them from, so a config moved to another folder, or given the data's absolute
    /// path, resumes and evaluates its checkpoints.
    ///
    /// - Parameter coveringDataPath: hash `data.path` too, for the other form of `config_hash`
    ///   a checkpoint may carry (``isThisConfig(_:options:)`` accepts either).
    static func resultHash(of root: JSONObject, options: TrainingOptions, coveringDataPath: Bool = false) -> String {
        var hash = FNV1a()
        func combine(_ value: JSONValue) {
            switch value.kind {
            case .null: hash.combine("null")
            case .bool(let flag): hash.combine(flag ? "true" : "false")
            case .number(let number): hash.combine("n" + String(number.doubleValue))
            case .string(let text): hash.combine("s" + text)
            case .array(let elements):
                hash.combine("[\(elements.count)")
                for element in elements { combine(element) }
            case .object(let object):
                for member in object.members.sorted(by: { $0.key < $1.key }) {
                    hash.combine("k" + member.key)
                    combine(member.value)
                }
                hash.combine("}")
            }
        }
        combine(hashedPart(of: root, keepingDataPath: coveringDataPath))
        hash.combine("seed \(options.seed) epochs \(options.epochs)")
        return hash.hexDigest
    }

    /// The key paths of a train config that ``resultHash(of:options:coveringDataPath:)`` leaves
    /// out: what a resume may change, and the seed and epochs, which it hashes as the run's
    /// options (flags may override them).
    static let unhashedKeys: Set<String> = [
        "$schema", "checkpoint", "data.path", "training.workers", "training.kernel_threads", "training.workers_help",
        "training.evaluate_every", "training.train_metrics", "training.early_stopping", "training.seed", "training.epochs",
        // A resume may change the precision (with a note that the bits then differ).
        "training.precision",
    ]

    /// The metadata key of the config a checkpoint's run was given, without its
    /// ``unhashedKeys``: one line of JSON, so that a config that trains differently is told
    /// what differs. Absent when that text passes ``recordedConfigLimit``.
    static let recordedConfigKey = "config"
    /// The longest config text a checkpoint records, in bytes: a config is a few hundred.
    static let recordedConfigLimit = 65_536

    /// `root` without its ``unhashedKeys``: the part of a config its hash covers; with
    /// `keepingDataPath`, `data.path` too, as the other form of `config_hash` covers it.
    static func hashedPart(of root: JSONObject, keepingDataPath: Bool = false) -> JSONValue {
        var left = unhashedKeys
        if keepingDataPath { left.remove("data.path") }
        func kept(_ value: JSONValue, path: String) -> JSONValue {
            switch value.kind {
            case .object(let object):
                var members: [JSONObject.Member] = []
                for member in object.members {
                    let inner = path.isEmpty ? member.key : path + "." + member.key
                    if left.contains(inner) { continue }
                    members.append(JSONObject.Member(key: member.key, value: kept(member.value, path: inner)))
                }
                return JSONValue(.object(JSONObject(members: members)))
            case .array(let elements):
                return JSONValue(.array(elements.map { kept($0, path: path) }))
            default:
                return JSONValue(value.kind)
            }
        }
        return kept(JSONValue(.object(root)), path: "")
    }

    /// Where `recorded` (a checkpoint's config) and `current` differ, as the hash tells values
    /// apart (numbers by their value, objects whatever their keys' order), each
    /// `key.path is A in the checkpoint's config and B in this one`; at most `limit`, then how many
    /// more.
    static func configDifferences(recorded: JSONValue, current: JSONValue, limit: Int = 4) -> [String] {
        var found: [String] = []
        func shown(_ value: JSONValue?) -> String { value.map { quoted($0.description, limit: 60) } ?? "absent" }
        func same(_ old: JSONValue, _ new: JSONValue) -> Bool {
            switch (old.kind, new.kind) {
            case (.number(let a), .number(let b)): a.doubleValue == b.doubleValue
            case (.array(let a), .array(let b)): a.count == b.count && zip(a, b).allSatisfy(same)
            case (.object(let a), .object(let b)):
                a.keys.count == b.keys.count && a.members.allSatisfy { member in b[member.key].map { same(member.value, $0) } == true }
            default: old.kind == new.kind
            }
        }
        // Objects are compared key by key, anything else whole (`model.hidden_layers is [32]`).
        func compare(_ old: JSONValue?, _ new: JSONValue?, path: String) {
            if case .object(let a)? = old?.kind, case .object(let b)? = new?.kind {
                for key in a.keys + b.keys.filter({ a[$0] == nil }) {
                    compare(a[key], b[key], path: path.isEmpty ? key : path + "." + key)
                }
                return
            }
            if let old, let new, same(old, new) { return }
            found.append("\(path.isEmpty ? "the config" : path) is \(shown(old)) in the checkpoint's config and \(shown(new)) in this one")
        }
        compare(recorded, current, path: "")
        guard found.count > limit else { return found }
        return Array(found.prefix(limit)) + ["\(found.count - limit) more difference\(found.count - limit == 1 ? "" : "s")"]
    }

    /// A checksum of the training and test examples, after splitting and standardising: each
    /// part's count, features and targets, the floats mixed in two at a time
    /// (``/Storage/FNV1a/combineWords(_:)``, a step per 8 bytes).
    static func checksum(of split: DatasetSplit) -> String {
        checksum(of: split) { hash, floats in hash.combineWords(floats) }
    }

    /// The checksum of the same bytes by byte-wise FNV-1a, a step per byte: the other form
    /// of `data_checksum` a checkpoint may carry; a resume accepts either, and computes
    /// this one only when the checkpoint's checksum is not the word-wise one.
    static func bytewiseChecksum(of split: DatasetSplit) -> String {
        checksum(of: split) { hash, floats in hash.combine(floats) }
    }

    /// Each part's count, then its features and targets mixed in by `combine`.
    private static func checksum(
        of split: DatasetSplit, combining combine: (inout FNV1a, UnsafeBufferPointer<Float>) -> Void
    ) -> String {
        var hash = FNV1a()
        for part in [split.train, split.test] {
            hash.combine(part.count)
            part.features.withUnsafeBufferPointer { combine(&hash, $0) }
            part.targets.withUnsafeBufferPointer { combine(&hash, $0) }
        }
        return hash.hexDigest
    }
}
