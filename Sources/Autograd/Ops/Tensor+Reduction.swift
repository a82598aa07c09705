/// Sums, means and maxima over axes. `…(alongAxes:)` keeps the reduced dimensions with extent 1,
/// `…(squeezingAxes:)` drops them, and the forms without axes reduce everything to a scalar.
extension Tensor {
    /// `axis` as a non-negative index (a negative axis counts from the end); stops with `message`
    /// when it is not an axis of this tensor.
    func normalizedAxis(_ axis: Int, _ message: @autoclosure () -> String) -> Int {
        let position = axis < 0 ? axis + rank : axis
        shapePrecondition(position >= 0 && position < rank, message())
        return position
    }

    /// Validated, ascending, non-negative axes (negative axes count from the end).
    func normalizedAxes(_ axes: [Int], op: String) -> [Int] {
        let normalized = axes.map { axis -> Int in
            normalizedAxis(axis, "\(op): axis \(axis) is out of range for a tensor of shape \(shape)")
        }
        return Array(Set(normalized)).sorted()
    }

    /// The shape with each of `axes` set to 1.
    func keptShape(_ axes: [Int]) -> [Int] {
        var result = shape
        for axis in axes { result[axis] = 1 }
        return result
    }

    /// The shape with `axes` removed.
    func squeezedShape(_ axes: [Int]) -> [Int] {
        shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }

