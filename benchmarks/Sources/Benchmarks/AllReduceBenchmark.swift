import DataParallel
import Training
import Tasks
import CKernels
import Models
import Autograd
import Foundation

/// Measures the in-process all-reduce against memcpy: the bandwidth at which it reads every
/// worker's gradient slot and writes the reduced gradient, beside the bandwidth of copying the
/// same number of bytes with `memcpy` on the same threads.
///
/// Two cache states, each compared with memcpy in the same state:
/// - **fresh**, as in training: a ``DataParallelEngine`` with one worker per thread computes each
///   micro-shard's gradient on its tape (of `(x · p).sum()`, whose gradient is the micro-shard's
///   row of `x`, a fresh tensor like a layer's) right before each timed reduction
///   (``DataParallelEngine/allReduce(into:)``), so the reduction reads buffers placed by the
///   allocator as the trainer's are, just written by whichever core computed them. The memcpy
///   beside it copies a source its threads have just rewritten.
/// - **cached**: the same slots reduced again and again, as memcpy copies the same buffers again
///   and again; what the reduction loop itself can do.
///
/// Bytes moved by one all-reduce of `slots` slots of `parameters` floats:
/// (slots + 1) × parameters × 4 (each slot read once, the result written once).
package struct AllReduceBenchmark {
    /// Where the data are when a timed pass starts.
    package enum CacheState: String, Sendable {
        case fresh, cached
    }

    package struct Row: Sendable {
        package var threads: Int
        package var cacheState: CacheState
        package var seconds: Double
        package var gigabytesPerSecond: Double
        package var memcpyGigabytesPerSecond: Double
        /// All-reduce bandwidth as a fraction of memcpy's.
        package var ratio: Double
    }

    package let parameters: Int
    package let slots: Int
    package let repeats: Int

    /// The `--parameters` accepted: up to a billion floats per slot.
    package static let parameterCounts = 1...1_000_000_000
    /// The `--slots` accepted: the micro-shard counts an engine takes.
    package static let slotCounts = DataParallelConfiguration.microShardCounts

    /// The memory a run takes, at its largest: the slots' inputs; the engine's gradient slots and
    /// the cached phase's, which are made while the engine still holds its own; a fifth copy of
    /// each slot for what the engine keeps of a micro-shard until the reduction; memcpy's source
    /// and target (as many bytes as one all-reduce moves); the weights and the output; and each
    /// worker's tape while it computes a micro-shard (its row, the product, the upstream gradient
    /// and the parameter's, with room for their copies: six vectors). Measured peaks at 10⁸
    /// parameters (4.9 GiB for one slot, 6.7 for two) fall under it.
    ///
    /// - Parameter threads: the largest thread count the run will use.
    package static func memoryEstimate(parameters: Int, slots: Int, threads: Int) -> MemoryEstimate {
        var estimate = MemoryEstimate()
        estimate.add("slots", 5, slots, parameters, MemoryLayout<Float>.size)
        estimate.add("memcpy buffers", slots + 1, parameters, MemoryLayout<Float>.size)
        estimate.add("weights and output", 2, parameters, MemoryLayout<Float>.size)
        estimate.add("workers' tapes", 6, Swift.max(1, Swift.min(threads, slots)), parameters, MemoryLayout<Float>.size)
        return estimate
    }

    package init(parameters: Int, slots: Int, repeats: Int = 20) {
        self.parameters = parameters
        self.slots = slots
        self.repeats = repeats
    }

    /// Bytes one all-reduce reads and writes.
    private var bytes: Double { Double((slots + 1) * parameters * MemoryLayout<Float>.size) }

    package func run(threads: [Int]) -> [Row] {
        let features = Tensor(shape: [slots, parameters]) { buffer in
            for index in buffer.indices { buffer[index] = Float(index % 97) * 0.01 + Float(index / parameters) }
        }
        let weights = Tensor(repeating: 1, shape: [parameters])
        let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: parameters)
        defer { output.deallocate() }
        let copy = CopyBuffers(byteCount: Int(bytes) / 2)
        defer { copy.deallocate() }

        return threads.flatMap { threadCount -> [Row] in
            // Fresh: every timed reduction follows the computation of its slots.
            let engine = DataParallelEngine(
                parameterShapes: [[parameters]],
                configuration: DataParallelConfiguration(workers: threadCount, microShardCount: slots, kernelThreads: 1))
            var fresh = Double.infinity
            // One untimed round first: it starts the pool's threads and warms the allocator.
            for round in 0...repeats {
                _ = engine.computeMicroShardGradients(parameters: [weights], features: features, labels: Array(0..<slots)) { x, _, p, _ in
                    (x * p[0]).sum()
                }
                engine.allReduce(into: output)
                if round > 0 { fresh = Swift.min(fresh, engine.lastTiming.reduceSeconds) }
            }

            // Cached: the slots of one computation, reduced over and over.
            let gradientSlots = GradientSlots(layout: ParameterLayout(shapes: [[parameters]]), slotCount: slots)
            for slot in 0..<slots {
                let tape = GradientTape()
                tape.watch(weights)
                let row = withoutRecording { features.gathering(rows: [slot]) }
                let loss = tape.record { (row * weights).sum() }
                gradientSlots.store([tape.gradient(of: loss, withRespectTo: weights)], inSlot: slot)
            }
            let reducer = InProcessGradientReducer(threads: threadCount)
            var cached = Double.infinity
            for round in 0...repeats {
                let start = ContinuousClock.now
                reducer.allReduce(gradientSlots, activeSlots: Array(0..<slots), divisor: Float(slots), into: output)
                if round > 0 { cached = Swift.min(cached, (ContinuousClock.now - start) / .seconds(1)) }
            }

            return [
                row(threadCount, .fresh, seconds: fresh, memcpySeconds: copy.bestSeconds(threads: threadCount, repeats: repeats, rewritingSource: true)),
                row(threadCount, .cached, seconds: cached, memcpySeconds: copy.bestSeconds(threads: threadCount, repeats: repeats, rewritingSource: false)),
            ]
        }
    }

    private func row(_ threads: Int, _ state: CacheState, seconds: Double, memcpySeconds: Double) -> Row {
        let rate = bytes / seconds / 1e9, copyRate = bytes / memcpySeconds / 1e9
        return Row(
            threads: threads, cacheState: state, seconds: seconds, gigabytesPerSecond: rate,
            memcpyGigabytesPerSecond: copyRate, ratio: rate / copyRate)
    }

    package static func table(_ rows: [Row]) -> String {
        var lines = ["threads  data    all-reduce ms  all-reduce GB/s  memcpy GB/s  ratio"]
        for row in rows {
            let state = row.cacheState.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)
            lines.append(
                String(format: "%7d  ", row.threads) + state
                    + String(format: "  %13.3f  %15.2f  %11.2f  %4.0f%%", row.seconds * 1000, row.gigabytesPerSecond,
                             row.memcpyGigabytesPerSecond, row.ratio * 100))
        }
        return lines.joined(separator: "\n")
    }
}

