import Datasets
import JSON
import Models
import Training

// What each task's config comes to beyond its own keys (``RunnableTask/resolvedDescription``),
// which `swiftgrad validate` prints after the config's values with their defaults.

extension DerivativeTask {
    /// The expression's variables, in order of first appearance.
    package var resolvedDescription: JSONObject {
        ["variables": .array(expression.variables.map { .string($0) })]
    }
}

extension MinimizeTask {
    /// The variables optimised and the optimizer's settings.
    package var resolvedDescription: JSONObject {
        ["variables": .array(expression.variables.map { .string($0) }), "optimizer": .object(optimizer.settings)]
    }
}

extension LinearRegressionTask {
    /// The split's sizes and the optimizer's settings.
    package var resolvedDescription: JSONObject {
        ["train_rows": .number(split.train.count), "test_rows": .number(split.test.count), "optimizer": .object(optimizer.settings)]
    }
}

extension LogisticRegressionTask {
    /// The split's sizes and the optimizer's settings.
    package var resolvedDescription: JSONObject {
        [
            "train_rows": .number(split.train.count), "test_rows": .number(split.test.count),
            "features": .number(split.train.featureCount), "optimizer": .object(optimizer.settings),
        ]
    }
}

extension TrainTask {
    /// The data's sizes and class labels, the model's layers and parameters, the optimizer's
    /// settings (Adam's defaults for a config without `optimizer`; the learning rate after the
    /// linear scaling rule), the steps, epochs, batch and micro-shards of the run (`steps` alone
    /// gives the epochs, `"full"` the batch), and the checkpoint policy.
    package var resolvedDescription: JSONObject {
        var dataFacts: JSONObject = [
            "description": .string(dataDescription),
            "train_examples": .number(data.train.count), "test_examples": .number(data.test.count),
            "features": .number(data.train.featureCount),
        ]
        dataFacts["classes"] = data.train.classCount.map { .number($0) } ?? .string("regression")
        if let names = data.train.classNames { dataFacts["labels"] = .array(names.map(SavedModel.json(label:))) }
        dataFacts["standardized"] = .bool(standardizer != nil)

        var modelFacts = JSONObject()
        let sequential = (model as? MLP)?.sequential ?? (model as? Sequential)
        if let sequential {
            modelFacts["layers"] = .array(zip(sequential.layerNames, sequential.layers).map { name, layer in
                var parameters = JSONObject()
                for (parameter, shape) in zip(layer.parameterNames, layer.parameterShapes) { parameters[parameter] = JSONValue(shape) }
                return ["name": .string(name), "type": .string(type(of: layer).typeName), "parameters": .object(parameters)]
            })
        } else {
            var parameters = JSONObject()
            for (name, shape) in zip(model.parameterNames, model.parameterShapes) { parameters[name] = JSONValue(shape) }
            modelFacts["parameters"] = .object(parameters)
        }
        modelFacts["parameter_count"] = .number(model.parameterCount)
        modelFacts["loss"] = .string(Self.lossName(of: model.lossKind))

        let batch = Swift.min(options.batchSize, data.train.count)
        let training: JSONObject = [
            "steps": .number(options.totalSteps(examples: data.train.count)),
            "epochs": .number(options.epochs), "batch_size": .number(options.batchSize),
            "effective_batch_size": .number(options.effectiveBatchSize),
            "micro_shards_per_batch": .number(options.engineConfiguration.microShardCount(forBatchSize: batch)),
        ]
        var checkpoint: JSONObject = [
            "directory": .string(checkpoints.directory), "every_epochs": .number(checkpoints.everyEpochs),
        ]
        if let every = checkpoints.everySteps { checkpoint["every_steps"] = .number(every) }
        checkpoint["keep_last"] = .number(checkpoints.keepLast)
        if let metric = checkpoints.keepBest { checkpoint["keep_best"] = .string(metric.rawValue) }

        return [
            "data": .object(dataFacts), "model": .object(modelFacts), "optimizer": .object(optimizer.settings),
            "training": .object(training), "checkpoint": .object(checkpoint),
        ]
    }
}
