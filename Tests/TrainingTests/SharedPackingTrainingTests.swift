import Autograd
import DataParallel
import Datasets
import Models
import Optimizers
import Testing
import _TestSupport
import Training

/// 200 synthetic examples of 40 features and 4 classes: batches of 32 cut into 3 micro-shards.
private let split = Dataset.synthetic(examples: 200, features: 40, classes: 4, seed: 17)
    .split(trainFraction: 0.8, shuffledWithSeed: 17)
private let model = MLP(layerSizes: [40, 48, 24, 4], hiddenActivation: .relu, weightInitializer: .heNormal, seed: 21)

@Suite("Training with the weights packed once per step")
struct SharedPackingTrainingTests {
    /// Two epochs of Adam (whose update writes the parameters in place between steps), with the
    /// weights packed once per step and with every product packing them: the same parameters,
    /// loss and evaluations, for 1, 2 and 3 workers, in both precisions.
    @Test(arguments: [MatrixPrecision.float32, .bf16], [1, 2, 3])
    func sharedPackingTrainsTheUnsharedBits(precision: MatrixPrecision, workers: Int) {
        func trained(sharing: Bool) -> (Trainer, Trainer.Summary) {
            let options = TrainingOptions(
                epochs: 2, batchSize: 32, workers: workers, microShards: 3, seed: 5, precision: precision,
                sharesPackedWeights: sharing)
            let trainer = Trainer(model: model, data: split, optimizer: Adam(learningRate: 0.01), options: options)
            return (trainer, trainer.run())
        }
        let (reference, referenceRun) = trained(sharing: false)
        let (trainer, run) = trained(sharing: true)
        #expect(trainer.engine.configuration.sharesPackedWeights && !reference.engine.configuration.sharesPackedWeights)
        #expect(!trainer.engine.sharedPackings.isEmpty)
        #expect(bitwiseEqual(trainer.variables.map(\.value), reference.variables.map(\.value)))
        #expect(run.finalLoss.bitPattern == referenceRun.finalLoss.bitPattern)
        #expect(run.evaluations == referenceRun.evaluations)
    }
}
