import Autograd
import DataParallel
import Datasets
import Models
import Optimizers
import Testing
import _TestSupport
import Training

/// 200 synthetic examples of 24 features and 4 classes, split 160 / 40: batches of 32 make 5
/// per epoch, uneven micro-shards included.
private let split = Dataset.synthetic(examples: 200, features: 24, classes: 4, seed: 31)
    .split(trainFraction: 0.8, shuffledWithSeed: 31)
private let model = MLP(layerSizes: [24, 20, 4], hiddenActivation: .relu, weightInitializer: .heNormal, seed: 13)

private func options(workers: Int, precision: MatrixPrecision, epochs: Int = 2) -> TrainingOptions {
    TrainingOptions(epochs: epochs, batchSize: 32, workers: workers, microShards: 3, seed: 5, precision: precision)
}

private func trained(_ options: TrainingOptions) -> (Trainer, Trainer.Summary) {
    let trainer = Trainer(model: model, data: split, optimizer: Adam(learningRate: 0.01), options: options)
    return (trainer, trainer.run())
}

@Suite("Mixed-precision training")
struct MixedPrecisionTrainingTests {
    @Test func bf16TrainingIsBitwiseIdenticalForOneTwoAndThreeWorkers() {
        let (reference, summary) = trained(options(workers: 1, precision: .bf16))
        #expect(reference.engine.configuration.precision == .bf16)
        #expect(summary.finalLoss.isFinite)
        for workers in [2, 3] {
            let (trainer, run) = trained(options(workers: workers, precision: .bf16))
            #expect(bitwiseEqual(trainer.variables.map(\.value), reference.variables.map(\.value)), "\(workers) workers differ from 1")
            #expect(run.finalLoss.bitPattern == summary.finalLoss.bitPattern, "\(workers) workers: loss")
            #expect(run.evaluations == summary.evaluations, "\(workers) workers: evaluations")
        }
    }

    /// The policy is applied: the runs part, though not by much.
    @Test func bf16AndFloat32RunsDifferButStayClose() {
        let (mixed, mixedRun) = trained(options(workers: 2, precision: .bf16))
        let (single, singleRun) = trained(options(workers: 2, precision: .float32))
        #expect(mixed.parameterDigest != single.parameterDigest)
        #expect(!bitwiseEqual(mixed.variables.map(\.value), single.variables.map(\.value)))
        for (a, b) in zip(mixed.variables, single.variables) { assertClose(a.value, b.value, rtol: 0.05, atol: 0.02) }
        let (mixedAccuracy, singleAccuracy) = (mixedRun.evaluations.last?.testAccuracy ?? -1, singleRun.evaluations.last?.testAccuracy ?? -2)
        #expect(abs(mixedAccuracy - singleAccuracy) <= 0.1)
    }

    /// Master weights, gradients and optimizer state stay Float32: the gradient the optimizer
    /// gets is the engine's Float32 mean of bf16 products, and its parameters are plain Float32
    /// tensors that the bf16 rounding of the products never writes back.
    @Test func masterWeightsKeepBitsBf16CannotHold() {
        let (trainer, _) = trained(options(workers: 2, precision: .bf16))
        let weights = trainer.variables[0].value.scalars
        let roundedAway = weights.filter { $0.bitPattern & 0xFFFF != 0 }.count
        #expect(roundedAway > weights.count / 2, "the weights keep their low 16 bits")
    }

    /// Evaluation runs its products in the training precision: the trainer's evaluation equals
    /// the model's own forward pass with bf16 kernels, and not the Float32 one.
    @Test func evaluationUsesTheTrainingPrecision() {
        let (trainer, summary) = trained(options(workers: 2, precision: .bf16, epochs: 1))
        let parameters = trainer.variables.map(\.value)
        func loss(_ precision: MatrixPrecision) -> Float {
            let output = withoutRecording { model(split.test.features, parameters: parameters, kernels: KernelContext(precision: precision)) }
            return model.loss(output, targets: .classes(split.test.classLabels!)).scalar
        }
        let evaluated = summary.evaluations.last?.testLoss
        #expect(evaluated?.bitPattern == loss(.bf16).bitPattern)
        #expect(evaluated?.bitPattern != loss(.float32).bitPattern)
    }

