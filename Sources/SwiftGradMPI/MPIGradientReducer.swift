import Autograd
import CKernels
import DataParallel
import Dispatch
import Models

/// Sums the micro-shard gradients of every rank of an MPI job, so that each rank computes only
/// its share of a batch and all of them step with the same mean gradient.
///
/// With ``Reduction-swift.enum/deterministic`` (the default) the result is bitwise the gradient
/// of a one-process run, for any number of ranks and of workers in each:
///
/// 1. **Reduce-scatter by element range.** The flat gradient (parameters one after another, as
///    ``/DataParallel/ParameterLayout`` lays them out) is cut into one range per rank. Every rank
///    sends each other rank that rank's range of each of its micro-shard gradients, unsummed.
///    Ranks hold contiguous runs of micro-shards in order, so the owner receives its range of
///    every micro-shard in micro-shard order, and adds them in that order and divides by the
///    batch size exactly as the in-process reducer does (`sg_reduce_slots`).
/// 2. **All-gather.** Every rank sends its summed range to the others.
///
/// Each rank receives (micro-shards × parameters / ranks) floats in the first phase and
/// (parameters × (ranks − 1) / ranks) in the second.
///
/// ``Reduction-swift.enum/allreduce`` instead adds this rank's micro-shards and hands the sums to
/// `MPI_Allreduce`, which adds the ranks in an order of its own choosing: one collective call,
/// but the bits then differ from a one-process run's and may depend on the rank count (and, the
/// MPI standard allows, differ between ranks).
///
/// Every exchange polls non-blocking calls with the communicator's deadline
/// (``MPICommunicator/timeout``): a rank that stops answering ends the job with a message naming
/// it and the step.
///
/// ```swift
/// let communicator = try MPICommunicator()
/// let reducer = MPIGradientReducer(communicator: communicator)
/// let trainer = Trainer(model: model, data: split, optimizer: Adam(), options: options, reducer: reducer)
/// let summary = trainer.run { line in if communicator.rank == 0 { print(line) } }
/// communicator.finalize()
/// ```
public final class MPIGradientReducer: DistributedGradientReducer, @unchecked Sendable {
    /// How the ranks' gradients are added.
    public enum Reduction: String, Sendable, CaseIterable {
        /// Reduce-scatter by element range, summed in micro-shard order, then all-gather: the bits
        /// of a one-process run.
        case deterministic
        /// Each rank's micro-shards summed, then `MPI_Allreduce`: the order of the ranks' sums is
        /// MPI's.
        case allreduce
    }

    /// The job.
    public let communicator: MPICommunicator
    /// How gradients are added across ranks.
    public let reduction: Reduction
    /// Threads that hand the reduced gradient to the consumer (the optimizer's update).
    public let threads: Int
    public var rank: Int { communicator.rank }
    public var rankCount: Int { communicator.size }
    /// True for ``Reduction-swift.enum/deterministic`` only: `MPI_Allreduce` adds the ranks' sums
    /// in its own order.
    public var addsInMicroShardOrder: Bool { reduction == .deterministic }

    /// The step being reduced (counted from 1), for messages; set by the exchange of results that
    /// precedes each reduction, on the thread that drives the engine.
    private var step = 0
    /// The reduce-scatter's send and receive buffers, kept from step to step (the first touch of
    /// fresh pages would otherwise cost as much as the copy into them).
    private var outgoingBuffer = ReusedBuffer()
    private var incomingBuffer = ReusedBuffer()

    deinit {
        outgoingBuffer.free()
        incomingBuffer.free()
    }

    /// A reducer over `communicator`'s ranks.
    ///
    /// - Parameters:
    ///   - communicator: the job.
    ///   - reduction: ``Reduction-swift.enum/deterministic`` by default.
    ///   - threads: threads that hand the chunks of the reduced gradient over (at least 1); 1 by
    ///     default.
    public init(communicator: MPICommunicator, reduction: Reduction = .deterministic, threads: Int = 1) {
        self.communicator = communicator
        countPrecondition(threads, "MPIGradientReducer: threads")
        self.reduction = reduction
        self.threads = threads
    }

