import Autograd
import Datasets
import Foundation
import Models
import Optimizers
import Testing
import _TestSupport
import Training

/// 160 synthetic examples of 12 features and 3 classes, split 128 / 32: small enough to train
/// many times, with a last batch of 8 in every epoch at batch 24.
private let split = Dataset.synthetic(examples: 160, features: 12, classes: 3, seed: 9)
    .split(trainFraction: 0.8, shuffledWithSeed: 9)
private let model = MLP(layerSizes: [12, 10, 3], hiddenActivation: .tanh, weightInitializer: .heNormal, seed: 4)

private func makeTrainer(_ options: TrainingOptions, optimizer: any Optimizer = Adam(learningRate: 0.01)) -> Trainer {
    Trainer(model: model, data: split, optimizer: optimizer, options: options)
}

@Suite struct CheckpointTests {
    @Test func aStateSurvivesTheFileBitForBit() throws {
        let trainer = makeTrainer(TrainingOptions(epochs: 2, batchSize: 24, workers: 2, microShards: 3, seed: 7))
        _ = trainer.run()
        var checkpoint = Checkpoint(state: trainer.state, extraTensors: ["data/mean": Tensor([1, -2.5, .leastNonzeroMagnitude])], metadata: ["note": "tab\there \"quoted\" é"])
        checkpoint.state.bestMetric = 0.25
        let decoded = try Checkpoint(SafeTensors(decoding: checkpoint.safeTensors.encoded(), file: "memory"), source: "memory")
        #expect(decoded.state == checkpoint.state)
        #expect(decoded.state.lastLoss != nil && decoded.state.lastLoss == trainer.lastLoss)
        #expect(bitwiseEqual(decoded.state.parameters, trainer.variables.map(\.value)))
        #expect(decoded.state.optimizerState.keys.sorted() == trainer.state.optimizerState.keys.sorted())
        #expect(!decoded.state.optimizerState.isEmpty)
        #expect(decoded.extraTensors == checkpoint.extraTensors)
        #expect(decoded.metadata["note"] == "tab\there \"quoted\" é")
    }

