import Foundation
import _TestSupport
import Testing

/// No command writes over what it reads (its config, data, checkpoint, metrics), over another of
/// its outputs, or over a file its training run writes in the run folder: each is refused before
/// any work, with one `error: …` line naming the path and why, and the file stays as it was.
@Suite struct OutputSafetyCommandTests {
    /// A directory with a two-class CSV `data.csv`, a config `train.json` on it, and that
    /// config's run folder `pe` (its model, metrics and checkpoints).
    private func trainedRun() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        var rows = ["a,b,label"]
        for index in 0..<40 { rows.append("\(index % 5),\(Double(index % 3) / 2),\(index % 2)") }
        try directory.write("data.csv", rows.joined(separator: "\n") + "\n")
        try directory.write("train.json", """
            {"task": "train", "data": {"source": "csv", "path": "data.csv"},
             "model": {"type": "mlp", "hidden_layers": [4]},
             "training": {"epochs": 2, "batch_size": 10, "seed": 1}}
            """)
        let run = try swiftgrad(["run", "train.json", "--run-dir", "pe", "--quiet"], in: directory.path)
        #expect(run.status == 0, "\(run.standardError)")
        return directory
    }

    /// The contents of every file under `directory`, by path, to show that a refused command
    /// changed nothing.
    private func snapshot(_ directory: TemporaryDirectory) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory.path)
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory.path + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[name] = try Data(contentsOf: URL(fileURLWithPath: directory.path + "/" + name))
            }
        }
        return files
    }

    /// Runs `arguments` in `directory` and checks that they fail with `message` and change no file.
    private func expectRefused(
        _ arguments: [String], in directory: TemporaryDirectory, _ message: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let before = try snapshot(directory)
        let run = try swiftgrad(arguments, in: directory.path)
        expectOneLineError(run, sourceLocation: sourceLocation)
        #expect(run.standardError == "error: \(message)\n", sourceLocation: sourceLocation)
        #expect(try snapshot(directory) == before, "\(arguments) changed a file", sourceLocation: sourceLocation)
    }

    /// A report or predictions sent to the file standard output is redirected to would replace
    /// the log and the lines already in it: refused, by either name of that file.
    @Test func noOutputReplacesTheFileOfStandardOutputOrError() throws {
        let directory = try trainedRun()
        defer { directory.remove() }
        let binary = try swiftgradPath()
        let commands = [
            ("eval train.json --checkpoint pe/model.safetensors", "--report"),
            ("predict --checkpoint pe/model.safetensors --input data.csv", "--output"),
        ]
        for (command, flag) in commands {
            for (redirection, path, stream) in [(">> log.txt", "/dev/stdout", "standard output"), (">> log.txt", "log.txt", "standard output"), ("2>> log.txt", "/dev/stderr", "standard error")] {
                try directory.write("log.txt", "earlier lines\n")
                let script = "'\(binary)' \(command) \(flag) \(path) \(redirection); echo $? > status.txt"
                let run = try runProcess("/bin/sh", ["-c", script], in: directory.path)
                #expect(try directory.read("status.txt") == "1\n", "\(command) \(path)")
                let log = try directory.read("log.txt")
                #expect(log.hasPrefix("earlier lines\n"), "\(command) \(path): \(log)")
                // The refusal is on standard error: in the log when that is what it replaces.
                let refusal = stream == "standard error" ? log : run.error
                #expect(refusal.contains("error: cannot write '\(path)' (\(flag)): it is this command's \(stream), whose lines the file would replace; give it a file of its own"), "\(refusal)")
            }
        }
    }

    /// A report in the run folder a run is about to make is written there; one in a folder
    /// nothing makes is refused before the run.
    @Test func aReportInTheRunFolderTheRunMakesIsWritten() throws {
        let directory = try trainedRun()
        defer { directory.remove() }
        let run = try swiftgrad(["run", "train.json", "--run-dir", "fresh", "--report", "fresh/report.json", "--quiet"], in: directory.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(try directory.read("fresh/report.json").contains(#""task": "train""#))
        let elsewhere = try swiftgrad(["run", "train.json", "--run-dir", "other", "--report", "missing/report.json"], in: directory.path)
        expectOneLineError(elsewhere)
        #expect(elsewhere.standardError.contains("directory 'missing' does not exist"), "\(elsewhere.standardError)")
        #expect(!directory.exists("other"))
    }

    @Test func evalWritesOverNoneOfItsInputs() throws {
        let directory = try trainedRun()
        defer { directory.remove() }
        let eval = ["eval", "train.json", "--checkpoint", "pe/model.safetensors"]
        for flag in ["--report", "--plot"] {
            try expectRefused(eval + [flag, "train.json"], in: directory, "cannot write 'train.json' (\(flag)): it is the config of this run; choose another path")
            try expectRefused(
                eval + [flag, "pe/model.safetensors"], in: directory,
                "cannot write 'pe/model.safetensors' (\(flag)): it is the checkpoint of this run; choose another path")
            try expectRefused(
                eval + [flag, "./data.csv"], in: directory,
                "cannot write './data.csv' (\(flag)): it is the data file of this run ('data.csv'); choose another path")
        }
        try expectRefused(
            eval + ["--report", "x.svg", "--plot", "./x.svg"], in: directory,
            "cannot write './x.svg': both --report and --plot name it; choose a file for each")
    }

    /// predict's --output follows the rules of every command's outputs: not its input or its
    /// checkpoint, and no file a run writes in a run folder (a model, a checkpoint, metrics),
    /// which CSV would replace.
    @Test func predictWritesOverNoneOfItsInputsNorAnyRunsFiles() throws {
        let directory = try trainedRun()
        defer { directory.remove() }
        let predict = ["predict", "--checkpoint", "pe/model.safetensors", "--input", "data.csv", "--output"]
        try expectRefused(
            predict + ["./data.csv"], in: directory, "cannot write './data.csv' (--output): it is the input of this run ('data.csv'); choose another path")
        try FileManager.default.copyItem(atPath: directory.path + "/pe/model.safetensors", toPath: directory.path + "/copy.safetensors")
        let fromCopy = ["predict", "--checkpoint", "copy.safetensors", "--input", "data.csv", "--output"]
        try expectRefused(
            fromCopy + ["copy.safetensors"], in: directory, "cannot write 'copy.safetensors' (--output): it is the checkpoint of this run; choose another path")
        // Each file of the run folder, the ones the run writes later (best.safetensors) too.
        let checkpoint = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/pe/checkpoints").max())
        let files = [
            ("model.safetensors", "it is the model"), ("best.safetensors", "it is the best checkpoint"),
            ("checkpoints/" + checkpoint, "it lies in the checkpoints folder"), ("metrics.csv", "it is a metrics file"),
            ("metrics.jsonl", "it is a metrics file"),
        ]
        for (name, reason) in files {
            let before = try snapshot(directory)
            let run = try swiftgrad(fromCopy + ["pe/" + name], in: directory.path)
            expectOneLineError(run)
            #expect(run.standardError.hasPrefix("error: cannot write 'pe/\(name)' (--output): \(reason) of the run folder '"), "\(run.standardError)")
            #expect(try snapshot(directory) == before, "predict --output pe/\(name) changed a file")
        }
        // A run folder with neither metrics nor a model yet (stopped before its end, trained
        // with --no-metrics) is known by its best checkpoint and its checkpoints.
        try FileManager.default.createDirectory(atPath: directory.path + "/bare/checkpoints", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: directory.path + "/pe/model.safetensors", toPath: directory.path + "/bare/best.safetensors")
        let bareBest = try swiftgrad(fromCopy + ["bare/best.safetensors"], in: directory.path)
        expectOneLineError(bareBest)
        #expect(bareBest.standardError.contains("it is the best checkpoint of the run folder '"), "\(bareBest.standardError)")
        try FileManager.default.removeItem(atPath: directory.path + "/bare/best.safetensors")
        try FileManager.default.copyItem(
            atPath: directory.path + "/pe/checkpoints/" + checkpoint, toPath: directory.path + "/bare/checkpoints/" + checkpoint)
        let bareModel = try swiftgrad(fromCopy + ["bare/model.safetensors"], in: directory.path)
        expectOneLineError(bareModel)
        #expect(bareModel.standardError.contains("it is the model of the run folder '"), "\(bareModel.standardError)")
        // Predictions of its own beside a run's files are written, and written again.
        for _ in 1...2 {
            let run = try swiftgrad(predict + ["pe/predictions.csv"], in: directory.path)
            #expect(run.status == 0, "\(run.standardError)")
        }
        #expect(try directory.read("pe/predictions.csv").hasPrefix("label,"))
    }

    @Test func benchScalingAndPlotWriteOverNoneOfTheirInputs() throws {
        let directory = try trainedRun()
        defer { directory.remove() }
        let bench = ["bench", "scaling", "train.json", "--steps", "1", "--repeats", "1", "--warmup", "0"]
        try expectRefused(bench + ["--csv", "train.json"], in: directory, "cannot write 'train.json' (--csv): it is the config of this run; choose another path")
        try expectRefused(bench + ["--plot", "train.json"], in: directory, "cannot write 'train.json' (--plot): it is the config of this run; choose another path")
        try expectRefused(
            bench + ["--csv", "data.csv"], in: directory,
            "cannot write 'data.csv' (--csv): it is the data file of this run; choose another path")
        try expectRefused(bench + ["--csv", "s.out", "--plot", "s.out"], in: directory, "cannot write 's.out': both --csv and --plot name it; choose a file for each")
        try expectRefused(
            ["plot", "pe", "--output", "pe/metrics.jsonl"], in: directory,
            "cannot write 'pe/metrics.jsonl' (--output): it is the metrics of this run; choose another path")
    }

    /// A report or figure that eval writes into a run folder is its own file, which it may write
    /// again; the files the run writes there stay refused.
    @Test func evalWritesItsReportIntoARunFolderAgainButNotOverTheModel() throws {
        let directory = try trainedRun()
        defer { directory.remove() }
        for _ in 0..<2 {
            let evaluated = try swiftgrad(
                ["eval", "train.json", "--checkpoint", "pe/model.safetensors", "--report", "pe/eval.json", "--plot", "pe/confusion.svg"],
                in: directory.path)
            #expect(evaluated.status == 0, "\(evaluated.standardError)")
        }
        try FileManager.default.copyItem(atPath: directory.path + "/pe/model.safetensors", toPath: directory.path + "/copy.safetensors")
        let overModel = try swiftgrad(["eval", "train.json", "--checkpoint", "copy.safetensors", "--report", "pe/model.safetensors"], in: directory.path)
        expectOneLineError(overModel)
        #expect(overModel.standardError.hasPrefix("error: cannot write 'pe/model.safetensors' (--report): it "), "\(overModel.standardError)")
    }

    @Test func plotWritesOverNoFileOfARunFolder() throws {
        let directory = try trainedRun()
        defer { directory.remove() }
        let model = try Data(contentsOf: URL(fileURLWithPath: directory.path + "/pe/model.safetensors"))
        // Every file the run wrote, and its files yet to be written, by name.
        let written = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/pe").filter { $0 != "checkpoints" }
        for name in written + ["best.safetensors"] {
            let plot = try swiftgrad(["plot", "pe", "--output", "pe/" + name], in: directory.path)
            expectOneLineError(plot)
            #expect(plot.standardError.hasPrefix("error: cannot write 'pe/\(name)' (--output): it "), "\(plot.standardError)")
        }
        try expectRefused(
            ["plot", "pe", "--output", "./pe/model.safetensors"], in: directory,
            "cannot write './pe/model.safetensors' (--output): it is the model of the run folder 'pe'; choose another path")
        try expectRefused(
            ["plot", "pe", "--output", "pe/best.safetensors"], in: directory,
            "cannot write 'pe/best.safetensors' (--output): it is the best checkpoint of the run folder 'pe'; choose another path")
        let checkpoint = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/pe/checkpoints").max())
        for name in [checkpoint, "new.svg"] {
            try expectRefused(
                ["plot", "pe", "--output", "pe/checkpoints/" + name], in: directory,
                "cannot write 'pe/checkpoints/\(name)' (--output): it lies in the checkpoints folder of the run folder 'pe'; choose another path")
        }
        try directory.write("pe/notes.txt", "keep")
        try expectRefused(
            ["plot", "pe", "--output", "pe/notes.txt"], in: directory,
            "cannot write 'pe/notes.txt' (--output): it is a file that the run folder 'pe' holds; choose another path")
        // A hard link elsewhere to a run's file is caught by its inode.
        #expect(link(directory.path + "/pe/metrics.csv", directory.path + "/linked.svg") == 0)
        try expectRefused(
            ["plot", "pe", "--output", "linked.svg"], in: directory,
            "cannot write 'linked.svg' (--output): it is a metrics file of the run folder 'pe' ('pe/metrics.csv', by another name); choose another path")
        // A run folder that is not plotted is found from the output's path.
        try FileManager.default.copyItem(atPath: directory.path + "/pe", toPath: directory.path + "/other")
        let other = try swiftgrad(["plot", "pe", "--output", "other/model.safetensors"], in: directory.path)
        expectOneLineError(other)
        #expect(other.standardError.contains("(--output): it is the model of the run folder '/") && other.standardError.hasSuffix("/other'; choose another path\n"))
        // Names of a model, metrics, a config or data are refused anywhere.
        try expectRefused(
            ["plot", "pe", "--output", "copy.safetensors"], in: directory,
            "cannot write 'copy.safetensors' (--output): plot writes an SVG figure, and a .safetensors file is a model; choose a path ending in .svg")
        try expectRefused(
            ["plot", "pe", "--output", "m.JSONL"], in: directory,
            "cannot write 'm.JSONL' (--output): plot writes an SVG figure, and a .jsonl file is metrics; choose a path ending in .svg")
        // So are they through a link named like a figure, which the write would follow.
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/config.svg", withDestinationPath: "train.json")
        let linked = try swiftgrad(["plot", "pe", "--output", "config.svg"], in: directory.path)
        expectOneLineError(linked)
        #expect(linked.standardError.hasPrefix("error: cannot write 'config.svg' (--output): it leads to '/"), "\(linked.standardError)")
        #expect(linked.standardError.hasSuffix("/train.json', and plot writes an SVG figure where a .json file is a config or a report; choose another path\n"))
        #expect(try directory.read("train.json").hasPrefix("{\"task\": \"train\""))
        // A new figure in the run folder, or one drawn there before, is written.
        for _ in 1...2 {
            let plot = try swiftgrad(["plot", "pe", "--output", "pe/plot.svg"], in: directory.path)
            #expect(plot.status == 0, "\(plot.standardError)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.path + "/pe/model.safetensors")) == model)
    }

    @Test func aLinearRegressionsPlotKeyNamingItsOwnConfigIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("d.csv", "x,y\n1,2\n2,4\n3,6\n")
        try directory.write("lr.json", #"{"task": "linear-regression", "data": {"path": "d.csv"}, "steps": 3, "optimizer": {"name": "sgd"}, "plot": "lr.json"}"#)
        try expectRefused(["run", "lr.json"], in: directory, "cannot write 'lr.json' (the config's plot): it is the config of this run; choose another path")
        // The config's plot and --report are two outputs too.
        try directory.write("lr2.json", #"{"task": "linear-regression", "data": {"path": "d.csv"}, "steps": 3, "optimizer": {"name": "sgd"}, "plot": "fig.svg"}"#)
        try expectRefused(
            ["run", "lr2.json", "--report", "fig.svg"], in: directory,
            "cannot write 'fig.svg': both the config's plot and --report name it; choose a file for each")
    }

    @Test func aRunsOutputsAreNoneOfItsRunFoldersFiles() throws {
        let directory = try trainedRun()
        defer { directory.remove() }
        // Every file the run wrote in its folder, whatever its name.
        let written = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/pe").filter { $0 != "checkpoints" }
        #expect(written.count == 5, "\(written)")
        for name in written {
            let run = try swiftgrad(["run", "train.json", "--run-dir", "pe", "--report", "pe/" + name], in: directory.path)
            expectOneLineError(run)
            #expect(run.standardError.hasPrefix("error: cannot write 'pe/\(name)' (--report): it "), "\(run.standardError)")
        }
        let checkpoint = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/pe/checkpoints").max())
        try expectRefused(
            ["run", "train.json", "--run-dir", "pe", "--report", "./pe/checkpoints/" + checkpoint], in: directory,
            "cannot write './pe/checkpoints/\(checkpoint)' (--report): it lies in the checkpoints folder that this run keeps in its run folder 'pe'; choose another path")
        try expectRefused(
            ["run", "train.json", "--run-dir", "pe", "--report", "pe/../pe/metrics.jsonl"], in: directory,
            "cannot write 'pe/../pe/metrics.jsonl' (--report): it is a metrics file that this run writes in its run folder 'pe'; choose another path")
        // Before the run folder exists, the reason is the same.
        try expectRefused(
            ["run", "train.json", "--run-dir", "new", "--report", "new/model.safetensors"], in: directory,
            "cannot write 'new/model.safetensors' (--report): it is the model that this run saves in its run folder 'new'; choose another path")
        #expect(!directory.exists("new"))
    }

    @Test func aRunDoesNotResumeFromTheModelItWillReplace() throws {
        let directory = try trainedRun()
        defer { directory.remove() }
        try expectRefused(
            ["run", "train.json", "--run-dir", "pe", "--resume", "pe/model.safetensors"], in: directory,
            "cannot resume from 'pe/model.safetensors': it is the model that this run saves in its run folder 'pe' when it ends, which would replace it; resume from a copy of it, or from the run's last checkpoint (--resume latest), or give another --run-dir")
        // The model resumed into another run folder, or the latest checkpoint, is fine.
        let elsewhere = try swiftgrad(["run", "train.json", "--run-dir", "other", "--resume", "pe/model.safetensors", "--quiet"], in: directory.path)
        #expect(elsewhere.status == 0, "\(elsewhere.standardError)")
        let latest = try swiftgrad(["run", "train.json", "--run-dir", "pe", "--resume", "latest", "--quiet"], in: directory.path)
        #expect(latest.status == 0, "\(latest.standardError)")
    }

    @Test func aRunFolderInTheWayOfAFileIsNamed() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try directory.tinyTrainConfig()
        try directory.write("afile", "keep")
        try expectRefused(
            ["run", "train.json", "--run-dir", "afile"], in: directory,
            "cannot use 'afile' as the run folder: it is a file, not a directory; choose another --run-dir")
        try expectRefused(
            ["run", "train.json", "--run-dir", "afile/run"], in: directory,
            "cannot create the run folder 'afile/run': 'afile' is a file, not a directory; choose another --run-dir")
    }

    @Test(arguments: [
        ["run", "train.json", "--run-dir", ""], ["run", "train.json", "--report", ""], ["run", "train.json", "--plot", ""],
        ["run", "train.json", "--resume", ""], ["eval", "train.json", "--checkpoint", ""], ["plot", "pe", "--output", ""],
        ["bench", "scaling", "train.json", "--csv", ""], ["bench", "scaling", "train.json", "--plot", ""],
        ["predict", "--checkpoint", "m", "--input", "", "--output", "o.csv"],
    ])
    func anEmptyPathIsAUsageError(arguments: [String]) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // A config that cannot load: without the check, `--run-dir ""` would train into `/`.
        try directory.write("train.json", #"{"task": "train"}"#)
        let run = try swiftgrad(arguments, in: directory.path)
        #expect(run.status == 64)
        let flag = arguments[try #require(arguments.firstIndex(of: "")) - 1]
        #expect(run.standardError.hasPrefix("Error: \(flag) needs a path, got an empty string\n"), "\(run.standardError)")
        #expect(try directory.contents() == ["train.json"])
    }

    @Test(arguments: [
        (["run", "train.json", "--workers", "-1"], "--workers must be between 1 and 256, got -1"),
        (["run", "train.json", "--epochs", "-2"], "--epochs must be between 1 and 1000000, got -2"),
        (["run", "train.json", "--progress-every", "-1"], "--progress-every must be a number of seconds, 0 or more, got -1.0"),
        (["grad", "x", "--at", "x=1", "--order", "-1"], "--order must be 1 or 2, not -1"),
        (["bench", "allreduce", "--rounds", "-1"], "--rounds must be between 1 and 1000, got -1"),
    ])
    func aNegativeNumberReachesTheRangeCheck(arguments: [String], message: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try directory.tinyTrainConfig()
        let run = try swiftgrad(arguments, in: directory.path)
        #expect(run.status == 64)
        #expect(run.standardError.hasPrefix("Error: \(message)\n"), "\(run.standardError)")
    }

    /// A path's newline, escape or line separator cannot break an error into several lines or
    /// act on the terminal, wherever in the message the path appears.
    @Test func controlCharactersInPathsAreEscapedInErrors() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.tinyTrainConfig()
        let odd = "x\ny\u{1B}z\u{2028}w"
        for arguments in [["eval", config, "--checkpoint", odd], ["run", config, "--resume", odd], ["run", odd], ["predict", "--checkpoint", odd, "--input", odd]] {
            let run = try swiftgrad(arguments, in: directory.path)
            expectOneLineError(run)
            #expect(run.standardError.contains(#"x\ny\u{1B}z\u{2028}w"#), "\(arguments[0]): \(run.standardError)")
            #expect(!run.standardError.contains("\u{1B}") && !run.standardError.contains("\u{2028}"), "\(run.standardError)")
        }
    }

    /// A usage error quotes the argument it refuses: escaped, on the error's own line, with the
    /// usage text after it as it is.
    @Test func aRefusedArgumentIsQuotedEscaped() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.tinyTrainConfig()
        let run = try swiftgrad(["run", config, "--epochs", "3\ncolumn\u{1B}[31m"], in: directory.path)
        #expect(run.status == 64)
        let lines = run.standardError.split(separator: "\n")
        #expect(lines.first?.hasPrefix(#"Error: The value '3\ncolumn\u{1B}[31m' is invalid for '--epochs <epochs>'"#) == true, "\(run.standardError)")
        #expect(lines.contains { $0.hasPrefix("Usage: swiftgrad run") } && !run.standardError.contains("\u{1B}"), "\(run.standardError)")
        let grad = try swiftgrad(["grad", "x+y", "--at", "x=1,y=l\u{2028}s"], in: directory.path)
        expectOneLineError(grad)
        #expect(grad.standardError.contains(#"the value 'l\u{2028}s' given for 'y' is not a number"#), "\(grad.standardError)")
    }

    /// Seconds are read in decimal, as everywhere else: Swift's own reading of a Double would
    /// take hexadecimal and `nan`.
    @Test(arguments: [
        (["run", "train.json", "--mpi-timeout", "0x10"], "--mpi-timeout must be a number of seconds in decimal, got '0x10'"),
        (["run", "train.json", "--progress-every", "nan"], "--progress-every must be a number of seconds in decimal, got 'nan'"),
        (["run", "train.json", "--progress-every", "1\n"], "--progress-every must be a number of seconds in decimal, got '1\\n'"),
    ])
    func secondsThatAreNotDecimalAreRefused(arguments: [String], message: String) throws {
        try expectUsageError(arguments, message)
    }
}
