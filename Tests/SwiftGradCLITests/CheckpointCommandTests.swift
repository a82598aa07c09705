import Foundation
import Testing
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Checkpoints through the command line: a run killed at any moment, or stopped with Ctrl-C or
/// SIGTERM, resumes with `--resume latest` to the bits of a run that was never stopped.
@Suite struct CheckpointCommandTests {
    /// 4096 synthetic examples, an MLP 64-64-10, 16 epochs of 64 batches: long enough to be
    /// stopped in the middle, with a checkpoint every 7 steps.
    private static let config = """
        {
          "task": "train",
          "data": {"source": "synthetic", "examples": 4096, "features": 64, "classes": 10},
          "model": {"type": "mlp", "hidden_layers": [64]},
          "training": {"epochs": 16, "batch_size": 64, "micro_shards": 2, "seed": 5, "workers": 2},
          "checkpoint": {"every_steps": 7, "keep_last": 2}
        }
        """

    private func digest(of run: Run) -> String? {
        run.standardOutput.split(separator: "\n").last { $0.hasPrefix("parameter digest ") }.map { String($0.dropFirst(17)) }
    }

    /// Polls `condition` every 2 ms until it holds or `seconds` have passed.
    private func waitUntil(seconds: Double, _ condition: () -> Bool) {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while !condition() && ContinuousClock.now < deadline { usleep(2_000) }
    }

