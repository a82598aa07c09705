// mlp-bench: SwiftGrad's training throughput on an MLP 784-256-256-10, beside TensorFlow
// (tf.function) and JAX (jit) run as subprocesses in the same run.
//
//   swift run -c release mlp-bench [--steps 200] [--repeats 3]
//       [--threads 1,2] [--batch 256[,512]] [--precision float32[,bf16]]
//       [--no-anchors] [--no-run-path] [--train-metrics training_batches|evaluation_pass]
//
// `--precision float32,bf16` measures every SwiftGrad cell and JAX in both precisions, one
// after the other within each round, so a neighbour's load falls on both alike. bf16 is
// SwiftGrad's `training.precision` (`KernelContext.precision`): the matrix products' inputs
// rounded to bfloat16, their sums in Float32; JAX's bf16 is the same contract written as
// `jnp.dot(x.astype(bfloat16), w.astype(bfloat16), preferred_element_type=float32)` in every
// layer, forward and (through autodiff) backward. TensorFlow runs in Float32 only. The run then
// prints the ratios bf16 / Float32 for each framework and SwiftGrad's bf16 over JAX's, both as
// the ratio of the medians and as the median of each round's own ratio, and the machine's
// measured peaks (`PeakFMA`: `vfmadd231ps` and `vdpbf16ps`, one core).
//
// "run path" is a `swiftgrad run` of the same model in a process of its own (this program run
// again with `--run-path`): a `"task": "train"` config (synthetic data, 8192 training and 2048
// test examples, uniform labels; Adam at Keras's defaults; `training.steps` = --steps; one
// worker per thread) loaded and run by the task layer as the command line does it, run folder,
// checkpoints, metrics files and the test evaluation after every epoch included. Its samples/s
// are the report's `samples_per_second` (the training steps) and `end_to_end_samples_per_second`
// (the whole run: data generation, evaluations, files); its peak RSS is that process's own, as
// each anchor's is. `--train-metrics evaluation_pass` makes the run path also evaluate the whole
// training split after every epoch (`training.train_metrics`): the evaluation a run makes
// with `evaluation_pass`.
//
// One training step is what a user writes: fused dense layers (ReLU) and the softmax
// cross-entropy recorded on a GradientTape, the gradient of the mean loss with respect to the
// six variables, and Adam (lr 1e-3) applying it. Data: 8192 synthetic examples with N(0, 1)
// features and uniform labels, weights He-normal, biases zero; batches are copied out of the
// data set each step, as the anchors do. The anchors need benchmarks/anchors/venv (made by
// benchmarks/anchors/setup-venv.sh); without it the recorded ANCHORS.md figures are shown.
//
// Each cell repeats the timed run `repeats` times and reports the best and the median: the
// project machines are shared, and the best run is the one least disturbed by neighbours.

import Foundation
import CKernels
import PeakFMA
import SwiftGrad
import Tasks

#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var steps = 200
    var repeats = 3
    var threads = [1, 2]
    var batches = [256]
    var anchors = true
    var runPath = true
    var trainMetrics = "training_batches"
    var precisions: [MatrixPrecision] = [.float32]

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            func value() -> String {
                guard let next = iterator.next() else { usageError("\(argument) needs a value") }
                return next
            }
            /// A comma-separated list of positive integers, or the usage error naming `argument`.
            func counts() -> [Int] {
                let text = value()
                let numbers = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
                guard !numbers.isEmpty, numbers.allSatisfy({ ($0 ?? 0) > 0 }) else {
                    usageError("\(argument) expects positive integers separated by commas, got '\(text)'")
                }
                return numbers.map { $0! }
            }
            /// One positive integer, or the usage error naming `argument`.
            func count() -> Int {
                let text = value()
                guard let number = Int(text), number > 0 else { usageError("\(argument) expects a positive integer, got '\(text)'") }
                return number
            }
            switch argument {
            case "--steps": steps = count()
            case "--repeats": repeats = count()
            case "--batch": batches = counts()
            case "--threads": threads = counts()
            case "--no-anchors": anchors = false
            case "--no-run-path": runPath = false
            case "--train-metrics":
                trainMetrics = value()
                guard ["training_batches", "evaluation_pass"].contains(trainMetrics) else {
                    usageError("--train-metrics expects training_batches or evaluation_pass, got '\(trainMetrics)'")
                }
            case "--precision":
                let text = value()
                let parsed = text.split(separator: ",", omittingEmptySubsequences: false).map { MatrixPrecision(rawValue: String($0)) }
                guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil }) else {
                    usageError("--precision expects float32, bf16 or both separated by a comma, got '\(text)'")
                }
                precisions = parsed.map { $0! }
            default: usageError("unknown argument \(argument); see the comment at the top of main.swift")
            }
        }
    }
}

