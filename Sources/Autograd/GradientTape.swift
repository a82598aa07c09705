/// Maps the gradient of an op's output to the gradients of its inputs.
///
/// `needed` says which inputs the tape wants a gradient for; a pullback may return `nil` for the
/// others and skip their work (the data matrix of a layer needs no gradient, for instance).
/// A pullback is written with ``Tensor`` operations, so an outer tape that is recording while an
/// inner tape computes its gradient records the pullback too: that gives higher derivatives.
public typealias Pullback = (_ upstream: Tensor, _ needed: InputMask) -> [Tensor?]

/// Which inputs of a recorded op need a gradient.
///
/// The first 64 inputs have a bit each; every input past them counts as needed (a pullback that
/// computes a gradient nobody asked for wastes work, and the tape discards it).
public struct InputMask: Sendable, Equatable {
    /// The number of inputs that have a bit of their own.
    static let bitCount = UInt64.bitWidth

    var bits: UInt64

    init(bits: UInt64) { self.bits = bits }

    /// The inputs that are present (not nil) need a gradient. Only the first ``bitCount`` get a
    /// bit; the subscript counts every later one as needed.
    init(present inputs: [ObjectIdentifier?]) {
        var bits: UInt64 = 0
        for (index, input) in inputs.prefix(InputMask.bitCount).enumerated() where input != nil {
            bits |= 1 << UInt64(index)
        }
        self.bits = bits
    }

    /// Whether input `index` needs a gradient.
    public subscript(index: Int) -> Bool {
        // `<<` by 64 or more gives 0 in Swift, which would drop the input.
        index >= InputMask.bitCount || bits & (1 << UInt64(index)) != 0
    }
}

/// What ``GradientTape/gradient(of:withRespectTo:unconnected:outputGradient:)-(_,[Tensor],_,_)``
/// returns for a source that the target does not depend on.
public enum UnconnectedGradients: Sendable {
    /// `nil`, as TensorFlow does by default.
    case none
    /// A tensor of zeros shaped like the source.
    case zero
}

/// Records operations on watched tensors so that it can compute gradients, as TensorFlow 2's
/// `tf.GradientTape` does.
///
/// Operations run inside ``record(_:)`` are recorded when one of their inputs is watched: a
/// tensor passed to ``watch(_:)-(Tensor)``, a trainable ``Variable`` read while recording, or the
/// result of a recorded operation.
/// ``gradient(of:withRespectTo:unconnected:outputGradient:)-(_,[Tensor],_,_)`` then walks the
/// record backwards, without recursion, and returns the partial derivatives.
///
/// ```swift
/// let x = Variable(10)
/// let tape = GradientTape()
/// let y = tape.record { 3 * x.value.pow(3) + x.value.pow(2) }
/// let dydx = tape.gradient(of: y, withRespectTo: x)   // 920
/// ```
///
/// A tape that is not persistent lets go of its record when it computes its first gradient, and a
/// second call stops the program. Computed inside the tape's own ``record(_:)`` block, that
/// gradient also ends the tape's recording, as in TensorFlow: the rest of the block runs, and
/// reads variables, unrecorded. A persistent tape asked for a gradient inside its own
/// ``record(_:)`` block records that gradient's computation, as TensorFlow's does, so the same
/// tape can differentiate it again. Nest tapes for higher derivatives. Tapes are per thread: an
/// operation is recorded only by the tapes recording on the thread that runs it.
public final class GradientTape {
    /// Whether the tape answers more than one gradient call (or Jacobian).
    public let isPersistent: Bool

    /// Whether reading a trainable ``Variable`` while recording watches it.
    public let watchesAccessedVariables: Bool

    /// One recorded op: its name, which output it made, which of its inputs lead back to a source
    /// of this tape, and how to pull a gradient back through it.
    struct Entry {
        /// The op's Swift name (`reshaped(to:)`, `+(_:_:)`), for the message when its pullback
        /// breaks its contract.
        var op: StaticString
        /// The output's storage, its identity (``Tensor/id``), kept alive so that its identifier
        /// cannot be reused while the tape exists.
        var output: TensorStorage
        /// The identity of each input of the op; `nil` for an input not connected to a source.
        var inputs: [ObjectIdentifier?]
        var pullback: Pullback
    }