    private func hasCheckpoint(_ directory: TemporaryDirectory) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path + "/runs/kill/checkpoints")) ?? []
        return names.contains { $0.hasPrefix("step-") }
    }

    @Test func aRunKilledAtRandomMomentsResumesToTheSameBits() throws {
        let reference = try TemporaryDirectory()
        defer { reference.remove() }
        let uninterrupted = try swiftgrad("run", try reference.write("kill.json", Self.config), in: reference.path)
        #expect(uninterrupted.status == 0, "\(uninterrupted.standardError)")
        let expected = try #require(digest(of: uninterrupted))
        // The final model is the last checkpoint's bytes, so it is a second name of that file.
        var model = stat(), last = stat()
        #expect(stat(reference.path + "/runs/kill/model.safetensors", &model) == 0)
        #expect(stat(reference.path + "/runs/kill/checkpoints/step-000001024.safetensors", &last) == 0)
        #expect(model.st_ino == last.st_ino && model.st_nlink == 2)

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("kill.json", Self.config)
        var delays: [Int] = []
        for _ in 0..<5 {
            let delay = Int.random(in: 50...900)
            delays.append(delay)
            let arguments = ["run", config] + (hasCheckpoint(directory) ? ["--resume", "latest"] : [])
            let process = try startSwiftgrad(arguments, in: directory.path)
            usleep(useconds_t(delay * 1000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let arguments = ["run", config] + (hasCheckpoint(directory) ? ["--resume", "latest"] : [])
        let finished = try swiftgrad(arguments, in: directory.path)
        #expect(finished.status == 0, "\(finished.standardError)")
        #expect(digest(of: finished) == expected, "killed after \(delays) ms")
        // Killed writers leave no file that a resume would take for a checkpoint.
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/runs/kill/checkpoints")
        #expect(left.filter { $0.hasPrefix("step-") }.count <= 2, "\(left)")
    }

    @Test(arguments: [(SIGINT, Int32(130), "SIGINT"), (SIGTERM, Int32(143), "SIGTERM")])
    func aSignalCheckpointsExitsWith128PlusItAndResumesToTheSameBits(signal: Int32, status: Int32, name: String) throws {
        let reference = try TemporaryDirectory()
        defer { reference.remove() }
        let uninterrupted = try swiftgrad("run", try reference.write("kill.json", Self.config), in: reference.path)
        let expected = try #require(digest(of: uninterrupted))

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("kill.json", Self.config)
        let process = try startSwiftgrad(["run", config, "--report", directory.path + "/report.json"], in: directory.path)
        // Wait for the run to start training (its first checkpoint), then signal it.
        waitUntil(seconds: 4) { hasCheckpoint(directory) }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == status)
        let standardError = try directory.read("stderr")
        #expect(standardError.contains("stopped by \(name) after step"), "\(standardError)")
        #expect(standardError.contains("--resume"), "\(standardError)")
        let report = try directory.read("report.json")
        #expect(report.contains(#""status": "interrupted""#), "\(report)")

        let resumed = try swiftgrad(["run", config, "--resume", "latest", "--workers", "1"], in: directory.path)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("resumed from"), "\(resumed.standardOutput)")
        #expect(digest(of: resumed) == expected)
    }

    /// A model of 2048-wide layers whose steps and checkpoints take a while, so that a run is
    /// still finishing its step when a second signal comes.
    private static let slowConfig = """
        {
          "task": "train",
          "data": {"source": "synthetic", "examples": 4096, "features": 512, "classes": 10},
          "model": {"type": "mlp", "hidden_layers": [2048, 2048]},
          "training": {"epochs": 4, "batch_size": 512, "seed": 5, "workers": 2},
          "checkpoint": {"every_steps": 1, "keep_last": 1}
        }
        """

    /// Starts a run of ``slowConfig`` in `directory` and returns once it has a checkpoint.
    private func startSlowRun(in directory: TemporaryDirectory) throws -> Process {
        let config = try directory.write("kill.json", Self.slowConfig)
        let process = try startSwiftgrad(["run", config], in: directory.path)
        waitUntil(seconds: 30) { hasCheckpoint(directory) }
        #expect(hasCheckpoint(directory), "no checkpoint after 30 s")
        return process
    }

    @Test func aSecondSignalEndsTheRunAtOnce() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let process = try startSlowRun(in: directory)
        // The first asks for a checkpoint at the end of the step; the second, before that step
        // is done, for the process to end now.
        kill(process.processIdentifier, SIGINT)
        usleep(2_000)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        // The handlers can run in either order when both signals are pending at once: the
        // process dies of whichever it handles second.
        #expect(process.terminationReason == .uncaughtSignal)
        #expect([SIGINT, SIGTERM].contains(process.terminationStatus), "\(process.terminationStatus)")
    }

    /// GNU `timeout` signals the process and then its process group: one request that arrives
    /// twice at once still checkpoints and exits with 128 + the signal, as a single one does.
    @Test(arguments: [(SIGINT, Int32(130), "SIGINT"), (SIGTERM, Int32(143), "SIGTERM")])
    func theSameSignalTwiceAtOnceIsOneRequest(signal: Int32, status: Int32, name: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let process = try startSlowRun(in: directory)
        kill(process.processIdentifier, signal)
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        let standardError = try directory.read("stderr")
        #expect(process.terminationReason == .exit, "\(standardError)")
        #expect(process.terminationStatus == status, "\(standardError)")
        #expect(standardError.contains("stopped by \(name) after step"), "\(standardError)")
    }

    /// A reader that stops reading (a pager left open) fills the pipe of standard output; a
    /// signal still stops the run within seconds, with its checkpoint, dropping the output.
    @Test func aSignalStopsARunWhoseStandardOutputNoLongerTakesOutput() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let base = try String(contentsOfFile: try directory.tinyTrainConfig(), encoding: .utf8)
        let config = try directory.write("long.json", base.replacingOccurrences(of: #""epochs": 2"#, with: #""epochs": 2000"#))
        let fifo = directory.path + "/out.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        // The smallest pipe (a page; F_SETPIPE_SZ is 1031 on Linux, F_GETPIPE_SZ 1032) fills in a
        // few dozen lines.
        _ = fcntl(reader, 1031, 4096)
        let capacity = fcntl(reader, 1032)
        let process = try startSwiftgrad(["run", config, "--verbose"], in: directory.path, standardOutput: fifo)
        let checkpoints = directory.path + "/runs/long/checkpoints"
        let started = ContinuousClock.now
        while ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints)) ?? []).isEmpty, ContinuousClock.now - started < .seconds(60) {
            usleep(10_000)
        }
        // Until the pipe holds all it can, however slowly a loaded machine runs the steps: a
        // line that does not fit what is left waits whole, so full is within a line of it.
        var queued: Int32 = 0
        waitUntil(seconds: 120) { ioctl(reader, UInt(FIONREAD), &queued) == 0 && queued >= capacity - 512 }
        #expect(queued >= capacity - 512, "the run wrote \(queued) of the pipe's \(capacity) bytes")
        kill(process.processIdentifier, SIGTERM)
        let signalled = ContinuousClock.now
        while process.isRunning && ContinuousClock.now - signalled < .seconds(30) { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("the run was still waiting on its standard output 30 s after SIGTERM")
        }
        process.waitUntilExit()
        let standardError = try directory.read("stderr")
        #expect(process.terminationReason == .exit && process.terminationStatus == 143, "\(standardError)")
        #expect(standardError.contains("note: standard output took no output for 2.0 seconds after the run was asked to stop"), "\(standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: checkpoints).contains { $0.hasPrefix("step-") })
    }

    /// A signal once the last step is done finds the run complete: it keeps its model, says so,
    /// and exits with 128 + the signal's number (or, when the signal comes after the run has
    /// stopped watching for it, dies of it), never 0 as if no signal had come.
    @Test func aSignalAfterTheLastStepIsReportedNotDropped() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("kill.json", Self.slowConfig.replacingOccurrences(of: #""epochs": 4"#, with: #""epochs": 1"#))
        let process = try startSwiftgrad(["run", config], in: directory.path)
        // The evaluation of the last epoch is printed before the last step's checkpoint is written.
        waitUntil(seconds: 30) { ((try? directory.read("stdout")) ?? "").contains("epoch 1/1:") }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let standardError = try directory.read("stderr")
        if process.terminationReason == .exit {
            #expect(process.terminationStatus == 130, "\(standardError)")
            #expect(standardError.contains("stopped by SIGINT after the last step (8): the run is complete and its model saved to runs/kill/model.safetensors; nothing is left to resume"), "\(standardError)")
            #expect(FileManager.default.fileExists(atPath: directory.path + "/runs/kill/model.safetensors"))
        } else {
            #expect(process.terminationStatus == SIGINT)
        }
    }

    /// A run started with SIGINT ignored (`nohup`, `trap '' INT`, or a shell's background job)
    /// goes on ignoring it.
    @Test func aSignalTheRunWasStartedIgnoringStaysIgnored() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("kill.json", Self.config)
        let binary = try productsDirectory().appendingPathComponent("swiftgrad").path
        let script = """
            trap '' INT
            '\(binary)' run kill.json > out.txt 2>&1 &
            run=$!
            while [ -z "$(ls runs/kill/checkpoints 2>/dev/null)" ]; do sleep 0.01; done
            kill -INT $run
            wait $run
            echo "status $?"
            """
        let result = try runProcess("/bin/sh", ["-c", script], in: directory.path)
        let output = try directory.read("out.txt")
        #expect(result.output == "status 0\n", "\(output)")
        #expect(output.contains("saved the model to runs/kill/model.safetensors") && !output.contains("stopped by"), "\(output)")
    }

    /// A resume whose seed differs from the checkpoint's, as a flag left out makes it, is
    /// refused naming the value, not only two config hashes (the epochs, which may differ, are
    /// not named).
    @Test func aResumeWithOtherEpochsOrSeedNamesThem() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.tinyTrainConfig()
        let first = try swiftgrad(["run", config, "--epochs", "1", "--seed", "7", "--quiet"], in: directory.path)
        #expect(first.status == 0, "\(first.standardError)")
        let resumed = try swiftgrad(["run", config, "--resume", "latest"], in: directory.path)
        #expect(resumed.status == 1)
        // Other epochs alone may resume: only the seed is named.
        #expect(resumed.standardError.contains("): its seed is 7 and this run's 3 (training.seed, or --seed); only training.workers"), "\(resumed.standardError)")
        #expect(!resumed.standardError.contains("it was trained for 1 epoch"), "\(resumed.standardError)")
    }

    /// A second run of a run folder in use is refused before it writes anything there, and the
    /// first run's files are its own; once the first ends, even killed, the folder is free.
    @Test func aSecondRunOfAFolderInUseIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("kill.json", Self.config.replacingOccurrences(of: "\"epochs\": 16", with: "\"epochs\": 1000"))
        let first = try startSwiftgrad(["run", config, "--progress-every", "0"], in: directory.path)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        let deadline = ContinuousClock.now + .seconds(120)
        while first.isRunning && ContinuousClock.now < deadline && !hasCheckpoint(directory) { usleep(20_000) }
        #expect(first.isRunning && hasCheckpoint(directory), "the first run never wrote a checkpoint")
        let metrics = directory.path + "/runs/kill/metrics.jsonl"
        let second = try swiftgrad(["run", config, "--resume", "latest"], in: directory.path)
        expectOneLineError(second)
        #expect(!second.standardOutput.contains("resumed from"), "a refused run resumed nothing: \(second.standardOutput)")
        #expect(second.standardError == "error: the folder 'runs/kill' is in use: the run cannot claim it while another claim holds it (another swiftgrad run, most likely); only one run may use a run folder at a time: wait for it to end, or choose another folder\n", "\(second.standardError)")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        // Every step record is the first run's: steps 1, 2, 3, … once each.
        let steps = try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["type"] as? String == "step" }
            .compactMap { $0["step"] as? Int }
        #expect(!steps.isEmpty && steps == Array(steps.sorted()) && Set(steps).count == steps.count, "\(steps.prefix(20))")
        // The killed run's checkpoints are a longer run's than this one: a fresh start over them
        // would be refused for that reason, not for the folder's claim.
        try FileManager.default.removeItem(atPath: directory.path + "/runs/kill/checkpoints")
        let after = try swiftgrad(["run", config, "--epochs", "1"], in: directory.path)
        #expect(after.status == 0, "\(after.standardError)")
    }

    /// A run folder whose path the system would refuse is refused before any folder is made.
    @Test func aRunFolderPastThePathLimitsLeavesNoFolderBehind() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.tinyTrainConfig()
        let deep = "runs/" + Array(repeating: String(repeating: "b", count: 200), count: 25).joined(separator: "/")
        let tooDeep = try swiftgrad(["run", config, "--run-dir", deep], in: directory.path)
        expectOneLineError(tooDeep)
        #expect(tooDeep.standardError.contains("its path is 5029 bytes, and the paths of the files in it would pass the system's limit of 4096"), "\(tooDeep.standardError)")
        let longName = "runs/" + String(repeating: "n", count: 256)
        let tooLong = try swiftgrad(["run", config, "--run-dir", longName], in: directory.path)
        expectOneLineError(tooLong)
        #expect(tooLong.standardError.contains("is 256 bytes; expected at most 255"), "\(tooLong.standardError)")
        #expect(try directory.contents().sorted() == ["train.json"])
    }

    /// A schedule that blows the rate up at the last step gives finite step losses and final
    /// parameters whose losses are not: the run has diverged, and says so.
    @Test func aRunWhoseFinalLossesAreNotFiniteDiverged() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("blowup.json", """
            {"task": "train", "data": {"source": "digits", "path": "\(repositoryRoot)/datasets/digits.csv"}, "model": {"type": "mlp", "hidden_layers": [16]},
             "optimizer": {"name": "sgd", "learning_rate": 1e-6, "schedule": {"type": "exponential", "decay_steps": 1, "decay_rate": 1e12}},
             "training": {"steps": 3, "batch_size": 64}}
            """)
        let run = try swiftgrad(["run", config, "--report", "r.json"], in: directory.path)
        #expect(run.status == 1)
        #expect(run.standardError.contains("error: training diverged: the final parameters give a "), "\(run.standardError)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory.path + "/r.json"))) as? [String: Any])
        #expect(report["status"] as? String == "diverged")
    }

    /// Without periodic checkpoints, a shorter run of the same config would replace a longer
    /// run's model and best checkpoint with states it never reaches: it is refused.
    @Test func aShorterRunDoesNotReplaceALongerRunsModel() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let base = try String(contentsOfFile: try directory.tinyTrainConfig(), encoding: .utf8)
        let config = try directory.write("best.json", base.replacingOccurrences(
            of: #""seed": 3}"#, with: #""seed": 3}, "checkpoint": {"every_epochs": 0, "keep_best": "train_loss"}"#))
        #expect(try swiftgrad(["run", config, "--epochs", "6", "--run-dir", "runs/b"], in: directory.path).status == 0)
        let model = try Data(contentsOf: URL(fileURLWithPath: directory.path + "/runs/b/model.safetensors"))
        let shorter = try swiftgrad(["run", config, "--epochs", "3", "--run-dir", "runs/b"], in: directory.path)
        expectOneLineError(shorter)
        #expect(shorter.standardError.contains("its model, runs/b/model.safetensors, is a longer run's of this config (step 24, past this run's 12)"), "\(shorter.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.path + "/runs/b/model.safetensors")) == model)
        // As long a run starts over, as before.
        #expect(try swiftgrad(["run", config, "--epochs", "6", "--run-dir", "runs/b"], in: directory.path).status == 0)
    }

    /// Early stopping's record is of the metric it watched: a resume watching another metric, or
    /// a train_* metric over other figures, starts the record afresh and says the bits differ.
    /// A model whose parameters early stopping restored says so, and eval names their epoch:
    /// its position and optimizer state are the last step's.
    @Test func aModelOfRestoredParametersNamesTheirEpoch() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Every evaluation after the first falls short of a minimum improvement of 10⁶.
        let config = try directory.tinyTrainConfig("stop.json", epochs: 5, training: #""early_stopping": {"metric": "train_loss", "patience": 2, "min_delta": 1e6}"#)
        let run = try swiftgrad(["run", config, "--run-dir", "runs/stop"], in: directory.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("restored the parameters of the best evaluation"), "\(run.standardOutput)")
        let evaluated = try swiftgrad(["eval", config, "--checkpoint", "runs/stop/model.safetensors", "--report", "eval.json"], in: directory.path)
        #expect(evaluated.status == 0, "\(evaluated.standardError)")
        #expect(evaluated.standardOutput.contains("(3 epochs, 12 steps; the parameters of its best evaluation, epoch 1, restored by early stopping)"), "\(evaluated.standardOutput)")
        #expect(try directory.read("eval.json").contains(#""restored_best_epoch": 1"#))
        // A checkpoint holds the parameters of its own step, and says nothing of the kind.
        let checkpoint = try swiftgrad(["eval", config, "--checkpoint", "runs/stop/checkpoints/step-000000012.safetensors"], in: directory.path)
        #expect(checkpoint.status == 0 && !checkpoint.standardOutput.contains("restored"), "\(checkpoint.standardOutput)")
    }

    /// A run with `restore_best` false keeps no copy of its best evaluation's parameters. Resumed
    /// with `restore_best` true from the end of its best epoch, the checkpoint's own parameters
    /// are those and the run ends on an uninterrupted run's bits; resumed from later, it says it
    /// cannot put them back, and its model does not claim to hold them.
    @Test func restoringBestParametersAfterAResumeOfARunThatKeptNone() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Every evaluation after the first falls short of a minimum improvement of 10⁶: the runs
        // stop after epoch 3, their best evaluation epoch 1 (4 steps an epoch).
        func config(_ name: String, restoreBest: Bool) throws -> String {
            try directory.tinyTrainConfig(name, epochs: 5, training: #""early_stopping": {"metric": "train_loss", "patience": 2, "min_delta": 1e6, "restore_best": \#(restoreBest)}"#)
        }
        let keeping = try config("keeping.json", restoreBest: false), restoring = try config("restoring.json", restoreBest: true)
        #expect(try swiftgrad(["run", keeping, "--run-dir", "runs/keeping"], in: directory.path).status == 0)
        let uninterrupted = try swiftgrad(["run", restoring, "--run-dir", "runs/restoring"], in: directory.path)
        #expect(uninterrupted.standardOutput.contains("restored the parameters of the best evaluation"), "\(uninterrupted.standardOutput)")
        let expected = try #require(digest(of: uninterrupted), "\(uninterrupted.standardError)")
        let note = "note: the checkpoint's run kept no copy of the parameters of its best evaluation (epoch 1)"

        let fromBest = try swiftgrad(
            ["run", restoring, "--resume", "runs/keeping/checkpoints/step-000000004.safetensors", "--run-dir", "runs/best"], in: directory.path)
        #expect(fromBest.status == 0 && !fromBest.standardError.contains(note), "\(fromBest.standardError)")
        #expect(digest(of: fromBest) == expected, "\(fromBest.standardOutput)")

        let fromLater = try swiftgrad(
            ["run", restoring, "--resume", "runs/keeping/checkpoints/step-000000008.safetensors", "--run-dir", "runs/later"], in: directory.path)
        #expect(fromLater.status == 0 && fromLater.standardError.contains(note), "\(fromLater.standardError)")
        #expect(!fromLater.standardOutput.contains("restored the parameters"), "\(fromLater.standardOutput)")
        let evaluated = try swiftgrad(["eval", restoring, "--checkpoint", "runs/later/model.safetensors"], in: directory.path)
        #expect(evaluated.status == 0 && !evaluated.standardOutput.contains("restored"), "\(evaluated.standardOutput)")
    }

    /// A resume may lower early stopping's patience. From a state at the evaluation where the
    /// lower patience runs out, the run stops there, as an uninterrupted run does; from a state
    /// past it, the run says that it stops later than an uninterrupted run would have.
    @Test func aLowerPatienceThanTheRecordSaysTheRunStopsLate() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Every evaluation after the first falls short of a minimum improvement of 10⁶ (4 steps an epoch).
        func config(_ name: String, patience: Int) throws -> String {
            try directory.tinyTrainConfig(name, epochs: 6, training: #""early_stopping": {"metric": "train_loss", "patience": \#(patience), "min_delta": 1e6, "restore_best": false}"#)
        }
        let patient = try config("patient.json", patience: 4), impatient = try config("impatient.json", patience: 2)
        #expect(try swiftgrad(["run", patient, "--run-dir", "runs/patient"], in: directory.path).status == 0)
        let uninterrupted = try swiftgrad(["run", impatient, "--run-dir", "runs/impatient"], in: directory.path)
        let expected = try #require(digest(of: uninterrupted), "\(uninterrupted.standardError)")
        let note = "past where this run's patience of 2 stops; this run stops here, later than an uninterrupted run of this config"

        // Epoch 3's evaluation is the second without improvement: the lower patience stops there.
        let atStop = try swiftgrad(
            ["run", impatient, "--resume", "runs/patient/checkpoints/step-000000012.safetensors", "--run-dir", "runs/at"], in: directory.path)
        #expect(atStop.status == 0 && !atStop.standardError.contains(note), "\(atStop.standardError)")
        #expect(digest(of: atStop) == expected)
        let past = try swiftgrad(
            ["run", impatient, "--resume", "runs/patient/checkpoints/step-000000016.safetensors", "--run-dir", "runs/past"], in: directory.path)
        #expect(past.status == 0 && past.standardError.contains("note: the checkpoint's run had gone 3 evaluations without improvement, " + note), "\(past.standardError)")
    }

    /// Which evaluations improve depends on early stopping's `min_delta`: a resume with another
    /// than the checkpoint's record was kept with says the bits may differ; the same, or only
    /// another patience, says nothing of it.
    @Test func anotherMinDeltaThanTheRecordsSaysTheBitsMayDiffer() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        func config(_ name: String, patience: Int, minDelta: String) throws -> String {
            try directory.tinyTrainConfig(name, epochs: 6, training: #""early_stopping": {"metric": "train_loss", "patience": \#(patience), "min_delta": \#(minDelta)}"#)
        }
        let first = try config("first.json", patience: 10, minDelta: "0")
        #expect(try swiftgrad(["run", first, "--run-dir", "runs/first"], in: directory.path).status == 0)
        let checkpoint = "runs/first/checkpoints/step-000000016.safetensors"
        let note = "note: the checkpoint's early-stopping record was kept with min_delta 0.0 and this run's is 1000000.0"
        let other = try swiftgrad(["run", try config("other.json", patience: 2, minDelta: "1e6"), "--resume", checkpoint, "--run-dir", "runs/other"], in: directory.path)
        #expect(other.status == 0 && other.standardError.contains(note), "\(other.standardError)")
        let same = try swiftgrad(["run", try config("same.json", patience: 3, minDelta: "0.0"), "--resume", checkpoint, "--run-dir", "runs/same"], in: directory.path)
        #expect(same.status == 0 && !same.standardError.contains("min_delta"), "\(same.standardError)")
    }

    /// best.safetensors is the best evaluation by what `checkpoint.keep_best` says: a resume that
    /// keeps it by another metric (or a train_* metric over other figures) knows only its own
    /// evaluations, and says so; by the same, it says nothing.
    @Test func anotherKeepBestThanTheCheckpointsSaysSo() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let base = try String(contentsOfFile: try directory.tinyTrainConfig(), encoding: .utf8)
        func config(_ name: String, keepBest: String, trainMetrics: String = "training_batches") throws -> String {
            try directory.write(name, base.replacingOccurrences(
                of: #""seed": 3}"#,
                with: #""seed": 3, "epochs": 4, "train_metrics": "\#(trainMetrics)"}, "checkpoint": {"keep_best": "\#(keepBest)"}"#)
                .replacingOccurrences(of: #""epochs": 2, "#, with: ""))
        }
        #expect(try swiftgrad(["run", try config("loss.json", keepBest: "train_loss"), "--run-dir", "runs/loss"], in: directory.path).status == 0)
        let checkpoint = "runs/loss/checkpoints/step-000000008.safetensors"
        func resumed(_ config: String, _ folder: String) throws -> Run {
            try swiftgrad(["run", config, "--resume", checkpoint, "--run-dir", folder], in: directory.path)
        }
        let accuracy = try resumed(try config("accuracy.json", keepBest: "train_accuracy"), "runs/accuracy")
        #expect(accuracy.status == 0, "\(accuracy.standardError)")
        #expect(accuracy.standardError.contains(
            "note: checkpoint.keep_best keeps best.safetensors by train_accuracy over training_batches in this run and by train_loss over training_batches in the checkpoint's"),
                "\(accuracy.standardError)")
        let pass = try resumed(try config("pass.json", keepBest: "train_loss", trainMetrics: "evaluation_pass"), "runs/pass")
        #expect(pass.status == 0 && pass.standardError.contains("keeps best.safetensors by train_loss over evaluation_pass in this run"), "\(pass.standardError)")
        let same = try resumed(try config("same.json", keepBest: "train_loss"), "runs/same")
        #expect(same.status == 0 && !same.standardError.contains("keep_best"), "\(same.standardError)")
    }

    /// Early stopping counts evaluations: a resume that evaluates every other number of epochs
    /// than the checkpoint's run says the bits may differ; with the same, it says nothing.
    @Test func anotherEvaluateEveryWithEarlyStoppingSaysTheBitsMayDiffer() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        func config(_ name: String, every: Int) throws -> String {
            try directory.tinyTrainConfig(name, epochs: 4, training: #""evaluate_every": \#(every), "early_stopping": {"metric": "train_loss", "patience": 10}"#)
        }
        #expect(try swiftgrad(["run", try config("one.json", every: 1), "--run-dir", "runs/one"], in: directory.path).status == 0)
        let checkpoint = "runs/one/checkpoints/step-000000008.safetensors"
        let two = try swiftgrad(["run", try config("two.json", every: 2), "--resume", checkpoint, "--run-dir", "runs/two"], in: directory.path)
        #expect(two.status == 0 && two.standardError.contains(
            "note: the checkpoint's run evaluated every 1 epoch and this one every 2 epochs (training.evaluate_every)"), "\(two.standardError)")
        let same = try swiftgrad(["run", try config("same.json", every: 1), "--resume", checkpoint, "--run-dir", "runs/same"], in: directory.path)
        #expect(same.status == 0 && !same.standardError.contains("evaluate_every"), "\(same.standardError)")
    }

    /// A model of restored parameters holds the best evaluation's parameters with the last step's
    /// position and optimizer state: a run that trains on from it, early stopping now more
    /// patient, says that its bits differ from an uninterrupted run's, which the run's last
    /// periodic checkpoint continues.
    @Test func trainingOnFromRestoredParametersSaysItsBitsDiffer() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        func config(_ name: String, patience: Int) throws -> String {
            try directory.tinyTrainConfig(name, epochs: 5, training: #""early_stopping": {"metric": "train_loss", "patience": \#(patience), "min_delta": 1e6}"#)
        }
        let stopping = try config("stop.json", patience: 2), patient = try config("patient.json", patience: 10)
        let stopped = try swiftgrad(["run", stopping, "--run-dir", "runs/stop"], in: directory.path)
        #expect(stopped.status == 0 && stopped.standardOutput.contains("restored the parameters of the best evaluation"), "\(stopped.standardOutput)")
        let uninterrupted = try swiftgrad(["run", patient, "--run-dir", "runs/patient"], in: directory.path)
        let expected = try #require(digest(of: uninterrupted), "\(uninterrupted.standardError)")
        let note = "holds the parameters early stopping restored (the best evaluation's) with the last step's position and optimizer state, so the bits from here on differ"

        let fromModel = try swiftgrad(["run", patient, "--resume", "runs/stop/model.safetensors", "--run-dir", "runs/model"], in: directory.path)
        #expect(fromModel.status == 0, "\(fromModel.standardError)")
        #expect(fromModel.standardError.contains("note: runs/stop/model.safetensors " + note), "\(fromModel.standardError)")
        #expect(digest(of: fromModel) != expected)
        // The periodic checkpoint of the same step continues the run to an uninterrupted run's bits.
        let fromCheckpoint = try swiftgrad(
            ["run", patient, "--resume", "runs/stop/checkpoints/step-000000012.safetensors", "--run-dir", "runs/checkpoint"], in: directory.path)
        #expect(fromCheckpoint.status == 0 && !fromCheckpoint.standardError.contains(note), "\(fromCheckpoint.standardError)")
        #expect(digest(of: fromCheckpoint) == expected)
        // With the stopping config nothing is left to train: the model is the run's, as it was.
        let again = try swiftgrad(["run", stopping, "--resume", "runs/stop/model.safetensors", "--run-dir", "runs/again"], in: directory.path)
        #expect(again.status == 0 && !again.standardError.contains(note), "\(again.standardError)")
    }

    @Test func aResumeWatchingSomethingElseStartsEarlyStoppingAfresh() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let base = try String(contentsOfFile: try directory.tinyTrainConfig(), encoding: .utf8)
        func config(_ name: String, _ stopping: String) throws -> String {
            try directory.write(name, base.replacingOccurrences(of: #""seed": 3}"#, with: #""seed": 3, "early_stopping": \#(stopping)}"#))
        }
        let loss = try config("loss.json", #"{"metric": "train_loss", "patience": 50}"#)
        #expect(try swiftgrad(["run", loss, "--epochs", "2", "--run-dir", "runs/es"], in: directory.path).status == 0)
        let same = try swiftgrad(["run", loss, "--epochs", "3", "--run-dir", "runs/es", "--resume", "latest"], in: directory.path)
        #expect(same.status == 0 && !same.standardError.contains("early stopping watched"), "\(same.standardError)")
        let accuracy = try config("accuracy.json", #"{"metric": "train_accuracy", "patience": 50}"#)
        let other = try swiftgrad(["run", accuracy, "--epochs", "4", "--run-dir", "runs/es", "--resume", "latest"], in: directory.path)
        #expect(other.status == 0, "\(other.standardError)")
        #expect(other.standardError.contains("note: early stopping watched train_loss over training_batches in the checkpoint's run and watches train_accuracy over training_batches in this one, so its record starts afresh here"), "\(other.standardError)")
        #expect(!other.standardError.contains("ends where an uninterrupted run"), "\(other.standardError)")
        let overPass = try directory.write("pass.json", base.replacingOccurrences(
            of: #""seed": 3}"#, with: #""seed": 3, "train_metrics": "evaluation_pass", "early_stopping": {"metric": "train_accuracy", "patience": 50}}"#))
        let pass = try swiftgrad(["run", overPass, "--epochs", "5", "--run-dir", "runs/es", "--resume", "latest"], in: directory.path)
        #expect(pass.standardError.contains("watched train_accuracy over training_batches in the checkpoint's run and watches train_accuracy over evaluation_pass"), "\(pass.standardOutput) \(pass.standardError)")
    }

    /// When only the epochs differ, a resume goes on to the new length and ends with the bits
    /// of an uninterrupted run of that length (or stops short of the checkpoint's); a cosine
    /// schedule spanning the run refuses it, and eval takes the checkpoint either way.
    @Test func aResumeMayChangeTheEpochsUnlessTheScheduleSpansTheRun() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.tinyTrainConfig()
        let whole = try swiftgrad(["run", config, "--epochs", "3", "--run-dir", "runs/whole"], in: directory.path)
        #expect(whole.status == 0, "\(whole.standardError)")
        let short = try swiftgrad(["run", config, "--epochs", "1"], in: directory.path)
        #expect(short.status == 0, "\(short.standardError)")
        let extended = try swiftgrad(["run", config, "--epochs", "3", "--resume", "latest"], in: directory.path)
        #expect(extended.status == 0, "\(extended.standardError)")
        #expect(extended.standardError.contains("is a state of this config's run of 1 epoch; this run goes on to 3 and ends where an uninterrupted run of 3 epochs does"), "\(extended.standardError)")
        #expect(digest(of: extended) != nil && digest(of: extended) == digest(of: whole))
        // Its checkpoints are this run's: a later resume at the new length takes them as they are.
        let again = try swiftgrad(["run", config, "--epochs", "3", "--resume", "latest"], in: directory.path)
        #expect(again.status == 0 && digest(of: again) == digest(of: whole), "\(again.standardError)")
        #expect(!again.standardError.contains("is a state of this config"))
        // A shorter run from a longer one's mid-run state ends as a fresh short run.
        let fromMiddle = try swiftgrad(
            ["run", config, "--epochs", "2", "--resume", directory.path + "/runs/whole/checkpoints/step-000000004.safetensors", "--run-dir", "runs/two"],
            in: directory.path)
        let two = try swiftgrad(["run", config, "--epochs", "2", "--run-dir", "runs/fresh-two"], in: directory.path)
        #expect(fromMiddle.status == 0 && digest(of: fromMiddle) == digest(of: two), "\(fromMiddle.standardError)")
        // In the other precision no uninterrupted run has its bits, and the notes do not say otherwise.
        let otherPrecision = try swiftgrad(
            ["run", config, "--epochs", "2", "--precision", "bf16", "--resume", directory.path + "/runs/whole/checkpoints/step-000000004.safetensors", "--run-dir", "runs/two-bf16"],
            in: directory.path)
        #expect(otherPrecision.status == 0, "\(otherPrecision.standardError)")
        #expect(otherPrecision.standardError.contains("is a state of this config's run of 3 epochs; this run goes on to 2\n"), "\(otherPrecision.standardError)")
        #expect(otherPrecision.standardError.contains("the bits from here on differ from an uninterrupted run in either precision"))
        // Its checkpoints remember it: going on in bf16, a longer run claims no uninterrupted run's end.
        let departed = "step 4: resumed with bf16 matrix products from a float32 checkpoint"
        for file in ["checkpoints/step-000000008.safetensors", "model.safetensors"] {
            let metadata = try safeTensorsMetadata(directory.path + "/runs/two-bf16/" + file)
            #expect(metadata["departed_at"] == departed, "\(file): \(metadata)")
        }
        let onInBF16 = try swiftgrad(
            ["run", config, "--epochs", "3", "--precision", "bf16", "--resume", directory.path + "/runs/two-bf16/checkpoints/step-000000008.safetensors",
             "--run-dir", "runs/three-bf16"],
            in: directory.path)
        #expect(onInBF16.status == 0, "\(onInBF16.standardError)")
        #expect(onInBF16.standardError.contains(
            "is a state of this config's run of 2 epochs; this run goes on to 3; the checkpoint's bits already differ from an uninterrupted run's (from \(departed))"),
            "\(onInBF16.standardError)")
        #expect(!onInBF16.standardError.contains("ends where an uninterrupted run"), "\(onInBF16.standardError)")
        #expect(try safeTensorsMetadata(directory.path + "/runs/three-bf16/model.safetensors")["departed_at"] == departed)
        // A run no resume took off course records nothing.
        #expect(try safeTensorsMetadata(directory.path + "/runs/whole/model.safetensors")["departed_at"] == nil)
        let five = try directory.write("five.json", String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: #""epochs": 2"#, with: #""epochs": 5"#))
        let evaluated = try swiftgrad(["eval", five, "--checkpoint", directory.path + "/runs/whole/model.safetensors"], in: directory.path)
        #expect(evaluated.status == 0, "\(evaluated.standardError)")
        // Another seed too: the checkpoint's, which --seed may have given, splits the data.
        let reseeded = try directory.write("reseeded.json", String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: #""seed": 3"#, with: #""seed": 9"#))
        let evaluatedReseeded = try swiftgrad(["eval", reseeded, "--checkpoint", directory.path + "/runs/whole/model.safetensors"], in: directory.path)
        #expect(evaluatedReseeded.status == 0 && evaluatedReseeded.standardOutput == evaluated.standardOutput, "\(evaluatedReseeded.standardError)")

        let cosine = try directory.write("cosine.json", """
            {
              "task": "train",
              "data": {"source": "synthetic", "examples": 256, "features": 32, "classes": 4},
              "model": {"type": "mlp", "hidden_layers": [16]},
              "optimizer": {"name": "adam", "schedule": {"type": "cosine"}},
              "training": {"epochs": 1, "batch_size": 64, "micro_shards": 4, "seed": 3}
            }
            """)
        #expect(try swiftgrad(["run", cosine, "--run-dir", "runs/cosine"], in: directory.path).status == 0)
        let refused = try swiftgrad(["run", cosine, "--epochs", "2", "--run-dir", "runs/cosine", "--resume", "latest"], in: directory.path)
        expectOneLineError(refused)
        #expect(refused.standardError.contains("it was trained for 1 epoch and this run trains 2 (training.epochs, or --epochs); the cosine schedule without decay_steps decays over the run's length"), "\(refused.standardError)")
        // A fresh run of the other length does not take that run's checkpoints for its own.
        let fresh = try swiftgrad(["run", cosine, "--epochs", "2", "--run-dir", "runs/cosine"], in: directory.path)
        expectOneLineError(fresh)
        #expect(fresh.standardError.contains("it holds the checkpoints of another run"), "\(fresh.standardError)")

        // A run evaluating every 2 epochs evaluates its last, the 3rd, too: a 6-epoch run does
        // not, and its early stopping would not see that evaluation.
        let sparse = try directory.write("sparse.json", String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(
            of: #""seed": 3}"#, with: #""seed": 3, "evaluate_every": 2, "early_stopping": {"metric": "train_loss", "patience": 100}}"#))
        #expect(try swiftgrad(["run", sparse, "--epochs", "3", "--run-dir", "runs/sparse"], in: directory.path).status == 0)
        let offCadence = try swiftgrad(["run", sparse, "--epochs", "6", "--run-dir", "runs/sparse", "--resume", "latest"], in: directory.path)
        expectOneLineError(offCadence)
        #expect(offCadence.standardError.contains("that run evaluated its last epoch, 3, which a run of 6 evaluating every 2 epochs does not, and early stopping would see the difference"), "\(offCadence.standardError)")
        #expect(!offCadence.standardOutput.contains("resumed from"), "\(offCadence.standardOutput)")
        // The other way: a 5-epoch run did not evaluate epoch 3, which a 3-epoch run does.
        #expect(try swiftgrad(["run", sparse, "--epochs", "5", "--run-dir", "runs/five"], in: directory.path).status == 0)
        let shorter = try swiftgrad(
            ["run", sparse, "--epochs", "3", "--run-dir", "runs/three", "--resume", directory.path + "/runs/five/checkpoints/step-000000012.safetensors"],
            in: directory.path)
        expectOneLineError(shorter)
        #expect(shorter.standardError.contains("this run evaluates its last epoch, 3, which that run, evaluating every 2 epochs, did not"), "\(shorter.standardError)")
        // On the cadence, the state is the longer run's.
        #expect(try swiftgrad(["run", sparse, "--epochs", "4", "--run-dir", "runs/even"], in: directory.path).status == 0)
        let even = try swiftgrad(["run", sparse, "--epochs", "6", "--run-dir", "runs/even", "--resume", "latest"], in: directory.path)
        let six = try swiftgrad(["run", sparse, "--epochs", "6", "--run-dir", "runs/six"], in: directory.path)
        #expect(even.status == 0 && digest(of: even) == digest(of: six), "\(even.standardError)")
    }

    @Test func aDamagedCheckpointIsOneLineNamingTheFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("kill.json", Self.config.replacingOccurrences(of: "\"epochs\": 16", with: "\"epochs\": 1"))
        #expect(try swiftgrad("run", config, in: directory.path).status == 0)
        // A copy: the run refuses to resume from the model it saves at its end.
        let path = directory.path + "/copy.safetensors"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory.path + "/runs/kill/model.safetensors")))
        bytes[bytes.count - 3] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let damaged = try swiftgrad("run", config, "--resume", path, in: directory.path)
        expectOneLineError(damaged)
        #expect(damaged.standardError.contains(path) && damaged.standardError.contains("checksum"), "\(damaged.standardError)")

        try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: path))
        let truncated = try swiftgrad("run", config, "--resume", path, in: directory.path)
        expectOneLineError(truncated)
        #expect(truncated.standardError.contains("truncated"), "\(truncated.standardError)")

        // The newest of the run's checkpoints damaged past its header: --resume latest names the
        // one before it, and resuming from that one goes on, computing the newest again.
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/runs/kill/checkpoints").filter { $0.hasPrefix("step-") }.sorted()
        try #require(names.count == 2, "\(names)")
        let newest = URL(fileURLWithPath: directory.path + "/runs/kill/checkpoints/" + names[1])
        var newestBytes = try [UInt8](Data(contentsOf: newest))
        newestBytes[newestBytes.count - 3] ^= 0xFF
        try FileManager.default.removeItem(at: newest)
        try Data(newestBytes).write(to: newest)
        let flipped = try swiftgrad("run", config, "--resume", "latest", in: directory.path)
        expectOneLineError(flipped)
        #expect(flipped.standardError.contains("; the checkpoint before it is 'runs/kill/checkpoints/\(names[0])': resume from it with --resume 'runs/kill/checkpoints/\(names[0])'"), "\(flipped.standardError)")
        let advised = try swiftgrad("run", config, "--resume", "runs/kill/checkpoints/\(names[0])", in: directory.path)
        #expect(advised.status == 0, "\(advised.standardError)")

        // Torn within its header: the same advice, and that resume says to move the torn file
        // aside, which cannot be told to be this run's.
        try FileManager.default.removeItem(at: newest)
        try Data(bytes.prefix(100)).write(to: newest)
        let torn = try swiftgrad("run", config, "--resume", "latest", in: directory.path)
        expectOneLineError(torn)
        #expect(torn.standardError.contains("; the checkpoint before it is 'runs/kill/checkpoints/\(names[0])': resume from it with --resume 'runs/kill/checkpoints/\(names[0])'"), "\(torn.standardError)")
        let tornAdvised = try swiftgrad("run", config, "--resume", "runs/kill/checkpoints/\(names[0])", in: directory.path)
        expectOneLineError(tornAdvised)
        #expect(tornAdvised.standardError.contains("its checkpoint runs/kill/checkpoints/\(names[1]) cannot be read") && tornAdvised.standardError.contains("move it out of 'runs/kill'"), "\(tornAdvised.standardError)")

        let other = try directory.write("other.json", Self.config.replacingOccurrences(of: "\"seed\": 5", with: "\"seed\": 6").replacingOccurrences(of: "\"epochs\": 16", with: "\"epochs\": 1"))
        #expect(try swiftgrad("run", other, "--run-dir", "runs/other", in: directory.path).status == 0)
        let mismatch = try swiftgrad("run", config, "--resume", directory.path + "/runs/other/model.safetensors", in: directory.path)
        expectOneLineError(mismatch)
        #expect(mismatch.standardError.contains("trains differently") || mismatch.standardError.contains("other data"), "\(mismatch.standardError)")
    }

    /// A run folder whose model or best checkpoint has a header length with its top bit set (a
    /// damaged or random file): the length is an error, never a trap. A damaged model, which
    /// the run writes anew, is read for no step and the run goes on; a damaged best checkpoint
    /// may not be this run's, so the run stops, naming it, rather than removing it, and so does
    /// `--resume latest`.
    @Test func aRunFoldersModelWithAHeaderLengthPastIntMaxIsSkippedNotATrap() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("kill.json", Self.config
            .replacingOccurrences(of: "\"epochs\": 16", with: "\"epochs\": 1")
            .replacingOccurrences(of: #""keep_last": 2"#, with: #""keep_last": 2, "keep_best": "train_loss""#))
        #expect(try swiftgrad("run", config, in: directory.path).status == 0)
        /// Gives the run folder's `name` a header length of 2⁶⁴ − 1, written anew: the model is a
        /// second name of the last checkpoint, which stays whole.
        func damage(_ name: String) throws {
            let url = URL(fileURLWithPath: directory.path + "/runs/kill/" + name)
            let bytes = try [UInt8](Data(contentsOf: url))
            try FileManager.default.removeItem(at: url)
            try Data([UInt8](repeating: 0xFF, count: 8) + bytes.dropFirst(8)).write(to: url)
        }
        try damage("model.safetensors")
        let again = try swiftgrad("run", config, "--quiet", in: directory.path)
        #expect(again.status == 0, "\(again.standardError)")
        #expect(!again.standardError.contains("overflow"), "\(again.standardError)")

        try damage("best.safetensors")
        for arguments in [["run", config, "--quiet"], ["run", config, "--quiet", "--resume", "latest"]] {
            let refused = try swiftgrad(arguments, in: directory.path)
            expectOneLineError(refused)
            #expect(refused.standardError.contains("its checkpoint runs/kill/best.safetensors cannot be read"), "\(refused.standardError)")
            #expect(!refused.standardError.contains("overflow"), "\(refused.standardError)")
        }
        #expect(directory.exists("runs/kill/best.safetensors"))
    }

    @Test func aDivergingRunExitsNonZeroWithStatusDiverged() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("diverge.json", """
            {
              "task": "train",
              "data": {"source": "synthetic", "examples": 256, "features": 8, "classes": 3},
              "model": {"type": "mlp", "hidden_layers": [16]},
              "optimizer": {"name": "sgd", "learning_rate": 1e38},
              "training": {"epochs": 5, "batch_size": 32}
            }
            """)
        let run = try swiftgrad("run", config, "--report", directory.path + "/report.json", in: directory.path)
        #expect(run.status == 1)
        #expect(run.standardError.contains("training diverged at step"), "\(run.standardError)")
        let report = try directory.read("report.json")
        #expect(report.contains(#""status": "diverged""#), "\(report)")
        // It diverged before its first evaluation: the report's figures are a fresh pass.
        #expect(report.contains(#""train_metrics": "evaluation_pass""#), "\(report)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/runs/diverge/model.safetensors"))
    }
}
