import Dispatch

/// Tensors made from nothing: constants, ranges and random draws.
extension Tensor {
    /// A tensor of zeros.
    public static func zeros(shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

    /// A tensor of ones.
    public static func ones(shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

    /// A tensor of zeros shaped like `other`.
    public static func zeros(like other: Tensor) -> Tensor { zeros(shape: other.shape) }

    /// A tensor of ones shaped like `other`.
    public static func ones(like other: Tensor) -> Tensor { ones(shape: other.shape) }

    /// `count` evenly spaced values from `start` to `stop` inclusive, like `np.linspace`.
    /// Each value is computed in `Double` as start + i·step and then rounded, so the last one is
    /// exactly `stop`.
    public static func linspace(from start: Float, to stop: Float, count: Int) -> Tensor {
        shapePrecondition(count >= 0, "linspace: count must not be negative, got \(count)")
        let step = count > 1 ? (Double(stop) - Double(start)) / Double(count - 1) : 0
        return Tensor(shape: [count]) { buffer in
            for index in 0..<count { buffer[index] = Float(Double(start) + Double(index) * step) }
            if count > 1 { buffer[count - 1] = stop }
        }
    }

    /// Values drawn from a normal distribution: element `i` is
    /// `mean + standardDeviation · Float(random.nextNormal())` of the `i`-th draw, in order.
    ///
    /// A large tensor is filled in parts of ``normalBlock`` elements on several threads, each
    /// part from a copy of the stream advanced to its first draw (``RandomStream/advance(by:)``):
    /// the logarithm and cosine cost twenty times the draws, and the draws themselves are
    /// shared out too. Every element is the same bits as drawing it alone, and `random` ends
    /// where drawing them one by one leaves it.
    public static func randomNormal(
        shape: [Int], mean: Float = 0, standardDeviation: Float = 1, using random: inout RandomStream
    ) -> Tensor {
        checkValid(shape: shape, op: "randomNormal")
        return Tensor(shape: shape) { buffer in
            fillNormals(buffer, mean: mean, standardDeviation: standardDeviation, using: &random, part: normalBlock)
        }
    }

    /// Fills `buffer` as ``randomNormal(shape:mean:standardDeviation:using:)`` does, in parts
    /// of `part` elements, each part on whichever thread takes it; a buffer shorter than `part`
    /// on the calling thread alone. The bits do not depend on `part`.
    static func fillNormals(
        _ buffer: UnsafeMutableBufferPointer<Float>, mean: Float, standardDeviation: Float, using random: inout RandomStream,
        part: Int
    ) {
        guard buffer.count >= part, buffer.count > 1 else {
            for index in buffer.indices {
                buffer[index] = mean + standardDeviation * Float(random.nextNormal())
            }
            return
        }
        let count = buffer.count
        let parts = (count + part - 1) / part
        // Each normal takes two draws. The parts' starting streams, one advance apart.
        let starts = UnsafeMutableBufferPointer<RandomStream>.allocate(capacity: parts)
        defer { starts.deallocate() }
        let jump = JumpPolynomial.power(of: 2 * UInt64(part))
        var stream = random
        for index in 0..<parts {
            starts.initializeElement(at: index, to: stream)
            if index + 1 < parts { stream.advance(by: jump) }
        }
        random.advance(by: 2 * UInt64(count))
        let (output, streams) = (UnsafeSendable(buffer.baseAddress!), UnsafeSendable(starts.baseAddress!))
        DispatchQueue.concurrentPerform(iterations: parts) { index in
            var random = streams.pointer[index]
            let target = output.pointer
            for element in (index * part)..<Swift.min(count, (index + 1) * part) {
                let u1 = 1 - random.nextUniform()
                let u2 = random.nextUniform()
                target[element] = mean + standardDeviation * Float(RandomStream.boxMuller(u1, u2))
            }
        }
    }

    /// Elements per part of ``randomNormal(shape:mean:standardDeviation:using:)``: 64 Ki, about
    /// a millisecond of work each; a smaller tensor is drawn on the calling thread alone.
    static let normalBlock = 1 << 16

    /// Values drawn from a normal distribution, redrawing any beyond two standard deviations, like
    /// `tf.random.truncated_normal`.
    public static func truncatedNormal(
        shape: [Int], mean: Float = 0, standardDeviation: Float = 1, using random: inout RandomStream
    ) -> Tensor {
        checkValid(shape: shape, op: "truncatedNormal")
        return Tensor(shape: shape) { buffer in
            for index in buffer.indices {
                var draw = random.nextNormal()
                while Swift.abs(draw) > 2 { draw = random.nextNormal() }
                buffer[index] = mean + standardDeviation * Float(draw)
            }
        }
    }

    /// Values drawn uniformly from `[lower, upper)`.
    public static func randomUniform(
        shape: [Int], lower: Float = 0, upper: Float = 1, using random: inout RandomStream
    ) -> Tensor {
        checkValid(shape: shape, op: "randomUniform")
        return Tensor(shape: shape) { buffer in
            for index in buffer.indices {
                buffer[index] = lower + (upper - lower) * Float(random.nextUniform())
            }
        }
    }
}

/// A pointer handed to the threads of a `concurrentPerform`, each of which touches elements no
/// other touches; the caller keeps the memory alive for the call.
struct UnsafeSendable<Pointee>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Pointee>
    init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
}
