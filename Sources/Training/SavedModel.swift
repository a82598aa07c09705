import Autograd
import ConfigKit
import DataParallel
import Datasets
import JSON
import Models
import Storage

/// A trained model as its file describes it: the parameters, and everything inference needs
/// besides them — the model's architecture, the input features and their standardisation, the
/// labels of the classes (or the target's scale), and the loss it was trained with.
///
/// `swiftgrad run` writes these into the metadata of every checkpoint it saves
/// (`model.safetensors`, `best.safetensors` and the periodic ones), next to the training state,
/// so `swiftgrad predict` needs nothing but the file. ``read(from:memory:)`` decodes them strictly: a
/// missing or malformed key is an error naming the file and the key.
///
/// | metadata key | holds |
/// | --- | --- |
/// | `model` | the architecture, one line of JSON: a train config's `model` object that builds the same network, every default filled in (keys that only shape training, such as `standardize_target`, are left out) |
/// | `model.loss` | the ``/Models/LossKind``'s raw value |
/// | `features` | the input features' names, a JSON list; their count is the input width |
/// | `features.standardized` | `true` or `false`; when `true`, `standardizer.mean` and `standardizer.scale` hold one comma-separated `Double` per feature |
/// | `target.kind` | `classes` or `regression` |
/// | `target.name` | the label column's name, when the data had one (optional) |
/// | `target.labels` | classes: the label of each class in class order, a JSON list: an integer label as a number, any other as a string |
/// | `target.standardized` | `true` or `false`; when `true`, `target.mean` and `target.scale` map the model's output back: y = output · scale + mean |
///
/// The library cannot rebuild a model from ``architecture`` (that reading belongs to configs);
/// hand it the model you trained:
///
/// ```swift
/// let saved = try SavedModel.read(from: "runs/digits-mlp/model.safetensors")
/// let model = MLP(layerSizes: [64, 128, 64, 10])                 // what saved.architecture says
/// let prediction = try saved.predict(rawRows, with: model)       // raw, unstandardised features
/// ```
public struct SavedModel: Sendable {
    /// What the model predicts.
    public enum Target: Sendable, Equatable {
        /// Classes, by their labels in class order (class `i` is `labels[i]`).
        case classes(labels: [String])
        /// Real values; when the targets were standardised for training, the one-column
        /// statistics that map the model's output back to the original scale.
        case regression(standardizer: Standardizer?)
    }

    /// A prediction for a batch of rows.
    public enum Prediction: Sendable, Equatable {
        /// For each row the predicted class (an index into the labels), and the probability of
        /// every class, shape `[rows, classes]`: softmax of the logits, or for a binary model with
        /// one output (1 − p, p) with p = sigmoid(logit).
        case classes(predicted: [Int], probabilities: Tensor)
        /// The predicted values on the target's original scale, shape `[rows, outputs]`.
        case values(Tensor)
    }

    /// The model's architecture: a JSON object with at least a string `type`.
    public var architecture: JSONValue
    /// The loss the model was trained with; it decides how outputs become predictions.
    public var lossKind: LossKind
    /// The input features' names, in the order the model takes them.
    public var featureNames: [String]
    /// The statistics the features were standardised with for training, if they were.
    public var featureStandardizer: Standardizer?
    /// The name of the column training read the labels from, if it had one.
    public var targetName: String?
    /// Classes with their labels, or regression with its scale.
    public var target: Target
    /// The parameters' names, in parameter order.
    public var parameterNames: [String]
    /// The parameters, in parameter order.
    public var parameters: [Tensor]
    /// Where the model was read from, for messages (`<memory>` for one made in code).
    public var source: String
    /// The precision of the matrix products the model was trained in (its checkpoint's
    /// ``TrainingState/precision``): what ``predict(_:with:kernelThreads:precision:)`` computes
    /// in unless told otherwise.
    public var precision: MatrixPrecision

    /// A saved model made in code, to be written into a checkpoint's metadata with
    /// ``metadata``.
    public init(
        architecture: JSONValue, lossKind: LossKind, featureNames: [String], featureStandardizer: Standardizer?,
        targetName: String?, target: Target, parameterNames: [String], parameters: [Tensor], source: String = "<memory>",
        precision: MatrixPrecision = .float32
    ) {
        self.architecture = architecture
        self.lossKind = lossKind
        self.featureNames = featureNames
        self.featureStandardizer = featureStandardizer
        self.targetName = targetName
        self.target = target
        self.parameterNames = parameterNames
        self.parameters = parameters
        self.source = source
        self.precision = precision
    }

