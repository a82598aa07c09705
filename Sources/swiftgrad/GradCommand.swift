import ArgumentParser

/// `swiftgrad grad EXPRESSION --at x=10`: derivatives of an expression.
struct GradCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grad", abstract: "Differentiate an expression.")
    @Argument(help: "The expression, e.g. \"3*x^3 + x^2\".") var expression: String
    func run() throws {}
}
