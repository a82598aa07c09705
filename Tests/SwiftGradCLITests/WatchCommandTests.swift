import Foundation
import Testing
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Watching a training run from the command line: its progress on a terminal and off one,
/// `--quiet` and `--verbose`, `swiftgrad plot`, and metrics that survive a killed run.
@Suite struct WatchCommandTests {
    /// `script` from util-linux, which runs a command on a pseudo-terminal.
    private static let script = ["/usr/bin/script", "/bin/script"].first { FileManager.default.isExecutableFile(atPath: $0) }

    private func executable() throws -> String {
        // The same lookup `swiftgrad(_:in:)` uses: beside the test bundle.
        let candidates = Bundle.allBundles.map(\.bundleURL).filter { $0.pathExtension == "xctest" }.map { $0.deletingLastPathComponent() }
            + [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        let found = candidates.map { $0.appendingPathComponent("swiftgrad").path }.first { FileManager.default.isExecutableFile(atPath: $0) }
        return try #require(found)
    }

    @Test(.enabled(if: script != nil, "no `script` (util-linux) to run swiftgrad on a pseudo-terminal"))
    func onATerminalEachEpochIsOneLineRedrawnInPlace() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.tinyTrainConfig()
        let command = "'\(try executable())' run '\(config)'"
        let result = try runProcess(Self.script!, ["-qfec", command, "/dev/null"], in: directory.path)
        #expect(result.status == 0, "\(result.output)\(result.error)")
        let output = result.output
        // Each epoch's line is drawn with a carriage return and clear-to-end, then replaced by
        // the epoch's finished line.
        for epoch in 1...2 {
            #expect(output.contains("\r\u{1B}[Kepoch \(epoch)/2 ["), "\(output.debugDescription)")
            #expect(output.contains("\r\u{1B}[Kepoch \(epoch)/2: loss "), "\(output.debugDescription)")
        }
        // `script` gives its terminal 80 columns: the bar and the throughput fit with short labels.
        #expect(output.contains("] 1/4 - loss "), "\(output.debugDescription)")
        #expect(output.contains(" - acc ") && output.contains("/s - ETA "), "\(output.debugDescription)")
        #expect(output.contains("trained 8 steps in "))
    }

