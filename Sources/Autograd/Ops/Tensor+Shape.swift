/// Operations that move elements without changing them: reshape, transpose, squeeze and expand,
/// concatenation, slicing and gathering.
///
/// Reshaping keeps the elements in place, so ``reshaped(to:)`` and the ops built on it
/// (``flattened()``, ``squeezing(axes:)``, ``expandingShape(at:)``) return views: tensors that
/// share their input's elements and copy none (see ``view(as:)``).
extension Tensor {
    /// The same elements with a new shape; one dimension may be `-1` to be inferred.
    /// The gradient is reshaped back.
    ///
    /// The result is a view of this tensor's elements: O(1), no element is copied. It is still a
    /// tensor of its own on a tape, and a write to either copies first.
    public func reshaped(to newShape: [Int]) -> Tensor {
        var resolved = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        shapePrecondition(inferred.count <= 1, "reshaped(to:): only one dimension can be -1, got \(newShape)")
        if let axis = inferred.first {
            let known = newShape.enumerated().filter { $0.offset != axis }.reduce(1) { $0 * $1.element }
            shapePrecondition(known > 0 && scalarCount % known == 0, "reshaped(to:): cannot reshape a tensor of shape \(shape) (\(scalarCount) elements) to \(newShape)")
            resolved[axis] = scalarCount / known
        }
        let count = Tensor.checkValid(shape: resolved, op: "reshaped(to:)")
        shapePrecondition(
            count == scalarCount,
            "reshaped(to:): cannot reshape a tensor of shape \(shape) (\(scalarCount) elements) to \(newShape)")
        let input = self
        let output = view(as: resolved)
        Tensor.record(output, input) { { g, _ in [g.reshaped(to: input.shape)] } }
        return output
    }

    /// The same elements as a vector; a view, like ``reshaped(to:)``.
    public func flattened() -> Tensor { reshaped(to: [-1]) }

    /// Removes dimensions of extent 1: those in `axes`, or all of them when `axes` is empty.
    /// A view, like ``reshaped(to:)``.
    public func squeezing(axes: [Int] = []) -> Tensor {
        let normalized = axes.isEmpty ? shape.indices.filter { shape[$0] == 1 } : normalizedAxes(axes, op: "squeezing(axes:)")
        for axis in normalized {
            shapePrecondition(shape[axis] == 1, "squeezing(axes:): axis \(axis) of shape \(shape) has extent \(shape[axis]), not 1")
        }
        return reshaped(to: squeezedShape(normalized))
    }

    /// Inserts a dimension of extent 1 at `axis` (negative counts from the end of the new shape).
    /// A view, like ``reshaped(to:)``.
    public func expandingShape(at axis: Int) -> Tensor {
        let position = axis < 0 ? axis + rank + 1 : axis
        shapePrecondition(position >= 0 && position <= rank, "expandingShape(at:): axis \(axis) is out of range for shape \(shape)")
        var newShape = shape
        newShape.insert(1, at: position)
        return reshaped(to: newShape)
    }

    /// The axes reversed: the matrix transpose for rank 2, like `tf.transpose`.
    public func transposed() -> Tensor {
        transposed(permutation: Array((0..<rank).reversed()))
    }

