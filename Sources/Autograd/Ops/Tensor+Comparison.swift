/// Comparisons, `equal` and `argmax`: operations without a gradient.
///
/// Comparisons give a ``TensorMask`` of booleans; ``TensorMask/asFloats()`` casts it to 1s and
/// 0s, as `tf.cast(mask, tf.float32)` does.
public struct TensorMask: Sendable, Equatable, CustomStringConvertible {
    /// The extent of each dimension.
    public let shape: [Int]
    /// The booleans in row-major order.
    public let values: [Bool]

    /// A mask of `shape` holding `values`.
    public init(shape: [Int], values: [Bool]) {
        let count = Tensor.elementCount(of: shape)
        shapePrecondition(count == values.count, "TensorMask: shape \(shape) holds \(count) values but \(values.count) were given")
        self.shape = shape
        self.values = values
    }

    /// 1 where the mask is true and 0 elsewhere.
    public func asFloats() -> Tensor {
        Tensor(shape: shape, scalars: values.map { $0 ? 1 : 0 })
    }

    /// The number of true elements.
    public var trueCount: Int { values.reduce(0) { $0 + ($1 ? 1 : 0) } }

    public var description: String { asFloats().description }
}

extension Tensor {
    private static func compare(_ a: Tensor, _ b: Tensor, op: String, _ predicate: (Float, Float) -> Bool) -> TensorMask {
        let result = zip(a, b, op: op) { predicate($0, $1) ? 1 : 0 }
        return TensorMask(shape: result.shape, values: result.scalars.map { $0 != 0 })
    }

    /// Elementwise `a == b` with broadcasting.
    public static func equal(_ a: Tensor, _ b: Tensor) -> TensorMask { compare(a, b, op: "equal") { $0 == $1 } }
    /// Elementwise `a < b` with broadcasting.
    public static func .< (a: Tensor, b: Tensor) -> TensorMask { compare(a, b, op: "less") { $0 < $1 } }
    /// Elementwise `a <= b` with broadcasting.
    public static func .<= (a: Tensor, b: Tensor) -> TensorMask { compare(a, b, op: "lessEqual") { $0 <= $1 } }
    /// Elementwise `a > b` with broadcasting.
    public static func .> (a: Tensor, b: Tensor) -> TensorMask { compare(a, b, op: "greater") { $0 > $1 } }
    /// Elementwise `a >= b` with broadcasting.
    public static func .>= (a: Tensor, b: Tensor) -> TensorMask { compare(a, b, op: "greaterEqual") { $0 >= $1 } }
    /// Elementwise `a == b` with broadcasting.
    public static func .== (a: Tensor, b: Tensor) -> TensorMask { equal(a, b) }
    /// Elementwise `a > b` against a scalar.
    public static func .> (a: Tensor, b: Float) -> TensorMask { a .> Tensor(b) }
    /// Elementwise `a < b` against a scalar.
    public static func .< (a: Tensor, b: Float) -> TensorMask { a .< Tensor(b) }

    /// The index of the largest element along `axis` (the first one on ties), with that axis
    /// removed. Indices are returned as whole-number `Float`s so that they compare directly with
    /// float labels; they are exact below 2²⁴. NaN elements are passed over, so that one NaN
    /// logit does not decide a prediction; a slice of NaN alone gives 0.
    public func argmax(squeezingAxis axis: Int = -1) -> Tensor {
        let position = normalizedAxis(axis, "argmax(squeezingAxis:): axis \(axis) is out of range for a tensor of shape \(shape)")
        shapePrecondition(shape[position] > 0, "argmax(squeezingAxis:): axis \(position) of shape \(shape) is empty")
        let n = shape[position]
        let (outer, inner) = outerAndInnerCounts(around: position)
        var newShape = shape
        newShape.remove(at: position)
        return withUnsafeBufferPointer { source in
            Tensor(shape: newShape) { target in
                for o in 0..<outer {
                    for i in 0..<inner {
                        var best = 0
                        var bestValue = source[o * n * inner + i]
                        for k in 1..<n {
                            let value = source[(o * n + k) * inner + i]
                            if value > bestValue || (bestValue.isNaN && !value.isNaN) {
                                best = k
                                bestValue = value
                            }
                        }
                        target[o * inner + i] = Float(best)
                    }
                }
            }
        }
    }
}

infix operator .< : ComparisonPrecedence
infix operator .<= : ComparisonPrecedence
infix operator .> : ComparisonPrecedence
infix operator .>= : ComparisonPrecedence
infix operator .== : ComparisonPrecedence
