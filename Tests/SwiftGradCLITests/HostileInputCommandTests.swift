import Foundation
import Testing
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The command line given hostile or extreme input: flags at the edge of their types, inputs
/// that are not files, outputs that would destroy what is at their path, output that cannot be
/// written, expressions that start with `-` or are not finite where they are evaluated.
@Suite struct HostileInputCommandTests {
    // MARK: Arguments, limits and the environment

    /// Swift reads the command line as text, each byte that is not UTF-8 becoming U+FFFD: an
    /// argument holding one is refused (status 64) before anything runs, so no output lands at
    /// another path than the one given. The bytes are passed through the shell's printf, which
    /// a Swift string cannot hold.
    @Test func anArgumentThatIsNotUTF8IsRefusedBeforeAnythingRuns() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.tinyTrainConfig()
        let refused = try swiftgradInShell(#"exec "$0" run "$1" --report "$(printf 'rep\377.json')""#, [config], in: directory.path)
        #expect(refused.status == 64)
        #expect(refused.standardError == "error: argument 4 ('rep\\xFF.json') is not UTF-8 text; swiftgrad reads paths and values as UTF-8, and would otherwise take another path than the one given\n", "\(refused.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["train.json"])
        // UTF-8 beyond ASCII is text like any other.
        let accented = try swiftgradInShell(#"exec "$0" run "$1" --epochs 1 --quiet --report "$(printf 'caf\303\251.json')""#, [config], in: directory.path)
        #expect(accented.status == 0, "\(accented.standardError)")
        #expect(FileManager.default.fileExists(atPath: directory.path + "/café.json"))
    }

    /// A run that reaches the file-size limit (`ulimit -f`, 8 KiB here) stops with an error
    /// naming the file rather than being killed by SIGXFSZ, and the append that failed part way
    /// is taken back: each metrics file ends with its last whole record.
    @Test func aRunPastTheFileSizeLimitStopsCleanlyWithWholeRecords() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("long.json", """
            {
              "task": "train",
              "data": {"source": "synthetic", "examples": 256, "features": 32, "classes": 4},
              "model": {"type": "mlp", "hidden_layers": [16]},
              "training": {"epochs": 400, "batch_size": 64, "seed": 3},
              "checkpoint": {"every_epochs": 0}
            }
            """)
        let run = try swiftgradInShell(#"ulimit -f 8 && exec "$0" run "$1" --run-dir r --quiet"#, [config], in: directory.path)
        expectOneLineError(run)
        #expect(run.standardError.contains("File too large"), "\(run.standardError)")
        for name in ["metrics.jsonl", "metrics.csv"] {
            let text = try directory.read("r/" + name)
            #expect(text.isEmpty || text.hasSuffix("\n"), "\(name) ends with \(text.suffix(40).debugDescription)")
            #expect(text.utf8.count <= 8192, "\(name)")
            if name == "metrics.jsonl" {
                for line in text.split(separator: "\n") {
                    #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(line)")
                }
            }
        }
    }

    /// Help wrapped at a width of 0 or less would lose every description: such a COLUMNS is
    /// taken as unset.
    @Test func helpKeepsItsTextWhateverColumnsSays() throws {
        for columns in ["0", "-1", "40"] {
            let help = try swiftgradInShell(#"COLUMNS="$1" exec "$0" run --help"#, [columns])
            #expect(help.status == 0)
            #expect(help.standardOutput.contains("OVERVIEW: Run a config file") && help.standardOutput.contains("Continue"), "COLUMNS=\(columns): \(help.standardOutput)")
        }
    }

    /// `bench allreduce` counts what it holds at its peak (the cached phase's slots beside the
    /// engine's, each worker's tape): under an address-space limit a size that would not fit
    /// is refused with the estimate instead of failing an allocation.
    @Test func anAllReduceBenchmarkBeyondTheAddressSpaceLimitIsRefused() throws {
        let run = try swiftgradInShell(#"ulimit -v 800000 && exec "$0" bench allreduce --parameters 10000000 --slots 4 --threads 1"#)
        expectOneLineError(run)
        #expect(run.standardError.hasPrefix("error: an all-reduce of 4 slots of 10000000 floats would need about 1.2 GiB of memory (slots 762.9 MiB, workers' tapes 228.9 MiB"), "\(run.standardError)")
    }

    // MARK: Flags at the edge of their types

    @Test func aSeedBeyondIntMaxTrainsAndOneBeyondUInt64IsAParseError() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try scratch.tinyTrainConfig()
        let run = try swiftgrad("run", config, "--seed", "9223372036854775808", "--epochs", "1")
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("parameter digest "), "\(run.standardOutput)")
        for value in ["18446744073709551616", "-1", "1.5"] {
            let beyond = try swiftgrad("run", config, "--seed", value)
            #expect(beyond.status == 64)
            #expect(beyond.standardError.contains("--seed must be a whole number between 0 and 18446744073709551615, got '\(value)'"), "\(beyond.standardError)")
        }
    }

    /// A whole number too large for an `Int` is as far out of range as one that fits: the
    /// message names the range, where the parser alone would say only that it is invalid.
    @Test(arguments: [
        (["run", "train.json", "--workers", "99999999999999999999"], "--workers must be between 1 and 256, got '99999999999999999999'"),
        (["run", "train.json", "--epochs", "-99999999999999999999"], "--epochs must be between 1 and 1000000, got '-99999999999999999999'"),
        (["grad", "x", "--at", "x=1", "--order", "99999999999999999999"], "--order must be 1 or 2, not '99999999999999999999'"),
        (["bench", "scaling", "train.json", "--steps", "99999999999999999999"], "--steps must be between 1 and 1000000, got '99999999999999999999'"),
        (["bench", "scaling", "train.json", "--warmup", "99999999999999999999"], "--warmup must be between 0 and 1000000, got '99999999999999999999'"),
        (["bench", "scaling", "train.json", "--repeats", "99999999999999999999"], "--repeats must be between 1 and 1000, got '99999999999999999999'"),
        (["bench", "allreduce", "--parameters", "99999999999999999999"], "--parameters must be between 1 and 1000000000, got '99999999999999999999'"),
        (["bench", "allreduce", "--slots", "99999999999999999999"], "--slots must be between 1 and 4096, got '99999999999999999999'"),
        (["bench", "allreduce", "--mpi", "--rounds", "99999999999999999999"], "--rounds must be between 1 and 1000, got '99999999999999999999'"),
    ])
    func anIntegerFlagBeyondIntNamesItsRange(arguments: [String], message: String) throws {
        try expectUsageError(arguments, message)
    }

    /// The memory budget is the least of the limits the process has: under `ulimit -v` or
    /// `ulimit -d` a model that fits the machine but not what the limit leaves is refused, naming
    /// that limit, instead of failing in an allocation; `SWIFTGRAD_MAX_MEMORY_MB` does not lift it.
    @Test func aModelBeyondTheAddressSpaceOrDataLimitIsRefusedNamingIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("wide.json", """
            {"task": "train", "data": {"source": "synthetic", "examples": 64, "features": 8, "classes": 2},
             "model": {"type": "mlp", "hidden_layers": [100000, 10000]}, "training": {"batch_size": 16}}
            """)
        let binary = try swiftgradPath()
        for (limit, name) in [("-v", "address-space"), ("-d", "data-segment")] {
            for variable in ["", "SWIFTGRAD_MAX_MEMORY_MB=100000 "] {
                let result = try runProcess("/bin/sh", ["-c", "ulimit \(limit) 2000000 && \(variable)exec '\(binary)' validate wide.json"], in: directory.path)
                #expect(result.status == 1, "\(variable)\(limit): \(result.error)")
                #expect(result.error.contains("of the process's \(name) limit (ulimit \(limit)) less the "), "\(result.error)")
                #expect(result.error.hasSuffix("; use a smaller model, batch_size or data set, or raise that limit (ulimit \(limit))\n"), "\(result.error)")
            }
        }
    }

