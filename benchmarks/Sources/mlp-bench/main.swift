// mlp-bench: SwiftGrad's training throughput on an MLP 784-256-256-10, beside TensorFlow
// (tf.function) and JAX (jit) run as subprocesses in the same run.
//
//   swift run -c release mlp-bench [--steps 200] [--repeats 3]
//       [--threads 1,2] [--batch 256] [--no-anchors]
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
import SwiftGrad

#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var steps = 200
    var repeats = 3
    var threads = [1, 2]
    var batch = 256
    var anchors = true

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            func value() -> String {
                guard let next = iterator.next() else { fatalError("mlp-bench: \(argument) needs a value") }
                return next
            }
            switch argument {
            case "--steps": steps = Int(value()) ?? steps
            case "--repeats": repeats = Int(value()) ?? repeats
            case "--batch": batch = Int(value()) ?? batch
            case "--threads": threads = value().split(separator: ",").compactMap { Int($0) }
            case "--no-anchors": anchors = false
            default: fatalError("mlp-bench: unknown argument \(argument); see the comment at the top of main.swift")
            }
        }
    }
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
    let threads: Int

    init(threads: Int) {
        self.threads = threads
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
                                 activation: last ? .none : .relu, threads: threads)
            }
            return Losses.softmaxCrossEntropy(logits: h, labels: labels).mean()
        }
        let variables = weights + biases
        optimizer.apply(tape.gradient(of: loss, withRespectTo: variables), to: variables)
        return loss.scalar
    }
}