    @Test(arguments: [1, 2, 3])
    func parallelInferenceInBf16IsTheModelsBf16Pass(threads: Int) {
        let parameters = model.initialParameters()
        var random = RandomStream(seed: 2)
        let inputs = Tensor.randomNormal(shape: [700, 24], using: &random)
        let expected = withoutRecording { model(inputs, parameters: parameters, kernels: KernelContext(precision: .bf16)) }
        let inference = ParallelInference(threads: threads, chunkRows: 64, precision: .bf16)
        #expect(inference.precision == .bf16)
        #expect(bitwiseEqual([inference.outputs(of: model, parameters: parameters, inputs: inputs)], [expected]))
        let single = ParallelInference(threads: threads, chunkRows: 64).outputs(of: model, parameters: parameters, inputs: inputs)
        #expect(!bitwiseEqual([single], [expected]))
    }

    @Test func aCheckpointRecordsItsPrecision() throws {
        let (trainer, _) = trained(options(workers: 1, precision: .bf16, epochs: 1))
        #expect(trainer.state.precision == .bf16)
        let file = Checkpoint(state: trainer.state).safeTensors
        #expect(file.metadata["swiftgrad.precision"] == "bf16")
        let decoded = try Checkpoint(SafeTensors(decoding: file.encoded(), file: "memory"), source: "memory")
        #expect(decoded.state.precision == .bf16)
        #expect(decoded.state.parameters.allSatisfy { $0.scalars.count > 0 })
        #expect(bitwiseEqual(decoded.state.parameters, trainer.variables.map(\.value)))
    }

    /// A checkpoint written before precisions were recorded was Float32.
    @Test func aCheckpointWithoutAPrecisionWasFloat32() throws {
        let (trainer, _) = trained(options(workers: 1, precision: .bf16, epochs: 1))
        var file = Checkpoint(state: trainer.state).safeTensors
        file.metadata["swiftgrad.precision"] = nil
        let decoded = try Checkpoint(SafeTensors(decoding: file.encoded(), file: "memory"), source: "memory")
        #expect(decoded.state.precision == .float32)
    }

    @Test func anUnknownPrecisionIsAnErrorNamingTheKey() throws {
        let (trainer, _) = trained(options(workers: 1, precision: .float32, epochs: 1))
        var file = Checkpoint(state: trainer.state).safeTensors
        file.metadata["swiftgrad.precision"] = "fp8"
        #expect {
            try Checkpoint(SafeTensors(decoding: file.encoded(), file: "memory"), source: "step.safetensors")
        } throws: { error in
            "\(error)" == "step.safetensors: metadata swiftgrad.precision is 'fp8'; expected float32 or bf16"
        }
    }

    /// A Float32 checkpoint resumed in bf16 goes on from its parameters and optimizer state, in
    /// bf16: the bits then differ from an uninterrupted run in either precision.
    @Test func resumingInTheOtherPrecisionContinuesInIt() throws {
        let first = Trainer(model: model, data: split, optimizer: Adam(learningRate: 0.01), options: options(workers: 2, precision: .float32))
        _ = first.run(onStep: { $0.trainer.globalStep == 4 ? .stop : .continue })
        let state = first.state
        #expect(state.precision == .float32)
        let resumed = Trainer(model: model, data: split, optimizer: Adam(learningRate: 0.01), options: options(workers: 3, precision: .bf16))
        try resumed.restore(state)
        _ = resumed.run()
        #expect(resumed.state.precision == .bf16)
        let (single, _) = trained(options(workers: 1, precision: .float32))
        let (mixed, _) = trained(options(workers: 1, precision: .bf16))
        #expect(resumed.globalStep == single.globalStep)
        #expect(resumed.parameterDigest != single.parameterDigest)
        #expect(resumed.parameterDigest != mixed.parameterDigest)
    }
}
