import Autograd
import CKernels
import Synchronization

/// A piece of the all-reduced gradient: elements `elements` of parameter `parameter`.
public struct ReducedChunk: @unchecked Sendable {
    /// The parameter's index in the layout.
    public let parameter: Int
    /// The elements of that parameter (row-major) the chunk covers.
    public let elements: Range<Int>
    /// Their reduced values, `elements.count` of them; valid only during the call that hands the
    /// chunk over.
    public let values: UnsafeBufferPointer<Float>

    /// A chunk of parameter `parameter`'s elements `elements`, whose reduced values are `values`.
    ///
    /// - Precondition: `values` holds `elements.count` floats.
    public init(parameter: Int, elements: Range<Int>, values: UnsafeBufferPointer<Float>) {
        shapePrecondition(
            values.count == elements.count,
            "ReducedChunk: \(values.count) values for the \(elements.count) elements \(elements) of parameter \(parameter)")
        self.parameter = parameter
        self.elements = elements
        self.values = values
    }
}

/// Sums the micro-shard gradients into the gradient of the global batch.
///
/// An implementation must add, for every element, the active slots in the order given and then
/// divide by `divisor`; that fixed order is what makes training bitwise reproducible for any
/// number of workers. The in-process reducer is ``InProcessGradientReducer``; a cross-process
/// one conforms to ``DistributedGradientReducer`` and sums every rank's slots in the same global
/// micro-shard order (`SwiftGradMPI`'s `MPIGradientReducer`).
///
/// The result is handed over in chunks, so that a consumer (the trainer's optimizer step) can use
/// each chunk on the thread that reduced it while it is still in that core's cache, or written
/// straight into one flat buffer (``allReduce(_:activeSlots:divisor:into:)``).
public protocol GradientReducer: Sendable {
    /// Hands `consume` every element of (Σ over `activeSlots`, in that order, of the slots'
    /// gradients) / `divisor` exactly once, in chunks.
    ///
    /// - Parameters:
    ///   - slots: the micro-shard gradients.
    ///   - activeSlots: the slots to add, in summation order; at least one.
    ///   - divisor: the global batch size, so the result is the batch's mean gradient.
    ///   - consume: called once per chunk, possibly from several threads at once for disjoint
    ///     chunks; returns before this method does.
    func allReduce(
        _ slots: GradientSlots, activeSlots: [Int], divisor: Float, consume: @escaping @Sendable (ReducedChunk) -> Void)

    /// The same sums written into one flat buffer laid out as `slots.layout`.
    ///
    /// - Parameters:
    ///   - slots: the micro-shard gradients.
    ///   - activeSlots: the slots to add, in summation order; at least one.
    ///   - divisor: the global batch size.
    ///   - output: at least `slots.layout.totalCount` elements.
    func allReduce(_ slots: GradientSlots, activeSlots: [Int], divisor: Float, into output: UnsafeMutableBufferPointer<Float>)
}

extension GradientReducer {
    /// By default, each chunk is copied to its place in `output`.
    public func allReduce(_ slots: GradientSlots, activeSlots: [Int], divisor: Float, into output: UnsafeMutableBufferPointer<Float>) {
        let destination = FlatGradient(output, layout: slots.layout)
        allReduce(slots, activeSlots: activeSlots, divisor: divisor) { chunk in
            destination.start(of: chunk.parameter, at: chunk.elements.lowerBound)
                .update(from: chunk.values.baseAddress!, count: chunk.values.count)
        }
    }
}

/// A flat buffer laid out as a ``ParameterLayout``, which the threads of an all-reduce write in
/// disjoint chunks.
struct FlatGradient: @unchecked Sendable {
    private let base: UnsafeMutablePointer<Float>
    private let layout: ParameterLayout

    init(_ output: UnsafeMutableBufferPointer<Float>, layout: ParameterLayout) {
        usagePrecondition(output.count >= layout.totalCount, "GradientReducer.allReduce: output holds \(output.count) elements, needs \(layout.totalCount)")
        self.base = output.baseAddress!
        self.layout = layout
    }

    /// The address of element `element` of parameter `parameter`.
    func start(of parameter: Int, at element: Int) -> UnsafeMutablePointer<Float> {
        base + layout.offsets[parameter] + element
    }
}

