/// The elementwise loops every op is built on: map over one tensor, zip two tensors with NumPy
/// broadcasting. Operations call these and then record their pullbacks.
extension Tensor {
    /// A tensor of the same shape with `transform` applied to every element.
    func map(_ transform: (Float) -> Float) -> Tensor {
        withUnsafeBufferPointer { source in
            Tensor(shape: shape) { output in
                for index in 0..<source.count { output[index] = transform(source[index]) }
            }
        }
    }

    /// `combine` applied to the elements of `a` and `b` broadcast against each other.
    static func zip(_ a: Tensor, _ b: Tensor, op: String, _ combine: (Float, Float) -> Float) -> Tensor {
        let shape = Broadcasting.shape(a.shape, b.shape, op: op)
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                Tensor(shape: shape) { output in broadcastCombine(pa, a.shape, pb, b.shape, shape, output, combine) }
            }
        }
    }

    /// Writes `combine` of the elements of `pa` (of shape `shapeA`) and `pb` (of `shapeB`),
    /// broadcast to `shape`, into `output`.
    ///
    /// Same-shape and scalar operands take a straight loop; otherwise the loop runs over the
    /// innermost dimension with each operand's stride (0 where it is broadcast).
    static func broadcastCombine(
        _ pa: UnsafeBufferPointer<Float>, _ shapeA: [Int],
        _ pb: UnsafeBufferPointer<Float>, _ shapeB: [Int],
        _ shape: [Int], _ output: UnsafeMutableBufferPointer<Float>,
        _ combine: (Float, Float) -> Float
    ) {
        let count = output.count
        if pa.count == count && pb.count == count {
            for index in 0..<count { output[index] = combine(pa[index], pb[index]) }
        } else if pb.count == 1 && pa.count == count {
            let scalar = pb[0]
            for index in 0..<count { output[index] = combine(pa[index], scalar) }
        } else if pa.count == 1 && pb.count == count {
            let scalar = pa[0]
            for index in 0..<count { output[index] = combine(scalar, pb[index]) }
        } else if count > 0 {
            broadcastLoop(pa, shapeA, pb, shapeB, shape, output, combine)
        }
    }

    private static func broadcastLoop(
        _ pa: UnsafeBufferPointer<Float>, _ shapeA: [Int],
        _ pb: UnsafeBufferPointer<Float>, _ shapeB: [Int],
        _ shape: [Int], _ output: UnsafeMutableBufferPointer<Float>,
        _ combine: (Float, Float) -> Float
    ) {
        let stridesA = Broadcasting.strides(of: shapeA, in: shape)
        let stridesB = Broadcasting.strides(of: shapeB, in: shape)
        let rank = shape.count
        let inner = shape[rank - 1]
        let innerA = stridesA[rank - 1], innerB = stridesB[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        var offsetA = 0, offsetB = 0, position = 0
        while position < output.count {
            for column in 0..<inner {
                output[position + column] = combine(pa[offsetA + column * innerA], pb[offsetB + column * innerB])
            }
            position += inner
            // Advance the odometer over the outer dimensions.
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                offsetA += stridesA[axis]
                offsetB += stridesB[axis]
                if index[axis] < shape[axis] { break }
                offsetA -= stridesA[axis] * shape[axis]
                offsetB -= stridesB[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