    /// A small stack limit (`ulimit -s`) does not overflow the command's stack: the command and
    /// the threads it starts run on stacks of 8 MiB, so an expression nested as deep as `grad`
    /// accepts is differentiated twice, and a run with workers trains, as without the limit.
    @Test func aSmallStackLimitNeitherOverflowsGradNorATrainingRun() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.tinyTrainConfig()
        let binary = try swiftgradPath()
        let deep = String(repeating: "sin(", count: 255) + "x" + String(repeating: ")", count: 255)
        let grad = "grad '\(deep)' --at x=1 --order 2"
        let run = "run '\(config)' --workers 2 --no-metrics --run-dir runs/"
        let unlimited = try runProcess("/bin/sh", ["-c", "exec '\(binary)' \(grad)"], in: directory.path)
        #expect(unlimited.status == 0, "\(unlimited.error)")
        #expect(unlimited.output.hasPrefix("d/dx = "), "\(unlimited.output)")
        let trained = try runProcess("/bin/sh", ["-c", "exec '\(binary)' \(run)unlimited"], in: directory.path)
        #expect(trained.status == 0, "\(trained.error)")
        let digest = { (output: String) in output.split(separator: "\n").filter { $0.hasPrefix("parameter digest ") } }
        #expect(digest(trained.output).count == 1, "\(trained.output)")
        for kibibytes in [256, 64] {
            let limited = try runProcess("/bin/sh", ["-c", "ulimit -s \(kibibytes) && exec '\(binary)' \(grad)"], in: directory.path)
            #expect(limited.status == 0, "ulimit -s \(kibibytes): \(limited.error)")
            #expect(limited.output == unlimited.output, "ulimit -s \(kibibytes)")
            let limitedRun = try runProcess("/bin/sh", ["-c", "ulimit -s \(kibibytes) && exec '\(binary)' \(run)\(kibibytes)"], in: directory.path)
            #expect(limitedRun.status == 0, "ulimit -s \(kibibytes): \(limitedRun.error)")
            #expect(digest(limitedRun.output) == digest(trained.output), "ulimit -s \(kibibytes)")
        }
    }

    /// A learning-rate schedule that grows past Float's range (an exponential decay by 10³⁸ a
    /// step, valid as a config) is the run diverging: it stops at that step with status 1 and
    /// says so, as any other divergence does.
    @Test func aScheduleThatGrowsPastFloatsRangeEndsAsADivergence() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (optimizer, rate) in [("sgd", "0.001"), ("adam", "0.001"), ("rmsprop", "1e-30")] {
            try directory.write("grows.json", """
                {"task": "train", "data": {"source": "synthetic", "examples": 256, "features": 8, "classes": 2},
                 "model": {"type": "mlp", "hidden_layers": [4]},
                 "optimizer": {"name": "\(optimizer)", "learning_rate": \(rate), "schedule": {"type": "exponential", "decay_steps": 1, "decay_rate": 1e38}},
                 "training": {"epochs": 1, "batch_size": 16}}
                """)
            let run = try swiftgrad(["run", "grows.json", "--quiet", "--run-dir", "runs/\(optimizer)\(rate)"], in: directory.path)
            #expect(run.status == 1, "\(optimizer) \(rate): \(run.standardError)")
            #expect(run.standardError.hasPrefix("error: training diverged at step "), "\(optimizer) \(rate): \(run.standardError)")
            #expect(!run.standardError.contains("Fatal error"), "\(run.standardError)")
        }
    }

    /// Under an address-space limit a run with threads trains data that fits what the limit
    /// leaves: each thread's malloc arena would otherwise reserve 64 MiB of the limit, and an
    /// allocation of the data could fail after the estimate passed.
    @Test func aThreadedRunWhoseDataFitsTheAddressSpaceLimitTrains() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("threads.json", """
            {"task": "train", "data": {"source": "synthetic", "examples": 200000, "features": 16, "classes": 2},
             "model": {"type": "linear"}, "training": {"epochs": 1, "batch_size": 4096, "workers": 4, "seed": 3}}
            """)
        let binary = try swiftgradPath()
        for attempt in 0..<3 {
            let result = try runProcess(
                "/bin/sh", ["-c", "ulimit -v 400000 && exec '\(binary)' run threads.json --quiet --run-dir runs/\(attempt)"], in: directory.path)
            #expect(result.status == 0, "\(result.error)")
            #expect(!result.error.contains("failed to allocate"), "\(result.error)")
        }
    }

    /// A checkpoint larger than the memory it may take is refused by `predict`, `eval` and
    /// `--resume` from its size and its header, before it is read: a sparse gigabyte under
    /// `SWIFTGRAD_MAX_MEMORY_MB=64` is one line naming the file, its size and the limit.
    @Test func aCheckpointLargerThanTheMemoryBudgetIsRefusedBeforeItIsRead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (headerBytes, _) = try writeSparseSafeTensors(directory.path + "/big.safetensors", tensorBytes: 1 << 30, format: "swiftgrad-checkpoint-1")
        try directory.write("one.csv", "1\n")
        let config = try directory.tinyTrainConfig()
        let binary = try swiftgradPath()
        let expected = "error: big.safetensors: the file is 1.0 GiB (a header of \(headerBytes) bytes and 1.0 GiB of tensors), and reading it would need about 1.0 GiB of memory, more than the 64.0 MiB of SWIFTGRAD_MAX_MEMORY_MB=64; expected a file that fits, or read it with more memory\n"
        for command in [
            "predict --checkpoint big.safetensors --input one.csv --no-header",
            "eval '\(config)' --checkpoint big.safetensors",
            "run '\(config)' --run-dir runs/big --resume big.safetensors --quiet",
        ] {
            let result = try runProcess("/bin/sh", ["-c", "SWIFTGRAD_MAX_MEMORY_MB=64 exec '\(binary)' \(command)"], in: directory.path)
            expectOneLineError(Run(status: result.status, standardOutput: result.output, standardError: result.error))
            #expect(result.error == expected, "\(command): \(result.error)")
        }
    }

    /// Names of one character, the config's and the run folder's (Foundation's folder-part
    /// function traps on them).
    @Test func namesOfOneCharacterWork() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("c", #"{"task": "train", "data": {"source": "synthetic", "examples": 64, "features": 4, "classes": 2}, "model": {"type": "mlp", "hidden_layers": [4]}, "training": {"epochs": 1, "batch_size": 32}}"#)
        let validated = try swiftgrad(["validate", "c"], in: directory.path)
        #expect(validated.status == 0, "\(validated.standardError)")
        let run = try swiftgrad(["run", "c", "--run-dir", "a", "--report", "r"], in: directory.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(FileManager.default.fileExists(atPath: directory.path + "/a/model.safetensors"))
        #expect(FileManager.default.fileExists(atPath: directory.path + "/r"))
    }

    /// A flag the config's task would ignore is refused, naming it and the task: `--resume`
    /// given to a minimisation would otherwise do nothing without a word.
    @Test func flagsTheTaskDoesNotUseAreRefused() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        try scratch.write("quadratic.json", #"{"task": "minimize", "expression": "x^2", "start": {"x": 3}, "optimizer": {"name": "sgd", "learning_rate": 0.1}, "steps": 2}"#)
        let trainerFlags = try swiftgrad(["run", "quadratic.json", "--resume", "missing.safetensors", "--epochs", "5", "--workers", "2"], in: scratch.path)
        expectOneLineError(trainerFlags)
        #expect(trainerFlags.standardError == "error: --workers, --epochs and --resume apply to a train config only, and 'quadratic.json' is a minimize task; leave them out\n")
        let verbose = try swiftgrad(["run", "quadratic.json", "--verbose"], in: scratch.path)
        #expect(verbose.standardError == "error: --verbose applies to a train config only, and 'quadratic.json' is a minimize task; leave it out\n")
        let watching = try swiftgrad(["run", "quadratic.json", "--progress-every", "5", "--mpi-timeout", "5", "--mpi-reduction", "allreduce"], in: scratch.path)
        #expect(watching.standardError == "error: --progress-every, --mpi-reduction and --mpi-timeout apply to a train config only, and 'quadratic.json' is a minimize task; leave them out\n")
        let config = try scratch.tinyTrainConfig()
        let plot = try swiftgrad(["run", config, "--plot", "fig.svg"], in: scratch.path)
        expectOneLineError(plot)
        #expect(plot.standardError == "error: --plot draws a linear-regression config's figure, and '\(config)' is a train task: a training run draws its curves into metrics.svg in its run folder, and 'swiftgrad plot' draws runs side by side\n")
        #expect(!scratch.exists("runs"))
        // The flags each task uses are accepted; under --quiet the result line is all it prints.
        let quiet = try swiftgrad(["run", "quadratic.json", "--quiet", "--report", "r.json"], in: scratch.path)
        #expect(quiet.status == 0, "\(quiet.standardError)")
        #expect(quiet.standardOutput.split(separator: "\n").count == 1 && !quiet.standardOutput.contains("wrote"), "\(quiet.standardOutput)")
        #expect(scratch.exists("r.json"))
    }

    /// A shell whose directory was removed under it: the error about the relative path is
    /// followed by the reason, and a run with absolute paths still works.
    @Test func aRemovedWorkingDirectoryIsNamedAsTheReason() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("quadratic.json", #"{"task": "minimize", "expression": "x^2", "start": {"x": 3}, "optimizer": {"name": "sgd", "learning_rate": 0.1}, "steps": 2}"#)
        let binary = try swiftgradPath()
        func inRemovedDirectory(_ arguments: String) throws -> ProcessResult {
            try runProcess("/bin/sh", ["-c", "mkdir gone && cd gone && rmdir ../gone && exec '\(binary)' \(arguments)"], in: directory.path)
        }
        let relative = try inRemovedDirectory("run quadratic.json")
        #expect(relative.status == 1)
        #expect(relative.error.hasPrefix("error: cannot read config 'quadratic.json': No such file or directory\nnote: the working directory no longer exists, so no relative path can be read or written; cd to a directory that exists and run again\n"), "\(relative.error)")
        let absolute = try inRemovedDirectory("run '\(config)'")
        #expect(absolute.status == 0, "\(absolute.error)")
    }

    @Test func epochsNearIntMaxAreRefusedBeforeLoading() throws {
        let run = try swiftgrad("run", "Configs/digits-mlp.json", "--epochs", "9223372036854775807", in: repositoryRoot)
        #expect(run.status == 64)
        #expect(run.standardError.contains("--epochs must be between 1 and 1000000, got 9223372036854775807"), "\(run.standardError)")
        #expect(!run.standardError.contains("Fatal error"))
    }

    @Test func benchCountsAreTheTrainersAndBounded() throws {
        let workers = try swiftgrad("bench", "scaling", "Configs/scaling-mlp.json", "--workers", "1,300", in: repositoryRoot)
        #expect(workers.status == 64)
        #expect(workers.standardError.contains("expected comma-separated counts from 1 to 256 like 1,2,4, got '1,300'"), "\(workers.standardError)")
        let parameters = try swiftgrad("bench", "allreduce", "--parameters", "9223372036854775807")
        #expect(parameters.status == 64)
        #expect(parameters.standardError.contains("--parameters must be between 1 and 1000000000"), "\(parameters.standardError)")
        let memory = try swiftgrad("bench", "allreduce", "--parameters", "1000000000", "--slots", "4096")
        expectOneLineError(memory)
        #expect(memory.standardError.contains("an all-reduce of 4096 slots of 1000000000 floats would need about "), "\(memory.standardError)")
    }

    // MARK: Inputs that are not files

    /// A path in a config with a NUL inside: `validate` and `run` refuse it at its key path, and
    /// `run` writes nothing at the part before the NUL (`out`), which the system would take.
    @Test func aConfigPathWithANulIsRefusedBeforeAnythingIsWritten() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("d.csv", "x,y\n1,2\n2,4\n3,6\n")
        try directory.write("p.json", #"{"task": "linear-regression", "data": {"path": "d.csv"}, "optimizer": {"name": "sgd"}, "steps": 1, "plot": "out\u0000.svg"}"#)
        for command in ["validate", "run"] {
            let run = try swiftgrad([command, "p.json"], in: directory.path)
            expectOneLineError(run)
            #expect(run.standardError.contains(#"key path 'plot': expected a non-empty path without the NUL character (U+0000, which no path can hold), found "out\u0000.svg""#), "\(run.standardError)")
        }
        #expect(try directory.contents().sorted() == ["d.csv", "p.json"])
    }

    @Test func aDeviceOrAFIFOAsTheConfigFailsAtOnce() throws {
        let zero = try swiftgrad("run", "/dev/zero")
        expectOneLineError(zero)
        #expect(zero.standardError == "error: cannot read config '/dev/zero': it is a character device, not a regular file\n")
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let fifo = scratch.path + "/config.json"
        #expect(mkfifo(fifo, 0o644) == 0)
        let run = try swiftgrad("run", fifo)
        expectOneLineError(run)
        #expect(run.standardError == "error: cannot read config '\(fifo)': it is a FIFO, not a regular file\n")
    }

    // MARK: Outputs that would destroy what is at their path

    @Test func aReportOverTheConfigOrTheDataIsRefusedAndBothAreKept() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let data = try scratch.write("data.csv", "x,y\n1,2\n2,4\n3,6\n")
        let config = try scratch.write("fit.json", #"{"task": "linear-regression", "data": {"path": "data.csv"}, "steps": 5, "optimizer": {"name": "sgd"}}"#)
        let original = try scratch.read("fit.json")

        let overConfig = try swiftgrad("run", "fit.json", "--report", scratch.path + "/fit.json", in: scratch.path)
        expectOneLineError(overConfig)
        #expect(overConfig.standardError == "error: cannot write '\(scratch.path)/fit.json' (--report): it is the config of this run ('fit.json'); choose another path\n")
        #expect(overConfig.standardOutput.isEmpty)

        #expect(link(data, scratch.path + "/alias.csv") == 0)
        let overData = try swiftgrad("run", config, "--report", scratch.path + "/alias.csv")
        expectOneLineError(overData)
        #expect(overData.standardError.contains("it is the data file of this run"), "\(overData.standardError)")
        let overPlot = try swiftgrad("run", config, "--plot", data)
        expectOneLineError(overPlot)
        let twice = try swiftgrad("run", config, "--plot", scratch.path + "/x.json", "--report", scratch.path + "/x.json")
        expectOneLineError(twice)
        #expect(twice.standardError == "error: cannot write '\(scratch.path)/x.json': both --plot and --report name it; choose a file for each\n")
        #expect(try scratch.read("fit.json") == original)
        #expect(try scratch.read("data.csv") == "x,y\n1,2\n2,4\n3,6\n")
    }

    @Test func aReportOverACheckpointBeingResumedIsRefused() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try scratch.tinyTrainConfig()
        let first = try swiftgrad(["run", config, "--quiet"], in: scratch.path)
        #expect(first.status == 0, "\(first.standardError)")
        let checkpoint = try #require(try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/runs/train/checkpoints").sorted().last)
        let path = scratch.path + "/runs/train/checkpoints/" + checkpoint
        let run = try swiftgrad(["run", config, "--resume", "latest", "--report", path], in: scratch.path)
        expectOneLineError(run)
        #expect(run.standardError == "error: cannot write '\(path)' (--report): it is the checkpoint being resumed of this run ('runs/train/checkpoints/\(checkpoint)'); choose another path\n")
    }

    @Test func aReportThatIsAFIFOIsRefusedAndStaysAFIFO() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let fifo = scratch.path + "/report.json"
        #expect(mkfifo(fifo, 0o644) == 0)
        let run = try swiftgrad("run", "Configs/seed-derivative.json", "--report", fifo, in: repositoryRoot)
        expectOneLineError(run)
        #expect(run.standardError == "error: cannot write '\(fifo)' (--report): it is a FIFO, not a regular file; refusing to replace it\n")
        #expect(run.standardOutput.isEmpty)
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
    }

    @Test func reportPathsNoFolderTakesAreFoundBeforeTheRun() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let long = scratch.path + "/" + String(repeating: "r", count: 251) + ".json"
        let tooLong = try swiftgrad("run", "Configs/seed-quadratic.json", "--report", long, in: repositoryRoot)
        expectOneLineError(tooLong)
        #expect(tooLong.standardError.contains("the file name is 256 bytes, more than the 255 the file system allows"), "\(tooLong.standardError)")
        #expect(tooLong.standardOutput.isEmpty)
        guard FileManager.default.fileExists(atPath: "/proc/self") else { return }
        let proc = try swiftgrad("run", "Configs/seed-quadratic.json", "--report", "/proc/report.json", in: repositoryRoot)
        expectOneLineError(proc)
        #expect(proc.standardError.hasPrefix("error: cannot write '/proc/report.json' (--report): cannot create a file in directory '/proc': "))
        #expect(proc.standardOutput.isEmpty)
    }

    // MARK: Output that cannot be written, or that is lost

    /// A run folder the system will not make is named with the system's reason: under
    /// `/proc/self` no folder can be made, and Foundation would say only "The file doesn't exist".
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/status")))
    func aRunFolderTheSystemWillNotMakeIsNamedWithTheReason() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.tinyTrainConfig()
        let run = try swiftgrad(["run", config, "--run-dir", "/proc/self/run"], in: directory.path)
        expectOneLineError(run)
        #expect(run.standardError == "error: cannot create the run folder '/proc/self/run': the system cannot make the folder '/proc/self/run' (No such file or directory); choose another --run-dir or checkpoint.directory\n", "\(run.standardError)")
    }

    @Test func writingToAFullDeviceFails() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        // A command's output, and help asked for, alike.
        for arguments in [["grad", "x", "--at", "x=1"], ["--help"], ["run", "--help"]] {
            let process = try startSwiftgrad(arguments, in: scratch.path, standardOutput: "/dev/full")
            process.waitUntilExit()
            #expect(process.terminationStatus == 1, "\(arguments)")
            let standardError = try scratch.read("stderr")
            #expect(standardError.hasPrefix("error: writing to standard output failed ("), "\(arguments): \(standardError)")
            #expect(standardError.hasSuffix("); the output is incomplete\n"), "\(standardError)")
        }
    }

    /// A parent may leave standard output non-blocking (the mode belongs to the pipe, which it
    /// shares): a full pipe then answers `EAGAIN`, and the output waits for the reader, as with a
    /// blocking pipe, rather than being lost. The pipe is full before the command starts, and
    /// read only once the command has had time to write.
    @Test func aFullNonBlockingPipeIsWaitedFor() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        let (reader, writer) = (ends[0], ends[1])
        defer { close(reader) }
        try #require(fcntl(writer, F_SETFL, fcntl(writer, F_GETFL) | O_NONBLOCK) == 0)
        let filler = [UInt8](repeating: UInt8(ascii: "."), count: 4096)
        var filled = 0
        while case let written = filler.withUnsafeBytes({ write(writer, $0.baseAddress, $0.count) }), written > 0 {
            filled += written
        }
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        _ = FileManager.default.createFile(atPath: scratch.path + "/stderr", contents: nil)
        let process = Process()
        process.executableURL = try productsDirectory().appendingPathComponent("swiftgrad")
        process.arguments = ["grad", "x^2 + y", "--at", "x=3,y=1", "--order", "2"]
        process.currentDirectoryURL = URL(fileURLWithPath: scratch.path)
        process.standardOutput = FileHandle(fileDescriptor: writer, closeOnDealloc: false)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch.path + "/stderr"))
        try process.run()
        close(writer)
        // Reading starts once the command has met the full pipe: it has exited, having lost its
        // output, or it still waits after a second.
        for _ in 0..<100 where process.isRunning { usleep(10_000) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while case let count = buffer.withUnsafeMutableBytes({ read(reader, $0.baseAddress, $0.count) }), count != 0 {
            if count < 0 { try #require(errno == EINTR); continue }
            received += buffer[..<count]
        }
        process.waitUntilExit()
        let standardError = try scratch.read("stderr")
        #expect(process.terminationStatus == 0, "\(standardError)")
        #expect(String(decoding: received.dropFirst(filled), as: UTF8.self) == "d/dx = 6\nd/dy = 1\nd2/dx2 = 2\nd2/dy2 = 0\n")
    }

    /// A training run's lost output names why it was lost: a full device, or a standard output
    /// that was closed (whose number no file the run opens may take).
    @Test func aRunsLostOutputNamesTheReason() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try scratch.tinyTrainConfig()
        var cases = [("exec >&-", "Bad file descriptor")]
        if FileManager.default.fileExists(atPath: "/dev/full") { cases.append(("exec > /dev/full", "No space left on device")) }
        let binary = try swiftgradPath()
        for (redirection, reason) in cases {
            let result = try runProcess("/bin/sh", ["-c", "\(redirection); '\(binary)' run '\(config)' --run-dir runs/lost 2> err.txt; echo $? > status.txt"], in: scratch.path)
            #expect(result.status == 0)
            #expect(try scratch.read("status.txt") == "1\n", "\(redirection)")
            // The run's notes come first, on standard error too; the one error closes it.
            let standardError = try scratch.read("err.txt")
            let line = "error: writing to standard output failed (\(reason)); the output is incomplete\n"
            #expect(standardError == line || standardError.hasSuffix("\n" + line), "\(redirection): \(standardError)")
            #expect(standardError.components(separatedBy: "error: ").count == 2, "\(standardError)")
            #expect(FileManager.default.fileExists(atPath: scratch.path + "/runs/lost/model.safetensors"))
        }
    }

    /// A reader that closes the pipe (`swiftgrad run … | head`) no longer kills the run by
    /// SIGPIPE: it trains to the end, saves its model, then reports the lost output.
    @Test func aClosedPipeDoesNotKillTheRun() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let process = Process()
        process.executableURL = try productsDirectory().appendingPathComponent("swiftgrad")
        process.arguments = ["run", try scratch.tinyTrainConfig(), "--progress-every", "0"]
        process.currentDirectoryURL = URL(fileURLWithPath: scratch.path)
        let output = Pipe()
        process.standardOutput = output
        _ = FileManager.default.createFile(atPath: scratch.path + "/stderr", contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch.path + "/stderr"))
        try output.fileHandleForReading.close()
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "ended by signal \(process.terminationStatus)")
        #expect(process.terminationStatus == 1)
        #expect(try scratch.read("stderr").hasPrefix("error: writing to standard output failed ("))
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/runs/train/model.safetensors"))
    }

    @Test func aKilledRunKeepsTheLinesItPrintedToAFile() throws {
        // Standard output to a file was flushed in 4 KiB blocks: a run killed early left it empty.
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try scratch.write("long.json", """
            {"task": "train", "data": {"source": "synthetic", "examples": 4096, "features": 64, "classes": 10},
             "model": {"type": "mlp", "hidden_layers": [64]}, "training": {"epochs": 1000, "batch_size": 64}}
            """)
        let process = try startSwiftgrad(["run", config], in: scratch.path)
        var output = ""
        for _ in 0..<6000 where !output.contains("\n") {
            usleep(10_000)
            output = (try? scratch.read("stdout")) ?? ""
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let kept = try scratch.read("stdout")
        #expect(kept.hasPrefix("train: synthetic 4096 x 64, 10 classes; "), "\(kept)")
    }

    // MARK: Expressions

    @Test func anExpressionMayStartWithAMinus() throws {
        let sigmoid = try swiftgrad("grad", "-sigmoid(x)", "--at", "x=1")
        #expect(sigmoid.status == 0, "\(sigmoid.standardError)")
        #expect(sigmoid.standardOutput == "-0.19661193\n")
        let later = try swiftgrad("grad", "--order", "2", "-x^2", "--at", "x=3")
        #expect(later.status == 0, "\(later.standardError)")
        #expect(later.standardOutput == "d/dx = -6\nd2/dx2 = -2\n")
        let terminated = try swiftgrad("grad", "--at", "x=3", "--", "-x^2")
        #expect(terminated.standardOutput == "-6\n")
        // Minus signs that read like a long option: --x is -(-x), -----x is -x.
        let double = try swiftgrad("grad", "--x", "--at", "x=1")
        #expect(double.status == 0, "\(double.standardError)")
        #expect(double.standardOutput == "1\n")
        let five = try swiftgrad("grad", "--at=x=1", "-----x", "--json")
        #expect(five.status == 0, "\(five.standardError)")
        #expect(five.standardOutput.contains(#""gradient": {"x": -1}"#), "\(five.standardOutput)")
        // An option that does not exist is still one when the expression is elsewhere.
        let unknown = try swiftgrad("grad", "x", "--bogus", "--at", "x=1")
        #expect(unknown.status == 64)
    }

    @Test func aResultThatIsNotFiniteIsPrintedAndFailsWithAReason() throws {
        let plain = try swiftgrad("grad", "log(x)", "--at", "x=0")
        expectOneLineError(plain)
        #expect(plain.standardOutput == "inf\n")
        #expect(plain.standardError == "error: not a finite number at x = 0: the value is -inf, d/dx is inf\n")
        let json = try swiftgrad("grad", "log(x)", "--at", "x=0", "--json")
        expectOneLineError(json)
        #expect(json.standardOutput == #"{"value": null, "gradient": {"x": null}}"# + "\n")
    }

    /// An expression whose tapes would pass the memory limit is refused before they are made.
    @Test func anExpressionTooLongForTheMemoryLimitIsRefused() throws {
        let product = Array(repeating: "x", count: 1000).joined(separator: "*")
        let result = try runProcess(
            "/usr/bin/env", ["SWIFTGRAD_MAX_MEMORY_MB=2", try swiftgradPath(), "grad", product, "--at", "x=1", "--order", "2"])
        #expect(result.status == 1)
        #expect(result.output.isEmpty)
        #expect(result.error == "error: the expression's 1999 operations, differentiated twice, would need about 3.9 MiB of memory (tapes 3.9 MiB), more than the 2.0 MiB of SWIFTGRAD_MAX_MEMORY_MB=2; shorten the expression, or ask for first derivatives only, or set SWIFTGRAD_MAX_MEMORY_MB to change the limit\n", "\(result.error)")
        let first = try runProcess("/usr/bin/env", ["SWIFTGRAD_MAX_MEMORY_MB=2", try swiftgradPath(), "grad", product, "--at", "x=1"])
        #expect(first.status == 0, "\(first.error)")
        #expect(first.output == "1000\n")
    }

    @Test func aLongExpressionsErrorShowsAWindowNotTheWhole() throws {
        let source = String(repeating: "x+", count: 50_000) + ")"
        let run = try swiftgrad("grad", source, "--at", "x=1")
        #expect(run.status == 1)
        #expect(run.standardError.count < 300, "\(run.standardError.count) characters")
        #expect(run.standardError.hasPrefix("error: column 100001: "))
    }

    @Test func valuesAreDecimalNumbers() throws {
        for value in ["0x10", "inf", "nan"] {
            let run = try swiftgrad("grad", "x", "--at", "x=\(value)")
            expectOneLineError(run)
            #expect(run.standardOutput.isEmpty)
        }
    }
}
