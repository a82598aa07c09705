import Autograd
import CKernels

/// The global L2 norm of a gradient, √(Σ over every parameter and element of g²), built from
/// sums of squares of its chunks: the all-reduce's chunks as they are handed over (from any
/// thread, in any order), or a whole gradient's tensors cut the same way.
///
/// Each chunk's squares are summed in `Double` by one loop (`sg_sum_of_squares`: eight running
/// sums, the same bits on every instruction set), and the chunks' sums are added in layout order
/// (parameter, then first element), never in the order threads finished them. So the norm is the
/// same bits for any number of workers or reducing threads, and the same whether the trainer fused
/// the update into the all-reduce or reduced into tensors (``globalNorm(of:)`` cuts tensors into
/// the in-process reducer's chunks).
///
/// Cost: one pass over each chunk while it is still in the cache of the core that reduced it,
/// and one lock per chunk (a few per step for a small model); measured in
/// `benchmarks/results/logging.md`.
///
/// ```swift
/// let squares = GradientSquares()
/// engine.allReduce { chunk in
///     update(chunk)
///     squares.add(chunk)
/// }
/// print(squares.globalNorm)
/// ```
public final class GradientSquares: Sendable {
    // `Locked` (a pthread mutex) rather than `Mutex`: ThreadSanitizer sees the hand-over of a
    // pthread mutex, not that of the futex inside `Mutex`, whose slow path is uninstrumented.
    private let sums = Locked<[(parameter: Int, start: Int, sum: Double)]>([])

    public init() {}

    /// Adds the squares of `chunk`'s values. Safe to call from several threads at once.
    public func add(_ chunk: ReducedChunk) {
        add(parameter: chunk.parameter, start: chunk.elements.lowerBound, values: chunk.values)
    }

    /// Adds the squares of `values`, elements `start...` of parameter `parameter`.
    public func add(parameter: Int, start: Int, values: UnsafeBufferPointer<Float>) {
        let sum = values.isEmpty ? 0 : sg_sum_of_squares(values.baseAddress!, values.count)
        sums.withLock { $0.append((parameter, start, sum)) }
    }

    /// Forgets every chunk added, for the next step.
    public func reset() {
        sums.withLock { $0.removeAll(keepingCapacity: true) }
    }

    /// √(Σ of the chunks' sums, added in layout order), rounded to `Float`.
    public var globalNorm: Float {
        sums.withLock { sums in
            sums.sort { ($0.parameter, $0.start) < ($1.parameter, $1.start) }
            var total: Double = 0
            for entry in sums { total += entry.sum }
            return Float(total.squareRoot())
        }
    }

    /// The global norm of whole gradients, cut into the chunks of ``InProcessGradientReducer``
    /// so that it equals the norm measured during that reducer's all-reduce; `nil` gradients
    /// count for nothing.
    public static func globalNorm(of gradients: [Tensor?]) -> Float {
        let squares = GradientSquares()
        for (parameter, gradient) in gradients.enumerated() {
            guard let gradient else { continue }
            gradient.withUnsafeBufferPointer { buffer in
                for start in stride(from: 0, to: buffer.count, by: InProcessGradientReducer.chunkSize) {
                    let end = Swift.min(buffer.count, start + InProcessGradientReducer.chunkSize)
                    squares.add(parameter: parameter, start: start, values: UnsafeBufferPointer(rebasing: buffer[start..<end]))
                }
            }
        }
        return squares.globalNorm
    }
}
