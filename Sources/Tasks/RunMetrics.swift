import Foundation
import Reports
import Storage
import Training

#if canImport(Glibc)
import Glibc
#endif

/// A training run's metrics, streamed into its run folder as they are measured:
/// `metrics.jsonl` and `metrics.csv` (one ``MetricsRecord`` a line), a TensorBoard event file
/// (`events.out.tfevents.<time>.<host>`), and `metrics.svg`, the loss and accuracy curves.
///
/// Each record goes to each file in one `write(2)` as soon as it is made, so a run that is
/// killed keeps everything it measured. A fresh run starts the files over (and removes the
/// folder's older event files, which TensorBoard would otherwise show beside the new one). A
/// resumed run keeps the records up to the step it resumed from, drops the later ones (written
/// after the checkpoint, and about to be measured again) and appends: its files then hold what
/// an uninterrupted run's would, wall times and throughput apart. `metrics.jsonl` is the source
/// the other files are rebuilt from on resume.
final class RunMetrics {
    static let jsonName = "metrics.jsonl"
    static let csvName = "metrics.csv"
    static let plotName = "metrics.svg"

    /// The run folder.
    let directory: String
    var jsonPath: String { directory + "/" + Self.jsonName }
    var csvPath: String { directory + "/" + Self.csvName }
    var plotPath: String { directory + "/" + Self.plotName }
    var eventsPath: String { events.path }

    private let json: AppendingFile
    private let csv: AppendingFile
    private let events: TensorBoardEventFile
    /// The curves of every record, the resumed run's earlier ones included.
    private(set) var curves: MetricsPlot.Curves
    /// The last evaluation recorded, with its step.
    private var lastEvaluation: (step: Int, evaluation: Trainer.Evaluation)?

    /// Opens the files of the run folder `directory`, which must exist.
    ///
    /// - Parameters:
    ///   - resumingAfter: the optimizer steps done at the checkpoint a resumed run starts from;
    ///     `nil` for a fresh run.
    ///   - title: the plot's title, the run's name.
    /// - Throws: `FileError` naming a file that cannot be written.
    init(directory: String, resumingAfter resumedStep: Int?, title: String) throws {
        self.directory = directory
        curves = MetricsPlot.Curves(name: title)
        let now = Self.wallTime()
        let existingEvents = Self.eventFiles(in: directory)
        let jsonPath = directory + "/" + Self.jsonName, csvPath = directory + "/" + Self.csvName
        if let resumedStep {
            let kept = Self.readLines(jsonPath).filter { $0.record.step <= resumedStep }
            try AtomicFile.write(kept.map(\.text).joined(), to: jsonPath)
            try AtomicFile.write(CSVWriter.line(MetricsRecord.csvHeader.map { .text($0) }) + kept.map(\.record.csvLine).joined(), to: csvPath)
            var bytes = TensorBoardEventFile.record(TensorBoardEventFile.versionEvent(wallTime: kept.first?.record.wallTime ?? now))
            for (_, record) in kept {
                bytes += TensorBoardEventFile.record(
                    TensorBoardEventFile.scalarEvent(step: record.tensorBoardStep, wallTime: record.wallTime, scalars: record.scalars))
            }
            let eventsPath = existingEvents.first ?? directory + "/" + TensorBoardEventFile.fileName(wallTime: now, host: Self.hostName())
            try AtomicFile.write(Data(bytes), to: eventsPath)
            try Self.remove(existingEvents.filter { $0 != eventsPath })
            json = try AppendingFile(path: jsonPath, truncating: false)
            csv = try AppendingFile(path: csvPath, truncating: false)
            events = try TensorBoardEventFile(appendingTo: eventsPath)
            curves = MetricsPlot.Curves(name: title, records: kept.map(\.record))
            lastEvaluation = kept.last { $0.record.evaluation != nil }.map { ($0.record.step, $0.record.evaluation!) }
        } else {
            try Self.remove(existingEvents)
            json = try AppendingFile(path: jsonPath, truncating: true)
            csv = try AppendingFile(path: csvPath, truncating: true)
            try csv.append(CSVWriter.line(MetricsRecord.csvHeader.map { .text($0) }))
            events = try TensorBoardEventFile(
                creating: directory + "/" + TensorBoardEventFile.fileName(wallTime: now, host: Self.hostName()), wallTime: now)
        }
    }

