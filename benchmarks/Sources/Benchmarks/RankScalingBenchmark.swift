import DataParallel
import Foundation
import Reports
import Tasks
import Training

/// Measures how training throughput grows with the ranks of an MPI job and the workers of each
/// rank, on a `"task": "train"` config: `mpirun -np R swiftgrad bench scaling`.
///
/// Every configuration (ranks × workers per rank) trains the same model on the same batches
/// with a deterministic cross-rank reducer: the first `ranks` ranks of the job train, each on its
/// share of every batch, with `workers` workers of one kernel thread each, while the others wait
/// asleep. Every rank runs this same code; the job's exchanges are the closures of ``Job``, so the
/// benchmark knows nothing of MPI itself. For each configuration it reports samples per second
/// (the slowest rank's time: the ranks step together), the speed-up over the smallest
/// configuration (1 × 1 by default), fastest run against fastest and median against median, the
/// parallel efficiency, and the final parameters' digest, which is the same for every
/// configuration with the deterministic reduction.
package struct RankScalingBenchmark: Sendable {
    /// The MPI job as the benchmark sees it.
    package struct Job: Sendable {
        /// This process's rank, `0..<rankCount`.
        package var rank: Int
        /// The ranks of the job.
        package var rankCount: Int
        /// A deterministic reducer over ranks `0..<ranks` for a rank of `workers` workers; called
        /// only on those ranks, each time a trainer starts.
        package var reducer: @Sendable (_ ranks: Int, _ workers: Int) -> any DistributedGradientReducer
        /// Every rank's bytes, by rank, the same on every rank (an all-gather of the whole job).
        /// A rank that sits a configuration out waits in it while the others train, so it must
        /// wait as long as a run takes.
        package var allGather: @Sendable ([UInt8]) -> [[UInt8]]

        package init(
            rank: Int, rankCount: Int, reducer: @escaping @Sendable (_ ranks: Int, _ workers: Int) -> any DistributedGradientReducer,
            allGather: @escaping @Sendable ([UInt8]) -> [[UInt8]]
        ) {
            self.rank = rank
            self.rankCount = rankCount
            self.reducer = reducer
            self.allGather = allGather
        }
    }

    /// One configuration's figures.
    package struct Row: Sendable, Equatable {
        package var ranks: Int
        package var workersPerRank: Int
        /// Samples per second of the fastest run.
        package var samplesPerSecond: Double
        /// The fastest run's speed-up over the fastest run of the smallest configuration.
        package var speedUp: Double
        /// The median run's speed-up over the smallest configuration's median run.
        package var medianSpeedUp: Double
        /// The speed-up over the ideal: ranks × workers over the smallest configuration's.
        package var efficiency: Double
        package var secondsPerStep: Double
        /// The final parameters' digest, the same on every rank of the run; should the ranks of
        /// one run differ, their digests joined by `/`.
        package var parameterDigest: String
        /// Whether the training diverged in a run of this configuration: its runs then stopped
        /// short of the steps timed, and the figures mean nothing.
        package var diverged: Bool
    }

    package let task: TrainTask
    /// Rank counts, each at most the job's.
    package let rankCounts: [Int]
    package let workerCounts: [Int]
    package let steps: Int
    package let warmupSteps: Int
    /// Runs of each configuration; the fastest is kept, the median is reported too.
    package let repeats: Int
    package let job: Job

    package init(task: TrainTask, rankCounts: [Int], workerCounts: [Int], steps: Int, warmupSteps: Int, repeats: Int, job: Job) {
        precondition(
            !rankCounts.isEmpty && rankCounts.allSatisfy { (1...job.rankCount).contains($0) } && !workerCounts.isEmpty,
            "RankScalingBenchmark: rank counts \(rankCounts) must each be 1 to \(job.rankCount), with at least one worker count")
        self.task = task
        self.rankCounts = rankCounts
        self.workerCounts = workerCounts
        self.steps = steps
        self.warmupSteps = warmupSteps
        self.repeats = repeats
        self.job = job
    }

    /// The configurations in the order they are run and reported: by ranks, then workers.
    package var configurations: [(ranks: Int, workers: Int)] {
        rankCounts.flatMap { ranks in workerCounts.map { (ranks, $0) } }
    }

    /// Runs every configuration on every rank, interleaving repeats so that a noisy moment does
    /// not favour one; `log` gets a line per run (call it on rank 0 alone to print once).
    ///
    /// - Returns: the rows, the same on every rank.
    package func run(log: (String) -> Void = { _ in }) -> [Row] {
        let configurations = self.configurations
        var runs = [[Run]](repeating: [], count: configurations.count)
        for repeatIndex in 0..<repeats {
            for (index, configuration) in configurations.enumerated() {
                // Every rank is here before the ranks at work start.
                _ = job.allGather([])
                var own: [UInt8] = []
                if job.rank < configuration.ranks {
                    let summary = train(ranks: configuration.ranks, workers: configuration.workers)
                    own = Array("\(summary.seconds.bitPattern) \(summary.examples) \(summary.digest) \(summary.diverged ? 1 : 0)".utf8)
                }
                // The ranks that sat out wait here while the others train.
                let records = job.allGather(own).prefix(configuration.ranks).map { record in
                    String(decoding: record, as: UTF8.self).split(separator: " ").map(String.init)
                }
                let seconds = records.map { $0.count == 4 ? UInt64($0[0]).map(Double.init(bitPattern:)) ?? .nan : .nan }.max() ?? .nan
                let examples = records.first.flatMap { $0.count == 4 ? Int($0[1]) : nil } ?? 0
                var digests: [String] = []
                for record in records where record.count == 4 && !digests.contains(record[2]) { digests.append(record[2]) }
                let diverged = records.contains { $0.count == 4 && $0[3] == "1" }
                let run = Run(seconds: seconds, examples: examples, digest: digests.joined(separator: "/"), diverged: diverged)
                runs[index].append(run)
                log("run \(repeatIndex + 1)/\(repeats), \(configuration.ranks) rank\(configuration.ranks == 1 ? "" : "s") × \(configuration.workers) worker\(configuration.workers == 1 ? "" : "s"): \(Int(Self.rate(run).rounded())) samples/s")
            }
        }
        return Self.rows(configurations: configurations, runs: runs, steps: steps)
    }

    /// The table's rows from each configuration's runs: the fastest and the median run of each,
    /// against the first configuration's.
    static func rows(
        configurations: [(ranks: Int, workers: Int)], runs: [[Run]], steps: Int
    ) -> [Row] {
        let fastest = runs.map { $0.min { $0.seconds < $1.seconds }! }
        let medians = runs.map { Self.median($0.map(Self.rate)) }
        let baseline = Self.rate(fastest[0]), medianBaseline = medians[0]
        let baseWorkers = Double(configurations[0].ranks * configurations[0].workers)
        return configurations.indices.map { index in
            let (ranks, workers) = configurations[index]
            let speedUp = Self.rate(fastest[index]) / baseline
            return Row(
                ranks: ranks, workersPerRank: workers, samplesPerSecond: Self.rate(fastest[index]), speedUp: speedUp,
                medianSpeedUp: medians[index] / medianBaseline, efficiency: speedUp * baseWorkers / Double(ranks * workers),
                secondsPerStep: fastest[index].seconds / Double(steps), parameterDigest: fastest[index].digest,
                diverged: runs[index].contains(where: \.diverged))
        }
    }

    /// One timed run of this rank in `ranks` ranks of `workers` workers, after its warm-up run.
    private func train(ranks: Int, workers: Int) -> Run {
        // The warm-up also opens the ranks' connections.
        let options = task.timedOptions(workers: workers, steps: steps, warmupSteps: warmupSteps, reducer: { job.reducer(ranks, workers) })
        let trainer = Trainer(model: task.model, data: task.data, optimizer: task.optimizer.make(), options: options, reducer: job.reducer(ranks, workers))
        let summary = trainer.run(evaluating: false)
        let diverged = if case .diverged = summary.outcome { true } else { false }
        return Run(seconds: summary.trainingSeconds, examples: summary.examples, digest: trainer.parameterDigest, diverged: diverged)
    }

    /// One timed run of a configuration: its slowest rank's seconds, the examples, the ranks'
    /// digests and whether the training diverged on any rank.
    package struct Run: Sendable {
        package var seconds: Double
        package var examples: Int
        package var digest: String
        package var diverged: Bool

        package init(seconds: Double, examples: Int, digest: String, diverged: Bool) {
            (self.seconds, self.examples, self.digest, self.diverged) = (seconds, examples, digest, diverged)
        }
    }

    private static func rate(_ run: Run) -> Double {
        run.seconds > 0 ? Double(run.examples) / run.seconds : 0
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// The rows as a text table; the speed-ups are over the first row.
    package static func table(_ rows: [Row]) -> String {
        var lines = ["ranks  workers/rank  samples/s  speed-up  efficiency  median speed-up  ms/step  parameter digest"]
        for row in rows {
            lines.append(String(
                format: "%5d  %12d  %9.0f  %7.2fx  %9.0f%%  %14.2fx  %7.2f  ", row.ranks, row.workersPerRank, row.samplesPerSecond,
                row.speedUp, row.efficiency * 100, row.medianSpeedUp, row.secondsPerStep * 1000) + row.parameterDigest)
        }
        return lines.joined(separator: "\n")
    }

    /// Writes the rows as CSV.
    package static func writeCSV(_ rows: [Row], to path: String) throws {
        var writer = CSVWriter(header: [
            "ranks", "workers_per_rank", "samples_per_second", "speed_up", "median_speed_up", "efficiency", "seconds_per_step", "parameter_digest",
        ])
        for row in rows {
            try writer.append([
                .int(row.ranks), .int(row.workersPerRank), .double(row.samplesPerSecond), .double(row.speedUp), .double(row.medianSpeedUp),
                .double(row.efficiency), .double(row.secondsPerStep), .text(row.parameterDigest),
            ])
        }
        try writer.write(to: path)
    }

    /// Writes an SVG of the speed-up against the workers in all (ranks × workers per rank), a
    /// line for each rank count, beside the ideal line.
    package static func writePlot(_ rows: [Row], title: String, to path: String) throws {
        var plot = SVGPlot(title: title, xLabel: "workers in all (ranks × workers per rank)", yLabel: "speed-up")
        let baseline = Double(rows.first.map { $0.ranks * $0.workersPerRank } ?? 1)
        let totals = Set(rows.map { Double($0.ranks * $0.workersPerRank) }).sorted()
        plot.line(x: totals, y: totals.map { $0 / baseline }, label: "ideal", color: "#7f7f7f")
        let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
        var rankCounts: [Int] = []
        for row in rows where !rankCounts.contains(row.ranks) { rankCounts.append(row.ranks) }
        for (index, ranks) in rankCounts.enumerated() {
            let line = rows.filter { $0.ranks == ranks }
            plot.line(
                x: line.map { Double($0.ranks * $0.workersPerRank) }, y: line.map(\.speedUp),
                label: "\(ranks) rank\(ranks == 1 ? "" : "s")", color: colors[index % colors.count], markers: true)
        }
        try plot.write(to: path)
    }
}
