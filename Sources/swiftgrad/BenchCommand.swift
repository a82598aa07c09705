import Storage
import ArgumentParser
import Foundation
import Benchmarks
import Reports
import Tasks
import Training

/// `swiftgrad bench …`: the benchmarks that need the library's internals at full speed.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure data-parallel scaling and all-reduce bandwidth (build with -c release).",
        subcommands: [ScalingCommand.self, AllReduceCommand.self])
}

/// `swiftgrad bench scaling CONFIG --workers 1,2,4`.
struct ScalingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scaling",
        abstract: "Samples/s, speed-up, efficiency and all-reduce share for each worker count.")

    @Argument(help: "A \"task\": \"train\" config, e.g. Configs/scaling-mlp.json.")
    var config: String

    @Option(parsing: .unconditional, help: "Comma-separated worker counts, each 1 to 256. (default: 1,2)", transform: parseThreadCounts)
    var workers: [Int] = [1, 2]

    @Option(parsing: .unconditional, help: "Timed optimizer steps per run, 1 to 1000000.", transform: { try integer($0) { rangeRefusal("--steps", stepCounts, $0) } })
    var steps = 100

    @Option(parsing: .unconditional, help: "Untimed steps before each run, 0 to 1000000.", transform: { try integer($0) { rangeRefusal("--warmup", warmupCounts, $0) } })
    var warmup = 5

    @Option(parsing: .unconditional, help: "Runs per worker count, 1 to 1000; the fastest is kept, and the median is reported too.", transform: { try integer($0) { rangeRefusal("--repeats", repeatCounts, $0) } })
    var repeats = 5

    @Option(parsing: .unconditional, help: "Under mpirun: comma-separated rank counts, each 1 to the job's. (default: every count from 1 to the job's)", transform: parseRankCounts)
    var ranks: [Int]?

    @Option(help: "Write the table as CSV here.")
    var csv = "scaling.csv"

    @Option(help: "Write the speed-up plot as SVG here.")
    var plot = "scaling.svg"

    /// The values `--steps`, `--warmup` and `--repeats` take.
    static let stepCounts = 1...1_000_000, warmupCounts = 0...1_000_000, repeatCounts = 1...1000

    func validate() throws {
        for (flag, value, range) in [("--steps", steps, Self.stepCounts), ("--warmup", warmup, Self.warmupCounts), ("--repeats", repeats, Self.repeatCounts)]
        where !range.contains(value) {
            throw ValidationError(rangeRefusal(flag, range, "\(value)"))
        }
        try refuseEmptyPaths(["config": config, "--csv": csv, "--plot": plot])
    }

    /// `--csv` and `--plot`.
    var outputs: [OutputPath] { [OutputPath(flag: "--csv", path: csv), OutputPath(flag: "--plot", path: plot)] }

    /// Checks the outputs before the benchmark: apart, writable, and none of `inputs` (the
    /// config and, once the task is loaded, its data).
    func checkOutputs(inputs task: TrainTask?) throws {
        let inputs = [AtomicFile.Input(config, role: "config")] + (task?.inputFiles ?? [])
        try swiftgrad.checkOutputs(outputs, inputs: inputs)
    }

    func run() throws {
        if let jobSize = RunCommand.mpiJobSize() {
            #if canImport(SwiftGradMPI)
            try runUnderMPI()
            return
            #else
            if jobSize > 1 {
                // Each process would time the workers alone and write the same files.
                printError("error: bench scaling: mpirun started \(jobSize) processes, but this swiftgrad was built without MPI; install Open MPI (scripts/install-dependencies), then `swift package clean` and build again")
                throw ExitCode.failure
            }
            #endif
        }
        if ranks != nil {
            printError("error: --ranks: bench scaling measures ranks only in a swiftgrad built with MPI and started by mpirun (`mpirun -np 2 swiftgrad bench scaling CONFIG --ranks 1,2`)")
            throw ExitCode.failure
        }
        try reportingErrors {
            // Checked before the data are loaded, and again with them.
            try checkOutputs(inputs: nil)
            guard let task = try TaskLoader.load(path: config) as? TrainTask else {
                throw ValidationError("'\(config)' is not a \"task\": \"train\" config; bench scaling trains a model")
            }
            try checkOutputs(inputs: task)
            let cores = ProcessInfo.processInfo.activeProcessorCount
            printLine("scaling: \(config), batch \(task.options.batchSize), \(steps) steps per run, best of \(repeats); \(cores) cores")
            if let most = workers.max(), most > cores {
                printLine("note: \(most) workers on \(cores) cores share cores; expect no speed-up beyond \(cores)")
            }
            let rows = ScalingBenchmark(task: task, workerCounts: workers, steps: steps, warmupSteps: warmup, repeats: repeats)
                .run { printLine($0) }
            if let (workers, divergence) = rows.lazy.compactMap({ row in row.divergence.map { (row.workers, $0) } }).first {
                throw ValidationError("with \(workers) worker\(workers == 1 ? "" : "s") the training diverged at \(divergence); the runs stopped short of the steps timed, so there are no figures: lower the config's learning rate")
            }
            printLine(ScalingBenchmark.table(rows))
            let digests = Set(rows.map(\.parameterDigest))
            if task.options.deterministic {
                printLine(digests.count == 1 ? "final parameters: bitwise identical for every worker count" : "final parameters differ between worker counts")
            }
            try ScalingBenchmark.writeCSV(rows, to: csv)
            try ScalingBenchmark.writePlot(rows, title: "Data-parallel scaling, batch \(task.options.batchSize)", to: plot)
            printLine("wrote \(csv) and \(plot)")
        }
    }
}