/// memcpy's side of the comparison: a source and a target of `byteCount` bytes each, so one copy
/// reads and writes as many bytes as one all-reduce moves. Its threads are a ``WorkerPool``'s, as
/// the all-reduce's are, so both sides hand work to threads that are already awake.
private struct CopyBuffers: @unchecked Sendable {
    let source: UnsafeMutableRawBufferPointer
    let target: UnsafeMutableRawBufferPointer
    private let pool = WorkerPool()

    init(byteCount: Int) {
        source = .allocate(byteCount: byteCount, alignment: 64)
        target = .allocate(byteCount: byteCount, alignment: 64)
        source.initializeMemory(as: UInt8.self, repeating: 1)
        target.initializeMemory(as: UInt8.self, repeating: 0)
    }

    func deallocate() {
        source.deallocate()
        target.deallocate()
    }

    /// The fastest of `repeats` copies, each split across `threads` threads; with
    /// `rewritingSource`, each thread first rewrites its part of the source, untimed.
    func bestSeconds(threads: Int, repeats: Int, rewritingSource: Bool) -> Double {
        var best = Double.infinity
        for round in 0...repeats {
            if rewritingSource {
                pool.run(threads) { part in
                    let range = self.range(part, of: threads)
                    memset(source.baseAddress! + range.lowerBound, Int32(round & 0x7F), range.count)
                }
            }
            let start = ContinuousClock.now
            pool.run(threads) { part in
                let range = self.range(part, of: threads)
                memcpy(target.baseAddress! + range.lowerBound, source.baseAddress! + range.lowerBound, range.count)
            }
            if round > 0 { best = Swift.min(best, (ContinuousClock.now - start) / .seconds(1)) }
        }
        return best
    }

    private func range(_ part: Int, of parts: Int) -> Range<Int> {
        (part * source.count / parts)..<((part + 1) * source.count / parts)
    }
}
