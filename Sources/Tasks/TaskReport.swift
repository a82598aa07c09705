import Reports

/// What a run of a config produced: the figures printed at the end and written by
/// `swiftgrad run --report`.
///
/// The JSON report always has `task`, `steps`, `final_loss`, `parameters` and `wall_seconds`;
/// tasks add their own keys (`trajectory`, `train_accuracy`, …) through ``extra``.
package struct TaskReport: Sendable {
    /// The config's `task`.
    package var task: String
    /// Optimisation steps taken.
    package var steps: Int
    /// The loss at the last step, when the task minimises one.
    package var finalLoss: Float?
    /// The learned (or evaluated) parameters, by name, in a stable order.
    package var parameters: [(name: String, values: [Float])]
    /// Seconds spent in the work itself: not start-up, config parsing or data loading.
    package var wallSeconds: Double
    /// Task-specific entries, written in this order after `parameters` and before
    /// `wall_seconds`.
    package var extra: OrderedJSON.Object
    /// The process's exit status once the report is written: 0, or non-zero for a run that
    /// diverged (1) or was stopped by a signal (128 + its number).
    package var exitStatus: Int32 = 0
    /// Why the run failed, for standard error, when ``exitStatus`` is not 0.
    package var failure: String?

    package init(
        task: String, steps: Int, finalLoss: Float?, parameters: [(name: String, values: [Float])],
        wallSeconds: Double, extra: OrderedJSON.Object = OrderedJSON.Object()
    ) {
        self.task = task
        self.steps = steps
        self.finalLoss = finalLoss
        self.parameters = parameters
        self.wallSeconds = wallSeconds
        self.extra = extra
    }

    /// The report as ordered JSON.
    package var json: OrderedJSON {
        var object = OrderedJSON.Object()
        object["task"] = .string(task)
        object["steps"] = .int(steps)
        object["final_loss"] = finalLoss.map { .float($0) } ?? .null
        var parameterObject = OrderedJSON.Object()
        for (name, values) in parameters { parameterObject[name] = OrderedJSON(values) }
        object["parameters"] = .object(parameterObject)
        for member in extra.members { object[member.key] = member.value }
        object["wall_seconds"] = .double(wallSeconds)
        return .object(object)
    }

    /// Writes the report atomically to `path` as pretty JSON.
    package func write(to path: String) throws {
        try json.write(to: path, nonFinite: .writeNull)
    }
}
