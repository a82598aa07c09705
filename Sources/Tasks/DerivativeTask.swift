import ConfigKit
import Expressions
import JSON
import Reports
import Storage

/// `"task": "derivative"`: the value and derivatives of an expression at a point, the lecture's
/// first example (d/dx (3x³ + x²) at x = 10 is 920).
///
/// Keys: `expression` (string, required), `at` (object of variable → number, required),
/// `order` (1 or 2, default 1).
struct DerivativeTask: RunnableTask {
    package var kind: String { "derivative" }

    let expression: Expression
    let point: [String: Float]
    let order: Int

    init(reading root: inout ConfigObject, context: ConfigContext, budget: MemoryBudget? = nil) throws {
        expression = try Self.expression(in: &root, key: "expression", context: context)
        point = try Self.point(in: &root, key: "at", context: context, expression: expression)
        order = try root.optional("order", as: Int.self, default: 1, .in(1...2))
        try expression.checkEvaluationMemory(order: order, budget: budget ?? MemoryBudget.current(), in: "'\(context.file)': ")
    }

    func run(options: RunOptions, log: (String) -> Void) throws -> TaskReport {
        let start = ContinuousClock.now
        let result = try expression.evaluate(at: point, order: order)
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        let at = result.variables.map { "\($0) = \(Derivatives.format(point[$0] ?? 0))" }.joined(separator: ", ")
        // The source as a message shows it: a newline or an escape sequence in the config's
        // text stays in the line, escaped, and a long expression is cut with its length.
        if options.showsProgress { log("f = \(quoted(expression.source, limit: 200)) at \(at)") }
        log("f = \(Derivatives.format(result.value))")
        for name in result.variables {
            log("d/d\(name) = \(Derivatives.format(result.gradient[name]!))")
            if let second = result.secondDerivatives?[name] {
                log("d2/d\(name)2 = \(Derivatives.format(second))")
            }
        }
        var extra = JSONObject()
        extra["value"] = .number(result.value)
        var gradient = JSONObject()
        for name in result.variables { gradient[name] = .number(result.gradient[name]!) }
        extra["gradient"] = .object(gradient)
        if let seconds = result.secondDerivatives {
            var second = JSONObject()
            for name in result.variables { second[name] = .number(seconds[name]!) }
            extra["second_derivative"] = .object(second)
        }
        var report = TaskReport(
            task: "derivative", steps: 0, finalLoss: nil,
            parameters: result.variables.map { ($0, [point[$0] ?? 0]) }, wallSeconds: seconds, extra: extra)
        if let problem = result.nonFiniteDescription {
            report.exitStatus = 1
            report.failure = "not a finite number at \(at.isEmpty ? "the point given" : at): \(problem)"
        }
        return report
    }

    /// Parses the expression under `key`, locating a syntax error at that key.
    static func expression(in root: inout ConfigObject, key: String, context: ConfigContext) throws -> Expression {
        let text = try root.require(key, as: String.self, .nonEmpty)
        do {
            return try Expression.parse(text)
        } catch let error as ExpressionError {
            throw context.error(in: root, key: key, "invalid expression: \(error.message)\(error.column.map { " (column \($0))" } ?? "")")
        }
    }

    /// Reads an object of variable values, requiring one for every variable of `expression`.
    static func point(
        in root: inout ConfigObject, key: String, context: ConfigContext, expression: Expression
    ) throws -> [String: Float] {
        let values = try root.object(key) { object -> [String: Float] in
            var values: [String: Float] = [:]
            for name in object.keys {
                guard Expression.isVariableName(name), Expression.function(named: name) == nil else {
                    throw context.error(in: object, key: name, "'\(quoted(name, limit: 40))' is not a variable name; names are letters, digits and '_', not starting with a digit, and not a function's name")
                }
                values[name] = try object.require(name, as: Float.self)
            }
            return values
        }
        for name in expression.variables where values[name] == nil {
            let shown = quoted(name, limit: 40)
            throw context.error(in: root, key: key, "no value for the variable '\(shown)' of the expression; expected an object like {\"\(shown)\": 1.0}")
        }
        return values
    }
}

extension Expression {
    /// Refuses an expression whose differentiation would need more memory than `budget` allows
    /// (a long expression at `order` 2 takes about 2 KiB per operation), before its tapes are
    /// made.
    ///
    /// - Parameter prefix: what starts the message, such as the config's name.
    /// - Throws: `MemoryBudgetError` naming the operations, the estimate and the limit.
    package func checkEvaluationMemory(order: Int, budget: MemoryBudget, in prefix: String = "") throws {
        var estimate = MemoryEstimate()
        estimate.add(order == 2 ? "tapes" : "tape", operationCount, Expression.evaluationBytesPerOperation(order: order))
        try budget.check(
            estimate, "\(prefix)the expression's \(operationCount) operations, differentiated \(order == 2 ? "twice" : "once"),",
            advice: order == 2 ? "shorten the expression, or ask for first derivatives only" : "shorten the expression")
    }
}