    // MARK: Losses

    /// Each rank sends every other rank its micro-shards' losses and prediction counts, with its
    /// step, which must be this rank's, and its stop request: every rank then picks the same
    /// request, the lowest rank's, from the same words.
    public func exchangeMicroShardResults(_ results: inout [MicroShardResult?], activeSlots: [Int], step: Int, stopRequest: Int32) -> Int32 {
        self.step = step + 1
        let shares = (0..<rankCount).map { MicroShardPlan.share(of: Array(activeSlots.indices), part: $0, parts: rankCount) }
        // The step, the stop request, then per micro-shard: the loss's bits, whether predictions
        // were counted, and their counts.
        var record: [UInt64] = [UInt64(step), UInt64(UInt32(bitPattern: stopRequest))]
        for index in shares[rank] {
            let result = results[index] ?? MicroShardResult(loss: .nan)
            record.append(UInt64(result.loss.bitPattern))
            record.append(result.predictions == nil ? 0 : 1)
            record.append(UInt64(bitPattern: Int64(result.predictions?.correct ?? 0)))
            record.append(UInt64(bitPattern: Int64(result.predictions?.total ?? 0)))
        }
        let all = exchange(record, shares: shares)
        var agreed: Int32 = 0
        for peer in 0..<rankCount {
            if peer == rank {
                if agreed == 0 { agreed = stopRequest }
                continue
            }
            let words = all[peer]
            guard words.count == Self.headerWords + 4 * shares[peer].count else {
                communicator.abort("rank \(peer) sent \(words.count) words of micro-shard results at step \(step + 1), expected \(Self.headerWords + 4 * shares[peer].count)")
            }
            guard words[0] == UInt64(step) else {
                communicator.abort("rank \(peer) is at step \(words[0] + 1) but this rank at step \(step + 1); the ranks' runs differ")
            }
            if agreed == 0 { agreed = Int32(bitPattern: UInt32(truncatingIfNeeded: words[1])) }
            for (position, index) in shares[peer].enumerated() {
                let base = Self.headerWords + 4 * position
                results[index] = MicroShardResult(
                    loss: Float(bitPattern: UInt32(truncatingIfNeeded: words[base])),
                    predictions: words[base + 1] == 0 ? nil : PredictionCount(
                        correct: Int(Int64(bitPattern: words[base + 2])), total: Int(Int64(bitPattern: words[base + 3]))))
            }
        }
        return agreed
    }

    /// The words before a rank's micro-shard results: its step and its stop request.
    private static let headerWords = 2

    /// Every rank's words, indexed by rank; rank `r` sends `headerWords + 4 × shares[r].count` of them.
    private func exchange(_ own: [UInt64], shares: [ArraySlice<Int>]) -> [[UInt64]] {
        var received = (0..<rankCount).map { peer in
            [UInt64](repeating: 0, count: peer == rank ? 0 : Self.headerWords + 4 * shares[peer].count)
        }
        let buffers = received.map { UnsafeMutableBufferPointer<UInt64>.allocate(capacity: Swift.max(1, $0.count)) }
        defer { buffers.forEach { $0.deallocate() } }
        own.withUnsafeBytes { ownBytes in
            let exchange = Exchange(communicator)
            for peer in 0..<rankCount where peer != rank {
                exchange.receive(UnsafeMutableRawPointer(buffers[peer].baseAddress!), bytes: received[peer].count * 8, from: peer, tag: Tag.results)
                exchange.send(ownBytes.baseAddress, bytes: ownBytes.count, to: peer, tag: Tag.results)
            }
            exchange.wait(what: "the micro-shard losses", step: step)
        }
        for peer in 0..<rankCount where peer != rank {
            received[peer] = Array(buffers[peer].prefix(received[peer].count))
        }
        return received
    }

