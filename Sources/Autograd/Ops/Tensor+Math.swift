#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Elementwise functions, each with its derivative stated and recorded right under it.
extension Tensor {
    /// eˣ. d/dx eˣ = eˣ.
    public func exp() -> Tensor {
        let output = map { expf($0) }
        Tensor.record(output, self) { { g, _ in [g * output] } }
        return output
    }

    /// Natural logarithm. d/dx ln x = 1/x.
    public func log() -> Tensor {
        let x = self
        let output = map { logf($0) }
        Tensor.record(output, x) { { g, _ in [g / x] } }
        return output
    }

    /// Square root. d/dx √x = 1/(2√x).
    public func sqrt() -> Tensor {
        let output = map { $0.squareRoot() }
        Tensor.record(output, self) { { g, _ in [Tensor.sqrtGradient(g, output: output)] } }
        return output
    }

    /// g / (2·√x), and 0 where g is 0 even at x = 0, where the quotient is 0/0 (TensorFlow's
    /// `SqrtGrad`): a square root whose output nothing uses passes no NaN back. Recorded with
    /// TensorFlow's derivatives of `SqrtGrad`, ∂/∂y = −(h/y)·r and ∂/∂g = h/(2y) for r = g/(2y),
    /// so higher derivatives of `sqrt` go through it.
    static func sqrtGradient(_ g: Tensor, output y: Tensor) -> Tensor {
        let result = Tensor.zip(g, y, op: "sqrtGradient") { g, y in g == 0 ? 0 : g / (2 * y) }
        record(result, y, g) {
            { h, needed in
                let quotient = h / y
                return [needed[0] ? (-(quotient * result)).unbroadcast(to: y.shape) : nil,
                        needed[1] ? (quotient * 0.5).unbroadcast(to: g.shape) : nil]
            }
        }
        return result
    }

    /// Absolute value. d/dx |x| = sign(x), with 0 at 0 as in TensorFlow.
    public func abs() -> Tensor {
        let x = self
        let output = map { Swift.abs($0) }
        Tensor.record(output, x) { { g, _ in [g * x.sign()] } }
        return output
    }

    /// −1, 0 or 1 by the sign of each element, NaN for NaN. Its gradient is 0, its derivative
    /// almost everywhere (TensorFlow's, too).
    public func sign() -> Tensor {
        let x = self
        let output = map { $0 > 0 ? 1 : ($0 < 0 ? -1 : ($0 == 0 ? 0 : .nan)) }
        Tensor.record(output, x) { { _, _ in [Tensor.zeros(like: x)] } }
        return output
    }

    /// Sine. d/dx sin x = cos x.
    public func sin() -> Tensor {
        let x = self
        let output = map { sinf($0) }
        Tensor.record(output, x) { { g, _ in [g * x.cos()] } }
        return output
    }

    /// Cosine. d/dx cos x = −sin x.
    public func cos() -> Tensor {
        let x = self
        let output = map { cosf($0) }
        Tensor.record(output, x) { { g, _ in [-(g * x.sin())] } }
        return output
    }

    /// Hyperbolic tangent. d/dx tanh x = 1 − tanh² x.
    public func tanh() -> Tensor {
        let output = map { tanhf($0) }
        Tensor.record(output, self) { { g, _ in [g * (1 - output * output)] } }
        return output
    }

    /// The logistic function 1/(1 + e⁻ˣ), computed without overflow for large |x|.
    /// d/dx σ(x) = σ(x)(1 − σ(x)).
    public func sigmoid() -> Tensor {
        let output = map(Tensor.sigmoid)
        Tensor.record(output, self) { { g, _ in [g * output * (1 - output)] } }
        return output
    }

