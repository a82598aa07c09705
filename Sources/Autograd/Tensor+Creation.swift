import CKernels
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
    /// A large tensor is filled in parts of 64 Ki elements on several threads, each
    /// part from a copy of the stream advanced to its first draw (``RandomStream/advance(by:)``),
    /// and each part by eight streams at once with vectorised polynomials in place of the C
    /// library's logarithm and cosine (`sg_fill_normals`). Every element is the same bits as
    /// drawing it alone, and `random` ends where drawing them one by one leaves it.
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
            if let start = buffer.baseAddress {
                fillNormalRun(start, count: buffer.count, mean: mean, standardDeviation: standardDeviation, using: &random)
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
        let laneJump = JumpPolynomial.power(of: 2 * UInt64(part / Int(SG_NORMAL_LANES)))
        let (output, streams) = (UnsafeSendable(buffer.baseAddress!), UnsafeSendable(starts.baseAddress!))
        DispatchQueue.concurrentPerform(iterations: parts) { index in
            var random = streams.pointer[index]
            let first = index * part
            let length = Swift.min(count, first + part) - first
            fillNormalRun(
                output.pointer + first, count: length, mean: mean, standardDeviation: standardDeviation, using: &random,
                laneJump: length == part ? laneJump : nil)
        }
    }

    /// Fills `count` elements at `target` with the normals of `random`'s next `2 · count` draws,
    /// in order, and leaves `random` after them. A run of at least ``vectorRun`` elements is
    /// drawn by `sg_fill_normals` from `SG_NORMAL_LANES` copies of the stream, each advanced to
    /// its share (`laneJump` is `2 · (count / SG_NORMAL_LANES)` draws, computed when nil); the
    /// few elements beyond the lanes' equal shares come last from the last lane's stream. The
    /// kernel's elements are those of ``RandomStream/nextNormal()``, bit for bit.
    static func fillNormalRun(
        _ target: UnsafeMutablePointer<Float>, count: Int, mean: Float, standardDeviation: Float,
        using random: inout RandomStream, laneJump: JumpPolynomial? = nil
    ) {
        let lanes = Int(SG_NORMAL_LANES)
        let perLane = count / lanes
        var next = 0
        if count >= vectorRun {
            let jump = laneJump ?? JumpPolynomial.power(of: 2 * UInt64(perLane))
            var states = [UInt64](repeating: 0, count: 4 * lanes)
            var lane = random
            for index in 0..<lanes {
                (states[4 * index], states[4 * index + 1], states[4 * index + 2], states[4 * index + 3]) = lane.state
                if index + 1 < lanes { lane.advance(by: jump) }
            }
            sg_fill_normals(Int32(SG_NORMALS_BEST), &states, perLane, target, mean, standardDeviation)
            let last = 4 * (lanes - 1)
            random.state = (states[last], states[last + 1], states[last + 2], states[last + 3])
            next = lanes * perLane
        }
        for element in next..<count {
            target[element] = mean + standardDeviation * Float(random.nextNormal())
        }
    }

    /// The shortest run ``fillNormalRun(_:count:mean:standardDeviation:using:laneJump:)`` draws
    /// on lanes: below it, the jumps that start the lanes cost more than they save.
    static let vectorRun = 1024

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
            guard let start = buffer.baseAddress else { return }
            // `sg_truncated_normals` draws each candidate as `nextNormal()` does, in order, and
            // redraws beyond ±2 in Double, as the loop `repeat draw = random.nextNormal() while
            // abs(draw) > 2` would.
            var state = [random.state.0, random.state.1, random.state.2, random.state.3]
            sg_truncated_normals(Int32(SG_NORMALS_BEST), &state, buffer.count, start, mean, standardDeviation)
            random.state = (state[0], state[1], state[2], state[3])
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