    // MARK: Gradients

    public func allReduce(
        _ slots: GradientSlots, activeSlots: [Int], divisor: Float, consume: @escaping @Sendable (ReducedChunk) -> Void
    ) {
        let layout = slots.layout
        let reduced = UnsafeMutableBufferPointer<Float>.allocate(capacity: Swift.max(1, layout.totalCount))
        defer { reduced.deallocate() }
        allReduce(slots, activeSlots: activeSlots, divisor: divisor, into: reduced)
        // Hand the mean gradient over in chunks, each parameter's cut at 4096 elements.
        var chunks: [(parameter: Int, elements: Range<Int>)] = []
        for (parameter, count) in layout.counts.enumerated() {
            for start in stride(from: 0, to: count, by: InProcessGradientReducer.chunkSize) {
                chunks.append((parameter, start..<Swift.min(count, start + InProcessGradientReducer.chunkSize)))
            }
        }
        let source = UnsafePointerBox(reduced.baseAddress!)
        let offsets = layout.offsets, planned = chunks
        let handOver: @Sendable (Int) -> Void = { index in
            let (parameter, elements) = planned[index]
            let start = source.pointer + offsets[parameter] + elements.lowerBound
            consume(ReducedChunk(parameter: parameter, elements: elements, values: UnsafeBufferPointer(start: start, count: elements.count)))
        }
        if threads == 1 || chunks.count < 2 {
            for index in chunks.indices { handOver(index) }
        } else {
            DispatchQueue.concurrentPerform(iterations: chunks.count, execute: handOver)
        }
    }

    public func allReduce(_ slots: GradientSlots, activeSlots: [Int], divisor: Float, into output: UnsafeMutableBufferPointer<Float>) {
        let layout = slots.layout
        guard output.count >= layout.totalCount else {
            communicator.abort("MPIGradientReducer.allReduce: the output holds \(output.count) elements, needs \(layout.totalCount)")
        }
        let shares = (0..<rankCount).map { MicroShardPlan.share(of: activeSlots, part: $0, parts: rankCount) }
        switch reduction {
        case .deterministic:
            reduceScatterGather(slots, shares: shares, divisor: divisor, into: output.baseAddress!)
        case .allreduce:
            allReduceSums(slots, own: Array(shares[rank]), divisor: divisor, into: output.baseAddress!)
        }
    }

    /// The elements of the flat gradient rank `owner` sums.
    private func range(ofRank owner: Int, total: Int) -> Range<Int> {
        (owner * total / rankCount)..<((owner + 1) * total / rankCount)
    }

