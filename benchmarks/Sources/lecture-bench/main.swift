// lecture-bench: the time per step of the lecture's training loops, run in-process exactly as
// `swiftgrad run` runs them (TaskLoader.load, RunOptions(verbosity: .quiet)), beside TensorFlow 2
// eager and JAX `jit` timed in the same run by benchmarks/anchors/lecture_loops.py.
//
//   swift run -c release lecture-bench [--repeats N] [--python PATH]
//       [--no-anchors] [--anchor-repeats N] [--only quadratic,linreg_sgd,linreg_adam,logistic]
//
// The shipped configs are lengthened where one run is too short to time (quadratic 50 → 5000
// steps, logistic 70 → 700): copies are written to a temporary folder with absolute data paths
// and without `plot`, so only the step count differs from what the CLI runs. Each loop runs
// once to warm up, then `repeats` times; the table shows the best and the median of
// wall_seconds / steps from the TaskReport. The machine is shared, so the best is the run least
// disturbed by neighbours, and the ratios are taken between figures of this one run.
//
// The anchors' python is, in order: --python PATH, benchmarks/anchors/venv/bin/python. Without
// one that imports tensorflow and jax, the table shows TF's and JAX's figures recorded on the
// reference machine (the anchors' measurements, listed in benchmarks/results/lecture-loops.md),
// marked as such.

import Foundation
import SwiftGrad
import Tasks

// MARK: Arguments

struct Arguments {
    var repeats = 9
    var anchorRepeats = 3
    var python: String?
    var anchors = true
    /// Loop keys to run (all when empty), for profiling one loop.
    var only: Set<String> = []

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--repeats": repeats = Self.positive(iterator.next(), argument)
            case "--anchor-repeats": anchorRepeats = Self.positive(iterator.next(), argument)
            case "--python":
                guard let path = iterator.next() else { Self.fail("--python needs a path to a python executable") }
                python = path
            case "--no-anchors": anchors = false
            case "--only":
                guard let keys = iterator.next() else { Self.fail("--only needs loop keys, e.g. quadratic,logistic") }
                only = Set(keys.split(separator: ",").map(String.init))
            case "-h", "--help":
                print("usage: lecture-bench [--repeats N] [--anchor-repeats N] [--python PATH] [--no-anchors] [--only KEY,…]")
                exit(0)
            default: Self.fail("unknown argument '\(argument)'; expected --repeats N, --anchor-repeats N, --python PATH, --no-anchors or --only KEY,…")
            }
        }
    }

    static func positive(_ text: String?, _ name: String) -> Int {
        guard let text, let value = Int(text), value > 0 else { fail("\(name) needs a positive integer, found '\(text ?? "nothing")'") }
        return value
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("lecture-bench: \(message)\n".utf8))
        exit(2)
    }
}

// MARK: Loops

/// One of the lecture's loops: a shipped config and the step count the benchmark runs it with.
struct Loop {
    /// The key shared with lecture_loops.py's JSON.
    let key: String
    let label: String
    let config: String
    let steps: Int
    /// ANCHORS.md's figures (µs per step) on the reference machine: TF eager as a range, JAX jit.
    let recordedTF: ClosedRange<Double>
    let recordedJAX: Double?
}

let loops = [
    Loop(key: "quadratic", label: "quadratic x²−20x+100, SGD", config: "seed-quadratic.json", steps: 5000,
         recordedTF: 670...720, recordedJAX: 5.6),
    Loop(key: "linreg_sgd", label: "linear regression, SGD", config: "seed-linear-regression.json", steps: 10_000,
         recordedTF: 1450...1550, recordedJAX: 20.7),
    Loop(key: "linreg_adam", label: "linear regression, Adam", config: "seed-linear-regression-adam.json", steps: 10_000,
         recordedTF: 5300...5500, recordedJAX: nil),
    Loop(key: "logistic", label: "logistic regression, Adam", config: "seed-logistic-regression.json", steps: 700,
         recordedTF: 6500...6800, recordedJAX: nil),
]

let benchmarks = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let root = benchmarks.deletingLastPathComponent()

