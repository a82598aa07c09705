import Testing
import Autograd

/// Checks the tape's gradient of `f` at `inputs` against central finite differences, recording
/// an issue for each input whose gradient disagrees.
///
/// A function with a non-scalar output is reduced to the scalar L(x) = Σᵢ wᵢ·f(x)ᵢ with a fixed
/// random weight tensor w (drawn from `seed`), so every output element is checked with a
/// different weight and a pullback that mixes elements up cannot pass by symmetry. The tape's
/// side is the vector–Jacobian product `gradient(of: f(x), withRespectTo: inputs,
/// outputGradient: w)`; the finite-difference side is
///
///     ∂L/∂xⱼ ≈ (L(x + h·eⱼ) − L(x − h·eⱼ)) / (2h),   h = relativeStep · max(|xⱼ|, 1),
///
/// where f runs in Float and L, the difference and the quotient are computed in Double (the
/// step is measured as the difference of the two Float inputs actually used). Central
/// differences are exact for quadratics and err by h²·f‴/6 otherwise, about 1e-6 here; rounding
/// f's Float output costs about 1e-7·|f|/h ≈ 5e-5·|f|. Hence the defaults rtol 1e-2, atol 1e-3:
/// loose enough for that noise, tight enough to catch a wrong factor or sign.
///
/// Keep inputs at least a few steps away from kinks (|x|, relu, clipping bounds, ties in max):
/// ``Tensor/testInputAwayFromZero(shape:magnitudes:seed:)`` and
/// ``Tensor/testInputDistinct(shape:spacing:seed:)`` make such inputs.
///
/// - Parameters:
///   - op: the name printed on failure.
///   - f: the function under test; it must be deterministic.
///   - inputs: the point to differentiate at, one tensor per argument of `f`.
///   - relativeStep: h relative to the magnitude of the element (at least 1).
///   - rtol: relative tolerance against the finite difference.
///   - atol: absolute tolerance, for gradients at or near zero.
///   - seed: the seed of the weight tensor w.
/// - Returns: whether every gradient matched (the issues are recorded either way).
@discardableResult
public func checkGradient(
    _ op: String = "f",
    of f: ([Tensor]) -> Tensor,
    at inputs: [Tensor],
    relativeStep: Float = 2e-3,
    rtol: Double = 1e-2, atol: Double = 1e-3,
    seed: UInt64 = 0,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    // The value and the tape's vector–Jacobian product.
    let tape = GradientTape()
    for input in inputs { tape.watch(input) }
    let output = tape.record { f(inputs) }
    var random = RandomStream(seed: seed, stream: 3)
    let weights = Tensor.randomNormal(shape: output.shape, using: &random)
    let analytic = tape.gradient(of: output, withRespectTo: inputs, unconnected: .zero, outputGradient: weights)

    func fail(_ message: String) {
        Issue.record(Comment(rawValue: describeFailure("checkGradient(\(op)): " + message, "")), sourceLocation: sourceLocation)
    }
    guard output.scalars.allSatisfy(\.isFinite) else {
        fail("the output is not finite: \(output)")
        return false
    }

    let weightValues = weights.scalars.map(Double.init)
    func objective(_ arguments: [Tensor]) -> Double {
        let values = f(arguments)
        var total = 0.0
        for (value, weight) in zip(values.scalars, weightValues) { total += Double(value) * weight }
        return total
    }

    var allMatch = true
    for (inputIndex, input) in inputs.enumerated() {
        guard let gradient = analytic[inputIndex], gradient.shape == input.shape else {
            fail("input \(inputIndex) of shape \(input.shape): the tape's gradient has shape \(analytic[inputIndex]?.shape.description ?? "nil")")
            allMatch = false
            continue
        }
        let tapeValues = gradient.scalars
        let point = input.scalars
        var firstMismatch: (index: Int, numeric: Double)?
        var mismatches = 0
        for element in point.indices {
            let h = relativeStep * Swift.max(Swift.abs(point[element]), 1)
            var plus = point, minus = point
            plus[element] += h
            minus[element] -= h
            var arguments = inputs
            arguments[inputIndex] = Tensor(shape: input.shape, scalars: plus)
            let upper = objective(arguments)
            arguments[inputIndex] = Tensor(shape: input.shape, scalars: minus)
            let lower = objective(arguments)
            let numeric = (upper - lower) / (Double(plus[element]) - Double(minus[element]))
            if !isClose(Double(tapeValues[element]), numeric, rtol: rtol, atol: atol) {
                if firstMismatch == nil { firstMismatch = (element, numeric) }
                mismatches += 1
            }
        }
        if let (element, numeric) = firstMismatch {
            fail("input \(inputIndex) of shape \(input.shape), element \(multiIndex(of: element, in: input.shape)) "
                 + "(flat \(element), value \(point[element])): tape gives \(tapeValues[element]), "
                 + "finite differences give \(numeric) (rtol \(rtol), atol \(atol)); "
                 + "\(mismatches) of \(point.count) elements differ")
            allMatch = false
        }
    }
    return allMatch
}
