#if canImport(SwiftGradMPI)
import ArgumentParser
import Foundation
import Storage
import SwiftGradMPI
import Tasks

extension RunCommand {
    /// `swiftgrad run` as one rank of an MPI job (`mpirun -np N swiftgrad run CONFIG`).
    ///
    /// Every rank reads the config and the data; with `--resume`, rank 0 alone reads the
    /// checkpoint and sends it to the others, which check its checksum. They check that they
    /// agree (config hash, data checksum, initial or resumed parameters), then train, each
    /// computing its share of every batch. Rank 0 alone prints, and writes the run folder, the
    /// metrics and the report.
    ///
    /// Failures: an error every rank meets at start-up (a bad config, a disagreement, a checkpoint
    /// rank 0 cannot read) is printed once, by rank 0, and every rank exits with status 1. An error on one rank during the run
    /// (a checkpoint that cannot be written) ends the whole job through `MPI_Abort`, so no rank
    /// waits for it; so does a rank that stops answering for `--mpi-timeout` seconds.
    ///
    /// Signals: SIGINT or SIGTERM to any rank while the ranks train stops every rank after the
    /// same step, with rank 0's checkpoint, and every rank exits with 128 + the signal's number
    /// (see `TrainTask.runKeepingCheckpoints`).
    func runUnderMPI() throws {
        let communicator = try startMPI(timeout: .milliseconds(Int64((mpiTimeout * 1000).rounded())))
        let leader = communicator.rank == 0
        var options = runOptions()
        // Signalled itself, Open MPI's mpirun may stop passing on the ranks' output; it sends them
        // SIGTERM a second later and SIGKILL a second after that: rank 0 then waits on a full
        // standard output a fifth of a second, not two, so that its checkpoint is written in time.
        StandardOutput.start(signalGrace: .milliseconds(200))
        // Signals at start-up have their usual effect, as in one process: a rank that dies there
        // ends the job through mpirun. Training handles them (below).
        options.handlesSignals = false
        if !leader {
            options.verbosity = .quiet
            options.writesMetrics = false
            options.keepsRunFolder = false
        }

        // Start-up: every rank loads the task; a failure on any rank stops them all.
        var task: (any RunnableTask)?
        var failure = ""
        do {
            let loaded = try TaskLoader.load(path: config, options: options)
            try checkFlagsApply(to: loaded)
            if leader { try checkFiles(of: loaded, keepsRunFolder: options.keepsRunFolder) }
            task = loaded
        } catch {
            failure = "\(error)"
        }
        let failures = communicator.allGather(Array(failure.utf8), what: "the start-up of every rank")
            .map { String(decoding: $0, as: UTF8.self) }
        if let failure = FailureOnEveryRank(gathered: failures) {
            if leader { printErrorLine(failure) }
            communicator.finalize()
            throw ExitCode.failure
        }
        guard let task else { communicator.abort("the task did not load") }

        let hosts = Set(communicator.allGather(Array(communicator.hostName.utf8), what: "the host names")).count
        let reduction: MPIGradientReducer.Reduction = mpiReduction == .deterministic ? .deterministic : .allreduce
        let reducer = MPIGradientReducer(
            communicator: communicator, reduction: reduction, threads: ProcessInfo.processInfo.activeProcessorCount)
        let ranks = communicator.size
        options.distributed = DistributedRun(
            reducer: reducer,
            description: "MPI: \(ranks) rank\(ranks == 1 ? "" : "s") on \(hosts) host\(hosts == 1 ? "" : "s"), \(reduction.rawValue) reduction",
            broadcastFromRankZero: { communicator.broadcast($0, from: 0, what: "the checkpoint rank 0 read") },
            allGather: { communicator.allGather($0, what: "the start-up check of config, data and parameters") })
        // A rank whose config is another task takes no part in the training the others would
        // wait on until the timeout: the job stops here, naming the ranks.
        do {
            try options.distributed?.checkAgreement([("task", task.kind)])
        } catch let disagreement as RankDisagreement {
            if leader { printErrorLine(disagreement) }
            communicator.finalize()
            throw ExitCode.failure
        }

        guard task is TrainTask else {
            // Only training shares its work; rank 0 runs any other task alone.
            if leader {
                try reportingErrors {
                    let result = try task.run(options: options) { printRunLine($0) }
                    if let report { try result.write(to: report) }
                }
            }
            communicator.finalize()
            return
        }

        // Every rank catches SIGINT and SIGTERM while it trains (mpirun sends them SIGTERM when it
        // gets either; a scheduler may signal every rank itself) and sends the signal with its
        // next step's results: every rank stops after that step, rank 0 writes the checkpoint,
        // and each exits with 128 + the signal's number, as one process does.
        options.handlesSignals = true
        let result: TaskReport
        do {
            result = try task.run(options: options) { line in if leader { printRunLine(line) } }
        } catch let disagreement as RankDisagreement {
            // Every rank found the same disagreement.
            if leader { printErrorLine(disagreement) }
            communicator.finalize()
            throw ExitCode.failure
        } catch let failure as FailureOnEveryRank {
            // Every rank threw it (rank 0 could not read the checkpoint it shares).
            if leader { printErrorLine(failure) }
            communicator.finalize()
            throw ExitCode.failure
        } catch {
            communicator.abort("\(error)")
        }
        // Every rank has trained: what is left is rank 0's to write, and it writes it (its
        // output too) before it finalizes. MPI_Finalize waits for every rank, so no rank exits
        // before rank 0 is done: Open MPI's mpirun ends the whole job as soon as one rank exits
        // with a non-zero status, which every rank of a signalled or diverged run does.
        var exit = ExitCode(result.exitStatus)
        if leader {
            do {
                try reportingErrors {
                    if let report {
                        try result.write(to: report)
                        if !quiet { printLine("wrote \(report)") }
                    }
                    if result.exitStatus != 0, let failure = result.failure { printErrorLine(failure) }
                }
            } catch let code as ExitCode {
                exit = code
            }
            StandardOutput.drain()
        }
        communicator.finalize()
        if exit != .success { throw exit }
    }
}
/// Initialises MPI for this rank with `timeout`; when it cannot start, prints the error, after
/// `context` where given, and exits with status 1.
func startMPI(timeout: Duration = MPICommunicator.defaultTimeout, context: String = "") throws -> MPICommunicator {
    do {
        return try MPICommunicator(timeout: timeout)
    } catch {
        printErrorLine("\(context)\(error)")
        throw ExitCode.failure
    }
}
#endif
