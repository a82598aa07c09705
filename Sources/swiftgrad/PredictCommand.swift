import ArgumentParser
import Autograd
import Storage
import Tasks

/// `swiftgrad predict --checkpoint PATH --input FILE.csv [--output FILE.csv] [--no-header]`: a
/// saved model's predictions for the rows of a CSV file, from the checkpoint alone.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict with a saved model for the rows of a CSV file of raw features.",
        discussion: """
            With a header row, columns are matched to the model's features by name; a column named like the \
            training label is ignored with a note. Output: a 'label' column and one 'probability_<label>' column \
            per class, or a 'prediction' column for regression. The matrix products run in the precision the \
            checkpoint was trained in unless --precision says otherwise.
            """)

    @Option(help: "The saved model: a model.safetensors (or any checkpoint) written by 'swiftgrad run'.")
    var checkpoint: String

    @Option(help: "The CSV file of raw (unstandardised) features, one row per example.")
    var input: String

    @Option(help: "Write the predictions here, atomically, instead of to standard output.")
    var output: String?

    @Option(help: ArgumentHelp(
        "Compute the matrix products in this precision instead of the one the checkpoint was trained in.",
        valueName: "float32|bf16"))
    var precision: MatrixPrecision?

    @Flag(name: .customLong("no-header"), help: "The input has no header row: its columns are the features, in the training order.")
    var noHeader = false

    func validate() throws {
        try refuseEmptyPaths(["--checkpoint": checkpoint, "--input": input, "--output": output])
    }

    func run() throws {
        try reportingErrors {
            // The rules every command's outputs follow (eval's among them): not the input or the
            // checkpoint, not the file standard output or error goes to, no file of a run folder.
            let inputs = [AtomicFile.Input(input, role: "input"), AtomicFile.Input(checkpoint, role: "checkpoint")]
            try checkOutputs(OutputPath.given(["--output": output]), inputs: inputs)
            let prediction = try CSVPrediction.run(checkpoint: checkpoint, input: input, hasHeader: !noHeader, precision: precision)
            for note in prediction.notes { printShown(note) }
            if let output {
                try prediction.table.write(to: output)
                printError("wrote \(output): \(prediction.table.rows.count) predictions")
            } else {
                writeToStandardOutput(prediction.table.rendered())
            }
        }
    }
}
