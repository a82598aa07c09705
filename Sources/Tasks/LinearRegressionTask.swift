import Storage
import Autograd
import ConfigKit
import Datasets
import Optimizers
import Reports

/// `"task": "linear-regression"`: fits ŷ = w·x + c to one feature of a CSV file by gradient
/// descent on a tape, the lecture's third example.
///
/// Keys:
/// - `data`: `{"source": "csv", "path": "…csv", "header": true, "feature": "x", "label": "y"}`;
///   `path` is relative to the config file; with `"header": false` the columns are chosen by
///   index (`feature` 0 and `label` 1 by default).
/// - `initial`: `{"w": 0, "c": 0}` (both default to 0).
/// - `loss`: `"half_mean_squared_error"` (Σ(ŷ−y)²/(2m), the lecture's, the default) or
///   `"mean_squared_error"` (Σ(ŷ−y)²/m).
/// - `optimizer` (required, see ``OptimizerSpec``), `steps` (required), `print_every` (100).
/// - `plot`: where to write an SVG of the data and the fitted line (optional; unlike `data.path`
///   it is relative to the working directory, as `--plot` is, which overrides it).
struct LinearRegressionTask: RunnableTask {
    static let losses = ["half_mean_squared_error", "mean_squared_error"]

    let x: Tensor
    let y: Tensor
    let featureName: String
    let labelName: String
    let initialW: Float
    let initialC: Float
    let halvesLoss: Bool
    let optimizer: OptimizerSpec
    let steps: Int
    let printEvery: Int
    let plotPath: String?
    let inputFiles: [AtomicFile.Input]
    let warnings: [String]

    init(reading root: inout ConfigObject, context: ConfigContext) throws {
        var featureName = "x", labelName = "y"
        var warnings: [String] = []
        var dataPath = ""
        let dataset = try root.object("data") { data -> Dataset in
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
            let (dataset, headerLooksLikeData) = try Dataset.loadCSVCheckingHeader(
                path: path, hasHeader: hasHeader, labelColumn: label, featureColumns: [feature])
            if headerLooksLikeData { warnings.append(DataSection.headerWarning(path: path)) }
            featureName = dataset.featureNames[0]
            labelName = dataset.labelName ?? "y"
            return dataset
        }
        self.warnings = warnings
        inputFiles = [AtomicFile.Input(dataPath, role: "data file")]
        self.featureName = featureName
        self.labelName = labelName
        x = dataset.features.reshaped(to: [dataset.count])
        y = dataset.targets.reshaped(to: [dataset.count])
        (initialW, initialC) = try root.optionalObject("initial") { initial in
            (try initial.optional("w", as: Float.self, default: 0), try initial.optional("c", as: Float.self, default: 0))
        } ?? (0, 0)
        halvesLoss = try root.optional("loss", as: String.self, default: Self.losses[0], .oneOf(Self.losses)) == Self.losses[0]
        steps = try root.require("steps", as: Int.self, .in(TaskLoader.stepCounts))
        let totalSteps = steps
        optimizer = try root.object("optimizer") { try OptimizerSpec(reading: &$0, totalSteps: totalSteps) }
        printEvery = try root.optional("print_every", as: Int.self, default: 100, .positive)
        plotPath = try root.optional("plot", as: String.self, .nonEmpty)
    }

    func run(options: RunOptions, log: (String) -> Void) throws -> TaskReport {
        let plotPath = options.plotPath ?? self.plotPath
        if let plotPath { try AtomicFile.checkWritable(plotPath, inputs: inputFiles) }
        let w = Variable(Tensor(initialW), name: "w")
        let c = Variable(Tensor(initialC), name: "c")
        let optimizer = optimizer.make()
        let denominator = Float(halvesLoss ? 2 * x.scalarCount : x.scalarCount)
        var loss = Tensor(0)
        let start = ContinuousClock.now
        for step in 0..<steps {
            let tape = GradientTape()
            loss = tape.record {
                let prediction = w.value * x + c.value
                return (prediction - y).squared().sum() / denominator
            }
            optimizer.apply(tape.gradient(of: loss, withRespectTo: [w, c]), to: [w, c])
            if options.showsProgress && step % printEvery == 0 {
                log("Step \(step), Loss \(loss.scalar)")
            }
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        log("w = \(w.value.scalar), c = \(c.value.scalar), loss at the last step = \(loss.scalar)")

        if let path = plotPath {
            var plot = SVGPlot(title: "Linear regression: ŷ = \(w.value.scalar)·\(featureName) + \(c.value.scalar)", xLabel: featureName, yLabel: labelName)
            let xs = x.scalars.map(Double.init)
            plot.scatter(x: xs, y: y.scalars.map(Double.init), label: "data")
            let line = (w.value * x + c.value).scalars.map(Double.init)
            plot.line(x: xs, y: line, label: "fitted line", color: "#d62728")
            try plot.write(to: path)
            log("wrote \(path)")
        }
        return TaskReport(
            task: "linear-regression", steps: steps, finalLoss: loss.scalar,
            parameters: [("w", w.value.scalars), ("c", c.value.scalars)], wallSeconds: seconds
        ).failingIfDiverged()
    }
}
