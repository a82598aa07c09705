import Testing
import Autograd

/// Expects `actual` to equal `expected` elementwise within |a − e| ≤ atol + rtol·|e|.
func expectClose(
    _ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, "shapes differ", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    for (index, (a, e)) in zip(actual.scalars, expected.scalars).enumerated() where !(abs(a - e) <= atol + rtol * abs(e)) {
        Issue.record("element \(index): \(a) vs expected \(e)", sourceLocation: sourceLocation)
        return
    }
}

/// Central finite differences of a scalar function of `parameters[which]`, computed in Float
/// with step `h`.
func numericalGradient(_ f: ([Tensor]) -> Float, at parameters: [Tensor], which: Int, h: Float = 1e-2) -> Tensor {
    var point = parameters
    let base = parameters[which].scalars
    var gradient = [Float](repeating: 0, count: base.count)
    for index in base.indices {
        var plus = base, minus = base
        plus[index] += h
        minus[index] -= h
        point[which] = Tensor(shape: parameters[which].shape, scalars: plus)
        let up = f(point)
        point[which] = Tensor(shape: parameters[which].shape, scalars: minus)
        let down = f(point)
        gradient[index] = (up - down) / (2 * h)
    }
    return Tensor(shape: parameters[which].shape, scalars: gradient)
}
