#if canImport(SwiftGradMPI)
import ArgumentParser
import Autograd
import Benchmarks
import DataParallel
import Foundation
import Storage
import SwiftGradMPI
import Tasks

extension AllReduceCommand {
    /// `swiftgrad bench allreduce --mpi` as one rank of an MPI job: for each of `--sizes`, the
    /// median time of the deterministic cross-rank reduction of `--slots` micro-shards (shared
    /// among the ranks as in training) and of `MPI_Allreduce` on the same gradient slots, after a
    /// barrier, alternating; rank 0 prints a table of milliseconds and bandwidth.
    func runUnderMPI() throws {
        let communicator = try startMPI(context: "--mpi: ")
        let rank = communicator.rank
        if rank == 0 {
            printLine("MPI all-reduce: \(communicator.size) ranks, \(slots) micro-shards, median of \(roundCount) rounds")
            printLine("| floats | deterministic (ms) | deterministic (MB/s) | MPI_Allreduce (ms) | MPI_Allreduce (MB/s) | deterministic / allreduce |")
            printLine("| ---: | ---: | ---: | ---: | ---: | ---: |")
        }
        for size in gradientSizes {
            let small = max(1, size / 100)
            let layout = ParameterLayout(shapes: [[size - small], [small]])
            let gradientSlots = GradientSlots(layout: layout, slotCount: slots)
            let active = Array(0..<slots)
            for shard in MicroShardPlan.share(of: active, part: rank, parts: communicator.size) {
                let gradients = layout.shapes.map { shape -> Tensor? in
                    Tensor(shape: shape) { buffer in
                        for index in buffer.indices { buffer[index] = Float((index &* 31 &+ shard) % 17) - 8 }
                    }
                }
                gradientSlots.store(gradients, inSlot: shard)
            }
            let reducers = [
                MPIGradientReducer(communicator: communicator, reduction: .deterministic),
                MPIGradientReducer(communicator: communicator, reduction: .allreduce),
            ]
            let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: layout.totalCount)
            defer { output.deallocate() }
            var times: [[Double]] = [[], []]
            // One untimed round warms both up.
            for round in 0...roundCount {
                for which in (round % 2 == 0 ? [0, 1] : [1, 0]) {
                    _ = communicator.allGather([], what: "the barrier")
                    let start = ContinuousClock.now
                    reducers[which].allReduce(gradientSlots, activeSlots: active, divisor: 1, into: output)
                    let elapsed = ContinuousClock.now - start
                    if round > 0 {
                        times[which].append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
                    }
                }
            }
            if rank == 0 {
                let medians = times.map { $0.sorted()[$0.count / 2] }
                // The gradient's bytes reduced per second.
                let megabytes = Double(size * 4) / 1e6
                printLine(String(
                    format: "| %d | %.3f | %.0f | %.3f | %.0f | %.2f |", size, medians[0] * 1000, megabytes / medians[0],
                    medians[1] * 1000, megabytes / medians[1], medians[0] / medians[1]))
            }
        }
        communicator.finalize()
    }
}