/// Prints `message` and the usage line to standard error and exits with status 2.
func usageError(_ message: String) -> Never {
    FileHandle.standardError.write(Data((
        "mlp-bench: \(message)\nusage: mlp-bench [--steps N] [--repeats N] [--threads 1,2] [--batch 256,512] "
        + "[--precision float32,bf16] [--no-anchors] [--no-run-path] [--train-metrics training_batches|evaluation_pass]\n").utf8))
    exit(2)
}

let examples = 8192
let widths = [784, 256, 256, 10]

/// The synthetic data set: row-major features and labels.
struct SyntheticData {
    let features: [Float]
    let labels: [Int]

    init() {
        var random = RandomStream(seed: 0)
        features = Tensor.randomNormal(shape: [examples, widths[0]], using: &random).scalars
        var labelStream = RandomStream(seed: 0, stream: 1)
        labels = (0..<examples).map { _ in Int(labelStream.next() % UInt64(widths.last!)) }
    }

    /// Batch `index` of size `batch`, copied out as the anchors slice theirs.
    func batch(_ index: Int, size batch: Int) -> (Tensor, [Int]) {
        let first = (index * batch) % (examples - batch)
        let x = features.withUnsafeBufferPointer { source in
            Tensor(shape: [batch, widths[0]]) { destination in
                _ = destination.initialize(from: source[(first * widths[0])..<((first + batch) * widths[0])])
            }
        }
        return (x, Array(labels[first..<(first + batch)]))
    }
}

/// The model's variables and optimizer, and one training step.
final class Trainer {
    let weights: [Variable]
    let biases: [Variable]
    let optimizer = Adam(learningRate: .constant(1e-3))
    let kernels: KernelContext

    init(threads: Int, precision: MatrixPrecision) {
        kernels = KernelContext(threads: threads, precision: precision)
        var random = RandomStream(seed: 42)
        var weights: [Variable] = [], biases: [Variable] = []
        for (index, (fanIn, fanOut)) in zip(widths, widths.dropFirst()).enumerated() {
            let w = Tensor.randomNormal(shape: [fanIn, fanOut], standardDeviation: (2 / Float(fanIn)).squareRoot(), using: &random)
            weights.append(Variable(w, name: "w\(index)"))
            biases.append(Variable(Tensor(repeating: 0, shape: [fanOut]), name: "b\(index)"))
        }
        self.weights = weights
        self.biases = biases
    }

    /// One step; returns the batch's mean loss.
    @discardableResult
    func step(_ x: Tensor, _ labels: [Int]) -> Float {
        let tape = GradientTape()
        let loss = tape.record {
            var h = x
            for index in weights.indices {
                let last = index == weights.count - 1
                h = Tensor.dense(h, weights[index].value, biases[index].value,
                                 activation: last ? .none : .relu, kernels: kernels)
            }
            return Losses.softmaxCrossEntropy(logits: h, labels: labels).mean()
        }
        let variables = weights + biases
        optimizer.apply(tape.gradient(of: loss, withRespectTo: variables), to: variables)
        return loss.scalar
    }
}

/// Samples per second of `steps` steps after 10 warm-up steps, and the first and last loss.
func measureSwiftGrad(data: SyntheticData, threads: Int, batch: Int, steps: Int, precision: MatrixPrecision) -> (Double, Float, Float) {
    let trainer = Trainer(threads: threads, precision: precision)
    let (x0, y0) = data.batch(0, size: batch)
    let firstLoss = trainer.step(x0, y0)
    for _ in 0..<9 { trainer.step(x0, y0) }
    var lastLoss: Float = 0
    let clock = ContinuousClock()
    let elapsed = clock.measure {
        for index in 0..<steps {
            let (x, y) = data.batch(index, size: batch)
            lastLoss = trainer.step(x, y)
        }
    }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return (Double(steps * batch) / seconds, firstLoss, lastLoss)
}

