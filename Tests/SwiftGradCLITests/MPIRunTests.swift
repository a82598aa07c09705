import Foundation
import Testing
import _TestSupport

/// The launcher of the MPI that swiftgrad links: `SWIFTGRAD_MPIRUN` when set, else the first on
/// `PATH` of the names Debian gives that MPI's launcher (`mpirun.openmpi` or `mpirun.mpich`, which
/// stay reachable whichever MPI the `mpirun` alternative points to), then `mpirun` itself.
private let mpirun: String? = {
    let environment = ProcessInfo.processInfo.environment
    if let chosen = environment["SWIFTGRAD_MPIRUN"], !chosen.isEmpty { return chosen }
    #if SWIFTGRAD_MPICH
    let names = ["mpirun.mpich", "mpiexec.mpich", "mpiexec.hydra", "mpirun"]
    #else
    let names = ["mpirun.openmpi", "mpirun"]
    #endif
    let path = environment["PATH"] ?? "/usr/bin:/usr/local/bin"
    for name in names {
        if let found = path.split(separator: ":").map({ "\($0)/\(name)" }).first(where: FileManager.default.isExecutableFile) { return found }
    }
    return nil
}()

/// Whether `swiftgrad` links SwiftGradMPI: the package adds it when Open MPI or MPICH is installed.
private let builtWithMPI: Bool = {
    #if canImport(SwiftGradMPI)
    return true
    #else
    return false
    #endif
}()

/// Whether the launcher is Open MPI's, which needs `--oversubscribe` to start more ranks than
/// cores and takes `--mca` options; MPICH's Hydra (`mpiexec.hydra`, `mpirun.mpich`) starts any
/// number of ranks as it is. Both take `-np N PROGRAM : -np M PROGRAM` for several programs.
private let launcherIsOpenMPI: Bool = {
    guard let mpirun, let result = try? runProcess(mpirun, ["--version"]) else { return false }
    // `mpirun --version` says "mpirun (Open MPI) 4.1.4"; called as `mpirun.openmpi`, "(OpenRTE)".
    let text = result.output + result.error
    return text.contains("Open MPI") || text.contains("OpenRTE")
}()

/// `swiftgrad run` as the ranks of real MPI jobs started with `mpirun`: the bits of a one-process
/// run for any rank and worker count, checkpoints that move between rank counts, and jobs that
/// end with an error naming the rank when ranks disagree, die or stop answering.
@Suite(
    .serialized,
    .enabled(
        if: mpirun != nil && builtWithMPI,
        "no launcher of the MPI swiftgrad links (mpirun.openmpi, mpirun.mpich, mpirun; or SWIFTGRAD_MPIRUN) was found, or swiftgrad was built without MPI (install libopenmpi-dev and openmpi-bin, e.g. with scripts/install-dependencies, then build again)"))
struct MPIRunTests {
    private var digitsConfig: String { repositoryRoot + "/Configs/digits-mlp.json" }

    /// The one-process parameter digest of `Configs/digits-mlp.json`, which the lecture records.
    private static let lectureDigest = "b494f10730e305d9"

    @Test func digitsConfigGivesTheOneProcessDigestOnThreeRanks() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let run = try mpiJob([(3, ["run", digitsConfig, "--no-metrics", "--workers", "2", "--run-dir", scratch.path + "/run"])], in: scratch.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(digest(of: run) == Self.lectureDigest, "\(run.standardOutput)")
        #expect(run.standardOutput.contains("MPI: 3 ranks on 1 host, deterministic reduction"))
        // Only rank 0 prints, plain lines: the launcher's pseudo-terminal is not the output's.
        #expect(run.standardOutput.components(separatedBy: "parameter digest").count == 2)
        #expect(!run.standardOutput.contains("\u{1B}") && !run.standardOutput.contains("\r"), "\(run.standardOutput.prefix(300))")
    }

    /// The ranks talk over TCP on the loopback interface, not shared memory: the network path of
    /// a job spread over hosts, on one machine.
    @Test(.enabled(if: launcherIsOpenMPI, "the TCP-only transport options are Open MPI's"))
    func digitsConfigGivesTheOneProcessDigestOverTCPOnTwoRanks() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        // ob1 is the message layer that uses the byte transfer layers (btl) named here; tcp over
        // `lo` (excluded by default) and self for a rank's messages to itself.
        let tcpOnly = ["--mca", "pml", "ob1", "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", "lo"]
        let run = try mpiJob(
            [(2, ["run", digitsConfig, "--no-metrics", "--workers", "1", "--run-dir", scratch.path + "/run"])],
            launcherArguments: tcpOnly, in: scratch.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(digest(of: run) == Self.lectureDigest, "\(run.standardOutput)")
        #expect(run.standardOutput.contains("MPI: 2 ranks on 1 host, deterministic reduction"))
    }

    /// Under `mpirun -np 2`, `bench scaling` times 1 and 2 ranks of 1 and 2 workers; rank 0 alone
    /// prints the table and writes the files, and every configuration ends on the parameters of
    /// the one-process benchmark.
    @Test func benchScalingMeasuresRanksTimesWorkers() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let arguments = ["bench", "scaling", digitsConfig, "--workers", "1,2", "--steps", "3", "--warmup", "1", "--repeats", "1"]
        let alone = try swiftgrad(arguments + ["--workers", "1", "--csv", "alone.csv", "--plot", "alone.svg"], in: scratch.path)
        #expect(alone.status == 0, "\(alone.standardError)")
        let oneProcessDigest = try #require(alone.standardOutput.split(separator: "\n").last { $0.hasPrefix("      1 ") }?.split(separator: " ").last)