    var entries: [Entry] = []
    /// The identifiers of the tensors connected to a watched tensor, with their shapes: the
    /// shapes that the gradients pullbacks return for them must have.
    ///
    /// An ``IdentityMap`` rather than a `Dictionary`: a tape usually connects a few tensors,
    /// which a linear search finds sooner than a hash; and a process's first dictionary of a
    /// given type costs the Swift runtime a scan of every protocol conformance (some 370 000
    /// instructions, measured with callgrind) to instantiate its storage, which the first step
    /// of a short loop would pay.
    var connected = IdentityMap<[Int]>()
    /// Which entry made each tensor, for the first `earlierProducer.count` entries: built by a
    /// backward pass over a record longer than ``longestRecordWalkedWhole``, and extended by
    /// the next one over whatever was recorded since. `latestProducer` holds the last entry
    /// whose output a tensor is, `earlierProducer` the one before each (-1 for none): an op
    /// can return a tensor an earlier op made, and a backward pass runs every such entry.
    private var latestProducer: [ObjectIdentifier: Int] = [:]
    private var earlierProducer: [Int] = []
    /// The longest record a backward pass walks whole. A short record, a training step's, is
    /// walked faster than it is indexed.
    var longestRecordWalkedWhole = 256
    /// Watched tensors' storage, kept alive for the same reason as ``Entry/output``.
    var watchedStorage: [TensorStorage] = []
    /// Positive while recording is suspended (by ``stopRecording(_:)`` or while differentiating).
    var pauseDepth = 0
    /// Whether a non-persistent tape has computed its gradient and let go of its record.
    private var isReleased = false

    /// Whether this tape records ops and watches variables read on its thread now: it is not
    /// suspended, and it has not let go of its record. A non-persistent tape asked for its
    /// gradient inside its own ``record(_:)`` block records nothing more in that block, as
    /// TensorFlow's tape stops recording then.
    var isRecording: Bool { pauseDepth == 0 && !isReleased }

    /// Makes a tape.
    ///
    /// - Parameters:
    ///   - persistent: allow several gradient calls (the record is kept until the tape is freed).
    ///   - watchAccessedVariables: watch every trainable ``Variable`` read while recording; when
    ///     `false`, only what ``watch(_:)-(Tensor)`` and ``watch(_:)-(Variable)`` name is watched.
    public init(persistent: Bool = false, watchAccessedVariables: Bool = true) {
        self.isPersistent = persistent
        self.watchesAccessedVariables = watchAccessedVariables
    }

    /// The number of operations recorded so far.
    public var recordedOperationCount: Int { entries.count }

    // MARK: Recording

    /// Runs `body` with this tape recording on the current thread and returns its result.
    ///
    /// A tape may record several blocks; they add to the same record. Blocks of different tapes
    /// nest, and every enclosing tape records too.
    public func record<Result>(_ body: () throws -> Result) rethrows -> Result {
        usagePrecondition(!isReleased, "GradientTape.record: this non-persistent tape has already computed a gradient and released its record; make a new tape or create it with persistent: true")
        let stack = TapeStack.currentOrNew
        stack.push(self)
        defer { stack.pop(self) }
        return try body()
    }

    /// Runs `body` without this tape recording, like TensorFlow's `tape.stop_recording()`.
    public func stopRecording<Result>(_ body: () throws -> Result) rethrows -> Result {
        pauseDepth += 1
        defer { pauseDepth -= 1 }
        return try body()
    }

    /// Watches `tensor`: operations on it are recorded and gradients can be taken with respect
    /// to it. Variables read while recording are watched without this call.
    public func watch(_ tensor: Tensor) {
        usagePrecondition(!isReleased, "GradientTape.watch: this non-persistent tape has already computed a gradient")
        if connected.insert(tensor.shape, for: tensor.id) {
            watchedStorage.append(tensor.storage)
        }
    }

    /// Watches the current value of `variable`, even if it is not trainable.
    public func watch(_ variable: Variable) {
        noteRead(of: variable, value: variable.storedValue)
    }

    /// The values of each variable read while recording, by the variable's identity, so that a
    /// gradient with respect to a variable covers every read of it, even across an `assign` in
    /// between, as in TensorFlow. The variables are kept alive so that their identities are not
    /// reused.
    private var variableReads = IdentityMap<VariableReads>()

    /// The values a tape read from one variable. A struct, not a tuple: the runtime builds a
    /// tuple's metadata on first use, which a tape's first recording would pay.
    private struct VariableReads {
        var variable: Variable
        var values: [Tensor]
    }