/// Samples per second of the same training with the data-parallel engine: `workers` worker
/// threads, each with one kernel thread and its own tape, gradients all-reduced in a fixed order.
func measureDataParallel(data: SyntheticData, workers: Int, batch: Int, steps: Int, precision: MatrixPrecision) -> (Double, Float, Float) {
    let model = MLP(layerSizes: widths, hiddenActivation: .relu, weightInitializer: .heNormal, lossKind: .softmaxCrossEntropy, seed: 42)
    let variables = model.makeVariables()
    let engine = DataParallelEngine(
        parameterShapes: model.parameterShapes,
        configuration: DataParallelConfiguration(workers: workers, kernelThreads: 1, seed: 0, precision: precision))
    let optimizer = Adam(learningRate: .constant(1e-3))
    func step(_ x: Tensor, _ y: [Int]) -> Float {
        let result = engine.computeGradients(model: model, parameters: variables.map(\.value), features: x, targets: .classes(y))
        optimizer.apply(result.gradients, to: variables)
        return result.loss
    }
    let (x0, y0) = data.batch(0, size: batch)
    let firstLoss = step(x0, y0)
    for _ in 0..<9 { _ = step(x0, y0) }
    var lastLoss: Float = 0
    let clock = ContinuousClock()
    let elapsed = clock.measure {
        for index in 0..<steps {
            let (x, y) = data.batch(index, size: batch)
            lastLoss = step(x, y)
        }
    }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return (Double(steps * batch) / seconds, firstLoss, lastLoss)
}

/// One anchor run: samples/s and peak RSS in MiB, or a reason it failed.
func measureAnchor(_ framework: String, python: URL, script: URL, threads: Int, batch: Int, steps: Int, precision: MatrixPrecision)
    -> Result<(Double, Double), AnchorError>
{
    measureProcess(
        framework, executable: python,
        arguments: [script.path, framework, "\(threads)", "\(batch)", "\(steps)", precision.rawValue])
        .map { ($0["samples_per_s"]!, $0["peak_rss_mib"]!) }
}

/// One run of the run path in a process of its own: its fields (`samples_per_s`,
/// `end_to_end_samples_per_s`, `peak_rss_mib`, …), or a reason it failed.
func measureRunPath(threads: Int, batch: Int, steps: Int, trainMetrics: String, precision: MatrixPrecision)
    -> Result<[String: Double], AnchorError>
{
    measureProcess(
        "run path", executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(),
        arguments: ["--run-path", "\(threads)", "\(batch)", "\(steps)", trainMetrics, precision.rawValue],
        fields: ["samples_per_s", "end_to_end_samples_per_s", "non_training_share", "peak_rss_mib"])
}

/// Runs `executable` and reads the `name=value` fields of its output.
func measureProcess(
    _ label: String, executable: URL, arguments: [String], fields names: [String] = ["samples_per_s", "peak_rss_mib"]
) -> Result<[String: Double], AnchorError> {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    do { try process.run() } catch { return .failure(AnchorError(message: "could not start \(executable.path): \(error)")) }
    let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    func field(_ name: String) -> Double? {
        guard let range = stdout.range(of: "\(name)=") else { return nil }
        return Double(stdout[range.upperBound...].prefix { !$0.isWhitespace })
    }
    let values = names.compactMap { name in field(name).map { (name, $0) } }
    guard process.terminationStatus == 0, values.count == names.count else {
        let tail = (stderr + stdout).split(separator: "\n").suffix(3).joined(separator: " | ")
        return .failure(AnchorError(message: "\(label) exited with status \(process.terminationStatus): \(tail)"))
    }
    return .success(Dictionary(uniqueKeysWithValues: values))
}

