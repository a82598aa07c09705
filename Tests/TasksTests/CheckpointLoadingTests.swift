import _TestSupport
import ConfigKit
import DataParallel
import Foundation
import JSON
import SwiftGrad
@testable import Tasks
import Testing

/// What `--resume`, `eval` and `predict` refuse in a checkpoint whose checksum matches its
/// tensors: a position in the run that this run never reaches, a parameter that is not finite.
@Suite struct CheckpointLoadingTests {
    /// A mid-epoch checkpoint of a run with batches of 16 (12 an epoch), written without the
    /// config hash and data checksum (as `Checkpoint(state:).write(to:)` writes one), resumed
    /// by a run with batches of 64 (3 an epoch): its batch 10 is past the epoch's end.
    @Test func aCheckpointOfSmallerBatchesWithoutItsHashesIsRefusedOnResume() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let small = metricsConfig.replacingOccurrences(of: #""batch_size": 64"#, with: #""batch_size": 16"#)
        try runKeepingFolder(directory, config: small, writesMetrics: false)
        var checkpoint = try Checkpoint.read(from: directory.path + "/runs/checkpoints/step-000000010.safetensors")
        checkpoint.metadata["config_hash"] = nil
        checkpoint.metadata["data_checksum"] = nil
        let path = directory.path + "/library.safetensors"
        try checkpoint.write(to: path)

        let error = try #require(throws: CheckpointError.self) { try runKeepingFolder(directory, resume: path, writesMetrics: false) }
        #expect(error.file == path)
        #expect(error.message.contains("(checkpoint metadata swiftgrad.step_in_epoch) is 10; expected 0...2"), "\(error)")
    }

