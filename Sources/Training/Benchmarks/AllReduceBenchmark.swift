import Autograd
import Foundation

/// Measures the in-process all-reduce against memcpy: the bandwidth at which it reads every
/// worker's gradient slot and writes the reduced gradient, beside the bandwidth of copying the
/// same number of bytes with `memcpy` on the same threads.
///
/// The slots are made the way training makes them: a ``DataParallelEngine`` with one worker per
/// thread computes each micro-shard's gradient on its tape (of `(x · p).sum()`, whose gradient is
/// the micro-shard's row of `x`, a fresh tensor like a layer's), so the reduction reads buffers
/// placed by the allocator as the trainer's are, from whichever core wrote them. Each timed
/// reduction (``DataParallelEngine/allReduce(into:)``) follows a fresh computation, and each
/// timed memcpy a fresh write of its source.
///
/// Bytes moved by one all-reduce of `slots` slots of `parameters` floats:
/// (slots + 1) × parameters × 4 (each slot read once, the result written once).
public struct AllReduceBenchmark {
    public struct Row: Sendable {
        public var threads: Int
        public var seconds: Double
        public var gigabytesPerSecond: Double
        public var memcpyGigabytesPerSecond: Double
        /// All-reduce bandwidth as a fraction of memcpy's.
        public var ratio: Double
    }

    public let parameters: Int
    public let slots: Int
    public let repeats: Int

    public init(parameters: Int, slots: Int, repeats: Int = 20) {
        self.parameters = parameters
        self.slots = slots
        self.repeats = repeats
    }

    public func run(threads: [Int]) -> [Row] {
        let features = Tensor(shape: [slots, parameters]) { buffer in
            for index in buffer.indices { buffer[index] = Float(index % 97) * 0.01 + Float(index / parameters) }
        }
        let weights = Tensor(repeating: 1, shape: [parameters])
        let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: parameters)
        defer { output.deallocate() }
        let bytes = Double((slots + 1) * parameters * MemoryLayout<Float>.size)
        let copySource = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(bytes) / 2, alignment: 64)
        let copyTarget = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(bytes) / 2, alignment: 64)
        defer { copySource.deallocate(); copyTarget.deallocate() }
        copySource.initializeMemory(as: UInt8.self, repeating: 1)
        copyTarget.initializeMemory(as: UInt8.self, repeating: 0)

        return threads.map { threadCount in
            let engine = DataParallelEngine(
                parameterShapes: [[parameters]],
                configuration: DataParallelConfiguration(workers: threadCount, microShardCount: slots, kernelThreads: 1))
            var best = Double.infinity
            // One untimed round first: it starts the pool's threads and warms the allocator.
            for round in 0...repeats {
                _ = engine.computeMicroShardGradients(parameters: [weights], features: features, labels: Array(0..<slots)) { x, _, p, _ in
                    (x * p[0]).sum()
                }
                engine.allReduce(into: output)
                if round > 0 { best = Swift.min(best, engine.lastTiming.reduceSeconds) }
            }
            // memcpy of half the bytes reads and writes `bytes` in all, split across the threads.
            // Each round first rewrites the source on the same threads, so that, like the
            // gradients above, it is freshly written when it is read.
            let source = SendableRawBuffer(copySource), target = SendableRawBuffer(copyTarget)
            var bestCopy = Double.infinity
            for round in 0..<repeats {
                DispatchQueue.concurrentPerform(iterations: threadCount) { part in
                    let count = source.buffer.count
                    let start = part * count / threadCount, end = (part + 1) * count / threadCount
                    memset(source.buffer.baseAddress! + start, Int32(round & 0x7F), end - start)
                }
                let stopwatch = Stopwatch()
                DispatchQueue.concurrentPerform(iterations: threadCount) { part in
                    let count = source.buffer.count
                    let start = part * count / threadCount, end = (part + 1) * count / threadCount
                    memcpy(target.buffer.baseAddress! + start, source.buffer.baseAddress! + start, end - start)
                }
                bestCopy = Swift.min(bestCopy, stopwatch.elapsedSeconds)
            }
            let rate = bytes / best / 1e9, copyRate = bytes / bestCopy / 1e9
            return Row(threads: threadCount, seconds: best, gigabytesPerSecond: rate, memcpyGigabytesPerSecond: copyRate, ratio: rate / copyRate)
        }
    }

    public static func table(_ rows: [Row]) -> String {
        var lines = ["threads  all-reduce ms  all-reduce GB/s  memcpy GB/s  ratio"]
        for row in rows {
            lines.append(String(format: "%7d  %13.3f  %15.2f  %11.2f  %4.0f%%", row.threads, row.seconds * 1000, row.gigabytesPerSecond, row.memcpyGigabytesPerSecond, row.ratio * 100))
        }
        return lines.joined(separator: "\n")
    }
}

private struct SendableRawBuffer: @unchecked Sendable {
    let buffer: UnsafeMutableRawBufferPointer
    init(_ buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }
}
