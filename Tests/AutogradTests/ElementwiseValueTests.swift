import Testing
import Autograd
import _TestSupport

/// Elementwise ops against values computed by hand, including the special values (±0, ∞, NaN)
/// where the IEEE results are the specified behaviour.
@Suite struct ElementwiseValueTests {
    @Test func arithmetic() {
        let a = Tensor([1, -2, 3.5]), b = Tensor([4, 0.5, -2])
        #expect((a + b).scalars == [5, -1.5, 1.5])
        #expect((a - b).scalars == [-3, -2.5, 5.5])
        #expect((a * b).scalars == [4, -1, -7])
        #expect((a / b).scalars == [0.25, -4, -1.75])
        #expect((-a).scalars == [-1, 2, -3.5])
        #expect((a + 1).scalars == [2, -1, 4.5])
        #expect((1 + a).scalars == [2, -1, 4.5])
        #expect((a - 1).scalars == [0, -3, 2.5])
        #expect((1 - a).scalars == [0, 3, -2.5])
        #expect((a * 2).scalars == [2, -4, 7])
        #expect((2 * a).scalars == [2, -4, 7])
        #expect((a / 2).scalars == [0.5, -1, 1.75])
        #expect((7 / a).scalars == [7, -3.5, 2])
    }

    @Test func firstNonFiniteScalarIsTheFirstInStorageOrder() {
        #expect(Tensor([1, -2, .greatestFiniteMagnitude]).firstNonFiniteScalar == nil)
        #expect(Tensor.zeros(shape: [0]).firstNonFiniteScalar == nil)
        var scalars = [Float](repeating: 1, count: 300)
        scalars[250] = .nan
        scalars[130] = -.infinity
        #expect(Tensor(shape: [3, 100], scalars: scalars).firstNonFiniteScalar == -.infinity)
        scalars[130] = 1
        #expect(Tensor(shape: [3, 100], scalars: scalars).firstNonFiniteScalar?.isNaN == true)
    }

    @Test func divisionByZeroFollowsIEEE() {
        let quotient = Tensor([1, -1, 0]) / Tensor([0, 0, 0])
        #expect(quotient.scalars[0] == .infinity)
        #expect(quotient.scalars[1] == -.infinity)
        #expect(quotient.scalars[2].isNaN)
        #expect(quotient != quotient, "NaN is not equal to itself")
    }

    @Test func transcendentalFunctions() {
        let x = Tensor([0, 1, -1, 2])
        assertClose(x.exp(), [1, 2.7182817, 0.36787945, 7.389056])
        assertClose(Tensor([1, 2.7182817, 0.5]).log(), [0, 1, -0.6931472])
        assertClose(Tensor([0, 4, 2.25]).sqrt(), [0, 2, 1.5])
        assertClose(Tensor([0, Float.pi / 2, Float.pi / 6]).sin(), [0, 1, 0.5], atol: 1e-6)
        assertClose(Tensor([0, Float.pi, Float.pi / 3]).cos(), [1, -1, 0.5], atol: 1e-6)
        assertClose(x.tanh(), [0, 0.7615942, -0.7615942, 0.9640276])
        assertClose(x.sigmoid(), [0.5, 0.7310586, 0.26894143, 0.880797])
        assertClose(x.softplus(), [0.6931472, 1.3132616, 0.31326169, 2.126928])
        #expect(Tensor(0).log().scalar == -.infinity)
        #expect(Tensor(-1).sqrt().scalar.isNaN)
    }

    @Test func functionsOfLargeArgumentsStayFinite() {
        let x = Tensor([-100, 100, -1000, 1000])
        assertClose(x.sigmoid(), [0, 1, 0, 1])
        assertClose(x.softplus(), [0, 100, 0, 1000])
        assertClose(x.tanh(), [-1, 1, -1, 1])
        #expect(x.softplus().scalars.allSatisfy { $0.isFinite })
    }

    @Test func piecewiseFunctions() {
        let x = Tensor([-2, -0.5, 0, 0.5, 2])
        #expect(x.abs().scalars == [2, 0.5, 0, 0.5, 2])
        #expect(x.relu().scalars == [0, 0, 0, 0.5, 2])
        #expect(x.sign().scalars == [-1, -1, 0, 1, 1])
        #expect(x.clipped(to: -1, 1).scalars == [-1, -0.5, 0, 0.5, 1])
        #expect(Tensor([0.5, 1.5, 2.5, -0.5, 1.4]).rounded().scalars == [0, 2, 2, -0, 1])
    }

    @Test func kinksTakeTensorFlowsGradients() {
        // d|x|/dx and relu' are 0 at 0; clipped passes the gradient at the bounds themselves.
        let x = Tensor([0, 0, -1, 1])
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let (a, r, c) = tape.record { (x.abs(), x.relu(), x.clipped(to: -1, 1)) }
        #expect(tape.gradient(of: a, withRespectTo: x)!.scalars == [0, 0, -1, 1])
        #expect(tape.gradient(of: r, withRespectTo: x)!.scalars == [0, 0, 0, 1])
        #expect(tape.gradient(of: c, withRespectTo: x)!.scalars == [1, 1, 1, 1])
    }

    @Test func powers() {
        let x = Tensor([2, 3, 0.5])
        #expect(x.pow(2).scalars == [4, 9, 0.25])
        #expect(x.squared().scalars == [4, 9, 0.25])
        #expect(x.pow(3).scalars == [8, 27, 0.125])
        #expect(x.pow(0).scalars == [1, 1, 1])
        #expect(x.pow(1).scalars == [2, 3, 0.5])
        assertClose(x.pow(0.5), [1.4142135, 1.7320508, 0.70710677])
        assertClose(x.pow(-1), [0.5, 0.33333334, 2])
        assertClose(x.pow(Tensor([3, 2, -2])), [8, 9, 4])
        assertClose(pow(Tensor([4, 9]), Tensor(0.5)), [2, 3])
        // A negative base with an integer exponent is defined, as in NumPy.
        #expect(Tensor([-2]).pow(3).scalars == [-8])
        #expect(Tensor([-2]).pow(Tensor([2])).scalars == [4])
    }

    @Test func powGradientWithRespectToTheExponentIsZeroWhereTheBaseIsNotPositive() {
        let base = Tensor([-2, 0, 2]), exponent = Tensor([2, 2, 2])
        let tape = GradientTape()
        tape.watch(exponent)
        let y = tape.record { base.pow(exponent) }
        assertClose(tape.gradient(of: y, withRespectTo: exponent)!, [0, 0, 4 * 0.6931472])
    }

    @Test func lectureFunctionAtTen() {
        let x = Tensor(10)
        #expect((3 * x.pow(3) + x.pow(2)).scalar == 3100)
    }
}