    /// The element counts before and after `axis`, viewing the tensor as
    /// `[outer, shape[axis], inner]`.
    func outerAndInnerCounts(around axis: Int) -> (outer: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[(axis + 1)...].reduce(1, *))
    }

    // MARK: Sum

    /// The sum of all elements, as a scalar. Its gradient is the upstream value broadcast back.
    public func sum() -> Tensor {
        let input = self
        let total = withUnsafeBufferPointer { Tensor.sumElements($0) }
        let output = Tensor(total)
        Tensor.record(output, input) { { g, _ in [g.broadcasted(to: input.shape)] } }
        return output
    }

    /// Sums along `axes`, keeping them with extent 1.
    public func sum(alongAxes axes: [Int]) -> Tensor {
        let axes = normalizedAxes(axes, op: "sum(alongAxes:)")
        let input = self
        var output = self
        for axis in axes { output = output.sumAxis(axis) }
        if axes.isEmpty { output = view(as: shape) }
        Tensor.record(output, input) { { g, _ in [g.broadcasted(to: input.shape)] } }
        return output
    }

    /// Sums along one axis, keeping it.
    public func sum(alongAxes axes: Int...) -> Tensor { sum(alongAxes: axes) }

    /// Sums along `axes` and removes them.
    public func sum(squeezingAxes axes: [Int]) -> Tensor {
        let normalized = normalizedAxes(axes, op: "sum(squeezingAxes:)")
        return sum(alongAxes: normalized).reshaped(to: squeezedShape(normalized))
    }

    /// Sums along one axis and removes it.
    public func sum(squeezingAxes axes: Int...) -> Tensor { sum(squeezingAxes: axes) }

    // MARK: Mean

    /// The mean of all elements, as a scalar: the sum times 1/n.
    ///
    /// The mean of an empty tensor is NaN (0 · 1/0), as in TensorFlow's `reduce_mean`.
    public func mean() -> Tensor {
        sum() * (1 / Float(scalarCount))
    }

    /// Means along `axes`, keeping them with extent 1.
    ///
    /// A mean over an axis of extent 0 is NaN, as ``mean()`` of an empty tensor is.
    public func mean(alongAxes axes: [Int]) -> Tensor {
        let normalized = normalizedAxes(axes, op: "mean(alongAxes:)")
        let count = normalized.reduce(1) { $0 * shape[$1] }
        return sum(alongAxes: normalized) * (1 / Float(count))
    }

    /// Means along one axis, keeping it.
    public func mean(alongAxes axes: Int...) -> Tensor { mean(alongAxes: axes) }

    /// Means along `axes` and removes them; NaN over an axis of extent 0, as ``mean()``.
    public func mean(squeezingAxes axes: [Int]) -> Tensor {
        let normalized = normalizedAxes(axes, op: "mean(squeezingAxes:)")
        let count = normalized.reduce(1) { $0 * shape[$1] }
        return sum(squeezingAxes: normalized) * (1 / Float(count))
    }

    /// Means along one axis and removes it.
    public func mean(squeezingAxes axes: Int...) -> Tensor { mean(squeezingAxes: axes) }

    // MARK: Max

    /// The largest element, as a scalar. The gradient goes to the largest elements, shared
    /// equally between ties (as TensorFlow's `reduce_max`). A NaN element makes the maximum
    /// NaN, and the maximum of no elements is −∞, as in TensorFlow.
    public func max() -> Tensor {
        max(alongAxes: Array(0..<rank)).reshaped(to: [])
    }

    /// Maxima along `axes`, keeping them with extent 1; NaN where a NaN is among the elements
    /// reduced, −∞ over an axis of extent 0.
    public func max(alongAxes axes: [Int]) -> Tensor {
        let axes = normalizedAxes(axes, op: "max(alongAxes:)")
        let input = self
        var output = self
        // `Swift.max` keeps its first argument when the other is NaN, so a NaN after the first
        // element would be dropped; this keeps any NaN it meets.
        for axis in axes { output = output.reduceAxis(axis, empty: -.infinity) { $0 = ($1 > $0 || $1.isNaN) ? $1 : $0 } }
        if axes.isEmpty { output = view(as: shape) }
        Tensor.record(output, input) {
            { g, _ in
                let isMax = Tensor.zip(input, output, op: "max") { $0 == $1 ? 1 : 0 }
                let ties = isMax.sum(alongAxes: axes)
                return [g.broadcasted(to: input.shape) * isMax / ties]
            }
        }
        return output
    }

    /// Maxima along one axis, keeping it.
    public func max(alongAxes axes: Int...) -> Tensor { max(alongAxes: axes) }

    /// Maxima along `axes`, removing them.
    public func max(squeezingAxes axes: [Int]) -> Tensor {
        let normalized = normalizedAxes(axes, op: "max(squeezingAxes:)")
        return max(alongAxes: normalized).reshaped(to: squeezedShape(normalized))
    }

    /// Maxima along one axis, removing it.
    public func max(squeezingAxes axes: Int...) -> Tensor { max(squeezingAxes: axes) }

    // MARK: Broadcasting

    /// This tensor repeated along broadcast dimensions to `shape` (NumPy's `broadcast_to`).
    /// Its gradient sums back over the repeated dimensions.
    public func broadcasted(to shape: [Int]) -> Tensor {
        let input = self
        let target = Broadcasting.shape(self.shape, shape, op: "broadcasted(to:)")
        shapePrecondition(target == shape, "broadcasted(to:): a tensor of shape \(self.shape) cannot be broadcast to shape \(shape)")
        let output = self.shape == shape ? view(as: shape) : withUnsafeBufferPointer { source in
            // This tensor as both operands of `zip`'s loops, the first one's elements kept.
            Tensor(shape: shape) { output in Tensor.broadcastCombine(source, self.shape, source, self.shape, shape, output) { a, _ in a } }
        }
        Tensor.record(output, input) { { g, _ in [g.unbroadcast(to: input.shape)] } }
        return output
    }

    // MARK: Loops

    /// Reduces one axis with `combine`, keeping it with extent 1; `empty`, the reduction's
    /// identity, is the result over an axis of extent 0. Not recorded.
    ///
    /// The tensor is viewed as `[outer, n, inner]`; the loop over `inner` is contiguous.
    func reduceAxis(_ axis: Int, empty: Float, _ combine: (inout Float, Float) -> Void) -> Tensor {
        let n = shape[axis]
        let (outer, inner) = outerAndInnerCounts(around: axis)
        return withUnsafeBufferPointer { input in
            Tensor(shape: keptShape([axis])) { output in
                if n == 0 {
                    output.initialize(repeating: empty)
                    return
                }
                for o in 0..<outer {
                    let base = o * n * inner
                    for i in 0..<inner { output[o * inner + i] = input[base + i] }
                    for k in 1..<n {
                        let row = base + k * inner
                        for i in 0..<inner { combine(&output[o * inner + i], input[row + i]) }
                    }
                }
            }
        }
    }

    /// The most elements (or rows, along an axis) a sum adds in one run. Longer sums add runs
    /// of this length and combine the runs' sums pairwise, so their rounding error grows with
    /// the logarithm of the count rather than the count: eight running sums of 2²⁴ tenths were
    /// 1.7 % short, as each grew past where 0.1 is a few of its ulps. A sum of at most this many
    /// keeps the bits of one run.
    static let summationRun = 1024

    /// Where a sum of `count` (more than ``summationRun``) elements or rows splits in two: after
    /// the first half of its runs, rounded up, so that every run but the last is whole.
    static func summationSplit(_ count: Int) -> Int {
        (count / summationRun + 1) / 2 * summationRun
    }

    /// The sum along `axis`, kept with extent 1: runs of ``summationRun`` rows added in order,
    /// the runs' sums combined pairwise.
    func sumAxis(_ axis: Int) -> Tensor {
        let n = shape[axis]
        let (outer, inner) = outerAndInnerCounts(around: axis)
        return withUnsafeBufferPointer { input in
            Tensor(shape: keptShape([axis])) { output in
                guard n > 0 else {
                    output.initialize(repeating: 0)
                    return
                }
                for o in 0..<outer {
                    let sums = UnsafeMutableBufferPointer(rebasing: output[(o * inner)..<((o + 1) * inner)])
                    Tensor.sumRows(input, from: o * n * inner, rows: 0..<n, length: inner, into: sums)
                }
            }
        }
    }

    /// Writes into `sums` the sum of rows `rows` (not empty) of `length` elements each, the
    /// first at `start` in `input`.
    static func sumRows(
        _ input: UnsafeBufferPointer<Float>, from start: Int, rows: Range<Int>, length: Int,
        into sums: UnsafeMutableBufferPointer<Float>
    ) {
        if rows.count <= summationRun {
            let first = start + rows.lowerBound * length
            for i in 0..<length { sums[i] = input[first + i] }
            for k in rows.dropFirst() {
                let row = start + k * length
                for i in 0..<length { sums[i] += input[row + i] }
            }
            return
        }
        let split = rows.lowerBound + summationSplit(rows.count)
        sumRows(input, from: start, rows: rows.lowerBound..<split, length: length, into: sums)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: length) { second in
            sumRows(input, from: start, rows: split..<rows.upperBound, length: length, into: second)
            for i in 0..<length { sums[i] += second[i] }
        }
    }

    /// Sums a buffer: runs of ``summationRun`` elements, each with eight running partial sums (a
    /// fixed order that vectorises), their sums combined pairwise; the same bits on every run.
    static func sumElements(_ buffer: UnsafeBufferPointer<Float>) -> Float {
        let count = buffer.count
        if count > summationRun {
            let split = summationSplit(count)
            return sumElements(UnsafeBufferPointer(rebasing: buffer[..<split]))
                + sumElements(UnsafeBufferPointer(rebasing: buffer[split...]))
        }
        var partial = SIMD8<Float>()
        let whole = count & ~7
        var index = 0
        if let base = buffer.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index < whole {
                partial += raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
                index += 8
            }
        }
        var total = partial.sum()
        while index < count {
            total += buffer[index]
            index += 1
        }
        return total
    }
}
