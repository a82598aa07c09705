import Foundation
import _TestSupport
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

/// `swiftgrad bench scaling|allreduce` and `swiftgrad run` on a train config: tiny configs in a
/// temporary directory, so each run takes a fraction of a second even in a debug build.
@Suite struct BenchCommandTests {
    @Test func scalingPrintsATableWritesACSVAndAPlot() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try scratch.tinyTrainConfig()
        let csv = scratch.path + "/scaling.csv", plot = scratch.path + "/scaling.svg"
        let run = try swiftgrad(
            "bench", "scaling", config, "--workers", "1,2", "--steps", "2", "--warmup", "1", "--repeats", "1",
            "--csv", csv, "--plot", plot)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.isEmpty, "\(run.standardError)")

        // The table: a header, then one row per worker count, each ending in the digest.
        let lines = run.standardOutput.split(separator: "\n").map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("workers ") }, "no table in \(run.standardOutput)")
        let rows = lines[(header + 1)...].prefix(2).map { $0.split(separator: " ").map(String.init) }
        #expect(rows.map(\.first) == ["1", "2"], "\(run.standardOutput)")
        #expect(rows.allSatisfy { $0.count == 11 }, "\(rows)")
        #expect(Set(rows.compactMap(\.last)).count == 1, "both worker counts end with the same digest")
        #expect(run.standardOutput.contains("final parameters: bitwise identical for every worker count"))
        #expect(run.standardOutput.contains("run 1/1, 2 workers: "), "\(run.standardOutput)")
        // One copy per core, so one on a single-core machine.
        #expect(run.standardOutput.contains(" independent 1-worker runs at once: "), "\(run.standardOutput)")
        #expect(run.standardOutput.contains("wrote \(csv) and \(plot)"))

        let csvLines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(csvLines.count == 3)
        #expect(csvLines.first == "workers,samples_per_second,speed_up,efficiency,median_speed_up,independent_speed_up,allreduce_share,wait_share,serial_share,seconds_per_step,parameter_digest")
        let fields = csvLines.dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(fields.map(\.first) == ["1", "2"])
        #expect(fields.allSatisfy { $0.count == 11 })
        #expect(fields.allSatisfy { Double($0[1]).map { $0 > 0 } ?? false }, "samples per second")
        #expect(fields.first?[2] == "1.0", "one worker is its own baseline")
        #expect(fields.first?[4] == "1.0", "one worker is its own median baseline")
        #expect(fields.first?[5] == "1.0", "one worker is its own independent baseline")
        #expect(fields.last.flatMap { Double($0[5]) }.map { $0 > 0 } ?? false, "two independent runs have a throughput")
        #expect(fields.first?[7] == "0.0", "one worker never waits for another")
        #expect(fields.map { $0[10] } == rows.compactMap(\.last), "the CSV's digests are the table's")

        let svg = try Data(contentsOf: URL(fileURLWithPath: plot))
        #expect(String(decoding: svg, as: UTF8.self).contains("<svg"))
        let parser = XMLParser(data: svg)
        #expect(parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))")
    }

    @Test func scalingRejectsAConfigThatDoesNotTrain() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let run = try swiftgrad(
            "bench", "scaling", "Configs/seed-quadratic.json", "--csv", scratch.path + "/s.csv", "--plot", scratch.path + "/s.svg",
            in: repositoryRoot)
        expectOneLineError(run)
        #expect(run.standardError == "error: 'Configs/seed-quadratic.json' is not a \"task\": \"train\" config; bench scaling trains a model\n")
        #expect(!scratch.exists("s.csv") && !scratch.exists("s.svg"))
    }

    @Test func scalingRejectsZeroWorkers() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try scratch.tinyTrainConfig()
        let run = try swiftgrad("bench", "scaling", config, "--workers", "0,1", "--csv", scratch.path + "/s.csv", "--plot", scratch.path + "/s.svg")
        #expect(run.status != 0)
        #expect(run.standardError.contains("expected comma-separated counts from 1 to 256 like 1,2,4, got '0,1'"), "\(run.standardError)")
        #expect(!run.standardError.contains("Fatal error"))
        #expect(run.standardOutput.isEmpty)
        #expect(!scratch.exists("s.csv"))
        // A repeated count would be a second row for the same count, overwriting the first.
        let repeated = try swiftgrad("bench", "scaling", config, "--workers", "2,1,2", "--csv", scratch.path + "/s.csv", "--plot", scratch.path + "/s.svg")
        #expect(repeated.status == 64)
        #expect(repeated.standardError.contains("expected each count once, got '2,1,2'"), "\(repeated.standardError)")
        #expect(!scratch.exists("s.csv"))
    }

    @Test func allReducePrintsARatioForEachThreadCount() throws {
        let run = try swiftgrad("bench", "allreduce", "--parameters", "10000", "--slots", "3", "--threads", "1,2")
        #expect(run.status == 0, "\(run.standardError)")
        let lines = run.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first == "all-reduce of 3 slots x 10000 floats")
        let header = try #require(lines.firstIndex { $0.hasPrefix("threads ") })
        #expect(lines[header].hasSuffix("ratio"))
        let rows = lines[(header + 1)...].map { $0.split(separator: " ").map(String.init) }
        #expect(rows.map(\.first) == ["1", "1", "2", "2"])
        #expect(rows.map { $0.count > 1 ? $0[1] : "" } == ["fresh", "cached", "fresh", "cached"])
        for row in rows {
            let ratio = try #require(row.last)
            #expect(ratio.hasSuffix("%") && Double(ratio.dropLast()) != nil, "\(row)")
        }
    }

    /// A config that diverges stops its runs short of the steps timed: no figures, an error.
    @Test func scalingRefusesAConfigThatDiverges() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try scratch.write("diverging.json", """
            {"task": "train", "data": {"source": "synthetic", "examples": 256, "features": 32, "classes": 4},
             "model": {"type": "mlp", "hidden_layers": [16]}, "optimizer": {"name": "sgd", "learning_rate": 1e38},
             "training": {"epochs": 2, "batch_size": 64, "micro_shards": 4, "seed": 3}}
            """)
        let run = try swiftgrad(["bench", "scaling", config, "--workers", "1", "--steps", "4", "--warmup", "0", "--repeats", "1"], in: scratch.path)
        expectOneLineError(run)
        #expect(run.standardError.hasPrefix("error: with 1 worker the training diverged at step "), "\(run.standardError)")
        #expect(run.standardError.contains("; the runs stopped short of the steps timed, so there are no figures"), "\(run.standardError)")
        #expect(!scratch.exists("scaling.csv") && !scratch.exists("scaling.svg"))
    }

    @Test func allReduceRejectsZeroParameters() throws {
        let run = try swiftgrad("bench", "allreduce", "--parameters", "0")
        #expect(run.status != 0)
        #expect(run.standardError.contains("--parameters must be between 1 and 1000000000, got 0"), "\(run.standardError)")
        #expect(run.standardError.contains("swiftgrad bench allreduce"), "the usage line names the subcommand: \(run.standardError)")
        #expect(run.standardOutput.isEmpty)
    }

    /// Each mode's options are its own: one of the other mode's would be ignored.
    @Test(arguments: [
        (["--sizes", "2", "--rounds", "3"], "--sizes and --rounds are not used without --mpi; --sizes and --rounds are for --mpi under mpirun"),
        (["--rounds", "3"], "--rounds is not used without --mpi"),
        (["--mpi", "--threads", "1"], "--threads is not used with --mpi; the MPI benchmark takes --sizes, --slots and --rounds"),
        (["--mpi", "--parameters", "5"], "--parameters is not used with --mpi"),
    ])
    func allReduceRefusesTheOtherModesOptions(arguments: [String], message: String) throws {
        let run = try swiftgrad(["bench", "allreduce"] + arguments)
        #expect(run.status == 64)
        #expect(run.standardError.contains(message), "\(run.standardError)")
        #expect(run.standardOutput.isEmpty)
    }

    @Test func allReduceWithMPIOutsideMPIRunFailsSayingSo() throws {
        let run = try swiftgrad("bench", "allreduce", "--mpi")
        #expect(run.status == 1)
        // With MPI built in: not started by mpirun; without: built without MPI.
        #expect(
            run.standardError.contains("error: --mpi: this process was not started by mpirun")
                || run.standardError.contains("error: --mpi: this swiftgrad was built without MPI"), "\(run.standardError)")
        #expect(run.standardOutput.isEmpty)
    }

    @Test func allReduceRejectsBadMPISizes() throws {
        let run = try swiftgrad("bench", "allreduce", "--mpi", "--sizes", "1000,1")
        #expect(run.status == 64)
        #expect(run.standardError.contains("expected comma-separated sizes from 2 to 100000000 like 17226,1000000, got '1000,1'"), "\(run.standardError)")
    }

    /// A repeated size would be a second row timing the same reduction, as a repeated worker
    /// count is refused for `bench scaling`.
    @Test func allReduceRejectsARepeatedMPISize() throws {
        let run = try swiftgrad("bench", "allreduce", "--mpi", "--sizes", "1000,20000,1000")
        #expect(run.status == 64)
        #expect(run.standardError.contains("expected each size once, got '1000,20000,1000'"), "\(run.standardError)")
        #expect(run.standardOutput.isEmpty)
    }

    @Test func runTrainsATinyConfigAndPrintsItsDigest() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try scratch.tinyTrainConfig()
        func digest(workers: String) throws -> String {
            let run = try swiftgrad("run", config, "--workers", workers)
            #expect(run.status == 0, "\(run.standardError)")
            #expect(run.standardOutput.contains("\(workers) workers, batch 64, 4 micro-shards, deterministic"), "\(run.standardOutput)")
            #expect(run.standardOutput.contains("epoch 2/2: loss "))
            let line = try #require(run.standardOutput.split(separator: "\n").first { $0.hasPrefix("parameter digest ") })
            return String(line.dropFirst("parameter digest ".count))
        }
        let two = try digest(workers: "2")
        #expect(two.count == 16)
        #expect(try digest(workers: "3") == two)
    }

    @Test func runFlagsOverrideTheConfigsEpochsAndSeed() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try scratch.tinyTrainConfig()
        func run(_ flags: String...) throws -> (epochs: [String], digest: String) {
            let run = try swiftgrad(["run", config] + flags)
            #expect(run.status == 0, "\(run.standardError)")
            let lines = run.standardOutput.split(separator: "\n").map(String.init)
            let digest = try #require(lines.first { $0.hasPrefix("parameter digest ") })
            return (lines.filter { $0.hasPrefix("epoch ") }.map { String($0.prefix { $0 != ":" }) }, String(digest.dropFirst("parameter digest ".count)))
        }
        let configured = try run()
        #expect(configured.epochs == ["epoch 1/2", "epoch 2/2"])
        let longer = try run("--epochs", "3")
        #expect(longer.epochs == ["epoch 1/3", "epoch 2/3", "epoch 3/3"])
        #expect(longer.digest != configured.digest)
        // The config's seed is 3: --seed 3 changes nothing, --seed 4 changes the model.
        #expect(try run("--seed", "3").digest == configured.digest)
        #expect(try run("--seed", "4").digest != configured.digest)
    }

    @Test func runRefusesAWorkerCountOutOfRange() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try scratch.tinyTrainConfig()
        for workers in ["0", "257"] {
            let run = try swiftgrad("run", config, "--workers", workers)
            #expect(run.status != 0)
            #expect(run.standardError.contains("--workers must be between 1 and 256, got \(workers)"), "\(run.standardError)")
            #expect(run.standardOutput.isEmpty)
        }
    }
}
