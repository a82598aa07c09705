import Training

extension TrainTask {
    /// What shows a run as it happens: its progress on standard output and, in a kept run
    /// folder, its streamed metrics.
    struct RunWatch {
        let progress: TrainingProgress
        let metrics: RunMetrics?
        /// The per-step figures the trainer measures for them: the gradient norm only for the
        /// metrics files and `--verbose`, the training accuracy also for the progress line.
        let measuring: Trainer.StepMeasurements
    }

    /// Sets up the progress display and, when the run keeps its folder and writes metrics, the
    /// metrics files (resumed from the trainer's step when `resumed`).
    func watchRun(_ trainer: Trainer, options runOptions: RunOptions, resumed: Bool, log: @escaping (String) -> Void) throws -> RunWatch {
        let batchesPerEpoch = (data.train.count + options.batchSize - 1) / options.batchSize
        let progress = TrainingProgress(
            style: runOptions.progress, verbosity: runOptions.verbosity, epochs: options.epochs, batchesPerEpoch: batchesPerEpoch, log: log)
        var metrics: RunMetrics?
        if runOptions.keepsRunFolder && runOptions.writesMetrics {
            let directory = checkpoints.directory
            metrics = try RunMetrics(
                directory: directory, resumingAfter: resumed ? trainer.globalStep : nil,
                title: String(directory.split(separator: "/").last ?? "run"))
            if let missing = metrics?.missingSteps, !missing.isEmpty {
                let ranges = missing.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)–\($0.upperBound)" }
                let shown = ranges.count <= 4 ? ranges : Array(ranges.prefix(3)) + ["\(ranges.count - 3) more ranges"]
                let list = shown.count == 1 ? shown[0] : shown.dropLast().joined(separator: ", ") + " and " + shown.last!
                let steps = (missing.count == 1 && missing[0].count == 1 ? "step " : "steps ") + list
                log("note: \(directory)/\(RunMetrics.jsonName) holds no records of \(steps), trained before the checkpoint without metrics (--no-metrics) or after the file was lost; its curves and TensorBoard's skip them")
            }
        }
        let measuring: Trainer.StepMeasurements = metrics != nil || runOptions.verbosity == .verbose
            ? .all : runOptions.verbosity == .normal ? .accuracy : []
        return RunWatch(progress: progress, metrics: metrics, measuring: measuring)
    }

    /// After the run: records the evaluation made after a last step that ended no epoch (not
    /// for an interrupted run: its resumed run makes that evaluation later, or never) or the
    /// step that diverged, and writes the curves.
    func finishWatching(_ watch: RunWatch, trainer: Trainer, summary: Trainer.Summary) throws {
        guard let metrics = watch.metrics else { return }
        if summary.outcome == .completed || summary.outcome == .stoppedEarly, let last = summary.evaluations.last {
            try metrics.recordFinal(last, step: trainer.globalStep)
        }
        if case .diverged(let divergence) = summary.outcome { try metrics.record(divergence) }
        try metrics.writePlot()
    }
}
