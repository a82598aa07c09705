import Storage
import Autograd
import ConfigKit
import Datasets
import Optimizers
import JSON
import Reports

/// `"task": "linear-regression"`: fits ŷ = w·x + c to one feature of a CSV file by gradient
/// descent on a tape, the lecture's third example.
///
/// Keys:
/// - `data`: `{"source": "csv", "path": "…csv", "header": true, "feature": "x", "label": "y",
///   "test_fraction": 0, "split": "file_order" | "shuffled", "seed": 0,
///   "standardize": "none" | "train_rows" | "all_rows"}`; `path` is relative to the config file;
///   with `"header": false` the columns are chosen by index (`feature` 0 and `label` 1 by
///   default). The split keys mean what they mean in every task's `data`
///   (``DataSection/split(_:reading:defaults:seed:rowName:context:)``): ⌈`test_fraction` × rows⌉
///   rows are held out, the file's last ones or those of a permutation drawn from `seed`. The
///   defaults differ from a train config's on purpose: the lecture fits every row of raw x in
///   file order, so `test_fraction` 0, `split` `file_order` and `standardize` `none` compute
///   exactly its figures (with `train_rows`, `w` is the slope per standard deviation of x and `c`
///   the prediction at x's mean). The lecture's file is sorted by x: `"split": "shuffled"` holds
///   out a random sample of it, `file_order` its largest x.
/// - `initial`: `{"w": 0, "c": 0}` (both default to 0).
/// - `loss`: `"half_mean_squared_error"` (Σ(ŷ−y)²/(2m), the lecture's, the default) or
///   `"mean_squared_error"` (Σ(ŷ−y)²/m), over the m training rows.
/// - `optimizer` (required, see ``OptimizerSpec``), `steps` (required), `print_every` (100).
/// - `plot`: where to write an SVG of the data and the fitted line (optional; unlike `data.path`
///   it is relative to the working directory, as `--plot` is, which overrides it).
///
/// The report's `train_loss` and `test_loss` are the loss on each part of the split
/// (`test_loss` is null when nothing is held out).
package struct LinearRegressionTask: RunnableTask {
    package var kind: String { "linear-regression" }

    static let losses = ["half_mean_squared_error", "mean_squared_error"]

    /// The rows trained on and those held out, features (x) standardised if `standardize` says so.
    package let split: DatasetSplit
    let featureName: String
    /// The plot's x axis: the feature's name, marked when x is standardised.
    let featureAxisLabel: String
    let labelName: String
    let initialW: Float
    let initialC: Float
    let halvesLoss: Bool
    let optimizer: OptimizerSpec
    let steps: Int
    let printEvery: Int
    /// The config's `plot`: where to write the figure unless `--plot` says otherwise.
    package let plotPath: String?
    package let inputFiles: [AtomicFile.Input]
    /// The config file, which its own `plot` must not name either.
    let config: String
    package let warnings: [String]

    init(reading root: inout ConfigObject, context: ConfigContext, budget: MemoryBudget? = nil) throws {
        var featureName = "x", labelName = "y", standardizes = false
        var warnings: [String] = []
        var dataPath = ""
        let split = try root.object("data") { data -> DatasetSplit in
            try DataSection.refuseOldKeys(data)
            _ = try data.optional("source", as: String.self, default: "csv", .oneOf(["csv"]))
            let path = try context.existingFile(in: &data, key: "path")
            dataPath = path
            let hasHeader = try DataSection.readHeader(&data)
            // Columns by name need a header; without one, `feature` and `label` are indices.
            func column(_ key: String, default name: String, index: Int) throws -> CSVColumn {
                guard let chosen = try data.optional(key, as: ColumnSelection.self)?.column else {
                    return hasHeader ? .name(name) : .index(index)
                }
                if case .name(let name) = chosen, !hasHeader {
                    throw context.error(
                        in: data, key: key,
                        "column '\(name)' is chosen by name, but \"header\": false gives the columns no names; expected the column's index, counting from 0")
                }
                return chosen
            }
            let feature = try column("feature", default: "x", index: 0)
            let label = try column("label", default: "y", index: 1)
            let (dataset, headerLooksLikeData): (Dataset, Bool)
            do {
                (dataset, headerLooksLikeData) = try Dataset.loadCSVCheckingHeader(
                    path: path, hasHeader: hasHeader, labelColumn: label, featureColumns: [feature], memory: try DataSection.csvMemory(budget))
            } catch let error as DatasetError {
                throw DataSection.columnError(error, in: data, context: context, keys: [("feature", feature), ("label", label)])
            }
            warnings += DataSection.headerWarnings(path: path, dataset: dataset, headerLooksLikeData: headerLooksLikeData, labelGiven: true)
            featureName = dataset.featureNames[0]
            labelName = dataset.labelName ?? "y"
            let seed = try DataSection.readSplitSeed(&data)
            let (split, standardizer) = try DataSection.split(
                dataset, reading: &data, defaults: SplitDefaults(testFraction: 0, order: .fileOrder, standardization: .none),
                seed: seed, context: context)
            standardizes = standardizer != nil
            return split
        }
        self.split = split
        self.warnings = warnings
        inputFiles = [AtomicFile.Input(dataPath, role: "data file")]
        config = context.file
        self.featureName = featureName
        self.labelName = labelName
        featureAxisLabel = standardizes ? "\(featureName) (standardised)" : featureName
        (initialW, initialC) = try root.optionalObject("initial") { initial in
            (try initial.optional("w", as: Float.self, default: 0), try initial.optional("c", as: Float.self, default: 0))
        } ?? (0, 0)
        halvesLoss = try root.optional("loss", as: String.self, default: Self.losses[0], .oneOf(Self.losses)) == Self.losses[0]
        steps = try root.require("steps", as: Int.self, .in(TaskLoader.stepCounts))
        let totalSteps = steps
        optimizer = try root.object("optimizer") { try OptimizerSpec(reading: &$0, totalSteps: totalSteps) }
        printEvery = try root.optional("print_every", as: Int.self, default: 100, .positive)
        plotPath = try root.optional("plot", as: String.self, .path)
    }

    package func run(options: RunOptions, log: (String) -> Void) throws -> TaskReport {
        let plotPath = options.plotPath ?? self.plotPath
        if let plotPath { try AtomicFile.checkWritable(plotPath, inputs: [AtomicFile.Input(config, role: "config")] + inputFiles) }
        let w = Variable(Tensor(initialW), name: "w")
        let c = Variable(Tensor(initialC), name: "c")
        let optimizer = optimizer.make()
        let (x, y) = (Self.column(split.train.features), Self.column(split.train.targets))
        let (testX, testY) = (Self.column(split.test.features), Self.column(split.test.targets))
        // The task's loss on some rows at the current parameters: what a step minimises on the
        // training rows, and `train_loss` and `test_loss`.
        func meanLoss(_ x: Tensor, _ y: Tensor) -> Tensor {
            ((w.value * x + c.value) - y).squared().sum() / Float(halvesLoss ? 2 * x.scalarCount : x.scalarCount)
        }
        var loss = Tensor(0)
        let start = ContinuousClock.now
        for step in 0..<steps {
            let tape = GradientTape()
            loss = tape.record { meanLoss(x, y) }
            optimizer.apply(tape.gradient(of: loss, withRespectTo: [w, c]), to: [w, c])
            if options.showsProgress && step % printEvery == 0 {
                log("Step \(step), Loss \(loss.scalar)")
            }
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        let trainLoss = withoutRecording { meanLoss(x, y) }.scalar
        let testLoss = testX.scalarCount > 0 ? withoutRecording { meanLoss(testX, testY) }.scalar : nil
        log("w = \(w.value.scalar), c = \(c.value.scalar), " + (steps > 0 ? "loss at the last step = \(loss.scalar)" : "no step taken (steps is 0), loss = \(trainLoss)")
            + (testLoss.map { ", test loss = \($0) (\(x.scalarCount) train, \(testX.scalarCount) test rows)" } ?? ""))

        if let path = plotPath {
            var plot = SVGPlot(title: "Linear regression: ŷ = \(w.value.scalar)·\(featureName) + \(c.value.scalar)", xLabel: featureAxisLabel, yLabel: labelName)
            let xs = x.scalars.map(Double.init)
            plot.scatter(x: xs, y: y.scalars.map(Double.init), label: testLoss == nil ? "data" : "training rows")
            if testLoss != nil {
                plot.scatter(x: testX.scalars.map(Double.init), y: testY.scalars.map(Double.init), label: "test rows", color: "#2ca02c")
            }
            let line = (w.value * x + c.value).scalars.map(Double.init)
            plot.line(x: xs, y: line, label: "fitted line", color: "#d62728")
            try plot.write(to: path)
            // Under --quiet the result line is all a run prints.
            if options.verbosity != .quiet { log("wrote \(path)") }
        }
        var extra = JSONObject()
        extra["train_loss"] = .number(trainLoss)
        extra["test_loss"] = testLoss.map { .number($0) } ?? .null
        extra["train_examples"] = .number(split.train.count)
        extra["test_examples"] = .number(split.test.count)
        return TaskReport(
            task: "linear-regression", steps: steps, finalLoss: steps > 0 ? loss.scalar : nil,
            parameters: [("w", w.value.scalars), ("c", c.value.scalars)], wallSeconds: seconds, extra: extra
        ).failingIfDiverged(startingLoss: trainLoss)
    }

    /// A one-feature (or label) column of m rows as a vector of m scalars.
    private static func column(_ matrix: Tensor) -> Tensor {
        matrix.reshaped(to: [matrix.scalarCount])
    }
}
