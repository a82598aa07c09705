/// NumPy's broadcasting rules, and the one helper that undoes broadcasting for every gradient.
enum Broadcasting {
    /// The shape two operands broadcast to: dimensions are aligned from the right, and each pair
    /// must be equal or contain a 1.
    static func shape(_ a: [Int], _ b: [Int], op: String) -> [Int] {
        if a == b { return a }
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for index in 0..<rank {
            let da = index < rank - a.count ? 1 : a[index - (rank - a.count)]
            let db = index < rank - b.count ? 1 : b[index - (rank - b.count)]
            shapePrecondition(
                da == db || da == 1 || db == 1,
                "\(op): incompatible shapes \(a) and \(b) (dimension \(index) of the broadcast shape is \(da) in one and \(db) in the other)")
            result[index] = da == 1 ? db : da
        }
        return result
    }

    /// Row-major strides of `shape` laid over `outputShape`, with 0 for broadcast dimensions.
    static func strides(of shape: [Int], in outputShape: [Int]) -> [Int] {
        let offset = outputShape.count - shape.count
        var strides = [Int](repeating: 0, count: outputShape.count)
        var stride = 1
        for index in Swift.stride(from: shape.count - 1, through: 0, by: -1) {
            strides[index + offset] = shape[index] == 1 ? 0 : stride
            stride *= shape[index]
        }
        return strides
    }

    /// The axes of `outputShape` along which an operand of `shape` was broadcast.
    static func reducedAxes(from outputShape: [Int], to shape: [Int]) -> [Int] {
        let offset = outputShape.count - shape.count
        return outputShape.indices.filter { index in
            index < offset || (shape[index - offset] == 1 && outputShape[index] != 1)
        }
    }
}

extension Tensor {
    /// Sums a gradient of the broadcast shape back down to `shape`: the adjoint of broadcasting,
    /// used by every binary op's pullback.
    func unbroadcast(to shape: [Int]) -> Tensor {
        if self.shape == shape { return self }
        let axes = Broadcasting.reducedAxes(from: self.shape, to: shape)
        return sum(alongAxes: axes).reshaped(to: shape)
    }
}
