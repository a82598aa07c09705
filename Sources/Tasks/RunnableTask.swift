import Autograd
import ConfigKit
import Foundation
import JSON
import Storage

/// Options of `swiftgrad run` that override or add to what a config says.
package struct RunOptions: Sendable {
    /// Where to write the SVG figure, instead of the config's `plot`.
    package var plotPath: String?
    /// Overrides of the trainer's `workers`, `epochs` and `seed`.
    package var workers: Int?
    package var epochs: Int?
    package var seed: UInt64?
    /// Overrides `training.precision`: what a training run's matrix products compute from.
    package var precision: MatrixPrecision?
    /// How much the task prints through its `log`.
    package var verbosity: Verbosity
    /// How a training run shows its progress (a terminal's redrawn line, or plain lines).
    package var progress: ProgressStyle
    /// Whether a training run that keeps its run folder streams its metrics there
    /// (`metrics.jsonl`, `metrics.csv`, a TensorBoard event file, `metrics.svg`); `--no-metrics`
    /// turns it off.
    package var writesMetrics: Bool
    /// A checkpoint to continue from: a path, or `latest` for the run folder's newest.
    package var resume: String?
    /// Replaces the config's `checkpoint.directory`.
    package var runDirectory: String?
    /// Whether a training run keeps its run folder: checkpoints, the best and the final model.
    /// The command line does; tests of other features leave it off so they write nothing.
    package var keepsRunFolder: Bool
    /// Whether a training run catches SIGINT and SIGTERM to checkpoint before it exits (the
    /// command line does; a library caller keeps its own handlers).
    package var handlesSignals: Bool
    /// The memory a run may need; `nil` for ``MemoryBudget/current(environment:process:)`` at
    /// each estimate (the least of the machine's memory, or `SWIFTGRAD_MAX_MEMORY_MB`, and what
    /// the process's own limits leave).
    package var memoryBudget: MemoryBudget?
    /// The MPI job a training run shares its batches with, when it runs under `mpirun`.
    package var distributed: DistributedRun?

    package init(
        plotPath: String? = nil, workers: Int? = nil, epochs: Int? = nil, seed: UInt64? = nil, verbosity: Verbosity = .normal,
        progress: ProgressStyle = .lines(everySeconds: 10), writesMetrics: Bool = true,
        resume: String? = nil, runDirectory: String? = nil, keepsRunFolder: Bool = false, handlesSignals: Bool = false,
        memoryBudget: MemoryBudget? = nil, precision: MatrixPrecision? = nil
    ) {
        self.plotPath = plotPath
        self.workers = workers
        self.epochs = epochs
        self.seed = seed
        self.verbosity = verbosity
        self.progress = progress
        self.writesMetrics = writesMetrics
        self.resume = resume
        self.runDirectory = runDirectory
        self.keepsRunFolder = keepsRunFolder
        self.handlesSignals = handlesSignals
        self.memoryBudget = memoryBudget
        self.precision = precision
    }
}

extension RunOptions {
    /// Whether the task prints headers and progress, not only its result.
    package var showsProgress: Bool { verbosity != .quiet }
}

/// How much a run prints.
package enum Verbosity: Sendable, Comparable {
    /// The result only: a task's final line (the derivative's values; a training run's
    /// `trained …` line), no headers and no progress.
    case quiet
    /// Headers, progress and the result.
    case normal
    /// Also one line per optimizer step of a training run.
    case verbose
}

/// A config file's task, read and checked before anything runs.
package protocol RunnableTask: Sendable {
    /// The config's `task`: `derivative`, `minimize`, `linear-regression`,
    /// `logistic-regression` or `train`.
    var kind: String { get }

    /// Runs the task, printing progress through `log`, and returns its report.
    func run(options: RunOptions, log: (String) -> Void) throws -> TaskReport

    /// The files the task reads (its data), which no output of the run may replace.
    var inputFiles: [AtomicFile.Input] { get }

    /// What the config comes to beyond its own keys, for `swiftgrad validate`: the sizes of the
    /// data, the model's parameters, the optimizer's hyperparameters as the run will use them.
    var resolvedDescription: JSONObject { get }

    /// Lines for standard error about a config that reads as valid but may not mean what its
    /// author meant (`warning: …`), or about what a value comes to (`note: …`); `swiftgrad run`
    /// and `swiftgrad validate` print them before anything else.
    var warnings: [String] { get }
}

extension RunnableTask {
    package var warnings: [String] { [] }
    package var inputFiles: [AtomicFile.Input] { [] }
    package var resolvedDescription: JSONObject { [:] }
}

/// A config's task together with what the config means: every key with its value or default.
package struct ResolvedConfig: Sendable {
    /// The task, ready to run.
    package let task: any RunnableTask
    /// The config as its readers took it (``ConfigObject/resolved``): the keys as written, and
    /// every absent key that has a default, with that default.
    package let values: JSONObject

    /// `{"config": values, "resolved": task.resolvedDescription}`, as `swiftgrad validate` prints it.
    package var json: JSONValue {
        ["config": .object(values), "resolved": .object(task.resolvedDescription)]
    }
}

