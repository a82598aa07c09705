import ArgumentParser
import ConfigKit
import JSON
import Tasks
import Storage

/// `swiftgrad validate CONFIG...`: checks configs without running them.
///
/// Each config is read exactly as `run` reads it (its data files included), so a config that
/// passes here fails `run` only for what happens while running. For each it prints
/// `CONFIG: ok` and, unless `--quiet`, a JSON object with the config's values, every default
/// written out (`config`), and what they come to (`resolved`): data sizes, the model's layers
/// and parameter count, the optimizer's hyperparameters, the steps and the checkpoint policy.
/// Warnings a run would print (a header row that looks like data, a class column that looks
/// like a quantity, a batch larger than the training split) go to standard error, each after
/// the config's name. An error is one line on standard error, naming the file, line, column and key path; the
/// command checks every config and exits with status 1 if any failed. A JSON Schema among the
/// files (`Configs/schema.json`, met by `validate Configs/*.json`) is skipped with a note.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check config files without running them, and print what they resolve to.",
        discussion: """
            Reads each config as `swiftgrad run` would, data files included, and prints \
            "CONFIG: ok" followed by {"config": ..., "resolved": ...}: the config's keys with \
            every default filled in, and the data sizes, model layers, parameter count and \
            optimizer hyperparameters they give. Errors go to standard error, one line each; \
            the exit status is 1 when any config has one. Configs/schema.json is the JSON \
            Schema of the same keys, for editors.
            """)

    @Argument(help: "The JSON configs to check.")
    var configs: [String]

    @Flag(help: "Print only the 'ok' lines, not the resolved values.")
    var quiet = false

    func run() throws {
        var failed = false
        for config in configs {
            do {
                let document = try ConfigDocument.load(path: config)
                // `swiftgrad validate Configs/*.json` meets the schema itself: not a config.
                // A schema declares the JSON Schema dialect and has no task; a config that points
                // its $schema there is still a config, and checked as one.
                let root = document.root.objectValue
                if root?["$schema"]?.stringValue?.hasPrefix("https://json-schema.org/") == true, root?["task"] == nil {
                    printLine("\(config): a JSON Schema, not a config; skipped")
                    continue
                }
                let resolved = try TaskLoader.resolve(document: document)
                for line in resolved.task.warnings { printShown("\(config): \(line)") }
                printLine("\(config): ok")
                if !quiet { writeToStandardOutput(try resolved.json.encoded()) }
            } catch {
                printErrorLine(error)
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }
}
