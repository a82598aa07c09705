import Datasets
import Models
import Training

extension TrainTask {
    /// The bytes a layer holds for each tape it is recorded on, besides its tensors.
    static let bytesPerLayer = 8 << 10

    /// What a training run of `model` on `data` would allocate, and the model's parameter count
    /// (`Int.max` when it overflows), computed from shapes alone before anything is allocated.
    ///
    /// With P parameters of 4 bytes:
    /// - parameters and optimizer state: P × (1 + the optimizer's slots + the reduced gradient
    ///   + the best parameters kept by early stopping);
    /// - gradient slots: P per micro-shard slot of the engine;
    /// - checkpoints: when the run writes them, a copy of the state (P × (1 + slots)) for each
    ///   snapshot the writer may hold (`CheckpointWriter.maximumPending`) and one more for the
    ///   snapshot being taken (or the final model). A file is written from the tensors
    ///   themselves, with no encoded copy of it;
    /// - activations: each layer's output width summed, times 3 (values, pre-activations and
    ///   gradients) for a training batch, or times 2 for an evaluation of the larger split, which
    ///   runs in one pass;
    /// - layer bookkeeping: ``bytesPerLayer`` per layer for each micro-shard slot and one more;
    /// - data: the examples already loaded, features and label of each row.
    static func memoryEstimate(
        model: any Model, data: DatasetSplit, options: TrainingOptions, optimizerSlots: Int, writesCheckpoints: Bool
    ) -> (estimate: MemoryEstimate, parameterCount: Int) {
        let float = MemoryLayout<Float>.size
        let parameters = MemoryEstimate.sum(model.parameterShapes.map(MemoryEstimate.product))
        var estimate = MemoryEstimate()
        let bestCopy = options.earlyStopping?.restoreBest == true ? 1 : 0
        estimate.add("parameters and optimizer state", parameters, 2 + optimizerSlots + bestCopy, float)
        estimate.add("gradient slots", parameters, options.engineConfiguration.maximumMicroShardCount, float)
        if writesCheckpoints { estimate.add("checkpoints", parameters, (CheckpointWriter.maximumPending + 1) * (1 + optimizerSlots), float) }

        let widths = MemoryEstimate.sum(activationWidths(of: model, features: data.train.featureCount))
        let batchRows = Swift.min(options.batchSize, data.train.count)
        let evaluationRows = Swift.max(data.train.count, data.test.count)
        let training = MemoryEstimate.product([batchRows, widths, 3, float])
        let evaluation = MemoryEstimate.product([evaluationRows, widths, 2, float])
        estimate.add("activations", Swift.max(training, evaluation))

        // What a layer costs beyond its arithmetic: tape entries, their closures and views, on
        // each micro-shard's tape and in the evaluations (about 8 KiB each, measured).
        let layers = ((model as? MLP)?.sequential ?? (model as? Sequential))?.layers.count ?? model.parameterShapes.count
        estimate.add("layer bookkeeping", layers, options.engineConfiguration.maximumMicroShardCount + 1, Self.bytesPerLayer)

        let rows = data.train.count + data.test.count
        let labelBytes = data.train.classLabels == nil ? 0 : MemoryLayout<Int>.size
        estimate.add("data", rows, (data.train.featureCount + 1) * float + labelBytes)
        return (estimate, parameters)
    }

    /// The width of each layer's output, for an input of `features`; the parameter shapes'
    /// last dimensions for a model that is neither an ``MLP`` nor a ``Sequential``.
    private static func activationWidths(of model: any Model, features: Int) -> [Int] {
        guard let sequential = (model as? MLP)?.sequential ?? (model as? Sequential) else {
            return model.parameterShapes.compactMap(\.last)
        }
        var shape = [features]
        return sequential.layers.map { layer in
            shape = layer.outputShape(forInputShape: shape)
            return MemoryEstimate.product(shape)
        }
    }
}