    /// Watches `value`, read from `variable`, and remembers the read.
    func noteRead(of variable: Variable, value: Tensor) {
        watch(value)
        variableReads.update(ObjectIdentifier(variable), inserting: { VariableReads(variable: variable, values: [value]) }) { read in
            if !read.values.contains(where: { $0.id == value.id }) { read.values.append(value) }
        }
    }

    /// Every value of `variable` this tape read (its current value when it read none).
    private func readValues(of variable: Variable) -> [Tensor] {
        variableReads[ObjectIdentifier(variable)]?.values ?? [variable.storedValue]
    }

    /// Whether this tape would record an op on `tensor` now.
    func isConnected(_ id: ObjectIdentifier) -> Bool { connected.contains(id) }

    // MARK: Gradients

    /// The gradient of `target` with respect to each source.
    ///
    /// A target with more than one element is differentiated as the sum of its elements, as in
    /// TensorFlow; pass `outputGradient` to weight them instead (a vector–Jacobian product).
    ///
    /// - Parameters:
    ///   - target: the value to differentiate, computed while this tape was recording.
    ///   - sources: tensors watched by this tape.
    ///   - unconnected: what to return for a source the target does not depend on.
    ///   - outputGradient: the gradient flowing into `target`; ones by default.
    /// - Returns: one gradient per source, shaped like the source.
    /// - Complexity: O(n) in the number of recorded operations, plus the cost of their pullbacks.
    public func gradient(
        of target: Tensor, withRespectTo sources: [Tensor],
        unconnected: UnconnectedGradients = .none, outputGradient: Tensor? = nil
    ) -> [Tensor?] {
        usagePrecondition(!isReleased, "GradientTape.gradient: a non-persistent GradientTape computes one gradient only; create it with GradientTape(persistent: true) to compute several")
        defer { if !isPersistent { release() } }
        return backward(from: target, to: sources, unconnected: unconnected, seed: outputGradient)
    }

    /// The gradient of `target` with respect to one source.
    public func gradient(
        of target: Tensor, withRespectTo source: Tensor,
        unconnected: UnconnectedGradients = .none, outputGradient: Tensor? = nil
    ) -> Tensor? {
        gradient(of: target, withRespectTo: [source], unconnected: unconnected, outputGradient: outputGradient)[0]
    }

    /// The gradient of `target` with respect to each variable: the sum over every value of it that
    /// was read while recording (one value, unless it was assigned in between).
    public func gradient(
        of target: Tensor, withRespectTo variables: [Variable],
        unconnected: UnconnectedGradients = .none, outputGradient: Tensor? = nil
    ) -> [Tensor?] {
        let reads = variables.map(readValues(of:))
        if reads.allSatisfy({ $0.count == 1 }) {
            // The usual case: one value read per variable.
            return gradient(of: target, withRespectTo: reads.map { $0[0] }, unconnected: unconnected, outputGradient: outputGradient)
        }
        let flat = gradient(of: target, withRespectTo: reads.flatMap { $0 }, unconnected: .none, outputGradient: outputGradient)
        var position = 0
        return zip(variables, reads).map { variable, values in
            let parts = flat[position..<(position + values.count)].compactMap { $0 }
            position += values.count
            if parts.isEmpty {
                return unconnected == .zero ? Tensor(repeating: 0, shape: variable.shape) : nil
            }
            return parts.dropFirst().reduce(parts[0], +)
        }
    }

    /// The gradient of `target` with respect to one variable.
    public func gradient(
        of target: Tensor, withRespectTo variable: Variable,
        unconnected: UnconnectedGradients = .none, outputGradient: Tensor? = nil
    ) -> Tensor? {
        gradient(of: target, withRespectTo: [variable], unconnected: unconnected, outputGradient: outputGradient)[0]
    }

    /// The gradient of `target` with respect to named sources; an unconnected source is left
    /// out of the result unless `unconnected` is `.zero`.
    public func gradient(
        of target: Tensor, withRespectTo sources: [String: Tensor],
        unconnected: UnconnectedGradients = .none
    ) -> [String: Tensor] {
        let names = Array(sources.keys)
        let gradients = gradient(of: target, withRespectTo: names.map { sources[$0]! }, unconnected: unconnected)
        var result: [String: Tensor] = [:]
        for (name, gradient) in zip(names, gradients) { result[name] = gradient }
        return result
    }