extension ScalingCommand {
    /// `swiftgrad bench scaling` as one rank of an MPI job: every configuration of `--ranks`
    /// (every count up to the job's by default) × `--workers` trains the same steps with the
    /// deterministic cross-rank reduction, the ranks beyond a configuration's count waiting
    /// asleep; rank 0 alone prints the table, checks that every configuration ends on the same
    /// parameters, and writes the CSV and the plot.
    func runUnderMPI() throws {
        let communicator = try startMPI()
        let leader = communicator.rank == 0
        let rankCounts = ranks ?? Array(1...communicator.size)

        // Start-up: every rank loads the task; a failure on any rank stops them all.
        var loaded: TrainTask?
        var failure = ""
        do {
            if let most = rankCounts.max(), most > communicator.size {
                throw ValidationError("--ranks asks for \(most) ranks, but mpirun started \(communicator.size)")
            }
            if leader { try checkOutputs(inputs: nil) }
            guard let task = try TaskLoader.load(path: config) as? TrainTask else {
                throw ValidationError("'\(config)' is not a \"task\": \"train\" config; bench scaling trains a model")
            }
            if leader { try checkOutputs(inputs: task) }
            loaded = task
        } catch {
            failure = "\(error)"
        }
        let failures = communicator.allGather(Array(failure.utf8), what: "the start-up of every rank").map { String(decoding: $0, as: UTF8.self) }
        if let failure = FailureOnEveryRank(gathered: failures) {
            if leader { printErrorLine(failure) }
            communicator.finalize()
            throw ExitCode.failure
        }
        guard let task = loaded else { communicator.abort("the task did not load") }
        // The ranks must train the same thing for their figures to mean anything.
        let facts = [("config hash", task.configHash), ("data checksum", task.dataChecksum)]
        let own = facts.map { "\($0.0)\u{1F}\($0.1)" }.joined(separator: "\u{1E}")
        let gathered = communicator.allGather(Array(own.utf8), what: "the config and data of every rank").map { String(decoding: $0, as: UTF8.self) }
        if let disagreement = RankDisagreement(facts: facts.map(\.0), gathered: gathered) {
            if leader { printErrorLine(disagreement) }
            communicator.finalize()
            throw ExitCode.failure
        }

        let hosts = Set(communicator.allGather(Array(communicator.hostName.utf8), what: "the host names")).count
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if leader {
            printLine("scaling: \(config), batch \(task.options.batchSize), \(steps) steps per run, best of \(repeats); \(communicator.size) rank\(communicator.size == 1 ? "" : "s") on \(hosts) host\(hosts == 1 ? "" : "s"), \(cores) cores on rank 0's, deterministic reduction")
            if hosts == 1, let mostRanks = rankCounts.max(), let mostWorkers = workers.max(), mostRanks * mostWorkers > cores {
                printLine("note: \(mostRanks) ranks of \(mostWorkers) workers on one host of \(cores) cores share cores; expect no speed-up beyond \(cores)")
            }
        }
        // A rank that sits a configuration out waits for it asleep, for as long as it takes.
        let job = RankScalingBenchmark.Job(
            rank: communicator.rank, rankCount: communicator.size,
            reducer: { ranks, workers in
                MPIGradientReducer(communicator: communicator.firstRanks(ranks), reduction: .deterministic, threads: workers)
            },
            allGather: { communicator.allGather($0, what: "the benchmark's timings", timeout: .seconds(604_800), idle: true) })
        let rows = RankScalingBenchmark(
            task: task, rankCounts: rankCounts, workerCounts: workers, steps: steps, warmupSteps: warmup, repeats: repeats, job: job
        ).run { line in if leader { printLine(line) } }
        communicator.finalize()
        guard leader else { return }
        try reportingErrors {
            if let row = rows.first(where: \.diverged) {
                throw ValidationError("with \(row.ranks) rank\(row.ranks == 1 ? "" : "s") of \(row.workersPerRank) worker\(row.workersPerRank == 1 ? "" : "s") the training diverged; the runs stopped short of the steps timed, so there are no figures: lower the config's learning rate")
            }
            printLine(RankScalingBenchmark.table(rows))
            let digests = Set(rows.map(\.parameterDigest))
            if task.options.deterministic {
                printLine(digests.count == 1 && !rows[0].parameterDigest.contains("/")
                    ? "final parameters: bitwise identical for every rank and worker count"
                    : "final parameters differ between configurations")
            }
            try RankScalingBenchmark.writeCSV(rows, to: csv)
            try RankScalingBenchmark.writePlot(rows, title: "Data-parallel scaling over MPI ranks, batch \(task.options.batchSize)", to: plot)
            printLine("wrote \(csv) and \(plot)")
        }
    }
}
#endif