    /// A file's metadata comes from its header alone: the same as the whole file's, and still
    /// there when the tensors after the header are cut off.
    @Test func theMetadataIsReadFromTheHeaderAlone() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let trainer = makeTrainer(TrainingOptions(epochs: 1, batchSize: 24, seed: 7))
        _ = trainer.run()
        let path = directory.path + "/c.safetensors"
        try Checkpoint(state: trainer.state, metadata: ["config_hash": "abc"]).write(to: path)
        let whole = try SafeTensors(decoding: Checkpoint.readBytes(from: path), file: path).metadata
        #expect(try SafeTensors.metadata(ofFileAt: path, limit: 1 << 30) == whole)
        #expect(whole["config_hash"] == "abc" && whole["swiftgrad.optimizer_step"] == "6")
        let bytes = try Checkpoint.readBytes(from: path)
        let headerEnd = 8 + Int(bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) })
        try Data(bytes.prefix(headerEnd + 4)).write(to: URL(fileURLWithPath: path))
        #expect(try SafeTensors.metadata(ofFileAt: path, limit: 1 << 30) == whole)
        #expect(throws: CheckpointError.self) { try Checkpoint.read(from: path) }
        try Data(bytes.prefix(headerEnd - 1)).write(to: URL(fileURLWithPath: path))
        #expect(throws: CheckpointError.self) { try SafeTensors.metadata(ofFileAt: path, limit: 1 << 30) }
    }

    /// The checksum covers the tensors in the order this type writes them, not the file's:
    /// saved again in another order (Python's `safetensors` sorts by name), a checkpoint reads
    /// back the same; a changed tensor is still caught.
    @Test func aCheckpointSavedInAnotherOrderKeepsItsChecksum() throws {
        let trainer = makeTrainer(TrainingOptions(epochs: 1, batchSize: 24, workers: 2, microShards: 3, seed: 7,
                                                  earlyStopping: EarlyStopping(metric: .testLoss, patience: 5, restoreBest: true)))
        _ = trainer.run()
        let file = Checkpoint(state: trainer.state, extraTensors: ["data/mean": Tensor([1, 2])]).safeTensors
        #expect(file.entries.contains { $0.name.hasPrefix("best/") } && file.entries.contains { $0.name.hasPrefix("optimizer/") })
        var sorted = file
        sorted.entries.sort { $0.name < $1.name }
        #expect(sorted.entries.map(\.name) != file.entries.map(\.name))
        let decoded = try Checkpoint(SafeTensors(decoding: sorted.encoded(), file: "sorted"), source: "sorted")
        #expect(decoded.state == trainer.state)
        var changed = sorted
        changed.entries[0] = SafeTensors.Entry(name: changed.entries[0].name, tensor: changed.entries[0].tensor * 2)
        #expect(throws: CheckpointError.self) { try Checkpoint(SafeTensors(decoding: changed.encoded(), file: "changed"), source: "changed") }
    }

    /// A checkpoint is written from its tensors where they lie, as parts: the file holds
    /// exactly the bytes `encoded()` joins, an empty tensor included, and reads back equal (the
    /// round trip is the check of the encoding itself; `SafeTensorsClientTests` has Python's
    /// `safetensors` read such a file).
    @Test func theFileWrittenFromPartsIsTheEncodedBytes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let trainer = makeTrainer(TrainingOptions(epochs: 1, batchSize: 24, seed: 3))
        _ = trainer.run()
        let checkpoint = Checkpoint(state: trainer.state, extraTensors: ["data/none": Tensor.zeros(shape: [0]), "data/one": Tensor([2.5])])
        let path = directory.path + "/step.safetensors"
        try checkpoint.write(to: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes == checkpoint.safeTensors.encoded())
        let parts = checkpoint.safeTensors.withEncodedParts { $0.map(\.count) }
        #expect(parts.count == 1 + checkpoint.safeTensors.entries.count && parts.contains(0))
        #expect(parts.reduce(0, +) == bytes.count)
        #expect(try Checkpoint.read(from: path) == checkpoint)
        // Through a link only when links are followed, for both ways of reading.
        let link = directory.path + "/link.safetensors"
        #expect(symlink(path, link) == 0)
        #expect(try Checkpoint.read(from: link) == checkpoint)
        #expect(try Checkpoint.readBytes(from: link) == bytes)
        for read in [{ _ = try Checkpoint.read(from: link, links: .refuse) }, { _ = try Checkpoint.readBytes(from: link, links: .refuse) }] {
            let error = try #require(throws: CheckpointError.self) { try read() }
            #expect("\(error)".contains("it is a symbolic link, not a regular file"), "\(error)")
        }
    }

    /// Stop a run after every possible step, write the checkpoint to a file, read it into a new
    /// trainer (with another worker count), finish: the same bits as the run never stopped.
    @Test(arguments: [1, 4, 5, 6, 11])
    func resumingFromAFileEndsBitwiseWhereAnUninterruptedRunEnds(stopAfter: Int) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        func options(workers: Int) -> TrainingOptions {
            TrainingOptions(epochs: 3, batchSize: 24, workers: workers, microShards: 3, seed: 2)
        }
        let whole = makeTrainer(options(workers: 1))
        _ = whole.run()

        let first = makeTrainer(options(workers: 2))
        let stopped = first.run(onStep: { event in event.trainer.globalStep == stopAfter ? .stop : .continue })
        #expect(stopped.outcome == .interrupted)
        #expect(first.globalStep == stopAfter)
        let path = directory.path + "/step.safetensors"
        try Checkpoint(state: first.state).write(to: path)

        let second = makeTrainer(options(workers: 3))
        try second.restore(Checkpoint.read(from: path).state)
        let finished = second.run()
        #expect(finished.outcome == .completed)
        #expect(second.globalStep == whole.globalStep)
        #expect(bitwiseEqual(second.variables.map(\.value), whole.variables.map(\.value)))
        #expect(second.parameterDigest == whole.parameterDigest)
    }

    /// A file without the checksum is told apart from one whose tensors do not match it.
    @Test func aCheckpointWithoutItsChecksumSaysSo() throws {
        let trainer = makeTrainer(TrainingOptions(epochs: 1, batchSize: 64, seed: 1))
        _ = trainer.run()
        var file = Checkpoint(state: trainer.state).safeTensors
        file.metadata.removeValue(forKey: "swiftgrad.checksum")
        let error = try #require(throws: CheckpointError.self) {
            _ = try Checkpoint(SafeTensors(decoding: file.encoded(), file: "c.safetensors"), source: "c.safetensors")
        }
        #expect(error.message.hasPrefix("metadata swiftgrad.checksum is missing: a SwiftGrad checkpoint records its tensors' checksum ("), "\(error)")
        file.metadata["swiftgrad.checksum"] = "0000000000000000"
        let damaged = try #require(throws: CheckpointError.self) {
            _ = try Checkpoint(SafeTensors(decoding: file.encoded(), file: "c.safetensors"), source: "c.safetensors")
        }
        #expect(damaged.message.hasSuffix("but the file says '0000000000000000': the file is damaged"), "\(damaged)")
    }

    /// A run stopped inside an epoch makes no evaluation there: one would count against early
    /// stopping (here, ending the run as stopped early at the interruption) and would be a
    /// record an uninterrupted run never has. Resumed, it evaluates and stops where the
    /// uninterrupted run does.
    @Test(arguments: [8, 9])
    func aRunInterruptedInsideAnEpochIsNeitherEvaluatedNorStoppedEarly(stopAfter: Int) throws {
        // Every evaluation after the first falls short of a minimum improvement of 10⁶.
        let options = TrainingOptions(
            epochs: 3, batchSize: 24, seed: 2,
            earlyStopping: EarlyStopping(metric: .testLoss, patience: 1, minDelta: 1e6, restoreBest: false))
        let whole = makeTrainer(options)
        let uninterrupted = whole.run()
        #expect(uninterrupted.outcome == .stoppedEarly)
        #expect(uninterrupted.evaluations.map(\.epoch) == [1, 2])

        let first = makeTrainer(options)
        let stopped = first.run(onStep: { event in event.trainer.globalStep == stopAfter ? .stop : .continue })
        #expect(stopped.outcome == .interrupted)
        #expect(stopped.evaluations.map(\.epoch) == [1])
        #expect(first.state.evaluationsWithoutImprovement == 0)

        let second = makeTrainer(options)
        try second.restore(first.state)
        let finished = second.run()
        #expect(finished.outcome == .stoppedEarly)
        #expect(finished.evaluations == Array(uninterrupted.evaluations.dropFirst()))
        #expect(second.parameterDigest == whole.parameterDigest)
    }

    /// A stop asked for with a run's last step finds the run complete.
    @Test func aStopAskedForWithTheLastStepLeavesTheRunCompleted() {
        let options = TrainingOptions(epochs: 3, maxSteps: 9, batchSize: 24, seed: 2)
        let trainer = makeTrainer(options)
        let summary = trainer.run(onStep: { event in event.trainer.globalStep == 9 ? .stop : .continue })
        #expect(summary.outcome == .completed)
        #expect(summary.evaluations.map(\.epoch) == [1, 2])
    }

    @Test func everyTruncationIsAnErrorNamingTheFile() throws {
        let trainer = makeTrainer(TrainingOptions(epochs: 1, batchSize: 64, seed: 1))
        let bytes = Checkpoint(state: trainer.state).safeTensors.encoded()
        for length in stride(from: 0, to: bytes.count, by: 7) {
            let error = try #require(throws: CheckpointError.self) {
                try Checkpoint(SafeTensors(decoding: Array(bytes[..<length]), file: "cut.safetensors"), source: "cut.safetensors")
            }
            #expect(error.file == "cut.safetensors")
        }
    }

    @Test func aFlippedBitIsCaughtByTheChecksum() throws {
        let trainer = makeTrainer(TrainingOptions(epochs: 1, batchSize: 64, seed: 1))
        var bytes = Checkpoint(state: trainer.state).safeTensors.encoded()
        bytes[bytes.count - 5] ^= 0x10
        let error = try #require(throws: CheckpointError.self) {
            try Checkpoint(SafeTensors(decoding: bytes, file: "bad.safetensors"), source: "bad.safetensors")
        }
        #expect(error.message.contains("checksum"), "\(error)")
    }

    @Test(arguments: [
        (#"{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#, 2, "F16"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, 12, "needs 8 bytes"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, 8, "overlap"),
        (#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}"#, 4, "more bytes than the file holds"),
        (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, 4, "non-negative"),
        (#"{"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}"#, 4, "tensor 'a' has dtype 32, not a string; expected \"F32\""),
        (#"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, 4, "tensor 'a' has no dtype"),
        (#"{"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#, 4, "tensor 'a' has shape \"1\", not a list"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, 4, "tensor 'a' has data_offsets [4, 0], which end before they begin"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, 4, "tensor 'a' has data_offsets [0]; expected two non-negative integers [begin, end]"),
        (#"{"a":{"dtype":"F32","shape":[1]}}"#, 4, "tensor 'a' has no data_offsets"),
        (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}"#, 4, "outside the 4 data bytes (truncated?)"),
        (#"[1, 2]"#, 0, "not a JSON object"),
        (#"{"a": "#, 0, "not valid JSON"),
    ])
    func malformedHeadersAreRefused(header: String, dataBytes: Int, expected: String) throws {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += Array(header.utf8) + Array(repeating: 0, count: dataBytes)
        let error = try #require(throws: CheckpointError.self) { try SafeTensors(decoding: bytes, file: "h.safetensors") }
        #expect(error.message.contains(expected), "\(error)")
    }

    /// A file's own strings (a dtype, a tensor's name, its metadata) reach the messages escaped
    /// and cut short: a crafted file makes one line of bounded length, not megabytes.
    @Test func aFilesOwnStringsReachItsErrorsEscapedAndCutShort() throws {
        let long = String(repeating: "y\n", count: 500_000)
        func error(header: String, dataBytes: Int) throws -> String {
            var bytes: [UInt8] = []
            withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes += Array(header.utf8) + Array(repeating: 0, count: dataBytes)
            let error = try #require(throws: CheckpointError.self) {
                try Checkpoint(SafeTensors(decoding: bytes, file: "h.safetensors"), source: "h.safetensors")
            }
            return error.description
        }
        let escaped = long.replacingOccurrences(of: "\n", with: #"\n"#)
        let messages = [
            try error(header: #"{"a":{"dtype":"F\n\#(escaped)","shape":[1],"data_offsets":[0,2]}}"#, dataBytes: 2),
            try error(header: #"{"a\#(escaped)":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#, dataBytes: 2),
            try error(header: #"{"__metadata__":{"swiftgrad.format":"\#(escaped)"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4),
        ]
        for message in messages {
            #expect(!message.contains("\n"), "\(message.prefix(200))")
            #expect(message.count < CheckpointError.messageLimit + 100, "\(message.count) characters")
            #expect(message.hasPrefix("h.safetensors: "))
        }
        #expect(messages[0].contains(#"tensor 'a' is F\ny\ny"#), "\(messages[0].prefix(200))")
        #expect(messages[2].hasPrefix(#"h.safetensors: not a SwiftGrad checkpoint (metadata swiftgrad.format is 'y\ny\n"#), "\(messages[2].prefix(200))")
        #expect(messages[2].contains("… (1000000 characters)'"), "\(messages[2].suffix(200))")
    }

    @Test func aCheckpointOfAnotherModelIsRefusedNamingTheShapes() throws {
        let trainer = makeTrainer(TrainingOptions(epochs: 1, batchSize: 64, seed: 1))
        let other = Trainer(
            model: MLP(layerSizes: [12, 7, 3], hiddenActivation: .tanh, seed: 4), data: split, optimizer: Adam(),
            options: TrainingOptions(epochs: 1, batchSize: 64, seed: 1))
        let error = try #require(throws: TrainingStateError.self) { try trainer.restore(other.state) }
        #expect(error.description.contains("[12, 7]"), "\(error)")
    }

    @Test func aMissingFileOrAFolderIsAnErrorNotACrash() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let missing = try #require(throws: CheckpointError.self) { try Checkpoint.read(from: directory.path + "/none.safetensors") }
        #expect(missing.message.contains("No such file"), "\(missing)")
        let folder = try #require(throws: CheckpointError.self) { try Checkpoint.read(from: directory.path) }
        #expect(folder.message.contains("a directory"), "\(folder)")
    }

    @Test func aDivergingRunStopsAtTheFirstNonFiniteStepNamingIt() {
        // SGD at a rate of 1e38 on a ReLU network sends the weights to infinity within a few steps.
        let relu = MLP(layerSizes: [12, 10, 3], hiddenActivation: .relu, weightInitializer: .heNormal, seed: 4)
        let trainer = Trainer(model: relu, data: split, optimizer: SGD(learningRate: 1e38), options: TrainingOptions(epochs: 5, batchSize: 24, seed: 1))
        var lines: [String] = []
        let summary = trainer.run { lines.append($0) }
        guard case .diverged(let divergence) = summary.outcome else {
            Issue.record("expected a divergence, got \(summary.outcome)")
            return
        }
        #expect(divergence.step == trainer.globalStep)
        #expect(divergence.step < 5 * 6)
        #expect(!divergence.value.isFinite)
        #expect(lines.last?.hasPrefix("diverged at step \(divergence.step) (epoch 1)") == true, "\(lines)")
        // The failed step's figures, which no step handler saw, are kept for its metrics.
        #expect(divergence.figures.learningRate == 1e38 && divergence.figures.loss.bitPattern == summary.finalLoss.bitPattern)
        #expect(divergence.figures.examples == 24 && divergence.figures.seconds > 0)
        // A NaN is `nan` whatever its sign bit, which 0/0 sets on x86.
        var negative = divergence
        (negative.quantity, negative.value) = ("loss", -Float.nan)
        #expect("\(negative)" == "step \(divergence.step) (epoch 1): the loss became nan")
        #expect(negative.valueDescription == "nan")
    }

    /// Features of a thousand make a ReLU network's first-layer gradients far above 1, so SGD at the largest
    /// finite rate sends weights to infinity in the first step, whose loss (computed before the
    /// update) is finite. The fused update notices a non-finite element as it writes it, and
    /// only then are the parameters read to name the first; the accumulating path, which updates
    /// whole gradients, always reads them. Both name the same parameter at step 1.
    @Test(arguments: [1, 2])
    func aParameterThatOverflowsIsNamedAtTheStepThatMadeIt(gradientAccumulation: Int) throws {
        let scaled = Dataset(features: split.train.features * 1000, classLabels: try #require(split.train.classLabels), classCount: 3)
        let data = DatasetSplit(train: scaled, test: split.test)
        let options = TrainingOptions(epochs: 2, batchSize: 16, workers: 2, seed: 1, gradientAccumulation: gradientAccumulation)
        let relu = MLP(layerSizes: [12, 10, 3], hiddenActivation: .relu, weightInitializer: .heNormal, seed: 4)
        let trainer = Trainer(model: relu, data: data, optimizer: SGD(learningRate: .constant(.greatestFiniteMagnitude)), options: options)
        let summary = trainer.run()
        guard case .diverged(let divergence) = summary.outcome else {
            Issue.record("expected a divergence, got \(summary.outcome)")
            return
        }
        #expect(divergence.step == 1)
        #expect(divergence.quantity == relu.parameterNames[0], "\(divergence)")
        #expect(divergence.value.isInfinite)
    }

    @Test func earlyStoppingStopsAfterPatienceAndRestoresTheBest() {
        // A learning rate far too high makes the test loss worse after the first epochs.
        let options = TrainingOptions(
            epochs: 40, batchSize: 24, seed: 1,
            earlyStopping: EarlyStopping(metric: .testLoss, patience: 2, restoreBest: true))
        let trainer = makeTrainer(options, optimizer: SGD(learningRate: 3))
        let summary = trainer.run()
        #expect(summary.outcome == .stoppedEarly, "\(summary.outcome)")
        let losses = summary.evaluations.compactMap(\.testLoss)
        let best = losses.min()!
        // The last two evaluations did not improve on the best one before them.
        #expect(losses.suffix(2).allSatisfy { $0 >= best })
        #expect(trainer.bestMetric == best)
        #expect(trainer.evaluate(epoch: 0).testLoss == best)
    }

    /// The state a run that stopped early checkpoints at its last epoch has nothing left to
    /// train, at the same epochs or more: resumed, it stops at once, with the best parameters
    /// restored as the run itself ended.
    @Test func aStateThatStoppedEarlyTrainsNoFurther() throws {
        func options(epochs: Int) -> TrainingOptions {
            TrainingOptions(epochs: epochs, batchSize: 24, seed: 1, earlyStopping: EarlyStopping(metric: .testLoss, patience: 2, restoreBest: true))
        }
        let trainer = makeTrainer(options(epochs: 40), optimizer: SGD(learningRate: 3))
        var last: TrainingState?
        let summary = trainer.run(onStep: { event in
            if event.endsEpoch && event.isLast { last = event.trainer.state }
            return .continue
        })
        #expect(summary.outcome == .stoppedEarly && summary.epochs < 40)
        let state = try #require(last)
        for epochs in [40, 80] {
            let resumed = makeTrainer(options(epochs: epochs), optimizer: SGD(learningRate: 3))
            try resumed.restore(state)
            let again = resumed.run()
            #expect(again.outcome == .stoppedEarly)
            #expect(again.steps == summary.steps && again.epochs == summary.epochs && again.evaluations.isEmpty)
            #expect(resumed.parameterDigest == trainer.parameterDigest)
        }
        // A patience lowered on resume is used up at once, and so stops the run the same way.
        let impatient = makeTrainer(
            TrainingOptions(epochs: 40, batchSize: 24, seed: 1, earlyStopping: EarlyStopping(metric: .testLoss, patience: 1, restoreBest: true)),
            optimizer: SGD(learningRate: 3))
        try impatient.restore(state)
        var lines: [String] = []
        #expect(impatient.run(log: { lines.append($0) }).steps == summary.steps)
        #expect(lines.first == "early stopping: the restored state has 2 evaluations without improvement, which uses up this run's patience of 1; nothing is left to train", "\(lines)")
        // A patience the state has not used up goes on training.
        let patient = makeTrainer(
            TrainingOptions(epochs: 40, batchSize: 24, seed: 1, earlyStopping: EarlyStopping(metric: .testLoss, patience: 50, restoreBest: true)),
            optimizer: SGD(learningRate: 3))
        try patient.restore(state)
        #expect(patient.run().steps > summary.steps)
    }

    /// Early stopping on a metric the evaluations do not measure (a test metric without a test
    /// split) cannot stop the run: it trains every epoch, and says so once, as Keras warns.
    @Test func earlyStoppingOnAMetricNoEvaluationMeasuresIsWarnedOfOnce() {
        let trainOnly = split.train.split(trainCount: split.train.count)
        for metric in [TrainingMetric.testLoss, .testAccuracy] {
            let trainer = Trainer(
                model: model, data: trainOnly, optimizer: Adam(learningRate: 0.01),
                options: TrainingOptions(epochs: 3, batchSize: 24, seed: 1, earlyStopping: EarlyStopping(metric: metric, patience: 1)))
            var lines: [String] = []
            let summary = trainer.run(log: { lines.append($0) })
            #expect(summary.outcome == .completed)
            #expect(summary.evaluations.count == 3)
            let warnings = lines.filter { $0.hasPrefix("warning: ") }
            #expect(warnings == ["warning: early stopping watches \(metric.rawValue), which this evaluation does not measure (the data has no test split); it will not stop the run"], "\(lines)")
        }
    }

    // MARK: Positions a run never reaches

    /// The state of a run of `options` (batches of 24: 6 an epoch) stopped after
    /// `steps` optimizer steps, written as a checkpoint file's bytes with `edits` made to its
    /// metadata (the checksum covers the tensors only) and read back.
    private func checkpoint(
        _ options: TrainingOptions, stoppedAfter steps: Int, editing edits: [String: String] = [:]
    ) throws -> TrainingState {
        let first = makeTrainer(options)
        _ = first.run(onStep: { $0.trainer.globalStep == steps ? .stop : .continue })
        var file = Checkpoint(state: first.state).safeTensors
        for (key, value) in edits { file.metadata["swiftgrad." + key] = value }
        return try Checkpoint(SafeTensors(decoding: file.encoded(), file: "step.safetensors"), source: "step.safetensors").state
    }

    /// A checkpoint whose counters this run never reaches (an altered file, or one of a run
    /// with other batches) is refused naming the key, its value and the range; a run resumed
    /// from it would start its loops past their end or overflow a counter. The trainer is left
    /// as it was.
    @Test(arguments: [
        ("step_in_epoch", "100", "step_in_epoch", "expected 0...5"),
        ("step_in_epoch", "6", "step_in_epoch", "expected 0...5"),
        ("epoch", "4", "epoch", "expected 0...3"),
        ("epoch", "1000000", "epoch", "expected 0...3"),
        ("epoch", "9223372036854775807", "epoch", "expected 0...3"),
        // At the end of the last epoch a state stands at batch 0.
        ("epoch", "3", "step_in_epoch", "expected 0, as the state has finished all 3"),
        ("global_step", "9223372036854775807", "global_step", "expected 4, the batches trained in 0 epochs and 4 batches at 6 batches an epoch"),
        ("global_step", "5", "global_step", "expected 4"),
        ("optimizer_step", "9223372036854775807", "optimizer_step", "expected 4, the optimizer steps taken in"),
        ("optimizer_step", "3", "optimizer_step", "expected 4"),
    ])
    func aPositionTheRunNeverReachesIsRefusedNamingTheKey(key: String, value: String, named: String, expected: String) throws {
        let options = TrainingOptions(epochs: 3, batchSize: 24, seed: 2)
        let state = try checkpoint(options, stoppedAfter: 4, editing: [key: value])
        let second = makeTrainer(options)
        let digest = second.parameterDigest
        let error = try #require(throws: TrainingStateError.self) { try second.restore(state) }
        let shown = key == named ? value : String(state.stepInEpoch)
        #expect(error.description.contains("(checkpoint metadata swiftgrad.\(named)) is \(shown); \(expected)"), "\(error)")
        #expect(second.globalStep == 0 && second.epoch == 0 && second.batchInEpoch == 0 && second.engine.step == 0)
        #expect(second.optimizer.iterations == 0 && second.parameterDigest == digest)
    }

    /// A mid-epoch state of a run with smaller batches, resumed with larger ones: its batch is
    /// past the end of the new epoch's batches.
    @Test func aMidEpochStateOfSmallerBatchesIsRefused() throws {
        let state = try checkpoint(TrainingOptions(epochs: 3, batchSize: 8, seed: 2), stoppedAfter: 10)
        #expect(state.stepInEpoch == 10)
        let error = try #require(throws: TrainingStateError.self) {
            try makeTrainer(TrainingOptions(epochs: 3, batchSize: 24, seed: 2)).restore(state)
        }
        #expect(error.description == "the state's batches done in its epoch (checkpoint metadata swiftgrad.step_in_epoch) is 10; expected 0...5: this run has 6 batches an epoch (128 training examples in batches of 24)")
    }

    /// With gradient accumulation a state stands between optimizer steps: at a multiple of the
    /// accumulation within its epoch, with one step per 4 batches and one for the epoch's
    /// remainder (6 batches: 2 steps an epoch). Such a state resumes bitwise; one between the
    /// batches of a step is refused.
    @Test func aStateWithGradientAccumulationResumesAndOneInsideAStepIsRefused() throws {
        let options = TrainingOptions(epochs: 3, batchSize: 24, seed: 2, gradientAccumulation: 4)
        let whole = makeTrainer(options)
        _ = whole.run()
        let state = try checkpoint(options, stoppedAfter: 3)
        #expect((state.epoch, state.stepInEpoch, state.globalStep, state.optimizerStep) == (1, 4, 10, 3))
        let resumed = makeTrainer(options)
        try resumed.restore(state)
        _ = resumed.run()
        #expect(resumed.globalStep == whole.globalStep && resumed.parameterDigest == whole.parameterDigest)

        let inside = try checkpoint(options, stoppedAfter: 3, editing: ["step_in_epoch": "2", "global_step": "8"])
        let error = try #require(throws: TrainingStateError.self) { try makeTrainer(options).restore(inside) }
        #expect(error.description.contains("swiftgrad.step_in_epoch) is 2; expected a multiple of the gradient accumulation, 4"), "\(error)")
    }

    /// A state that finished its run's last epoch resumes with as many epochs (nothing left to
    /// train) or more (the uninterrupted longer run's bits), and is refused with fewer.
    @Test func aFinishedStateResumesWithAsManyEpochsOrMore() throws {
        let state = try checkpoint(TrainingOptions(epochs: 2, batchSize: 24, seed: 2), stoppedAfter: .max)
        #expect((state.epoch, state.stepInEpoch, state.globalStep) == (2, 0, 12))
        let same = makeTrainer(TrainingOptions(epochs: 2, batchSize: 24, seed: 2))
        try same.restore(state)
        let finished = same.run()
        #expect(finished.steps == 12)
        // No step is taken: the final loss is the state's last step's.
        #expect(state.lastLoss?.isFinite == true && finished.finalLoss == state.lastLoss)

        let longer = makeTrainer(TrainingOptions(epochs: 3, batchSize: 24, seed: 2))
        try longer.restore(state)
        _ = longer.run()
        let uninterrupted = makeTrainer(TrainingOptions(epochs: 3, batchSize: 24, seed: 2))
        _ = uninterrupted.run()
        #expect(longer.parameterDigest == uninterrupted.parameterDigest)

        let error = try #require(throws: TrainingStateError.self) {
            try makeTrainer(TrainingOptions(epochs: 1, batchSize: 24, seed: 2)).restore(state)
        }
        #expect(error.description.contains("swiftgrad.epoch) is 2; expected 0...1"), "\(error)")
    }

    /// The optimizer's own step count (Adam's bias correction reads it) must be the state's.
    @Test func anOptimizerCountOtherThanTheStatesIsRefused() throws {
        var state = try checkpoint(TrainingOptions(epochs: 3, batchSize: 24, seed: 2), stoppedAfter: 4)
        state.optimizerState["iterations"] = Tensor(Float(1 << 62))
        let error = try #require(throws: TrainingStateError.self) {
            try makeTrainer(TrainingOptions(epochs: 3, batchSize: 24, seed: 2)).restore(state)
        }
        #expect(error.description.contains("optimizer/iterations) are 4.611686e+18; expected 4.0"), "\(error)")
    }

    /// A run past 2²⁴ optimizer steps, whose checkpoint holds the optimizer's count rounded to a
    /// `Float`, resumes at its exact count (from the metadata): it trains on and its own state
    /// resumes again. With the rounded count its later states would contradict their position.
    @Test func aRunPastTheFloatsIntegersResumesAtItsExactStep() throws {
        let options = TrainingOptions(epochs: (1 << 24) + 3, batchSize: 128, seed: 2)
        let exact = (1 << 24) + 1
        var state = try checkpoint(options, stoppedAfter: 1, editing: [
            "epoch": String(exact), "global_step": String(exact), "optimizer_step": String(exact),
        ])
        state.optimizerState["iterations"] = Tensor(Float(exact))
        let resumed = makeTrainer(options)
        try resumed.restore(state)
        #expect(resumed.optimizer.iterations == exact)
        #expect(resumed.run().steps == exact + 2)
        #expect(resumed.optimizer.iterations == exact + 2 && resumed.state.optimizerStep == exact + 2)
        try makeTrainer(options).restore(resumed.state)
    }

    /// Early stopping's count of evaluations without improvement may be restored as anything;
    /// counting on from `Int.max` stops the run rather than overflowing.
    @Test func aRestoredCountOfEvaluationsWithoutImprovementCannotOverflow() throws {
        let options = TrainingOptions(epochs: 3, batchSize: 24, seed: 2, earlyStopping: EarlyStopping(metric: .testLoss, patience: 2))
        var state = try checkpoint(options, stoppedAfter: 4)
        state.bestMetric = 0
        state.evaluationsWithoutImprovement = .max
        let resumed = makeTrainer(options)
        try resumed.restore(state)
        #expect(resumed.run().outcome == .stoppedEarly)
        #expect(resumed.evaluationsWithoutImprovement == .max)
    }

    // MARK: Parameters that are not finite

    /// No run saves a parameter that is NaN or infinite (it stops when one appears), and eval,
    /// predict and resume would compute NaN from it rather than fail: reading such a file, its
    /// checksum made to match, is an error naming the tensor, the element and its value.
    @Test(arguments: [(Float.nan, false), (Float.infinity, false), (-Float.infinity, true)])
    func aParameterThatIsNotFiniteIsRefusedNamingTheTensor(value: Float, inBest: Bool) throws {
        let trainer = makeTrainer(TrainingOptions(epochs: 1, batchSize: 64, seed: 1))
        var state = trainer.state
        var scalars = state.parameters[0].scalars
        scalars[13] = value
        let bad = Tensor(shape: state.parameters[0].shape, scalars: scalars)
        if inBest {
            state.bestParameters = state.parameters
            state.bestParameters![0] = bad
        } else {
            state.parameters[0] = bad
        }
        let bytes = Checkpoint(state: state).safeTensors.encoded()
        let error = try #require(throws: CheckpointError.self) {
            try Checkpoint(SafeTensors(decoding: bytes, file: "bad.safetensors"), source: "bad.safetensors")
        }
        let name = (inBest ? "best/" : "") + state.parameterNames[0]
        #expect(error.file == "bad.safetensors")
        #expect(error.message == "tensor '\(name)' of shape [12, 10] holds \(value) at element 13 (at [1, 3]); expected finite parameters", "\(error)")
    }

    /// Reading a checkpoint accepts an infinity in an optimizer slot (a run saves one where a
    /// gradient's square overflowed, and eval and predict use no slot) but refuses a NaN, which
    /// no run saves, naming the slot. Restoring the state judges the infinity: in Adam's
    /// moments it would make the next update NaN, so the trainer refuses it.
    @Test func aNaNInTheOptimizersStateIsRefusedAndAnInfinityIsNot() throws {
        let trainer = makeTrainer(TrainingOptions(epochs: 1, batchSize: 64, seed: 1))
        _ = trainer.run()
        let state = trainer.state
        let key = try #require(state.optimizerState.keys.sorted().first { state.optimizerState[$0]!.rank == 2 })
        func reading(_ value: Float) throws -> Checkpoint {
            var edited = state
            var scalars = edited.optimizerState[key]!.scalars
            scalars[5] = .infinity
            scalars[13] = value
            edited.optimizerState[key] = Tensor(shape: edited.optimizerState[key]!.shape, scalars: scalars)
            return try Checkpoint(SafeTensors(decoding: Checkpoint(state: edited).safeTensors.encoded(), file: "slot.safetensors"), source: "slot.safetensors")
        }
        #expect(try reading(.infinity).state.optimizerState[key]!.scalars[13] == .infinity)
        let resumed = makeTrainer(TrainingOptions(epochs: 1, batchSize: 64, seed: 1))
        let restoring = try #require(throws: TrainingStateError.self) { try resumed.restore(reading(.infinity).state) }
        #expect(restoring.description.contains("'\(key)' holds inf at element 5, which makes Adam's next update of that element not finite"), "\(restoring)")
        let error = try #require(throws: CheckpointError.self) { try reading(.nan) }
        let width = state.optimizerState[key]!.shape[1]
        #expect(error.message == "tensor 'optimizer/\(key)' of shape \(state.optimizerState[key]!.shape) holds NaN at element 13 (at [\(13 / width), \(13 % width)]); expected an optimizer state without NaN", "\(error)")
    }
}
