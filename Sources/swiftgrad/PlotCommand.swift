import ArgumentParser
import Storage
import Tasks
import Training

/// `swiftgrad plot RUN_FOLDER [RUN_FOLDER...] [--output PATH] [--metric NAME]`: the curves of
/// one or several training runs on one figure, from their `metrics.jsonl`.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw training runs' loss and accuracy curves from their metrics.jsonl as SVG.",
        discussion: """
            Each run folder (runs/<config name>, or the --run-dir of a run) holds the metrics.jsonl \
            its training streamed. Without --metric the figure has a loss panel and an accuracy \
            panel, each with train and test curves per run; with --metric, that figure alone, one \
            curve per run (a run that does not record it is left out with a warning, and none \
            recording it is an error that names what they record).

            Examples:
              swiftgrad plot runs/digits-mlp
              swiftgrad plot runs/adam runs/sgd --metric test_accuracy --output compare.svg
            """)

    @Argument(help: ArgumentHelp("Training run folders.", valueName: "run-folder"))
    var runFolders: [String]

    @Option(help: "The SVG file to write.")
    var output = "plot.svg"

    @Option(help: ArgumentHelp(
        "Draw only this figure: \(TrainingMetric.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "name"))
    var metric: String?

    func validate() throws {
        guard !runFolders.isEmpty else { throw ValidationError("give at least one run folder, e.g. runs/digits-mlp") }
        try refuseEmptyPaths(["run folder": runFolders.contains("") ? "" : nil, "--output": output])
        if let metric, TrainingMetric(rawValue: metric) == nil {
            throw ValidationError("--metric must be one of \(TrainingMetric.allCases.map(\.rawValue).joined(separator: ", ")), got '\(metric)'")
        }
    }

    func run() throws {
        try reportingErrors {
            // The figure never replaces the metrics it is drawn from.
            let inputs = runFolders.map { AtomicFile.Input($0 + "/" + RunMetrics.jsonName, role: "metrics") }
            try checkOutputs([OutputPath(flag: "--output", path: output)], inputs: inputs)
            let chosen = metric.flatMap(TrainingMetric.init(rawValue:))
            let drawn = try MetricsPlot.plot(runFolders: runFolders, metric: chosen, to: output)
            if let chosen, !drawn.withoutMetric.isEmpty {
                let runs = drawn.withoutMetric.map { "'\($0)'" }.joined(separator: ", ")
                let one = drawn.withoutMetric.count == 1
                printShown("warning: \(runs) \(one ? "records" : "record") no \(chosen.rawValue) and \(one ? "is" : "are") left out of the figure")
            }
            let total = drawn.evaluations.reduce(0, +)
            let runs = drawn.evaluations.count
            print("wrote \(output): \(total) evaluation\(total == 1 ? "" : "s") of \(runs) run\(runs == 1 ? "" : "s")")
        }
    }
}
