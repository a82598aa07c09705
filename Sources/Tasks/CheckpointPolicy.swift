import ConfigKit
import Foundation
import Storage
import Training

/// Where and when a `"task": "train"` run keeps its model: the config's `checkpoint` object.
///
/// A run folder holds `checkpoints/step-NNNNNNNNN.safetensors` (the last ``keepLast``, written
/// every ``everyEpochs`` epochs and every ``everySteps`` steps), `best.safetensors` (the best
/// evaluation by ``keepBest``, when set) and `model.safetensors` (the model at the end of the run).
package struct CheckpointPolicy: Sendable, Equatable {
    /// The run folder; relative paths are relative to the working directory.
    package var directory: String
    /// Write a checkpoint every this many epochs; 0 writes none at epoch ends.
    package var everyEpochs: Int
    /// Write a checkpoint every this many optimizer steps; `nil` writes none between epochs.
    package var everySteps: Int?
    /// Periodic checkpoints kept; older ones are deleted.
    package var keepLast: Int
    /// Keep `best.safetensors` from the best evaluation by this metric.
    package var keepBest: TrainingMetric?

    /// The folder of the periodic checkpoints.
    package var checkpointsDirectory: String { directory + "/checkpoints" }
    /// The final model's file.
    package var modelPath: String { directory + "/model.safetensors" }
    /// The best evaluation's file.
    package var bestPath: String { directory + "/best.safetensors" }

    /// The file of the periodic checkpoint taken after `step` optimizer steps.
    package func checkpointPath(step: Int) -> String {
        checkpointsDirectory + "/step-" + String(format: "%09d", step) + ".safetensors"
    }

    /// The default run folder of a config: `runs/<config file name without .json>`, or
    /// `runs/run` when that name is empty, `.` or `..` (a config named `..json` must not put
    /// its run in the working directory).
    package static func defaultDirectory(config: String) -> String {
        let file = (config as NSString).lastPathComponent
        // `.json` is a name without a stem, not a hidden file without an extension.
        let name = file.hasSuffix(".json") ? String(file.dropLast(5)) : (file as NSString).deletingPathExtension
        return "runs/" + (name.isEmpty || name == "." || name == ".." ? "run" : name)
    }

    /// The files a run writes directly in its folder, whatever its settings: the final model,
    /// the best checkpoint and the metrics (the TensorBoard event file's name varies with the
    /// time and host; the periodic checkpoints live in ``checkpointsDirectory``).
    package var fixedOutputs: [String] {
        [modelPath, bestPath] + [RunMetrics.jsonName, RunMetrics.csvName, RunMetrics.plotName].map { directory + "/" + $0 }
    }

    /// Reads the `checkpoint` object; every key is optional.
    init(reading object: inout ConfigObject, config: String) throws {
        directory = try object.optional("directory", as: String.self, default: Self.defaultDirectory(config: config), .path)
        everyEpochs = try object.optional("every_epochs", as: Int.self, default: 1, .in(0...1_000_000_000))
        everySteps = try object.optional("every_steps", as: Int.self, .in(1...1_000_000_000_000))
        keepLast = try object.optional("keep_last", as: Int.self, default: 3, .in(1...1_000_000))
        keepBest = try object.optional("keep_best", as: String.self, .oneOf(TrainingMetric.allCases.map(\.rawValue)))
            .flatMap(TrainingMetric.init(rawValue:))
    }

    /// The defaults with the run folder `directory`: the names of the files a run keeps there,
    /// for a command that reads run folders rather than trains (`swiftgrad plot`).
    package init(directory: String) {
        self.init(config: "")
        self.directory = directory
    }

    /// The defaults, for a config without a `checkpoint` object.
    init(config: String) {
        directory = Self.defaultDirectory(config: config)
        everyEpochs = 1
        everySteps = nil
        keepLast = 3
        keepBest = nil
    }

    /// The longest path the system takes (Linux's `PATH_MAX`, its final NUL included) and the
    /// longest name of one folder or file (`NAME_MAX`).
    static let (pathLimit, nameLimit) = (4096, 255)
    /// Room for the longest name the run writes in its `checkpoints` folder, temporary names
    /// included.
    static let longestFileName = 96

    /// Refuses a run folder that cannot be made because it, or a folder on its path, is a file
    /// (`FileManager` would only say "NSCocoaErrorDomain error 512"), or because its path or one
    /// of its names is longer than the system takes: found before any folder is made, so a
    /// refused run leaves none behind.
    ///
    /// - Parameter source: what named the folder, for the advice: `--run-dir` or
    ///   `checkpoint.directory`.
    /// - Throws: `FileError` naming the folder and the file in its way, or the limit it passes.
    package func checkFolderCanBeMade(source: String) throws {
        if let name = directory.split(separator: "/").first(where: { $0.utf8.count > Self.nameLimit }) {
            throw FileError("cannot create the run folder '\(quoted(directory))': its folder name '\(quoted(String(name)))' is \(name.utf8.count) bytes; expected at most \(Self.nameLimit), the system's limit; choose another \(source)")
        }
        let longest = checkpointsDirectory.utf8.count + 1 + Self.longestFileName
        guard longest < Self.pathLimit else {
            throw FileError("cannot create the run folder '\(quoted(directory))': its path is \(directory.utf8.count) bytes, and the paths of the files in it would pass the system's limit of \(Self.pathLimit); expected a path of at most \(Self.pathLimit - 1 - (longest - directory.utf8.count)) bytes; choose another \(source)")
        }
        var path = directory
        while !path.isEmpty {
            var info = stat()
            if stat(path, &info) == 0 {
                guard info.st_mode & S_IFMT != S_IFDIR else { return }
                let kind = info.st_mode & S_IFMT == S_IFREG ? "is a file, not a directory" : "is not a directory"
                if path == directory {
                    throw FileError("cannot use '\(directory)' as the run folder: it \(kind); choose another \(source)")
                }
                throw FileError("cannot create the run folder '\(directory)': '\(path)' \(kind); choose another \(source)")
            }
            let parent = folderPart(of: path)
            if parent == path { return }
            path = parent
        }
    }

    /// The periodic checkpoints in the run folder, oldest first (by step, from their names).
    package func existingCheckpoints() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpointsDirectory)) ?? []
        return names
            .compactMap { name -> (Int, String)? in
                guard let step = Self.step(ofCheckpoint: name) else { return nil }
                return (step, checkpointsDirectory + "/" + name)
            }
            .sorted { $0.0 < $1.0 }
            .map(\.1)
    }

    /// The step a periodic checkpoint's file name (`step-<step>.safetensors`) gives, or `nil`
    /// for another name.
    package static func step(ofCheckpoint path: String) -> Int? {
        let name = (path as NSString).lastPathComponent
        guard name.hasPrefix("step-"), name.hasSuffix(".safetensors") else { return nil }
        return Int(name.dropFirst(5).dropLast(12))
    }
}