    /// Records a step's figures and, at an epoch's end, its evaluation.
    func record(_ event: Trainer.StepEvent) throws {
        let trainer = event.trainer
        let now = Self.wallTime()
        try append(.step(MetricsRecord.Step(
            step: trainer.globalStep, epoch: event.endsEpoch ? trainer.epoch : trainer.epoch + 1, wallTime: now,
            loss: event.loss, accuracy: event.accuracy, learningRate: event.learningRate, gradientNorm: event.gradientNorm,
            samplesPerSecond: Float(event.samplesPerSecond))))
        if let evaluation = event.evaluation {
            try record(evaluation, step: trainer.globalStep, wallTime: now)
        }
    }

    /// Records the evaluation a run makes after its last step when that step did not end an
    /// epoch (a `training.steps` limit), unless it is recorded already.
    func recordFinal(_ evaluation: Trainer.Evaluation, step: Int) throws {
        if let last = lastEvaluation, last.step == step, last.evaluation == evaluation { return }
        try record(evaluation, step: step, wallTime: Self.wallTime())
    }

    private func record(_ evaluation: Trainer.Evaluation, step: Int, wallTime: Double) throws {
        try append(.evaluation(step: step, wallTime: wallTime, evaluation))
        lastEvaluation = (step, evaluation)
    }

    private func append(_ record: MetricsRecord) throws {
        try json.append(record.jsonLine)
        try csv.append(record.csvLine)
        try events.append(step: record.tensorBoardStep, wallTime: record.wallTime, scalars: record.scalars)
        curves.add(record)
    }

    /// Writes `metrics.svg`, the loss and accuracy curves of every evaluation so far.
    func writePlot() throws {
        try MetricsPlot.figure(runs: [curves]).write(to: plotPath)
    }

    // MARK: Reading

    /// The records of a `metrics.jsonl`, in order, each with its line as written (newline
    /// included). A line that does not read as a record (the last, cut short by a kill) is
    /// skipped; a missing file has none.
    static func readLines(_ path: String) -> [(text: String, record: MetricsRecord)] {
        guard let bytes = try? InputFile.read(path, limit: readLimit, what: "metrics") else { return [] }
        return lines(of: bytes, path: path)
    }

    /// The most bytes of `metrics.jsonl` read back (a million epochs of a hundred steps is about
    /// 25 GB; this is a tenth of that).
    static let readLimit = 1 << 32

    private static func lines(of bytes: [UInt8], path: String) -> [(text: String, record: MetricsRecord)] {
        var lines: [(String, MetricsRecord)] = []
        var number = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            // Only a line that ends in a newline was written whole.
            guard line.endIndex < bytes.endIndex, let text = String(validating: line, as: UTF8.self),
                  let record = try? MetricsRecord(jsonLine: text, file: path, line: number) else { continue }
            lines.append((text + "\n", record))
        }
        return lines
    }

    /// The records of the run folder `directory`'s `metrics.jsonl`.
    ///
    /// - Throws: `FileError` when the folder has no metrics (it is not a run folder, or the run
    ///   was made with `--no-metrics`).
    static func records(inRunFolder directory: String) throws -> [MetricsRecord] {
        let path = directory + "/" + jsonName
        guard FileManager.default.fileExists(atPath: path) else {
            throw FileError("'\(directory)' has no \(jsonName): expected the folder of a training run (runs/<config name>, or its --run-dir) made without --no-metrics")
        }
        return lines(of: try InputFile.read(path, limit: readLimit, what: "metrics"), path: path).map(\.record)
    }

    // MARK: Files

    /// The event files in `directory`, by name.
    private static func eventFiles(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter(TensorBoardEventFile.isEventFileName).sorted().map { directory + "/" + $0 }
    }

    private static func remove(_ paths: [String]) throws {
        for path in paths where unlink(path) != 0 && errno != ENOENT {
            throw FileError("cannot delete the old event file '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    /// Seconds since 1970, TensorBoard's wall time.
    static func wallTime() -> Double { Date().timeIntervalSince1970 }

    /// The machine's name for event file names, as Python's `socket.gethostname()`.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .replacingOccurrences(of: "/", with: "_")
        return name.isEmpty ? "localhost" : name
    }
}