/// `swiftgrad bench allreduce`.
struct AllReduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "All-reduce bandwidth beside memcpy bandwidth.")

    /// The defaults of the options each mode takes; an option is optional so that one given to
    /// the other mode is caught.
    static let defaultParameters = 269_322, defaultThreads = [1, 2], defaultSizes = [17_226, 1_000_000], defaultRounds = 11

    @Option(parsing: .unconditional, help: "Floats per gradient slot, 1 to 1000000000 (the MLP 784-256-256-10 has 269 322). (default: \(defaultParameters))", transform: { try integer($0) { rangeRefusal("--parameters", AllReduceBenchmark.parameterCounts, $0) } })
    var parameters: Int?

    @Option(parsing: .unconditional, help: "Slots (micro-shards) reduced, 1 to 4096.", transform: { try integer($0) { rangeRefusal("--slots", AllReduceBenchmark.slotCounts, $0) } })
    var slots = 4

    @Option(parsing: .unconditional, help: "Comma-separated thread counts, each 1 to 256. (default: \(commaSeparated(defaultThreads)))", transform: parseThreadCounts)
    var threads: [Int]?

    @Flag(help: "Under mpirun: cross-rank reduction of --slots micro-shards, deterministic beside MPI_Allreduce, for each of --sizes.")
    var mpi = false

    @Option(parsing: .unconditional, help: "With --mpi: comma-separated floats per gradient, each 2 to 100000000. (default: \(commaSeparated(defaultSizes)))", transform: parseGradientSizes)
    var sizes: [Int]?

    @Option(parsing: .unconditional, help: "With --mpi: timed rounds per size, 1 to 1000; the median is reported. (default: \(defaultRounds))", transform: { try integer($0) { rangeRefusal("--rounds", roundCounts, $0) } })
    var rounds: Int?

    /// The options' values, defaults where not given.
    var parameterCount: Int { parameters ?? Self.defaultParameters }
    var threadCounts: [Int] { threads ?? Self.defaultThreads }
    var gradientSizes: [Int] { sizes ?? Self.defaultSizes }
    var roundCount: Int { rounds ?? Self.defaultRounds }

    /// The values `--rounds` takes.
    static let roundCounts = 1...1000

    /// `1,2`: a list as the options take it.
    private static func commaSeparated(_ values: [Int]) -> String { values.map(String.init).joined(separator: ",") }

    func validate() throws {
        if let rounds, !Self.roundCounts.contains(rounds) { throw ValidationError(rangeRefusal("--rounds", Self.roundCounts, "\(rounds)")) }
        // Each mode measures with its own options; one of the other's would be ignored.
        let ignored = mpi
            ? [("--parameters", parameters != nil), ("--threads", threads != nil)]
            : [("--sizes", sizes != nil), ("--rounds", rounds != nil)]
        let named = ignored.filter(\.1).map(\.0)
        if !named.isEmpty {
            throw ValidationError("\(named.joined(separator: " and ")) \(named.count == 1 ? "is" : "are") not used \(mpi ? "with" : "without") --mpi; \(mpi ? "the MPI benchmark takes --sizes, --slots and --rounds" : "--sizes and --rounds are for --mpi under mpirun")")
        }
        let parameters = parameterCount
        for (flag, value, range) in [("--parameters", parameters, AllReduceBenchmark.parameterCounts), ("--slots", slots, AllReduceBenchmark.slotCounts)]
        where !range.contains(value) {
            throw ValidationError(rangeRefusal(flag, range, "\(value)"))
        }
    }

    func run() throws {
        if mpi {
            guard RunCommand.mpiJobSize() != nil else {
                printError("error: --mpi: this process was not started by mpirun; run it as `mpirun -np 2 swiftgrad bench allreduce --mpi`")
                throw ExitCode.failure
            }
            #if canImport(SwiftGradMPI)
            try runUnderMPI()
            return
            #else
            printError("error: --mpi: this swiftgrad was built without MPI; install Open MPI (scripts/install-dependencies), then `swift package clean` and build again")
            throw ExitCode.failure
            #endif
        }
        let parameters = parameterCount
        try reportingErrors {
            try MemoryBudget.current().check(
                AllReduceBenchmark.memoryEstimate(parameters: parameters, slots: slots, threads: threadCounts.max() ?? 1),
                "an all-reduce of \(slots) slots of \(parameters) floats", advice: "lower --parameters or --slots")
        }
        let rows = AllReduceBenchmark(parameters: parameters, slots: slots).run(threads: threadCounts)
        printLine("all-reduce of \(slots) slots x \(parameters) floats")
        printLine(AllReduceBenchmark.table(rows))
    }
}

