import JSON
import Training

/// Where a training run's wall time went, for its summary line and its report's `timing`.
///
/// The whole time runs from the start of the data's loading to the saved model: the loading
/// (reading or generating the data, standardising, splitting; the data's checksum is computed on
/// another thread while the setup runs), the setup (everything between the data and the run: the
/// rest of the config's checks, making the model, the optimizer and the engine with its threads,
/// and under MPI the ranks' agreement), and the run: training steps, evaluations, shuffling each
/// epoch's batches, the step handler and log lines (metrics, progress, checkpoints handed to their
/// writer), and the rest (waiting for the last checkpoint, saving the model, closing the metrics).
/// The end-to-end rate divides the examples trained on by that whole time;
/// ``/Training/Trainer/Summary/samplesPerSecond`` divides them by the training steps' time alone.
struct RunTiming {
    /// Seconds loading the data, before the run.
    var dataLoadingSeconds: Double
    /// Seconds between the data's loading and the run: mostly making the trainer.
    var setupSeconds: Double
    /// Seconds of the run, from the trainer's start to the model's saving.
    var runSeconds: Double
    var trainingSeconds: Double
    var evaluationSeconds: Double
    /// Seconds shuffling epochs into batches.
    var shuffleSeconds: Double
    /// Seconds in the step handler and log lines.
    var loggingSeconds: Double
    /// Examples trained on.
    var examples: Int

    init(summary: Trainer.Summary, wallSeconds: Double, dataLoadingSeconds: Double, setupSeconds: Double) {
        self.dataLoadingSeconds = dataLoadingSeconds
        self.setupSeconds = setupSeconds
        runSeconds = wallSeconds
        trainingSeconds = summary.trainingSeconds
        evaluationSeconds = summary.evaluationSeconds
        shuffleSeconds = summary.dataSeconds
        loggingSeconds = summary.handlerSeconds
        examples = summary.examples
    }

    /// Loading, setup and run together.
    var totalSeconds: Double { dataLoadingSeconds + setupSeconds + runSeconds }
    /// The run's time not accounted for by the parts above (never below 0).
    var otherSeconds: Double { Swift.max(0, runSeconds - trainingSeconds - evaluationSeconds - shuffleSeconds - loggingSeconds) }
    /// Examples trained on per second of the whole time.
    var endToEndSamplesPerSecond: Double { totalSeconds > 0 ? Double(examples) / totalSeconds : 0 }
    /// The share of the whole time not spent in training steps.
    var nonTrainingShare: Double { totalSeconds > 0 ? Swift.max(0, totalSeconds - trainingSeconds) / totalSeconds : 0 }

    /// `timing: 1.31 s: training 1.05 s, evaluation 0.04 s, data 0.09 s, setup 0.01 s, logging
    /// 0.01 s, other 0.11 s (20 % not training); 50123 samples/s end to end`.
    var line: String {
        func s(_ value: Double) -> String { String(format: "%.2f s", value) }
        return "timing: \(s(totalSeconds)): training \(s(trainingSeconds)), evaluation \(s(evaluationSeconds)), "
            + "data \(s(dataLoadingSeconds + shuffleSeconds)), setup \(s(setupSeconds)), logging \(s(loggingSeconds)), other \(s(otherSeconds)) "
            + "(\(String(format: "%.1f", 100 * nonTrainingShare)) % not training); "
            + "\(Int(endToEndSamplesPerSecond.rounded())) samples/s end to end"
    }

    /// The report's `timing` object, in seconds.
    var json: JSONObject {
        var object = JSONObject()
        object["total_seconds"] = .number(totalSeconds)
        object["training_seconds"] = .number(trainingSeconds)
        object["evaluation_seconds"] = .number(evaluationSeconds)
        object["data_loading_seconds"] = .number(dataLoadingSeconds)
        object["setup_seconds"] = .number(setupSeconds)
        object["shuffle_seconds"] = .number(shuffleSeconds)
        object["logging_seconds"] = .number(loggingSeconds)
        object["other_seconds"] = .number(otherSeconds)
        object["non_training_share"] = .number(nonTrainingShare)
        return object
    }
}
