extension Tensor: CustomStringConvertible {
    /// The elements as nested brackets, like NumPy: `[[1.0, 2.0], [3.0, 4.0]]`.
    ///
    /// Large tensors are abbreviated with `...` after the first and before the last three
    /// entries of each dimension.
    public var description: String {
        withUnsafeBufferPointer { buffer in
            var text = ""
            Tensor.describe(buffer, shape: shape[...], offset: 0, into: &text)
            return text
        }
    }

    private static func describe(
        _ buffer: UnsafeBufferPointer<Float>, shape: ArraySlice<Int>, offset: Int, into text: inout String
    ) {
        guard let extent = shape.first else {
            text += "\(buffer[offset])"
            return
        }
        let inner = shape.dropFirst()
        let stride = elementCount(of: Array(inner))
        let abbreviate = extent > 8
        text += "["
        for index in 0..<extent {
            if abbreviate && index >= 3 && index < extent - 3 {
                if index == 3 { text += "..., " }
                continue
            }
            describe(buffer, shape: inner, offset: offset + index * stride, into: &text)
            if index < extent - 1 { text += ", " }
        }
        text += "]"
    }
}

extension Tensor: CustomDebugStringConvertible {
    /// The shape and the elements: `Tensor(shape: [2], [1.0, 2.0])`.
    public var debugDescription: String { "Tensor(shape: \(shape), \(description))" }
}
