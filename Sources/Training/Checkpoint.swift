import Autograd
import Datasets
import Foundation
import Models
import Storage

/// A training state on disk: a safetensors file that Python's `safetensors` and anything else
/// that reads the format can open.
///
/// The file holds every parameter under its model name (`dense0/weight`), the optimizer's slots
/// under `optimizer/` (`optimizer/0/dense0/weight/momentum`: index, variable, slot), early stopping's best parameters under
/// `best/`, and any tensors the caller adds (a standardiser's statistics, say). Its metadata hold
/// the position in the run (epoch, batch in the epoch, steps), the running sums of the epoch's
/// training batches (``EpochTrainingFigures``), the seed, the precision of the matrix products
/// (`swiftgrad.precision`: `float32` or `bf16`; a file without it is read as `float32`), the optimizer's name and step count, the caller's strings (a hash of the config, a checksum of the data, class labels)
/// and a checksum of the tensor bytes, so a damaged file is refused rather than resumed.
///
/// ```swift
/// try Checkpoint(state: trainer.state).write(to: "runs/digits/last.safetensors")
/// let checkpoint = try Checkpoint.read(from: "runs/digits/last.safetensors")
/// try trainer.restore(checkpoint.state)
/// ```
public struct Checkpoint: Sendable, Equatable {
    /// The format version written into every checkpoint's metadata.
    public static let format = "swiftgrad-checkpoint-1"
    /// The largest checkpoint file ``read(from:memory:links:)`` accepts: 16 GiB.
    public static let maximumFileBytes = 16 << 30

    /// The run's state.
    public var state: TrainingState
    /// The caller's tensors, by name; names must not start with `optimizer/` or `best/` nor
    /// equal a parameter's.
    public var extraTensors: [String: Tensor]
    /// The caller's metadata strings. Keys starting with `swiftgrad.` are the checkpoint's own.
    public var metadata: [String: String]

    /// A checkpoint of `state`, with the caller's tensors and metadata.
    public init(state: TrainingState, extraTensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.state = state
        self.extraTensors = extraTensors
        self.metadata = metadata
    }

    /// The checkpoint as a safetensors value.
    public var safeTensors: SafeTensors {
        var entries = zip(state.parameterNames, state.parameters).map { SafeTensors.Entry(name: $0, tensor: $1) }
        for key in state.optimizerState.keys.sorted() {
            entries.append(.init(name: "optimizer/" + key, tensor: state.optimizerState[key]!))
        }
        if let best = state.bestParameters {
            entries += zip(state.parameterNames, best).map { .init(name: "best/" + $0, tensor: $1) }
        }
        for key in extraTensors.keys.sorted() { entries.append(.init(name: key, tensor: extraTensors[key]!)) }
        var file = SafeTensors(entries: entries, metadata: metadata)
        let own: [String: String] = [
            "format": Self.format,
            "parameters": state.parameterNames.joined(separator: "\n"),
            "seed": String(state.seed),
            "epoch": String(state.epoch),
            "step_in_epoch": String(state.stepInEpoch),
            "global_step": String(state.globalStep),
            "optimizer_step": String(state.optimizerStep),
            "evaluations_without_improvement": String(state.evaluationsWithoutImprovement),
            "precision": state.precision.rawValue,
        ]
        for (key, value) in own { file.metadata["swiftgrad." + key] = value }
        if let best = state.bestMetric { file.metadata["swiftgrad.best_metric"] = String(best.bitPattern, radix: 16) }
        if let epoch = state.bestEpoch { file.metadata["swiftgrad.best_epoch"] = String(epoch) }
        if let loss = state.lastLoss { file.metadata["swiftgrad.last_loss"] = String(loss.bitPattern, radix: 16) }
        let figures = state.epochFigures
        if figures.examples > 0 {
            file.metadata["swiftgrad.epoch_loss_sum"] = String(figures.lossSum.bitPattern, radix: 16)
            file.metadata["swiftgrad.epoch_examples"] = String(figures.examples)
            if let predictions = figures.predictions {
                file.metadata["swiftgrad.epoch_correct"] = String(predictions.correct)
                file.metadata["swiftgrad.epoch_predictions"] = String(predictions.total)
            }
        }
        file.metadata["swiftgrad.checksum"] = Self.checksum(of: file.entries)
        return file
    }