/// Writes a copy of the shipped config with `steps` steps, data paths made absolute and no plot.
func lengthenedConfig(_ loop: Loop, in folder: URL) throws -> String {
    let shipped = root.appendingPathComponent("Configs").appendingPathComponent(loop.config)
    guard var object = try JSONSerialization.jsonObject(with: Data(contentsOf: shipped)) as? [String: Any] else {
        throw BenchError("\(shipped.path): expected a JSON object")
    }
    object["steps"] = loop.steps
    object["plot"] = nil
    if var data = object["data"] as? [String: Any], let path = data["path"] as? String, !path.hasPrefix("/") {
        data["path"] = shipped.deletingLastPathComponent().appendingPathComponent(path).standardizedFileURL.path
        object["data"] = data
    }
    let copy = folder.appendingPathComponent(loop.config)
    try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: copy)
    return copy.path
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Best and median of a list of per-step times.
struct Timing {
    let samples: [Double]
    var best: Double { samples.min()! }
    var median: Double {
        let sorted = samples.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// Loads `path` as the CLI does and runs it `repeats` times after one warm-up, returning µs per
/// step from each report, and the last report.
func timeSwiftGrad(path: String, repeats: Int) throws -> (Timing, TaskReport) {
    let task = try TaskLoader.load(path: path)
    let options = RunOptions(verbosity: .quiet)
    var report = try task.run(options: options) { _ in }
    var samples: [Double] = []
    for _ in 0..<repeats {
        report = try task.run(options: options) { _ in }
        samples.append(report.wallSeconds / Double(report.steps) * 1e6)
    }
    return (Timing(samples: samples), report)
}

// MARK: Anchors

/// What lecture_loops.py measured, µs per step by loop key and framework.
struct AnchorRun {
    var description: String
    var tf: [String: Timing] = [:]
    var jax: [String: Timing] = [:]
    var jaxLoop: [String: Timing] = [:]
}

func findPython(_ given: String?) -> String? {
    if let given { return given }
    let venv = benchmarks.appendingPathComponent("anchors/venv/bin/python").path
    return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
}

/// Runs lecture_loops.py with `python`; nil (with the reason on stderr) when it fails.
func measureAnchors(python: String, repeats: Int) -> AnchorRun? {
    let script = benchmarks.appendingPathComponent("anchors/lecture_loops.py").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [script, "--data", root.appendingPathComponent("datasets").path, "--repeats", String(repeats)]
    var environment = ProcessInfo.processInfo.environment
    environment["TF_CPP_MIN_LOG_LEVEL"] = "3"
    environment["JAX_PLATFORMS"] = "cpu"
    process.environment = environment
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    do { try process.run() } catch {
        FileHandle.standardError.write(Data("lecture-bench: could not start \(python): \(error)\n".utf8))
        return nil
    }
    // Read both pipes to the end so neither fills and blocks the script.
    nonisolated(unsafe) var errorData = Data()
    let reader = Thread { errorData = errors.fileHandleForReading.readDataToEndOfFile() }
    reader.start()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
    guard process.terminationStatus == 0,
          let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        let tail = String(decoding: errorData.suffix(2000), as: UTF8.self)
        FileHandle.standardError.write(Data("lecture-bench: \(script) failed (status \(process.terminationStatus)):\n\(tail)\n".utf8))
        return nil
    }
    var run = AnchorRun(description: json["versions"] as? String ?? "")
    func timings(_ key: String) -> [String: Timing] {
        guard let table = json[key] as? [String: [Double]] else { return [:] }
        return table.compactMapValues { $0.isEmpty ? nil : Timing(samples: $0) }
    }
    run.tf = timings("tf_eager_us_per_step")
    run.jax = timings("jax_jit_us_per_step")
    run.jaxLoop = timings("jax_fori_loop_us_per_step")
    return run
}

// MARK: Main

func format(_ microseconds: Double) -> String {
    microseconds >= 100 ? String(format: "%.0f", microseconds) : String(format: "%.2f", microseconds)
}

func formatRatio(_ ratio: Double) -> String {
    ratio >= 10 ? String(format: "%.0f×", ratio) : String(format: "%.2f×", ratio)
}

let arguments = Arguments(CommandLine.arguments)
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lecture-bench-\(getpid())")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }

var anchors: AnchorRun?
if arguments.anchors {
    if let python = findPython(arguments.python) {
        print("Timing TF 2 eager and JAX jit with \(python) (benchmarks/anchors/lecture_loops.py) …")
        anchors = measureAnchors(python: python, repeats: arguments.anchorRepeats)
    } else {
        print("No python with TensorFlow and JAX (benchmarks/anchors/venv/bin/python or --python PATH).")
    }
}

print("Timing SwiftGrad: \(arguments.repeats) runs after a warm-up, in-process, as `swiftgrad run` runs each config …\n")
var results: [(Loop, Timing, TaskReport)] = []
for loop in loops where arguments.only.isEmpty || arguments.only.contains(loop.key) {
    let path = try lengthenedConfig(loop, in: folder)
    let (timing, report) = try timeSwiftGrad(path: path, repeats: arguments.repeats)
    results.append((loop, timing, report))
}

let measured = anchors != nil
print("# Per-step time of the lecture's loops (µs per step; best, median in brackets)\n")
if let anchors {
    print("TF and JAX measured in this run: \(anchors.description)\n")
} else {
    print("TF and JAX: figures recorded on the reference machine (benchmarks/results/lecture-loops.md), not measured in this run.\n")
}
print("| loop | steps | SwiftGrad | TF eager | JAX jit | speed-up vs TF | vs JAX jit |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
var verdicts: [String] = []
for (loop, timing, _) in results {
    let ours = "\(format(timing.best)) (\(format(timing.median)))"
    let tfBest: Double?, tfText: String
    let jaxBest: Double?, jaxText: String
    if let anchors {
        let tf = anchors.tf[loop.key], jax = anchors.jax[loop.key]
        tfBest = tf?.best
        tfText = tf.map { "\(format($0.best)) (\(format($0.median)))" } ?? "–"
        jaxBest = jax?.best
        jaxText = jax.map { "\(format($0.best)) (\(format($0.median)))" } ?? "–"
    } else {
        tfBest = loop.recordedTF.lowerBound
        tfText = "\(format(loop.recordedTF.lowerBound))–\(format(loop.recordedTF.upperBound))*"
        jaxBest = loop.recordedJAX
        jaxText = loop.recordedJAX.map { "\(format($0))*" } ?? "–"
    }
    let versusTF = tfBest.map { $0 / timing.best }
    let versusJAX = jaxBest.map { $0 / timing.best }
    print("| \(loop.label) | \(loop.steps) | \(ours) | \(tfText) | \(jaxText) | "
          + "\(versusTF.map(formatRatio) ?? "–") | \(versusJAX.map(formatRatio) ?? "–") |")
    var verdict = "\(loop.label): "
    if let versusTF {
        verdict += versusTF >= 100 ? "meets ≥100× vs TF eager (\(formatRatio(versusTF)))" : "MISSES ≥100× vs TF eager (\(formatRatio(versusTF)))"
    }
    if let versusJAX {
        verdict += versusJAX > 1 ? "; faster than JAX jit (\(formatRatio(versusJAX)))" : "; slower than JAX jit (\(formatRatio(versusJAX)))"
    }
    verdicts.append(verdict)
}
if !measured { print("\n* recorded on the reference machine, not measured in this run; speed-ups use the fast end of the TF range.") }
if let anchors, !anchors.jaxLoop.isEmpty {
    print("\nFor context, JAX with the whole loop compiled into one program (lax.fori_loop), best µs per step: "
          + loops.compactMap { loop in anchors.jaxLoop[loop.key].map { "\(loop.key) \(format($0.best))" } }.joined(separator: ", "))
}
print("\nRatios compare best with best. Verdicts (required: ≥100× faster than TF eager; mark: faster than JAX jit):")
for verdict in verdicts { print("- \(verdict)") }
print("\nResults of the last SwiftGrad run (to check the loops did their work):")
for (loop, _, report) in results {
    let parameters = report.parameters.filter { $0.values.count == 1 }.map { "\($0.name) \($0.values[0])" }.joined(separator: ", ")
    print("- \(loop.key): loss \(report.finalLoss.map { String($0) } ?? "–")\(parameters.isEmpty ? "" : ", \(parameters)")")
}
