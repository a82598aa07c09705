/// `+ - * /` with NumPy broadcasting, and their mixes with `Float` scalars.
///
/// Each pullback sums the gradient back to its operand's shape with `unbroadcast(to:)`.
extension Tensor {
    /// Elementwise sum with broadcasting. ∂(a+b)/∂a = 1, ∂(a+b)/∂b = 1.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let output = zip(a, b, op: "add") { $0 + $1 }
        record(output, a, b) {
            let (shapeA, shapeB) = (a.shape, b.shape)
            return { g, needed in
                [needed[0] ? g.unbroadcast(to: shapeA) : nil, needed[1] ? g.unbroadcast(to: shapeB) : nil]
            }
        }
        return output
    }

    /// Elementwise difference with broadcasting. ∂(a−b)/∂a = 1, ∂(a−b)/∂b = −1.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let output = zip(a, b, op: "subtract") { $0 - $1 }
        record(output, a, b) {
            let (shapeA, shapeB) = (a.shape, b.shape)
            return { g, needed in
                [needed[0] ? g.unbroadcast(to: shapeA) : nil, needed[1] ? (-g).unbroadcast(to: shapeB) : nil]
            }
        }
        return output
    }

    /// Elementwise product with broadcasting. ∂(ab)/∂a = b, ∂(ab)/∂b = a.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let output = zip(a, b, op: "multiply") { $0 * $1 }
        record(output, a, b) {
            { g, needed in
                [needed[0] ? (g * b).unbroadcast(to: a.shape) : nil, needed[1] ? (g * a).unbroadcast(to: b.shape) : nil]
            }
        }
        return output
    }

    /// Elementwise quotient with broadcasting. ∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b², computed as
    /// (−a/b)/b (as TensorFlow does), so that it overflows or vanishes only where its value
    /// does: b² alone leaves Float's range for |b| beyond about 1.8e19 or below 1e-19.
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let output = zip(a, b, op: "divide") { $0 / $1 }
        record(output, a, b) {
            { g, needed in
                [needed[0] ? (g / b).unbroadcast(to: a.shape) : nil,
                 needed[1] ? (g * ((-a / b) / b)).unbroadcast(to: b.shape) : nil]
            }
        }
        return output
    }

    /// Elementwise negation. ∂(−a)/∂a = −1.
    public static prefix func - (a: Tensor) -> Tensor {
        let output = a.map { -$0 }
        record(output, a) { { g, _ in [-g] } }
        return output
    }

    // MARK: Mixed with scalars

    /// Adds `b` to every element.
    public static func + (a: Tensor, b: Float) -> Tensor {
        let output = a.map { $0 + b }
        record(output, a) { { g, _ in [g] } }
        return output
    }

    /// Adds `a` to every element.
    public static func + (a: Float, b: Tensor) -> Tensor { b + a }

    /// Subtracts `b` from every element.
    public static func - (a: Tensor, b: Float) -> Tensor { a + (-b) }

    /// Subtracts every element from `a`.
    public static func - (a: Float, b: Tensor) -> Tensor {
        let output = b.map { a - $0 }
        record(output, b) { { g, _ in [-g] } }
        return output
    }

    /// Multiplies every element by `b`.
    public static func * (a: Tensor, b: Float) -> Tensor {
        let output = a.map { $0 * b }
        record(output, a) { { g, _ in [g * b] } }
        return output
    }

    /// Multiplies every element by `a`.
    public static func * (a: Float, b: Tensor) -> Tensor {
        let output = b.map { a * $0 }
        record(output, b) { { g, _ in [a * g] } }
        return output
    }

    /// Divides every element by `b`.
    public static func / (a: Tensor, b: Float) -> Tensor {
        let output = a.map { $0 / b }
        record(output, a) { { g, _ in [g / b] } }
        return output
    }

    /// Divides `a` by every element. ∂(a/x)/∂x = −a/x².
    public static func / (a: Float, b: Tensor) -> Tensor {
        let output = b.map { a / $0 }
        record(output, b) { { g, _ in [-(g * output) / b] } }
        return output
    }

    // MARK: Compound assignment
    //
    // Each replaces `a` with a new tensor (`a = a + b`), so a tape that recorded the old value
    // still holds it, and the operation is recorded like its binary form.

    /// Replaces `a` with `a + b`, broadcasting.
    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    /// Replaces `a` with `a - b`, broadcasting.
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    /// Replaces `a` with `a * b`, broadcasting.
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
    /// Replaces `a` with `a / b`, broadcasting.
    public static func /= (a: inout Tensor, b: Tensor) { a = a / b }
    /// Replaces `a` with `a + b`.
    public static func += (a: inout Tensor, b: Float) { a = a + b }
    /// Replaces `a` with `a - b`.
    public static func -= (a: inout Tensor, b: Float) { a = a - b }
    /// Replaces `a` with `a * b`.
    public static func *= (a: inout Tensor, b: Float) { a = a * b }
    /// Replaces `a` with `a / b`.
    public static func /= (a: inout Tensor, b: Float) { a = a / b }
}