    /// The number of classes, or `nil` for regression.
    public var classCount: Int? {
        if case .classes(let labels) = target { return labels.count }
        return nil
    }

    /// The width of the model's output: 1 for a binary model trained with sigmoid
    /// cross-entropy and for regression, else the number of classes.
    public var outputWidth: Int {
        switch target {
        case .classes(let labels): lossKind == .sigmoidCrossEntropy ? 1 : labels.count
        case .regression: 1
        }
    }

    // MARK: Metadata

    /// The keys a saved model writes, in one place.
    public enum Key {
        public static let model = "model"
        public static let loss = "model.loss"
        public static let features = "features"
        public static let featuresStandardized = "features.standardized"
        public static let featureMean = "standardizer.mean"
        public static let featureScale = "standardizer.scale"
        public static let targetKind = "target.kind"
        public static let targetName = "target.name"
        public static let targetLabels = "target.labels"
        public static let targetStandardized = "target.standardized"
        public static let targetMean = "target.mean"
        public static let targetScale = "target.scale"
    }

    /// The metadata strings that describe the model, to merge into a ``Checkpoint``'s.
    public var metadata: [String: String] {
        func line(_ value: JSONValue) -> String {
            // Only NaN or infinity could make encoding fail; a description holds neither.
            (try? value.encoded(.singleLine, nonFinite: .writeNull)) ?? "null"
        }
        func numbers(_ values: [Double]) -> String { values.map { "\($0)" }.joined(separator: ",") }
        var metadata: [String: String] = [
            Key.model: line(architecture),
            Key.loss: lossKind.rawValue,
            Key.features: line(.array(featureNames.map { .string($0) })),
            Key.featuresStandardized: featureStandardizer == nil ? "false" : "true",
        ]
        if let featureStandardizer {
            metadata[Key.featureMean] = numbers(featureStandardizer.mean)
            metadata[Key.featureScale] = numbers(featureStandardizer.scale)
        }
        if let targetName { metadata[Key.targetName] = targetName }
        switch target {
        case .classes(let labels):
            metadata[Key.targetKind] = "classes"
            // Integer labels are written as JSON numbers, any other label as a string.
            metadata[Key.targetLabels] = line(.array(labels.map(Self.json(label:))))
            metadata[Key.targetStandardized] = "false"
        case .regression(let standardizer):
            metadata[Key.targetKind] = "regression"
            metadata[Key.targetStandardized] = standardizer == nil ? "false" : "true"
            if let standardizer {
                metadata[Key.targetMean] = numbers(standardizer.mean)
                metadata[Key.targetScale] = numbers(standardizer.scale)
            }
        }
        return metadata
    }

    /// A class label as JSON: an integer label (`7`) as a number, any other as a string.
    public static func json(label: String) -> JSONValue {
        Int(label).map { String($0) == label ? .number($0) : .string(label) } ?? .string(label)
    }

