import ArgumentParser

/// The `swiftgrad` command line: a thin layer that parses arguments and calls the library.
@main
struct SwiftGradCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftgrad",
        abstract: "Train models with GradientTape-style automatic differentiation.",
        subcommands: [RunCommand.self, GradCommand.self, BenchCommand.self, PlotCommand.self]
    )
}