    /// The data's path is no part of the config hash: a config moved to another folder, or
    /// naming its data by an absolute path, resumes the checkpoints of the same data on the bits
    /// of the uninterrupted run (the data checksum says the data are the same). A checkpoint
    /// whose hash also covers the path, the other form a checkpoint may carry, still resumes
    /// with the config that wrote it.
    @Test func aConfigNamingItsDataByAnotherPathResumesItsCheckpoints() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.path + "/data", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: directory.path + "/moved", withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: Repository.root + "/datasets/digits.csv", toPath: directory.path + "/data/digits.csv")
        func config(_ name: String, path: String) throws -> String {
            try directory.write(name, """
                {
                  "task": "train",
                  "data": {"source": "digits", "path": "\(path)"},
                  "model": {"type": "mlp", "hidden_layers": [16]},
                  "training": {"epochs": 3, "batch_size": 128, "micro_shards": 2, "seed": 2}
                }
                """)
        }
        let original = try config("train.json", path: "data/digits.csv")
        let variants = [try config("moved/train.json", path: "../data/digits.csv"), try config("absolute.json", path: directory.path + "/data/digits.csv")]
        func run(_ config: String, resume: String? = nil, folder: String) throws -> (report: TaskReport, task: TrainTask) {
            let options = RunOptions(verbosity: .quiet, writesMetrics: false, resume: resume, runDirectory: directory.path + "/" + folder, keepsRunFolder: true)
            let task = try #require(try TaskLoader.load(path: config, options: options) as? TrainTask)
            return (try task.run(options: options) { _ in }, task)
        }
        let (full, task) = try run(original, folder: "full")
        let first = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/full/checkpoints").sorted().first)
        let checkpoint = directory.path + "/full/checkpoints/" + first
        for (index, variant) in variants.enumerated() {
            let resumed = try run(variant, resume: checkpoint, folder: "variant\(index)")
            #expect(resumed.task.configHash == task.configHash, "\(variant)")
            #expect(resumed.report.extra["parameter_digest"] == full.extra["parameter_digest"], "\(variant)")
        }

        var covering = try Checkpoint.read(from: checkpoint)
        covering.metadata["config_hash"] = TrainTask.resultHash(of: task.configObject, options: task.options, coveringDataPath: true)
        #expect(covering.metadata["config_hash"] != task.configHash)
        let path = directory.path + "/covering.safetensors"
        try covering.write(to: path)
        #expect(try run(original, resume: path, folder: "covering").report.extra["parameter_digest"] == full.extra["parameter_digest"])
        // Another model is still another config.
        let other = try directory.write("other.json", try String(contentsOfFile: original, encoding: .utf8).replacingOccurrences(of: "[16]", with: "[17]"))
        let error = try #require(throws: CheckpointError.self) { _ = try run(other, resume: checkpoint, folder: "other") }
        #expect(error.message.contains("it was written by a config that trains differently"), "\(error)")
        #expect(error.message.contains("model.hidden_layers is [16] in the checkpoint's config and [17] in this one; only training.workers"), "\(error)")
        // A checkpoint that does not record its config is told by its hash alone.
        var unrecorded = try Checkpoint.read(from: checkpoint)
        unrecorded.metadata[TrainTask.recordedConfigKey] = nil
        unrecorded.metadata[TrainTask.resolvedConfigKey] = nil
        try unrecorded.write(to: directory.path + "/unrecorded.safetensors")
        let bare = try #require(throws: CheckpointError.self) { _ = try run(other, resume: directory.path + "/unrecorded.safetensors", folder: "bare") }
        #expect(bare.message.contains("(config hash ") && !bare.message.contains("in the checkpoint's config"), "\(bare)")
    }

    /// A config that writes out defaults the checkpoint's config left out (the data's split and
    /// standardisation, the activation, determinism, Adam for no optimizer), or leaves out ones
    /// it wrote, is the same config: it resumes the checkpoint on the uninterrupted run's bits
    /// and evaluates it. A value that differs is named alone, with the defaults written out on
    /// both sides. A checkpoint with only the hash of its config as written (no
    /// `resolved_config_hash`) is still this config's when the config is written the same way;
    /// one with both is decided by the resolved hash.
    @Test func aConfigWritingOutItsDefaultsIsTheSameConfig() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let data = Repository.root + "/datasets/digits.csv"
        let terse = try directory.write("terse.json", """
            {"task": "train", "data": {"source": "digits", "path": "\(data)"}, "model": {"type": "mlp", "hidden_layers": [16]},
             "training": {"epochs": 3, "batch_size": 128, "micro_shards": 2, "seed": 2}}
            """)
        let spelt = """
            {"task": "train",
             "data": {"source": "digits", "path": "\(data)", "test_fraction": 0.2, "split": "shuffled", "standardize": "train_rows"},
             "model": {"type": "mlp", "hidden_layers": [16], "activation": "relu"},
             "optimizer": {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9},
             "training": {"epochs": 3, "batch_size": 128, "micro_shards": 2, "seed": 2, "deterministic": true}}
            """
        let full = try directory.write("full.json", spelt)
        func run(_ config: String, resume: String? = nil, folder: String) throws -> (report: TaskReport, task: TrainTask) {
            let options = RunOptions(verbosity: .quiet, writesMetrics: false, resume: resume, runDirectory: directory.path + "/" + folder, keepsRunFolder: true)
            let task = try #require(try TaskLoader.load(path: config, options: options) as? TrainTask)
            return (try task.run(options: options) { _ in }, task)
        }
        for (trained, other) in [(terse, full), (full, terse)] {
            let folder = "run-" + ((trained as NSString).lastPathComponent as NSString).deletingPathExtension
            let (uninterrupted, task) = try run(trained, folder: folder)
            let first = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/\(folder)/checkpoints").sorted().first)
            let checkpoint = directory.path + "/\(folder)/checkpoints/" + first
            let resumed = try run(other, resume: checkpoint, folder: folder + "-resumed")
            #expect(resumed.task.configHash != task.configHash)
            #expect(resumed.report.extra["parameter_digest"] == uninterrupted.extra["parameter_digest"], "\(folder)")
            _ = try CheckpointEvaluation.run(config: other, checkpoint: directory.path + "/\(folder)/model.safetensors")

            var asWritten = try Checkpoint.read(from: checkpoint)
            asWritten.metadata[TrainTask.resolvedConfigHashKey] = nil
            let path = try directory.write("\(folder)-as-written.safetensors", "")
            try asWritten.write(to: path)
            #expect(try run(trained, resume: path, folder: folder + "-as-written").report.extra["parameter_digest"] == uninterrupted.extra["parameter_digest"])
            #expect(throws: CheckpointError.self) { _ = try run(other, resume: path, folder: folder + "-other") }
            // Where it has one, the resolved hash decides: defaults that differ from the
            // checkpoint's are another config, however alike the two are written.
            var otherDefaults = try Checkpoint.read(from: checkpoint)
            otherDefaults.metadata[TrainTask.resolvedConfigHashKey] = "0123456789abcdef"
            let changed = try directory.write("\(folder)-other-defaults.safetensors", "")
            try otherDefaults.write(to: changed)
            #expect(throws: CheckpointError.self) { _ = try run(trained, resume: changed, folder: folder + "-other-defaults") }
        }
        let faster = try directory.write("faster.json", spelt.replacingOccurrences(of: #""learning_rate": 0.001"#, with: #""learning_rate": 0.002"#))
        let error = try #require(throws: CheckpointError.self) {
            try CheckpointEvaluation.run(config: faster, checkpoint: directory.path + "/run-terse/model.safetensors")
        }
        #expect(error.message.contains("trains differently (config hash ") && error.message.contains(
            "): optimizer.learning_rate is 0.001 in the checkpoint's config and 0.002 in this one; evaluate it with the config that trained it"), "\(error)")
    }

    /// What differs between a checkpoint's recorded config and this one is named as the hash
    /// tells values apart: numbers by value, objects whatever their keys' order.
    @Test func configDifferencesNameEveryKeyPathThatDiffers() throws {
        func differences(_ old: String, _ new: String) throws -> [String] {
            try TrainTask.configDifferences(recorded: ConfigDocument(parsing: old).root, current: ConfigDocument(parsing: new).root)
        }
        #expect(try differences(#"{"a": 1, "b": {"c": 0.001, "d": [1, 2]}}"#, #"{"b": {"d": [1.0, 2], "c": 1e-3}, "a": 1.0}"#).isEmpty)
        #expect(try differences(#"{"a": 1, "b": {"c": "x"}}"#, #"{"a": 2, "b": {"c": "y", "e": true}}"#) == [
            "a is 1 in the checkpoint's config and 2 in this one",
            #"b.c is "x" in the checkpoint's config and "y" in this one"#,
            "b.e is absent in the checkpoint's config and true in this one",
        ])
        #expect(try differences(#"{"m": {"h": [32, 32]}, "o": {"n": "adam"}}"#, #"{"m": {"h": [32]}}"#) == [
            "m.h is [32, 32] in the checkpoint's config and [32] in this one",
            #"o is {"n": "adam"} in the checkpoint's config and absent in this one"#,
        ])
        let many = try differences(#"{"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1}"#, #"{"a": 2, "b": 2, "c": 2, "d": 2, "e": 2, "f": 2}"#)
        #expect(many.count == 5 && many.last == "2 more differences", "\(many)")
    }

    /// Without determinism a batch is cut into one shard per worker, so a resume with another
    /// worker count cannot end on any uninterrupted run's bits: it says so, and does not claim
    /// the bits of the longer run when it also goes on to more epochs. With the checkpoint's
    /// worker count it continues that run's bits, with no such note.
    @Test func aNonDeterministicResumeWithOtherWorkersSaysTheBitsDiffer() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("train.json", """
            {
              "task": "train",
              "data": {"source": "synthetic", "examples": 256, "features": 32, "classes": 4, "test_fraction": 0.25},
              "model": {"type": "mlp", "hidden_layers": [16]},
              "training": {"epochs": 3, "batch_size": 64, "workers": 2, "deterministic": false, "seed": 4}
            }
            """)
        func run(workers: Int, epochs: Int? = nil, resume: String? = nil, folder: String) throws -> (digest: JSONValue?, lines: [String]) {
            let options = RunOptions(
                workers: workers, epochs: epochs, verbosity: .normal, writesMetrics: false, resume: resume, runDirectory: directory.path + "/" + folder,
                keepsRunFolder: true)
            let lines = Locked<[String]>([])
            let report = try TaskLoader.load(path: config, options: options).run(options: options) { line in lines.withLock { $0.append(line) } }
            return (report.extra["parameter_digest"], lines.withLock { $0 })
        }
        let full = try run(workers: 2, folder: "full")
        let checkpoint = directory.path + "/full/checkpoints/step-000000003.safetensors"
        let same = try run(workers: 2, resume: checkpoint, folder: "same")
        #expect(same.digest == full.digest)
        #expect(!same.lines.contains { $0.contains("training.deterministic is false") }, "\(same.lines)")

        let other = try run(workers: 3, epochs: 4, resume: checkpoint, folder: "other")
        let note = "note: training.deterministic is false, so each batch is cut into one shard per worker: the checkpoint's run had 2 workers and this one has 3"
        #expect(other.lines.contains { $0.hasPrefix(note) }, "\(other.lines)")
        #expect(!other.lines.contains { $0.contains("ends where an uninterrupted run") }, "\(other.lines)")
    }

    /// A saved model with an infinite parameter, its checksum made to match: eval would print
    /// a NaN loss, predict NaN probabilities and a resumed run diverge; each refuses the file
    /// instead, naming the tensor, the element and its value.
    @Test func aParameterThatIsNotFiniteIsRefusedByEvalPredictAndResume() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try runKeepingFolder(directory, writesMetrics: false)
        var checkpoint = try Checkpoint.read(from: directory.path + "/runs/model.safetensors")
        let bias = checkpoint.state.parameters[1]
        var scalars = bias.scalars
        scalars[5] = .infinity
        checkpoint.state.parameters[1] = Tensor(shape: bias.shape, scalars: scalars)
        let path = directory.path + "/infinite.safetensors"
        try checkpoint.write(to: path)
        let input = try directory.write("rows.csv", Array(repeating: "0", count: 32).joined(separator: ",") + "\n")
        let expected = "\(path): tensor '\(checkpoint.state.parameterNames[1])' of shape \(bias.shape) holds inf at element 5; expected finite parameters"

        let evaluation = try #require(throws: CheckpointError.self) {
            try CheckpointEvaluation.run(config: directory.path + "/train.json", checkpoint: path)
        }
        #expect(evaluation.description == expected)
        let prediction = try #require(throws: CheckpointError.self) { try CSVPrediction.run(checkpoint: path, input: input, hasHeader: false) }
        #expect(prediction.description == expected)
        let resume = try #require(throws: CheckpointError.self) { try runKeepingFolder(directory, resume: path, writesMetrics: false) }
        #expect(resume.description == expected)
    }

    /// Every step of a run updates every parameter, so a checkpoint past its first step that
    /// holds none of a parameter's optimizer slots lost them: resuming it would start them
    /// afresh and silently change the run. The resume is refused, naming the file, the
    /// parameter and the missing slots.
    @Test func aCheckpointMissingAParametersOptimizerSlotsIsRefusedOnResume() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try runKeepingFolder(directory, writesMetrics: false)
        var checkpoint = try Checkpoint.read(from: directory.path + "/runs/checkpoints/step-000000004.safetensors")
        let name = checkpoint.state.parameterNames[0]
        let slots = checkpoint.state.optimizerState.keys.filter { $0.hasPrefix("0/\(name)/") }.sorted()
        #expect(slots == ["0/\(name)/momentum", "0/\(name)/velocity"], "\(checkpoint.state.optimizerState.keys.sorted())")
        for key in slots { checkpoint.state.optimizerState[key] = nil }
        let path = directory.path + "/slotless.safetensors"
        try checkpoint.write(to: path)

        let error = try #require(throws: CheckpointError.self) { try runKeepingFolder(directory, resume: path, writesMetrics: false) }
        #expect(error.file == path)
        #expect(error.message.contains("the state holds none of the slots of variable '\(name)' after 4 steps: '0/\(name)/momentum', '0/\(name)/velocity' are missing"), "\(error)")
    }

    /// An infinity in Adam's second moment (which a run saves after a step whose gradient's
    /// square overflowed) makes the next update of its element NaN: a resume is refused,
    /// naming the slot and the element, while eval and predict, which use no optimizer state,
    /// read the model.
    @Test func anInfinityInAdamsSecondMomentIsRefusedOnResumeOnly() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try runKeepingFolder(directory, writesMetrics: false)
        var checkpoint = try Checkpoint.read(from: directory.path + "/runs/checkpoints/step-000000004.safetensors")
        let key = "0/\(checkpoint.state.parameterNames[0])/velocity"
        let velocity = try #require(checkpoint.state.optimizerState[key])
        var scalars = velocity.scalars
        scalars[5] = .infinity
        checkpoint.state.optimizerState[key] = Tensor(shape: velocity.shape, scalars: scalars)
        let path = directory.path + "/infinite.safetensors"
        try checkpoint.write(to: path)

        let error = try #require(throws: CheckpointError.self) { try runKeepingFolder(directory, resume: path, writesMetrics: false) }
        #expect(error.file == path)
        #expect(error.message.contains("'\(key)' holds inf at element 5, which makes Adam's next update of that element not finite"), "\(error)")
        _ = try CheckpointEvaluation.run(config: directory.path + "/train.json", checkpoint: path)
        let input = try directory.write("rows.csv", Array(repeating: "0", count: 32).joined(separator: ",") + "\n")
        _ = try CSVPrediction.run(checkpoint: path, input: input, hasHeader: false)
    }

    /// A checkpoint larger than the memory budget (a sparse gigabyte, in the layout a checkpoint
    /// has) is refused by eval, predict and resume from its size and header, before its tensors
    /// are read, naming the file, its size and the limit.
    @Test func aCheckpointLargerThanTheBudgetIsRefusedByEvalPredictAndResume() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try runKeepingFolder(directory, writesMetrics: false)
        let path = directory.path + "/big.safetensors"
        let (headerBytes, _) = try writeSparseSafeTensors(path, tensorBytes: 1 << 30, format: "swiftgrad-checkpoint-1")
        let budget = MemoryBudget(limit: 512 << 20, origin: "a test's limit")
        let expected = "\(path): the file is 1.0 GiB (a header of \(headerBytes) bytes and 1.0 GiB of tensors), and reading it would need about 1.0 GiB of memory, more than the 512.0 MiB of a test's limit; expected a file that fits, or read it with more memory"

        let evaluation = try #require(throws: CheckpointError.self) {
            try CheckpointEvaluation.run(config: directory.path + "/train.json", checkpoint: path, budget: budget)
        }
        #expect(evaluation.description == expected)
        let input = try directory.write("rows.csv", Array(repeating: "0", count: 32).joined(separator: ",") + "\n")
        let prediction = try #require(throws: CheckpointError.self) {
            try CSVPrediction.run(checkpoint: path, input: input, hasHeader: false, budget: budget)
        }
        #expect(prediction.description == expected)
        let options = RunOptions(
            verbosity: .quiet, writesMetrics: false, resume: path, runDirectory: directory.path + "/resumed", keepsRunFolder: true,
            memoryBudget: budget)
        let task = try TaskLoader.load(path: directory.path + "/train.json", options: options)
        let resume = try #require(throws: CheckpointError.self) { try task.run(options: options) { _ in } }
        #expect(resume.description == expected)
    }
}
