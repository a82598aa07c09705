import _TestSupport
import Testing
import Autograd

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