/// Reads a config file and makes its task.
///
/// The config's `task` key picks the kind: `derivative`, `minimize`, `linear-regression`,
/// `logistic-regression` or `train`. Everything is validated here (unknown keys, types, ranges,
/// data files and whether the model fits the data), so a bad config fails before any work starts,
/// with an error naming the file, line and key path.
///
/// A top-level `$schema` string is accepted and ignored: editors read it to find
/// `Configs/schema.json`, the JSON Schema of every key.
package enum TaskLoader {
    /// The task kinds a config may name.
    package static let kinds = ["derivative", "minimize", "linear-regression", "logistic-regression", "train"]
    /// The top-level keys of each task kind, for messages about missing keys: those it requires,
    /// then the others it takes, in the order the schema lists them (a test keeps them equal).
    package static let topLevelKeys: [String: (required: [String], optional: [String])] = [
        "derivative": (["task", "expression", "at"], ["order", "$schema"]),
        "minimize": (["task", "expression", "start", "optimizer", "steps"], ["print_every", "$schema"]),
        "linear-regression": (["task", "data", "optimizer", "steps"], ["initial", "loss", "print_every", "plot", "$schema"]),
        "logistic-regression": (["task", "data", "optimizer", "steps"], ["initializer", "print_every", "$schema"]),
        "train": (["task", "data", "model", "training"], ["optimizer", "checkpoint", "$schema"]),
    ]
    /// The `steps` a minimize, linear- or logistic-regression config may ask for.
    package static let stepCounts = 0...1_000_000_000_000

    /// Loads `path` and returns its task.
    package static func load(path: String, options: RunOptions = RunOptions()) throws -> any RunnableTask {
        try load(document: ConfigDocument.load(path: path), options: options)
    }

    /// Makes the task of a config already parsed; its relative paths resolve against the
    /// directory of `document.file`.
    package static func load(document: ConfigDocument, options: RunOptions = RunOptions()) throws -> any RunnableTask {
        try resolve(document: document, options: options).task
    }

    /// Loads `path` and returns its task with the config's values, defaults filled in.
    package static func resolve(path: String, options: RunOptions = RunOptions()) throws -> ResolvedConfig {
        try resolve(document: ConfigDocument.load(path: path), options: options)
    }

    /// Makes the task of a config already parsed, as ``load(document:options:)`` does, and
    /// returns it with the config's values, defaults filled in.
    package static func resolve(document: ConfigDocument, options: RunOptions = RunOptions()) throws -> ResolvedConfig {
        let context = ConfigContext(file: document.file)
        return try document.read { root in
            let kind = try root.require("task", as: String.self, .oneOf(kinds))
            // Every missing key at once, with the keys the task takes.
            let keys = topLevelKeys[kind] ?? (["task"], [])
            try root.requirePresent(keys.required, optional: keys.optional)
            let task: any RunnableTask = switch kind {
            case "derivative": try DerivativeTask(reading: &root, context: context, budget: options.memoryBudget)
            case "minimize": try MinimizeTask(reading: &root, context: context, budget: options.memoryBudget)
            case "linear-regression": try LinearRegressionTask(reading: &root, context: context, budget: options.memoryBudget)
            case "logistic-regression": try LogisticRegressionTask(reading: &root, context: context, budget: options.memoryBudget)
            default: try TrainTask(reading: &root, context: context, overrides: options)
            }
            _ = try root.optional("$schema", as: String.self)  // last, so that messages list the task's keys first
            return ResolvedConfig(task: task, values: root.resolved)
        }
    }
}

/// Where a config came from, for resolving its relative paths and locating errors.
package struct ConfigContext: Sendable {
    /// The config file's path as given.
    package let file: String

    /// The context of the config file at `file`.
    package init(file: String) {
        self.file = file
    }

    /// `path` resolved against the config file's directory when it is relative.
    package func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        let directory = folderPart(of: file)
        let joined = directory.isEmpty ? path : (directory as NSString).appendingPathComponent(path)
        return (joined as NSString).standardizingPath
    }

    /// An error about the value of `key` in `object`, located at that value.
    package func error(in object: ConfigObject, key: String, _ message: String) -> ConfigError {
        let position = object.object.member(key)?.value.position ?? object.position
        return ConfigError(.invalidValue, file: file, position: position, keyPath: object.path.appending(key: key), message: message)
    }

    /// Checks that the data file named by `key` is a path (not empty, without a NUL) that
    /// exists, and returns its resolved path.
    package func existingFile(in object: inout ConfigObject, key: String) throws -> String {
        let given = try object.require(key, as: String.self, .path)
        let resolved = resolve(given)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) else {
            throw error(in: object, key: key, "data file '\(resolved)' does not exist (paths are relative to the config file)")
        }
        guard !isDirectory.boolValue else {
            throw error(in: object, key: key, "'\(resolved)' is a directory; expected a data file (paths are relative to the config file)")
        }
        return resolved
    }
}
