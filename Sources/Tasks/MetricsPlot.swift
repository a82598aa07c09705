import Foundation
import Reports
import Storage
import Training

/// The loss and accuracy curves of one or several training runs: what a run writes as
/// `metrics.svg` and what `swiftgrad plot` draws.
package enum MetricsPlot {
    /// One run's curves against the epoch, gathered from its ``MetricsRecord``s as they come.
    package struct Curves: Sendable {
        /// The run's name, in legends when several runs share a figure.
        package var name: String
        /// Every evaluation: train and test loss and accuracy.
        package private(set) var evaluations: [Trainer.Evaluation] = []
        /// Per evaluation, whether steps before it and after the previous one have no record
        /// (trained with `--no-metrics`): its curves are not joined across that gap.
        package private(set) var evaluationFollowsGap: [Bool] = []
        /// Per epoch, the mean over its steps of their loss and of their accuracy: the training
        /// curve Keras's history shows, there for every epoch even when evaluations are rarer.
        /// `followsGap`: steps between the previous epoch's recorded steps and this epoch's
        /// last one have no record.
        package private(set) var stepMeans: [(epoch: Int, loss: Double, accuracy: Double?, followsGap: Bool)] = []
        private var sums = (epoch: 0, steps: 0, loss: 0.0, accuracy: 0.0, measured: 0)
        /// The highest step any record so far was made at.
        private var lastStep = 0
        /// Whether a gap in the steps came since the last evaluation, and since the last step.
        private var gapSince = (evaluation: false, step: false)

        package init(name: String) {
            self.name = name
        }

        /// The curves of `records`, in order.
        package init(name: String, records: some Sequence<MetricsRecord>) {
            self.name = name
            for record in records { add(record) }
        }

        /// Adds a record.
        package mutating func add(_ record: MetricsRecord) {
            // Every step is recorded as it is taken, so a record more than one step after the
            // last follows steps trained without metrics. (Both are at least 0, so the difference
            // cannot overflow where `lastStep + 1` could.)
            if record.step - lastStep > 1 { gapSince = (true, true) }
            lastStep = Swift.max(lastStep, record.step)
            switch record {
            case .evaluation(_, _, let evaluation):
                evaluations.append(evaluation)
                evaluationFollowsGap.append(gapSince.evaluation)
                gapSince.evaluation = false
            case .step(let step):
                if step.epoch != sums.epoch { sums = (step.epoch, 0, 0, 0, 0) }
                sums.steps += 1
                sums.loss += Double(step.loss)
                if let accuracy = step.accuracy {
                    sums.accuracy += Double(accuracy)
                    sums.measured += 1
                }
                let continuing = stepMeans.last?.epoch == step.epoch
                let mean = (
                    epoch: step.epoch, loss: sums.loss / Double(sums.steps),
                    accuracy: sums.measured > 0 ? sums.accuracy / Double(sums.measured) : nil,
                    followsGap: gapSince.step || (continuing && stepMeans[stepMeans.count - 1].followsGap))
                gapSince.step = false
                if continuing { stepMeans[stepMeans.count - 1] = mean } else { stepMeans.append(mean) }
            }
        }

        /// The evaluations with `metric`, as (epoch, value) points; a NaN point stands between
        /// two that a gap in the records separates, so that the curve is not joined across it.
        func points(of metric: TrainingMetric) -> [(Double, Double)] {
            Self.broken(zip(evaluations, evaluationFollowsGap).compactMap { evaluation, followsGap in
                metric.value(in: evaluation).map { (Double(evaluation.epoch), Double($0), followsGap) }
            })
        }

        /// The epochs' step means of loss (`accuracy` false) or accuracy, broken as
        /// ``points(of:)`` breaks evaluations.
        func stepMeanPoints(accuracy: Bool) -> [(Double, Double)] {
            Self.broken(stepMeans.compactMap { mean in
                (accuracy ? mean.accuracy : mean.loss).map { (Double(mean.epoch), $0, mean.followsGap) }
            })
        }

        /// `points` with a (NaN, NaN) point before each one that follows a gap in the steps, but
        /// the first: a plot joins no points across a non-finite one.
        private static func broken(_ points: [(Double, Double, Bool)]) -> [(Double, Double)] {
            var result: [(Double, Double)] = []
            for (x, y, followsGap) in points {
                if followsGap && !result.isEmpty { result.append((.nan, .nan)) }
                result.append((x, y))
            }
            return result
        }
    }

    /// A figure of `runs` against the epoch.
    ///
    /// Without `metric`: a loss panel and, when any run has accuracies, an accuracy panel, each
    /// with the evaluations' `train` and `test` curves and the epochs' mean over their steps
    /// (`train steps`, measured during training, with dropout and before each step's update).
    /// With `metric`: that evaluation figure alone. Curves carry the run's name when there are
    /// several runs.
    package static func figure(runs: [Curves], metric: TrainingMetric? = nil) -> SVGFigure {
        let several = runs.count > 1
        let name = several ? "" : runs.first?.name ?? ""
        func label(_ run: Curves, _ text: String) -> String {
            several ? (text.isEmpty ? run.name : "\(run.name) \(text)") : text
        }
        func panel(_ title: String, yLabel: String, _ series: [(label: String, points: (Curves) -> [(Double, Double)])]) -> SVGPlot {
            var plot = SVGPlot(title: name.isEmpty ? title : "\(name): \(title)", xLabel: "epoch", yLabel: yLabel, width: 560, height: 400)
            // Below, so the panels of one figure, and the figures of one run over time, keep
            // one layout, and no curve is ever behind the legend.
            plot.legendPlacement = .below
            for run in runs {
                for (text, points) in series {
                    let points = thinned(points(run))
                    guard !points.isEmpty else { continue }
                    let drawn = points.count { $0.0.isFinite }
                    plot.line(x: points.map(\.0), y: points.map(\.1), label: label(run, text), markers: drawn <= 30)
                }
            }
            return plot
        }
        func evaluated(_ metric: TrainingMetric) -> (Curves) -> [(Double, Double)] {
            { run in run.points(of: metric) }
        }
        if let metric {
            return SVGFigure(panels: [panel(metric.rawValue, yLabel: metric.rawValue, [(several ? "" : metric.rawValue, evaluated(metric))])])
        }
        var panels = [panel("loss", yLabel: "loss", [
            ("train steps", { $0.stepMeanPoints(accuracy: false) }),
            ("train", evaluated(.trainLoss)), ("test", evaluated(.testLoss)),
        ])]
        let hasAccuracy = runs.contains { run in
            run.evaluations.contains { $0.trainAccuracy != nil || $0.testAccuracy != nil } || run.stepMeans.contains { $0.accuracy != nil }
        }
        if hasAccuracy {
            panels.append(panel("accuracy", yLabel: "accuracy", [
                ("train steps", { $0.stepMeanPoints(accuracy: true) }),
                ("train", evaluated(.trainAccuracy)), ("test", evaluated(.testAccuracy)),
            ]))
        }
        return SVGFigure(panels: panels)
    }

    /// The most points a curve is drawn with: a panel is 560 pixels wide, so a longer curve
    /// (a run of a hundred thousand epochs) looks the same thinned, and rendering every point
    /// would make each redrawing of `metrics.svg` cost more as the run grows.
    static let drawnPointLimit = 2000

    /// `points` with at most about ``drawnPointLimit`` finite points: each run of consecutive
    /// points between breaks (NaN points, kept) gives its lowest and its highest, in order, so the
    /// curve keeps its extremes, its first point and its last.
    static func thinned(_ points: [(Double, Double)], limit: Int = drawnPointLimit) -> [(Double, Double)] {
        guard points.count > limit else { return points }
        let size = (points.count + limit / 2 - 1) / (limit / 2)
        var result: [(Double, Double)] = []
        result.reserveCapacity(limit + 2)
        var bucket = 0..<0
        func flush() {
            guard !bucket.isEmpty else { return }
            let low = bucket.min { points[$0].1 < points[$1].1 }!, high = bucket.max { points[$0].1 < points[$1].1 }!
            // The bucket's first and last stand for it at the ends of a segment, so the curve
            // starts and ends where it does.
            let first = bucket.lowerBound == 0 || points[bucket.lowerBound - 1].1.isNaN ? bucket.lowerBound : nil
            let last = bucket.upperBound == points.count || points[bucket.upperBound].1.isNaN ? bucket.upperBound - 1 : nil
            for index in Set([first, low, high, last].compactMap { $0 }).sorted() { result.append(points[index]) }
            bucket = bucket.upperBound..<bucket.upperBound
        }
        for index in points.indices {
            if points[index].0.isNaN || points[index].1.isNaN {
                flush()
                result.append(points[index])
                bucket = index + 1..<index + 1
                continue
            }
            bucket = bucket.lowerBound..<index + 1
            if bucket.count == size { flush() }
        }
        flush()
        return result
    }

    /// What ``plot(runFolders:metric:to:)`` drew.
    package struct Drawn: Sendable, Equatable {
        /// Per run, the evaluations drawn: those with `metric`, or all of them without one.
        package var evaluations: [Int]
        /// The run folders, as given, that record no value of `metric` and so have no curve.
        package var withoutMetric: [String]
    }

    /// Reads each run folder's `metrics.jsonl` and writes their figure to `output`.
    ///
    /// - Parameters:
    ///   - runFolders: training runs' folders, each once; each is named by its last path
    ///     component, or by the path as given where two share that component.
    ///   - metric: one evaluation figure to draw, or `nil` for loss and accuracy.
    ///   - output: the SVG file to write; its directory must exist.
    /// - Returns: the evaluations drawn, per run, and the runs without `metric`.
    /// - Throws: `FileError` for a folder given twice, a folder without metrics, a `metric` that
    ///   no run records (naming what each does record; nothing is written), or a file that
    ///   cannot be written.
    @discardableResult
    package static func plot(runFolders: [String], metric: TrainingMetric?, to output: String) throws -> Drawn {
        var seen: [String: String] = [:]
        for folder in runFolders {
            if let earlier = seen.updateValue(folder, forKey: AtomicFile.canonicalPath(folder)) {
                throw FileError("'\(earlier)' and '\(folder)' are the same run folder; name each run once")
            }
        }
        let names = runFolders.map { URL(fileURLWithPath: $0).standardizedFileURL.lastPathComponent }
        let runs = try zip(runFolders, names).map { folder, name in
            let shared = names.filter { $0 == name }.count > 1
            return Curves(name: shared ? folder : name, records: try RunMetrics.records(inRunFolder: folder))
        }
        guard let metric else {
            try figure(runs: runs).write(to: output)
            return Drawn(evaluations: runs.map(\.evaluations.count), withoutMetric: [])
        }
        let evaluations = runs.map { run in run.evaluations.count { metric.value(in: $0) != nil } }
        let without = zip(runFolders, evaluations).filter { $0.1 == 0 }.map(\.0)
        if without.count == runs.count {
            throw FileError(missingMetricMessage(metric, runFolders: runFolders, runs: runs))
        }
        try figure(runs: runs, metric: metric).write(to: output)
        return Drawn(evaluations: evaluations, withoutMetric: without)
    }

    /// Why no run can be drawn by `metric`, and what each records instead: `'runs/lr' records
    /// no test_accuracy; it records train_loss, test_loss; choose one of those for --metric`.
    private static func missingMetricMessage(_ metric: TrainingMetric, runFolders: [String], runs: [Curves]) -> String {
        let recorded = runs.map { run in
            TrainingMetric.allCases.filter { metric in run.evaluations.contains { metric.value(in: $0) != nil } }.map(\.rawValue)
        }
        let choice = recorded.contains { !$0.isEmpty } ? "; choose one of those for --metric" : ""
        func records(_ metrics: [String]) -> String {
            metrics.isEmpty ? "no evaluation yet" : metrics.joined(separator: ", ")
        }
        if runFolders.count == 1 {
            return "'\(runFolders[0])' records no \(metric.rawValue); it records \(records(recorded[0]))\(choice)"
        }
        let each = zip(runFolders, recorded).map { "'\($0)' records \(records($1))" }.joined(separator: "; ")
        return "none of the runs records \(metric.rawValue): \(each)\(choice)"
    }
}