/// Parses `17226,1000000` into gradient sizes for `bench allreduce --mpi`, each 2 to 100 000 000
/// floats (two parameters of at least one element), none repeated.
func parseGradientSizes(_ text: String) throws -> [Int] {
    let sizes = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !sizes.isEmpty, sizes.allSatisfy({ $0.map((2...100_000_000).contains) ?? false }) else {
        throw ValidationError("expected comma-separated sizes from 2 to 100000000 like 17226,1000000, got '\(text)'")
    }
    // Each size is one row of the table: a repeated one would time the same reduction twice.
    guard Set(sizes).count == sizes.count else {
        throw ValidationError("expected each size once, got '\(text)'")
    }
    return sizes.map { $0! }
}

/// Parses `1,2` into rank counts for `bench scaling` under mpirun, each 1 to 1 000 000 (the job's
/// size bounds them once it is known).
func parseRankCounts(_ text: String) throws -> [Int] {
    let counts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !counts.isEmpty, counts.allSatisfy({ $0.map((1...1_000_000).contains) ?? false }) else {
        throw ValidationError("expected comma-separated rank counts from 1 to the job's like 1,2, got '\(text)'")
    }
    guard Set(counts).count == counts.count else {
        throw ValidationError("expected each rank count once, got '\(text)'")
    }
    return counts.map { $0! }
}

/// Parses `1,2,4` into worker or thread counts, each one the trainer accepts
/// (``TrainingOptions/threadCounts``), none repeated.
func parseThreadCounts(_ text: String) throws -> [Int] {
    let allowed = TrainingOptions.threadCounts
    let counts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !counts.isEmpty, counts.allSatisfy({ $0.map(allowed.contains) ?? false }) else {
        throw ValidationError("expected comma-separated counts from \(allowed.lowerBound) to \(allowed.upperBound) like 1,2,4, got '\(text)'")
    }
    // Each count is one row of the table: a repeated one would overwrite its first measurement.
    guard Set(counts).count == counts.count else {
        throw ValidationError("expected each count once, got '\(text)'")
    }
    return counts.map { $0! }
}
