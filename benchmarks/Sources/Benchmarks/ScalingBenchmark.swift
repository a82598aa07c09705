import DataParallel
import Training
import Tasks
import CKernels
import Models
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
/// optimizer update the trainer fuses into it) and in the coordinator's serial part; the share of
/// the compute phase the workers spent not on their own micro-shards (waiting for the slowest
/// one, or helping with its products). Beside each worker count above one it also trains as many
/// independent one-worker runs (at most one per core) at the same time, which never wait for
/// each other: their summed throughput over one worker's is what the cores offer at that moment,
/// the ceiling for the data-parallel speed-up. The final parameters of every run are compared
/// too: with the deterministic engine they are bitwise equal.
package struct ScalingBenchmark: Sendable {
    /// One worker count's figures.
    package struct Row: Sendable {
        package var workers: Int
        /// Samples per second of the fastest run.
        package var samplesPerSecond: Double
        /// The fastest run's speed-up over the fastest run of the smallest worker count.
        package var speedUp: Double
        /// The median run's speed-up over the median run of the smallest worker count: on a
        /// shared machine the fairer figure of the two.
        package var medianSpeedUp: Double
        package var efficiency: Double
        /// The summed throughput of as many one-worker runs as there are workers (at most one
        /// per core), trained at the same time and never waiting for each other, over the
        /// baseline: one worker's fastest run, or, when the smallest worker count asked for is
        /// above one, that count's independent runs. What the cores offer (two cores of a shared
        /// virtual machine are rarely equally fast).
        package var independentSpeedUp: Double
        /// The share of step time in the all-reduce, including the optimizer update fused into it
        /// (both run on every worker's core).
        package var allReduceShare: Double
        /// The share of the compute phase that the workers spent not on their own micro-shards:
        /// waiting for the slowest one, or helping with its products (see
        /// ``waitShare(_:computeSeconds:)``).
        package var waitShare: Double
        /// The share of step time outside the workers and the all-reduce: the coordinator's
        /// bookkeeping (picking rows, handing out work), which does not shrink with more workers.
        package var serialShare: Double
        package var secondsPerStep: Double
        package var parameterDigest: String
        /// How the training diverged in a run of this worker count, if it did: its steps after
        /// that are not the steps measured, and the figures mean nothing.
        package var divergence: String?
    }

    package let task: TrainTask
    package let workerCounts: [Int]
    package let steps: Int
    package let warmupSteps: Int
    /// Runs of each worker count; the fastest is kept (the machine may be shared and noisy).
    package let repeats: Int

    package init(task: TrainTask, workerCounts: [Int], steps: Int = 100, warmupSteps: Int = 5, repeats: Int = 5) {
        self.task = task
        self.workerCounts = workerCounts
        self.steps = steps
        self.warmupSteps = warmupSteps
        self.repeats = repeats
    }

    /// Runs every worker count, interleaving repeats so that a noisy moment does not favour one.
    package func run(log: (String) -> Void = { _ in }) -> [Row] {
        struct Best { var seconds, reduce, compute, wait, samplesPerSecond: Double; var digest: String }
        var best: [Int: Best] = [:]
        var divergences: [Int: String] = [:]
        var rates: [Int: [Double]] = [:]
        var independentRates: [Int: Double] = [:]
        for repeatIndex in 0..<repeats {
            for workers in workerCounts {
                let trainer = Trainer(model: task.model, data: task.data, optimizer: task.optimizer.make(), options: options(workers: workers))
                let summary = trainer.run(evaluating: false)
                if case .diverged(let divergence) = summary.outcome { divergences[workers] = "\(divergence)" }
                let wait = Self.waitShare(trainer.engine.workerStatisticsSnapshot, computeSeconds: summary.computeSeconds)
                rates[workers, default: []].append(summary.samplesPerSecond)
                if best[workers].map({ summary.trainingSeconds < $0.seconds }) ?? true {
                    best[workers] = Best(
                        seconds: summary.trainingSeconds, reduce: summary.reduceSeconds, compute: summary.computeSeconds,
                        wait: wait, samplesPerSecond: summary.samplesPerSecond, digest: trainer.parameterDigest)
                }
                var line = "run \(repeatIndex + 1)/\(repeats), \(workers) worker\(workers == 1 ? "" : "s"): \(Int(summary.samplesPerSecond.rounded())) samples/s"
                if workers > 1 {
                    let threads = Double(Swift.min(workers, ProcessInfo.processInfo.activeProcessorCount))
                    let helping = trainer.engine.helpingSeconds / (threads * summary.computeSeconds)
                    line += String(format: ", waiting %.1f%% (helping %.1f%%, ", wait * 100, helping * 100)
                    line += "\(trainer.engine.piecesHelped / Swift.max(1, steps)) pieces per step)"
                    // More copies than cores would take turns too, and those that finish first
                    // would leave the others the machine: one per core at most.
                    let copies = Swift.min(workers, ProcessInfo.processInfo.activeProcessorCount)
                    let independent = independentRate(copies: copies)
                    independentRates[workers] = Swift.max(independentRates[workers] ?? 0, independent)
                    line += "; \(copies) independent 1-worker runs at once: \(Int(independent.rounded())) samples/s in all"
                }
                log(line)
            }
        }
        let smallest = workerCounts.min()!
        let baseline = best[smallest]?.samplesPerSecond ?? 1
        let medianBaseline = Self.median(rates[smallest] ?? [1])
        // One worker's capacity is its own fastest run; a smallest count above one is measured
        // against its own independent runs.
        let independentBaseline = smallest == 1 ? baseline : (independentRates[smallest] ?? baseline)
        return workerCounts.map { workers in
            let figures = best[workers]!
            let rate = figures.samplesPerSecond
            let speedUp = rate / baseline
            return Row(
                workers: workers, samplesPerSecond: rate, speedUp: speedUp,
                medianSpeedUp: Self.median(rates[workers] ?? [rate]) / medianBaseline,
                efficiency: speedUp * Double(smallest) / Double(workers),
                independentSpeedUp: workers == smallest ? 1 : (independentRates[workers] ?? rate) / independentBaseline,
                allReduceShare: figures.reduce / figures.seconds,
                waitShare: figures.wait,
                serialShare: Swift.max(0, 1 - (figures.reduce + figures.compute) / figures.seconds),
                secondsPerStep: figures.seconds / Double(steps), parameterDigest: figures.digest,
                divergence: divergences[workers])
        }
    }

    /// The training options of one timed run with `workers` workers, each on one core, after its
    /// warm-up run.
    private func options(workers: Int) -> TrainingOptions {
        task.timedOptions(workers: workers, steps: steps, warmupSteps: warmupSteps, reducer: { nil })
    }

    /// The summed throughput of `copies` one-worker runs trained at the same time on threads of
    /// their own, sharing nothing but the data: what the cores give when no worker ever waits for
    /// another. The copies warm up first, then all start their timed runs together; none
    /// evaluates. Each copy's rate is taken over its own run, so the last to finish has had the
    /// machine to itself for its final moments.
    func independentRate(copies: Int) -> Double {
        let rates = Locked([Double](repeating: 0, count: copies))
        let ready = DispatchGroup(), finished = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        let benchmark = self
        for copy in 0..<copies {
            ready.enter()
            finished.enter()
            Thread {
                let options = benchmark.options(workers: 1)
                let trainer = Trainer(model: benchmark.task.model, data: benchmark.task.data, optimizer: benchmark.task.optimizer.make(), options: options)
                ready.leave()
                start.wait()
                let rate = trainer.run(evaluating: false).samplesPerSecond
                rates.withLock { $0[copy] = rate }
                finished.leave()
            }.start()
        }
        ready.wait()
        for _ in 0..<copies { start.signal() }
        finished.wait()
        return rates.withLock { $0.reduce(0, +) }
    }

    /// The share of the compute phase the workers' threads spent not on their own micro-shards
    /// (waiting for the slowest worker, or helping with its products): 1 − (the workers' busy
    /// seconds) / (threads × the phase's seconds), where the threads are one per worker that had
    /// micro-shards, at most one per core (more workers than cores take turns on them).
    package static func waitShare(
        _ statistics: [WorkerStatistics], computeSeconds: Double, cores: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> Double {
        let active = statistics.filter { $0.microShards > 0 }
        let threads = Swift.min(active.count, Swift.max(1, cores))
        guard threads > 1, computeSeconds > 0 else { return 0 }
        return Swift.max(0, 1 - active.map(\.busySeconds).reduce(0, +) / (Double(threads) * computeSeconds))
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// The rows as a text table.
    package static func table(_ rows: [Row]) -> String {
        var lines = ["workers  samples/s   speed-up  efficiency  median speed-up  independent  reduce+update  waiting  serial  ms/step  parameter digest"]
        for row in rows {
            let figures = String(
                format: "%7d  %9.0f  %8.2fx  %9.0f%%  %14.2fx  %10.2fx  %12.1f%%  %6.1f%%  %5.1f%%  %7.2f",
                row.workers, row.samplesPerSecond, row.speedUp, row.efficiency * 100, row.medianSpeedUp, row.independentSpeedUp,
                row.allReduceShare * 100, row.waitShare * 100, row.serialShare * 100, row.secondsPerStep * 1000)
            lines.append(figures + "  " + row.parameterDigest)
        }
        return lines.joined(separator: "\n")
    }

    /// Writes the rows as CSV.
    package static func writeCSV(_ rows: [Row], to path: String) throws {
        var writer = CSVWriter(header: ["workers", "samples_per_second", "speed_up", "efficiency", "median_speed_up", "independent_speed_up", "allreduce_share", "wait_share", "serial_share", "seconds_per_step", "parameter_digest"])
        for row in rows {
            try writer.append([
                .int(row.workers), .double(row.samplesPerSecond), .double(row.speedUp), .double(row.efficiency), .double(row.medianSpeedUp),
                .double(row.independentSpeedUp), .double(row.allReduceShare), .double(row.waitShare), .double(row.serialShare), .double(row.secondsPerStep), .text(row.parameterDigest),
            ])
        }
        try writer.write(to: path)
    }

    /// Writes an SVG of the speed-up against the number of workers, beside the ideal line.
    package static func writePlot(_ rows: [Row], title: String, to path: String) throws {
        var plot = SVGPlot(title: title, xLabel: "workers", yLabel: "speed-up over one worker")
        let workers = rows.map { Double($0.workers) }
        // Speed-ups are relative to the smallest worker count, so the ideal line is too.
        let baseline = workers.min() ?? 1
        plot.line(x: workers, y: workers.map { $0 / baseline }, label: "ideal", color: "#7f7f7f")
        plot.line(x: workers, y: rows.map(\.speedUp), label: "SwiftGrad", color: "#1f77b4", markers: true)
        try plot.write(to: path)
    }
}

extension TrainTask {
    /// The training options of one timed benchmark run of `steps` steps with `workers` workers,
    /// each on one core, that never evaluates, after an untimed run of `warmupSteps` steps with
    /// the same options and a reducer from `reducer`. Warm-up steps fault in the data, warm the
    /// allocator and the caches, and open any connections the reducer needs. (A trainer always
    /// takes its first step, so a warm-up of 0 steps skips the run.)
    func timedOptions(
        workers: Int, steps: Int, warmupSteps: Int, reducer: () -> (any GradientReducer)?
    ) -> TrainingOptions {
        var options = self.options
        options.workers = workers
        options.kernelThreads = 1
        let perEpoch = options.stepsPerEpoch(examples: data.train.count)
        options.epochs = (Swift.max(steps, warmupSteps) + perEpoch - 1) / perEpoch
        options.evaluateEvery = Int.max
        if warmupSteps > 0 {
            options.maxSteps = warmupSteps
            _ = Trainer(model: model, data: data, optimizer: optimizer.make(), options: options, reducer: reducer())
                .run(evaluating: false)
        }
        options.maxSteps = steps
        return options
    }
}
