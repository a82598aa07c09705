import ConfigKit
import Foundation
import Reports
import Storage
import Testing
import Training
import _TestSupport
@testable import Tasks

/// 256 synthetic examples with a held-out quarter: 192 to train, three batches of 64 an epoch.
let metricsConfig = """
    {
      "task": "train",
      "data": {"source": "synthetic", "examples": 256, "features": 32, "classes": 4, "test_fraction": 0.25},
      "model": {"type": "mlp", "hidden_layers": [16]},
      "training": {"epochs": 3, "batch_size": 64, "micro_shards": 2, "workers": 2, "seed": 4},
      "checkpoint": {"every_steps": 2, "keep_last": 100}
    }
    """

/// Runs `config` (written into `directory`) quietly, keeping its run folder at `runs` there;
/// returns the report.
@discardableResult
func runKeepingFolder(
    _ directory: TemporaryDirectory, config: String = metricsConfig, resume: String? = nil, writesMetrics: Bool = true
) throws -> [String: Any] {
    let options = RunOptions(
        verbosity: .quiet, writesMetrics: writesMetrics, resume: resume, runDirectory: directory.path + "/runs", keepsRunFolder: true)
    let path = try directory.write("train.json", config)
    let report = try TaskLoader.load(path: path, options: options).run(options: options) { _ in }
    return try writtenReport(report).object
}

/// The records of a run folder's files: `metrics.jsonl` read back, and the event file's records
/// with both CRCs checked.
func eventRecords(in folder: String) throws -> [[UInt8]] {
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter(TensorBoardEventFile.isEventFileName)
    try #require(names.count == 1, "\(names)")
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + names[0])))
    var records: [[UInt8]] = []
    var offset = 0
    func uint32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
    while offset < bytes.count {
        let length = (0..<8).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
        try #require(uint32(offset + 8) == CRC32C.masked(CRC32C.checksum(bytes[offset..<offset + 8])))
        let data = Array(bytes[offset + 12..<offset + 12 + length])
        try #require(uint32(offset + 12 + length) == CRC32C.masked(CRC32C.checksum(data)))
        records.append(data)
        offset += 16 + length
    }
    return records
}

/// A record with its timing figures (wall time, samples per second) set to 0, for comparing
/// runs.
func untimed(_ record: MetricsRecord) -> MetricsRecord {
    switch record {
    case .step(var step):
        step.wallTime = 0
        step.samplesPerSecond = 0
        return .step(step)
    case .evaluation(let step, _, let evaluation):
        return .evaluation(step: step, wallTime: 0, evaluation)
    }
}

@Suite struct RunMetricsTests {
    @Test func aRunStreamsEveryStepAndEvaluationToItsThreeFilesAndPlotsThem() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let report = try runKeepingFolder(directory)
        let folder = directory.path + "/runs"
        let contents = try FileManager.default.contentsOfDirectory(atPath: folder)
        for name in ["metrics.jsonl", "metrics.csv", "metrics.svg", "model.safetensors"] {
            #expect(contents.contains(name), "\(contents)")
        }
        #expect(report["metrics"] as? String == folder + "/metrics.jsonl")

