import Testing
import Autograd
import _TestSupport

/// The test helpers must fail when they should: a gradient check that cannot fail proves nothing.
@Suite struct TestSupportTests {
    @Test func checkGradientCatchesAWrongGradient() {
        let x = Tensor.testInput(shape: [2, 3])
        withKnownIssue {
            // sin with the gradient of −sin: wrong by a sign and a function.
            checkGradient("wrong sin", of: { inputs in
                customGradient(inputs[0]) { $0[0].sin() } gradient: { upstream, inputs, _ in [-upstream * inputs[0].sin()] }
            }, at: [x])
        } matching: { issue in
            let text = issue.comments.map(\.rawValue).joined()
            return text.contains("checkGradient(wrong sin)") && text.contains("input 0 of shape [2, 3]")
        }
    }

    @Test func checkGradientCatchesAGradientWrongInOneElement() {
        let x = Tensor.testInput(shape: [4])
        withKnownIssue {
            checkGradient("one element off", of: { inputs in
                customGradient(inputs[0]) { $0[0] * 2 } gradient: { upstream, _, _ in
                    [upstream * Tensor([2, 2, 2.1, 2])]
                }
            }, at: [x])
        } matching: { issue in
            issue.comments.map(\.rawValue).joined().contains("element [2] (flat 2")
        }
    }

    @Test func checkGradientCatchesAMissingConnection() {
        let x = Tensor.testInput(shape: [3])
        withKnownIssue {
            // stopGradient hides the dependence from the tape, not from finite differences.
            checkGradient("stopGradient", of: { stopGradient($0[0]) * 3 }, at: [x])
        }
    }

    @Test func checkGradientPassesAndReportsSuccess() {
        #expect(checkGradient("sin", of: { $0[0].sin() }, at: [Tensor.testInput(shape: [3])]))
    }

    @Test func assertCloseNamesTheFirstMismatchAndTheContext() {
        withKnownIssue {
            withEvery("case", in: ["only"]) { _ in
                assertClose(Tensor([[1, 2], [3, 4]]), Tensor([[1, 2], [3.5, 4]]))
            }
        } matching: { issue in
            let text = issue.comments.map(\.rawValue).joined()
            return text.contains("element [1, 0]") && text.contains("actual 3.0, expected 3.5")
                && text.contains("shape [2, 2]") && text.contains("case: only")
        }
        withKnownIssue {
            assertClose(Tensor([1, 2]), Tensor([[1, 2]]))
        } matching: { issue in
            issue.comments.map(\.rawValue).joined().contains("shapes differ: actual [2], expected [1, 2]")
        }
        withKnownIssue {
            assertClose(Float.nan, 1)
        }
    }

    @Test func assertCloseAcceptsValuesWithinTolerance() {
        assertClose(Tensor([1, 100, 0]), Tensor([1.000001, 100.0005, 1e-7]), rtol: 1e-5, atol: 1e-6)
        assertClose([Float.infinity, .nan], [Float.infinity, .nan])
        assertClose(Float(2), 2.01, rtol: 0, atol: 0.02)
        #expect(isClose(1, 1.1, rtol: 0.1, atol: 0))
        #expect(!isClose(1, 1.2, rtol: 0.1, atol: 0))
    }

    @Test func withEveryTriesEveryCombination() {
        var seen: [String] = []
        withEvery("a", in: [1, 2, 3], "b", in: ["x", "y"]) { a, b in seen.append("\(a)\(b)") }
        #expect(seen == ["1x", "1y", "2x", "2y", "3x", "3y"])
    }
}
