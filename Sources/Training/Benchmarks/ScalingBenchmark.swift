import Datasets
import Foundation
import Optimizers
import Reports

/// Measures how training throughput grows with the number of data-parallel workers, on a
/// `"task": "train"` config (`Configs/scaling-mlp.json`).
///
/// Each worker count trains the same model on the same batches, each worker on one core (one
/// kernel thread per worker), so one worker is the one-core baseline. For each count it reports
/// samples per second; the speed-up over the smallest worker count asked for (one, usually),
/// fastest run against fastest run and median against median; the parallel efficiency
/// (speed-up × that count / workers); the share of step time spent in the all-reduce (with the
/// optimizer update the trainer fuses into it) and in the coordinator's serial part. The final
/// parameters of every run are compared too: with the deterministic engine they are bitwise
/// equal.
public struct ScalingBenchmark {
    /// One worker count's figures.
    public struct Row: Sendable {
        public var workers: Int
        /// Samples per second of the fastest run.
        public var samplesPerSecond: Double
        /// The fastest run's speed-up over the fastest run of the smallest worker count.
        public var speedUp: Double
        /// The median run's speed-up over the median run of the smallest worker count: on a
        /// shared machine the fairer figure of the two.
        public var medianSpeedUp: Double
        public var efficiency: Double
        /// The share of step time in the all-reduce, including the optimizer update fused into it
        /// (both run on every worker's core).
        public var allReduceShare: Double
        /// The share of step time outside the workers and the all-reduce: the coordinator's
        /// bookkeeping (picking rows, handing out work), which does not shrink with more workers.
        public var serialShare: Double
        public var secondsPerStep: Double
        public var parameterDigest: String
    }

    public let task: TrainTask
    public let workerCounts: [Int]
    public let steps: Int
    public let warmupSteps: Int
    /// Runs of each worker count; the fastest is kept (the machine may be shared and noisy).
    public let repeats: Int

    public init(task: TrainTask, workerCounts: [Int], steps: Int = 40, warmupSteps: Int = 5, repeats: Int = 3) {
        self.task = task
        self.workerCounts = workerCounts
        self.steps = steps
        self.warmupSteps = warmupSteps
        self.repeats = repeats
    }

    /// Runs every worker count, interleaving repeats so that a noisy moment does not favour one.
    public func run(log: (String) -> Void = { _ in }) -> [Row] {
        var best: [Int: (seconds: Double, reduce: Double, compute: Double, samplesPerSecond: Double, digest: String)] = [:]
        var rates: [Int: [Double]] = [:]
        for repeatIndex in 0..<repeats {
            for workers in workerCounts {
                var options = task.options
                options.workers = workers
                options.kernelThreads = 1
                let perEpoch = options.stepsPerEpoch(examples: task.data.train.count)
                options.epochs = (Swift.max(steps, warmupSteps) + perEpoch - 1) / perEpoch
                options.evaluateEvery = Int.max
                // Warm-up steps are not timed: they fault in the data and warm the allocator and
                // the caches.
                // (A trainer always takes its first step, so `--warmup 0` must skip the run.)
                if warmupSteps > 0 {
                    options.maxSteps = warmupSteps
                    let warm = Trainer(model: task.model, data: task.data, optimizer: task.optimizer.make(), options: options)
                    _ = warm.run()
                }
                options.maxSteps = steps
                let trainer = Trainer(model: task.model, data: task.data, optimizer: task.optimizer.make(), options: options)
                let summary = trainer.run()
                rates[workers, default: []].append(summary.samplesPerSecond)
                if best[workers].map({ summary.trainingSeconds < $0.seconds }) ?? true {
                    best[workers] = (summary.trainingSeconds, summary.reduceSeconds, summary.computeSeconds, summary.samplesPerSecond, trainer.parameterDigest)
                }
                log("run \(repeatIndex + 1)/\(repeats), \(workers) worker\(workers == 1 ? "" : "s"): \(Int(summary.samplesPerSecond.rounded())) samples/s")
            }
        }
        let baseline = best[workerCounts.min()!]?.samplesPerSecond ?? 1
        let baselineWorkers = Double(workerCounts.min()!)
        func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        let medianBaseline = median(rates[workerCounts.min()!] ?? [1])
        return workerCounts.map { workers in
            let figures = best[workers]!
            let rate = figures.samplesPerSecond
            let speedUp = rate / baseline
            return Row(
                workers: workers, samplesPerSecond: rate, speedUp: speedUp,
                medianSpeedUp: median(rates[workers] ?? [rate]) / medianBaseline,
                efficiency: speedUp * baselineWorkers / Double(workers),
                allReduceShare: figures.reduce / figures.seconds,
                serialShare: Swift.max(0, 1 - (figures.reduce + figures.compute) / figures.seconds),
                secondsPerStep: figures.seconds / Double(steps), parameterDigest: figures.digest)
        }
    }

    /// The rows as a text table.
    public static func table(_ rows: [Row]) -> String {
        var lines = ["workers  samples/s   speed-up  efficiency  median speed-up  reduce+update  serial  ms/step  parameter digest"]
        for row in rows {
            let figures = String(
                format: "%7d  %9.0f  %8.2fx  %9.0f%%  %14.2fx  %12.1f%%  %5.1f%%  %7.2f",
                row.workers, row.samplesPerSecond, row.speedUp, row.efficiency * 100, row.medianSpeedUp,
                row.allReduceShare * 100, row.serialShare * 100, row.secondsPerStep * 1000)
            lines.append(figures + "  " + row.parameterDigest)
        }
        return lines.joined(separator: "\n")
    }

    /// Writes the rows as CSV.
    public static func writeCSV(_ rows: [Row], to path: String) throws {
        var writer = CSVWriter(header: ["workers", "samples_per_second", "speed_up", "efficiency", "median_speed_up", "allreduce_share", "serial_share", "seconds_per_step", "parameter_digest"])
        for row in rows {
            try writer.append([
                .int(row.workers), .double(row.samplesPerSecond), .double(row.speedUp), .double(row.efficiency), .double(row.medianSpeedUp),
                .double(row.allReduceShare), .double(row.serialShare), .double(row.secondsPerStep), .text(row.parameterDigest),
            ])
        }
        try writer.write(to: path)
    }

    /// Writes an SVG of the speed-up against the number of workers, beside the ideal line.
    public static func writePlot(_ rows: [Row], title: String, to path: String) throws {
        var plot = SVGPlot(title: title, xLabel: "workers", yLabel: "speed-up over one worker")
        let workers = rows.map { Double($0.workers) }
        // Speed-ups are relative to the smallest worker count, so the ideal line is too.
        let baseline = workers.min() ?? 1
        plot.line(x: workers, y: workers.map { $0 / baseline }, label: "ideal", color: "#7f7f7f")
        plot.line(x: workers, y: rows.map(\.speedUp), label: "SwiftGrad", color: "#1f77b4", markers: true)
        try plot.write(to: path)
    }
}