/// Samples per second of `steps` steps after 10 warm-up steps, and the first and last loss.
func measureSwiftGrad(data: SyntheticData, threads: Int, batch: Int, steps: Int) -> (Double, Float, Float) {
    let trainer = Trainer(threads: threads)
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
func measureDataParallel(data: SyntheticData, workers: Int, batch: Int, steps: Int) -> (Double, Float, Float) {
    let model = MLP(layerSizes: widths, hiddenActivation: .relu, weightInitializer: .heNormal, lossKind: .softmaxCrossEntropy, seed: 42)
    let variables = model.makeVariables()
    let engine = DataParallelEngine(
        parameterShapes: model.parameterShapes,
        configuration: DataParallelConfiguration(workers: workers, kernelThreads: 1, seed: 0))
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
func measureAnchor(_ framework: String, python: URL, script: URL, threads: Int, batch: Int, steps: Int)
    -> Result<(Double, Double), AnchorError>
{
    let process = Process()
    process.executableURL = python
    process.arguments = [script.path, framework, "\(threads)", "\(batch)", "\(steps)"]
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    do { try process.run() } catch { return .failure(AnchorError(message: "could not start \(python.path): \(error)")) }
    let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    func field(_ name: String) -> Double? {
        guard let range = stdout.range(of: "\(name)=") else { return nil }
        return Double(stdout[range.upperBound...].prefix { !$0.isWhitespace })
    }
    guard process.terminationStatus == 0, let rate = field("samples_per_s"), let rss = field("peak_rss_mib") else {
        let tail = (stderr + stdout).split(separator: "\n").suffix(3).joined(separator: " | ")
        return .failure(AnchorError(message: "\(framework) exited with status \(process.terminationStatus): \(tail)"))
    }
    return .success((rate, rss))
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

let options = Options(arguments: CommandLine.arguments)
let anchorsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("anchors")
let python = anchorsFolder.appendingPathComponent("venv/bin/python")
let script = anchorsFolder.appendingPathComponent("mlp_throughput.py")
let haveVenv = options.anchors && FileManager.default.isExecutableFile(atPath: python.path)

print("mlp-bench: MLP \(widths.map(String.init).joined(separator: "-")), batch \(options.batch), \(options.steps) steps per run, \(options.repeats) runs per cell; GEMM kernel \(String(cString: sg_gemm_kernel_name()))")
if !haveVenv {
    print(options.anchors
        ? "No virtual environment at \(python.path): run benchmarks/anchors/setup-venv.sh to measure TensorFlow and JAX here. Showing ANCHORS.md's figures instead, recorded on the reference machine, not measured in this run."
        : "--no-anchors: showing ANCHORS.md's figures, recorded on the reference machine, not measured in this run.")
}

let data = SyntheticData()
var swiftRates: [Int: [Double]] = [:]
var parallelRates: [Int: [Double]] = [:]
var anchorRates: [String: [Int: [Double]]] = ["jax": [:], "tf": [:]]
var anchorRSS: [String: Double] = [:]
var anchorFailures: [String] = []
for run in 0..<options.repeats {
    for threads in options.threads {
        let (rate, first, last) = measureSwiftGrad(data: data, threads: threads, batch: options.batch, steps: options.steps)
        swiftRates[threads, default: []].append(rate)
        print("  run \(run + 1) swiftgrad threads=\(threads): \(format(rate)) samples/s (loss \(first) → \(last))")
        if threads > 1 {
            let (parallel, first, last) = measureDataParallel(data: data, workers: threads, batch: options.batch, steps: options.steps)
            parallelRates[threads, default: []].append(parallel)
            print("  run \(run + 1) swiftgrad data-parallel workers=\(threads): \(format(parallel)) samples/s (loss \(first) → \(last))")
        }
        guard haveVenv else { continue }
        for framework in ["jax", "tf"] {
            switch measureAnchor(framework, python: python, script: script, threads: threads, batch: options.batch, steps: options.steps) {
            case .success(let (rate, rss)):
                anchorRates[framework]![threads, default: []].append(rate)
                anchorRSS[framework] = Swift.max(anchorRSS[framework] ?? 0, rss)
                print("  run \(run + 1) \(framework) threads=\(threads): \(format(rate)) samples/s")
            case .failure(let error):
                anchorFailures.append(error.message)
                print("  run \(run + 1) \(framework) threads=\(threads): failed: \(error.message)")
            }
        }
    }
}

print("")
print("One tape with `threads` kernel threads, and (for 2 or more) the data-parallel engine with one worker per thread.")
print("")
print("| threads | SwiftGrad best | SwiftGrad median | data-parallel best | data-parallel median | JAX best | TF best | best SwiftGrad/JAX | best SwiftGrad/TF |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for threads in options.threads {
    let swift = swiftRates[threads] ?? []
    let parallel = parallelRates[threads] ?? []
    let best = Swift.max(swift.max() ?? .nan, parallel.max() ?? -.infinity)
    let jax = haveVenv ? (anchorRates["jax"]![threads]?.max() ?? .nan) : (recordedAnchors["jax"]![threads] ?? .nan)
    let tf = haveVenv ? (anchorRates["tf"]![threads]?.max() ?? .nan) : (recordedAnchors["tf"]![threads] ?? .nan)
    let mark = haveVenv ? "" : " (recorded)"
    print("| \(threads) | \(format(swift.max() ?? .nan)) | \(format(median(swift))) | \(format(parallel.max() ?? .nan)) | \(format(median(parallel))) | \(format(jax))\(mark) | \(format(tf))\(mark) | \(ratio(best, jax)) | \(ratio(best, tf)) |")
}
if haveVenv {
    for threads in options.threads {
        let jax = anchorRates["jax"]![threads] ?? [], tf = anchorRates["tf"]![threads] ?? []
        print("medians, \(threads) thread(s): JAX \(format(median(jax))), TF \(format(median(tf)))")
    }
} else {
    print("JAX and TF columns: recorded on the reference machine (ANCHORS.md), not measured in this run.")
}
print("")
print("Peak RSS: SwiftGrad \(format(peakRSSMiB())) MiB (whole run, all thread counts)"
      + (haveVenv ? ", JAX \(format(anchorRSS["jax"] ?? .nan)) MiB, TF \(format(anchorRSS["tf"] ?? .nan)) MiB (largest of their runs)" : ""))
if !anchorFailures.isEmpty { print("Anchor failures: \(anchorFailures.count); first: \(anchorFailures[0])") }