    /// The gradient of `target` with respect to named variables; see
    /// ``gradient(of:withRespectTo:unconnected:)-(_,[String:Tensor],_)``.
    public func gradient(
        of target: Tensor, withRespectTo variables: [String: Variable],
        unconnected: UnconnectedGradients = .none
    ) -> [String: Tensor] {
        let names = Array(variables.keys)
        let gradients = gradient(of: target, withRespectTo: names.map { variables[$0]! }, unconnected: unconnected)
        var result: [String: Tensor] = [:]
        for (name, gradient) in zip(names, gradients) { result[name] = gradient }
        return result
    }

    /// The Jacobian of `target` with respect to `source`: shape `target.shape + source.shape`,
    /// where element `[i..., j...]` is ∂target[i...] / ∂source[j...].
    ///
    /// Computed one row at a time by pulling back each unit vector, so it costs one backward pass
    /// per element of `target`. Unconnected sources give zeros.
    public func jacobian(of target: Tensor, withRespectTo source: Tensor) -> Tensor {
        usagePrecondition(!isReleased, "GradientTape.jacobian: a non-persistent GradientTape computes one gradient only")
        defer { if !isPersistent { release() } }
        let rows = target.scalarCount
        var unit = Tensor(repeating: 0, shape: target.shape)
        var jacobianRows: [Tensor] = []
        jacobianRows.reserveCapacity(rows)
        for row in 0..<rows {
            // `unit` serves as the seed itself. Writing the next row in place cannot change an
            // earlier seed: anything still holding one (a gradient passed through unchanged, the
            // pullback of an op an outer tape recorded) makes the write copy first. And `unit` is
            // never recorded or watched, so as a seed it aliases no tensor that a tape knows.
            unit.withUnsafeMutableBufferPointer { buffer in
                if row > 0 { buffer[row - 1] = 0 }
                buffer[row] = 1
            }
            let gradient = backward(from: target, to: [source], unconnected: .zero, seed: unit)[0]!
            jacobianRows.append(gradient.reshaped(to: [1, source.scalarCount]))
        }
        let flat = rows == 0 ? Tensor(repeating: 0, shape: [0, source.scalarCount]) : Tensor.concatenating(jacobianRows, alongAxis: 0)
        return flat.reshaped(to: target.shape + source.shape)
    }

    /// The Jacobian with respect to the value of `variable` that was read (the last one, when it
    /// was assigned between reads).
    public func jacobian(of target: Tensor, withRespectTo variable: Variable) -> Tensor {
        jacobian(of: target, withRespectTo: readValues(of: variable).last!)
    }

