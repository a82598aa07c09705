import Testing
import Autograd

// The backward pass keeps pending gradients in a short list and switches to a hashed index
// once more than 16 are pending; these graphs exercise both, and the accumulation of several
// gradients into one tensor.

/// y = Σᵢ (i+1)·xᵢ·xᵢ + x₀ over 40 sources: every product is pending at once before the sums
/// are pulled back, and x₀ collects 41 contributions, so dy/dxᵢ = 2(i+1)xᵢ, plus 40 for x₀.
@Test func wideGraphGradientsAccumulatePastTheIndexThreshold() throws {
    let count = 40
    let xs = (0..<count).map { Tensor(Float($0) * 0.25 - 3) }
    let tape = GradientTape()
    for x in xs { tape.watch(x) }
    let y = tape.record { () -> Tensor in
        let terms = xs.enumerated().map { i, x in x * x * Float(i + 1) + xs[0] }
        return terms.dropFirst().reduce(terms[0], +)
    }
    let gradients = tape.gradient(of: y, withRespectTo: xs)
    for (i, x) in xs.enumerated() {
        let expected = 2 * Float(i + 1) * x.scalar + (i == 0 ? Float(count) : 0)
        let gradient = try #require(gradients[i])
        #expect(abs(gradient.scalar - expected) <= 1e-4 * max(1, abs(expected)), "source \(i)")
    }
}

/// A few sources (searched linearly), one used twice by the same op and one unconnected.
@Test func narrowGraphGradientsWithRepeatedAndUnconnectedSources() throws {
    let a = Tensor([1, 2, 3])
    let b = Tensor(4)
    let unused = Tensor(7)
    let tape = GradientTape(persistent: true)
    tape.watch(a)
    tape.watch(b)
    tape.watch(unused)
    let y = tape.record { (a * a * b + a).sum() }
    let gradients = tape.gradient(of: y, withRespectTo: [a, b, unused])
    // ∂y/∂a = 2ab + 1, ∂y/∂b = Σa², unused: nil.
    #expect(try #require(gradients[0]).scalars == [9, 17, 25])
    #expect(try #require(gradients[1]).scalar == 14)
    #expect(gradients[2] == nil)
    let zeros = tape.gradient(of: y, withRespectTo: [unused], unconnected: .zero)
    #expect(try #require(zeros[0]).scalar == 0)
}

/// Many sources (the hashed source set): the same answers as one source at a time.
@Test func manySourcesMatchOneAtATime() throws {
    let sources = (0..<12).map { Tensor(Float($0) + 1) }
    let tape = GradientTape(persistent: true)
    for source in sources { tape.watch(source) }
    let y = tape.record { sources.dropFirst().reduce(sources[0]) { $0 * $1.log() + $1 } }
    let together = tape.gradient(of: y, withRespectTo: sources)
    for (i, source) in sources.enumerated() {
        let alone = try #require(tape.gradient(of: y, withRespectTo: source))
        #expect(try #require(together[i]).scalar == alone.scalar, "source \(i)")
    }
}
