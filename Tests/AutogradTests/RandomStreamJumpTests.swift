import Testing
@testable import Autograd

/// Advancing a stream without drawing, and the parallel fill of normal tensors built on it.
@Suite struct RandomStreamJumpTests {
    @Test(arguments: [0, 1, 255, 256, 257, 1000, 65_537, 1 << 20 | 3] as [UInt64])
    func advancingEqualsDrawing(draws: UInt64) {
        let start = RandomStream(seed: 42, stream: 9)
        var drawn = start
        for _ in 0..<draws { _ = drawn.next() }
        let advanced = start.advanced(by: draws)
        #expect(advanced == drawn)
        var (a, b) = (advanced, drawn)
        #expect((0..<8).map { _ in a.next() } == (0..<8).map { _ in b.next() })
    }

    @Test func advancesAdd() {
        let start = RandomStream(seed: 3)
        #expect(start.advanced(by: 70_000).advanced(by: 1_234_567) == start.advanced(by: 1_304_567))
    }

    /// `x^(2¹²⁸)` and `x^(2¹⁹²)` modulo the characteristic polynomial are the `JUMP` and
    /// `LONG_JUMP` constants xoshiro256's authors publish: the polynomial is the generator's.
    @Test func characteristicPolynomialGivesThePublishedJumps() {
        var power = JumpPolynomial.one.timesX()
        for _ in 0..<128 { power = power.times(power) }
        #expect(power == JumpPolynomial(words: (0x180e_c6d3_3cfd_0aba, 0xd5a6_1266_f0c9_392c, 0xa958_2618_e03f_c9aa, 0x39ab_dc45_29b1_661c)))
        for _ in 0..<64 { power = power.times(power) }
        #expect(power == JumpPolynomial(words: (0x76e1_5d3e_fefd_cbbf, 0xc500_4e44_1c52_2fb3, 0x7771_0069_854e_e241, 0x3910_9bb0_2acb_e635)))
    }

    /// The fill in parts gives every element the bits of drawing it alone, whatever the part
    /// size (and so whichever thread takes which part), and leaves the stream where drawing
    /// one by one does: parts too short for the kernel's lanes, parts on lanes with a part
    /// too short left over (1024, 1500), and one run on lanes (5000).
    @Test(arguments: [1, 2, 3, 7, 64, 1000, 1024, 1500, 5000])
    func fillingInPartsEqualsDrawingOneByOne(part: Int) {
        let count = 3001
        var sequential = RandomStream(seed: 5, stream: 2)
        let expected = (0..<count).map { _ in 0.5 + 2 * Float(sequential.nextNormal()) }
        var random = RandomStream(seed: 5, stream: 2)
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            Tensor.fillNormals(buffer, mean: 0.5, standardDeviation: 2, using: &random, part: part)
            initialized = count
        }
        #expect(values.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(random == sequential)
    }

    /// A tensor large enough to be filled in parts: the same bits as drawing one by one, with a
    /// last part shorter than the lanes' run and one long enough for them.
    @Test(arguments: [2 * Tensor.normalBlock + 123, Tensor.normalBlock + 5003])
    func largeRandomNormalTensorEqualsDrawingOneByOne(count: Int) {
        var sequential = RandomStream(seed: 11)
        let expected = (0..<count).map { _ in Float(sequential.nextNormal()) }
        var random = RandomStream(seed: 11)
        let tensor = Tensor.randomNormal(shape: [count], using: &random)
        #expect(tensor.scalars.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(random == sequential)
    }

    /// A truncated normal tensor drawn by the kernel, in blocks of candidates, has the bits of
    /// drawing each element again until it lies within ±2, and leaves the stream after the last
    /// draw it used, whether or not that ends a block.
    @Test(arguments: [1, 7, 61, 64, 65, 1000, 100_003])
    func truncatedNormalEqualsRedrawingOneByOne(count: Int) {
        var sequential = RandomStream(seed: 21, stream: 4)
        let expected = (0..<count).map { _ -> Float in
            var draw = sequential.nextNormal()
            while abs(draw) > 2 { draw = sequential.nextNormal() }
            return -1 + 0.5 * Float(draw)
        }
        var random = RandomStream(seed: 21, stream: 4)
        let tensor = Tensor.truncatedNormal(shape: [count], mean: -1, standardDeviation: 0.5, using: &random)
        #expect(tensor.scalars.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(random == sequential)
    }
}
