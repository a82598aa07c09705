import Autograd
import Datasets
import Foundation
import Reports
import Storage
import Training

/// `swiftgrad predict --checkpoint PATH --input FILE.csv`: a saved model's predictions for the
/// rows of a CSV file, from the checkpoint alone.
///
/// The input holds raw features, as the training data did before standardisation. With a
/// header row, columns are matched to the model's features by name, in any order; a column
/// named like the training data's label column is ignored (with a note), and any other column
/// is an error. Without one (`--no-header`), the rows must hold exactly the features, in the
/// training order. Each row is standardised with the saved statistics and passed through the
/// model with no tape.
///
/// The output is CSV with a header: for classes a `label` column (the predicted label) and one
/// `probability_<label>` column per class; for regression a `prediction` column on the target's
/// original scale. Numbers are written as the shortest decimals that read back as the same
/// `Float`s.
package struct CSVPrediction: Sendable {
    /// The predictions as a table.
    package let table: CSVWriter
    /// Notes for standard error, such as an ignored label column.
    package let notes: [String]

    /// Predicts for every row of `input`.
    ///
    /// - Parameters:
    ///   - checkpoint: a checkpoint written by `swiftgrad run` (it describes its model).
    ///   - input: the CSV file of raw features.
    ///   - hasHeader: whether the first row names the columns.
    ///   - precision: what the matrix products compute from; `nil` (the default) for the
    ///     precision the checkpoint was trained in.
    ///   - budget: the memory the prediction may take; `nil` (the default) for
    ///     ``MemoryBudget/current(environment:process:)`` at each step. The checkpoint is refused
    ///     before it is read when it would not fit, the input stops being read at the row that
    ///     would pass the limit, and the prediction is estimated
    ///     (``memoryEstimate(rows:of:)``) before it is made.
    /// - Throws: ``CheckpointError`` for a checkpoint that cannot be read, would not fit in memory
    ///   or does not describe its model; `DatasetError` for an unreadable input, a field that is
    ///   not a number or more values than the memory holds; ``PredictionInputError`` for columns
    ///   that do not fit the model; `MemoryBudgetError` for more rows than the memory holds
    ///   predictions for.
    package static func run(
        checkpoint: String, input: String, hasHeader: Bool, precision: MatrixPrecision? = nil, budget: MemoryBudget? = nil
    ) throws -> CSVPrediction {
        let saved = try SavedModel.read(from: checkpoint, memory: (budget ?? MemoryBudget.current()).allowance)
        let model = try saved.makeModel()
        let features = saved.featureNames
        var notes: [String] = []
        let expected = "\(features.count) feature\(features.count == 1 ? "" : "s") (\(listed(features, inQuotes: false)))"
        let columns = try CSVColumns.load(path: input, hasHeader: hasHeader, memory: (budget ?? MemoryBudget.current()).allowance) { header, columnCount in
            guard let header else {
                guard columnCount == features.count else {
                    var message = "the rows have \(columnCount) column\(columnCount == 1 ? "" : "s") but the model takes \(expected), in this order"
                    if columnCount == features.count + 1 { message += "; leave out the label column, or give a header row that names it" }
                    throw PredictionInputError(file: input, line: 1, message)
                }
                return Array(0..<columnCount)
            }
            // Each feature takes the first column of its name not taken yet, so features that
            // share a name take their columns in order.
            var columnsNamed: [String: ArraySlice<Int>] = [:]
            for (index, name) in header.enumerated() { columnsNamed[name, default: []].append(index) }
            let chosen = features.map { name in columnsNamed[name]?.popFirst() }
            let label = saved.targetName.flatMap { columnsNamed[$0]?.first }
            let taken = Set(chosen.compactMap { $0 } + (label.map { [$0] } ?? []))
            let unknown = header.indices.filter { !taken.contains($0) }.map { header[$0] }
            let missing = zip(features, chosen).filter { $1 == nil }.map(\.0)
            guard missing.isEmpty, unknown.isEmpty else {
                var message = "the header names \(header.count) column\(header.count == 1 ? "" : "s") but the model takes \(expected)"
                if !missing.isEmpty { message += "; missing: \(listed(missing))" }
                // A column left over under a feature's (or the label's) name is one too many of
                // that name, not a name the model does not know; the first three are told.
                let known = Set(features + (saved.targetName.map { [$0] } ?? []))
                let strangers = unknown.filter { !known.contains($0) }
                if !strangers.isEmpty { message += "; not a feature: \(listed(strangers))" }
                var repeated: [String] = []
                for name in unknown where known.contains(name) && !repeated.contains(name) {
                    repeated.append(name)
                    if repeated.count == 3 { break }
                }
                let columnCounts = Dictionary(header.map { ($0, 1) }, uniquingKeysWith: +)
                let featureCounts = Dictionary(features.map { ($0, 1) }, uniquingKeysWith: +)
                for name in repeated {
                    let taking = featureCounts[name] ?? 0
                    let expected = taking == 0 ? "only one is the label" : "the model has \(taking) feature\(taking == 1 ? "" : "s") of that name"
                    message += "; '\(quoted(name))' heads \(columnCounts[name] ?? 0) columns but \(expected)"
                }
                throw PredictionInputError(file: input, line: 1, message)
            }
            if let label { notes.append("note: ignoring column '\(quoted(header[label]))' of \(input): it is the label the model was trained to predict") }
            return chosen.map { $0! }
        }
        let rows = columns.values.shape[0]
        try (budget ?? MemoryBudget.current()).check(
            memoryEstimate(rows: rows, of: saved), "predicting for the \(rows) row\(rows == 1 ? "" : "s") of '\(input)'",
            advice: "predict for fewer rows at a time")
        // A value far from the training rows is finite as read but may not be once standardised,
        // and the model would take it for an infinity (which a relu can turn into a plausible
        // answer).
        if let standardizer = saved.featureStandardizer,
           let (index, value) = withoutRecording({ standardizer.transform(columns.values) }).firstNonFiniteElement {
            let width = Swift.max(saved.featureNames.count, 1)
            let feature = saved.featureNames[index % width]
            throw PredictionInputError(
                file: input,
                "data row \(index / width + 1): feature '\(quoted(feature))' is \(value) once standardised with the training data's mean \(standardizer.mean[index % width]) and deviation \(standardizer.scale[index % width]), beyond a 32-bit float; expected values nearer the training data's")
        }
        let threads = Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)
        let prediction = try saved.predict(columns.values, with: model, kernelThreads: threads, precision: precision)
        /// Refuses an output that is not finite: finite features the model's Float32 arithmetic
        /// overflows on (after standardising) would give a NaN probability or prediction, and a
        /// label picked from NaNs.
        func checkFinite(_ outputs: Tensor) throws {
            let width = Swift.max(outputs.shape.last ?? 1, 1)
            if let (index, value) = outputs.firstNonFiniteElement {
                throw PredictionInputError(
                    file: input, "data row \(index / width + 1) gives the model's output \(value.isNaN ? "NaN" : "\(value)"), not a finite number: its features are beyond what the model's Float32 arithmetic holds (after standardising with the training data's mean and deviation)")
            }
        }
        var table: CSVWriter
        switch prediction {
        case .classes(let predicted, let probabilities):
            try checkFinite(probabilities)
            let labels: [String] = if case .classes(let labels) = saved.target { labels } else { [] }
            table = CSVWriter(header: ["label"] + labels.map { "probability_\($0)" })
            let width = labels.count
            let values = probabilities.scalars
            for (row, index) in predicted.enumerated() where index < width {
                try table.append([.text(labels[index])] + (0..<width).map { .float(values[row * width + $0]) })
            }
        case .values(let values):
            try checkFinite(values)
            let width = values.shape[1]
            table = CSVWriter(header: width == 1 ? ["prediction"] : (0..<width).map { "prediction_\($0)" })
            let scalars = values.scalars
            for row in 0..<values.shape[0] {
                try table.append((0..<width).map { .float(scalars[row * width + $0]) })
            }
        }
        return CSVPrediction(table: table, notes: notes)
    }

    /// What a prediction for `rows` rows of raw features takes with the model of `saved`, from
    /// counts alone, before any of it is allocated:
    /// - the model: its parameters, 4 bytes each;
    /// - input rows: each row's features as read and standardised, 4 bytes each twice. The
    ///   inference pass runs in chunks of a few hundred rows, so its activations are a chunk's;
    /// - outputs: the model's outputs, the probabilities or values made from them and the copy
    ///   they are read from, 4 bytes each, and a predicted class per row;
    /// - output table: each row's cells (an array of strings, 16 bytes a cell and 64 a row) and
    ///   the text rendered from them (16 bytes a cell, enough for a `Float`'s shortest decimal,
    ///   and the longest label's bytes).
    static func memoryEstimate(rows: Int, of saved: SavedModel) -> MemoryEstimate {
        let float = MemoryLayout<Float>.size
        let width = saved.outputWidth
        let (cells, labelBytes) = if case .classes(let labels) = saved.target {
            (1 + labels.count, labels.map(\.utf8.count).max() ?? 0)
        } else {
            (width, 0)
        }
        var estimate = MemoryEstimate()
        estimate.add("the model", MemoryEstimate.sum(saved.parameters.map(\.scalarCount)), float)
        estimate.add("input rows", rows, saved.featureNames.count, 2 * float)
        estimate.add("outputs", rows, MemoryEstimate.sum([MemoryEstimate.product([3, width, float]), MemoryLayout<Int>.size]))
        estimate.add("output table", rows, MemoryEstimate.sum([64, MemoryEstimate.product([cells, 32]), labelBytes]))
        return estimate
    }
}

/// Input that does not fit a saved model: the file, and what was expected of it.
package struct PredictionInputError: Error, Sendable, Equatable, CustomStringConvertible {
    package var file: String
    /// The line the problem is on, when it is one line's (the header, the first row).
    package var line: Int?
    package var message: String

    package init(file: String, line: Int? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    package var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(message)" }
}