        let run = try mpiJob([(2, arguments)], in: scratch.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("2 ranks on 1 host"), "\(run.standardOutput)")
        let lines = run.standardOutput.split(separator: "\n").map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("ranks  workers/rank  samples/s  speed-up") }, "\(run.standardOutput)")
        let table = lines[(header + 1)...].prefix(4).map { $0.split(separator: " ").map(String.init) }
        #expect(table.map { Array($0.prefix(2)) } == [["1", "1"], ["1", "2"], ["2", "1"], ["2", "2"]], "\(run.standardOutput)")
        #expect(table.allSatisfy { row in row.count == 8 && (Double(row[2]) ?? 0) > 0 }, "\(run.standardOutput)")
        #expect(table.first?[3] == "1.00x")
        #expect(table.allSatisfy { $0.last == String(oneProcessDigest) }, "\(run.standardOutput)")
        #expect(run.standardOutput.contains("final parameters: bitwise identical for every rank and worker count"))
        // Rank 0 alone prints: each configuration's run once.
        #expect(lines.filter { $0.hasPrefix("run 1/1, 2 ranks × 2 workers: ") }.count == 1, "\(run.standardOutput)")

        let csv = try scratch.read("scaling.csv").split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(csv.first == ["ranks", "workers_per_rank", "samples_per_second", "speed_up", "median_speed_up", "efficiency", "seconds_per_step", "parameter_digest"])
        #expect(csv.dropFirst().map { Array($0.prefix(2)) } == [["1", "1"], ["1", "2"], ["2", "1"], ["2", "2"]])
        #expect(csv.dropFirst().allSatisfy { $0.last == String(oneProcessDigest) })
        #expect(try scratch.read("scaling.svg").contains("2 ranks"))

        // More ranks than the job has: one error, from rank 0, and no files.
        let tooMany = try mpiJob([(2, arguments + ["--ranks", "1,3", "--csv", "more.csv"])], in: scratch.path)
        #expect(tooMany.status == 1)
        let errors = tooMany.standardError.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errors == ["error: --ranks asks for 3 ranks, but mpirun started 2"], "\(tooMany.standardError)")
        #expect(!scratch.exists("more.csv"))
    }

    @Test func benchAllReducePrintsBothReductionsForEachSize() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let run = try mpiJob([(2, ["bench", "allreduce", "--mpi", "--sizes", "1000,20000", "--slots", "4", "--rounds", "3"])], in: scratch.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("MPI all-reduce: 2 ranks, 4 micro-shards"), "\(run.standardOutput)")
        for size in [1000, 20000] {
            let row = run.standardOutput.split(separator: "\n").first { $0.hasPrefix("| \(size) |") }
            // floats, then milliseconds and MB/s of each reduction, then their ratio.
            let figures = row.map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
            #expect(figures.count == 6 && figures.dropFirst().allSatisfy { Double($0) != nil }, "\(run.standardOutput)")
        }
    }

    @Test(arguments: [1, 2, 3], [1, 2])
    func sameBitsForAnyRankAndWorkerCount(ranks: Int, workers: Int) throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let arguments = ["run", digitsConfig, "--no-metrics", "--epochs", "2", "--run-dir", scratch.path + "/run"]
        let alone = try swiftgrad(arguments + ["--workers", "1", "--distributed", "none"], in: scratch.path)
        let expected = try #require(digest(of: alone), "\(alone.standardError)")
        let run = try mpiJob([(ranks, arguments + ["--workers", "\(workers)"])], in: scratch.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(digest(of: run) == expected, "\(ranks) ranks of \(workers) workers")
    }

    /// `MPI_Allreduce` adds the ranks' gradients in an order of its own, so the bits are not a
    /// one-process run's: the run and its report say it is not deterministic.
    @Test func allreduceReductionReportsItselfNonDeterministic() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let arguments = ["run", digitsConfig, "--no-metrics", "--epochs", "2", "--run-dir", scratch.path + "/run"]
        for reduction in ["allreduce", "deterministic"] {
            let report = scratch.path + "/\(reduction).json"
            let run = try mpiJob([(2, arguments + ["--mpi-reduction", reduction, "--report", report])], in: scratch.path)
            #expect(run.status == 0, "\(run.standardError)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
            let deterministic = reduction == "deterministic"
            #expect(object["deterministic"] as? Bool == deterministic, "\(reduction): \(object["deterministic"] ?? "none")")
            #expect(run.standardOutput.contains(deterministic ? "micro-shards, deterministic" : "micro-shards, non-deterministic (the ranks' gradients are added in MPI_Allreduce's order)"),
                    "\(run.standardOutput.prefix(600))")
        }
    }

    @Test func ranksWithDifferentWorkerCountsGiveTheOneProcessDigest() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let arguments = ["run", digitsConfig, "--no-metrics", "--epochs", "2", "--run-dir", scratch.path + "/run"]
        let alone = try swiftgrad(arguments + ["--distributed", "none"], in: scratch.path)
        let expected = try #require(digest(of: alone), "\(alone.standardError)")
        // One host of two workers and two of one: the worker count is each rank's own.
        let run = try mpiJob([(1, arguments + ["--workers", "2"]), (2, arguments + ["--workers", "1"])], in: scratch.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(digest(of: run) == expected)
    }

    @Test func checkpointOfThreeRanksResumesInTwoRanksAndInOneProcess() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try checkpointingDigitsConfig(epochs: 4, in: scratch)
        let full = try mpiJob([(3, ["run", config, "--no-metrics", "--run-dir", scratch.path + "/three"])], in: scratch.path)
        #expect(full.status == 0, "\(full.standardError)")
        let expected = try #require(digest(of: full), "\(full.standardOutput)")
        // 1437 training examples in batches of 64: 23 steps an epoch; resume after epoch 2.
        let checkpoint = scratch.path + "/three/checkpoints/step-000000046.safetensors"
        #expect(FileManager.default.fileExists(atPath: checkpoint))

        let twoRanks = try mpiJob(
            [(2, ["run", config, "--no-metrics", "--resume", checkpoint, "--run-dir", scratch.path + "/two"])], in: scratch.path)
        #expect(twoRanks.status == 0, "\(twoRanks.standardError)")
        #expect(digest(of: twoRanks) == expected)
        let alone = try swiftgrad(["run", config, "--no-metrics", "--resume", checkpoint, "--run-dir", scratch.path + "/one"], in: scratch.path)
        #expect(alone.status == 0, "\(alone.standardError)")
        #expect(digest(of: alone) == expected)
    }

    /// A checkpoint of ranks that added their gradients in `MPI_Allreduce`'s order holds no
    /// deterministic run's parameters: a resume of it with the deterministic reduction, or in
    /// one process, says that its bits differ from an uninterrupted run's. A checkpoint of the
    /// deterministic reduction resumes without the note.
    @Test func resumeOfAnAllreduceCheckpointSaysItsBitsDiffer() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try checkpointingDigitsConfig(epochs: 2, in: scratch)
        let note = "note: the checkpoint's run added its ranks' gradients in MPI_Allreduce's order"
        for reduction in ["allreduce", "deterministic"] {
            let folder = scratch.path + "/" + reduction
            let trained = try mpiJob([(2, ["run", config, "--no-metrics", "--mpi-reduction", reduction, "--run-dir", folder])], in: scratch.path)
            #expect(trained.status == 0, "\(trained.standardError)")
            // 23 steps an epoch: the checkpoint of epoch 1, and the run goes on to epoch 3.
            let checkpoint = folder + "/checkpoints/step-000000023.safetensors"
            let alone = try swiftgrad(
                ["run", config, "--no-metrics", "--epochs", "3", "--resume", checkpoint, "--run-dir", folder + "-alone"], in: scratch.path)
            #expect(alone.status == 0, "\(alone.standardError)")
            let ranks = try mpiJob(
                [(2, ["run", config, "--no-metrics", "--resume", checkpoint, "--run-dir", folder + "-ranks"])], in: scratch.path)
            #expect(ranks.status == 0, "\(ranks.standardError)")
            for run in [alone, ranks] {
                #expect(run.standardError.contains(note) == (reduction == "allreduce"), "\(reduction): \(run.standardError)")
            }
            #expect(alone.standardError.contains("and ends where an uninterrupted run of 3 epochs does") == (reduction == "deterministic"),
                    "\(reduction): \(alone.standardError)")
        }
        // Ranks that go on adding in MPI's order say so in their header instead.
        let onward = try mpiJob(
            [(2, ["run", config, "--no-metrics", "--mpi-reduction", "allreduce", "--resume", scratch.path + "/allreduce/checkpoints/step-000000023.safetensors",
                  "--run-dir", scratch.path + "/onward"])], in: scratch.path)
        #expect(onward.status == 0, "\(onward.standardError)")
        #expect(!onward.standardError.contains(note), "\(onward.standardError)")
    }

    /// Each rank runs in a folder of its own, and the checkpoint, given by a relative path or as
    /// `latest`, is only in rank 0's: rank 0 reads it and sends it to the others, as on hosts
    /// that share no file system.
    @Test func ranksResumeFromACheckpointOnlyRankZeroCanSee() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try checkpointingDigitsConfig(epochs: 3, in: scratch)
        let full = try swiftgrad(["run", config, "--no-metrics", "--run-dir", scratch.path + "/full"], in: scratch.path)
        #expect(full.status == 0, "\(full.standardError)")
        let expected = try #require(digest(of: full), "\(full.standardOutput)")
        // 1437 training examples in batches of 64: 23 steps an epoch; resume after epoch 1.
        let name = "step-000000023.safetensors"
        let checkpoint = try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/full/checkpoints/" + name))
        try FileManager.default.createDirectory(atPath: scratch.path + "/rank0/run/checkpoints", withIntermediateDirectories: true)
        try checkpoint.write(to: URL(fileURLWithPath: scratch.path + "/rank0/given.safetensors"))
        try checkpoint.write(to: URL(fileURLWithPath: scratch.path + "/rank0/run/checkpoints/" + name))
        let alone = try swiftgrad(
            ["run", config, "--no-metrics", "--resume", "given.safetensors", "--run-dir", "alone"], in: scratch.path + "/rank0")
        #expect(alone.status == 0, "\(alone.standardError)")
        #expect(digest(of: alone) == expected)

        // Starts each rank in `rank<R>` under the scratch folder (made when missing).
        let wrapper = try scratch.write("in-own-folder.sh", """
            #!/bin/sh
            rank="${OMPI_COMM_WORLD_RANK:-$PMI_RANK}"
            mkdir -p "\(scratch.path)/rank$rank" && cd "\(scratch.path)/rank$rank" && exec "$@"
            """)
        #expect(chmod(wrapper, 0o755) == 0)
        // `latest` is the newest checkpoint in rank 0's `run/checkpoints`.
        for (resume, folder, read) in [("given.safetensors", "given", "given.safetensors"), ("latest", "run", "run/checkpoints/" + name)] {
            let run = try mpiJob(
                [(3, ["run", config, "--no-metrics", "--resume", resume, "--run-dir", folder])], wrapper: wrapper, in: scratch.path)
            #expect(run.status == 0, "--resume \(resume): \(run.standardError)")
            #expect(digest(of: run) == expected, "--resume \(resume): \(run.standardOutput)")
            #expect(run.standardOutput.contains("resumed from \(read): the end of epoch 1, 23 steps done"), "\(run.standardOutput)")
        }
        // The ranks ran in their own folders, where no checkpoint is.
        for rank in 1...2 {
            let folder = scratch.path + "/rank\(rank)"
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty, "\(folder)")
        }

        // A checkpoint rank 0 cannot read: one error, from rank 0, and every rank stops.
        let missing = try mpiJob(
            [(3, ["run", config, "--no-metrics", "--resume", "none.safetensors", "--run-dir", "none"])], wrapper: wrapper, in: scratch.path)
        #expect(missing.status == 1, "\(missing.standardError)")
        let errors = missing.standardError.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errors.count == 1 && errors[0].contains("none.safetensors"), "\(missing.standardError)")
        #expect(!missing.standardOutput.contains("epoch 2/"))
    }

    @Test func ranksWithDifferentConfigsStopWithAnErrorNamingThem() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let text = try String(contentsOfFile: digitsConfig, encoding: .utf8)
            .replacingOccurrences(of: "\"../datasets/digits.csv\"", with: "\"\(repositoryRoot)/datasets/digits.csv\"")
        let same = try scratch.write("a.json", text)
        let other = try scratch.write("b.json", text.replacingOccurrences(of: "\"learning_rate\": 0.001", with: "\"learning_rate\": 0.002"))
        let run = try mpiJob([(2, ["run", same, "--no-metrics"]), (1, ["run", other, "--no-metrics"])], in: scratch.path)
        #expect(run.status == 1)
        let errors = run.standardError.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errors.count == 1, "\(run.standardError)")
        #expect(errors.first?.contains("config hash: ranks 0, 1 have") == true, "\(run.standardError)")
        #expect(errors.first?.contains("rank 2 has") == true, "\(run.standardError)")
        #expect(!run.standardOutput.contains("epoch 1/"))
    }

    /// A rank given a config of another task would not train: the job stops at start-up with
    /// one error naming the ranks, rather than the training ranks waiting out the timeout.
    @Test func ranksWithDifferentTasksStopWithAnErrorNamingThem() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let text = try String(contentsOfFile: digitsConfig, encoding: .utf8)
            .replacingOccurrences(of: "\"../datasets/digits.csv\"", with: "\"\(repositoryRoot)/datasets/digits.csv\"")
        let train = try scratch.write("train.json", text)
        let minimize = repositoryRoot + "/Configs/seed-quadratic.json"
        for (zero, one) in [(train, minimize), (minimize, train)] {
            func arguments(_ config: String) -> [String] {
                config == train ? ["run", config, "--no-metrics", "--mpi-timeout", "120"] : ["run", config]
            }
            let run = try mpiJob([(1, arguments(zero)), (1, arguments(one))], in: scratch.path)
            #expect(run.status == 1)
            let errors = run.standardError.split(separator: "\n").filter { $0.hasPrefix("error: ") }
            #expect(errors.count == 1, "\(run.standardError)")
            let expected = zero == train ? "task: rank 0 has train, rank 1 has minimize" : "task: rank 0 has minimize, rank 1 has train"
            #expect(errors.first?.contains(expected) == true, "\(run.standardError)")
            #expect(!run.standardOutput.contains("epoch 1/") && !run.standardOutput.contains("step 1:"), "\(run.standardOutput)")
        }
    }

    /// A process of the job that never joins MPI (`grad` beside `run`, its process staying
    /// alive after it) would keep the training rank in `MPI_Init` forever: that rank gives up at
    /// the start-up deadline (a minute, as `--mpi-timeout` is shorter), saying why, and the job
    /// ends. (A process that exits without joining lets Open MPI end the job itself, at once or
    /// not, depending on whether the other rank has reached `MPI_Init` yet; the wrapper keeps
    /// `grad`'s process alive so that the deadline is what ends the job.)
    @Test func aProcessThatNeverJoinsMPIEndsTheJobAtTheStartUpDeadline() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let text = try String(contentsOfFile: digitsConfig, encoding: .utf8)
            .replacingOccurrences(of: "\"../datasets/digits.csv\"", with: "\"\(repositoryRoot)/datasets/digits.csv\"")
        let train = try scratch.write("train.json", text)
        let wrapper = try scratch.write("stay-after-grad.sh", """
            #!/bin/sh
            # Runs swiftgrad; after `grad`, stays alive without ever calling MPI_Init.
            [ "$2" = grad ] || exec "$@"
            "$@"
            exec sleep 300
            """)
        #expect(chmod(wrapper, 0o755) == 0)
        let run = try mpiJob(
            [(1, ["run", train, "--no-metrics", "--mpi-timeout", "5"]), (1, ["grad", "x^2", "--at", "x=3"])],
            wrapper: wrapper, in: scratch.path)
        #expect(run.status != 0)
        #expect(
            run.standardError.contains("error: MPI_Init did not complete within 60 s: every process of the job must join MPI"),
            "\(run.standardError)")
        #expect(run.standardOutput.split(separator: "\n").contains("6"), "grad's own answer: \(run.standardOutput)")
        #expect(!run.standardOutput.contains("epoch 1/"), "\(run.standardOutput)")
    }

    /// Early stopping is outside the config hash (a resume may change it), yet a rank that
    /// stops earlier than the others would leave them waiting out the timeout: the job stops
    /// before training with one error naming the ranks.
    @Test func ranksWithDifferentEarlyStoppingStopWithAnErrorNamingThem() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let text = try String(contentsOfFile: digitsConfig, encoding: .utf8)
            .replacingOccurrences(of: "\"../datasets/digits.csv\"", with: "\"\(repositoryRoot)/datasets/digits.csv\"")
        let stopping = "\"evaluate_every\": 1, \"early_stopping\": {\"patience\": 1, \"min_delta\": 1}"
        let same = try scratch.write("a.json", text.replacingOccurrences(of: "\"evaluate_every\": 5", with: stopping))
        let other = try scratch.write("b.json", text.replacingOccurrences(of: "\"evaluate_every\": 5", with: "\"evaluate_every\": 1"))
        let run = try mpiJob([(1, ["run", same, "--no-metrics", "--mpi-timeout", "120"]), (1, ["run", other, "--no-metrics", "--mpi-timeout", "120"])], in: scratch.path)
        #expect(run.status == 1)
        let errors = run.standardError.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errors.count == 1, "\(run.standardError)")
        #expect(errors.first?.contains("early stopping: rank 0 has metric test_loss, patience 1") == true, "\(run.standardError)")
        #expect(errors.first?.contains("rank 1 has none") == true, "\(run.standardError)")
        #expect(!run.standardOutput.contains("epoch 1/"))
    }

    /// Rank 0 reads the checkpoint for all: a job where only some ranks were given `--resume`
    /// stops at once naming them, rather than wait out the timeout for bytes never sent.
    @Test func ranksGivenResumeUnevenlyStopWithAnErrorNamingThem() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try scratch.tinyTrainConfig()
        let first = try swiftgrad(["run", config, "--quiet", "--run-dir", "run"], in: scratch.path)
        #expect(first.status == 0, "\(first.standardError)")
        for resumed in [0, 1] {
            let plain = 1 - resumed
            // Waiting out the timeout would end in "did not answer" instead.
            let arguments = ["run", config, "--run-dir", "run", "--no-metrics", "--mpi-timeout", "120"]
            let run = try mpiJob([(1, arguments + (resumed == 0 ? ["--resume", "latest"] : [])), (1, arguments + (plain == 0 ? ["--resume", "latest"] : []))], in: scratch.path)
            #expect(run.status == 1)
            let errors = run.standardError.split(separator: "\n").filter { $0.hasPrefix("error: ") }
            #expect(errors.count == 1, "\(run.standardError)")
            let expected = resumed == 0 ? "--resume: rank 0 has --resume, rank 1 has no --resume" : "--resume: rank 0 has no --resume, rank 1 has --resume"
            #expect(errors.first?.contains(expected) == true, "\(run.standardError)")
        }
    }

    /// A checkpoint every rank refuses alike (here: other epochs under a schedule spanning the
    /// run) is one error, printed by rank 0.
    @Test func aRefusedResumeIsOneError() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = try scratch.write("cosine.json", """
            {"task": "train", "data": {"source": "synthetic", "examples": 256, "features": 32, "classes": 4},
             "model": {"type": "mlp", "hidden_layers": [16]}, "optimizer": {"name": "adam", "schedule": {"type": "cosine"}},
             "training": {"epochs": 1, "batch_size": 64, "micro_shards": 4, "seed": 3}}
            """)
        #expect(try swiftgrad(["run", config, "--quiet", "--run-dir", "run"], in: scratch.path).status == 0)
        let run = try mpiJob([(2, ["run", config, "--run-dir", "run", "--no-metrics", "--epochs", "2", "--resume", "latest"])], in: scratch.path)
        #expect(run.status == 1)
        let errors = run.standardError.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errors.count == 1, "\(run.standardError)")
        #expect(errors.first?.contains("the cosine schedule without decay_steps decays over the run's length") == true, "\(run.standardError)")
        #expect(!run.standardError.contains("MPI_ABORT"), "\(run.standardError)")
    }

    @Test func killedRankEndsTheJob() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let (run, killed) = try mpiJobWithSignal(SIGKILL, toRank: 1, timeout: nil, in: scratch)
        #expect(killed != nil)
        #expect(run.status != 0)
        let output = run.standardOutput + run.standardError
        if launcherIsOpenMPI {
            #expect(output.contains("rank 1"), "\(run.standardError)")
        } else {
            // MPICH's Hydra names the process id of the first rank it saw end, which may be one it
            // ended itself after the killed one.
            #expect(output.contains("BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES") && output.contains("PID "), "\(output)")
        }
    }

    @Test func stoppedRankEndsTheJobWithinTheTimeout() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let (run, _) = try mpiJobWithSignal(SIGSTOP, toRank: 1, timeout: 5, in: scratch)
        #expect(run.status != 0)
        // Each rank names those it waited for: the stopped rank, and maybe a rank that waited for
        // it in turn.
        let pattern = #/ranks? ([0-9, ]+) did not answer within 5 s at step [0-9]+/#
        let named = run.standardError.matches(of: pattern).map { String($0.output.1) }
        #expect(!named.isEmpty, "\(run.standardError)")
        #expect(named.contains { $0.split(separator: ", ").contains("1") }, "\(run.standardError)")
    }

    /// SIGTERM to every rank, as a batch scheduler sends it: the ranks agree through a step's
    /// exchange of results to stop after that step, rank 0 writes the checkpoint and says so once,
    /// and each rank exits with 143 rather than dying of the signal. The checkpoint resumes to the
    /// bits of an uninterrupted run.
    @Test func sigtermToEveryRankStopsThemAfterOneStepWithACheckpointThatResumes() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let (config, step) = try signalledJob(toRanks: [0, 1], in: scratch)
        let stopped = try #require(step)

        // Resumed on two ranks to the end of the epoch after next, and run uninterrupted there in
        // one process (the same bits for any rank count).
        let epochs = "\(stopped / 23 + 2)"
        let full = try swiftgrad(["run", config, "--no-metrics", "--epochs", epochs, "--run-dir", scratch.path + "/full"], in: scratch.path)
        #expect(full.status == 0, "\(full.standardError)")
        let expected = try #require(digest(of: full), "\(full.standardOutput)")
        let resumed = try mpiJob(
            [(2, ["run", config, "--no-metrics", "--epochs", epochs, "--resume", "latest", "--run-dir", scratch.path + "/run"])],
            in: scratch.path)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("resumed from \(checkpointPath(step: stopped, in: scratch))"), "\(resumed.standardOutput)")
        #expect(digest(of: resumed) == expected, "\(resumed.standardOutput)")
    }

    /// SIGTERM to one rank only: it sends the request with its next step's results, and both
    /// ranks stop after that step, with rank 0's checkpoint, each exiting with 143.
    @Test func sigtermToOneRankStopsEveryRankAfterTheSameStep() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let (_, step) = try signalledJob(toRanks: [1], in: scratch)
        #expect(step != nil)
    }

    /// Ctrl-C to Open MPI's `mpirun` (SIGINT) while rank 0 prints a line a step: `mpirun` sends the
    /// ranks SIGTERM a second later and SIGKILL a second after that. The ranks stop at one step
    /// and rank 0 writes its checkpoint in between, which a resume takes.
    @Test(.enabled(if: launcherIsOpenMPI, "mpirun's SIGTERM, then SIGKILL a second later, is Open MPI's"))
    func ctrlCToMPIRunWritesTheCheckpointBeforeItsSIGKILL() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        // No periodic checkpoints: the one written is the signal's.
        let config = try scratch.write("digits.json", """
            {
              "task": "train",
              "data": {"source": "digits", "path": "\(repositoryRoot)/datasets/digits.csv"},
              "model": {"type": "mlp", "hidden_layers": [32]},
              "optimizer": {"name": "adam", "learning_rate": 0.001},
              "training": {"epochs": 1000, "batch_size": 64, "micro_shards": 4, "seed": 5},
              "checkpoint": {"every_epochs": 0}
            }
            """)
        // mpirun is started with SIGINT and SIGTERM unblocked and at their default action, as
        // from a shell: Foundation's Process starts it with nearly every signal blocked.
        let process = try startJob(
            [(2, ["run", config, "--no-metrics", "--progress-every", "0", "--run-dir", scratch.path + "/run"])],
            launcherPrefix: [
                "/usr/bin/env", "perl", "-MPOSIX", "-e",
                "sigprocmask(SIG_UNBLOCK, POSIX::SigSet->new(SIGINT, SIGTERM)); $SIG{INT} = $SIG{TERM} = 'DEFAULT'; exec @ARGV or die",
            ],
            in: scratch.path)
        // Some epochs into the run.
        let start = ContinuousClock.now
        while process.isRunning && ContinuousClock.now - start < .seconds(60) {
            let output = (try? String(contentsOfFile: scratch.path + "/stdout", encoding: .utf8)) ?? ""
            if output.contains("epoch 5/1000 step ") { break }
            usleep(20_000)
        }
        #expect(process.isRunning, "the run ended before the signal")
        kill(process.processIdentifier, SIGINT)
        let run = try finish(process, in: scratch.path, limit: .seconds(60))
        #expect(run.status != 0)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: scratch.path + "/run/checkpoints")) ?? []
        let checkpoints = names.filter { $0.hasPrefix("step-") && $0.hasSuffix(".safetensors") }
        #expect(checkpoints.count == 1, "\(names); \(run.standardError)")
        // It resumes (to the end of the epoch it stopped in).
        if let name = checkpoints.first, let step = Int(name.dropFirst(5).prefix(9)) {
            let resumed = try swiftgrad(
                ["run", config, "--no-metrics", "--epochs", "\(step / 23 + 1)", "--resume", "latest", "--run-dir", scratch.path + "/run"],
                in: scratch.path)
            #expect(resumed.status == 0, "\(resumed.standardError)")
            #expect(resumed.standardOutput.contains("\(step) steps done"), "\(resumed.standardOutput)")
        }
    }

    // MARK: Helpers

    /// A two-rank run of a checkpointing digits config of 1000 epochs, each rank started by a
    /// wrapper that records how it ended; once the first epoch's checkpoint is written, SIGTERM
    /// goes to each of `ranks`. Checks that every rank exited with 143, that rank 0 alone said
    /// "stopped by SIGTERM after step N", and that the checkpoint of step N was written; returns
    /// the config and N.
    private func signalledJob(toRanks ranks: [Int], in scratch: TemporaryDirectory) throws -> (config: String, step: Int?) {
        let config = try checkpointingDigitsConfig(epochs: 1000, in: scratch)
        // Runs the rank and writes how it ended (`exit 143`, `signal 15`) to status.<rank>.
        let wrapper = try scratch.write("record-status.pl", """
            #!/usr/bin/env perl
            my $rank = $ENV{OMPI_COMM_WORLD_RANK} // $ENV{PMI_RANK};
            system(@ARGV);
            my $status = $?;
            my $text = $status == -1 ? "not started" : ($status & 127) ? "signal " . ($status & 127) : "exit " . ($status >> 8);
            open(my $file, '>', "\(scratch.path)/status.$rank") or die "status.$rank: $!";
            print $file $text;
            close($file);
            exit(($status & 127) ? 128 + ($status & 127) : $status >> 8);
            """)
        #expect(chmod(wrapper, 0o755) == 0)
        // Open MPI's mpirun ends the other ranks once one exits with a non-zero status; by then
        // every rank is past MPI_Finalize, but the wrapper of one not yet gone would record that
        // instead of its own exit. Here each rank's is recorded.
        let process = try startJob(
            [(2, ["run", config, "--no-metrics", "--progress-every", "0", "--run-dir", scratch.path + "/run"])],
            launcherArguments: launcherIsOpenMPI ? ["--mca", "orte_abort_on_non_zero_status", "0"] : [], wrapper: wrapper,
            in: scratch.path)
        // A checkpoint (the first at the end of the first epoch, step 23) says every rank is
        // training: each has passed the exchange of that step.
        func hasCheckpoint() -> Bool {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: scratch.path + "/run/checkpoints")) ?? []
            return names.contains { $0.hasPrefix("step-") && $0.hasSuffix(".safetensors") }
        }
        let start = ContinuousClock.now
        while process.isRunning && !hasCheckpoint() && ContinuousClock.now - start < .seconds(60) {
            usleep(20_000)
        }
        let targets = ranks.compactMap { rankProcess($0, runningConfig: config) }
        #expect(targets.count == ranks.count, "ranks \(ranks) never started training")
        for target in targets { kill(target, SIGTERM) }
        let run = try finish(process, in: scratch.path, limit: .seconds(60))

        // Told not to end the job on a non-zero exit, Open MPI's mpirun exits with 0 (by default
        // it ends the job and exits with the first rank's status, 143); MPICH's with the ranks'.
        if !launcherIsOpenMPI { #expect(run.status != 0) }
        for rank in 0..<2 {
            let status = try? scratch.read("status.\(rank)")
            #expect(status == "exit 143", "rank \(rank): \(status ?? "no status"); \(run.standardError)")
        }
        let pattern = #/stopped by SIGTERM after step ([0-9]+): wrote (\S+); continue with --resume/#
        let lines = run.standardError.split(separator: "\n").filter { $0.contains("stopped by") }
        #expect(lines.count == 1, "\(run.standardError)")
        let match = lines.first.flatMap { $0.firstMatch(of: pattern) }
        let step = match.flatMap { Int($0.output.1) }
        #expect(step.map { $0 > 23 && $0 < 1000 * 23 } == true, "\(run.standardError)")
        if let step, let match {
            #expect(String(match.output.2) == checkpointPath(step: step, in: scratch), "\(run.standardError)")
            #expect(FileManager.default.fileExists(atPath: checkpointPath(step: step, in: scratch)))
        }
        #expect(!run.standardError.contains("MPI_ABORT"), "\(run.standardError)")
        return (config, step)
    }

    /// The periodic checkpoint of `step` of the run in `scratch`'s `run` folder.
    private func checkpointPath(step: Int, in scratch: TemporaryDirectory) -> String {
        scratch.path + "/run/checkpoints/" + String(format: "step-%09d.safetensors", step)
    }

    /// A digits config of `epochs` epochs that checkpoints every epoch and keeps them all,
    /// written into `scratch`.
    private func checkpointingDigitsConfig(epochs: Int, in scratch: TemporaryDirectory) throws -> String {
        try scratch.write("digits.json", """
            {
              "task": "train",
              "data": {"source": "digits", "path": "\(repositoryRoot)/datasets/digits.csv"},
              "model": {"type": "mlp", "hidden_layers": [32]},
              "optimizer": {"name": "adam", "learning_rate": 0.001},
              "training": {"epochs": \(epochs), "batch_size": 64, "micro_shards": 4, "seed": 5},
              "checkpoint": {"every_epochs": 1, "keep_last": 10}
            }
            """)
    }

    private func digest(of run: Run) -> String? {
        run.standardOutput.split(separator: "\n").last { $0.hasPrefix("parameter digest ") }.map { String($0.dropFirst(17)) }
    }

    /// Starts an MPI job whose programs are `swiftgrad` with each entry's arguments, `count` ranks
    /// each (several entries make an MPMD job), with standard output and error in `directory`;
    /// `launcherArguments` go to `mpirun` before the programs; `wrapper`, when given, is started in
    /// `swiftgrad`'s place with `swiftgrad`'s path and arguments after its own name;
    /// `launcherPrefix`, when given, is started with `mpirun`'s path and arguments after it.
    private func startJob(
        _ programs: [(count: Int, arguments: [String])], launcherArguments: [String] = [], wrapper: String? = nil,
        launcherPrefix: [String] = [], in directory: String
    ) throws -> Process {
        let executable = [wrapper, try swiftgradPath()].compactMap { $0 }
        var arguments: [String] = (launcherIsOpenMPI ? ["--oversubscribe"] : []) + launcherArguments
        for (index, program) in programs.enumerated() {
            if index > 0 { arguments.append(":") }
            arguments += ["-np", "\(program.count)"] + executable + program.arguments
        }
        let process = Process()
        // `launcherPrefix`, when given, is a program that execs mpirun (its arguments after it).
        let command = launcherPrefix + [mpirun!] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        // Open MPI refuses to run as root without these (test containers run as root).
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        process.environment = environment
        for name in ["stdout", "stderr"] {
            _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: nil)
        }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/stdout"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/stderr"))
        try process.run()
        return process
    }

    /// Waits for `process` (at most `limit`, then kills it and fails) and reads what it wrote.
    private func finish(_ process: Process, in directory: String, limit: Duration = .seconds(600)) throws -> Run {
        let start = ContinuousClock.now
        while process.isRunning && ContinuousClock.now - start < limit { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("the MPI job was still running after \(limit)")
        }
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus,
            standardOutput: (try? String(contentsOfFile: directory + "/stdout", encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOfFile: directory + "/stderr", encoding: .utf8)) ?? "")
    }

    private func mpiJob(
        _ programs: [(count: Int, arguments: [String])], launcherArguments: [String] = [], wrapper: String? = nil, in directory: String
    ) throws -> Run {
        try finish(try startJob(programs, launcherArguments: launcherArguments, wrapper: wrapper, in: directory), in: directory)
    }

    /// A three-rank run of the digits config for many epochs; once rank 0 has printed its first
    /// step, `signal` goes to rank `rank`, whose process id is returned with the run.
    private func mpiJobWithSignal(
        _ signal: Int32, toRank rank: Int, timeout: Int?, in scratch: TemporaryDirectory
    ) throws -> (run: Run, signalled: pid_t?) {
        let text = try String(contentsOfFile: digitsConfig, encoding: .utf8)
            .replacingOccurrences(of: "\"../datasets/digits.csv\"", with: "\"\(repositoryRoot)/datasets/digits.csv\"")
        let config = try scratch.write("long.json", text)
        var arguments = ["run", config, "--no-metrics", "--epochs", "1000", "--progress-every", "0"]
        if let timeout { arguments += ["--mpi-timeout", "\(timeout)"] }
        let process = try startJob([(3, arguments)], in: scratch.path)
        var target: pid_t?
        defer {
            // A stopped rank that outlived the job would never end by itself.
            if let target { kill(target, SIGKILL) }
        }
        let start = ContinuousClock.now
        while process.isRunning && ContinuousClock.now - start < .seconds(300) {
            let output = (try? String(contentsOfFile: scratch.path + "/stdout", encoding: .utf8)) ?? ""
            if output.contains("step "), let pid = rankProcess(rank, runningConfig: config) {
                target = pid
                kill(pid, signal)
                break
            }
            usleep(50_000)
        }
        #expect(target != nil, "rank \(rank) never started training")
        return (try finish(process, in: scratch.path, limit: .seconds(120)), target)
    }

    /// The process of rank `rank` of the job whose command line names `config`, found by the
    /// rank its launcher put in its environment.
    private func rankProcess(_ rank: Int, runningConfig config: String) -> pid_t? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry),
                  let commandLine = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                  String(decoding: commandLine, as: UTF8.self).contains(config),
                  // swiftgrad itself, not a wrapper that started it.
                  commandLine.split(separator: 0).first.map({ String(decoding: $0, as: UTF8.self).hasSuffix("swiftgrad") }) == true,
                  let environment = FileManager.default.contents(atPath: "/proc/\(entry)/environ")
            else { continue }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") || variables.contains("PMI_RANK=\(rank)") { return pid }
        }
        return nil
    }
}