    /// Walks the record backwards from `target` and collects the gradients of `sources`.
    ///
    /// Every pullback must return one gradient (or `nil`) per input of its op, each shaped like
    /// its input; one that does not stops the program with a message naming the op. The checks
    /// cost a comparison of counts per op and a lookup per input, little next to the pullback's
    /// own tensor work, so they run in every build.
    private func backward(
        from target: Tensor, to sources: [Tensor], unconnected: UnconnectedGradients, seed: Tensor?
    ) -> [Tensor?] {
        if let seed {
            shapePrecondition(seed.shape == target.shape, "GradientTape.gradient: output gradient of shape \(seed.shape) does not match target of shape \(target.shape)")
        }
        // The pullbacks run tensor operations. A tape does not record them on itself, except a
        // persistent tape asked inside its own `record` block: TensorFlow's persistent tape then
        // records the gradient's computation, so that the gradient can be differentiated again
        // on the same tape. The entries that adds come after those this pass walks.
        let recordsItsOwnPullbacks = isPersistent && isRecording && TapeStack.current?.tapes.contains { $0 === self } == true
        if !recordsItsOwnPullbacks { pauseDepth += 1 }
        defer { if !recordsItsOwnPullbacks { pauseDepth -= 1 } }

        // A handful of sources is searched faster than it is hashed.
        let sourceIDs = sources.map(\.id)
        let sourceSet: Set<ObjectIdentifier>? = sourceIDs.count > 8 ? Set(sourceIDs) : nil
        func isSource(_ id: ObjectIdentifier) -> Bool { sourceSet?.contains(id) ?? sourceIDs.contains(id) }

        var gradients = PendingGradients()
        if isConnected(target.id) {
            gradients.add(seed ?? Tensor(repeating: 1, shape: target.shape), for: target.id)
            func pullBack(through position: Int) {
                let entry = entries[position]
                let id = ObjectIdentifier(entry.output)
                guard let upstream = isSource(id) ? gradients[id] : gradients.remove(id) else {
                    return
                }
                let inputGradients = entry.pullback(upstream, InputMask(present: entry.inputs))
                usagePrecondition(
                    inputGradients.count == entry.inputs.count,
                    "GradientTape: the pullback of \(entry.op) returned \(counted(inputGradients.count, "gradient")), but the op has \(counted(entry.inputs.count, "input")); a pullback returns one gradient (or nil) per input")
                for (index, input) in entry.inputs.enumerated() {
                    guard let input, let gradient = inputGradients[index] else { continue }
                    // Present: an entry names only inputs that were connected when it was made.
                    let inputShape = connected[input]!
                    shapePrecondition(
                        gradient.shape == inputShape,
                        "GradientTape: the pullback of \(entry.op) returned a gradient of shape \(gradient.shape) for input \(index), which has shape \(inputShape); each gradient must be shaped like its input")
                    gradients.add(gradient, for: input)
                }
            }
            // A short record, a training step's, is walked whole, without an array of positions.
            if entries.count > longestRecordWalkedWhole {
                for position in entryPositions(leadingTo: target.id) { pullBack(through: position) }
            } else {
                for position in entries.indices.reversed() { pullBack(through: position) }
            }
        }
        return sources.map { source in
            if let gradient = gradients[source.id] {
                return gradient
            }
            return unconnected == .zero ? Tensor(repeating: 0, shape: source.shape) : nil
        }
    }

    /// The positions of the entries a backward pass from `target` over a record longer than
    /// ``longestRecordWalkedWhole`` runs, latest first.
    ///
    /// A gradient reaches only the entries that made `target` or, recursively, one of their
    /// inputs; every other entry would find none pending and be passed over. On a long record
    /// those are found from the target through an index of which entries made each tensor, so
    /// that a backward pass costs what its part of the graph costs, not the whole record: the
    /// second derivatives of an expression of n variables take n passes over small parts of a
    /// record of O(n) entries. The entries run in the same order either way, so the gradients'
    /// sums, and their bits, are the same.
    private func entryPositions(leadingTo target: ObjectIdentifier) -> [Int] {
        while earlierProducer.count < entries.count {
            let id = ObjectIdentifier(entries[earlierProducer.count].output)
            earlierProducer.append(latestProducer[id] ?? -1)
            latestProducer[id] = earlierProducer.count - 1
        }
        var reached = Set<Int>()
        var pending = [target]
        while let id = pending.popLast() {
            var position = latestProducer[id] ?? -1
            while position >= 0 {
                if reached.insert(position).inserted {
                    for case let input? in entries[position].inputs { pending.append(input) }
                }
                position = earlierProducer[position]
            }
        }
        return reached.sorted(by: >)
    }

    private func release() {
        isReleased = true
        latestProducer = [:]
        earlierProducer = []
        entries = []
        connected = IdentityMap()
        watchedStorage = []
        variableReads = IdentityMap()
    }
}

/// `count` and `noun`, plural unless the count is 1: "1 input", "2 inputs".
private func counted(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}

/// The gradients that ``GradientTape`` has pulled back to tensors whose own entries (or whose
/// caller) have not consumed them yet, keyed by tensor identity. A backward pass holds few of
/// them at a time (its frontier plus the sources).
typealias PendingGradients = IdentityMap<Tensor>

extension IdentityMap<Tensor> {
    /// Adds `gradient` to what is pending for `id` (∂L/∂x sums over every use of x).
    mutating func add(_ gradient: Tensor, for id: ObjectIdentifier) {
        update(id, inserting: { gradient }, modifying: { $0 = $0 + gradient })
    }
}

// MARK: - Recording ops

extension Tensor {
    /// Records an op with one input on every tape of this thread that watches the input.
    ///
    /// `makePullback` runs only when some tape records, so an op costs nothing extra when no tape
    /// is recording. `op` names the op in the tape's messages; its default, the calling
    /// function's name (`exp()`, `reshaped(to:)`), is what the op's caller wrote.
    static func record(
        _ output: Tensor, _ input: Tensor, op: StaticString = #function, pullback makePullback: () -> Pullback
    ) {
        guard let stack = TapeStack.active else { return }
        stack.record(op, output: output, inputs: CollectionOfOne(input.id), makePullback: makePullback)
    }

