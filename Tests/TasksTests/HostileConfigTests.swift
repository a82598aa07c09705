import ConfigKit
import _TestSupport
import Foundation
import Testing
import SwiftGrad
import Storage
import Tasks

/// Configs with ordinary-looking values that used to trap, allocate what no machine has, or
/// reach a precondition: each now fails while loading, with a message, or runs.
@Suite struct HostileConfigTests {
    /// Writes `config` (and `files`) to a fresh directory and loads it; returns the error's
    /// text with the directory's path replaced by `DIR`, or `loaded` when it loads.
    private func loadFailure(
        _ config: String, files: [String: String] = [:], options: RunOptions = RunOptions(verbosity: .quiet)
    ) throws -> String {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (name, text) in files { try directory.write(name, text) }
        let path = try directory.write("config.json", config)
        do {
            _ = try TaskLoader.load(path: path, options: options)
            return "loaded"
        } catch {
            return "\(error)".replacingOccurrences(of: directory.path, with: "DIR")
        }
    }

    /// A train config on 64 synthetic examples, with `training` and `model` as given.
    private func synthetic(training: String = #""batch_size": 16"#, model: String = #""type": "mlp", "hidden_layers": [8]"#) -> String {
        """
        {"task": "train",
         "data": {"source": "synthetic", "examples": 64, "features": 4, "classes": 3},
         "model": {\(model)},
         "training": {\(training)}}
        """
    }

    private let smallBudget = MemoryBudget(limit: 1 << 30, origin: "a test's 1 GiB")

    // MARK: Integer overflow from ordinary values

