import Testing
import Autograd
@testable import Models

@Test func fansFollowKeras() {
    #expect(Initializer.fans(of: []) == (1, 1))
    #expect(Initializer.fans(of: [7]) == (7, 7))
    #expect(Initializer.fans(of: [3, 5]) == (3, 5))
    #expect(Initializer.fans(of: [2, 2, 3, 5]) == (12, 20))
}

@Test func glorotUniformStaysWithinItsLimitAndFillsIt() {
    var random = RandomStream(seed: 1)
    let w = Initializer.glorotUniform.makeTensor(shape: [200, 100], using: &random).scalars
    let limit = (6.0 / 300.0).squareRoot()
    #expect(w.allSatisfy { abs(Double($0)) <= limit })
    // A uniform on [-l, l] has variance l²/3.
    let variance = w.map { Double($0) * Double($0) }.reduce(0, +) / Double(w.count)
    #expect(abs(variance - limit * limit / 3) < 0.05 * limit * limit / 3)
}

@Test func heUniformUsesFanInOnly() {
    var random = RandomStream(seed: 2)
    let w = Initializer.heUniform.makeTensor(shape: [50, 400], using: &random).scalars
    let limit = Float((6.0 / 50.0).squareRoot())
    #expect(w.allSatisfy { abs($0) <= limit })
    #expect(w.contains { abs($0) > 0.9 * limit })
}

@Test(arguments: [Initializer.heNormal, .glorotNormal])
func truncatedNormalsHaveTheTargetVariance(initializer: Initializer) {
    var random = RandomStream(seed: 3)
    let shape = [100, 300]
    let w = initializer.makeTensor(shape: shape, using: &random).scalars.map(Double.init)
    let target = initializer == .heNormal ? 2.0 / 100 : 2.0 / 400
    let variance = w.map { $0 * $0 }.reduce(0, +) / Double(w.count)
    #expect(abs(variance - target) < 0.04 * target)
    // Truncated at two of the pre-correction standard deviations.
    let bound = 2 * target.squareRoot() / Double(Initializer.truncatedNormalStandardDeviation)
    #expect(w.allSatisfy { abs($0) <= bound * 1.000001 })
}

@Test func normalAndConstantsAndZeros() {
    var random = RandomStream(seed: 4)
    let w = Initializer.normal(standardDeviation: 0.05).makeTensor(shape: [10_000], using: &random).scalars
    let deviation = (w.map { Double($0) * Double($0) }.reduce(0, +) / Double(w.count)).squareRoot()
    #expect(abs(deviation - 0.05) < 0.002)
    let before = random
    #expect(Initializer.zeros.makeTensor(shape: [2, 3], using: &random) == Tensor.zeros(shape: [2, 3]))
    #expect(Initializer.constant(0.5).makeTensor(shape: [2], using: &random) == Tensor([0.5, 0.5]))
    #expect(random == before, "deterministic initialisers must not draw")
}

@Test func sameStreamGivesSameValuesAndOtherStreamsDiffer() {
    var a = RandomStream(seed: 9, stream: 0), b = RandomStream(seed: 9, stream: 0), c = RandomStream(seed: 9, stream: 1)
    let x = Initializer.glorotUniform.makeTensor(shape: [4, 4], using: &a)
    #expect(x == Initializer.glorotUniform.makeTensor(shape: [4, 4], using: &b))
    #expect(x != Initializer.glorotUniform.makeTensor(shape: [4, 4], using: &c))
}