/// `--run-path THREADS BATCH STEPS TRAIN_METRICS PRECISION`: trains the bench's model as `swiftgrad run`
/// would and prints the report's rates and this process's peak RSS.
func runPathChild(threads: Int, batch: Int, steps: Int, trainMetrics: String, precision: MatrixPrecision) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mlp-bench-run-\(getpid())").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let config = """
        {"task": "train",
         "data": {"source": "synthetic", "examples": 10240, "features": \(widths[0]), "classes": \(widths.last!), "labels": "uniform",
                  "test_fraction": 0.2, "seed": 0},
         "model": {"type": "mlp", "hidden_layers": \(widths.dropFirst().dropLast()), "activation": "relu", "initializer": "he_normal"},
         "optimizer": {"name": "adam", "learning_rate": 0.001},
         "training": {"steps": \(steps), "batch_size": \(batch), "workers": \(threads), "seed": 42, "train_metrics": "\(trainMetrics)",
                      "precision": "\(precision.rawValue)"}}
        """
    let path = folder + "/mlp.json"
    try config.write(toFile: path, atomically: true, encoding: .utf8)
    // As `swiftgrad run --quiet` sets them: the run folder (checkpoints, model, metrics) is kept.
    let options = RunOptions(verbosity: .quiet, runDirectory: folder + "/run", keepsRunFolder: true)
    let report = try TaskLoader.load(path: path, options: options).run(options: options) { _ in }
    func number(_ key: String) -> Double { report.extra[key]?.doubleValue ?? .nan }
    let share = report.extra["timing"]?.objectValue?["non_training_share"]?.doubleValue ?? .nan
    print("run_path threads=\(threads) batch=\(batch) precision=\(precision.rawValue) samples_per_s=\(number("samples_per_second")) "
        + "end_to_end_samples_per_s=\(number("end_to_end_samples_per_second")) non_training_share=\(share) "
        + "train_examples=\(Int(number("train_examples"))) test_examples=\(Int(number("test_examples"))) peak_rss_mib=\(peakRSSMiB())")
}

struct AnchorError: Error { let message: String }

/// ANCHORS.md's figures (reference machine, batch 256), shown when the venv is missing.
let recordedAnchors: [String: [Int: Double]] = ["jax": [1: 70_700, 2: 111_300], "tf": [1: 62_000, 2: 55_800]]

func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // KiB on Linux
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func format(_ value: Double) -> String {
    value.isFinite ? String(Int(value.rounded())) : "—"
}

func ratio(_ a: Double, _ b: Double) -> String {
    a.isFinite && b.isFinite && b > 0 ? String(format: "%.2f", a / b) : "—"
}

// MARK: - Run

if CommandLine.arguments.count == 7, CommandLine.arguments[1] == "--run-path" {
    let numbers = CommandLine.arguments[2..<5].compactMap { Int($0) }
    guard numbers.count == 3, let precision = MatrixPrecision(rawValue: CommandLine.arguments[6]) else {
        usageError("--run-path THREADS BATCH STEPS TRAIN_METRICS PRECISION")
    }
    do {
        try runPathChild(threads: numbers[0], batch: numbers[1], steps: numbers[2], trainMetrics: CommandLine.arguments[5], precision: precision)
        exit(0)
    } catch {
        print("mlp-bench --run-path: \(error)")
        exit(1)
    }
}

let options = Options(arguments: CommandLine.arguments)
let anchorsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("anchors")
let python = anchorsFolder.appendingPathComponent("venv/bin/python")
let script = anchorsFolder.appendingPathComponent("mlp_throughput.py")
let haveVenv = options.anchors && FileManager.default.isExecutableFile(atPath: python.path)

let precisionList = options.precisions.map(\.rawValue).joined(separator: " and ")
print("mlp-bench (run path's train_metrics: \(options.trainMetrics)): MLP \(widths.map(String.init).joined(separator: "-")), batch \(options.batches.map(String.init).joined(separator: " and ")), \(precisionList) products, \(options.steps) steps per run, \(options.repeats) runs per cell; GEMM kernel \(String(cString: sg_gemm_kernel_name())), bf16 kernel \(String(cString: sg_gemm_kernel_label(sg_gemm_detected_bf16_kernel())))")
if options.precisions.contains(.bf16) {
    let fma = sg_peak_fma_gflops(1, 50_000_000), dot = sg_peak_bf16_gflops(1, 50_000_000)
    print(String(format: "peak per core (PeakFMA): vfmadd231ps %.1f GFLOP/s, vdpbf16ps %.1f GFLOP/s (4 FLOP per lane; 0: no AVX512-BF16)", fma, dot))
}
if !haveVenv {
    print(options.anchors
        ? "No virtual environment at \(python.path): run benchmarks/anchors/setup-venv.sh to measure TensorFlow and JAX here. Showing ANCHORS.md's figures instead, recorded on the reference machine, not measured in this run."
        : "--no-anchors: showing ANCHORS.md's figures, recorded on the reference machine, not measured in this run.")
}

let data = SyntheticData()
/// A cell: batch size, thread (or worker) count and precision.
struct Cell: Hashable {
    let batch: Int, threads: Int, precision: MatrixPrecision
    /// The same cell in `other` precision.
    func with(_ other: MatrixPrecision) -> Cell { Cell(batch: batch, threads: threads, precision: other) }
}
/// One quantity's value in each run (round) of a cell, by run index, so that two cells' rounds
/// can be paired even when a run failed.
typealias Series = [Cell: [Int: Double]]
func values(_ series: Series, _ cell: Cell) -> [Double] { (series[cell] ?? [:]).sorted { $0.key < $1.key }.map(\.value) }

var swiftRates: Series = [:], parallelRates: Series = [:]
var runPathRates: Series = [:], runPathEndToEnd: Series = [:], runPathShares: Series = [:]
var runPathRSS: [Cell: Double] = [:]
var anchorRates: [String: Series] = ["jax": [:], "tf": [:]]
var anchorRSS: [String: [Cell: Double]] = ["jax": [:], "tf": [:]]
var failures: [String] = []
for batch in options.batches {
    for run in 0..<options.repeats {
        for threads in options.threads {
            for precision in options.precisions {
                let cell = Cell(batch: batch, threads: threads, precision: precision)
                let label = "  batch \(batch) run \(run + 1) \(precision.rawValue)"
                let (rate, first, last) = measureSwiftGrad(data: data, threads: threads, batch: batch, steps: options.steps, precision: precision)
                swiftRates[cell, default: [:]][run] = rate
                print("\(label) swiftgrad threads=\(threads): \(format(rate)) samples/s (loss \(first) → \(last))")
                if threads > 1 {
                    let (parallel, first, last) = measureDataParallel(
                        data: data, workers: threads, batch: batch, steps: options.steps, precision: precision)
                    parallelRates[cell, default: [:]][run] = parallel
                    print("\(label) swiftgrad data-parallel workers=\(threads): \(format(parallel)) samples/s (loss \(first) → \(last))")
                }
                if options.runPath {
                    switch measureRunPath(threads: threads, batch: batch, steps: options.steps, trainMetrics: options.trainMetrics, precision: precision) {
                    case .success(let fields):
                        runPathRates[cell, default: [:]][run] = fields["samples_per_s"]!
                        runPathEndToEnd[cell, default: [:]][run] = fields["end_to_end_samples_per_s"]!
                        runPathShares[cell, default: [:]][run] = fields["non_training_share"]!
                        runPathRSS[cell] = Swift.max(runPathRSS[cell] ?? 0, fields["peak_rss_mib"]!)
                        print("\(label) run path workers=\(threads): \(format(fields["samples_per_s"]!)) samples/s training, "
                            + "\(format(fields["end_to_end_samples_per_s"]!)) end to end, \(format(fields["peak_rss_mib"]!)) MiB")
                    case .failure(let error):
                        failures.append(error.message)
                        print("\(label) run path workers=\(threads): failed: \(error.message)")
                    }
                }
                guard haveVenv else { continue }
                // TensorFlow runs in Float32 only.
                for framework in precision == .float32 ? ["jax", "tf"] : ["jax"] {
                    switch measureAnchor(framework, python: python, script: script, threads: threads, batch: batch, steps: options.steps, precision: precision) {
                    case .success(let (rate, rss)):
                        anchorRates[framework]![cell, default: [:]][run] = rate
                        anchorRSS[framework]![cell] = Swift.max(anchorRSS[framework]![cell] ?? 0, rss)
                        print("\(label) \(framework) threads=\(threads): \(format(rate)) samples/s, \(format(rss)) MiB")
                    case .failure(let error):
                        failures.append(error.message)
                        print("\(label) \(framework) threads=\(threads): failed: \(error.message)")
                    }
                }
            }
        }
    }
}

print("")
print("Samples/s, median of \(options.repeats) runs (best in brackets). \"tape\": one tape with `threads` kernel threads; \"engine\": the data-parallel engine, one worker per thread; \"run path\": `swiftgrad run` of the same model, its training steps and (e2e) the whole run.")
print("")
print("| batch | threads | precision | tape | engine | run path | run path e2e | JAX | TF | run path / JAX | run path e2e / JAX | run path / TF |")
print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
func cellText(_ values: [Double]) -> String {
    guard !values.isEmpty else { return "—" }
    return "\(format(median(values))) (\(format(values.max()!)))"
}
for batch in options.batches {
    for threads in options.threads {
        for precision in options.precisions {
            let cell = Cell(batch: batch, threads: threads, precision: precision)
            // ANCHORS.md recorded Float32 at batch 256 only.
            let recorded = batch == 256 && precision == .float32 ? recordedAnchors : [:]
            let jax = haveVenv ? median(values(anchorRates["jax"]!, cell)) : (recorded["jax"]?[threads] ?? .nan)
            let tf = haveVenv ? median(values(anchorRates["tf"]!, cell)) : (recorded["tf"]?[threads] ?? .nan)
            let mark = haveVenv ? "" : " (recorded)"
            let path = median(values(runPathRates, cell)), endToEnd = median(values(runPathEndToEnd, cell))
            print("| \(batch) | \(threads) | \(precision.rawValue) | \(cellText(values(swiftRates, cell))) | \(cellText(values(parallelRates, cell))) | "
                + "\(cellText(values(runPathRates, cell))) | \(cellText(values(runPathEndToEnd, cell))) | "
                + "\(haveVenv ? cellText(values(anchorRates["jax"]!, cell)) : format(jax) + mark) | "
                + "\(haveVenv ? cellText(values(anchorRates["tf"]!, cell)) : format(tf) + mark) | "
                + "\(ratio(path, jax)) | \(ratio(endToEnd, jax)) | \(ratio(path, tf)) |")
        }
    }
}
if !haveVenv { print("JAX and TF columns: recorded on the reference machine (ANCHORS.md), not measured in this run.") }

if options.precisions.contains(.bf16) && options.precisions.contains(.float32) {
    /// "ratio of the medians [median of each round's ratio]" of `numerator` over `denominator`.
    func paired(_ numerator: Series, _ a: Cell, _ denominator: Series, _ b: Cell) -> String {
        let top = numerator[a] ?? [:], bottom = denominator[b] ?? [:]
        let rounds = top.keys.filter { bottom[$0] != nil }.sorted()
        guard !rounds.isEmpty else { return "—" }
        let perRound = median(rounds.map { top[$0]! / bottom[$0]! })
        return "\(ratio(median(values(numerator, a)), median(values(denominator, b)))) [\(String(format: "%.2f", perRound))]"
    }
    print("")
    print("bf16 against float32: ratio of the medians [median of the rounds' own ratios, each round running both precisions back to back]. "
        + "\"/ JAX bf16\": SwiftGrad's bf16 over JAX's bf16 (bf16 inputs, Float32 accumulation).")
    print("")
    print("| batch | threads | tape | engine | run path | run path e2e | JAX | run path / JAX bf16 | run path e2e / JAX bf16 |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for batch in options.batches {
        for threads in options.threads {
            let bf16 = Cell(batch: batch, threads: threads, precision: .bf16), float32 = bf16.with(.float32)
            let jax = haveVenv ? anchorRates["jax"]! : [:]
            print("| \(batch) | \(threads) | \(paired(swiftRates, bf16, swiftRates, float32)) | \(paired(parallelRates, bf16, parallelRates, float32)) | "
                + "\(paired(runPathRates, bf16, runPathRates, float32)) | \(paired(runPathEndToEnd, bf16, runPathEndToEnd, float32)) | "
                + "\(paired(jax, bf16, jax, float32)) | \(paired(runPathRates, bf16, jax, bf16)) | \(paired(runPathEndToEnd, bf16, jax, bf16)) |")
        }
    }
}

print("")
print("Peak RSS, MiB (largest of the cell's runs, each a process of its own except the tape and engine, which share this one):")
print("")
print("| batch | threads | precision | run path | JAX | TF | run path / JAX |")
print("| ---: | ---: | --- | ---: | ---: | ---: | ---: |")
for batch in options.batches {
    for threads in options.threads {
        for precision in options.precisions {
            let cell = Cell(batch: batch, threads: threads, precision: precision)
            let path = runPathRSS[cell] ?? .nan, jax = anchorRSS["jax"]![cell] ?? .nan
            print("| \(batch) | \(threads) | \(precision.rawValue) | \(format(path)) | \(format(jax)) | \(format(anchorRSS["tf"]![cell] ?? .nan)) | \(ratio(path, jax)) |")
        }
    }
}
print("")
print("This process (tape and engine cells, all batches, thread counts and precisions): \(format(peakRSSMiB())) MiB peak RSS.")
for batch in options.batches {
    for threads in options.threads {
        for precision in options.precisions {
            let shares = values(runPathShares, Cell(batch: batch, threads: threads, precision: precision))
            if !shares.isEmpty {
                print("run path, batch \(batch), \(threads) worker(s), \(precision.rawValue): \(String(format: "%.1f", 100 * median(shares))) % of the run outside training (median)")
            }
        }
    }
}
if !failures.isEmpty { print("Failures: \(failures.count); first: \(failures[0])") }