/// Reduces gradient slots with several threads of this process, which take chunks one at a
/// time, sum them and hand each over as soon as it is summed. Taking chunks as they go, rather
/// than a fixed share each, lets a faster core (or one not interrupted) take more of them.
///
/// Elements are independent, so splitting them over threads changes nothing in any sum: the
/// result is the same bits for any thread count.
public struct InProcessGradientReducer: GradientReducer {
    /// Threads that reduce at once.
    public let threads: Int
    private let pool: WorkerPool

    /// Elements per chunk (16 KiB of floats): small enough that a chunk's sum stays in the first
    /// level cache while its consumer uses it, large enough to keep the per-chunk cost negligible.
    public static let chunkSize = 4096

    /// Makes a reducer that uses `threads` threads (1 reduces on the calling thread).
    public init(threads: Int) {
        self.init(threads: threads, pool: WorkerPool())
    }

    /// A reducer that runs on `pool`'s threads: the engine's own, so that the threads that
    /// computed the gradients, still spinning, reduce them.
    init(threads: Int, pool: WorkerPool) {
        countPrecondition(threads, "InProcessGradientReducer: threads")
        self.threads = threads
        self.pool = pool
    }

    public func allReduce(
        _ slots: GradientSlots, activeSlots: [Int], divisor: Float, consume: @escaping @Sendable (ReducedChunk) -> Void
    ) {
        forEachChunk(slots, activeSlots: activeSlots) { chunk, sources in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: chunk.elements.count) { scratch in
                sg_reduce_slots(sources, Int32(sources.count), scratch.baseAddress!, chunk.elements.count, divisor)
                consume(ReducedChunk(parameter: chunk.parameter, elements: chunk.elements, values: UnsafeBufferPointer(scratch)))
            }
        }
    }

    /// Sums straight into `output`, with no chunk copied on the way.
    public func allReduce(_ slots: GradientSlots, activeSlots: [Int], divisor: Float, into output: UnsafeMutableBufferPointer<Float>) {
        let destination = FlatGradient(output, layout: slots.layout)
        forEachChunk(slots, activeSlots: activeSlots) { chunk, sources in
            sg_reduce_slots(
                sources, Int32(sources.count), destination.start(of: chunk.parameter, at: chunk.elements.lowerBound),
                chunk.elements.count, divisor)
        }
    }

    /// Calls `body` once for every chunk with the addresses of its elements in each active slot,
    /// in summation order; the threads take the chunks in layout order, one at a time.
    private func forEachChunk(
        _ slots: GradientSlots, activeSlots: [Int],
        _ body: @escaping @Sendable ((parameter: Int, elements: Range<Int>), [UnsafePointer<Float>?]) -> Void
    ) {
        usagePrecondition(!activeSlots.isEmpty, "GradientReducer.allReduce: no slot to reduce")
        let chunks = Self.chunks(of: slots.layout.counts)
        guard !chunks.isEmpty else { return }
        slots.withGradients(ofSlots: activeSlots) { gradients in
            // Every element's sum runs over the slots in the same order whatever the split.
            let runs = Swift.min(threads, chunks.count)
            let claims = ChunkClaims()
            let reduceRun: @Sendable (Int) -> Void = { _ in
                var sources = [UnsafePointer<Float>?](repeating: nil, count: gradients.slotCount)
                while true {
                    let index = claims.next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard index < chunks.count else { return }
                    let chunk = chunks[index]
                    for slot in 0..<gradients.slotCount {
                        sources[slot] = gradients.gradient(slot: slot, parameter: chunk.parameter) + chunk.elements.lowerBound
                    }
                    body(chunk, sources)
                }
            }
            if runs == 1 {
                reduceRun(0)
            } else {
                pool.run(runs, reduceRun)
            }
        }
    }

    /// Every parameter cut into chunks of at most ``chunkSize`` elements, in layout order.
    static func chunks(of counts: [Int]) -> [(parameter: Int, elements: Range<Int>)] {
        var chunks: [(parameter: Int, elements: Range<Int>)] = []
        for (parameter, count) in counts.enumerated() {
            for start in stride(from: 0, to: count, by: chunkSize) {
                chunks.append((parameter, start..<Swift.min(count, start + chunkSize)))
            }
        }
        return chunks
    }
}

/// The next chunk of an all-reduce that no thread has taken yet.
private final class ChunkClaims: Sendable {
    let next = Atomic<Int>(0)
}