    /// Records an op with two inputs; see ``record(_:_:op:pullback:)``.
    static func record(
        _ output: Tensor, _ a: Tensor, _ b: Tensor, op: StaticString = #function, pullback makePullback: () -> Pullback
    ) {
        guard let stack = TapeStack.active else { return }
        stack.record(op, output: output, inputs: [a.id, b.id], makePullback: makePullback)
    }

    /// Records an op with any number of inputs; see ``record(_:_:op:pullback:)``.
    static func record(
        _ output: Tensor, _ inputs: [Tensor], op: StaticString = #function, pullback makePullback: () -> Pullback
    ) {
        guard let stack = TapeStack.active else { return }
        stack.record(op, output: output, inputs: inputs.map(\.id), makePullback: makePullback)
    }
}

extension TapeStack {
    func record<Inputs: Collection<ObjectIdentifier>>(
        _ op: StaticString, output: Tensor, inputs: Inputs, makePullback: () -> Pullback
    ) {
        var pullback: Pullback?
        for tape in tapes where tape.isRecording {
            // Checked before building this tape's list of inputs, so an op on tensors the tape
            // does not watch adds no entry and builds no pullback.
            guard inputs.contains(where: tape.isConnected) else { continue }
            let ids: [ObjectIdentifier?] = inputs.map { tape.isConnected($0) ? $0 : nil }
            if pullback == nil { pullback = makePullback() }
            tape.entries.append(GradientTape.Entry(op: op, output: output.storage, inputs: ids, pullback: pullback!))
            tape.connected.set(output.shape, for: output.id)
        }
    }

    /// Called when a trainable variable is read: every recording tape that watches accessed
    /// variables starts watching its value.
    func variableRead(_ variable: Variable, value: Tensor) {
        for tape in tapes where tape.isRecording && tape.watchesAccessedVariables {
            tape.noteRead(of: variable, value: value)
        }
    }
}

/// `tensor`'s values as a tensor through which no gradient flows, like `tf.stop_gradient`.
///
/// The result is a view: it shares `tensor`'s elements (none is copied) but is a different
/// tensor to a tape, one that no op recorded, so gradients stop at it.
public func stopGradient(_ tensor: Tensor) -> Tensor {
    tensor.view(as: tensor.shape)
}

/// Suspends every tape recording on this thread while `body` runs.
public func withoutRecording<Result>(_ body: () throws -> Result) rethrows -> Result {
    guard let stack = TapeStack.active else { return try body() }
    for tape in stack.tapes { tape.pauseDepth += 1 }
    defer { for tape in stack.tapes { tape.pauseDepth -= 1 } }
    return try body()
}

/// Applies `forward` to `inputs` and records it as one op whose gradient is `gradient`, like
/// `tf.custom_gradient`.
///
/// The operations inside `forward` are not recorded; the tape sees one op whose pullback is
/// `gradient(upstream, inputs, output)`, which must return one gradient per input, shaped like it
/// (the tape stops the program, naming `customGradient`, when it does not). Write `gradient` with
/// tensor operations to keep higher derivatives working.
///
/// ```swift
/// // Rounding forward, the gradient passed straight through (a straight-through estimator).
/// let y = customGradient(x) { inputs in inputs[0].rounded() } gradient: { upstream, _, _ in
///     [upstream]
/// }
/// ```
public func customGradient(
    _ inputs: Tensor...,
    forward: ([Tensor]) -> Tensor,
    gradient: @escaping (_ upstream: Tensor, _ inputs: [Tensor], _ output: Tensor) -> [Tensor]
) -> Tensor {
    let output = withoutRecording { forward(inputs) }.distinctTensor(from: inputs)
    Tensor.record(output, inputs) { { upstream, _ in gradient(upstream, inputs, output) } }
    return output
}

extension Tensor {
    /// `self`, or a view of it when it is one of `others` (an op's output must have an identity
    /// of its own on the tape, even when the op returns an input unchanged).
    func distinctTensor(from others: [Tensor]) -> Tensor {
        others.contains { $0.id == id } ? view(as: shape) : self
    }
}

