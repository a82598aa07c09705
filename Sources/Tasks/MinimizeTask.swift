import Autograd
import ConfigKit
import Expressions
import JSON
import Optimizers
import Reports
import Storage

/// `"task": "minimize"`: minimises an expression over its variables with an optimizer, the
/// lecture's second example (x² − 20x + 100 from x = 50 with SGD at 0.1: 42, 35.6, 30.48, …).
///
/// Keys: `expression` (required), `start` (variable → number, required), `steps` (required),
/// `optimizer` (required, see ``OptimizerSpec``), `print_every` (default 1).
struct MinimizeTask: RunnableTask {
    package var kind: String { "minimize" }

    let expression: Expression
    let start: [String: Float]
    let steps: Int
    let optimizer: OptimizerSpec
    let printEvery: Int

    init(reading root: inout ConfigObject, context: ConfigContext, budget: MemoryBudget? = nil) throws {
        expression = try DerivativeTask.expression(in: &root, key: "expression", context: context)
        guard !expression.variables.isEmpty else {
            throw context.error(in: root, key: "expression", "'\(quoted(expression.source, limit: 40))' has no variable, so there is nothing to minimise; expected an expression of at least one variable, like x^2")
        }
        start = try DerivativeTask.point(in: &root, key: "start", context: context, expression: expression)
        steps = try root.require("steps", as: Int.self, .in(TaskLoader.stepCounts))
        // Each step records the expression on a tape of its own, let go before the next.
        let budget = try budget ?? MemoryBudget.current()
        try expression.checkEvaluationMemory(order: 1, budget: budget, in: "'\(context.file)': ")
        // The trajectory keeps a point per step, and the report a JSON number per coordinate.
        var estimate = MemoryEstimate()
        estimate.add("trajectory", steps, Self.bytesPerStep(variables: expression.variables.count))
        estimate.add("tape", expression.operationCount, Expression.evaluationBytesPerOperation(order: 1))
        let stepCount = steps
        try budget.check(
            estimate, "'\(context.file)': \(stepCount) steps, whose trajectory is kept,", advice: "ask for fewer steps")
        let totalSteps = steps
        optimizer = try root.object("optimizer") { try OptimizerSpec(reading: &$0, totalSteps: totalSteps) }
        printEvery = try root.optional("print_every", as: Int.self, default: 1, .positive)
    }

    func run(options: RunOptions, log: (String) -> Void) throws -> TaskReport {
        let names = expression.variables
        let variables = names.map { Variable(Tensor(start[$0]!), name: $0) }
        let optimizer = optimizer.make()
        var trajectory: [[Float]] = []
        // Bounded: the array grows past it as it must, but a huge count reserves nothing up front.
        trajectory.reserveCapacity(Swift.min(steps, 1 << 16))
        var loss = Tensor(0)
        // The expression at the variables' current values.
        func value() -> Tensor { expression.tensor(with: Dictionary(uniqueKeysWithValues: zip(names, variables.map(\.value)))) }
        let started = ContinuousClock.now
        for step in 0..<steps {
            let tape = GradientTape()
            loss = tape.record { value() }
            optimizer.apply(tape.gradient(of: loss, withRespectTo: variables), to: variables)
            trajectory.append(variables.map { $0.value.scalar })
            if (options.showsProgress && (step + 1) % printEvery == 0) || step == steps - 1 {
                let point = zip(names, trajectory[step]).map { "\($0) = \($1)" }.joined(separator: ", ")
                log("step \(step + 1): \(point)")
            }
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        if steps == 0 {
            let point = zip(names, variables).map { "\($0) = \($1.value.scalar)" }.joined(separator: ", ")
            log("no step taken (steps is 0): \(point), value \(withoutRecording { value() }.scalar)")
        }
        var extra = JSONObject()
        // One variable: a flat list of its values; several: a list of points.
        extra["trajectory"] = names.count == 1
            ? JSONValue(trajectory.map { $0[0] })
            : .array(trajectory.map { JSONValue($0) })
        let finalValue = names.isEmpty ? loss : withoutRecording { value() }
        extra["final_value"] = .number(finalValue.scalar)
        var report = TaskReport(
            task: "minimize", steps: steps, finalLoss: steps > 0 ? loss.scalar : nil,
            parameters: zip(names, variables).map { ($0, $1.value.scalars) }, wallSeconds: seconds, extra: extra)
        if !finalValue.scalar.isFinite || variables.contains(where: { !$0.value.scalar.isFinite }) {
            let point = zip(names, variables).map { "\($0) = \(Derivatives.format($1.value.scalar))" }.joined(separator: ", ")
            report.exitStatus = 1
            report.failure = "the minimisation diverged: after \(steps) steps the value is \(Derivatives.format(finalValue.scalar)) at \(point)"
        }
        return report
    }

    /// Bytes a step of the run keeps: the point (an array of floats), and in the report a JSON
    /// number and about 16 characters of text per coordinate.
    static func bytesPerStep(variables: Int) -> Int {
        let point = 48 + 4 * variables
        let report = (MemoryLayout<JSONValue>.stride + 16) * Swift.max(variables, 1) + MemoryLayout<JSONValue>.stride
        return point + report
    }
}