        let lines = RunMetrics.readLines(folder + "/metrics.jsonl")
        let records = lines.map(\.record)
        let steps = records.compactMap { record -> MetricsRecord.Step? in if case .step(let step) = record { step } else { nil } }
        #expect(steps.map(\.step) == Array(1...9))
        #expect(steps.map(\.epoch) == [1, 1, 1, 2, 2, 2, 3, 3, 3])
        #expect(steps.allSatisfy { $0.accuracy != nil && $0.gradientNorm != nil && $0.learningRate == 0.001 && $0.samplesPerSecond > 0 })
        // Each evaluation follows the step that ended its epoch.
        #expect(records.map(\.step) == [1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9])
        let evaluations = records.compactMap(\.evaluation)
        #expect(evaluations.map(\.epoch) == [1, 2, 3])
        let history = try #require(report["history"] as? [[String: Any]])
        #expect(history.map { ($0["test_accuracy"] as? Double).map(Float.init) } == evaluations.map(\.testAccuracy))
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.wallTime <= $1.wallTime })
        // Each line is the record as written again.
        #expect(lines.allSatisfy { $0.text == $0.record.jsonLine })

        let csv = try String(contentsOfFile: folder + "/metrics.csv", encoding: .utf8)
        #expect(csv == CSVWriter.line(MetricsRecord.csvHeader.map { .text($0) }) + records.map(\.csvLine).joined())
        #expect(csv.hasPrefix("type,step,epoch,wall_time,loss,accuracy,learning_rate,gradient_norm,samples_per_second,train_loss,"))

        let events = try eventRecords(in: folder)
        #expect(events.count == records.count + 1)
        #expect(Array(events.dropFirst()) == records.map {
            TensorBoardEventFile.scalarEvent(step: $0.tensorBoardStep, wallTime: $0.wallTime, scalars: $0.scalars)
        })
        let svg = try String(contentsOfFile: folder + "/metrics.svg", encoding: .utf8)
        #expect(svg.contains("runs: loss") && svg.contains("runs: accuracy") && svg.contains(">train steps</text>") && svg.contains(">test</text>"))
    }

    @Test func aRecordReadsBackAsWritten() throws {
        let step = MetricsRecord.step(.init(
            step: 7, epoch: 2, wallTime: 1_765_000_000.125, loss: .nan, accuracy: nil, learningRate: 1e-3, gradientNorm: 0.1,
            samplesPerSecond: 12_345.5))
        #expect(step.jsonLine == #"{"type": "step", "step": 7, "epoch": 2, "wall_time": 1765000000.125, "loss": null, "learning_rate": 0.001, "gradient_norm": 0.1, "samples_per_second": 12345.5}"# + "\n")
        let read = try MetricsRecord(jsonLine: step.jsonLine.dropLast(), file: "m", line: 1)
        guard case .step(let back) = read else { Issue.record("read \(read)"); return }
        #expect(back.loss.isNaN && back.accuracy == nil && back.gradientNorm == 0.1 && back.samplesPerSecond == 12_345.5)
        #expect(step.csvLine == "step,7,2,1765000000.125,nan,,0.001,0.1,12345.5,,,,\n")
        #expect(step.scalars.map(\.tag) == ["train/loss", "train/learning_rate", "train/gradient_norm", "train/samples_per_second"])
        // An error names the file's line, not the line within the one-line document.
        let error = try #require(throws: ConfigError.self) { try MetricsRecord(jsonLine: #"{"type": "step", "step": -1}"#, file: "m", line: 7) }
        #expect(error.description == "m:7:26: key path 'step': expected an integer >= 0, found -1", "\(error)")
        // A line that is not an object is named as what it is not; a misspelt figure gets every
        // figure its record takes.
        let scalar = try #require(throws: ConfigError.self) { try MetricsRecord(jsonLine: "5", file: "m", line: 3) }
        #expect(scalar.description == "m:3:1: expected a record of a run's metrics (a JSON object), found 5", "\(scalar)")
        let misspelt = try #require(throws: ConfigError.self) {
            try MetricsRecord(jsonLine: #"{"type": "step", "step": 1, "epoch": 1, "wall_time": 1, "los": 2}"#, file: "m", line: 4)
        }
        #expect(misspelt.description == "m:4:57: key path 'los': unknown key (did you mean 'loss'?); known keys: type, step, epoch, wall_time, loss, accuracy, learning_rate, gradient_norm, samples_per_second", "\(misspelt)")
    }

    /// The run's files after resuming from an earlier checkpoint (past which a killed run had
    /// written more, the last line cut short) hold what an uninterrupted run's hold.
    @Test func aResumedRunsFilesEqualAnUninterruptedRunsApartFromTheirTimes() throws {
        let reference = try TemporaryDirectory()
        defer { reference.remove() }
        let referenceReport = try runKeepingFolder(reference)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try runKeepingFolder(directory)
        let folder = directory.path + "/runs"
        let jsonl = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/metrics.jsonl"))
        try jsonl.seekToEnd()
        try jsonl.write(contentsOf: Data(#"{"type": "step", "step": 10, "ep"#.utf8))
        try jsonl.close()
        // The CSV and the event file cut short before the checkpoint's records (a file lost,
        // or damaged) are written again from metrics.jsonl.
        let eventsName = try #require(try FileManager.default.contentsOfDirectory(atPath: folder).first(where: TensorBoardEventFile.isEventFileName))
        #expect(truncate(folder + "/metrics.csv", 200) == 0 && truncate(folder + "/" + eventsName, 150) == 0)
        for resumeStep in [4, 3] {
            let report = try runKeepingFolder(directory, resume: folder + "/checkpoints/step-00000000\(resumeStep).safetensors")
            // The report's history is the whole run's, the evaluations before the checkpoint too.
            let history = try #require(report["history"] as? [[String: Any]])
            let referenceHistory = try #require(referenceReport["history"] as? [[String: Any]])
            #expect(history.map { $0["epoch"] as? Int } == referenceHistory.map { $0["epoch"] as? Int }, "resumed from step \(resumeStep)")
            #expect(history.map { $0["test_loss"] as? Double } == referenceHistory.map { $0["test_loss"] as? Double })
            let expected = RunMetrics.readLines(reference.path + "/runs/metrics.jsonl").map { untimed($0.record) }
            let resumed = RunMetrics.readLines(folder + "/metrics.jsonl").map(\.record)
            #expect(resumed.map(untimed) == expected, "resumed from step \(resumeStep)")
            let csv = try String(contentsOfFile: folder + "/metrics.csv", encoding: .utf8)
            #expect(csv == CSVWriter.line(MetricsRecord.csvHeader.map { .text($0) }) + resumed.map(\.csvLine).joined())
            #expect(Array(try eventRecords(in: folder).dropFirst()) == resumed.map {
                TensorBoardEventFile.scalarEvent(step: $0.tensorBoardStep, wallTime: $0.wallTime, scalars: $0.scalars)
            })
            #expect(try directory.read("runs/metrics.svg") == reference.read("runs/metrics.svg"))
        }
    }

    /// The step at which a run diverges is recorded like any other, its loss `null` in
    /// `metrics.jsonl` and non-finite in the CSV and TensorBoard's file: the files end where the
    /// run and its report say it ended.
    @Test func aDivergedRunsMetricsEndWithTheStepThatDiverged() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = metricsConfig.replacingOccurrences(
            of: #""training": {"#, with: #""optimizer": {"name": "sgd", "learning_rate": 1e38}, "training": {"#)
        let report = try runKeepingFolder(directory, config: config)
        #expect(report["status"] as? String == "diverged")
        let divergence = try #require(report["divergence"] as? [String: Any])
        let step = try #require(divergence["step"] as? Int)
        #expect(divergence["quantity"] as? String == "loss")
        let folder = directory.path + "/runs"
        let records = RunMetrics.readLines(folder + "/metrics.jsonl").map(\.record)
        #expect(records.map(\.step) == Array(1...step))
        guard case .step(let last) = records.last else {
            Issue.record("the last record is not a step: \(records)")
            return
        }
        #expect(last.loss.isNaN && last.learningRate == 1e38 && last.epoch == divergence["epoch"] as? Int)
        let csv = try String(contentsOfFile: folder + "/metrics.csv", encoding: .utf8)
        let lastRow = try #require(csv.split(separator: "\n").last)
        #expect(lastRow.hasPrefix("step,\(step),") && ["nan", "inf", "-inf"].contains(lastRow.split(separator: ",")[4]), "\(lastRow)")
        #expect(try eventRecords(in: folder).count == records.count + 1)
    }

    /// The evaluation a run ends with is recorded once, also when one of its figures is NaN
    /// (a test split whose loss overflows), which makes it unequal to itself under `==`.
    @Test func aFinalEvaluationWithANaNFigureIsRecordedOnce() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let metrics = try RunMetrics(directory: directory.path, resumingAfter: nil, title: "nan")
        let evaluation = Trainer.Evaluation(epoch: 3, trainLoss: 11, trainAccuracy: nil, testLoss: .nan, testAccuracy: nil)
        try metrics.recordFinal(evaluation, step: 9)
        try metrics.recordFinal(evaluation, step: 9)
        var later = evaluation
        later.trainLoss = 12
        try metrics.recordFinal(later, step: 9)
        try metrics.flush()
        let records = RunMetrics.readLines(directory.path + "/metrics.jsonl").map(\.record)
        #expect(records.map(\.step) == [9, 9])
        #expect(records.compactMap(\.evaluation).map(\.trainLoss) == [11, 12])
        #expect(try directory.read("metrics.csv").split(separator: "\n").count == 3)
    }

    /// A resumed run cuts its files back to the checkpoint's records in place: a reader that
    /// held them open through the kill and the resume (TensorBoard keeps each event file open)
    /// reads what the files hold, the resumed run's records included, and the event file keeps
    /// its first record.
    @Test func aResumeCutsItsFilesBackInPlaceSoThatOpenReadersFollowThem() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try runKeepingFolder(directory)
        let folder = directory.path + "/runs"
        let eventsName = try #require(try FileManager.default.contentsOfDirectory(atPath: folder).first(where: TensorBoardEventFile.isEventFileName))
        let names = ["metrics.jsonl", "metrics.csv", eventsName]
        let readers = try names.map { try FileHandle(forReadingFrom: URL(fileURLWithPath: folder + "/" + $0)) }
        defer { for reader in readers { try? reader.close() } }
        let versionRecord = try eventRecords(in: folder).first
        try runKeepingFolder(directory, resume: folder + "/checkpoints/step-000000004.safetensors")
        for (name, reader) in zip(names, readers) {
            let followed = try reader.readToEnd() ?? Data()
            #expect(followed == (try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))), "\(name)")
        }
        #expect(try eventRecords(in: folder).first == versionRecord)
        #expect(RunMetrics.readLines(folder + "/metrics.jsonl").map(\.record.step) == [1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9])
    }

    /// An infinity, which metrics.jsonl writes as `null` (JSON has none), stays an infinity in
    /// the CSV and the event file across a resume: the kept records' bytes are the files' own.
    @Test func aResumeKeepsTheInfinitiesItsFilesRecorded() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Ten held-out rows whose targets' squared errors, about 1e38 each, sum past a Float's range.
        var rows = ["a,b,y"]
        for index in 0..<90 { rows.append("\(Double(index % 6) / 6),\(Double(index % 5) / 5),\(index % 7)") }
        rows += Array(repeating: "0.5,0.5,1e19", count: 10)
        try directory.write("d.csv", rows.joined(separator: "\n") + "\n")
        let config = """
            {"task": "train", "data": {"source": "csv", "path": "d.csv", "label": "y", "kind": "regression", "test_fraction": 0.1, "split": "file_order"},
             "model": {"type": "mlp", "hidden_layers": [4], "loss": "mean_squared_error"},
             "training": {"epochs": 3, "batch_size": 30, "seed": 1}, "checkpoint": {"every_steps": 2, "keep_last": 100}}
            """
        try runKeepingFolder(directory, config: config)
        let folder = directory.path + "/runs"
        let before = try directory.read("runs/metrics.csv").split(separator: "\n")
        func testLosses(_ rows: [Substring]) -> [Substring] {
            rows.filter { $0.hasPrefix("evaluation,") }.map { $0.split(separator: ",", omittingEmptySubsequences: false)[11] }
        }
        try #require(testLosses(before) == ["inf", "inf", "inf"])
        let eventsBefore = try eventRecords(in: folder)
        try runKeepingFolder(directory, config: config, resume: folder + "/checkpoints/step-000000004.safetensors")
        let after = try directory.read("runs/metrics.csv").split(separator: "\n")
        #expect(testLosses(after) == ["inf", "inf", "inf"])
        // The header, steps 1 to 4 and the evaluation after step 3.
        let kept = 1 + 5
        #expect(Array(after.prefix(kept)) == Array(before.prefix(kept)) && after.count == before.count)
        #expect(Array(try eventRecords(in: folder).prefix(kept)) == Array(eventsBefore.prefix(kept)))
    }

    /// A metrics.jsonl over the read limit (a very long run's) stops the resume with what to do,
    /// rather than only the limit; the file is left as it was.
    @Test func aResumeWithMetricsOverTheLimitSaysHowToGoOn() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try runKeepingFolder(directory)
        let folder = directory.path + "/runs"
        // Sparse: the size is checked before anything is read.
        #expect(truncate(folder + "/metrics.jsonl", off_t(RunMetrics.readLimit + 1)) == 0)
        let error = try #require(throws: FileError.self) {
            try runKeepingFolder(directory, resume: folder + "/checkpoints/step-000000004.safetensors")
        }
        #expect(error.message == "cannot read metrics '\(folder)/metrics.jsonl': it is \(RunMetrics.readLimit + 1) bytes, more than the limit of \(RunMetrics.readLimit); a resumed run reads it to keep its records up to the checkpoint: move it aside to resume without them (the run then names the steps its metrics lack), or resume into another --run-dir")
        var info = stat()
        #expect(stat(folder + "/metrics.jsonl", &info) == 0 && Int(info.st_size) == RunMetrics.readLimit + 1)
    }

    /// A finished run resumed (as one killed after its last checkpoint is) has nothing to train:
    /// its report gives the finished run's figures, from the evaluation its metrics recorded,
    /// not a pass over the training split that the run never reported.
    @Test func aFinishedRunResumedReportsTheFinishedRunsFigures() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let finished = try runKeepingFolder(directory)
        let resumed = try runKeepingFolder(directory, resume: directory.path + "/runs/checkpoints/step-000000009.safetensors")
        #expect(resumed["steps"] as? Int == 9)
        for key in ["train_loss", "train_accuracy", "test_loss", "test_accuracy", "train_metrics", "parameter_digest"] {
            #expect("\(resumed[key] ?? "none")" == "\(finished[key] ?? "none")", "\(key)")
        }
        let history = try #require(resumed["history"] as? [[String: Any]])
        #expect(history.last?["train_loss"] as? Double == resumed["train_loss"] as? Double)
    }

    /// Steps trained with --no-metrics leave a gap in the files; the run that resumes with
    /// metrics after them says which steps its files lack.
    @Test func aResumeAfterStepsWithoutMetricsNamesTheGap() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        func run(epochs: Int, metrics: Bool) throws -> [String] {
            let config = metricsConfig.replacingOccurrences(of: #""epochs": 3"#, with: #""epochs": \#(epochs)"#)
            let path = try directory.write("train\(epochs).json", config)
            let folder = directory.path + "/runs"
            let resume = epochs == 1 ? nil : folder + "/checkpoints/step-00000000\(3 * (epochs - 1)).safetensors"
            let options = RunOptions(verbosity: .normal, writesMetrics: metrics, resume: resume, runDirectory: folder, keepsRunFolder: true)
            var lines: [String] = []
            _ = try TaskLoader.load(path: path, options: options).run(options: options) { lines.append($0) }
            return lines
        }
        #expect(try run(epochs: 1, metrics: true).allSatisfy { !$0.contains("holds no records") })
        _ = try run(epochs: 2, metrics: false)
        let resumed = try run(epochs: 3, metrics: true)
        let note = "/runs/metrics.jsonl holds no records of steps 4–6, trained before the checkpoint without metrics (--no-metrics) or after the file was lost"
        #expect(resumed.contains { $0.contains(note) }, "\(resumed)")
        let steps = RunMetrics.readLines(directory.path + "/runs/metrics.jsonl").map(\.record.step)
        #expect(Set(steps) == Set([1, 2, 3, 7, 8, 9]))
    }

    @Test func theGapsAreEveryRunOfStepsNotRecorded() {
        #expect(RunMetrics.gaps(in: [1, 2, 3], upTo: 3).isEmpty)
        #expect(RunMetrics.gaps(in: [], upTo: 4) == [1...4])
        #expect(RunMetrics.gaps(in: [2, 2, 3, 7, 9], upTo: 9) == [1...1, 4...6, 8...8])
        #expect(RunMetrics.gaps(in: [1, 5, 12], upTo: 6) == [2...4, 6...6])
        #expect(RunMetrics.gaps(in: [], upTo: 0).isEmpty)
    }

    @Test func aFreshRunStartsItsFilesOverAndNoMetricsWritesNone() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try runKeepingFolder(directory)
        let folder = directory.path + "/runs"
        let first = try FileManager.default.contentsOfDirectory(atPath: folder).filter(TensorBoardEventFile.isEventFileName)
        // An event file of another name, as an earlier run at another time would leave.
        try FileManager.default.moveItem(atPath: folder + "/" + first[0], toPath: folder + "/events.out.tfevents.1000.elsewhere")
        try runKeepingFolder(directory)
        #expect(try eventRecords(in: folder).count == 13)
        #expect(RunMetrics.readLines(folder + "/metrics.jsonl").count == 12)

        let quiet = try TemporaryDirectory()
        defer { quiet.remove() }
        let report = try runKeepingFolder(quiet, writesMetrics: false)
        let names = try FileManager.default.contentsOfDirectory(atPath: quiet.path + "/runs")
        #expect(names.sorted() == ["checkpoints", "model.safetensors"])
        #expect(report["metrics"] == nil)
    }

    /// Each file a run writes in its folder must be a regular file that is none of its inputs:
    /// a link (here to the config), a FIFO, a checkpoints folder that is a link, or the config
    /// itself kept in the folder under a name the run writes stops the run before it writes
    /// anything, and the input is unchanged.
    @Test func aRunFolderFileThatIsALinkAFIFOOrAnInputIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let folder = directory.path + "/runs"
        try FileManager.default.createDirectory(atPath: folder + "/checkpoints", withIntermediateDirectories: true)
        let config = try directory.write("train.json", metricsConfig)
        func refusal(_ expected: String) {
            do {
                try runKeepingFolder(directory)
                Issue.record("the run wrote into a folder holding \(expected)")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
            #expect((try? directory.read("train.json")) == metricsConfig)
        }
        for name in ["metrics.jsonl", "model.safetensors", "checkpoints/step-000000002.safetensors"] {
            try FileManager.default.createSymbolicLink(atPath: folder + "/" + name, withDestinationPath: config)
            refusal("cannot write '\(folder)/\(name)': it is a symbolic link")
            try FileManager.default.removeItem(atPath: folder + "/" + name)
        }
        try #require(mkfifo(folder + "/metrics.csv", 0o644) == 0)
        refusal("cannot write '\(folder)/metrics.csv': it is a FIFO")
        try FileManager.default.removeItem(atPath: folder + "/metrics.csv")

        // A checkpoints folder that is a link to another folder, which keeps what it held.
        let elsewhere = directory.path + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try directory.write("elsewhere/step-000000001.safetensors", "not the run's")
        try FileManager.default.removeItem(atPath: folder + "/checkpoints")
        try FileManager.default.createSymbolicLink(atPath: folder + "/checkpoints", withDestinationPath: elsewhere)
        refusal("cannot use '\(folder)/checkpoints' as the run's checkpoints folder: it is a symbolic link, not a directory")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere) == ["step-000000001.safetensors"])
        try FileManager.default.removeItem(atPath: folder + "/checkpoints")
        // A regular file in its place, which is named as what it is.
        try directory.write("runs/checkpoints", "a file")
        refusal("cannot use '\(folder)/checkpoints' as the run's checkpoints folder: it is a regular file, not a directory")
        #expect(try directory.read("runs/checkpoints") == "a file")
        try FileManager.default.removeItem(atPath: folder + "/checkpoints")

        // The config kept in the run folder as metrics.csv, and loaded from there.
        let inside = try directory.write("runs/metrics.csv", metricsConfig)
        let options = RunOptions(verbosity: .quiet, runDirectory: folder, keepsRunFolder: true)
        do {
            _ = try TaskLoader.load(path: inside, options: options).run(options: options) { _ in }
            Issue.record("the run replaced its own config")
        } catch {
            #expect("\(error)" == "cannot write '\(inside)': it is the config of this run ('\(inside)'); move it out of the run folder or choose another --run-dir")
        }
        #expect(try directory.read("runs/metrics.csv") == metricsConfig)
    }

    /// A fresh run in a folder an earlier run of the same config used starts it over: the
    /// earlier checkpoints go, so keep_last and --resume latest see only this run's; one at a
    /// step this run never reaches (a longer run's) is not removed, and the run is refused.
    /// Checkpoints of another config are left alone and the run is refused.
    @Test func aFreshRunInAUsedFolderStartsItOverOrIsRefusedForAnotherConfig() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try runKeepingFolder(directory)
        let folder = directory.path + "/runs/checkpoints"
        let first = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        try FileManager.default.removeItem(atPath: folder + "/" + first[0])
        try runKeepingFolder(directory)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == first)
        try FileManager.default.copyItem(atPath: folder + "/" + first.last!, toPath: folder + "/step-000000999.safetensors")
        #expect(throws: (any Error).self) { try runKeepingFolder(directory) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == (first + ["step-000000999.safetensors"]).sorted())
        try FileManager.default.removeItem(atPath: folder + "/step-000000999.safetensors")

        let other = metricsConfig.replacingOccurrences(of: "\"seed\": 4", with: "\"seed\": 5")
        do {
            try runKeepingFolder(directory, config: other)
            Issue.record("a run of another config started in a folder holding this one's checkpoints")
        } catch {
            #expect("\(error)".hasPrefix("cannot start a run in '\(directory.path)/runs': it holds the checkpoints of another run ("), "\(error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == first)

        // Without periodic checkpoints, best.safetensors says whose folder it is.
        let bestOnly = try TemporaryDirectory()
        defer { bestOnly.remove() }
        let keepingBest = metricsConfig.replacingOccurrences(of: #""every_steps": 2, "keep_last": 100"#, with: #""every_epochs": 0, "keep_best": "train_loss""#)
        try runKeepingFolder(bestOnly, config: keepingBest)
        #expect(FileManager.default.fileExists(atPath: bestOnly.path + "/runs/best.safetensors"))
        #expect(throws: (any Error).self) {
            try runKeepingFolder(bestOnly, config: keepingBest.replacingOccurrences(of: "\"seed\": 4", with: "\"seed\": 5"))
        }
        try runKeepingFolder(bestOnly, config: keepingBest)
    }

    /// A resumed run removes the periodic checkpoints past the step it resumes at, which it
    /// computes again (and --resume latest would have taken), and says so; a folder holding a
    /// checkpoint past this run's last step (a longer run's) is refused, as is one whose newest
    /// checkpoint another config wrote, and both are left as they were.
    @Test func aResumedRunClaimsItsFolderOrIsRefusedForAnotherConfig() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let whole = try runKeepingFolder(directory)
        let folder = directory.path + "/runs/checkpoints"
        let first = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(first.contains("step-000000004.safetensors") && first.contains("step-000000009.safetensors"), "\(first)")
        let resume = folder + "/step-000000004.safetensors"

        let options = RunOptions(verbosity: .normal, resume: resume, runDirectory: directory.path + "/runs", keepsRunFolder: true)
        var lines: [String] = []
        let report = try TaskLoader.load(path: directory.path + "/train.json", options: options).run(options: options) { lines.append($0) }
        let resumed = try writtenReport(report).object
        #expect(lines.contains { $0.hasPrefix("note: removed 3 checkpoints past step 4 from \(directory.path)/runs (the newest: \(folder)/step-000000009.safetensors)") }, "\(lines)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == first)
        #expect(resumed["parameter_digest"] as? String == whole["parameter_digest"] as? String)

        // A checkpoint at a step this 9-step run never reaches is a longer run's: not removed.
        try FileManager.default.copyItem(atPath: folder + "/step-000000009.safetensors", toPath: folder + "/step-000000999.safetensors")
        do {
            try runKeepingFolder(directory, resume: resume)
            Issue.record("a resumed run removed a longer run's checkpoints")
        } catch {
            #expect("\(error)".contains("it holds checkpoints of a longer run of this config past this run's 9 steps (the newest: \(folder)/step-000000999.safetensors)"), "\(error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == (first + ["step-000000999.safetensors"]).sorted())
        try FileManager.default.removeItem(atPath: folder + "/step-000000999.safetensors")

        let otherRun = try TemporaryDirectory()
        defer { otherRun.remove() }
        try runKeepingFolder(otherRun, config: metricsConfig.replacingOccurrences(of: "\"seed\": 4", with: "\"seed\": 5"))
        try FileManager.default.copyItem(atPath: otherRun.path + "/runs/checkpoints/" + first.last!, toPath: folder + "/step-000000999.safetensors")
        do {
            try runKeepingFolder(directory, resume: resume)
            Issue.record("a resumed run wrote into a folder holding another config's checkpoints")
        } catch {
            #expect("\(error)".hasPrefix("cannot resume a run in '\(directory.path)/runs': it holds the checkpoints of another run (\(folder)/step-000000999.safetensors: config hash "), "\(error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == (first + ["step-000000999.safetensors"]).sorted())
    }

    /// A checkpoint another run wrote, put among this run's, is never removed: a fresh run (which
    /// removes this config's), a resumed run (which removes those past its step, and prunes the
    /// oldest) and best.safetensors alike; the run is refused naming the file, and the folder is
    /// left as it was. A file named like a checkpoint that cannot be read is refused the same way.
    @Test func aCheckpointOfAnotherRunAmongThisRunsIsRefusedNotRemoved() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try runKeepingFolder(directory)
        let runs = directory.path + "/runs"
        let folder = runs + "/checkpoints"
        let own = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(own == [2, 3, 4, 6, 8, 9].map { "step-00000000\($0).safetensors" }, "\(own)")
        let otherRun = try TemporaryDirectory()
        defer { otherRun.remove() }
        try runKeepingFolder(otherRun, config: metricsConfig.replacingOccurrences(of: "\"seed\": 4", with: "\"seed\": 5"))
        let foreign = otherRun.path + "/runs/checkpoints/" + own.last!

        func expectRefused(_ path: String, resume: String? = nil, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let before = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            do {
                try runKeepingFolder(directory, resume: resume)
                Issue.record("the run started beside \(path)", sourceLocation: sourceLocation)
            } catch {
                let verb = resume == nil ? "start" : "resume"
                #expect("\(error)".hasPrefix("cannot \(verb) a run in '\(runs)': \(expected)"), "\(error)", sourceLocation: sourceLocation)
                #expect("\(error)".hasSuffix("; move it out of '\(runs)', or choose another --run-dir"), "\(error)", sourceLocation: sourceLocation)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == before, sourceLocation: sourceLocation)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes, sourceLocation: sourceLocation)
        }
        let resume = folder + "/step-000000004.safetensors"
        // Older than this run's newest checkpoint, which is this config's.
        let oldest = folder + "/step-000000001.safetensors"
        try FileManager.default.copyItem(atPath: foreign, toPath: oldest)
        try expectRefused(oldest, "it holds the checkpoints of another run (\(oldest): config hash ")
        try expectRefused(oldest, resume: resume, "it holds the checkpoints of another run (\(oldest): config hash ")
        try FileManager.default.removeItem(atPath: oldest)
        // Past the step a resumed run goes on from, where it removes this config's.
        let past = folder + "/step-000000005.safetensors"
        try FileManager.default.copyItem(atPath: foreign, toPath: past)
        try expectRefused(past, resume: resume, "it holds the checkpoints of another run (\(past): config hash ")
        try FileManager.default.removeItem(atPath: past)
        // The best checkpoint, which a fresh run removes.
        let best = runs + "/best.safetensors"
        try FileManager.default.copyItem(atPath: otherRun.path + "/runs/model.safetensors", toPath: best)
        try expectRefused(best, "it holds the checkpoints of another run (\(best): config hash ")
        try FileManager.default.removeItem(atPath: best)
        // A file that is no checkpoint at all.
        let junk = try directory.write("runs/checkpoints/step-000000007.safetensors", "not a checkpoint")
        try expectRefused(junk, "its checkpoint \(junk) cannot be read (")
        try FileManager.default.removeItem(atPath: junk)
        // Another run's best checkpoint alone, without periodic ones: removing the checkpoints
        // folder would change nothing, so the advice names the file.
        let aside = directory.path + "/aside"
        try FileManager.default.moveItem(atPath: folder, toPath: aside)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: otherRun.path + "/runs/model.safetensors", toPath: best)
        try expectRefused(best, "it holds the checkpoints of another run (\(best): config hash ")
        try FileManager.default.removeItem(atPath: best)
        try FileManager.default.removeItem(atPath: folder)
        try FileManager.default.moveItem(atPath: aside, toPath: folder)

        // With only its own checkpoints there, the run starts over as before.
        try runKeepingFolder(directory)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == own)
    }

    /// A run that training.steps ended mid-epoch, resumed from its last checkpoint, has no step
    /// left to take: its parameters stay those of the uninterrupted run, and its report gives
    /// that run's final loss and the checkpoint it resumed from as its last.
    @Test func aStateAtItsStepLimitTrainsNoFurther() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let limited = metricsConfig.replacingOccurrences(of: #""epochs": 3"#, with: #""steps": 4"#)
        let whole = try runKeepingFolder(directory, config: limited)
        let last = directory.path + "/runs/checkpoints/step-000000004.safetensors"
        let resumed = try runKeepingFolder(directory, config: limited, resume: last)
        #expect(resumed["parameter_digest"] as? String == whole["parameter_digest"] as? String)
        let loss = try #require(whole["final_loss"] as? Double)
        #expect(resumed["final_loss"] as? Double == loss)
        #expect(resumed["steps"] as? Int == 4)
        #expect(resumed["last_checkpoint"] as? String == last)
    }

    @Test func aLongRunsReportKeepsItsLastHundredEvaluations() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = metricsConfig.replacingOccurrences(of: #""epochs": 3, "batch_size": 64"#, with: #""epochs": 120, "batch_size": 192"#)
        let path = try directory.write("long.json", config)
        let options = RunOptions(verbosity: .quiet)
        let report = try writtenReport(try TaskLoader.load(path: path, options: options).run(options: options) { _ in }).object
        let history = try #require(report["history"] as? [[String: Any]])
        #expect(history.compactMap { $0["epoch"] as? Int } == Array(21...120))
        #expect(report["history_evaluations"] as? Int == 120)
    }

    @Test func theProgressLinesAreThoseOfItsVerbosity() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("train.json", metricsConfig)
        func lines(_ verbosity: Verbosity) throws -> [String] {
            let options = RunOptions(verbosity: verbosity, progress: .lines(everySeconds: 0))
            var lines: [String] = []
            _ = try TaskLoader.load(path: path, options: options).run(options: options) { lines.append($0) }
            return lines
        }
        let quiet = try lines(.quiet)
        #expect(quiet.count == 1 && quiet[0].hasPrefix("trained 9 steps in "), "\(quiet)")
        let normal = try lines(.normal)
        // Every step but each epoch's last prints a line, at interval 0; each epoch ends with its evaluation.
        #expect(normal.filter { $0.hasPrefix("epoch 2/3 step ") }.map { $0.prefix(19) } == ["epoch 2/3 step 1/3 ", "epoch 2/3 step 2/3 "])
        #expect(normal.contains { $0.hasPrefix("epoch 2/3: loss ") && $0.contains("test accuracy") })
        #expect(normal.first == "train: synthetic 256 x 32, 4 classes; 192 train, 64 test examples")
        let verbose = try lines(.verbose)
        let steps = verbose.filter { $0.hasPrefix("step ") }
        #expect(steps.count == 9)
        #expect(steps[3].hasPrefix("step 4 (epoch 2, 1/3): loss ") && steps[3].contains(", gradient norm ") && steps[3].contains(", learning rate 0.001"))
        for line in normal + verbose {
            #expect(!line.utf8.contains { $0 < 0x20 }, "\(line)")
        }
    }
}
