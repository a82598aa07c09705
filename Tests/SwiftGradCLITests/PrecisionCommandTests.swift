import Foundation
import Testing
import _TestSupport

/// `--precision` on `run`, `eval` and `predict`, and `training.precision` through the command
/// line: the flag overrides the config, a resume may change the precision (with a note), and
/// eval and predict compute in the checkpoint's precision unless told otherwise.
@Suite struct PrecisionCommandTests {
    /// A three-class CSV and a bf16 config trained on it in a few hundred milliseconds, with a
    /// checkpoint every 5 steps.
    private func directory(precision: String) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        var rows = ["a,b,c,d,label"]
        for index in 0..<90 {
            let label = index % 3
            let wobble = Double((index * 37) % 11) / 10 - 0.5
            rows.append("\(Double(label) * 2 + wobble),\(Double(index % 7) / 3 - Double(label)),\(1 + wobble * 0.3),\(wobble * wobble),\(label)")
        }
        try directory.write("data.csv", rows.joined(separator: "\n") + "\n")
        try directory.write("train.json", """
            {"task": "train", "data": {"source": "csv", "path": "data.csv"},
             "model": {"type": "mlp", "hidden_layers": [12]},
             "optimizer": {"name": "adam", "learning_rate": 0.05},
             "training": {"epochs": 4, "batch_size": 12, "seed": 1, "workers": 2, "precision": "\(precision)"},
             "checkpoint": {"every_steps": 5, "keep_last": 10}}
            """)
        return directory
    }

    private func report(_ directory: TemporaryDirectory, _ name: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory.path + "/" + name))) as? [String: Any])
    }

    @Test func theFlagOverridesTheConfigAndTheReportRecordsIt() throws {
        let directory = try directory(precision: "bf16")
        defer { directory.remove() }
        let mixed = try swiftgrad(["run", "train.json", "--report", "bf16.json", "--run-dir", "runs/a"], in: directory.path)
        #expect(mixed.status == 0, "\(mixed.standardError)")
        #expect(mixed.standardOutput.contains("\nprecision: bf16 matrix products (inputs rounded to bfloat16, sums in float32)"), "\(mixed.standardOutput)")
        // A CPU without AVX512-BF16 emulates the products, and the run says it will be slower.
        let cpuFlags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? []
        if !cpuFlags.isEmpty && !cpuFlags.contains("avx512_bf16") {
            #expect(mixed.standardError.contains("note: this CPU has no bf16 dot-product instructions (AVX512-BF16), so bf16 products are emulated"),
                    "\(mixed.standardError)")
        }
        let single = try swiftgrad(["run", "train.json", "--precision", "float32", "--report", "float32.json", "--run-dir", "runs/b"], in: directory.path)
        #expect(single.status == 0, "\(single.standardError)")
        #expect(!single.standardOutput.contains("precision:"), "float32, the default, goes without saying")
        #expect(!single.standardOutput.contains("emulated"))
        let (bf16, float32) = (try report(directory, "bf16.json"), try report(directory, "float32.json"))
        #expect(bf16["precision"] as? String == "bf16")
        #expect(float32["precision"] as? String == "float32")
        // The kernel family: vdpbf16ps only where bf16 products use it, else Float32's own.
        let float32Kernel = try #require(float32["matrix_kernel"] as? String)
        #expect(["avx512", "avx2", "generic"].contains(float32Kernel))
        if cpuFlags.contains("avx512f") { #expect(float32Kernel == "avx512") }
        // The run decides for itself (a timing may differ between processes), and its note and
        // its report agree: no note where vdpbf16ps computed the products, one reason otherwise.
        let bf16Kernel = try #require(bf16["matrix_kernel"] as? String)
        let notes = mixed.standardError.split(separator: "\n").filter { $0.hasPrefix("note: this CPU") }
        if bf16Kernel == "avx512-bf16" {
            #expect(notes.isEmpty, "\(mixed.standardError)")
        } else {
            #expect(bf16Kernel == float32Kernel)
            #expect(notes.count == 1 && notes[0].contains("bf16 products"), "\(mixed.standardError)")
        }
        let digest = { (report: [String: Any]) in report["parameter_digest"] as? String }
        #expect(digest(bf16) != nil && digest(bf16) != digest(float32))

        // `--precision bf16` on a float32 config trains the same bits as the bf16 config.
        try directory.write("train.json", try directory.read("train.json").replacingOccurrences(of: #""bf16""#, with: #""float32""#))
        let flagged = try swiftgrad(["run", "train.json", "--precision", "bf16", "--report", "flagged.json", "--run-dir", "runs/c"], in: directory.path)
        #expect(flagged.status == 0, "\(flagged.standardError)")
        #expect(digest(try report(directory, "flagged.json")) == digest(bf16))
    }

    @Test func anUnknownPrecisionIsAUsageErrorNamingTheChoices() throws {
        let directory = try directory(precision: "bf16")
        defer { directory.remove() }
        for command in [["run", "train.json"], ["eval", "train.json", "--checkpoint", "x"], ["predict", "--checkpoint", "x", "--input", "data.csv"]] {
            let run = try swiftgrad(command + ["--precision", "fp16"], in: directory.path)
            #expect(run.status == 64, "\(command[0])")
            #expect(run.standardError.contains("'fp16' is invalid for '--precision <float32|bf16>'"), "\(run.standardError)")
            #expect(run.standardError.contains("'float32' and 'bf16'"), "\(run.standardError)")
        }
    }

    /// A Float32 checkpoint resumed in bf16 (and back) trains on with a note; in its own
    /// precision it resumes silently, to the bits of the run never stopped.
    @Test func aResumeMayChangeThePrecisionWithANote() throws {
        let directory = try directory(precision: "float32")
        defer { directory.remove() }
        let whole = try swiftgrad(["run", "train.json", "--report", "whole.json"], in: directory.path)
        #expect(whole.status == 0, "\(whole.standardError)")
        let checkpoint = "runs/train/checkpoints/step-000000010.safetensors"
        #expect(directory.exists(checkpoint))
        try FileManager.default.copyItem(atPath: directory.path + "/" + checkpoint, toPath: directory.path + "/float32.safetensors")

        let same = try swiftgrad(["run", "train.json", "--resume", "float32.safetensors", "--report", "same.json", "--run-dir", "runs/same"], in: directory.path)
        #expect(same.status == 0, "\(same.standardError)")
        #expect(!same.standardError.contains("note: the checkpoint was trained"), "\(same.standardError)")
        #expect(try report(directory, "same.json")["parameter_digest"] as? String == (try report(directory, "whole.json")["parameter_digest"] as? String))

        let other = try swiftgrad(
            ["run", "train.json", "--resume", "float32.safetensors", "--precision", "bf16", "--report", "other.json", "--run-dir", "runs/other"],
            in: directory.path)
        #expect(other.status == 0, "\(other.standardError)")
        #expect(other.standardError.contains(
            "note: the checkpoint was trained with float32 matrix products and this run computes them in bf16 (training.precision); its Float32 parameters and optimizer state carry over, but the bits from here on differ from an uninterrupted run in either precision"),
            "\(other.standardError)")
        let resumed = try report(directory, "other.json")
        #expect(resumed["precision"] as? String == "bf16")
        #expect(resumed["steps"] as? Int == (try report(directory, "whole.json")["steps"] as? Int))
        #expect(resumed["parameter_digest"] as? String != (try report(directory, "whole.json")["parameter_digest"] as? String))

        // And back: the bf16 run's checkpoints resume in float32 with the note the other way.
        let back = try swiftgrad(
            ["run", "train.json", "--resume", "runs/other/checkpoints/step-000000015.safetensors", "--run-dir", "runs/back"], in: directory.path)
        #expect(back.status == 0, "\(back.standardError)")
        #expect(back.standardError.contains("note: the checkpoint was trained with bf16 matrix products and this run computes them in float32"))
    }

    @Test func evalAndPredictUseTheCheckpointsPrecisionUnlessTold() throws {
        let directory = try directory(precision: "bf16")
        defer { directory.remove() }
        let trained = try swiftgrad(["run", "train.json", "--report", "train-report.json"], in: directory.path)
        #expect(trained.status == 0, "\(trained.standardError)")
        let model = "runs/train/model.safetensors"

        let mixed = try swiftgrad(["eval", "train.json", "--checkpoint", model, "--report", "bf16.json"], in: directory.path)
        #expect(mixed.status == 0, "\(mixed.standardError)")
        #expect(mixed.standardOutput.split(separator: "\n").first?.hasSuffix("test examples, bf16 products") == true, "\(mixed.standardOutput)")
        let single = try swiftgrad(["eval", "train.json", "--checkpoint", model, "--precision", "float32", "--report", "float32.json"], in: directory.path)
        #expect(single.status == 0, "\(single.standardError)")
        #expect(single.standardOutput.split(separator: "\n").first?.hasSuffix("test examples, float32 products") == true)
        let (bf16, float32) = (try report(directory, "bf16.json"), try report(directory, "float32.json"))
        #expect(bf16["precision"] as? String == "bf16" && float32["precision"] as? String == "float32")
        // The bf16 evaluation is the one training made at its end; the float32 one differs.
        let trainedLoss = try report(directory, "train-report.json")["test_loss"] as? Double
        let loss = { (report: [String: Any]) in (report["test"] as? [String: Any])?["loss"] as? Double }
        #expect(trainedLoss != nil && loss(bf16).map(Float.init) == trainedLoss.map(Float.init))
        #expect(loss(float32) != loss(bf16))

        let predicted = try swiftgrad(["predict", "--checkpoint", model, "--input", "data.csv"], in: directory.path)
        let explicit = try swiftgrad(["predict", "--checkpoint", model, "--input", "data.csv", "--precision", "bf16"], in: directory.path)
        let singlePredicted = try swiftgrad(["predict", "--checkpoint", model, "--input", "data.csv", "--precision", "float32"], in: directory.path)
        for run in [predicted, explicit, singlePredicted] { #expect(run.status == 0, "\(run.standardError)") }
        #expect(predicted.standardOutput.split(separator: "\n").count == 91)
        #expect(predicted.standardOutput == explicit.standardOutput)
        #expect(predicted.standardOutput != singlePredicted.standardOutput)
    }
}
