import Testing
import Autograd

@Test func lectureDerivative() {
    let x = Variable(10)
    let outer = GradientTape()
    let (y, dy) = outer.record { () -> (Tensor, Tensor) in
        let inner = GradientTape()
        let y = inner.record { 3 * x.value.pow(3) + x.value.pow(2) }
        return (y, inner.gradient(of: y, withRespectTo: x)!)
    }
    #expect(y.scalar == 3100)
    #expect(dy.scalar == 920)
    let d2 = outer.gradient(of: dy, withRespectTo: x)!
    #expect(d2.scalar == 182)
}
