// logging-bench: what watching a training run costs, measured in-process so that process
// start-up and data loading do not blur it.
//
//   swift run -c release logging-bench [--config Configs/digits-mlp.json] [--rounds 15]
//
// 1. One step's record: its JSON line, CSV row and TensorBoard event, and one append to a file
//    (ns per record, best and median of 7 runs of 20 000).
// 2. The trainer alone, measuring nothing against measuring the gradient norm and the training
//    accuracy (run(measuring:)): the cost of the figures themselves.
// 3. The config's training task as `swiftgrad run` runs it (run folder kept, the final model
//    written but no periodic checkpoints, whose fsyncs vary too much on a shared disk) with
//    logging off (--quiet --no-metrics), with progress lines only (--no-metrics),
//    and with everything on; the modes alternate in a shuffled order each round. Wall seconds and
//    process CPU seconds (all threads) of the task's run.

import Foundation
import Reports
import Storage
import SwiftGrad
import Tasks

let arguments = CommandLine.arguments
func option(_ name: String) -> String? { arguments.firstIndex(of: name).map { arguments[$0 + 1] } }
let config = option("--config") ?? "Configs/digits-mlp.json"
let rounds = option("--rounds").flatMap(Int.init) ?? 15

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

/// Process CPU seconds so far, all threads.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

// MARK: 1. One record

/// Best and median nanoseconds per iteration of `body` run `iterations` times, over 7 runs.
func measure(_ iterations: Int, _ body: (Int) throws -> Void) rethrows -> (best: Double, median: Double) {
    var runs: [Double] = []
    for _ in 0..<7 {
        let start = ContinuousClock.now
        try body(iterations)
        runs.append(seconds(ContinuousClock.now - start) * 1e9 / Double(iterations))
    }
    return (runs.min()!, median(runs))
}

let record = MetricsRecord.step(.init(
    step: 12_345, epoch: 17, wallTime: 1_765_000_000.123_456, loss: 0.123_456_7, accuracy: 0.953_125, learningRate: 0.001,
    gradientNorm: 1.234_567, samplesPerSecond: 48_211.5))
var sink = 0
print("logging-bench: \(config), \(rounds) rounds\n")
print("One step's record (ns, best and median of 7 runs of 20 000):\n")
print("| work | best ns | median ns |")
print("| --- | ---: | ---: |")
func row(_ label: String, _ result: (best: Double, median: Double)) {
    print("| \(label) | \(String(format: "%.0f", result.best)) | \(String(format: "%.0f", result.median)) |")
}
row("JSON line (`JSONValue.encoded(.singleLine)`)", measure(20_000) { n in for _ in 0..<n { sink &+= record.jsonLine.utf8.count } })
row("CSV row (`CSVWriter.line`)", measure(20_000) { n in for _ in 0..<n { sink &+= record.csvLine.utf8.count } })
row("both, formatting each figure once (`MetricsRecord.lines`)", measure(20_000) { n in for _ in 0..<n { sink &+= record.lines.json.utf8.count } })
row("TensorBoard event, framed (protobuf, 2 CRC-32C)", measure(20_000) { n in
    for _ in 0..<n {
        sink &+= TensorBoardEventFile.record(
            TensorBoardEventFile.scalarEvent(step: record.tensorBoardStep, wallTime: record.wallTime, scalars: record.scalars)).count
    }
})
let scratch = NSTemporaryDirectory() + "logging-bench-\(UUID().uuidString)"
try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: scratch) }
let line = record.jsonLine
let file = try AppendingFile(path: scratch + "/append.jsonl", truncating: true)
row("one append of the JSON line (`write(2)`)", try measure(20_000) { n in for _ in 0..<n { try file.append(line) } })

// MARK: 2. The trainer's figures

guard let task = try TaskLoader.load(path: config) as? TrainTask else {
    print("\(config) is not a \"task\": \"train\" config")
    exit(1)
}
print("\nThe trainer alone, \(task.options.epochs) epochs of \(config) (median and best wall seconds of \(rounds) alternating runs):\n")
let measurements: [(String, Trainer.StepMeasurements)] = [
    ("nothing", []), ("gradient norm", .gradientNorm), ("accuracy", .accuracy), ("norm and accuracy", .all),
]
var trainerTimes: [String: [Double]] = [:]
for _ in 0..<rounds {
    for (label, measuring) in measurements.shuffled() {
        let trainer = Trainer(model: task.model, data: task.data, optimizer: task.optimizer.make(), options: task.options)
        let start = ContinuousClock.now
        _ = trainer.run(measuring: measuring, onStep: { _ in .continue })
        trainerTimes[label, default: []].append(seconds(ContinuousClock.now - start))
    }
}
print("| measuring | median s | best s | median against nothing |")
print("| --- | ---: | ---: | ---: |")
for (label, _) in measurements {
    let times = trainerTimes[label]!
    print("| \(label) | \(String(format: "%.4f", median(times))) | \(String(format: "%.4f", times.min()!)) | \(String(format: "%+.1f %%", 100 * (median(times) / median(trainerTimes["nothing"]!) - 1))) |")
}

// MARK: 3. The task as the command line runs it

let modes: [(label: String, flags: String, options: RunOptions)] = [
    ("off", "--quiet --no-metrics", RunOptions(verbosity: .quiet, writesMetrics: false)),
    ("progress lines", "--no-metrics", RunOptions(writesMetrics: false)),
    ("on", "(none)", RunOptions()),
]
var wall: [String: [Double]] = [:], cpu: [String: [Double]] = [:]
for _ in 0..<rounds {
    for mode in modes.shuffled() {
        var options = mode.options
        options.keepsRunFolder = true
        options.runDirectory = scratch + "/runs/" + mode.label.replacingOccurrences(of: " ", with: "-")
        guard var run = try TaskLoader.load(path: config, options: options) as? TrainTask else { exit(1) }
        // The final model only: each periodic checkpoint is an fsync, whose time on a shared
        // disk varies by milliseconds and would drown the differences measured here.
        run.checkpoints.everyEpochs = 0
        let (start, startCPU) = (ContinuousClock.now, cpuSeconds())
        _ = try run.run(options: options) { sink &+= $0.utf8.count }
        wall[mode.label, default: []].append(seconds(ContinuousClock.now - start))
        cpu[mode.label, default: []].append(cpuSeconds() - startCPU)
    }
}
print("\nThe task as `swiftgrad run` runs it (run folder kept, no periodic checkpoints; median and best of \(rounds) rounds):\n")
print("| logging | flags | wall median s | wall best s | wall median against off | CPU median s | CPU median against off |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
for mode in modes {
    let (w, c) = (wall[mode.label]!, cpu[mode.label]!)
    print("| \(mode.label) | `\(mode.flags)` | \(String(format: "%.4f", median(w))) | \(String(format: "%.4f", w.min()!)) | "
        + "\(String(format: "%+.1f %%", 100 * (median(w) / median(wall["off"]!) - 1))) | \(String(format: "%.4f", median(c))) | "
        + "\(String(format: "%+.1f %%", 100 * (median(c) / median(cpu["off"]!) - 1))) |")
}
if sink == 42 { print("") }