    @Test func aSeedBeyondIntMaxTrains() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("config.json", synthetic(training: #""batch_size": 16, "steps": 2"#))
        for seed in [UInt64(Int.max) + 1, UInt64.max] {
            let options = RunOptions(seed: seed, verbosity: .quiet)
            let task = try #require(try TaskLoader.load(path: path, options: options) as? TrainTask)
            #expect(task.options.seed == seed)
            let report = try task.run(options: options) { _ in }
            #expect(report.steps == 2)
            #expect(report.exitStatus == 0)
        }
    }

    @Test(arguments: [
        (#""batch_size": 1000000000000000000"#, "'training.batch_size': expected an integer in [1, 10000000] or \"full\", found 1000000000000000000"),
        (#""batch_size": 16, "epochs": 9223372036854775807"#, "'training.epochs': expected an integer in [1, 1000000]"),
        (#""batch_size": 16, "steps": 9223372036854775807"#, "'training.steps': expected an integer in [1, 1000000000000]"),
        (#""batch_size": 16, "gradient_accumulation": 9223372036854775807"#, "'training.gradient_accumulation': expected an integer in [1, 1000000]"),
        (#""batch_size": 16, "evaluate_every": 9223372036854775807"#, "'training.evaluate_every': expected an integer in [1, 1000000]"),
        (#""batch_size": 16, "micro_shards": 9223372036854775807"#, "'training.micro_shards': expected an integer in [1, 4096]"),
        (#""batch_size": 16, "scale_learning_rate": true, "base_batch_size": 9223372036854775807"#, "'training.base_batch_size': expected an integer in [1, 1000000000]"),
    ])
    func countsBeyondTheirRangeAreErrors(training: String, message: String) throws {
        let failure = try loadFailure(synthetic(training: training))
        #expect(failure.contains("key path \(message)"), "\(failure)")
    }

    @Test func hiddenSizesAndUnitsBeyondTheirRangeAreErrors() throws {
        let mlp = try loadFailure(synthetic(model: #""type": "mlp", "hidden_layers": [8, 9223372036854775807]"#))
        #expect(mlp.hasSuffix("key path 'model.hidden_layers': every layer needs between 1 and 100000000 units, found 9223372036854775807"), "\(mlp)")
        let dense = try loadFailure(synthetic(model: #""type": "sequential", "layers": [{"type": "dense", "units": 9223372036854775807}]"#))
        #expect(dense.hasSuffix("key path 'model.layers[0].units': expected an integer in [1, 100000000], found 9223372036854775807"), "\(dense)")
        let schedule = try loadFailure("""
            {"task": "minimize", "expression": "x^2", "start": {"x": 1}, "steps": 3,
             "optimizer": {"name": "sgd", "schedule": {"type": "cosine", "decay_steps": 9223372036854775807, "warmup_steps": 9223372036854775807}}}
            """)
        #expect(schedule.contains("key path 'optimizer.schedule.decay_steps': expected an integer in [1, 1000000000000]"), "\(schedule)")
    }

    // MARK: Sizes no machine has

    @Test func aModelLargerThanTheBudgetIsRefusedBeforeAnythingIsAllocated() throws {
        let options = RunOptions(verbosity: .quiet, memoryBudget: smallBudget)
        let failure = try loadFailure(synthetic(model: #""type": "mlp", "hidden_layers": [100000000]"#), options: options)
        // 4 × 10⁸ + 10⁸ + 10⁸ × 3 + 3 parameters; Adam's two slots; eight micro-shard slots.
        #expect(failure.hasPrefix("'DIR/config.json' trains a model of 800000003 parameters that would need about "), "\(failure)")
        #expect(failure.contains("gradient slots 23.8 GiB, parameters and optimizer state 11.9 GiB"), "\(failure)")
        #expect(failure.hasSuffix("more than the 1.0 GiB of a test's 1 GiB; use a smaller model, batch_size or data set, or set SWIFTGRAD_MAX_MEMORY_MB to change the limit"), "\(failure)")
        // Shapes whose sizes overflow an Int are refused just the same, without a trap.
        let huge = Array(repeating: #"{"type": "dense", "units": 100000000}"#, count: 40).joined(separator: ", ")
        let overflowing = try loadFailure(synthetic(model: #""type": "sequential", "layers": [\#(huge), {"type": "dense", "units": 3}]"#), options: options)
        #expect(overflowing.contains("would need more than 8 EiB of memory"), "\(overflowing)")
        // The same config with a small model fits.
        #expect(try loadFailure(synthetic(), options: options) == "loaded")
    }

    /// A data file's values are counted as they are read: one too large for the budget stops at
    /// the row that passes it, before the rest is read.
    @Test func aDataFileLargerThanTheBudgetStopsWhereItPassesIt() throws {
        let rows = "a,b,label\n" + (0..<200).map { "\($0),\($0 * 2),\($0 % 2)" }.joined(separator: "\n") + "\n"
        let config = #"{"task": "train", "data": {"source": "csv", "path": "d.csv"}, "model": {"type": "logistic"}, "training": {"epochs": 1, "batch_size": 8}}"#
        // 1200 bytes hold 100 values at 12 bytes each; the header's names weigh 7 of them, its
        // three columns 33 and the two labels' text 18, so the 15th row, bringing the rows'
        // values to 45, passes the limit.
        let tight = RunOptions(verbosity: .quiet, memoryBudget: MemoryBudget(limit: 1200, origin: "a test's limit"))
        let failure = try loadFailure(config, files: ["d.csv": rows], options: tight)
        #expect(failure == "DIR/d.csv:16: the file holds more than 100 values in the columns read (the text kept or buffered, such as class labels or a long field, counted as values of the same memory), more than the 1.2 KiB of a test's limit holds with their copies while the data is prepared; use a smaller file or fewer columns, or more memory", "\(failure)")
        let roomy = RunOptions(verbosity: .quiet, memoryBudget: MemoryBudget(limit: 1 << 20, origin: "a test's limit"))
        #expect(try loadFailure(config, files: ["d.csv": rows], options: roomy) == "loaded")
        // Long distinct labels weigh as their text: 100 labels of 20 000 bytes pass 1 MiB.
        let labelled = "a,b,label\n" + (0..<100).map { "\($0),\($0 * 2),\(String(repeating: "x", count: 20_000))\($0)" }.joined(separator: "\n") + "\n"
        let heavy = try loadFailure(config.replacingOccurrences(of: #""type": "logistic""#, with: #""type": "softmax""#), files: ["d.csv": labelled], options: roomy)
        #expect(heavy.hasPrefix("DIR/d.csv:") && heavy.contains("the file holds more than "), "\(heavy.prefix(300))")
        // A record being read is buffered whole: one field of 3 MB in a column no task reads
        // passes 1 MiB before the record ends.
        let longField = "a,b,z\n1,2,s\n3,4," + String(repeating: "q", count: 3_000_000) + "\n"
        let linear = #"{"task": "linear-regression", "data": {"path": "d.csv", "feature": "a", "label": "b"}, "optimizer": {"name": "sgd"}, "steps": 1}"#
        let buffered = try loadFailure(linear, files: ["d.csv": longField], options: roomy)
        #expect(buffered.hasPrefix("DIR/d.csv:3: the file holds more than "), "\(buffered.prefix(300))")
        // The lecture's regressions read CSV files under the same bound.
        for other in [
            #"{"task": "linear-regression", "data": {"path": "d.csv", "feature": "a", "label": "b"}, "optimizer": {"name": "sgd"}, "steps": 1}"#,
            #"{"task": "logistic-regression", "data": {"path": "d.csv"}, "optimizer": {"name": "sgd"}, "steps": 1}"#,
        ] {
            let failure = try loadFailure(other, files: ["d.csv": rows], options: tight)
            #expect(failure.hasPrefix("DIR/d.csv:") && failure.contains("the file holds more than 100 values"), "\(failure)")
            #expect(try loadFailure(other, files: ["d.csv": rows], options: roomy) == "loaded")
        }
    }

    /// Fields are bounded too. A row wider than the first is ragged: its fields past the
    /// first's count are counted, not kept, so the message still gives their number. A first
    /// row whose columns alone would pass the budget (11 values each with a header: the field's
    /// place, its index, its name and its copies; 6 without) stops at the field that passes it;
    /// one just below it leaves no room for the values, which share the budget.
    @Test func aRowOfMoreFieldsThanTheBudgetHoldsIsRefusedWhileItIsRead() throws {
        let config = #"{"task": "train", "data": {"source": "csv", "path": "d.csv"}, "model": {"type": "logistic"}, "training": {"epochs": 1, "batch_size": 8}}"#
        let roomy = RunOptions(verbosity: .quiet, memoryBudget: MemoryBudget(limit: 1 << 20, origin: "a test's limit"))
        let wide = "a,b,label\n1,2,0\n" + String(repeating: "1,", count: 100_000) + "1\n3,4,1\n"
        #expect(try loadFailure(config, files: ["d.csv": wide], options: roomy) == "DIR/d.csv:3: expected 3 fields, found 100001")
        // 1 MiB holds 87 381 values of 12 bytes: 7943 columns with a header, 14 563 without.
        func refusal(_ limit: Int) -> String {
            "DIR/d.csv:1: the first row has more than \(limit) fields, more than the 1.0 MiB of a test's limit holds while the file is read; use a file with fewer columns, or more memory"
        }
        func header(_ columns: Int) -> String { (0..<columns - 1).map { "c\($0)" }.joined(separator: ",") + ",label\n" }
        func row(_ columns: Int) -> String { String(repeating: "1,", count: columns - 1) + "0\n" }
        #expect(try loadFailure(config, files: ["d.csv": header(7944) + row(7944)], options: roomy) == refusal(7943))
        let headless = config.replacingOccurrences(of: #""path": "d.csv""#, with: #""path": "d.csv", "header": false"#)
        #expect(try loadFailure(headless, files: ["d.csv": row(14_564) + row(14_564)], options: roomy) == refusal(14_563))
        // At the limit the header is read, and its columns with the first row's values pass it.
        let full = try loadFailure(config, files: ["d.csv": header(7943) + row(7943)], options: roomy)
        #expect(full.hasPrefix("DIR/d.csv:2: the file holds more than 87381 values"), "\(full.prefix(200))")
        // A thousand columns of two classes load.
        #expect(try loadFailure(config, files: ["d.csv": header(1000) + row(1000) + row(1000).replacingOccurrences(of: ",0\n", with: ",1\n")], options: roomy) == "loaded")
    }

    /// A model's layers are bounded: each costs every step tape entries and buffers, and a list
    /// of a million would take minutes a step and memory no estimate of its arithmetic shows.
    @Test func aModelOfMoreThanAThousandLayersIsRefused() throws {
        let deep = try loadFailure(synthetic(model: #""type": "mlp", "hidden_layers": [\#(Array(repeating: "2", count: 1000).joined(separator: ", "))]"#))
        #expect(deep.hasSuffix("key path 'model.hidden_layers': a model has at most 1000 layers, so at most 999 hidden ones; found 1000"), "\(deep)")
        #expect(try loadFailure(synthetic(model: #""type": "mlp", "hidden_layers": [\#(Array(repeating: "2", count: 999).joined(separator: ", "))]"#)) == "loaded")
        let layers = Array(repeating: #"{"type": "dropout", "rate": 0.5}"#, count: 1000) + [#"{"type": "dense", "units": 3}"#]
        let sequential = try loadFailure(synthetic(model: #""type": "sequential", "layers": [\#(layers.joined(separator: ", "))]"#))
        #expect(sequential.hasSuffix("key path 'model.layers': a model has at most 1000 layers; this one has more"), "\(sequential)")
        #expect(try loadFailure(synthetic(model: #""type": "sequential", "layers": [\#(layers.dropFirst().joined(separator: ", "))]"#)) == "loaded")
    }

    /// A bound is checked as written too: a value that only rounds onto it as a Float is out.
    @Test func aValueThatRoundsOntoItsBoundIsRefused() throws {
        let alpha = try loadFailure(#"{"task": "minimize", "expression": "x^2", "start": {"x": 5}, "optimizer": {"name": "sgd", "schedule": {"type": "cosine", "alpha": 1.00000001}}, "steps": 2}"#)
        #expect(alpha.hasSuffix("key path 'optimizer.schedule.alpha': expected a number in [0, 1], found 1.00000001"), "\(alpha)")
        let stddev = try loadFailure(
            #"{"task": "logistic-regression", "data": {"path": "d.csv"}, "initializer": {"stddev": 1000000.01}, "optimizer": {"name": "adam"}, "steps": 1}"#,
            files: ["d.csv": "a,y\n1,0\n2,1\n3,0\n4,1\n"])
        #expect(stddev.contains("key path 'initializer.stddev': expected a number in [0, 1000000"), "\(stddev)")
        #expect(try loadFailure(#"{"task": "minimize", "expression": "x^2", "start": {"x": 5}, "optimizer": {"name": "sgd", "schedule": {"type": "cosine", "alpha": 1}}, "steps": 2}"#) == "loaded")
    }

    /// The default run folder is the config file's name without `.json`; `runs/run` when that
    /// leaves nothing usable.
    @Test(arguments: [
        ("train.json", "runs/train"), ("a/b/x.y.json", "runs/x.y"), (".json", "runs/run"), ("..json", "runs/run"),
        ("...json", "runs/run"), ("cfg", "runs/cfg"), (".hidden.json", "runs/.hidden"),
    ])
    func theDefaultRunFolderIsTheConfigsName(config: String, folder: String) {
        #expect(CheckpointPolicy.defaultDirectory(config: config) == folder)
    }

    /// A train config without an optimizer still knows the key, so a misspelling is named.
    @Test func aMisspeltOptionalOptimizerGetsASuggestion() throws {
        let failure = try loadFailure(synthetic().replacingOccurrences(of: #""training""#, with: #""optimiser": {"name": "sgd"}, "training""#))
        #expect(failure.contains("key path 'optimiser': unknown key (did you mean 'optimizer'?)"), "\(failure)")
    }

    @Test func theBudgetComesFromTheEnvironmentOrThePhysicalMemory() throws {
        let unlimited = MemoryBudget.ProcessLimits(addressSpace: nil, data: nil)
        let fromVariable = try MemoryBudget.current(environment: ["SWIFTGRAD_MAX_MEMORY_MB": "512"], process: unlimited)
        #expect(fromVariable == MemoryBudget(limit: 512 << 20, origin: "SWIFTGRAD_MAX_MEMORY_MB=512"))
        let least = try MemoryBudget.current(environment: [:], process: unlimited)
        let limits = [MemoryBudget.physicalMemory, MemoryBudget.controlGroupLimit].compactMap { $0 }
        #expect(least.limit == limits.min())
        if least.limit == MemoryBudget.physicalMemory { #expect(least.origin == "the machine's physical memory") }
        for bad in ["0", "-5", "lots", "9223372036854775807"] {
            let error = try #require(throws: MemoryBudgetError.self) { try MemoryBudget.current(environment: ["SWIFTGRAD_MAX_MEMORY_MB": bad]) }
            #expect(error.description.hasPrefix("SWIFTGRAD_MAX_MEMORY_MB='\(bad)' is not a memory size"))
        }
    }

    /// The process's own limits count what it already uses, and hold whatever
    /// `SWIFTGRAD_MAX_MEMORY_MB` says: past them an allocation fails, which no swap prevents.
    @Test func theProcessLimitsCountWhatItUsesAndHoldOverTheVariable() throws {
        let process = MemoryBudget.ProcessLimits(
            addressSpace: 400 << 20, data: 900 << 20, addressSpaceInUse: 150 << 20, dataInUse: 20 << 20)
        let addressSpace = MemoryBudget(
            limit: 250 << 20, origin: "the process's address-space limit (ulimit -v) less the 150.0 MiB it has mapped",
            remedy: "raise that limit (ulimit -v)")
        #expect(try MemoryBudget.current(environment: [:], process: process) == addressSpace)
        #expect(try MemoryBudget.current(environment: ["SWIFTGRAD_MAX_MEMORY_MB": "100000"], process: process) == addressSpace)
        // Below what is left, the variable still lowers the limit.
        #expect(try MemoryBudget.current(environment: ["SWIFTGRAD_MAX_MEMORY_MB": "100"], process: process).limit == 100 << 20)
        let data = MemoryBudget.ProcessLimits(addressSpace: nil, data: 64 << 20, dataInUse: 16 << 20)
        #expect(try MemoryBudget.current(environment: ["SWIFTGRAD_MAX_MEMORY_MB": "512"], process: data)
            == MemoryBudget(
                limit: 48 << 20, origin: "the process's data-segment limit (ulimit -d) less the 16.0 MiB it uses",
                remedy: "raise that limit (ulimit -d)"))
        let threads = MemoryBudget.ProcessLimits(addressSpace: 400 << 20, data: nil, addressSpaceInUse: 150 << 20, threadStacks: 64 << 20)
        #expect(try MemoryBudget.current(environment: [:], process: threads) == MemoryBudget(
            limit: 186 << 20,
            origin: "the process's address-space limit (ulimit -v) less the 150.0 MiB it has mapped and 64.0 MiB for the stacks of its threads",
            remedy: "raise that limit (ulimit -v)"))
        // A process that already uses more than its limit has nothing left, not a negative budget.
        let spent = MemoryBudget.ProcessLimits(addressSpace: 100 << 20, data: nil, addressSpaceInUse: 200 << 20)
        #expect(try MemoryBudget.current(environment: [:], process: spent).limit == 0)
        // This process: what statm says it uses is counted.
        let now = MemoryBudget.ProcessLimits.current
        #expect(now.addressSpaceInUse > 0 && now.dataInUse > 0 && now.dataInUse <= now.addressSpaceInUse)
        // Stacks for the threads a run may still start: a thread per core and four more, less
        // those running, whose stacks are mapped already.
        #expect(MemoryBudget.ProcessLimits.stacksToReserve(cores: 2, running: 6, stackLimit: 8 << 20) == 0)
        #expect(MemoryBudget.ProcessLimits.stacksToReserve(cores: 2, running: 1, stackLimit: 8 << 20) == 5 * (8 << 20))
        #expect(MemoryBudget.ProcessLimits.stacksToReserve(cores: 64, running: 6, stackLimit: nil) == 62 * (8 << 20))
        #expect(MemoryBudget.ProcessLimits.stacksToReserve(cores: 4, running: 2, stackLimit: 1 << 30) == 6 * (64 << 20))
    }

    @Test func aClassLabelOfMillionsIsOneClassAmongTheDistinctLabels() throws {
        let csv = "a,b,label\n1,2,0\n2,3,9999999\n3,4,1\n4,5,2\n5,6,0\n"
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("data.csv", csv)
        let path = try directory.write(
            "config.json",
            #"{"task": "train", "data": {"source": "csv", "path": "data.csv", "test_fraction": 0}, "model": {"type": "mlp", "hidden_layers": [2]}, "training": {"batch_size": 2}}"#)
        let task = try #require(try TaskLoader.load(path: path) as? TrainTask)
        #expect(task.data.train.classCount == 4)
        #expect(task.data.train.classNames == ["0", "1", "2", "9999999"])
    }

    @Test func moreDistinctLabelsThanClassesAreRefusedAtTheirLine() throws {
        let csv = "a,label\n" + (0...100_000).map { "1,\($0)\n" }.joined()
        let failure = try loadFailure(
            #"{"task": "train", "data": {"source": "csv", "path": "data.csv"}, "model": {"type": "logistic"}, "training": {"batch_size": 2}}"#,
            files: ["data.csv": csv])
        #expect(failure.hasSuffix("key path 'data.kind': DIR/data.csv:100002, column 'label': more than 100000 distinct labels; expected at most 100000 classes, or read the column as regression targets; set \"kind\": \"regression\" to predict the column as a number"), "\(failure)")
    }

    @Test func aMinimisationOfAlmostEndlessStepsIsRefusedBeforeItReserves() throws {
        let endless = try loadFailure(#"{"task": "minimize", "expression": "x^2", "start": {"x": 1}, "steps": 1000000000000, "optimizer": {"name": "sgd"}}"#)
        #expect(endless.hasPrefix("'DIR/config.json': 1000000000000 steps, whose trajectory is kept, would need about "), "\(endless)")
        #expect(endless.contains("ask for fewer steps"), "\(endless)")
        let beyond = try loadFailure(#"{"task": "minimize", "expression": "x^2", "start": {"x": 1}, "steps": 9223372036854775807, "optimizer": {"name": "sgd"}}"#)
        #expect(beyond.hasSuffix("key path 'steps': expected an integer in [0, 1000000000000], found 9223372036854775807"), "\(beyond)")
    }

    /// Differentiating an expression takes memory in proportion to its operations, twice over
    /// for second derivatives: one too long for the budget is refused before its tapes are made,
    /// in a derivative and a minimisation alike.
    @Test func anExpressionTooLongForTheBudgetIsRefusedBeforeItIsDifferentiated() throws {
        // 1000 factors and 999 operators: 1999 operations.
        let product = Array(repeating: "x", count: 1000).joined(separator: "*")
        let tight = RunOptions(verbosity: .quiet, memoryBudget: MemoryBudget(limit: 2 << 20, origin: "a test's limit"))
        let second = try loadFailure(#"{"task": "derivative", "expression": "\#(product)", "at": {"x": 1}, "order": 2}"#, options: tight)
        #expect(second == "'DIR/config.json': the expression's 1999 operations, differentiated twice, would need about 3.9 MiB of memory (tapes 3.9 MiB), more than the 2.0 MiB of a test's limit; shorten the expression, or ask for first derivatives only, or set SWIFTGRAD_MAX_MEMORY_MB to change the limit", "\(second)")
        // First derivatives take a quarter of that, which fits.
        #expect(try loadFailure(#"{"task": "derivative", "expression": "\#(product)", "at": {"x": 1}}"#, options: tight) == "loaded")
        let tighter = RunOptions(verbosity: .quiet, memoryBudget: MemoryBudget(limit: 512 << 10, origin: "a test's limit"))
        let minimize = try loadFailure(#"{"task": "minimize", "expression": "\#(product)", "start": {"x": 1}, "steps": 1, "optimizer": {"name": "sgd"}}"#, options: tighter)
        #expect(minimize.hasPrefix("'DIR/config.json': the expression's 1999 operations, differentiated once, would need about 999.5 KiB of memory (tape 999.5 KiB), more than the 512.0 KiB of a test's limit; shorten the expression"), "\(minimize)")
    }

    // MARK: Values valid as Double but not as Float

    @Test func numbersAreCheckedInTheTypeTheyAreUsedAs() throws {
        let dropout = try loadFailure(synthetic(model: #""type": "sequential", "layers": [{"type": "dropout", "rate": 0.99999999}, {"type": "dense", "units": 3}]"#))
        #expect(dropout.hasSuffix("key path 'model.layers[0].rate': expected a number in [0, 1), found 0.99999999 (it is 1 as a 32-bit float, which dropout computes in)"), "\(dropout)")
        let scaled = try loadFailure("""
            {"task": "train", "data": {"source": "synthetic", "examples": 64, "features": 4, "classes": 3},
             "model": {"type": "logistic"}, "optimizer": {"name": "sgd", "learning_rate": 3e38},
             "training": {"batch_size": 1024, "scale_learning_rate": true, "base_batch_size": 1}}
            """)
        #expect(scaled.contains("key path 'optimizer.learning_rate': the learning rate 3e+38 times the linear scaling rule's factor 1024.0 is inf as a 32-bit float"), "\(scaled)")
        let epsilon = try loadFailure(#"{"task": "minimize", "expression": "x^2", "start": {"x": 1}, "steps": 3, "optimizer": {"name": "adam", "epsilon": 1e-50}}"#)
        #expect(epsilon.contains("key path 'optimizer.epsilon': expected a number > 0, found 1e-50 (it is 0 as a 32-bit float"), "\(epsilon)")
        let stddev = try loadFailure(
            #"{"task": "logistic-regression", "data": {"path": "d.csv"}, "initializer": {"stddev": 1e30}, "steps": 1, "optimizer": {"name": "adam"}}"#,
            files: ["d.csv": "x,y\n1,0\n2,1\n3,0\n"])
        #expect(stddev.hasSuffix("key path 'initializer.stddev': expected a number in [0, 1000000], found 1e30"), "\(stddev)")
    }

    @Test func aFeatureOrTargetBeyondFloatIsRefusedWithItsLine() throws {
        let train = #"{"task": "train", "data": {"source": "csv", "path": "d.csv", "kind": "regression"}, "model": {"type": "linear"}, "training": {"batch_size": 2}}"#
        let feature = try loadFailure(train, files: ["d.csv": "x,y\n1,2\n1e39,3\n"])
        #expect(feature == "DIR/d.csv:3, column 'x': '1e39' is not a finite 32-bit float; expected a number within ±3.4028235e+38")
        let target = try loadFailure(train, files: ["d.csv": "x,y\n1,2\n2,1e39\n"])
        #expect(target == "DIR/d.csv:3, column 'y': '1e39' is not a finite 32-bit float; expected a number within ±3.4028235e+38")
    }

    // MARK: Preconditions a config could reach

    @Test func aCSVWithOnlyTheLabelIsAnError() throws {
        let failure = try loadFailure(
            #"{"task": "train", "data": {"source": "csv", "path": "d.csv"}, "model": {"type": "logistic"}, "training": {"batch_size": 2}}"#,
            files: ["d.csv": "label\n0\n1\n"])
        #expect(failure == "DIR/d.csv: the only column is the label, column 'label'; expected at least one feature column besides it")
    }

    @Test func aTestFractionWithoutTrainingRowsIsAnErrorBeforeStandardising() throws {
        let failure = try loadFailure(
            #"{"task": "logistic-regression", "data": {"path": "d.csv", "standardize": "train_rows", "test_fraction": 0.9}, "steps": 1, "optimizer": {"name": "adam"}}"#,
            files: ["d.csv": "x,y\n1,0\n2,1\n3,0\n"])
        #expect(failure.hasSuffix("key path 'data.test_fraction': 0.9 leaves no training rows out of 3; expected a fraction that leaves at least one"), "\(failure)")
    }

    // MARK: Results that are not numbers

    @Test func aDerivativeThatIsNotFiniteFailsTheRun() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("d.json", #"{"task": "derivative", "expression": "log(x)", "at": {"x": 0}}"#)
        let report = try TaskLoader.load(path: path).run(options: RunOptions(verbosity: .quiet)) { _ in }
        #expect(report.exitStatus == 1)
        #expect(report.failure == "not a finite number at x = 0: the value is -inf, d/dx is inf")
    }

    @Test func aMinimisationThatDivergesFailsTheRun() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(
            "m.json", #"{"task": "minimize", "expression": "-x^2", "start": {"x": 1}, "steps": 200, "optimizer": {"name": "sgd", "learning_rate": 1}}"#)
        let report = try TaskLoader.load(path: path).run(options: RunOptions(verbosity: .quiet)) { _ in }
        #expect(report.exitStatus == 1)
        #expect(report.failure?.hasPrefix("the minimisation diverged: after 200 steps the value is ") == true, "\(report.failure ?? "")")
    }

    @Test func aRegressionThatDivergesFailsTheRun() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("d.csv", "x,y\n3e38,1\n-3e38,2\n1,3\n")
        let path = try directory.write("l.json", #"{"task": "linear-regression", "data": {"path": "d.csv"}, "steps": 5, "optimizer": {"name": "sgd"}}"#)
        let report = try TaskLoader.load(path: path).run(options: RunOptions(verbosity: .quiet)) { _ in }
        #expect(report.exitStatus == 1)
        #expect(report.failure?.hasPrefix("the run diverged: after 5 steps the loss is ") == true, "\(report.failure ?? "")")
    }

    @Test func aClassifierOnOneClassIsAnError() throws {
        let failure = try loadFailure(
            #"{"task": "train", "data": {"source": "csv", "path": "d.csv"}, "model": {"type": "logistic"}, "training": {"batch_size": 2}}"#,
            files: ["d.csv": "x,label\n1,0\n2,0\n"])
        #expect(failure.hasSuffix("key path 'data.path': 'DIR/d.csv' has only one class (0); a classifier needs at least two classes (or \"kind\": \"regression\")"), "\(failure)")
    }

    @Test func aClassifierOnOneDigitIsAnError() throws {
        // The digits format names ten classes whatever the file holds: its one class is refused as a csv file's is.
        let zeros = Array(repeating: Array(repeating: "0", count: 65).joined(separator: ","), count: 8).joined(separator: "\n") + "\n"
        let failure = try loadFailure(
            #"{"task": "train", "data": {"source": "digits", "path": "d.csv"}, "model": {"type": "mlp", "hidden_layers": [4]}, "training": {"batch_size": 2}}"#,
            files: ["d.csv": zeros])
        #expect(failure.hasSuffix("key path 'data.path': 'DIR/d.csv' has only one class (0); a classifier needs at least two classes"), "\(failure)")
    }

    /// Every key that names a file or folder, with a NUL in its path: the system's calls read a
    /// path up to its first NUL, so `d.csv\u0000x` would be `d.csv` and `out\u0000.svg` `out`.
    @Test(arguments: [
        (#""task": "linear-regression", "data": {"path": "d.csv\u0000x"}, "optimizer": {"name": "sgd"}, "steps": 1"#, "data.path"),
        (#""task": "linear-regression", "data": {"path": "d.csv"}, "optimizer": {"name": "sgd"}, "steps": 1, "plot": "out\u0000.svg""#, "plot"),
        (#""task": "logistic-regression", "data": {"source": "csv", "path": "d.csv\u0000x"}, "optimizer": {"name": "sgd"}, "steps": 1"#, "data.path"),
        (#""task": "logistic-regression", "data": {"source": "digits", "path": "digits.csv\u0000x"}, "optimizer": {"name": "sgd"}, "steps": 1"#, "data.path"),
        (#""task": "train", "data": {"source": "csv", "path": "d.csv\u0000x"}, "model": {"type": "logistic"}, "training": {"batch_size": 2}"#, "data.path"),
        (#""task": "train", "data": {"source": "digits", "path": "digits.csv\u0000x"}, "model": {"type": "logistic"}, "training": {"batch_size": 2}"#, "data.path"),
        (#""task": "train", "data": {"source": "csv", "path": "d.csv"}, "model": {"type": "logistic"}, "training": {"batch_size": 2}, "checkpoint": {"directory": "r\u0000x"}"#, "checkpoint.directory"),
    ])
    func aPathWithANulIsRefusedAtItsKeyPath(keys: String, keyPath: String) throws {
        let digits = (0..<4).map { Array(repeating: "\($0 % 2)", count: 65).joined(separator: ",") }.joined(separator: "\n") + "\n"
        let failure = try loadFailure("{\(keys)}", files: ["d.csv": "x,y\n1,0\n2,1\n3,0\n4,1\n", "digits.csv": digits])
        #expect(failure.contains("key path '\(keyPath)': expected a non-empty path without the NUL character (U+0000, which no path can hold), found \""), "\(failure)")
        #expect(failure.hasSuffix("\\u0000x\"") || failure.hasSuffix("\\u0000.svg\""), "\(failure)")
    }

    @Test func aTaskNamesItsDataFileAsAnInput() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("d.csv", "x,y\n1,2\n2,4\n")
        let path = try directory.write("l.json", #"{"task": "linear-regression", "data": {"path": "d.csv"}, "steps": 1, "optimizer": {"name": "sgd"}}"#)
        let task = try TaskLoader.load(path: path)
        #expect(task.inputFiles == [AtomicFile.Input(directory.path + "/d.csv", role: "data file")])
    }
}
