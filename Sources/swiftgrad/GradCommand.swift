import ArgumentParser
import Expressions
import Tasks

/// `swiftgrad grad EXPRESSION --at x=10`: derivatives of an expression.
///
/// Parsing and differentiation live in the `Expressions` library; this command only reads the
/// arguments, calls it and prints the result.
struct GradCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grad",
        abstract: "Differentiate an expression.",
        discussion: """
            Computes derivatives with gradient tapes, as TensorFlow's tf.GradientTape does.

            Expressions use numbers (3, 0.5, 1e-3), variables, + - * / ^, unary minus, \
            parentheses and the functions \(Expressions.Expression.functionNames.joined(separator: " ")). \
            ^ is right-associative and binds tighter than unary minus: -x^2 is -(x^2).

            Output: with one variable and --order 1, the derivative alone (e.g. 920). \
            Otherwise one "d/dx = ..." line per variable, then with --order 2 one \
            "d2/dx2 = ..." line per variable. Variables are listed in order of first \
            appearance, then names given with --at but unused (derivative 0), sorted. \
            --json prints {"value": ..., "gradient": {...}, "second_derivative": {...}} \
            in the same variable order; second_derivative only with --order 2. \
            An expression without variables prints "value = ...".

            A value or derivative that is not a finite number (log(x) at x=0) is printed \
            as inf or nan (null in JSON), and the command then says so on standard error \
            and exits with status 1. Values given with --at are decimal numbers (1.5, -2e-3).

            Examples:
              swiftgrad grad "3*x^3 + x^2" --at x=10            prints 920
              swiftgrad grad "x*y + sin(x)" --at x=1.5,y=-2 --order 2
              swiftgrad grad "-x^2" --at x=3
              swiftgrad grad --at x=3 -- "-x^2"
            An expression may start with '-', as in the last two examples ("--x" is -(-x)); \
            '--' before it is accepted too.
            """
    )

    @Argument(help: "The expression, e.g. \"3*x^3 + x^2\".")
    var expression: String

    @Option(name: .long, help: ArgumentHelp(
        "Variable values as NAME=VALUE, comma-separated (x=1.5,y=-2); the option may be repeated.",
        valueName: "assignments"))
    var at: [String] = []

    @Option(name: .long, parsing: .unconditional, help: "1 for first derivatives, 2 to add the second derivatives d2f/dv2.", transform: { try integer($0, refusal: Self.orderRefusal) })
    var order: Int = 1

    @Flag(name: .long, help: "Print one JSON object with the value, gradient and (order 2) second derivatives.")
    var json = false

    func validate() throws {
        guard order == 1 || order == 2 else {
            throw ValidationError(Self.orderRefusal("\(order)"))
        }
    }

    /// The message for an `--order` other than 1 or 2, given it as shown.
    static func orderRefusal(_ value: String) -> String { "--order must be 1 or 2, not \(value)" }

    func run() throws {
        do {
            let parsed = try Expressions.Expression.parse(expression)
            let values = try Expressions.Expression.parseAssignments(at)
            try reportingErrors {
                try parsed.checkEvaluationMemory(order: order, budget: MemoryBudget.current())
            }
            let derivatives = try parsed.evaluate(at: values, order: order)
            printLine(json ? derivatives.jsonText : derivatives.plainText)
            if let problem = derivatives.nonFiniteDescription {
                let point = derivatives.variables.map { "\($0) = \(Derivatives.format(values[$0] ?? 0))" }.joined(separator: ", ")
                printError("error: not a finite number at \(point.isEmpty ? "the point given" : point): \(problem)")
                throw ExitCode.failure
            }
        } catch let error as ExpressionError {
            // A syntax error's lines (the message, the expression, a caret under the column)
            // are its own; the user's text in them is shown escaped already.
            var message = "error: \(error)"
            if case .missingValue(let name) = error.reason, name.count <= 40 {
                message += "\ngive it a value with --at \(name)=VALUE"
            }
            printError(message)
            throw ExitCode.failure
        }
    }
}

extension GradCommand {
    /// The option names of `grad` that take a value, and those that do not.
    private static let valueOptions: Set<String> = ["--at", "--order"]
    private static let flags: Set<String> = ["--json", "-h", "--help"]

    /// `arguments` (after the program's name) with a `grad` expression that starts with `-`
    /// (`-x^2`, `-sigmoid(x)`) moved to the end after `--`, where ArgumentParser reads it as the
    /// expression rather than as an unknown option: `grad "-x^2" --at x=3` works as `grad --at
    /// x=3 -- "-x^2"` does. Anything else, and any command line that already has `--` or an
    /// expression, is returned unchanged.
    ///
    /// An argument counts as such an expression when it is where the expression belongs (not
    /// the value of `--at` or `--order`), starts with `-` followed by something, and is none of
    /// `grad`'s options (`--json`, `-h`, `--at=x=1`): `--x` and `-----x` are expressions. With
    /// an expression elsewhere on the line nothing is moved, so a misspelt option (`--jsn`)
    /// stays one and ArgumentParser names it.
    static func placingDashedExpressionLast(_ arguments: [String]) -> [String] {
        guard arguments.first == "grad", !arguments.contains("--") else { return arguments }
        var dashed: Int?
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            if valueOptions.contains(argument) {
                index += 2
                continue
            }
            if flags.contains(argument) || valueOptions.contains(where: { argument.hasPrefix($0 + "=") }) {
                index += 1
                continue
            }
            if argument.hasPrefix("-") && argument.count > 1 {
                if dashed == nil { dashed = index }
            } else {
                return arguments  // a positional expression is already there
            }
            index += 1
        }
        guard let dashed else { return arguments }
        var rewritten = arguments
        let expression = rewritten.remove(at: dashed)
        return rewritten + ["--", expression]
    }
}
