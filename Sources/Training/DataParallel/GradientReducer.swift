/// Sums the micro-shard gradients into the gradient of the global batch.
///
/// An implementation must add, for every element, the active slots in the order given and then
/// divide by `divisor`; that fixed order is what makes training bitwise reproducible for any
/// number of workers. The in-process reducer is ``InProcessGradientReducer``; a cross-process
/// one (MPI) would conform by summing its ranks' slots in a fixed global order.
public protocol GradientReducer: Sendable {
    /// Writes (Σ over `activeSlots`, in that order, of `slots.slot(i)[e]`) / `divisor` into
    /// `output[e]` for every element `e`.
    ///
    /// - Parameters:
    ///   - slots: the micro-shard gradients.
    ///   - activeSlots: the slots to add, in summation order; at least one.
    ///   - divisor: the global batch size, so the result is the batch's mean gradient.
    ///   - output: `slots.layout.totalCount` elements.
    func allReduce(_ slots: GradientSlots, activeSlots: [Int], divisor: Float, into output: UnsafeMutableBufferPointer<Float>)
}

/// Reduces gradient slots with several threads of this process, each summing its own range of
/// elements.
///
/// Elements are independent, so splitting them over threads changes nothing in any sum: the
/// result is the same bits for any thread count.
public struct InProcessGradientReducer: GradientReducer {
    /// Threads that reduce at once.
    public let threads: Int
    private let pool: WorkerPool

    /// Elements one thread reduces in one pass over the slots: 16 KiB per slot, so a block of the
    /// output stays in the L1 cache while every slot is added to it.
    static let blockSize = 4096

    /// Makes a reducer that uses `threads` threads (1 reduces on the calling thread).
    public init(threads: Int) {
        precondition(threads >= 1, "InProcessGradientReducer: threads must be at least 1, got \(threads)")
        self.threads = threads
        self.pool = WorkerPool()
    }

    public func allReduce(_ slots: GradientSlots, activeSlots: [Int], divisor: Float, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(!activeSlots.isEmpty, "GradientReducer.allReduce: no slot to reduce")
        let total = slots.layout.totalCount
        precondition(output.count >= total, "GradientReducer.allReduce: output holds \(output.count) elements, needs \(total)")
        let sources = activeSlots.map { slots.slot($0).baseAddress! }
        let destination = SendablePointer(output.baseAddress!)
        let sourcePointers = sources.map(SendablePointer.init)
        // Chunks are whole blocks so that each thread starts on a block boundary.
        let blocks = (total + Self.blockSize - 1) / Self.blockSize
        let chunks = Swift.max(1, Swift.min(threads, blocks))
        let reduceChunk: @Sendable (Int) -> Void = { chunk in
            let first = chunk * blocks / chunks * Self.blockSize
            let end = Swift.min(total, (chunk + 1) * blocks / chunks * Self.blockSize)
            var start = first
            while start < end {
                let stop = Swift.min(end, start + Self.blockSize)
                Self.reduceBlock(sourcePointers, into: destination.pointer, range: start..<stop, divisor: divisor)
                start = stop
            }
        }
        if chunks == 1 {
            reduceChunk(0)
        } else {
            pool.run(chunks, reduceChunk)
        }
        withExtendedLifetime(slots) {}
    }

    /// output[range] = (Σ sources[range] in order) / divisor.
    @inline(__always)
    static func reduceBlock(_ sources: [SendablePointer], into output: UnsafeMutablePointer<Float>, range: Range<Int>, divisor: Float) {
        let first = sources[0].pointer
        for e in range { output[e] = first[e] }
        for source in sources.dropFirst() {
            let s = source.pointer
            for e in range { output[e] += s[e] }
        }
        for e in range { output[e] /= divisor }
    }
}

/// A raw pointer handed to worker threads that write disjoint ranges through it.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}