    /// Dimension `i` of the result is dimension `permutation[i]` of this tensor.
    /// The gradient is transposed by the inverse permutation.
    public func transposed(permutation: [Int]) -> Tensor {
        shapePrecondition(
            permutation.sorted() == Array(0..<rank),
            "transposed(permutation:): \(permutation) is not a permutation of the axes of shape \(shape)")
        let input = self
        let newShape = permutation.map { shape[$0] }
        var sourceStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { sourceStrides[axis] = sourceStrides[axis + 1] * shape[axis + 1] }
        let strides = permutation.map { sourceStrides[$0] }
        let output = withUnsafeBufferPointer { source in
            Tensor(shape: newShape) { target in
                if rank == 2 {
                    let (rows, columns) = (newShape[0], newShape[1])
                    for r in 0..<rows { for c in 0..<columns { target[r * columns + c] = source[c * rows + r] } }
                    return
                }
                var index = [Int](repeating: 0, count: rank)
                var offset = 0
                for position in 0..<target.count {
                    target[position] = source[offset]
                    var axis = rank - 1
                    while axis >= 0 {
                        index[axis] += 1
                        offset += strides[axis]
                        if index[axis] < newShape[axis] { break }
                        offset -= strides[axis] * newShape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        Tensor.record(output, input) {
            var inverse = [Int](repeating: 0, count: permutation.count)
            for (index, axis) in permutation.enumerated() { inverse[axis] = index }
            return { g, _ in [g.transposed(permutation: inverse)] }
        }
        return output
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    /// The gradient is sliced back into the pieces.
    public static func concatenating(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
        shapePrecondition(!tensors.isEmpty, "concatenating(_:alongAxis:): needs at least one tensor")
        let first = tensors[0]
        let position = first.normalizedAxis(axis, "concatenating(_:alongAxis:): axis \(axis) is out of range for shape \(first.shape)")
        for tensor in tensors {
            var a = tensor.shape, b = first.shape
            shapePrecondition(a.count == b.count, "concatenating(_:alongAxis:): shapes \(first.shape) and \(tensor.shape) have different ranks")
            a[position] = 0
            b[position] = 0
            shapePrecondition(a == b, "concatenating(_:alongAxis:): shapes \(first.shape) and \(tensor.shape) differ outside axis \(position)")
        }
        var newShape = first.shape
        newShape[position] = tensors.reduce(0) { $0 + $1.shape[position] }
        let (outer, inner) = first.outerAndInnerCounts(around: position)
        let output = Tensor(shape: newShape) { target in
            var offset = 0
            let rowLength = newShape[position] * inner
            for tensor in tensors {
                let chunk = tensor.shape[position] * inner
                tensor.withUnsafeBufferPointer { source in
                    guard chunk > 0, let from = source.baseAddress, let to = target.baseAddress else { return }
                    for o in 0..<outer {
                        (to + o * rowLength + offset).initialize(from: from + o * chunk, count: chunk)
                    }
                }
                offset += chunk
            }
        }
        record(output, tensors) {
            let extents = tensors.map { $0.shape[position] }
            return { g, needed in
                var start = 0
                return extents.enumerated().map { index, extent in
                    defer { start += extent }
                    return needed[index] ? g.slice(alongAxis: position, start..<(start + extent)) : nil
                }
            }
        }
        return output
    }

    /// The elements whose index along `axis` lies in `range`. The gradient is the upstream
    /// gradient placed back into zeros.
    public func slice(alongAxis axis: Int, _ range: Range<Int>) -> Tensor {
        let position = normalizedAxis(axis, "slice(alongAxis:_:): axis \(axis) is out of range for shape \(shape)")
        shapePrecondition(
            range.lowerBound >= 0 && range.upperBound <= shape[position],
            "slice(alongAxis:_:): range \(range) is out of bounds for axis \(position) of shape \(shape)")
        let input = self
        var newShape = shape
        newShape[position] = range.count
        let (outer, inner) = outerAndInnerCounts(around: position)
        let output = withUnsafeBufferPointer { source in
            Tensor(shape: newShape) { target in
                let chunk = range.count * inner
                guard chunk > 0, let base = source.baseAddress, let to = target.baseAddress else { return }
                for o in 0..<outer {
                    let from = (o * shape[position] + range.lowerBound) * inner
                    (to + o * chunk).initialize(from: base + from, count: chunk)
                }
            }
        }
        Tensor.record(output, input) {
            { g, _ in [g.padded(alongAxis: position, before: range.lowerBound, after: input.shape[position] - range.upperBound)] }
        }
        return output
    }

    /// Rows `range` of the first axis.
    public func rows(_ range: Range<Int>) -> Tensor { slice(alongAxis: 0, range) }

    /// Zeros added before and after along `axis` (negative counts from the end): the adjoint of
    /// ``slice(alongAxis:_:)``.
    public func padded(alongAxis axis: Int, before: Int, after: Int) -> Tensor {
        let position = normalizedAxis(axis, "padded(alongAxis:before:after:): axis \(axis) is out of range for shape \(shape)")
        shapePrecondition(
            before >= 0 && after >= 0,
            "padded(alongAxis:before:after:): padding before \(before) and after \(after) along axis \(position) of shape \(shape) must not be negative")
        var parts: [Tensor] = []
        var zerosShape = shape
        if before > 0 {
            zerosShape[position] = before
            parts.append(Tensor(repeating: 0, shape: zerosShape))
        }
        parts.append(self)
        if after > 0 {
            zerosShape[position] = after
            parts.append(Tensor(repeating: 0, shape: zerosShape))
        }
        // With no padding the op is the identity: a recorded view, so gradients still flow.
        return parts.count == 1 ? reshaped(to: shape) : Tensor.concatenating(parts, alongAxis: position)
    }

    /// The rows (entries of the first axis) at `indices`, in that order, repeats allowed.
    /// The gradient adds each upstream row back into the row it came from.
    public func gathering(rows indices: [Int]) -> Tensor {
        shapePrecondition(rank >= 1, "gathering(rows:): needs a tensor of rank 1 or more, got shape \(shape)")
        let input = self
        let rowCount = shape[0]
        let rowLength = shape.dropFirst().reduce(1, *)
        for index in indices {
            shapePrecondition(index >= 0 && index < rowCount, "gathering(rows:): row index \(index) is out of range for shape \(shape)")
        }
        let output = withUnsafeBufferPointer { source in
            Tensor(shape: [indices.count] + shape.dropFirst()) { target in
                guard rowLength > 0, let from = source.baseAddress, let to = target.baseAddress else { return }
                for (row, index) in indices.enumerated() {
                    (to + row * rowLength).initialize(from: from + index * rowLength, count: rowLength)
                }
            }
        }
        Tensor.record(output, input) {
            { g, _ in [g.scatteringRows(into: indices, rowCount: rowCount)] }
        }
        return output
    }

    /// Adds row `r` of this tensor into row `indices[r]` of a zero tensor with `rowCount` rows:
    /// the adjoint of ``gathering(rows:)``. Its own gradient gathers again.
    public func scatteringRows(into indices: [Int], rowCount: Int) -> Tensor {
        shapePrecondition(rank >= 1 && shape[0] == indices.count, "scatteringRows(into:rowCount:): \(indices.count) indices for a tensor of shape \(shape)")
        shapePrecondition(rowCount >= 0, "scatteringRows(into:rowCount:): rowCount must not be negative, got \(rowCount) for a tensor of shape \(shape)")
        for index in indices {
            shapePrecondition(
                index >= 0 && index < rowCount,
                "scatteringRows(into:rowCount:): row index \(index) is out of range 0..<\(rowCount) (scattering a tensor of shape \(shape) into \(rowCount) rows)")
        }
        let input = self
        let rowLength = shape.dropFirst().reduce(1, *)
        let output = withUnsafeBufferPointer { source in
            Tensor(shape: [rowCount] + shape.dropFirst()) { target in
                target.initialize(repeating: 0)
                for (row, index) in indices.enumerated() {
                    for i in 0..<rowLength { target[index * rowLength + i] += source[row * rowLength + i] }
                }
            }
        }
        Tensor.record(output, input) { { g, _ in [g.gathering(rows: indices)] } }
        return output
    }
}
