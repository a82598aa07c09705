import Testing
import Autograd

/// Seeded random streams: reproducible, independent per stream number, and with the right
/// distributions.
@Suite struct RandomStreamTests {
    static func draws(_ random: inout RandomStream, count: Int = 16) -> [UInt64] {
        (0..<count).map { _ in random.next() }
    }

    @Test func sameSeedAndStreamGiveTheSameSequence() {
        var a = RandomStream(seed: 42, stream: 3), b = RandomStream(seed: 42, stream: 3)
        #expect(a == b)
        #expect(Self.draws(&a) == Self.draws(&b))
        var c = RandomStream(seed: 42)
        var d = RandomStream(seed: 42, stream: 0)
        #expect(Self.draws(&c) == Self.draws(&d))
    }

    @Test func differentStreamsAndSeedsDiffer() {
        var sequences: [[UInt64]] = []
        for (seed, stream) in [(42, 0), (42, 1), (42, 2), (43, 0), (0, 0), (0, 1)] as [(UInt64, UInt64)] {
            var random = RandomStream(seed: seed, stream: stream)
            sequences.append(Self.draws(&random))
        }
        #expect(Set(sequences).count == sequences.count)
        // No two streams share even a single early draw.
        #expect(Set(sequences.flatMap { $0 }).count == sequences.count * 16)
    }

    @Test func copiesContinueIdentically() {
        var a = RandomStream(seed: 7)
        _ = Self.draws(&a, count: 5)
        var b = a
        #expect(a.nextUniform() == b.nextUniform())
        #expect(a.nextNormal() == b.nextNormal())
    }

    @Test func uniformDrawsAreInTheUnitIntervalWithMeanOneHalf() {
        var random = RandomStream(seed: 1)
        let draws = (0..<100_000).map { _ in random.nextUniform() }
        #expect(draws.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = draws.reduce(0, +) / Double(draws.count)
        #expect(Swift.abs(mean - 0.5) < 0.01)
    }

    @Test func normalDrawsHaveMeanZeroAndStandardDeviationOne() {
        var random = RandomStream(seed: 2, stream: 5)
        let count = 100_000
        let draws = (0..<count).map { _ in random.nextNormal() }
        let mean = draws.reduce(0, +) / Double(count)
        let variance = draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count - 1)
        // The standard error of the mean is 1/√n ≈ 0.003; these bounds are over five of them.
        #expect(Swift.abs(mean) < 0.02)
        #expect(Swift.abs(variance.squareRoot() - 1) < 0.02)
        #expect(draws.allSatisfy { $0.isFinite })
        let beyondTwo = draws.filter { Swift.abs($0) > 2 }.count
        #expect(Swift.abs(Double(beyondTwo) / Double(count) - 0.0455) < 0.005)
    }

    @Test func tensorInitialisersAreReproducible() {
        var a = RandomStream(seed: 9), b = RandomStream(seed: 9)
        let x = Tensor.randomNormal(shape: [3, 4], mean: 1, standardDeviation: 0.1, using: &a)
        let y = Tensor.randomNormal(shape: [3, 4], mean: 1, standardDeviation: 0.1, using: &b)
        #expect(x == y)
        #expect(x.shape == [3, 4])
        #expect(x.scalars.allSatisfy { Swift.abs($0 - 1) < 1 })
        let next = Tensor.randomNormal(shape: [3, 4], mean: 1, standardDeviation: 0.1, using: &a)
        #expect(next != x, "the stream advanced")
    }

    @Test func truncatedNormalStaysWithinTwoStandardDeviations() {
        var random = RandomStream(seed: 3)
        let t = Tensor.truncatedNormal(shape: [10_000], mean: 5, standardDeviation: 0.5, using: &random)
        #expect(t.scalars.allSatisfy { $0 >= 4 && $0 <= 6 })
        #expect(Swift.abs(t.mean().scalar - 5) < 0.02)
    }

    @Test func randomUniformRespectsItsBounds() {
        var random = RandomStream(seed: 4)
        let t = Tensor.randomUniform(shape: [10_000], lower: -3, upper: -1, using: &random)
        #expect(t.scalars.allSatisfy { $0 >= -3 && $0 < -1 })
        #expect(Swift.abs(t.mean().scalar + 2) < 0.03)
    }

    @Test func shufflingWithAStreamIsReproducible() {
        var a = RandomStream(seed: 11), b = RandomStream(seed: 11)
        let shuffledA = Array(0..<50).shuffled(using: &a)
        let shuffledB = Array(0..<50).shuffled(using: &b)
        #expect(shuffledA == shuffledB)
        #expect(shuffledA != Array(0..<50))
    }
}
