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
            recording it is an error that names what they record). The figure never replaces a \
            file of a run folder.

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
            // The figure never replaces the metrics it is drawn from, nor any file of a run
            // folder, nor a file named like a model, metrics, a config or data.
            let inputs = runFolders.map { AtomicFile.Input($0 + "/" + RunMetrics.jsonName, role: "metrics") }
            try checkOutputs([OutputPath(flag: "--output", path: output)], inputs: inputs, readRunFolders: runFolders)
            if let (suffix, kind) = Self.refusedKind(of: output) {
                throw FileError("cannot write '\(output)' (--output): plot writes an SVG figure, and a .\(suffix) file is \(kind); choose a path ending in .svg")
            }
            // A link is followed, and the file it leads to would be replaced: its name counts.
            let target = AtomicFile.canonicalPath(output)
            if let (suffix, kind) = Self.refusedKind(of: target) {
                throw FileError("cannot write '\(output)' (--output): it leads to '\(target)', and plot writes an SVG figure where a .\(suffix) file is \(kind); choose another path")
            }
            let chosen = metric.flatMap(TrainingMetric.init(rawValue:))
            let drawn = try MetricsPlot.plot(runFolders: runFolders, metric: chosen, to: output)
            if let chosen, !drawn.withoutMetric.isEmpty {
                let runs = drawn.withoutMetric.map { "'\($0)'" }.joined(separator: ", ")
                let one = drawn.withoutMetric.count == 1
                printShown("warning: \(runs) \(one ? "records" : "record") no \(chosen.rawValue) and \(one ? "is" : "are") left out of the figure")
            }
            let total = drawn.evaluations.reduce(0, +)
            let runs = drawn.evaluations.count - drawn.withoutMetric.count
            printLine("wrote \(output): \(total) evaluation\(total == 1 ? "" : "s") of \(runs) run\(runs == 1 ? "" : "s")")
        }
    }

    /// The suffix of `path` and what a file with it is, where it is the suffix of a file a
    /// training run reads or keeps (a model, metrics, a config, data): SVG written there would
    /// destroy it. Nil for any other name.
    static func refusedKind(of path: String) -> (suffix: String, kind: String)? {
        let name = path.split(separator: "/").last ?? ""
        guard name.contains("."), let suffix = name.split(separator: ".").last?.lowercased() else { return nil }
        let kinds = ["safetensors": "a model", "jsonl": "metrics", "json": "a config or a report", "csv": "data or metrics"]
        return kinds[suffix].map { (suffix, $0) }
    }
}
