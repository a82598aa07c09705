import Foundation
import Reports
import Storage
import Synchronization
import DataParallel
import Training

#if canImport(Glibc)
import Glibc
#endif

/// A training run's metrics, streamed into its run folder as they are measured:
/// `metrics.jsonl` and `metrics.csv` (one ``MetricsRecord`` a line), a TensorBoard event file
/// (`events.out.tfevents.<time>.<host>`), and `metrics.svg`, the loss and accuracy curves.
///
/// The training thread only collects the records; every ``batchInterval`` (100 ms) it hands
/// them to a queue of their own, which encodes them and appends them to the three files, one
/// `write(2)` per file. Encoding and writing each record on the training thread, line by line,
/// took about 14 µs a record, 10-15 % of a small model's 140 µs steps on two cores
/// (`benchmarks/results/logging.md`). A run that is killed loses at most its last 100 ms of
/// records, and never one it needs: ``flush()`` writes every record collected before it returns,
/// and the run flushes before each checkpoint, so every record up to a checkpoint's step is in
/// the files before the checkpoint exists.
///
/// A fresh run starts the files over (and removes the folder's older event files, which
/// TensorBoard would otherwise show beside the new one). A resumed run keeps the records up to
/// the step it resumed from, drops the later ones (written after the checkpoint, and about to be
/// measured again) and appends: its files then hold what an uninterrupted run's would, wall
/// times and throughput apart. A file that holds the kept records first, as the run wrote
/// them (what a kill after a checkpoint leaves), is cut back after them in place rather than
/// replaced: a TensorBoard left running across the kill and the resume keeps each event file
/// open, would never see a replacement, and reads on into the resumed run's records, each of
/// which lies where the killed run had written the same record; and the figures keep the
/// bytes they were written with, an infinity included, which metrics.jsonl can only write as
/// `null`. A file that does not (it was lost, damaged or cut short) is written again from
/// metrics.jsonl's records. `metrics.jsonl` is the source
/// the other files are rebuilt from on resume.
///
/// `metrics.svg` is drawn from every record so far at the run's first checkpoint, so that a run
/// killed after it has a figure, then at checkpoints at most every ``plotInterval`` (a long
/// run's redrawing would otherwise grow with its length), and always at the end of the run; it
/// is replaced whole but not `fsync`ed, since `swiftgrad plot` can draw it again.
package final class RunMetrics {
    package static let jsonName = "metrics.jsonl"
    package static let csvName = "metrics.csv"
    package static let plotName = "metrics.svg"

    /// The run folder.
    let directory: String
    var jsonPath: String { directory + "/" + Self.jsonName }
    var csvPath: String { directory + "/" + Self.csvName }
    var plotPath: String { directory + "/" + Self.plotName }

    /// The files, written on `queue` only.
    private let writer: Writer
    private let queue = DispatchQueue(label: "swiftgrad.metrics")
    /// Records collected and not yet handed to `queue`.
    private var pending: [MetricsRecord] = []
    /// When records were last handed to `queue`.
    private var lastHandOver = ContinuousClock.now
    /// How long records wait before they are written (unless a flush comes first).
    static let batchInterval: Duration = .milliseconds(100)
    /// The last evaluation recorded, with its step.
    private var lastEvaluation: (step: Int, evaluation: Trainer.Evaluation)?
    /// When `metrics.svg` was last written.
    private var lastPlot: ContinuousClock.Instant?
    /// The evaluations recorded before the step a resumed run starts from (none for a fresh
    /// run), so that the report's history is the whole run's.
    private(set) var earlierEvaluations: [Trainer.Evaluation] = []
    /// For a resumed run, the steps up to the checkpoint that the files hold no record of.
    private(set) var missingSteps: [ClosedRange<Int>] = []

    /// The steps from 1 to `last` that `recorded` lacks, as ranges in order.
    static func gaps(in recorded: [Int], upTo last: Int) -> [ClosedRange<Int>] {
        var gaps: [ClosedRange<Int>] = []
        var next = 1
        for step in Set(recorded).sorted() where step >= next && step <= last {
            if step > next { gaps.append(next...(step - 1)) }
            // `last` may be Int.max, past which `step + 1` would overflow.
            if step == last { return gaps }
            next = step + 1
        }
        if next <= last { gaps.append(next...last) }
        return gaps
    }

    /// Folders checked to be the run's own before `metrics.svg` is replaced (see
    /// `DirectoryIdentity`): a run folder moved aside, or another put in its place, stops the
    /// run instead of taking the plot.
    var guardedFolders: [DirectoryIdentity] = []

    /// The shortest time between two redrawings of the plot at checkpoints.
    static let plotInterval: Duration = .seconds(10)

    /// Opens the files of the run folder `directory`, which must exist.
    ///
    /// - Parameters:
    ///   - resumingAfter: the optimizer steps done at the checkpoint a resumed run starts from;
    ///     `nil` for a fresh run.
    ///   - title: the plot's title, the run's name.
    /// - Throws: `FileError` naming a file that cannot be written.
    init(directory: String, resumingAfter resumedStep: Int?, title: String) throws {
        self.directory = directory
        var curves = MetricsPlot.Curves(name: title)
        let json: AppendingFile, csv: AppendingFile, events: TensorBoardEventFile
        let now = Self.wallTime()
        let existingEvents = Self.eventFiles(in: directory)
        let jsonPath = directory + "/" + Self.jsonName, csvPath = directory + "/" + Self.csvName
        if let resumedStep {
            // A file that cannot be read stops the run rather than being started over.
            let jsonBytes = FileManager.default.fileExists(atPath: jsonPath) ? try Self.readMetrics(jsonPath, resuming: true) : []
            let existing = try Self.lines(of: jsonBytes, path: jsonPath)
            let kept = existing.filter { $0.record.step <= resumedStep }
            let records = kept.map(\.record)
            // Every step up to a checkpoint is recorded before it is written, unless steps were
            // trained without metrics (--no-metrics) or the file was lost.
            missingSteps = Self.gaps(in: records.map(\.step), upTo: resumedStep)
            // Each file that holds the kept records first, as the run wrote them, is cut back
            // after them in place (see the type's comment); any other is written again from
            // metrics.jsonl's records.
            let keptBytes = kept.reduce(0) { $0 + $1.line.count }
            let keptFirst = existing.prefix(kept.count).allSatisfy { $0.record.step <= resumedStep }
            let jsonCut = kept.isEmpty || (keptFirst && existing[kept.count - 1].line.upperBound == keptBytes) ? keptBytes : nil
            json = try Self.resuming(jsonPath, cutAt: jsonCut) { kept.flatMap { jsonBytes[$0.line] } }
            let header = CSVWriter.line(MetricsRecord.csvHeader.map { .text($0) })
            let csvCut = Self.existingBytes(csvPath).flatMap { Self.csvEnd(of: records, header: header, in: $0) }
            csv = try Self.resuming(csvPath, cutAt: csvCut) { Array((header + records.map(\.csvLine).joined()).utf8) }
            let eventsPath = existingEvents.first ?? directory + "/" + TensorBoardEventFile.fileName(wallTime: now, host: Self.hostName())
            let eventsCut = Self.existingBytes(eventsPath).flatMap { Self.eventsEnd(of: records, in: $0) }
            events = TensorBoardEventFile(appendingTo: try Self.resuming(eventsPath, cutAt: eventsCut) {
                var bytes = TensorBoardEventFile.record(TensorBoardEventFile.versionEvent(wallTime: records.first?.wallTime ?? now))
                for record in records {
                    bytes += TensorBoardEventFile.record(
                        TensorBoardEventFile.scalarEvent(step: record.tensorBoardStep, wallTime: record.wallTime, scalars: record.scalars))
                }
                return bytes
            })
            try Self.remove(existingEvents.filter { $0 != eventsPath })
            curves = MetricsPlot.Curves(name: title, records: records)
            lastEvaluation = kept.last { $0.record.evaluation != nil }.map { ($0.record.step, $0.record.evaluation!) }
            earlierEvaluations = kept.compactMap(\.record.evaluation)
        } else {
            try Self.remove(existingEvents)
            json = try AppendingFile(path: jsonPath, truncating: true)
            csv = try AppendingFile(path: csvPath, truncating: true)
            try csv.append(CSVWriter.line(MetricsRecord.csvHeader.map { .text($0) }))
            events = try TensorBoardEventFile(
                creating: directory + "/" + TensorBoardEventFile.fileName(wallTime: now, host: Self.hostName()), wallTime: now)
        }
        writer = Writer(json: json, csv: csv, events: events, curves: curves)
    }

    /// Records a step's figures and, at an epoch's end, its evaluation.
    ///
    /// - Throws: `FileError` when a file cannot be written.
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

    /// Records the step at which a run diverged, which the trainer hands no step handler: its
    /// non-finite figures are `null` in `metrics.jsonl`, so the files end where the run did.
    func record(_ divergence: Trainer.Divergence) throws {
        let figures = divergence.figures
        try append(.step(MetricsRecord.Step(
            step: divergence.step, epoch: divergence.epoch, wallTime: Self.wallTime(), loss: figures.loss,
            accuracy: figures.accuracy, learningRate: figures.learningRate, gradientNorm: figures.gradientNorm,
            samplesPerSecond: Float(figures.samplesPerSecond))))
    }

    /// Records the evaluation a run makes after its last step when that step did not end an
    /// epoch (a `training.steps` limit), unless it is recorded already.
    func recordFinal(_ evaluation: Trainer.Evaluation, step: Int) throws {
        if let last = lastEvaluation, last.step == step, Self.hasSameBits(last.evaluation, evaluation) { return }
        try record(evaluation, step: step, wallTime: Self.wallTime())
    }

    /// Whether `a` and `b` hold the same figures, bit for bit: a test loss that is NaN (an
    /// overflow in the test split) leaves an evaluation unequal to itself under `==`.
    private static func hasSameBits(_ a: Trainer.Evaluation, _ b: Trainer.Evaluation) -> Bool {
        func bits(_ figure: Float?) -> UInt32? { figure?.bitPattern }
        return a.epoch == b.epoch && a.trainLoss.bitPattern == b.trainLoss.bitPattern && bits(a.trainAccuracy) == bits(b.trainAccuracy)
            && bits(a.testLoss) == bits(b.testLoss) && bits(a.testAccuracy) == bits(b.testAccuracy)
    }

    private func record(_ evaluation: Trainer.Evaluation, step: Int, wallTime: Double) throws {
        try append(.evaluation(step: step, wallTime: wallTime, evaluation))
        lastEvaluation = (step, evaluation)
    }

    /// Collects `record`, and hands the records collected to the writing queue when the last
    /// hand-over was ``batchInterval`` ago.
    private func append(_ record: MetricsRecord) throws {
        if let failure = writer.failure.withLock({ $0 }) { throw failure }
        pending.append(record)
        if ContinuousClock.now - lastHandOver >= Self.batchInterval { handOver() }
    }

    private func handOver() {
        lastHandOver = .now
        guard !pending.isEmpty else { return }
        let records = pending
        pending.removeAll(keepingCapacity: true)
        queue.async { [writer] in writer.write(records) }
    }

    /// Writes every record collected so far and waits until they are in the files.
    ///
    /// The records not yet handed over are written on the calling thread, after those the queue
    /// holds (`sync` on an idle queue runs there): waking the queue's thread to write them and
    /// waiting for it took a third of a millisecond on two busy cores, at every checkpoint.
    ///
    /// - Throws: `FileError` when a record could not be written.
    func flush() throws {
        lastHandOver = .now
        let records = pending
        pending.removeAll(keepingCapacity: true)
        queue.sync { [writer] in writer.write(records) }
        if let failure = writer.failure.withLock({ $0 }) { throw failure }
    }

    /// Writes `metrics.svg`, the loss and accuracy curves of every record so far.
    func writePlot() throws {
        try flush()
        let figure = queue.sync { [writer] in MetricsPlot.figure(runs: [writer.curves]) }
        // Replaced whole, without the fsync: the curves can be drawn again from metrics.jsonl.
        try DirectoryIdentity.writing(in: guardedFolders) {
            try AtomicFile.write(figure.rendered(), to: plotPath, durable: false, links: .refuse)
        }
        lastPlot = .now
    }

    /// Writes `metrics.svg` unless it was written less than ``plotInterval`` ago: for each
    /// checkpoint (the first always draws).
    func writePlotIfDue() throws {
        if let lastPlot, ContinuousClock.now - lastPlot < Self.plotInterval { return }
        try writePlot()
    }

    /// The files and the curves, touched only on the metrics queue.
    private final class Writer: @unchecked Sendable {
        let json: AppendingFile
        let csv: AppendingFile
        let events: TensorBoardEventFile
        /// The curves of every record, the resumed run's earlier ones included.
        var curves: MetricsPlot.Curves
        /// The first error, after which nothing more is written.
        let failure = Locked<FileError?>(nil)

        init(json: AppendingFile, csv: AppendingFile, events: TensorBoardEventFile, curves: MetricsPlot.Curves) {
            (self.json, self.csv, self.events, self.curves) = (json, csv, events, curves)
        }

        /// Appends `records` to each file in one write.
        func write(_ records: [MetricsRecord]) {
            guard !records.isEmpty, failure.withLock({ $0 == nil }) else { return }
            do {
                let lines = records.map(\.lines)
                try json.append(lines.map(\.json).joined())
                try csv.append(lines.map(\.csv).joined())
                try events.append(records.map { ($0.tensorBoardStep, $0.wallTime, $0.scalars) })
                for record in records { curves.add(record) }
            } catch {
                failure.withLock { $0 = error as? FileError ?? FileError("\(error)") }
            }
        }
    }

    // MARK: Reading

    /// The records of a `metrics.jsonl`, in order, each with its line as written (newline
    /// included); none for a file that is missing or does not read (see ``lines(of:path:)``).
    static func readLines(_ path: String) -> [(text: String, record: MetricsRecord)] {
        guard let bytes = try? InputFile.read(path, limit: readLimit, what: "metrics") else { return [] }
        return ((try? lines(of: bytes, path: path)) ?? []).map { (String(decoding: bytes[$0.line], as: UTF8.self), $0.record) }
    }

    /// The bytes of the `metrics.jsonl` at `path`.
    ///
    /// - Throws: `FileError` for a file that cannot be read or is over ``readLimit``; for a
    ///   resumed run, one that says how to resume without it.
    private static func readMetrics(_ path: String, resuming: Bool) throws -> [UInt8] {
        do {
            return try InputFile.read(path, limit: readLimit, what: "metrics")
        } catch let error as FileError where resuming {
            throw FileError("\(error.message); a resumed run reads it to keep its records up to the checkpoint: move it aside to resume without them (the run then names the steps its metrics lack), or resume into another --run-dir")
        }
    }

    /// The most bytes of `metrics.jsonl` read back (a million epochs of a hundred steps is about
    /// 25 GB; this is a tenth of that).
    static let readLimit = 1 << 32

    /// The records of `metrics.jsonl`'s bytes, each with the range of its line, newline
    /// included (the records, not the lines' text, are what a long run's file is held as). A
    /// last line without its newline (cut short by a kill in the middle
    /// of a write) is skipped, as are empty lines; any other line must be a record.
    ///
    /// - Throws: `ConfigError` or `FileError` naming the file and the line that is not a record:
    ///   a file that another program changed, or that is not a run's metrics, is not read as
    ///   fewer records.
    private static func lines(of bytes: [UInt8], path: String) throws -> [(record: MetricsRecord, line: Range<Int>)] {
        var lines: [(MetricsRecord, Range<Int>)] = []
        var number = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            // Only a line that ends in a newline was written whole.
            guard line.endIndex < bytes.endIndex, !line.isEmpty else { continue }
            guard let text = String(validating: line, as: UTF8.self) else {
                throw FileError("\(path) line \(number): not UTF-8 text; expected a record of a run's metrics")
            }
            lines.append((try MetricsRecord(jsonLine: text, file: path, line: number), line.startIndex..<line.endIndex + 1))
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
        return try lines(of: try InputFile.read(path, limit: readLimit, what: "metrics"), path: path).map(\.record)
    }

    // MARK: Resuming

    /// The file at `path` cut back to its first `length` bytes in place, or, without a length,
    /// replaced by `contents()`; opened for appending.
    private static func resuming(_ path: String, cutAt length: Int?, rebuilding contents: () -> [UInt8]) throws -> AppendingFile {
        if let length { return try AppendingFile(path: path, truncatingTo: length) }
        try AtomicFile.write(contents(), to: path, links: .refuse)
        return try AppendingFile(path: path, truncating: false)
    }

    /// The bytes of the file at `path`; nil when it is missing or cannot be read (it is then
    /// written again, or refused by that write).
    private static func existingBytes(_ path: String) -> [UInt8]? {
        try? InputFile.read(path, limit: readLimit, what: "metrics")
    }

    /// The length of `metrics.csv`'s header and first rows when these are `records`' rows, as
    /// the run wrote them; nil otherwise. A row must have the record's cells, except that one
    /// `null` in metrics.jsonl (read back as NaN) may be `inf` or `-inf` in the row: JSON has no
    /// infinity, and the row keeps it.
    static func csvEnd(of records: [MetricsRecord], header: String, in bytes: [UInt8]) -> Int? {
        guard bytes.starts(with: header.utf8) else { return nil }
        var offset = header.utf8.count
        for record in records {
            guard let newline = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let row = bytes[offset..<newline].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            let expected = Array(record.csvLine.utf8.dropLast()).split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            guard row.count == expected.count else { return nil }
            for (cell, wanted) in zip(row, expected) where !cell.elementsEqual(wanted) {
                guard wanted.elementsEqual("nan".utf8), cell.elementsEqual("inf".utf8) || cell.elementsEqual("-inf".utf8) else { return nil }
            }
            offset = newline + 1
        }
        return offset
    }

    /// The length of an event file's version event and first events when these are `records`'
    /// (by step and wall time, which tell records apart), as the run wrote them; nil otherwise.
    static func eventsEnd(of records: [MetricsRecord], in bytes: [UInt8]) -> Int? {
        let events = TensorBoardEventFile.events(in: bytes)
        guard events.count > records.count, events[0].isVersion else { return nil }
        for (record, event) in zip(records, events.dropFirst())
        where event.isVersion || event.step != record.tensorBoardStep || event.wallTime.bitPattern != record.wallTime.bitPattern {
            return nil
        }
        return events[records.count].end
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