    static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + expf(-x)) }
        let e = expf(x)
        return e / (1 + e)
    }

    /// max(x, 0). Its derivative is 1 where x > 0 and 0 elsewhere (0 at 0, as in TensorFlow).
    public func relu() -> Tensor {
        let x = self
        let output = map { Swift.max($0, 0) }
        Tensor.record(output, x) { { g, _ in [g * x.map { $0 > 0 ? 1 : 0 }] } }
        return output
    }

    /// ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^−|x|) so it neither overflows nor loses
    /// precision. d/dx softplus x = σ(x).
    public func softplus() -> Tensor {
        let x = self
        let output = map { Swift.max($0, 0) + log1pf(expf(-Swift.abs($0))) }
        Tensor.record(output, x) { { g, _ in [g * x.sigmoid()] } }
        return output
    }

    /// Each element raised to the power `exponent`. d/dx xᵖ = p·xᵖ⁻¹.
    public func pow(_ exponent: Float) -> Tensor {
        let x = self
        let output = map { Tensor.power($0, exponent) }
        Tensor.record(output, x) {
            { g, _ in [exponent == 0 ? g * 0 : g * exponent * x.pow(exponent - 1)] }
        }
        return output
    }

    /// Each element raised to the matching element of `exponent`, with broadcasting.
    ///
    /// ∂(xʸ)/∂x = y·xʸ⁻¹ and ∂(xʸ)/∂y = xʸ·ln x, taken as 0 where x ≤ 0 (as TensorFlow does,
    /// where the logarithm is undefined).
    public func pow(_ exponent: Tensor) -> Tensor {
        let (x, y) = (self, exponent)
        let output = Tensor.zip(x, y, op: "pow") { Tensor.power($0, $1) }
        Tensor.record(output, x, y) {
            { g, needed in
                let dx = needed[0] ? (g * y * x.pow(y - 1)).unbroadcast(to: x.shape) : nil
                var dy: Tensor?
                if needed[1] {
                    // x where x > 0, else 1, recorded as a function of x (relu passes x's
                    // gradient where it is positive), so that a second derivative has the
                    // cross term ∂²(xʸ)/∂x∂y = xʸ⁻¹·(1 + y·ln x).
                    let positive = x.map { $0 > 0 ? 1 : 0 }
                    let safeX = x.relu() + (1 - positive)
                    dy = (g * output * safeX.log() * positive).unbroadcast(to: y.shape)
                }
                return [dx, dy]
            }
        }
        return output
    }

    /// xᵖ, with small integer powers computed by multiplication so that they are exact where
    /// the product is (TensorFlow does the same for `x ** 2`).
    static func power(_ x: Float, _ p: Float) -> Float {
        switch p {
        case 1: return x
        case 2: return x * x
        case 3: return x * x * x
        // √x, but +∞ at −∞ and +0 at −0, as pow gives (and TensorFlow's pow).
        case 0.5: return x == -.infinity ? .infinity : x.squareRoot() + 0
        default: return powf(x, p)
        }
    }

    /// Each element squared. d/dx x² = 2x.
    public func squared() -> Tensor { pow(2) }

    /// Each element rounded to the nearest integer, ties to even as TensorFlow's `round`.
    /// It has no gradient.
    public func rounded() -> Tensor {
        map { $0.rounded(.toNearestOrEven) }
    }

    /// Each element clipped to `[lower, upper]`; the gradient passes where the element is inside.
    ///
    /// - Precondition: `lower <= upper` (neither is NaN).
    public func clipped(to lower: Float, _ upper: Float) -> Tensor {
        usagePrecondition(lower <= upper, "clipped(to:_:): lower bound \(lower) is greater than upper bound \(upper) (or one is NaN), clipping a tensor of shape \(shape)")
        let x = self
        let output = map { Swift.min(Swift.max($0, lower), upper) }
        Tensor.record(output, x) { { g, _ in [g * x.map { $0 >= lower && $0 <= upper ? 1 : 0 }] } }
        return output
    }
}

/// eˣ elementwise.
public func exp(_ x: Tensor) -> Tensor { x.exp() }
/// ln x elementwise.
public func log(_ x: Tensor) -> Tensor { x.log() }
/// √x elementwise.
public func sqrt(_ x: Tensor) -> Tensor { x.sqrt() }
/// |x| elementwise.
public func abs(_ x: Tensor) -> Tensor { x.abs() }
/// sin x elementwise.
public func sin(_ x: Tensor) -> Tensor { x.sin() }
/// cos x elementwise.
public func cos(_ x: Tensor) -> Tensor { x.cos() }
/// tanh x elementwise.
public func tanh(_ x: Tensor) -> Tensor { x.tanh() }
/// xᵖ elementwise.
public func pow(_ x: Tensor, _ p: Float) -> Tensor { x.pow(p) }
/// xʸ elementwise with broadcasting.
public func pow(_ x: Tensor, _ y: Tensor) -> Tensor { x.pow(y) }
