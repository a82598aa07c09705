import Storage
import ArgumentParser
import Autograd
import Foundation
import Reports
import Tasks
import Training

/// `swiftgrad run CONFIG [--report PATH]`: runs a config file's task.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a config file (see Configs/, and Documentation/Configuration.md for every key).")

    @Argument(help: "The JSON config to run.")
    var config: String

    @Option(help: "Write a JSON report of the run to this path (written atomically).")
    var report: String?

    @Option(help: "Write the linear regression's SVG figure here instead of where the config says.")
    var plot: String?

    @Option(parsing: .unconditional, help: "Override the trainer's number of workers.", transform: { try integer($0, refusal: Self.workersRefusal) })
    var workers: Int?

    @Option(parsing: .unconditional, help: "Override the trainer's number of epochs.", transform: { try integer($0, refusal: Self.epochsRefusal) })
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Override the trainer's seed (training.seed).", transform: Self.seed(from:))
    var seed: UInt64?

    @Option(help: ArgumentHelp(
        "Override training.precision: compute the matrix products from float32 inputs, or from inputs rounded to bfloat16 with float32 sums.",
        valueName: "float32|bf16"))
    var precision: MatrixPrecision?

    @Flag(help: "Print only the result line: no headers, no progress.")
    var quiet = false

    @Flag(help: "Also print a line per optimizer step of a training run (loss, accuracy, learning rate, gradient norm, samples/s).")
    var verbose = false

    @Option(name: .customLong("progress-every"), parsing: .unconditional, help: ArgumentHelp(
        "When standard output is not a terminal, print a training progress line every this many seconds (0: every step), besides each epoch's end. (default: 10)",
        valueName: "seconds"), transform: { try Self.seconds(from: $0, flag: "--progress-every") })
    var progressEveryGiven: Double?
    var progressEvery: Double { progressEveryGiven ?? 10 }

    @Flag(name: .customLong("no-metrics"), help: "Write no metrics.jsonl, metrics.csv, TensorBoard event file or metrics.svg into the run folder.")
    var noMetrics = false

    @Option(help: ArgumentHelp(
        "Continue a training run from a checkpoint: its path, or 'latest' for the newest in the run folder.",
        valueName: "path|latest"))
    var resume: String?

    @Option(name: .customLong("run-dir"), help: "The training run's folder for checkpoints and the model (default: the config's checkpoint.directory, else runs/<config name>).")
    var runDirectory: String?

    @Option(help: ArgumentHelp(
        "Share each batch with the other processes of an MPI job (mpi), or run alone (none). By default mpi when mpirun started this process (it sets OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK).",
        valueName: "mpi|none"))
    var distributed: DistributedMode?

    @Option(name: .customLong("mpi-reduction"), help: ArgumentHelp(
        "How the ranks add their gradients: deterministic (the bits of a one-process run, for any rank count) or allreduce (MPI_Allreduce: its own order). (default: deterministic)",
        valueName: "deterministic|allreduce"))
    var mpiReductionGiven: MPIReductionChoice?
    var mpiReduction: MPIReductionChoice { mpiReductionGiven ?? .deterministic }

    @Option(name: .customLong("mpi-timeout"), parsing: .unconditional, help: ArgumentHelp(
        "Seconds a rank waits for another before ending the job with an error that names the silent rank. (default: 300)",
        valueName: "seconds"), transform: { try Self.seconds(from: $0, flag: "--mpi-timeout") })
    var mpiTimeoutGiven: Double?
    var mpiTimeout: Double { mpiTimeoutGiven ?? 300 }

    func validate() throws {
        try refuseEmptyPaths(["config": config, "--report": report, "--plot": plot, "--resume": resume, "--run-dir": runDirectory])
        if let workers, !TrainingOptions.threadCounts.contains(workers) { throw ValidationError(Self.workersRefusal("\(workers)")) }
        if let epochs, !TrainingOptions.epochCounts.contains(epochs) { throw ValidationError(Self.epochsRefusal("\(epochs)")) }
        if quiet && verbose { throw ValidationError("--quiet and --verbose cannot be used together") }
        if !(progressEvery >= 0 && progressEvery.isFinite) {
            throw ValidationError("--progress-every must be a number of seconds, 0 or more, got \(progressEvery)")
        }
        if !(Self.mpiTimeouts.contains(mpiTimeout)) {
            throw ValidationError("--mpi-timeout must be a number of seconds from \(Self.mpiTimeouts.lowerBound) to \(Int(Self.mpiTimeouts.upperBound)), got \(mpiTimeout)")
        }
    }

    /// The messages for a `--workers` or `--epochs` value out of range, given it as shown.
    static func workersRefusal(_ value: String) -> String { rangeRefusal("--workers", TrainingOptions.threadCounts, value) }
    static func epochsRefusal(_ value: String) -> String { rangeRefusal("--epochs", TrainingOptions.epochCounts, value) }

    /// `--seed`'s value: a whole number from 0 to 2⁶⁴ − 1, or an error that names the range.
    static func seed(from text: String) throws -> UInt64 {
        guard let seed = UInt64(text) else {
            throw ValidationError("--seed must be a whole number between 0 and \(UInt64.max), got '\(text)'")
        }
        return seed
    }

    /// A number of seconds written in decimal (`10`, `0.5`, `1e2`), as data files and configs
    /// write numbers: Swift's own reading would also take `0x10` and `nan`. Its range is
    /// checked by ``validate()``.
    static func seconds(from text: String, flag: String) throws -> Double {
        guard !text.isEmpty, text.allSatisfy({ "0123456789.eE+-".contains($0) }), let value = Double(text) else {
            throw ValidationError("\(flag) must be a number of seconds in decimal, got '\(quoted(text))'")
        }
        return value
    }

    /// The seconds `--mpi-timeout` may give: above zero, at most a week.
    static let mpiTimeouts = 0.001...604_800.0

    /// The options of this command line, for a run of one process or rank 0 of an MPI job.
    func runOptions() -> RunOptions {
        // An MPI launcher gives each rank a pseudo-terminal whatever its own output is (a file,
        // a pipe): under one, progress is plain lines.
        let progress: ProgressStyle = standardOutputIsTerminal && Self.mpiJobSize() == nil
            ? .redrawn(columns: terminalColumns(), write: writeToStandardOutput) : .lines(everySeconds: progressEvery)
        return RunOptions(
            plotPath: plot, workers: workers, epochs: epochs, seed: seed, verbosity: quiet ? .quiet : verbose ? .verbose : .normal,
            progress: progress, writesMetrics: !noMetrics,
            resume: resume, runDirectory: runDirectory, keepsRunFolder: true, handlesSignals: true, precision: precision)
    }

    func run() throws {
        if try launchMode() == .mpi {
            try runUnderMPI()
            return
        }
        let options = runOptions()
        StandardOutput.start()
        try reportingErrors {
            let task = try TaskLoader.load(path: config, options: options)
            try checkFlagsApply(to: task)
            // Fail before a long run, not after it, when an output cannot be written; before the
            // warnings too, so that a refused path is the one line such a failure prints.
            try checkFiles(of: task, keepsRunFolder: options.keepsRunFolder)
            // Warnings always; notes, which only say what a value comes to, not under --quiet.
            for line in task.warnings where !quiet || !line.hasPrefix("note:") { printShown(line) }
            let result = try task.run(options: options) { printRunLine($0) }
            if let report {
                try result.write(to: report)
                if !quiet { printLine("wrote \(report)") }
            }
            if result.exitStatus != 0 {
                if let failure = result.failure { printErrorLine(failure) }
                throw ExitCode(result.exitStatus)
            }
        }
    }

    /// Checks, before the run, every file it will write: that the run folder can be made, that
    /// `--resume` names no file the run replaces, and that no output (`--report`, the figure)
    /// is an input, another output or a file the run writes in its folder.
    ///
    /// - Parameter keepsRunFolder: whether a training run writes its folder (rank 0 of an MPI
    ///   job, or a run of one process).
    /// - Throws: `FileError` naming the path and what is wrong.
    func checkFiles(of task: any RunnableTask, keepsRunFolder: Bool) throws {
        let resumed = resumedCheckpoint(of: task)
        let policy = keepsRunFolder ? (task as? TrainTask)?.checkpoints : nil
        if let policy {
            try policy.checkFolderCanBeMade(source: runDirectory == nil ? "checkpoint.directory" : "--run-dir")
            if let checkpoint = resumed.first { try checkResumable(checkpoint.path, in: policy) }
        }
        // Outputs never replace what the run reads, by any name (compared by inode).
        let inputs = [AtomicFile.Input(config, role: "config")] + task.inputFiles + resumed
        try checkOutputs(outputs(of: task), inputs: inputs, runFolder: policy)
    }

    /// Refuses flags that the config's task would ignore: a user who gives `--resume` or
    /// `--epochs` to a minimisation, or `--plot` to a training run, expects them to do something.
    /// `--distributed none` only says to run alone, as every other task does, so any config
    /// takes it: under an MPI launcher it is how a build without MPI runs one.
    ///
    /// - Throws: `ValidationError` naming the flags, the task, and what applies instead (a
    ///   failure after loading, so status 1 and no usage text).
    func checkFlagsApply(to task: any RunnableTask) throws {
        let kind = task.kind
        if !(task is TrainTask) {
            let given: [(String, Bool)] = [
                ("--workers", workers != nil), ("--epochs", epochs != nil), ("--seed", seed != nil),
                ("--precision", precision != nil), ("--resume", resume != nil), ("--run-dir", runDirectory != nil),
                ("--no-metrics", noMetrics), ("--verbose", verbose), ("--distributed mpi", distributed == .mpi),
                ("--progress-every", progressEveryGiven != nil), ("--mpi-reduction", mpiReductionGiven != nil),
                ("--mpi-timeout", mpiTimeoutGiven != nil),
            ]
            let flags = given.filter(\.1).map(\.0)
            if !flags.isEmpty {
                let them = flags.count == 1 ? "it" : "them"
                throw ValidationError(
                    "\(Self.listed(flags)) \(flags.count == 1 ? "applies" : "apply") to a train config only, and '\(config)' is a \(kind) task; leave \(them) out")
            }
        }
        if plot != nil, !(task is LinearRegressionTask) {
            let instead = task is TrainTask
                ? ": a training run draws its curves into metrics.svg in its run folder, and 'swiftgrad plot' draws runs side by side"
                : ""
            throw ValidationError("--plot draws a linear-regression config's figure, and '\(config)' is a \(kind) task\(instead)")
        }
    }

    /// "--a", "--a and --b", "--a, --b and --c".
    static func listed(_ flags: [String]) -> String {
        flags.count < 2 ? flags.joined() : flags.dropLast().joined(separator: ", ") + " and " + flags.last!
    }

    /// The files the run writes outside a training run's folder: the linear regression's
    /// figure (`--plot`, else the config's `plot`) and `--report`.
    func outputs(of task: any RunnableTask) -> [OutputPath] {
        var outputs: [OutputPath] = []
        if let plot {
            outputs.append(OutputPath(flag: "--plot", path: plot))
        } else if let plot = (task as? LinearRegressionTask)?.plotPath {
            outputs.append(OutputPath(flag: "the config's plot", path: plot))
        }
        if let report { outputs.append(OutputPath(flag: "--report", path: report)) }
        return outputs
    }

    /// Refuses to resume from a file the run replaces: the model it saves when it ends, or the
    /// best checkpoint when it keeps one. Either would be lost as the run goes on; the run's
    /// periodic checkpoints are its own to resume from and to prune.
    ///
    /// - Throws: `FileError` naming the checkpoint and what to do instead.
    func checkResumable(_ path: String, in policy: CheckpointPolicy) throws {
        let advice = "resume from a copy of it, or from the run's last checkpoint (--resume latest), or give another --run-dir"
        if AtomicFile.namesSameFile(path, policy.modelPath) {
            throw FileError("cannot resume from '\(path)': it is the model that this run saves in its run folder '\(policy.directory)' when it ends, which would replace it; \(advice)")
        }
        if policy.keepBest != nil, AtomicFile.namesSameFile(path, policy.bestPath) {
            throw FileError("cannot resume from '\(path)': it is the best checkpoint that this run replaces in its run folder '\(policy.directory)' when it finds a better one; \(advice)")
        }
    }

    /// The checkpoint `--resume` continues from, as an input no output may replace.
    func resumedCheckpoint(of task: any RunnableTask) -> [AtomicFile.Input] {
        guard let resume else { return [] }
        let path = resume == "latest" ? (task as? TrainTask)?.checkpoints.existingCheckpoints().last : resume
        return path.map { [AtomicFile.Input($0, role: "checkpoint being resumed")] } ?? []
    }
}
