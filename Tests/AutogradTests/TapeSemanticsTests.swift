import Testing
import Autograd
import _TestSupport
import Foundation

/// `GradientTape` behaves as TensorFlow 2's `tf.GradientTape`: what it watches, what it records,
/// what it returns, and when it lets go of its record.
@Suite struct TapeSemanticsTests {
    @Test func lectureGradient() {
        let x = Variable(10)
        let tape = GradientTape()
        let y = tape.record { 3 * x.value.pow(3) + x.value.pow(2) }
        #expect(y.scalar == 3100)
        #expect(tape.gradient(of: y, withRespectTo: x)?.scalar == 920)
    }

    @Test func nonPersistentTapeReleasesItsRecordAfterTheFirstGradient() {
        let x = Tensor(3)
        let tape = GradientTape()
        tape.watch(x)
        let y = tape.record { x * x * x }
        #expect(tape.recordedOperationCount == 2)
        #expect(tape.gradient(of: y, withRespectTo: x)?.scalar == 27)
        #expect(tape.recordedOperationCount == 0)
    }

    @Test func secondGradientOfANonPersistentTapeStopsTheProgram() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor(3)
            let tape = GradientTape()
            tape.watch(x)
            let y = tape.record { x * x }
            _ = tape.gradient(of: y, withRespectTo: x)
            _ = tape.gradient(of: y, withRespectTo: x)
        }
        // The message is printed in every build configuration, optimised ones included.
        let stderr = standardError(of: result)
        #expect(stderr.contains("a non-persistent GradientTape computes one gradient only"))
    }

    @Test func aGradientInsideTheRecordOfANonPersistentTapeEndsItsRecording() {
        // As in TensorFlow, the block goes on after the gradient; the tape records nothing more,
        // and reading the variable it updated watches nothing.
        let w = Variable(Tensor([1, 2]), name: "w")
        let tape = GradientTape()
        let (gradient, afterwards) = tape.record { () -> (Tensor?, Tensor) in
            let gradient = tape.gradient(of: (w.value * w.value).sum(), withRespectTo: w)
            w.assignSub(gradient! * 0.25)
            return (gradient, (w.value * 3).sum())
        }
        #expect(gradient?.scalars == [2, 4])
        #expect(w.value.scalars == [0.5, 1])
        #expect(afterwards.scalar == 4.5)
        #expect(tape.recordedOperationCount == 0)
    }

    @Test func anOuterTapeGoesOnRecordingAfterAnInnerTapesGradientInsideItsRecord() {
        let x = Variable(3, name: "x")
        let outer = GradientTape()
        let y = outer.record { () -> Tensor in
            let inner = GradientTape()
            return inner.record { () -> Tensor in
                let slope = inner.gradient(of: x.value.pow(3), withRespectTo: x)!   // 3x²
                return slope * x.value                                              // 3x³
            }
        }
        #expect(y.scalar == 81)
        // d/dx of 3x² · x, both factors recorded by the outer tape: 9x² = 81.
        #expect(outer.gradient(of: y, withRespectTo: x)?.scalar == 81)
    }

    @Test func aSecondGradientInsideTheRecordOfANonPersistentTapeStopsTheProgram() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let w = Variable(Tensor([1, 2]))
            let tape = GradientTape()
            tape.record {
                let y = (w.value * w.value).sum()
                _ = tape.gradient(of: y, withRespectTo: w)
                _ = w.value
                _ = tape.gradient(of: y, withRespectTo: w)
            }
        }
        let stderr = standardError(of: result)
        #expect(stderr.contains("GradientTape.gradient: a non-persistent GradientTape computes one gradient only"))
    }

    @Test func persistentTapeAnswersManyCalls() {
        let x = Tensor([1, 2, 3])
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let (y, z, doubled) = tape.record { (x.squared().sum(), (x * 3).sum(), x * 2) }
        for _ in 0..<3 {
            #expect(tape.gradient(of: y, withRespectTo: x)?.scalars == [2, 4, 6])
            #expect(tape.gradient(of: z, withRespectTo: x)?.scalars == [3, 3, 3])
        }
        let jacobian = tape.jacobian(of: doubled, withRespectTo: x)
        #expect(jacobian.shape == [3, 3])
        #expect(jacobian.scalars == [2, 0, 0, 0, 2, 0, 0, 0, 2])
        #expect(tape.recordedOperationCount > 0)
        #expect(tape.isPersistent)
    }

    @Test func constantsAreWatchedOnlyWhenAsked() {
        let x = Tensor(2), c = Tensor(5)
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let y = tape.record { x * c + c * c }
        #expect(tape.gradient(of: y, withRespectTo: x)?.scalar == 5)
        #expect(tape.gradient(of: y, withRespectTo: c) == nil)
        // Only the op touching x was recorded: c * c is not connected to a watched tensor.
        #expect(tape.recordedOperationCount == 2)
    }

    @Test func ungradedOpsAreNotRecorded() {
        let x = Tensor([1, 2])
        let tape = GradientTape()
        let y = tape.record { (x * x).sum() }
        #expect(tape.recordedOperationCount == 0)
        #expect(tape.gradient(of: y, withRespectTo: x) == nil)
    }

    @Test func trainableVariablesAreWatchedWhenRead() {
        let w = Variable(Tensor([1, 2]), name: "w")
        let frozen = Variable(Tensor([3, 4]), name: "frozen", trainable: false)
        let tape = GradientTape(persistent: true)
        let y = tape.record { (w.value * frozen.value).sum() }
        #expect(tape.gradient(of: y, withRespectTo: w)?.scalars == [3, 4])
        #expect(tape.gradient(of: y, withRespectTo: frozen) == nil)
        let both = tape.gradient(of: y, withRespectTo: [w, frozen])
        #expect(both.count == 2)
        #expect(both[0]?.scalars == [3, 4])
        #expect(both[1] == nil)
    }

    @Test func watchAccessedVariablesFalseWatchesOnlyWhatIsNamed() {
        let a = Variable(2, name: "a"), b = Variable(3, name: "b")
        let tape = GradientTape(persistent: true, watchAccessedVariables: false)
        #expect(!tape.watchesAccessedVariables)
        tape.watch(b)
        let y = tape.record { a.value * b.value }
        #expect(tape.gradient(of: y, withRespectTo: a) == nil)
        #expect(tape.gradient(of: y, withRespectTo: b)?.scalar == 2)
    }

    @Test func watchingANonTrainableVariableExplicitly() {
        let frozen = Variable(4, name: "frozen", trainable: false)
        let tape = GradientTape()
        tape.watch(frozen)
        let y = tape.record { frozen.value.squared() }
        #expect(tape.gradient(of: y, withRespectTo: frozen)?.scalar == 8)
    }

    @Test func stopRecordingSuspendsOnlyInsideTheBlock() {
        let x = Tensor(3)
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let (y, hidden, after) = tape.record { () -> (Tensor, Tensor, Tensor) in
            let y = x * x
            let hidden = tape.stopRecording { y * 10 }
            let after = y * 2
            return (y, hidden, after)
        }
        #expect(hidden.scalar == 90)
        #expect(tape.gradient(of: hidden, withRespectTo: x) == nil)
        #expect(tape.gradient(of: after, withRespectTo: x)?.scalar == 12)
        #expect(tape.gradient(of: y, withRespectTo: x)?.scalar == 6)
    }

    @Test func withoutRecordingSuspendsEveryTape() {
        let x = Tensor(3)
        let outer = GradientTape(), inner = GradientTape()
        outer.watch(x)
        inner.watch(x)
        outer.record {
            inner.record {
                _ = withoutRecording { x * x }
            }
        }
        #expect(outer.recordedOperationCount == 0)
        #expect(inner.recordedOperationCount == 0)
    }

    @Test func stopGradientBlocksTheFlow() {
        let x = Tensor(3)
        let tape = GradientTape()
        tape.watch(x)
        let y = tape.record { stopGradient(x) * x }
        #expect(y.scalar == 9)
        #expect(tape.gradient(of: y, withRespectTo: x)?.scalar == 3)
    }

    @Test func unconnectedSourcesGiveNilOrZeros() {
        let x = Tensor(2), unused = Tensor([1, 2, 3])
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        tape.watch(unused)
        let y = tape.record { x * x }
        #expect(tape.gradient(of: y, withRespectTo: unused) == nil)
        let zeros = tape.gradient(of: y, withRespectTo: unused, unconnected: .zero)
        #expect(zeros?.shape == [3])
        #expect(zeros?.scalars == [0, 0, 0])
        // A target computed without the tape is unconnected too.
        #expect(tape.gradient(of: Tensor(1), withRespectTo: x) == nil)
    }

    @Test func nonScalarTargetIsDifferentiatedAsItsSum() {
        let x = Tensor([1, 2, 3])
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let y = tape.record { x.squared() }
        let ySum = tape.record { y.sum() }
        #expect(tape.gradient(of: y, withRespectTo: x)?.scalars == [2, 4, 6])
        #expect(tape.gradient(of: y, withRespectTo: x) == tape.gradient(of: ySum, withRespectTo: x))
    }

    @Test func outputGradientWeightsTheTarget() {
        let x = Tensor([1, 2, 3])
        let tape = GradientTape()
        tape.watch(x)
        let y = tape.record { x.squared() }
        let g = tape.gradient(of: y, withRespectTo: x, outputGradient: Tensor([1, 0, -2]))
        #expect(g?.scalars == [2, 0, -12])
    }

    @Test func intermediateResultsCanBeSources() {
        let x = Tensor(3)
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let (y, z) = tape.record { () -> (Tensor, Tensor) in
            let y = x * x
            return (y, y * 4 + x)
        }
        // ∂z/∂y holds x fixed; ∂z/∂x goes through y as well.
        let gradients = tape.gradient(of: z, withRespectTo: [y, x])
        #expect(gradients[0]?.scalar == 4)
        #expect(gradients[1]?.scalar == 25)
    }

    @Test func theTargetAsItsOwnSourceAndRepeatedSources() {
        let x = Tensor([1, 2])
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let y = tape.record { x * 5 }
        #expect(tape.gradient(of: x, withRespectTo: x)?.scalars == [1, 1])
        #expect(tape.gradient(of: y, withRespectTo: y)?.scalars == [1, 1])
        let twice = tape.gradient(of: y, withRespectTo: [x, x])
        #expect(twice[0]?.scalars == [5, 5])
        #expect(twice[1]?.scalars == [5, 5])
    }

    @Test func aTapeRecordsSeveralBlocks() {
        let x = Tensor(2)
        let tape = GradientTape()
        tape.watch(x)
        let y = tape.record { x * x }
        let z = tape.record { y * x }
        #expect(tape.gradient(of: z, withRespectTo: x)?.scalar == 12)
    }

    @Test func anOpWithMoreThanSixtyFourInputsGivesEveryInputItsGradient() {
        // The tape tells a pullback which inputs it needs with one bit per input for the first
        // 64; the inputs past them must still get their gradients.
        let pieces = (0..<70).map { Tensor([Float($0), -Float($0)]) }
        let tape = GradientTape()
        for piece in pieces { tape.watch(piece) }
        let y = tape.record { Tensor.concatenating(pieces, alongAxis: 0).sum() }
        let gradients = tape.gradient(of: y, withRespectTo: pieces)
        #expect(gradients.count == 70)
        for (index, gradient) in gradients.enumerated() {
            #expect(gradient?.scalars == [1, 1], "input \(index)")
        }
    }

    @Test func unwatchedInputsPastTheSixtyFourthGetNoGradient() {
        let pieces = (0..<70).map { Tensor([Float($0)]) }
        let tape = GradientTape(persistent: true)
        tape.watch(pieces[1])
        tape.watch(pieces[68])
        let y = tape.record { (Tensor.concatenating(pieces, alongAxis: 0) * 3).sum() }
        let gradients = tape.gradient(of: y, withRespectTo: pieces)
        for (index, gradient) in gradients.enumerated() {
            #expect(gradient?.scalars == ([1, 68].contains(index) ? [3] : nil), "input \(index)")
        }
    }

    @Test func emptyTensorsHaveEmptyGradients() {
        let x = Tensor.zeros(shape: [0, 3])
        let tape = GradientTape()
        tape.watch(x)
        let y = tape.record { (x * 2 + Tensor([1, 2, 3])).sum() }
        #expect(y.scalar == 0)
        #expect(tape.gradient(of: y, withRespectTo: x)?.shape == [0, 3])
    }

    @Test func namedSources() {
        let a = Tensor(2), b = Tensor(3), unused = Tensor(4)
        let tape = GradientTape(persistent: true)
        for t in [a, b, unused] { tape.watch(t) }
        let y = tape.record { a * b }
        let gradients = tape.gradient(of: y, withRespectTo: ["a": a, "b": b, "unused": unused])
        #expect(gradients.keys.sorted() == ["a", "b"])
        #expect(gradients["a"]?.scalar == 3)
        #expect(gradients["b"]?.scalar == 2)
        let withZeros = tape.gradient(of: y, withRespectTo: ["a": a, "unused": unused], unconnected: .zero)
        #expect(withZeros["unused"]?.scalar == 0)

        let w = Variable(5, name: "w"), v = Variable(7, name: "v")
        let variableTape = GradientTape()
        let z = variableTape.record { w.value * v.value }
        let named = variableTape.gradient(of: z, withRespectTo: ["w": w, "v": v])
        #expect(named["w"]?.scalar == 7)
        #expect(named["v"]?.scalar == 5)
    }

    @Test func nestedTapesGiveHigherDerivatives() {
        // f(x) = 3x³ + x²: f' = 9x² + 2x = 920, f'' = 18x + 2 = 182, f''' = 18 at x = 10.
        let x = Variable(10)
        let third = GradientTape()
        let (y, d1, d2) = third.record { () -> (Tensor, Tensor, Tensor) in
            let second = GradientTape()
            let (y, d1) = second.record { () -> (Tensor, Tensor) in
                let first = GradientTape()
                let y = first.record { 3 * x.value.pow(3) + x.value.pow(2) }
                return (y, first.gradient(of: y, withRespectTo: x)!)
            }
            return (y, d1, second.gradient(of: d1, withRespectTo: x)!)
        }
        #expect(y.scalar == 3100)
        #expect(d1.scalar == 920)
        #expect(d2.scalar == 182)
        #expect(third.gradient(of: d2, withRespectTo: x)?.scalar == 18)
    }

    @Test func aPersistentTapeRecordsAGradientTakenInsideItsOwnRecord() {
        // TensorFlow 2.21: with tf.GradientTape(persistent=True) as t: t.watch(x); y = x**3;
        // g = t.gradient(y, x)  gives g = 27 and t.gradient(g, x) = 18 at x = 3.
        let x = Tensor([3])
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let (y, first) = tape.record { () -> (Tensor, Tensor) in
            let y = x.pow(3)
            return (y, tape.gradient(of: y, withRespectTo: x)!)
        }
        #expect(first.scalars == [27])
        #expect(tape.gradient(of: first, withRespectTo: x)?.scalars == [18])
        // The first-order gradient is the same as one asked outside the block.
        #expect(tape.gradient(of: y, withRespectTo: x)?.scalars == [27])
    }

    @Test func aPersistentTapeAskedUnderStopRecordingRecordsNothingMore() {
        let x = Tensor([3])
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let first = tape.record { () -> Tensor in
            let y = x.pow(3)
            return tape.stopRecording { tape.gradient(of: y, withRespectTo: x)! }
        }
        #expect(first.scalars == [27])
        #expect(tape.recordedOperationCount == 1)
        #expect(tape.gradient(of: first, withRespectTo: x) == nil)
    }

    @Test func secondDerivativeOfTranscendentalFunctions() {
        // d²/dx² sin(x)·eˣ = 2·cos(x)·eˣ.
        let x = Tensor([0.3, -1.2, 2])
        let outer = GradientTape()
        outer.watch(x)
        let d1 = outer.record { () -> Tensor in
            let inner = GradientTape()
            inner.watch(x)
            let y = inner.record { x.sin() * x.exp() }
            return inner.gradient(of: y, withRespectTo: x)!
        }
        let d2 = outer.gradient(of: d1, withRespectTo: x)!
        let expected = x.scalars.map { 2 * Float(cos(Double($0)) * exp(Double($0))) }
        assertClose(d2, expected, rtol: 1e-5)
    }

    /// A power whose base and exponent both depend on x has the cross term ∂²(aᵇ)/∂a∂b in its
    /// second derivative: d²/dx² xˣ = xˣ·((1 + ln x)² + 1/x), and with the base and the exponent
    /// as separate sources, ∂²(aᵇ)/∂a∂b = aᵇ⁻¹·(1 + b·ln a).
    @Test func secondDerivativeOfAPowerInBothItsArguments() {
        /// ∂/∂`outer` of ∂`f`/∂`inner`, each tape watching its own source.
        func mixed(_ f: () -> Tensor, inner: Tensor, outer: Tensor) -> Tensor {
            let outerTape = GradientTape()
            outerTape.watch(outer)
            let first = outerTape.record { () -> Tensor in
                let innerTape = GradientTape()
                innerTape.watch(inner)
                let y = innerTape.record(f)
                return innerTape.gradient(of: y, withRespectTo: inner)!
            }
            return outerTape.gradient(of: first, withRespectTo: outer)!
        }
        let x = Tensor([0.7, 1.7, 2, 3.5])
        let expected = x.scalars.map { value -> Float in
            let v = Double(value), l = log(v)
            return Float(pow(v, v) * ((1 + l) * (1 + l) + 1 / v))
        }
        assertClose(mixed({ x.pow(x) }, inner: x, outer: x), expected, rtol: 1e-5)

        // ∂/∂a of ∂(aᵇ)/∂b = aᵇ·ln a: the path through the logarithm of the base.
        let (a, b) = (Tensor([1.5, 2.5]), Tensor([0.5, 3]))
        let cross = zip(a.scalars, b.scalars).map { a, b in Float(pow(Double(a), Double(b) - 1) * (1 + Double(b) * log(Double(a)))) }
        assertClose(mixed({ a.pow(b) }, inner: b, outer: a), cross, rtol: 1e-5)
    }

    @Test func jacobianOfAVectorFunction() {
        // f(x, y) = [x·y, x², sin y, 3]; J = [[y, x], [2x, 0], [0, cos y], [0, 0]].
        let v = Tensor([2, 0.5])
        let tape = GradientTape()
        tape.watch(v)
        let f = tape.record { () -> Tensor in
            let x = v.slice(alongAxis: 0, 0..<1), y = v.slice(alongAxis: 0, 1..<2)
            return Tensor.concatenating([x * y, x.squared(), y.sin(), Tensor([3])])
        }
        let jacobian = tape.jacobian(of: f, withRespectTo: v)
        #expect(jacobian.shape == [4, 2])
        assertClose(jacobian, [0.5, 2, 4, 0, 0, 0.87758255, 0, 0])
    }

    @Test func jacobianRowsKeepTheirOwnSeeds() {
        // The seed of each row reaches the result unchanged (x + 1 and x itself pass it through)
        // and is captured by the pullbacks an outer tape records; a later row must not change it.
        let x = Tensor([1, 2, 3])
        let identity: [Float] = [1, 0, 0, 0, 1, 0, 0, 0, 1]
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let y = tape.record { x + 1 }
        #expect(tape.jacobian(of: y, withRespectTo: x).scalars == identity)
        #expect(tape.jacobian(of: x, withRespectTo: x).scalars == identity)

        let outer = GradientTape()
        outer.watch(x)
        let (jacobian, total) = outer.record { () -> (Tensor, Tensor) in
            let inner = GradientTape()
            inner.watch(x)
            let y = inner.record { x * x }
            let jacobian = inner.jacobian(of: y, withRespectTo: x)   // diag(2x)
            return (jacobian, jacobian.sum())
        }
        #expect(jacobian.scalars == [2, 0, 0, 0, 4, 0, 0, 0, 6])
        // d/dx Σ diag(2x) = 2 for every element.
        #expect(outer.gradient(of: total, withRespectTo: x)?.scalars == [2, 2, 2])
    }

    @Test func jacobianOfAMatrixFunctionHasBothShapes() {
        let w = Variable(Tensor([[1, 2], [3, 4]]), name: "w")
        let x = Tensor([[1, -1]])
        let tape = GradientTape()
        let y = tape.record { matmul(x, w.value) }   // [1, 2]: y_j = Σ_i x_i w_ij
        let jacobian = tape.jacobian(of: y, withRespectTo: w)
        #expect(jacobian.shape == [1, 2, 2, 2])
        // ∂y_j/∂w_ik = x_i·δ_jk.
        assertClose(jacobian, [1, 0, -1, 0, 0, 1, 0, -1])
    }

    @Test func customGradientReplacesTheTapesRule() {
        let x = Tensor([1, 2])
        let tape = GradientTape()
        tape.watch(x)
        let y = tape.record {
            customGradient(x) { $0[0].squared() } gradient: { upstream, _, _ in [upstream * 42] }
        }
        #expect(y.scalars == [1, 4])
        // One op on the tape, and its gradient is the custom one, not 2x.
        #expect(tape.recordedOperationCount == 1)
        #expect(tape.gradient(of: y, withRespectTo: x)?.scalars == [42, 42])
    }

    @Test func customGradientOfAnIdentityGetsItsOwnIdentity() {
        // forward returns its input unchanged; the tape must still see a separate output.
        let x = Tensor([3])
        let tape = GradientTape()
        tape.watch(x)
        let y = tape.record {
            customGradient(x) { $0[0] } gradient: { upstream, _, _ in [upstream * 0.5] }
        }
        #expect(tape.gradient(of: (y), withRespectTo: x)?.scalars == [0.5])
    }

    @Test func updatingAVariableLeavesTheRecordedValueAlone() {
        let w = Variable(Tensor([1, 2]), name: "w")
        let tape = GradientTape(persistent: true)
        let (read, y) = tape.record { () -> (Tensor, Tensor) in
            let v = w.value
            return (v, v.squared().sum())
        }
        #expect(tape.gradient(of: y, withRespectTo: w)?.scalars == [2, 4])
        w.assignSub(Tensor([0.5, 0.5]))
        w.assignAdd(Tensor([0.25, 0.25]))
        #expect(w.value.scalars == [0.75, 1.75])
        // The value the tape recorded is a copy-on-write snapshot: still [1, 2].
        #expect(read.scalars == [1, 2])
        #expect(tape.gradient(of: y, withRespectTo: read)?.scalars == [2, 4])
        w.assign(Tensor([5, 6]))
        #expect(w.value.scalars == [5, 6])
        #expect(tape.gradient(of: y, withRespectTo: read)?.scalars == [2, 4])
        // As in TensorFlow, the gradient with respect to the variable is still the one of the
        // value the tape read, whatever the variable holds now.
        #expect(tape.gradient(of: y, withRespectTo: w)?.scalars == [2, 4])
    }

    @Test func aVariableAssignedBetweenReadsGetsTheSumOfBothGradients() {
        // y = Σ v₁² + 3·Σ v₂, where v₁ = [1, 2] and, after the assignment, v₂ = [10, 20]:
        // TensorFlow's variable handle collects both, 2·v₁ + 3.
        let w = Variable(Tensor([1, 2]), name: "w")
        let tape = GradientTape()
        let y = tape.record { () -> Tensor in
            let first = w.value.squared().sum()
            w.assign(Tensor([10, 20]))
            return first + 3 * w.value.sum()
        }
        #expect(tape.gradient(of: y, withRespectTo: [w], unconnected: .zero)[0]?.scalars == [5, 7])
    }

    @Test func manyVariablesReadInterleavedEachGetTheirOwnGradient() {
        // y = Σᵢ (i + 1) · Σ vᵢ, each variable read three times in a different order each round,
        // and every other one assigned between its first and later reads (both values count).
        let variables = (0..<300).map { Variable(Tensor([Float($0), 1]), name: "v\($0)") }
        let tape = GradientTape()
        let y = tape.record { () -> Tensor in
            var total = Tensor(0)
            for round in 0..<3 {
                let order = round == 1 ? Array(variables.indices.reversed()) : Array(variables.indices)
                for index in order {
                    if round == 1 && index.isMultiple(of: 2) { variables[index].assign(Tensor([-1, -1])) }
                    total = total + Float(index + 1) / 3 * variables[index].value.sum()
                }
            }
            return total
        }
        let gradients = tape.gradient(of: y, withRespectTo: variables)
        for (index, gradient) in gradients.enumerated() {
            let expected = Float(index + 1) / 3 * 3
            #expect(gradient?.scalars.allSatisfy { abs($0 - expected) <= 1e-4 * expected } == true, "v\(index): \(String(describing: gradient))")
        }
    }

    @Test func aVariableNeverReadIsUnconnected() {
        let w = Variable(Tensor([1, 2]), name: "w"), unused = Variable(Tensor([3]), name: "unused")
        let tape = GradientTape(persistent: true)
        let y = tape.record { w.value.sum() }
        #expect(tape.gradient(of: y, withRespectTo: unused) == nil)
        #expect(tape.gradient(of: y, withRespectTo: [unused], unconnected: .zero)[0]?.scalars == [0])
    }

    @Test func gradientWithRespectToTheVariableReadOnTheTape() {
        let w = Variable(Tensor([1, 2]), name: "w")
        let tape = GradientTape()
        let y = tape.record { w.value.squared().sum() }
        #expect(tape.gradient(of: y, withRespectTo: w)?.scalars == [2, 4])
        #expect(w.description.contains("'w'"))
    }
}
