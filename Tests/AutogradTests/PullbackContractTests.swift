import Testing
import Autograd
import _TestSupport

/// The tape checks what every pullback returns: one gradient (or nil) per input of its op, each
/// shaped like its input. A pullback that breaks this stops the program, in every build
/// configuration, with a message that names the op and what did not match. `customGradient` is
/// the public way to record a pullback, so it stands in for a faulty op here.
///
/// An exit test's body runs in another process and captures nothing, so each one builds its own
/// `a * b` with both inputs watched.
@Suite struct PullbackContractTests {
    @Test func aPullbackWithAGradientTooManyStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let a = Tensor([1, 2]), b = Tensor([3, 4])
            let tape = GradientTape()
            tape.watch(a)
            tape.watch(b)
            let y = tape.record {
                customGradient(a, b) { $0[0] * $0[1] } gradient: { upstream, inputs, _ in
                    [upstream * inputs[1], upstream * inputs[0], upstream]
                }
            }
            _ = tape.gradient(of: y, withRespectTo: a)
        }
        #expect(standardError(of: result).contains(
            "GradientTape: the pullback of customGradient(_:forward:gradient:) returned 3 gradients, but the op has 2 inputs"))
    }

    @Test func aPullbackWithAGradientTooFewStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let a = Tensor([1, 2]), b = Tensor([3, 4])
            let tape = GradientTape()
            tape.watch(a)
            tape.watch(b)
            let y = tape.record {
                customGradient(a, b) { $0[0] * $0[1] } gradient: { upstream, inputs, _ in [upstream * inputs[1]] }
            }
            _ = tape.gradient(of: y, withRespectTo: a)
        }
        #expect(standardError(of: result).contains(
            "GradientTape: the pullback of customGradient(_:forward:gradient:) returned 1 gradient, but the op has 2 inputs"))
    }

    @Test func aGradientOfTheWrongShapeNamesTheOpAndBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let a = Tensor([1, 2]), b = Tensor([3, 4])
            let tape = GradientTape()
            tape.watch(a)
            tape.watch(b)
            let y = tape.record {
                customGradient(a, b) { $0[0] * $0[1] } gradient: { upstream, inputs, _ in
                    [upstream * inputs[1], Tensor([1, 2, 3])]
                }
            }
            _ = tape.gradient(of: y, withRespectTo: a)
        }
        #expect(standardError(of: result).contains(
            "GradientTape: the pullback of customGradient(_:forward:gradient:) returned a gradient of shape [3] for input 1, which has shape [2]"))
    }

    @Test func aPullbackThatKeepsTheContractPasses() {
        let a = Tensor([1, 2]), b = Tensor([3, 4])
        let tape = GradientTape()
        tape.watch(a)
        let y = tape.record {
            customGradient(a, b) { $0[0] * $0[1] } gradient: { upstream, inputs, _ in
                [upstream * inputs[1], upstream * inputs[0]]
            }
        }
        #expect(tape.gradient(of: y, withRespectTo: a)?.scalars == [3, 4])
    }
}
