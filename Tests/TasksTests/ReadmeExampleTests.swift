import SwiftGrad
import Tasks
import Testing

/// The library examples of the README and of `Documentation/FromTensorFlow.md`, with the same
/// calls; where the text prints a result these assert it (and read the bundled data from the
/// repository), so the pages cannot drift from what the library does.
@Suite struct ReadmeExampleTests {
    @Test func theOpeningExamplePrints920() {
        let x = Variable(10)
        let tape = GradientTape()
        let y = tape.record { 3 * x.value.pow(3) + x.value.pow(2) }
        #expect(tape.gradient(of: y, withRespectTo: x)!.scalar == 920)
    }

    @Test func linearRegressionWithAdamMatchesTensorFlow() throws {
        let data = try Dataset.loadCSV(path: Repository.dataset("seed_linear_data.csv"), hasHeader: true,
                                       labelColumn: "y", featureColumns: ["x"])
        let x = data.features.reshaped(to: [-1]), y = data.targets.reshaped(to: [-1])
        let w = Variable(0, name: "w"), c = Variable(0, name: "c")
        let optimizer = Adam()
        for _ in 0..<10_000 {
            let tape = GradientTape()
            let loss = tape.record { (w.value * x + c.value - y).squared().sum() / Float(2 * x.scalarCount) }
            optimizer.apply(tape.gradient(of: loss, withRespectTo: [w, c]), to: [w, c])
        }
        // TensorFlow: w 2.474299, c 3.229081.
        #expect(Swift.abs(w.value.scalar - 2.474299) < 1e-5)
        #expect(Swift.abs(c.value.scalar - 3.229081) < 1e-5)
    }

    @Test func nestedTapesGiveTheSecondDerivative() {
        let x = Variable(10)
        let outer = GradientTape()
        let first = outer.record { () -> Tensor in
            let inner = GradientTape()
            let y = inner.record { 3 * x.value.pow(3) + x.value.pow(2) }
            return inner.gradient(of: y, withRespectTo: x)!
        }
        #expect(outer.gradient(of: first, withRespectTo: x)!.scalar == 182)
    }
}
