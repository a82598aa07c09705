import ArgumentParser
import Autograd
import ConfigKit
import Foundation
import Storage
import Tasks

/// `swiftgrad eval CONFIG --checkpoint PATH [--report PATH] [--plot PATH]`: measures a saved
/// model on its train config's data.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a saved model on its train config's data: loss, accuracy and a confusion matrix, or MSE, MAE and R².",
        discussion: """
            The data are split as for training, with the seed the checkpoint was trained with. The checkpoint must \
            come from this config (its hash) and these data (their checksum). The matrix products run in the \
            precision the checkpoint was trained in unless --precision says otherwise.
            """)

    @Argument(help: "The train config whose data (and split) the model is evaluated on.")
    var config: String

    @Option(help: "The saved model: a run's model.safetensors, best.safetensors or a periodic checkpoint.")
    var checkpoint: String

    @Option(help: ArgumentHelp(
        "Compute the matrix products in this precision instead of the one the checkpoint was trained in.",
        valueName: "float32|bf16"))
    var precision: MatrixPrecision?

    @Option(help: "Write a JSON report (losses, accuracies, confusion matrices or regression errors) here, atomically.")
    var report: String?

    @Option(help: "Write an SVG figure here: the confusion matrix as a heat map, or predictions against targets.")
    var plot: String?

    func validate() throws {
        try refuseEmptyPaths(["config": config, "--checkpoint": checkpoint, "--report": report, "--plot": plot])
    }

    func run() throws {
        try reportingErrors {
            let outputs = OutputPath.given(["--report": report, "--plot": plot])
            let inputs = [AtomicFile.Input(config, role: "config"), AtomicFile.Input(checkpoint, role: "checkpoint")]
                + dataFiles(ofConfig: config)
            try checkOutputs(outputs, inputs: inputs)
            let evaluation = try CheckpointEvaluation.run(config: config, checkpoint: checkpoint, precision: precision)
            if plot != nil { try evaluation.checkPlottable() }
            for line in evaluation.lines { printLine(line) }
            if let report {
                try evaluation.writeReport(to: report)
                printLine("wrote \(report)")
            }
            if let plot {
                try evaluation.writePlot(to: plot)
                printLine("wrote \(plot)")
            }
        }
    }
}

/// The data file a train config names (`data.path`, relative to the config), read from the
/// config alone: `eval` protects it from its outputs before `CheckpointEvaluation` loads the data,
/// which may take long. Empty when the config cannot be read or names none (synthetic data);
/// the evaluation then reports what is wrong with it.
func dataFiles(ofConfig config: String) -> [AtomicFile.Input] {
    guard let document = try? ConfigDocument.load(path: config),
          let path = document.root.objectValue?["data"]?.objectValue?["path"]?.stringValue, !path.isEmpty
    else { return [] }
    return [AtomicFile.Input(ConfigContext(file: config).resolve(path), role: "data file")]
}