    private func reduceScatterGather(_ slots: GradientSlots, shares: [ArraySlice<Int>], divisor: Float, into output: UnsafeMutablePointer<Float>) {
        let layout = slots.layout
        let total = layout.totalCount
        let own = Array(shares[rank])
        let mine = range(ofRank: rank, total: total)
        // What this rank sends: for each rank, that rank's range of each of its own micro-shards,
        // in order. Its own range is "sent" to itself in the same buffer.
        let outgoing = outgoingBuffer.take(own.count * total)
        var outgoingStart = [Int](repeating: 0, count: rankCount)
        if !own.isEmpty {
            slots.withGradients(ofSlots: own) { gradients in
                var at = 0
                for owner in 0..<rankCount {
                    outgoingStart[owner] = at
                    let elements = range(ofRank: owner, total: total)
                    for slot in 0..<own.count {
                        Self.copy(elements, of: gradients, slot: slot, layout: layout, to: outgoing.baseAddress! + at)
                        at += elements.count
                    }
                }
            }
        }
        // What this rank receives: its range of every micro-shard, in micro-shard order.
        let slotCount = shares.reduce(0) { $0 + $1.count }
        let incoming = incomingBuffer.take(slotCount * mine.count)
        var incomingStart = [Int](repeating: 0, count: rankCount + 1)
        for peer in 0..<rankCount { incomingStart[peer + 1] = incomingStart[peer] + shares[peer].count * mine.count }
        let scatter = Exchange(communicator)
        for peer in 0..<rankCount where peer != rank {
            scatter.receive(incoming.baseAddress! + incomingStart[peer], count: shares[peer].count * mine.count, from: peer, tag: Tag.scatter)
            scatter.send(
                outgoing.baseAddress! + outgoingStart[peer], count: own.count * range(ofRank: peer, total: total).count, to: peer,
                tag: Tag.scatter)
        }
        (incoming.baseAddress! + incomingStart[rank]).update(from: outgoing.baseAddress! + outgoingStart[rank], count: own.count * mine.count)
        scatter.wait(what: "the reduce-scatter of the gradients", step: step)

        if !mine.isEmpty {
            let sources: [UnsafePointer<Float>?] = (0..<slotCount).map { UnsafePointer(incoming.baseAddress! + $0 * mine.count) }
            sg_reduce_slots(sources, Int32(slotCount), output + mine.lowerBound, mine.count, divisor)
        }

        let gather = Exchange(communicator)
        for peer in 0..<rankCount where peer != rank {
            let theirs = range(ofRank: peer, total: total)
            gather.receive(output + theirs.lowerBound, count: theirs.count, from: peer, tag: Tag.gather)
            gather.send(output + mine.lowerBound, count: mine.count, to: peer, tag: Tag.gather)
        }
        gather.wait(what: "the all-gather of the summed gradient", step: step)
    }

    /// Copies the flat elements `elements` of slot `slot`'s gradients (several parameters when
    /// the range spans them) to `target`.
    private static func copy(_ elements: Range<Int>, of gradients: SlotGradients, slot: Int, layout: ParameterLayout, to target: UnsafeMutablePointer<Float>) {
        var written = 0
        for parameter in layout.counts.indices {
            let start = layout.offsets[parameter], end = start + layout.counts[parameter]
            let lower = Swift.max(start, elements.lowerBound), upper = Swift.min(end, elements.upperBound)
            guard lower < upper else { continue }
            (target + written).update(from: gradients.gradient(slot: slot, parameter: parameter) + (lower - start), count: upper - lower)
            written += upper - lower
        }
    }

    private func allReduceSums(_ slots: GradientSlots, own: [Int], divisor: Float, into output: UnsafeMutablePointer<Float>) {
        guard communicator.size == communicator.worldSize else {
            communicator.abort("MPI_Allreduce sums over all \(communicator.worldSize) ranks of the job; it cannot reduce over the first \(communicator.size)")
        }
        let layout = slots.layout
        if own.isEmpty {
            output.update(repeating: 0, count: layout.totalCount)
        } else {
            slots.withGradients(ofSlots: own) { gradients in
                for parameter in layout.counts.indices {
                    let sources: [UnsafePointer<Float>?] = (0..<own.count).map { gradients.gradient(slot: $0, parameter: parameter) }
                    sg_reduce_slots(sources, Int32(own.count), output + layout.offsets[parameter], layout.counts[parameter], 1)
                }
            }
        }
        let exchange = Exchange(communicator)
        exchange.allReduceSum(output, count: layout.totalCount)
        exchange.wait(what: "MPI_Allreduce of the gradients", step: step)
        for index in 0..<layout.totalCount { output[index] /= divisor }
    }
}

/// A buffer of floats that grows to the largest size asked for and is then reused.
private struct ReusedBuffer {
    private var storage = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)

    /// At least `count` floats (uninitialised), valid until the next call.
    mutating func take(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
        if storage.count < Swift.max(1, count) {
            storage.deallocate()
            storage = .allocate(capacity: Swift.max(1, count))
        }
        return storage
    }

    func free() { storage.deallocate() }
}

/// A pointer the threads of a hand-over read from.
private struct UnsafePointerBox: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}
