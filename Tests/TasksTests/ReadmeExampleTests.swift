import SwiftGrad
import Tasks
import Foundation
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

    /// The README's mixed-precision example: options that train in bf16, and a dense layer
    /// whose product rounds its inputs to bf16 (close to the Float32 one, not equal).
    @Test func mixedPrecisionExample() {
        let options = TrainingOptions(epochs: 20, batchSize: 64, workers: 2, precision: .bf16)
        #expect(options.engineConfiguration.precision == .bf16)
        var random = RandomStream(seed: 4)
        let x = Tensor.randomNormal(shape: [8, 64], using: &random), w = Tensor.randomNormal(shape: [64, 16], using: &random)
        let b = Tensor.zeros(shape: [16])
        let y = Tensor.dense(x, w, b, activation: .relu, kernels: KernelContext(precision: .bf16))
        let single = Tensor.dense(x, w, b, activation: .relu)
        #expect(y.shape == [8, 16])
        #expect(y.scalars != single.scalars)
        #expect(zip(y.scalars, single.scalars).allSatisfy { Swift.abs($0 - $1) < 0.25 })
    }

    /// The nested tapes of the README and `FromTensorFlow.md`: the second derivative of
    /// 3x³ + x² at 10, 18x + 2, printed as `182.0`.
    @Test func nestedTapesGiveTheSecondDerivative() {
        let x = Variable(10)
        let outer = GradientTape()
        let first = outer.record { () -> Tensor in
            let inner = GradientTape()
            let y = inner.record { 3 * x.value.pow(3) + x.value.pow(2) }
            return inner.gradient(of: y, withRespectTo: x)!
        }
        #expect("\(outer.gradient(of: first, withRespectTo: x)!)" == "182.0")
    }
}

/// The README's training example, with its checkpoint in a temporary folder: the restored state
/// is the saved one, bit for bit.
@Test func theReadmeTrainingExampleSavesAndRestoresTheWholeState() throws {
    let folder = NSTemporaryDirectory() + "swiftgrad-readme-\(UInt64.random(in: 0...UInt64.max))"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var printed: [String] = []
    func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }

    let data = Dataset.synthetic(examples: 1024, features: 16, classes: 4, seed: 1).split(trainFraction: 0.8, shuffledWithSeed: 1)
    let model = MLP(layerSizes: [16, 32, 4], weightInitializer: .heNormal, seed: 1)
    let trainer = Trainer(model: model, data: data, optimizer: Adam(), options: TrainingOptions(epochs: 5, batchSize: 64, workers: 2))
    let summary = trainer.run { print($0) }
    try Checkpoint(state: trainer.state).write(to: folder + "/last.safetensors")
    let saved = trainer.state
    try trainer.restore(Checkpoint.read(from: folder + "/last.safetensors").state)

    #expect(printed.count == 5 && printed[0].hasPrefix("epoch 1/5"), "\(printed)")
    #expect(summary.outcome == .completed)
    #expect(trainer.state == saved)
}
