import Foundation
import Testing
@testable import Autograd

/// A backward pass over a long record runs only the entries its target depends on, found
/// through an index of which entry made each tensor; it runs them in the order a walk of the
/// whole record would, so the gradients are the same to the bit.
@Suite struct PrunedBackwardTests {
    /// A record of some 600 entries over sources of several shapes: broadcasting, tensors used
    /// many times, and branches the targets below do not depend on.
    private struct Graph {
        let sources: [Tensor]
        let intermediate: Tensor
        let loss: Tensor
        let unrelated: Tensor

        init(on tape: GradientTape) {
            let x = Tensor(shape: [2, 3], scalars: [0.3, -1.2, 0.7, 2.1, -0.4, 0.9])
            let b = Tensor([0.5, -0.25, 1.5])
            let s = Tensor(0.8)
            sources = [x, b, s]
            for source in sources { tape.watch(source) }
            var intermediate = x
            var unrelated = b
            (self.intermediate, self.unrelated, loss) = tape.record {
                var y = x
                for step in 0..<100 {
                    y = (y * 0.97 + b).sin() * s + x * Float(step % 3)
                    unrelated = unrelated * 1.01 + s
                    if step == 60 { intermediate = y }
                }
                return (intermediate, unrelated, (y * y).sum() + (unrelated.exp() * b).sum())
            }
        }
    }

    private func bits(_ tensors: [Tensor?]) -> [[UInt32]] {
        tensors.map { $0.map { $0.scalars.map(\.bitPattern) } ?? [] }
    }

    @Test func anIndexedPassGivesTheBitsOfAWholeWalk() {
        func gradients(walkingWhole: Bool) -> [[[UInt32]]] {
            let tape = GradientTape(persistent: true)
            tape.longestRecordWalkedWhole = walkingWhole ? .max : 0
            let graph = Graph(on: tape)
            #expect(tape.recordedOperationCount > 600)
            var results = [
                bits(tape.gradient(of: graph.loss, withRespectTo: graph.sources)),
                bits(tape.gradient(of: graph.intermediate.sum(), withRespectTo: graph.sources)),
                bits(tape.gradient(of: graph.unrelated, withRespectTo: graph.sources, unconnected: .zero)),
            ]
            // Recorded after the index was built: the next pass indexes them too.
            let later = tape.record { (graph.loss * graph.intermediate).sum() }
            results.append(bits(tape.gradient(of: later, withRespectTo: graph.sources)))
            return results
        }
        let whole = gradients(walkingWhole: true)
        #expect(gradients(walkingWhole: false) == whole)
        // The intermediate target's gradient does not reach `b`'s exponential branch.
        #expect(whole[1][1] != whole[0][1])
    }

    /// An op that returns a tensor an earlier op made (here a custom gradient's forward that
    /// returns one) gives that tensor two entries. The index finds both, as the whole walk
    /// does, and the later one takes the gradient pending for it.
    @Test func aTensorMadeByTwoEntriesGetsBoth() {
        func gradient(walkingWhole: Bool) -> [UInt32] {
            let x = Tensor([0.5, -1.5])
            let tape = GradientTape(persistent: true)
            tape.longestRecordWalkedWhole = walkingWhole ? .max : 0
            tape.watch(x)
            let loss = tape.record {
                let made = x * 2
                let again = customGradient(x) { _ in made } gradient: { upstream, _, _ in [upstream * 3] }
                return (again * x).sum()
            }
            return tape.gradient(of: loss, withRespectTo: x)!.scalars.map(\.bitPattern)
        }
        let whole = gradient(walkingWhole: true)
        #expect(gradient(walkingWhole: false) == whole)
        // d/dx Σ(m·x) = m + ∂m/∂x·x, with m = 2x and the custom entry's ∂m/∂x = 3: 5x.
        #expect(whole == [Float(2.5), -7.5].map(\.bitPattern))
    }

    /// The diagonal of the Hessian of Σ sin(vᵢ)·vᵢ over 400 variables, one backward pass of
    /// the outer tape per variable: 2cos(v) − v·sin(v).
    @Test func secondDerivativesOfManyVariablesAreTheWholeWalksBits() {
        let count = 400
        func diagonal(walkingWhole: Bool) -> [Float] {
            let sources = (0..<count).map { Tensor(Float($0) / 100 - 2) }
            let outer = GradientTape(persistent: true, watchAccessedVariables: false)
            outer.longestRecordWalkedWhole = walkingWhole ? .max : GradientTape(persistent: true).longestRecordWalkedWhole
            for source in sources { outer.watch(source) }
            let firsts = outer.record {
                let inner = GradientTape(watchAccessedVariables: false)
                for source in sources { inner.watch(source) }
                let value = inner.record { sources.map { $0.sin() * $0 }.reduce(Tensor(0), +) }
                return inner.gradient(of: value, withRespectTo: sources).map { $0! }
            }
            #expect(outer.recordedOperationCount > 256, "the record must be long enough to be indexed")
            return zip(firsts, sources).map { outer.gradient(of: $0, withRespectTo: $1, unconnected: .zero)!.scalar }
        }
        let indexed = diagonal(walkingWhole: false)
        #expect(indexed.map(\.bitPattern) == diagonal(walkingWhole: true).map(\.bitPattern))
        for (index, second) in indexed.enumerated() {
            let v = Double(index) / 100 - 2
            let expected: Double = 2 * cos(v) - v * sin(v)
            #expect(abs(Double(second) - expected) < 1e-5, "variable \(index)")
        }
    }
}
