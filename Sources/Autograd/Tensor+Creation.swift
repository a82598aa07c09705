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
    /// A large tensor draws its uniforms in blocks, in the stream's order, and turns each block
    /// into normals on several threads (the logarithm and cosine cost twenty times the draws);
    /// every element is the same bits as drawing it alone.
    public static func randomNormal(
        shape: [Int], mean: Float = 0, standardDeviation: Float = 1, using random: inout RandomStream
    ) -> Tensor {
        checkValid(shape: shape, op: "randomNormal")
        return Tensor(shape: shape) { buffer in
            guard buffer.count >= normalBlock else {
                for index in buffer.indices {
                    buffer[index] = mean + standardDeviation * Float(random.nextNormal())
                }
                return
            }
            let uniforms = UnsafeMutableBufferPointer<Double>.allocate(capacity: 2 * normalBlock)
            defer { uniforms.deallocate() }
            let output = buffer.baseAddress!
            var start = 0
            while start < buffer.count {
                let count = Swift.min(normalBlock, buffer.count - start)
                for index in 0..<count {
                    uniforms[2 * index] = 1 - random.nextUniform()
                    uniforms[2 * index + 1] = random.nextUniform()
                }
                let parts = 8
                let (source, target) = (UnsafeSendable(uniforms.baseAddress!), UnsafeSendable(output + start))
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    for index in (count * part / parts)..<(count * (part + 1) / parts) {
                        let normal = RandomStream.boxMuller(source.pointer[2 * index], source.pointer[2 * index + 1])
                        target.pointer[index] = mean + standardDeviation * Float(normal)
                    }
                }
                start += count
            }
        }
    }

    /// Normals per block of ``randomNormal(shape:mean:standardDeviation:using:)``: 64 Ki (a
    /// 1 MiB block of uniforms); a smaller tensor is drawn on the calling thread alone.
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