    @Test func offATerminalProgressIsPlainLinesWithoutControlCharacters() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let run = try swiftgrad(["run", try directory.tinyTrainConfig(), "--progress-every", "0"], in: directory.path)
        #expect(run.status == 0, "\(run.standardError)")
        let bad = run.standardOutput.utf8.filter { $0 < 0x20 && $0 != UInt8(ascii: "\n") }
        #expect(bad.isEmpty, "control characters \(bad) in \(run.standardOutput.debugDescription)")
        let lines = run.standardOutput.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("epoch 1/2 step 1/4 - loss ") && $0.contains(" samples/s - ETA ") })
        #expect(lines.contains { $0.hasPrefix("epoch 2/2: loss ") })
    }

    @Test func quietPrintsOnlyTheResultLineAndVerboseOneLinePerStep() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.tinyTrainConfig()
        let quiet = try swiftgrad(["run", config, "--quiet"], in: directory.path)
        #expect(quiet.status == 0, "\(quiet.standardError)")
        let lines = quiet.standardOutput.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("trained 8 steps in "), "\(quiet.standardOutput)")

        let verbose = try swiftgrad(["run", config, "--verbose"], in: directory.path)
        let steps = verbose.standardOutput.split(separator: "\n").filter { $0.hasPrefix("step ") }
        #expect(steps.count == 8, "\(verbose.standardOutput)")
        #expect(steps.first?.hasPrefix("step 1 (epoch 1, 1/4): loss ") == true)
        // Each epoch's last step comes before that epoch's evaluation line.
        let verboseLines = verbose.standardOutput.split(separator: "\n")
        let lastStep = try #require(verboseLines.firstIndex { $0.hasPrefix("step 4 (epoch 1, 4/4)") })
        let evaluationLine = try #require(verboseLines.firstIndex { $0.hasPrefix("epoch 1/2: ") })
        #expect(lastStep < evaluationLine, "\(verbose.standardOutput)")

        let both = try swiftgrad(["run", config, "--quiet", "--verbose"], in: directory.path)
        #expect(both.status == 64)
        #expect(both.standardError.contains("--quiet and --verbose cannot be used together"))
    }

    @Test func plotDrawsSeveralRunsOnOneFigure() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.tinyTrainConfig()
        for (name, seed) in [("adam", "1"), ("other", "2")] {
            let run = try swiftgrad(["run", config, "--quiet", "--run-dir", "runs/\(name)", "--seed", seed], in: directory.path)
            #expect(run.status == 0, "\(run.standardError)")
        }
        let plot = try swiftgrad(["plot", "runs/adam", "runs/other", "--output", "both.svg"], in: directory.path)
        #expect(plot.status == 0, "\(plot.standardError)")
        #expect(plot.standardOutput == "wrote both.svg: 4 evaluations of 2 runs\n")
        let svg = try directory.read("both.svg")
        for label in ["adam train steps", "adam train", "other train steps", "other train", ">loss<", ">accuracy<"] {
            #expect(svg.contains(label), "\(label)")
        }
        // A folder given twice, by any spelling, is refused; two folders of one name are
        // told apart by their paths.
        let twice = try swiftgrad(["plot", "runs/adam", "./runs/../runs/adam/", "--output", "twice.svg"], in: directory.path)
        expectOneLineError(twice)
        #expect(twice.standardError == "error: 'runs/adam' and './runs/../runs/adam/' are the same run folder; name each run once\n")
        try FileManager.default.createDirectory(atPath: directory.path + "/elsewhere", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: directory.path + "/runs/other", toPath: directory.path + "/elsewhere/adam")
        let namesakes = try swiftgrad(["plot", "runs/adam", "elsewhere/adam", "--output", "namesakes.svg"], in: directory.path)
        #expect(namesakes.status == 0, "\(namesakes.standardError)")
        let drawn = try directory.read("namesakes.svg")
        #expect(drawn.contains("runs/adam train") && drawn.contains("elsewhere/adam train"))
        let one = try swiftgrad(["plot", "runs/adam", "runs/other", "--metric", "train_accuracy", "--output", "one.svg"], in: directory.path)
        #expect(one.status == 0, "\(one.standardError)")
        #expect(try directory.read("one.svg").contains(">train_accuracy</text>"))

        let missing = try swiftgrad(["plot", "runs/none"], in: directory.path)
        expectOneLineError(missing)
        #expect(missing.standardError.contains("'runs/none' has no metrics.jsonl"))
        let badMetric = try swiftgrad(["plot", "runs/adam", "--metric", "loss"], in: directory.path)
        #expect(badMetric.status == 64)
        #expect(badMetric.standardError.contains("--metric must be one of train_loss, train_accuracy, test_loss, test_accuracy, got 'loss'"))

        // A last line cut short by a kill is left out; any other line that is not a record is
        // an error naming it, not a figure of fewer evaluations.
        let metrics = directory.path + "/runs/adam/metrics.jsonl"
        let whole = try directory.read("runs/adam/metrics.jsonl")
        try (whole + #"{"type": "evalu"#).write(toFile: metrics, atomically: true, encoding: .utf8)
        let cut = try swiftgrad(["plot", "runs/adam", "--output", "cut.svg"], in: directory.path)
        #expect(cut.standardOutput == "wrote cut.svg: 2 evaluations of 1 run\n", "\(cut.standardError)")
        let lines = whole.split(separator: "\n").map(String.init)
        try (lines.prefix(2) + ["hello"] + lines.dropFirst(2)).map { $0 + "\n" }.joined().write(toFile: metrics, atomically: true, encoding: .utf8)
        let garbled = try swiftgrad(["plot", "runs/adam", "--output", "garbled.svg"], in: directory.path)
        expectOneLineError(garbled)
        #expect(garbled.standardError.hasPrefix("error: runs/adam/metrics.jsonl:3:1: "), "\(garbled.standardError)")
        #expect(!directory.exists("garbled.svg"))
    }

    /// A run killed at a random moment, then resumed, leaves the metrics an uninterrupted run
    /// leaves, apart from wall times and throughput.
    @Test func aKilledRunsMetricsResumeToAnUninterruptedRunsMetrics() throws {
        let config = """
            {
              "task": "train",
              "data": {"source": "synthetic", "examples": 2048, "features": 64, "classes": 10},
              "model": {"type": "mlp", "hidden_layers": [64]},
              "training": {"epochs": 8, "batch_size": 64, "micro_shards": 2, "seed": 5, "workers": 2},
              "checkpoint": {"every_steps": 7, "keep_last": 2}
            }
            """
        let reference = try TemporaryDirectory()
        defer { reference.remove() }
        let uninterrupted = try swiftgrad("run", try reference.write("kill.json", config), "--quiet", in: reference.path)
        #expect(uninterrupted.status == 0, "\(uninterrupted.standardError)")

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("kill.json", config)
        let process = try startSwiftgrad(["run", path], in: directory.path)
        for _ in 0..<400 where !directory.exists("runs/kill/checkpoints/step-000000007.safetensors") { usleep(10_000) }
        let delay = Int.random(in: 0...300)
        usleep(useconds_t(delay * 1000))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let resumed = try swiftgrad("run", path, "--resume", "latest", "--quiet", in: directory.path)
        #expect(resumed.status == 0, "\(resumed.standardError)")

        func untimed(_ directory: TemporaryDirectory) throws -> [String] {
            try directory.read("runs/kill/metrics.jsonl").split(separator: "\n").map { line in
                line.split(separator: ", ").filter { !$0.hasPrefix("\"wall_time\"") && !$0.hasPrefix("\"samples_per_second\"") }
                    .joined(separator: ", ")
            }
        }
        let expected = try untimed(reference)
        #expect(expected.count == 8 * 32 + 8)
        #expect(try untimed(directory) == expected, "killed \(delay) ms after the first checkpoint")
        #expect(try directory.read("runs/kill/metrics.svg") == reference.read("runs/kill/metrics.svg"))
    }

    /// A run's first checkpoint draws `metrics.svg`, so a run killed after it has its figure;
    /// later checkpoints redraw it at most every 10 s.
    @Test func theFirstCheckpointDrawsTheCurves() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("long.json", """
            {
              "task": "train",
              "data": {"source": "synthetic", "examples": 20000, "features": 32, "classes": 4, "test_fraction": 0.1},
              "model": {"type": "mlp", "hidden_layers": [32]},
              "training": {"epochs": 40, "batch_size": 16, "micro_shards": 1, "seed": 3},
              "checkpoint": {"every_steps": 10}
            }
            """)
        let process = try startSwiftgrad(["run", path, "--quiet"], in: directory.path)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
        for _ in 0..<500 where !directory.exists("runs/long/metrics.svg") && process.isRunning { usleep(10_000) }
        #expect(process.isRunning, "the run ended before its figure was drawn")
        #expect(directory.exists("runs/long/metrics.svg"), "no figure 5 s into the run")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let svg = try directory.read("runs/long/metrics.svg")
        #expect(SVGGeometry(svg) != nil && svg.contains(">train steps</text>"), "\(svg.prefix(400))")
    }
}
