import ConfigKit
import JSON
import Reports
import Training

/// One line of a training run's `metrics.jsonl`: an optimizer step's figures, or an evaluation.
///
/// ```
/// {"type": "step", "step": 23, "epoch": 1, "wall_time": 1765000000.25, "loss": 0.31, "accuracy": 0.92, "learning_rate": 0.001, "gradient_norm": 1.7, "samples_per_second": 48211}
/// {"type": "evaluation", "step": 23, "epoch": 1, "wall_time": 1765000000.26, "train_loss": 0.28, "train_accuracy": 0.93, "test_loss": 0.3, "test_accuracy": 0.91}
/// ```
///
/// `step` counts optimizer steps from the start of the run (resumes included), `epoch` counts
/// from 1 (the epoch the step belongs to, or the one evaluated), `wall_time` is seconds since
/// 1970 as TensorBoard keeps it. Figures are the 32-bit floats the trainer computed, written as
/// the shortest decimal that reads back as the same float; a figure that was not finite (a
/// diverging loss) is `null`, and one that was not measured (the accuracy of a regression) is
/// left out. `metrics.csv` holds the same records, one row each, and the TensorBoard event file
/// the same figures as scalars (``scalars``).
package enum MetricsRecord: Sendable, Equatable {
    case step(Step)
    case evaluation(step: Int, wallTime: Double, Trainer.Evaluation)

    /// What one optimizer step measured.
    package struct Step: Sendable, Equatable {
        package var step: Int
        package var epoch: Int
        package var wallTime: Double
        package var loss: Float
        package var accuracy: Float?
        package var learningRate: Float
        package var gradientNorm: Float?
        package var samplesPerSecond: Float

        package init(
            step: Int, epoch: Int, wallTime: Double, loss: Float, accuracy: Float?, learningRate: Float, gradientNorm: Float?,
            samplesPerSecond: Float
        ) {
            (self.step, self.epoch, self.wallTime, self.loss, self.accuracy) = (step, epoch, wallTime, loss, accuracy)
            (self.learningRate, self.gradientNorm, self.samplesPerSecond) = (learningRate, gradientNorm, samplesPerSecond)
        }
    }

    /// The optimizer steps taken when the record was made.
    package var step: Int {
        switch self {
        case .step(let record): record.step
        case .evaluation(let step, _, _): step
        }
    }

    package var wallTime: Double {
        switch self {
        case .step(let record): record.wallTime
        case .evaluation(_, let wallTime, _): wallTime
        }
    }

    /// The evaluation, for an evaluation record.
    package var evaluation: Trainer.Evaluation? {
        if case .evaluation(_, _, let evaluation) = self { return evaluation }
        return nil
    }

    // MARK: JSON lines and CSV rows

    /// The record as one line of JSON, newline included.
    package var jsonLine: String { lines.json }

    /// The record as a row of `metrics.csv`, newline included.
    package var csvLine: String { lines.csv }

    /// The record's line of `metrics.jsonl` and row of `metrics.csv`, from one formatting of each
    /// figure (a figure's shortest decimal is most of the work). Both are assembled directly:
    /// the keys are fixed ASCII names and the values numbers or the record's type, so nothing
    /// needs escaping or quoting, and a line costs a few appends instead of building a document.
    /// The JSON line is spaced as `JSONValue.encoded(.singleLine)` spaces it.
    package var lines: (json: String, csv: String) {
        var json: [UInt8] = [], csv: [UInt8] = []
        json.reserveCapacity(256)
        csv.reserveCapacity(128)
        json.append(UInt8(ascii: "{"))
        var first = true
        for (column, cell) in cells.enumerated() {
            if column > 0 { csv.append(UInt8(ascii: ",")) }
            guard let cell else { continue }
            json.append(contentsOf: first ? Self.firstKeyOpening : Self.keyOpening)
            first = false
            json.append(contentsOf: Self.csvHeader[column].utf8)
            json.append(contentsOf: Self.keyClosing)
            switch cell {
            case .text(let text):
                // The record's type, `step` or `evaluation`: nothing in it to escape or quote.
                json.append(contentsOf: JSONValue.quoted(text).utf8)
                csv.append(contentsOf: text.utf8)
            case .number(let literal):
                json.append(contentsOf: literal.utf8)
                csv.append(contentsOf: literal.utf8)
            case .notFinite(let literal):
                json.append(contentsOf: "null".utf8)
                csv.append(contentsOf: literal.utf8)
            }
        }
        json.append(contentsOf: "}\n".utf8)
        csv.append(UInt8(ascii: "\n"))
        return (String(decoding: json, as: UTF8.self), String(decoding: csv, as: UTF8.self))
    }

    private static let firstKeyOpening = Array("\"".utf8), keyOpening = Array(", \"".utf8), keyClosing = Array("\": ".utf8)

    /// One figure as written: a string, a finite number's literal, or a non-finite number (JSON
    /// `null`, and `nan`, `inf` or `-inf` in the CSV).
    private enum Cell {
        case text(String)
        case number(String)
        case notFinite(String)
    }

    /// The record's cells in the columns of ``csvHeader``; `nil` where it has no figure.
    private var cells: [Cell?] {
        func number(_ value: Int) -> Cell { .number(String(value)) }
        func number(_ value: Double) -> Cell { value.isFinite ? .number(value.description) : .notFinite(value.description) }
        func number(_ value: Float?) -> Cell? { value.map { $0.isFinite ? .number($0.description) : .notFinite($0.description) } }
        switch self {
        case .step(let record):
            return [
                .text("step"), number(record.step), number(record.epoch), number(record.wallTime), number(record.loss),
                number(record.accuracy), number(record.learningRate), number(record.gradientNorm), number(record.samplesPerSecond),
                nil, nil, nil, nil,
            ]
        case .evaluation(let step, let wallTime, let evaluation):
            return [
                .text("evaluation"), number(step), number(evaluation.epoch), number(wallTime), nil, nil, nil, nil, nil,
                number(evaluation.trainLoss), number(evaluation.trainAccuracy), number(evaluation.testLoss), number(evaluation.testAccuracy),
            ]
        }
    }

    /// Reads one line of `metrics.jsonl`.
    ///
    /// - Throws: `ConfigError` naming `file`, `line` and the column when the line is not such a
    ///   record (`runs/x/metrics.jsonl:7:12: key path 'step': …`).
    package init(jsonLine text: some StringProtocol, file: String, line: Int) throws {
        do {
            self = try Self.read(jsonLine: String(text), file: file)
        } catch var error as ConfigError {
            // The line was parsed as a document of its own: its line 1 is the file's `line`.
            if error.position != nil { error.position!.line = line } else { error.file = "\(file) line \(line)" }
            throw error
        }
    }

    private static func read(jsonLine text: String, file: String) throws -> MetricsRecord {
        let document = try ConfigDocument(parsing: text, file: file)
        guard document.root.objectValue != nil else {
            throw ConfigError(
                .typeMismatch, file: file, position: document.root.position,
                message: "expected a record of a run's metrics (a JSON object), found \(document.root.foundDescription)")
        }
        return try document.read { object in
            let type = try object.require("type", as: String.self, .oneOf(["step", "evaluation"]))
            let step = try object.require("step", as: Int.self, .nonNegative)
            let epoch = try object.require("epoch", as: Int.self, .nonNegative)
            let wallTime = try object.require("wall_time", as: Double.self)
            func figure(_ key: String) throws -> Float? {
                // Known whether present or not, so that a misspelt figure's error lists them all.
                object.allow(key)
                guard let member = object.object.member(key) else { return nil }
                if case .null = member.value.kind { return .nan }
                return try object.require(key, as: Float.self)
            }
            if type == "step" {
                return .step(Step(
                    step: step, epoch: epoch, wallTime: wallTime, loss: try figure("loss") ?? .nan,
                    accuracy: try figure("accuracy"), learningRate: try figure("learning_rate") ?? .nan,
                    gradientNorm: try figure("gradient_norm"), samplesPerSecond: try figure("samples_per_second") ?? .nan))
            }
            return .evaluation(step: step, wallTime: wallTime, Trainer.Evaluation(
                epoch: epoch, trainLoss: try figure("train_loss") ?? .nan, trainAccuracy: try figure("train_accuracy"),
                testLoss: try figure("test_loss"), testAccuracy: try figure("test_accuracy")))
        }
    }

    /// The columns of `metrics.csv`, and the keys of `metrics.jsonl` in their order: a step's figures, then an evaluation's; a record leaves the
    /// other kind's cells empty.
    package static let csvHeader = [
        "type", "step", "epoch", "wall_time", "loss", "accuracy", "learning_rate", "gradient_norm", "samples_per_second",
        "train_loss", "train_accuracy", "test_loss", "test_accuracy",
    ]

    // MARK: TensorBoard

    /// The TensorBoard step of the record: the optimizer step for a step's figures, the epoch for
    /// an evaluation's (as Keras's TensorBoard callback writes `epoch_*` scalars).
    package var tensorBoardStep: Int {
        switch self {
        case .step(let record): record.step
        case .evaluation(_, _, let evaluation): evaluation.epoch
        }
    }

    /// The record's scalars, by TensorBoard tag: `train/loss`, `train/accuracy`,
    /// `train/learning_rate`, `train/gradient_norm`, `train/samples_per_second` for a step;
    /// `epoch/train_loss`, `epoch/train_accuracy`, `epoch/test_loss`, `epoch/test_accuracy` for an
    /// evaluation. Figures that were not measured are left out.
    package var scalars: [(tag: String, value: Float)] {
        var scalars: [(tag: String, value: Float)] = []
        func add(_ tag: String, _ value: Float?) {
            if let value { scalars.append((tag, value)) }
        }
        switch self {
        case .step(let record):
            add("train/loss", record.loss)
            add("train/accuracy", record.accuracy)
            add("train/learning_rate", record.learningRate)
            add("train/gradient_norm", record.gradientNorm)
            add("train/samples_per_second", record.samplesPerSecond)
        case .evaluation(_, _, let evaluation):
            add("epoch/train_loss", evaluation.trainLoss)
            add("epoch/train_accuracy", evaluation.trainAccuracy)
            add("epoch/test_loss", evaluation.testLoss)
            add("epoch/test_accuracy", evaluation.testAccuracy)
        }
        return scalars
    }
}
