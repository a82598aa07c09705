import JSON
import Reports

/// What a run of a config produced: the figures printed at the end and written by
/// `swiftgrad run --report`.
///
/// The JSON report always has `task`, `steps`, `final_loss`, `parameters` and `wall_seconds`;
/// tasks add their own keys (`trajectory`, `train_accuracy`, …) through ``extra``. A key that
/// several tasks write means the same in each: `train_loss` and `test_loss` are the losses of the
/// final parameters on each split, in every task that has one. `Documentation/CommandLine.md`
/// ("Reports") lists every key.
package struct TaskReport: Sendable {
    /// The config's `task`.
    package var task: String
    /// Optimisation steps taken.
    package var steps: Int
    /// The loss the last step minimised, computed in that step before its update (the last
    /// batch's, for the trainer); `nil` when no step was taken or the task minimises nothing.
    package var finalLoss: Float?
    /// The learned (or evaluated) parameters, by name, in a stable order.
    package var parameters: [(name: String, values: [Float])]
    /// The most values the JSON report lists under `parameters`. A larger model's report has
    /// `null` there: its values are in the model file the report names, and listing a
    /// 784-256-256-10 MLP's 269 322 values as JSON would take 3.5 MB and longer to write than
    /// preparing its data.
    package static let listedParameterLimit = 65_536
    /// Seconds spent in the work itself: not start-up, config parsing or data loading.
    package var wallSeconds: Double
    /// Task-specific entries, written in this order after `parameters` and before
    /// `wall_seconds`.
    package var extra: JSONObject
    /// The process's exit status once the report is written: 0, or non-zero for a run that
    /// diverged (1) or was stopped by a signal (128 + its number).
    package var exitStatus: Int32 = 0
    /// Why the run failed, for standard error, when ``exitStatus`` is not 0.
    package var failure: String?

    package init(
        task: String, steps: Int, finalLoss: Float?, parameters: [(name: String, values: [Float])],
        wallSeconds: Double, extra: JSONObject = JSONObject()
    ) {
        self.task = task
        self.steps = steps
        self.finalLoss = finalLoss
        self.parameters = parameters
        self.wallSeconds = wallSeconds
        self.extra = extra
    }

    /// The report, marked failed (status 1, with the reason) when its final loss or one of its
    /// parameters is not a finite number: the run diverged, and its figures mean nothing. A run
    /// of no steps has no final loss; `startingLoss`, its loss at the starting point, is checked
    /// instead.
    func failingIfDiverged(startingLoss: Float? = nil) -> TaskReport {
        var report = self
        let loss = finalLoss ?? (steps == 0 ? startingLoss : nil)
        let quantities = [("the loss", loss.map { [$0] } ?? [])] + parameters.map { ("parameter \($0.name)", $0.values) }
        for (name, values) in quantities {
            guard let bad = values.first(where: { !$0.isFinite }) else { continue }
            report.exitStatus = 1
            report.failure = steps == 0
                ? "the starting point is not finite: with no step taken, \(name) is \(bad)"
                : "the run diverged: after \(steps) steps \(name) is \(bad)"
            break
        }
        return report
    }

    /// The report as ordered JSON.
    package var json: JSONValue {
        var object = JSONObject()
        object["task"] = .string(task)
        object["steps"] = .number(steps)
        object["final_loss"] = finalLoss.map { .number($0) } ?? .null
        if parameters.reduce(0, { $0 + $1.values.count }) <= Self.listedParameterLimit {
            var parameterObject = JSONObject()
            for (name, values) in parameters { parameterObject[name] = JSONValue(values) }
            object["parameters"] = .object(parameterObject)
        } else {
            object["parameters"] = .null
        }
        for member in extra.members { object[member.key] = member.value }
        object["wall_seconds"] = .number(wallSeconds)
        return .object(object)
    }

    /// Writes the report atomically to `path` as pretty JSON.
    package func write(to path: String) throws {
        try json.write(to: path, nonFinite: .writeNull)
    }
}