    /// Reads the model a checkpoint describes.
    ///
    /// - Parameters:
    ///   - checkpoint: a checkpoint whose metadata hold a description (see the table above).
    ///   - file: where it came from, for messages.
    /// - Throws: ``CheckpointError`` naming `file` and the first key that is missing, malformed
    ///   or inconsistent with the others.
    public init(_ checkpoint: Checkpoint, file: String) throws {
        let meta = checkpoint.metadata
        func fail(_ message: String) -> CheckpointError { CheckpointError(file: file, message) }
        func require(_ key: String, _ expected: String) throws -> String {
            guard let text = meta[key] else {
                if key == Key.model {
                    throw fail("metadata key 'model' is missing, so the file does not describe its model (a checkpoint written before checkpoints carried their model's description, or by Checkpoint(state:) alone); expected the model's architecture as one line of JSON. Evaluate it with `swiftgrad eval CONFIG --checkpoint \(file)`, or train again to save one")
                }
                throw fail("metadata key '\(key)' is missing; expected \(expected)")
            }
            return text
        }
        func flag(_ key: String) throws -> Bool {
            switch try require(key, "true or false") {
            case "true": return true
            case "false": return false
            case let other: throw fail("metadata key '\(key)' is '\(quoted(other))'; expected true or false")
            }
        }
        func json(_ key: String, _ expected: String) throws -> JSONValue {
            let text = try require(key, expected)
            do {
                return try ConfigDocument(parsing: text, file: key, maxDepth: 64).root
            } catch {
                throw fail("metadata key '\(key)' is not JSON (\(error)); expected \(expected)")
            }
        }
        func doubles(_ key: String, count: Int) throws -> [Double] {
            let text = try require(key, "\(count) comma-separated numbers")
            let values = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
            guard values.count == count, values.allSatisfy({ $0?.isFinite == true }) else {
                throw fail("metadata key '\(key)' holds '\(quoted(text))'; expected \(count) comma-separated finite numbers")
            }
            return values.map { $0! }
        }
        func standardizer(mean meanKey: String, scale scaleKey: String, count: Int) throws -> Standardizer {
            let mean = try doubles(meanKey, count: count)
            let scale = try doubles(scaleKey, count: count)
            if let bad = scale.firstIndex(where: { !($0 > 0) }) {
                throw fail("metadata key '\(scaleKey)' has scale \(scale[bad]) at position \(bad); expected positive scales")
            }
            // Statistics no training run fits (a scale of 1e-320, a mean of 1e300) would make
            // every row infinite once standardised, and the input would be blamed for it.
            let largest = Standardizer.largestFittedMagnitude
            if let bad = mean.firstIndex(where: { abs($0) > largest }) {
                throw fail("metadata key '\(meanKey)' has mean \(mean[bad]) at position \(bad); expected the mean of 32-bit training data, within ±\(largest)")
            }
            if let bad = scale.firstIndex(where: { !(Standardizer.smallestScale...largest).contains($0) }) {
                throw fail("metadata key '\(scaleKey)' has scale \(scale[bad]) at position \(bad); expected the standard deviation of 32-bit training data, from \(Standardizer.smallestScale) to \(largest)")
            }
            return Standardizer(mean: mean, scale: scale)
        }

        let architecture = try json(Key.model, "the model's architecture as one line of JSON")
        guard architecture.objectValue?["type"]?.stringValue != nil else {
            throw fail("metadata key 'model' is not a JSON object with a string 'type'; expected the model's architecture")
        }
        let lossText = try require(Key.loss, "the loss: \(LossKind.allCases.map(\.rawValue).joined(separator: ", "))")
        guard let lossKind = LossKind(rawValue: lossText) else {
            throw fail("metadata key '\(Key.loss)' is '\(quoted(lossText))'; expected one of \(LossKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let namesValue = try json(Key.features, "the features' names as a JSON list of strings")
        guard let names = namesValue.arrayValue?.map(\.stringValue), !names.isEmpty, names.allSatisfy({ $0 != nil }) else {
            throw fail("metadata key '\(Key.features)' is not a non-empty JSON list of strings; expected the features' names")
        }
        let featureNames = names.map { $0! }
        let featureStandardizer = try flag(Key.featuresStandardized)
            ? try standardizer(mean: Key.featureMean, scale: Key.featureScale, count: featureNames.count) : nil

        let target: Target
        switch try require(Key.targetKind, "classes or regression") {
        case "classes":
            let labelsValue = try json(Key.targetLabels, "the classes' labels as a JSON list")
            let labels = labelsValue.arrayValue?.map { value -> String? in
                if let text = value.stringValue { return text }
                if case .number(let number) = value.kind, number.intValue != nil { return number.literal }
                return nil
            }
            guard let labels, labels.allSatisfy({ $0 != nil }) else {
                throw fail("metadata key '\(Key.targetLabels)' is not a JSON list of integers or strings; expected the classes' labels")
            }
            let texts = labels.map { $0! }
            guard texts.count >= 2, Set(texts).count == texts.count else {
                throw fail("metadata key '\(Key.targetLabels)' lists \(texts.count) labels\(Set(texts).count == texts.count ? "" : " with repeats"); expected at least two different labels")
            }
            guard lossKind == .softmaxCrossEntropy || (lossKind == .sigmoidCrossEntropy && texts.count == 2) else {
                throw fail("metadata key '\(Key.loss)' is '\(lossKind.rawValue)' for \(texts.count) classes; expected softmaxCrossEntropy, or sigmoidCrossEntropy for two")
            }
            if try flag(Key.targetStandardized) {
                throw fail("metadata key '\(Key.targetStandardized)' is true for classes; expected false")
            }
            target = .classes(labels: texts)
        case "regression":
            guard lossKind.isRegression else {
                throw fail("metadata key '\(Key.loss)' is '\(lossKind.rawValue)' for regression; expected meanSquaredError, halfMeanSquaredError or meanAbsoluteError")
            }
            let standardized = try flag(Key.targetStandardized)
            target = .regression(standardizer: standardized ? try standardizer(mean: Key.targetMean, scale: Key.targetScale, count: 1) : nil)
        case let other:
            throw fail("metadata key '\(Key.targetKind)' is '\(quoted(other))'; expected classes or regression")
        }
        self.init(
            architecture: architecture, lossKind: lossKind, featureNames: featureNames, featureStandardizer: featureStandardizer,
            targetName: meta[Key.targetName], target: target, parameterNames: checkpoint.state.parameterNames,
            parameters: checkpoint.state.parameters, source: file, precision: checkpoint.state.precision)
    }

    /// Reads the model saved at `path`.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - memory: the memory reading may take and its description for the message; `nil` for no
    ///     limit (``Checkpoint/read(from:memory:links:)``).
    /// - Throws: ``CheckpointError`` naming the file: from ``Checkpoint/read(from:memory:links:)``, or
    ///   for a checkpoint without a (valid) description of its model.
    public static func read(from path: String, memory: (bytes: Int, description: String)? = nil) throws -> SavedModel {
        try SavedModel(Checkpoint.read(from: path, memory: memory), file: path)
    }

    // MARK: Inference

    /// The saved parameters, checked against `model`'s names and shapes.
    ///
    /// - Throws: ``CheckpointError`` naming the file when they do not fit.
    public func parameters(for model: any Model) throws -> [Tensor] {
        let shapes = parameters.map(\.shape)
        guard model.parameterNames == parameterNames, model.parameterShapes == shapes else {
            throw CheckpointError(file: source, "the file holds parameters \(zip(parameterNames, shapes).map { "\($0) \($1)" }.joined(separator: ", ")) but the model has \(zip(model.parameterNames, model.parameterShapes).map { "\($0) \($1)" }.joined(separator: ", "))")
        }
        return parameters
    }

    /// Predictions for raw rows: standardised with the saved statistics, passed through `model`
    /// with the saved parameters (no tape), and turned into classes with probabilities or values
    /// on the target's scale.
    ///
    /// - Parameters:
    ///   - rawFeatures: shape `[rows, featureNames.count]`, as the training data's columns were
    ///     before standardisation.
    ///   - model: the model the parameters belong to.
    ///   - kernelThreads: threads sharing the rows (``/DataParallel/ParallelInference``); the
    ///     result is the same for any count.
    ///   - precision: what the model's matrix products compute from; by default ``precision``,
    ///     the one it was trained in.
    /// - Throws: ``CheckpointError`` when `model` does not fit the saved parameters or output.
    /// - Precondition: `rawFeatures` has one column per feature.
    public func predict(
        _ rawFeatures: Tensor, with model: any Model, kernelThreads: Int = 1, precision: MatrixPrecision? = nil
    ) throws -> Prediction {
        countPrecondition(kernelThreads, "SavedModel.predict: kernelThreads")
        let parameters = try parameters(for: model)
        shapePrecondition(
            rawFeatures.rank == 2 && rawFeatures.shape[1] == featureNames.count,
            "SavedModel.predict: the model takes \(featureNames.count) features, got rows of shape \(rawFeatures.shape)")
        let inputs = withoutRecording { featureStandardizer?.transform(rawFeatures) ?? rawFeatures }
        let output = ParallelInference(threads: kernelThreads, precision: precision ?? self.precision).outputs(of: model, parameters: parameters, inputs: inputs)
        return try prediction(fromOutput: output)
    }

    /// The prediction a model's output (logits for classes) stands for.
    ///
    /// - Throws: ``CheckpointError`` when the output's width is not ``outputWidth``.
    public func prediction(fromOutput output: Tensor) throws -> Prediction {
        guard output.rank == 2, case let (rows, width) = (output.shape[0], output.shape[1]), width == outputWidth else {
            throw CheckpointError(file: source, "the model gives outputs of shape \(output.shape) but the file describes \(outputWidth) per row")
        }
        return withoutRecording {
            switch target {
            case .classes where lossKind == .sigmoidCrossEntropy:
                let probability = output.sigmoid()
                let pairs = probability.withUnsafeBufferPointer { p in
                    Tensor(shape: [rows, 2]) { buffer in
                        for row in 0..<rows {
                            buffer[2 * row] = 1 - p[row]
                            buffer[2 * row + 1] = p[row]
                        }
                    }
                }
                let predicted = output.withUnsafeBufferPointer { logits in (0..<rows).map { logits[$0] > 0 ? 1 : 0 } }
                return .classes(predicted: predicted, probabilities: pairs)
            case .classes:
                let predicted = output.argmax(squeezingAxis: -1).scalars.map { Int($0) }
                return .classes(predicted: predicted, probabilities: output.softmax(alongAxis: -1))
            case .regression(let standardizer):
                return .values(standardizer?.inverseTransform(output) ?? output)
            }
        }
    }
}