    /// Reads a checkpoint back from its safetensors value.
    ///
    /// - Throws: ``CheckpointError`` naming `file` when the value is not a SwiftGrad checkpoint,
    ///   its checksum does not match its tensors, a field is missing or malformed, or a
    ///   parameter (or a best parameter) holds a NaN or an infinity (naming the tensor, the
    ///   element and its value).
    public init(_ file: SafeTensors, source: String) throws {
        func fail(_ message: String) -> CheckpointError { CheckpointError(file: source, message) }
        let meta = file.metadata
        guard meta["swiftgrad.format"] == Self.format else {
            throw fail("not a SwiftGrad checkpoint (metadata swiftgrad.format is \(meta["swiftgrad.format"].map { "'\(quoted($0))'" } ?? "missing"), expected '\(Self.format)')")
        }
        // The order this type writes, whatever order the file holds them in: a checkpoint saved
        // again by another client (Python's `safetensors` sorts by name) keeps its checksum.
        let listed = (meta["swiftgrad.parameters"] ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let expected = Self.checksum(of: Self.inWritingOrder(file.entries, parameterNames: listed))
        guard let recorded = meta["swiftgrad.checksum"] else {
            throw fail("metadata swiftgrad.checksum is missing: a SwiftGrad checkpoint records its tensors' checksum (\(expected) for these), and a file without it was not written whole by SwiftGrad")
        }
        guard recorded == expected else {
            throw fail("the tensors' checksum is \(expected) but the file says '\(quoted(recorded))': the file is damaged")
        }
        func integer(_ key: String) throws -> Int {
            guard let text = meta["swiftgrad." + key], let value = Int(text), value >= 0 else {
                throw fail("metadata swiftgrad.\(key) is missing or not a non-negative integer")
            }
            return value
        }
        guard let seedText = meta["swiftgrad.seed"], let seed = UInt64(seedText) else {
            throw fail("metadata swiftgrad.seed is missing or not an unsigned integer")
        }
        let names = (meta["swiftgrad.parameters"] ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let tensors = Dictionary(file.entries.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        var parameters: [Tensor] = []
        for name in names {
            guard let tensor = tensors[name] else { throw fail("parameter '\(quoted(name))' is listed in the metadata but has no tensor") }
            parameters.append(tensor)
        }
        var state = TrainingState(parameterNames: names, parameters: parameters, seed: seed)
        state.epoch = try integer("epoch")
        state.stepInEpoch = try integer("step_in_epoch")
        state.globalStep = try integer("global_step")
        state.optimizerStep = try integer("optimizer_step")
        state.evaluationsWithoutImprovement = try integer("evaluations_without_improvement")
        if let text = meta["swiftgrad.precision"] {
            guard let precision = MatrixPrecision(rawValue: text) else {
                throw fail("metadata swiftgrad.precision is '\(quoted(text))'; expected \(MatrixPrecision.allCases.map(\.rawValue).joined(separator: " or "))")
            }
            state.precision = precision
        }
        if let text = meta["swiftgrad.best_metric"] {
            guard let bits = UInt32(text, radix: 16) else { throw fail("metadata swiftgrad.best_metric is not a float's bits") }
            state.bestMetric = Float(bitPattern: bits)
        }
        if meta["swiftgrad.best_epoch"] != nil { state.bestEpoch = try integer("best_epoch") }
        if let text = meta["swiftgrad.last_loss"] {
            guard let bits = UInt32(text, radix: 16) else { throw fail("metadata swiftgrad.last_loss is not a float's bits") }
            state.lastLoss = Float(bitPattern: bits)
        }
        // The epoch's running sums, present when the checkpoint was taken inside an epoch.
        if let text = meta["swiftgrad.epoch_loss_sum"] {
            guard let bits = UInt64(text, radix: 16) else { throw fail("metadata swiftgrad.epoch_loss_sum is not a double's bits") }
            var figures = EpochTrainingFigures(lossSum: Double(bitPattern: bits), examples: try integer("epoch_examples"), predictions: nil)
            if meta["swiftgrad.epoch_correct"] != nil || meta["swiftgrad.epoch_predictions"] != nil {
                let correct = try integer("epoch_correct"), total = try integer("epoch_predictions")
                guard correct <= total else {
                    throw fail("metadata swiftgrad.epoch_correct (\(correct)) exceeds swiftgrad.epoch_predictions (\(total))")
                }
                figures.predictions = PredictionCount(correct: correct, total: total)
            }
            // Counts past 2^53 are no run's (and would overflow as batches are added to them).
            let limit = 1 << 53
            guard figures.examples <= limit, (figures.predictions?.total ?? 0) <= limit else {
                throw fail("metadata swiftgrad.epoch_examples or swiftgrad.epoch_predictions exceeds 2^53, more examples than any epoch has")
            }
            state.epochFigures = figures
        }
        var best: [Tensor] = []
        var extra: [String: Tensor] = [:]
        let parameterNames = Set(names)
        for entry in file.entries where !parameterNames.contains(entry.name) {
            if entry.name.hasPrefix("optimizer/") {
                state.optimizerState[String(entry.name.dropFirst("optimizer/".count))] = entry.tensor
            } else if entry.name.hasPrefix("best/") {
                continue
            } else {
                extra[entry.name] = entry.tensor
            }
        }
        for name in names {
            if let tensor = tensors["best/" + name] { best.append(tensor) }
        }
        if !best.isEmpty {
            guard best.count == names.count else { throw fail("the checkpoint holds best values for \(best.count) of \(names.count) parameters") }
            state.bestParameters = best
        }
        // Every load (eval, predict, resume) passes here. A NaN or an infinity in a parameter
        // would give NaN outputs and a NaN loss rather than an error, and a resumed run would
        // diverge at its first step; no run saves one (it stops when a parameter stops being
        // finite), so such a file was altered.
        for (prefix, values) in [("", parameters), ("best/", best)] {
            for (name, tensor) in zip(names, values) {
                guard let (index, value) = tensor.firstNonFiniteElement else { continue }
                let position = tensor.rank > 1 ? " (at \(Self.position(ofElement: index, shape: tensor.shape)))" : ""
                throw fail("tensor '\(quoted(prefix + name))' of shape \(tensor.shape) holds \(value) at element \(index)\(position); expected finite parameters")
            }
        }
        // The optimizer's slots may hold an infinity here, but not a NaN: no run makes one
        // without its parameters becoming NaN, and a resumed run would diverge at once. A run
        // saves +∞ where a gradient's square overflowed (Adagrad's and RMSprop's sums of squares
        // go on finite with it, Adam's second moment makes the next step NaN); eval and predict
        // read no slot, and a resume refuses an infinity that its optimizer's next step would
        // turn into NaN (`Optimizer.restoreState`).
        for key in state.optimizerState.keys.sorted() {
            let tensor = state.optimizerState[key]!
            // The C scan finds no non-finite element in almost every file; only then are NaNs
            // sought, in place (a copy of the elements would double the largest tensor).
            guard tensor.firstNonFiniteElement != nil, let nan = tensor.withUnsafeBufferPointer({ $0.firstIndex(where: \.isNaN) }) else { continue }
            let position = tensor.rank > 1 ? " (at \(Self.position(ofElement: nan, shape: tensor.shape)))" : ""
            throw fail("tensor '\(quoted("optimizer/" + key))' of shape \(tensor.shape) holds NaN at element \(nan)\(position); expected an optimizer state without NaN")
        }
        self.state = state
        self.extraTensors = extra
        self.metadata = meta.filter { !$0.key.hasPrefix("swiftgrad.") }
    }

    /// Writes the checkpoint atomically: to a temporary file in the same folder, flushed to disk,
    /// then renamed over `path`, so a crash leaves the old file or the new one, never a torn one.
    ///
    /// - Throws: `FileError` when the file cannot be written.
    public func write(to path: String) throws {
        try write(to: path, recycling: nil)
    }

    /// Writes the checkpoint atomically as ``write(to:)`` does, over the storage of
    /// `recycled`, an older checkpoint about to be deleted
    /// (`AtomicFile.write(_:to:durable:links:recycling:)`): `recycled` is gone afterwards if it
    /// could be reused, and left for the caller to delete if not. `links` says whether a
    /// symbolic link at `path` is followed or refused (a run folder's files are never links).
    ///
    /// - Throws: `FileError` when the file cannot be written.
    public func write(to path: String, links: AtomicFile.LinkPolicy = .follow, recycling recycled: String?) throws {
        try safeTensors.write(to: path, links: links, recycling: recycled)
    }

    /// Writes the checkpoint atomically as ``write(to:)`` does, as a second name of `twin` when
    /// that file already holds exactly these bytes (`AtomicFile.write(_:to:durable:links:linkingIfEqual:)`):
    /// a run's final model is usually its last checkpoint. `links` as for
    /// ``write(to:links:recycling:)``.
    ///
    /// - Throws: `FileError` when the file cannot be written.
    public func write(to path: String, links: AtomicFile.LinkPolicy = .follow, linkingIfEqual twin: String?) throws {
        try safeTensors.write(to: path, links: links, linkingIfEqual: twin)
    }

    /// Reads the checkpoint at `path`, each tensor straight from the file into its storage
    /// (``SafeTensors/init(contentsOfFile:limit:memory:links:)``).
    ///
    /// - Parameters:
    ///   - path: the file, at most ``maximumFileBytes``.
    ///   - memory: the memory reading may take and its description for the message; `nil` for
    ///     no limit. The need (``SafeTensors/memoryNeeded(headerBytes:dataBytes:copiesOfTheFile:)``) is worked out
    ///     from the file's size and its header's length before anything large is allocated.
    ///   - links: whether a symbolic link at `path` is read through (`.follow`) or refused
    ///     (`.refuse`, for a file a program found in a folder of its own: the file is opened with
    ///     `O_NOFOLLOW`).
    /// - Throws: ``CheckpointError`` when the file is missing, not a regular file, truncated,
    ///   damaged, would need more than `memory`, is not a SwiftGrad checkpoint or holds a
    ///   parameter that is not finite.
    public static func read(
        from path: String, memory: (bytes: Int, description: String)? = nil, links: AtomicFile.LinkPolicy = .follow
    ) throws -> Checkpoint {
        try Checkpoint(SafeTensors(contentsOfFile: path, limit: maximumFileBytes, memory: memory, links: links), source: path)
    }

    /// The bytes of the checkpoint file at `path`, unchecked (``init(_:source:)`` checks them
    /// once decoded), at most ``maximumFileBytes``: for a caller that sends the file elsewhere
    /// before decoding it.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - memory: as for ``read(from:memory:links:)``.
    ///   - copies: how many copies of the file's bytes the caller holds at once, besides the
    ///     tensors decoded from them; the need is that many times the file's size and what
    ///     decoding takes (``SafeTensors/memoryNeeded(headerBytes:dataBytes:copiesOfTheFile:)``).
    ///   - links: as for ``read(from:memory:links:)``.
    /// - Throws: ``CheckpointError`` when the file is missing, not a regular file, too large, or
    ///   would need more than `memory`; a header length beyond the file is left for decoding to
    ///   refuse.
    public static func readBytes(
        from path: String, memory: (bytes: Int, description: String)? = nil, copies: Int = 1,
        links: AtomicFile.LinkPolicy = .follow
    ) throws -> [UInt8] {
        do {
            return try InputFile.withOpenFile(path, limit: maximumFileBytes, what: "checkpoint", links: links) { file in
                if let memory {
                    // A header length the file cannot hold is refused when the bytes are decoded;
                    // until then the bytes themselves are the need.
                    let claimed = file.size >= 8 ? SafeTensors.headerLength(of: try file.bytes(8, at: 0)) : 0
                    let headerBytes = claimed <= UInt64(Swift.max(Swift.min(SafeTensors.maximumHeaderBytes, file.size - 8), 0)) ? Int(claimed) : 0
                    let dataBytes = Swift.max(file.size - 8 - headerBytes, 0)
                    let needed = SafeTensors.memoryNeeded(headerBytes: headerBytes, dataBytes: dataBytes, copiesOfTheFile: copies)
                    try SafeTensors.checkMemory(
                        file: path, fileBytes: file.size, headerBytes: headerBytes, dataBytes: dataBytes, needed: needed, memory: memory)
                }
                return try file.bytes(file.size, at: 0)
            }
        } catch let error as FileError {
            throw CheckpointError(file: path, error.message)
        }
    }

    /// The row-major index of the element at flat `index` of a tensor of `shape`.
    private static func position(ofElement index: Int, shape: [Int]) -> [Int] {
        var rest = index
        var position = [Int](repeating: 0, count: shape.count)
        for axis in shape.indices.reversed() where shape[axis] > 0 {
            position[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return position
    }

    /// `entries` in the order ``safeTensors`` writes them: the parameters in `parameterNames`'
    /// order, the optimizer's state by name, the best parameters in parameter order, then the
    /// rest by name.
    static func inWritingOrder(_ entries: [SafeTensors.Entry], parameterNames: [String]) -> [SafeTensors.Entry] {
        let position = Dictionary(parameterNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        func key(_ entry: SafeTensors.Entry) -> (group: Int, index: Int, name: String) {
            if let index = position[entry.name] { return (0, index, "") }
            if entry.name.hasPrefix("optimizer/") { return (1, 0, entry.name) }
            if entry.name.hasPrefix("best/"), let index = position[String(entry.name.dropFirst(5))] { return (2, index, "") }
            return (3, 0, entry.name)
        }
        return entries.enumerated().sorted { a, b in
            let (x, y) = (key(a.element), key(b.element))
            // Ties (a name given twice) keep the file's order.
            return (x.group, x.index, x.name, a.offset) < (y.group, y.index, y.name, b.offset)
        }.map(\.element)
    }

    /// A 64-bit hash over every entry's name and shape (FNV-1a, byte by byte) and bits (FNV-1a's
    /// step on 64-bit words, ``FNV1a/combineWords(_:)``), in the order given, as 16 hex digits.
    static func checksum(of entries: [SafeTensors.Entry]) -> String {
        var hash = FNV1a()
        for entry in entries {
            hash.combine(entry.name)
            for dimension in entry.tensor.shape { hash.combine(dimension) }
            entry.tensor.withUnsafeBufferPointer { hash.combineWords($0) }
        }
        return hash.hexDigest
    }
}
