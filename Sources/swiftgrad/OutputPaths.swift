#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation
import Reports
import Storage
import Tasks

/// A file a command writes: the flag (or config key) that named it, for messages, and its path.
struct OutputPath {
    var flag: String
    var path: String

    /// The outputs among `options` (a flag and its value, nil when not given) that were given, in order.
    static func given(_ options: KeyValuePairs<String, String?>) -> [OutputPath] {
        options.compactMap { flag, path in path.map { OutputPath(flag: flag, path: $0) } }
    }
}

/// Refuses a path option given as the empty string, which would otherwise mean the working
/// directory (`--run-dir ""` put a run's files in `/`) or give a message about something else.
///
/// - Parameter options: each option's name and value (nil when it was not given).
/// - Throws: `ValidationError` naming the first empty option.
func refuseEmptyPaths(_ options: KeyValuePairs<String, String?>) throws {
    for (name, value) in options where value == "" {
        throw ValidationError("\(name) needs a path, got an empty string")
    }
}

/// Checks a command's outputs before it does any work, so that no output destroys what the
/// command reads or writes otherwise:
///
/// - no two outputs are one file (by any spelling, existing or not);
/// - no output is one of `inputs`, by device and inode;
/// - no output is a file of the training run's folder that the run writes (`runFolder`);
/// - no output is a file a run writes in a run folder it reads (`readRunFolders`) or in any
///   folder above the output that holds a run, and, for a command that reads run folders
///   (`plot`), no other existing file there but a figure
///   (``readRunFolderRole(of:runFolders:refusingOtherFiles:)``);
/// - each can be written (``AtomicFile/checkWritable(_:inputs:links:)``), or lies directly in
///   the run folder that `runFolder` is about to make.
///
/// - Parameters:
///   - outputs: the files the command will write.
///   - inputs: the files it reads: config, data, checkpoint, metrics.
///   - runFolder: the checkpoint policy of a training run that keeps its folder, or nil.
///   - readRunFolders: the run folders the command reads, whose files it must leave alone.
/// - Throws: `FileError` naming the path, the flag and what is wrong.
func checkOutputs(
    _ outputs: [OutputPath], inputs: [AtomicFile.Input], runFolder: CheckpointPolicy? = nil, readRunFolders: [String] = []
) throws {
    for (index, output) in outputs.enumerated() {
        if let other = outputs[..<index].first(where: { AtomicFile.namesSameFile($0.path, output.path) }) {
            throw FileError("cannot write '\(output.path)': both \(other.flag) and \(output.flag) name it; choose a file for each")
        }
        do {
            if let stream = standardStream(named: output.path) {
                throw FileError("cannot write '\(output.path)': it is this command's \(stream), whose lines the file would replace; give it a file of its own")
            }
            try AtomicFile.checkNotInput(output.path, inputs: inputs)
            if let runFolder, let role = runFolderRole(of: output.path, in: runFolder) {
                throw FileError("cannot write '\(output.path)': \(role); choose another path")
            }
            if let role = readRunFolderRole(of: output.path, runFolders: readRunFolders, refusingOtherFiles: !readRunFolders.isEmpty) {
                throw FileError("cannot write '\(output.path)': \(role); choose another path")
            }
            // An output in the run folder the run is about to make (its report, say) is checked
            // once the folder is made, as the run's own files are; the folder itself has been.
            let canonical = AtomicFile.canonicalPath(output.path)
            if let runFolder, folderPart(of: canonical) == AtomicFile.canonicalPath(runFolder.directory),
               !FileManager.default.fileExists(atPath: runFolder.directory)
            {
                continue
            }
            try AtomicFile.checkWritable(output.path, inputs: inputs)
        } catch let error as FileError {
            throw error.naming(output.flag, of: output.path)
        }
    }
}

/// `standard output` or `standard error` when `path` names the file this process writes that
/// stream to (`/dev/stdout` with standard output redirected to a log, or the log's own path):
/// an output written there atomically would replace the file and the lines already in it.
/// Nil for any other path, and for a stream that is not a regular file (a pipe or a terminal,
/// which the checks that follow refuse as such).
func standardStream(named path: String) -> String? {
    var named = stat()
    guard stat(path, &named) == 0, named.st_mode & S_IFMT == S_IFREG else { return nil }
    for (descriptor, stream) in [(STDOUT_FILENO, "standard output"), (STDERR_FILENO, "standard error")] {
        var info = stat()
        if fstat(descriptor, &info) == 0, info.st_dev == named.st_dev, info.st_ino == named.st_ino { return stream }
    }
    return nil
}

extension FileError {
    /// The error with the flag that named the file beside its path: `cannot write 'r.json'
    /// (--report): …`.
    func naming(_ flag: String, of path: String) -> FileError {
        let start = "cannot write '\(quoted(path, limit: FileError.messageLimit))'"
        guard message.hasPrefix(start) else { return FileError("\(flag): \(message)") }
        return FileError(start + " (\(flag))" + message.dropFirst(start.count))
    }
}

/// Why a write of `path` would replace something the training run whose folder `policy`
/// describes writes or needs there (`it is the model that this run saves in its run folder
/// 'pe'`); nil when it is elsewhere.
///
/// Paths are compared by ``AtomicFile/canonicalPath(_:)``, so the answer is the same before the
/// run folder exists, and for any spelling or symbolic link.
func runFolderRole(of path: String, in policy: CheckpointPolicy) -> String? {
    let output = AtomicFile.canonicalPath(path)
    let folder = AtomicFile.canonicalPath(policy.directory)
    let inFolder = "in its run folder '\(policy.directory)'"
    if output == folder { return "it is the run folder '\(policy.directory)' of this run" }
    if folder.hasPrefix(output + "/") { return "it is a folder above the run folder '\(policy.directory)' of this run" }
    let checkpoints = AtomicFile.canonicalPath(policy.checkpointsDirectory)
    if output == checkpoints { return "it is the checkpoints folder that this run makes \(inFolder)" }
    if output.hasPrefix(checkpoints + "/") { return "it lies in the checkpoints folder that this run keeps \(inFolder)" }
    if output == AtomicFile.canonicalPath(policy.modelPath) { return "it is the model that this run saves \(inFolder)" }
    if output == AtomicFile.canonicalPath(policy.bestPath) { return "it is the best checkpoint that this run keeps \(inFolder)" }
    guard folderPart(of: output) == folder else { return nil }
    let name = (output as NSString).lastPathComponent
    if policy.fixedOutputs.contains(where: { ($0 as NSString).lastPathComponent == name }) {
        return "it is a metrics file that this run writes \(inFolder)"
    }
    if TensorBoardEventFile.isEventFileName(name) { return "it is named like the TensorBoard event file that this run writes \(inFolder)" }
    return nil
}

/// Why a write of `path` would replace a file of a training run's folder that a command reads
/// rather than trains: one of `runFolders`, or any folder above `path` that holds a run's
/// `metrics.jsonl`, model, best checkpoint or periodic checkpoints; nil when it would replace
/// none.
///
/// In such a folder a file the run writes is refused whether it exists or not, by its name
/// (`model.safetensors`, `best.safetensors`, the metrics files, `metrics.svg` included, a
/// TensorBoard event file, anything in `checkpoints/`), compared by
/// ``AtomicFile/canonicalPath(_:)`` so that any spelling or symbolic link counts. With
/// `refusingOtherFiles`, any other file that exists there is refused too, except an SVG figure,
/// which `swiftgrad plot` may draw again. An existing `path` is also compared by device and
/// inode with the files of `runFolders`, so a hard link to one of them is caught where it lies.
///
/// - Parameters:
///   - path: the output, existing or not.
///   - runFolders: the run folders read, as given.
///   - refusingOtherFiles: whether an existing file that no run writes is refused as well
///     (for `plot`, whose output lands among the runs it draws; a report that `eval` writes
///     into a run folder may be written again).
/// - Returns: the reason, as `it is the model of the run folder 'pl'`, or nil.
func readRunFolderRole(of path: String, runFolders: [String], refusingOtherFiles: Bool) -> String? {
    let output = AtomicFile.canonicalPath(path)
    var folders = runFolders.map { (shown: $0, path: AtomicFile.canonicalPath($0)) }
    var above = folderPart(of: output)
    while above.count > 1 {
        let holdsRun = holdsRunFiles(above)
        if holdsRun && !folders.contains(where: { $0.path == above }) { folders.append((above, above)) }
        above = folderPart(of: above)
    }
    for folder in folders {
        if let role = runFileRole(of: output, in: folder.path, shown: folder.shown, refusingOtherFiles: refusingOtherFiles) { return role }
    }
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    for folder in folders.prefix(runFolders.count) {
        guard let files = FileManager.default.enumerator(atPath: folder.path) else { continue }
        while let name = files.nextObject() as? String {
            var other = stat()
            let file = folder.path + "/" + name
            guard stat(file, &other) == 0, other.st_dev == info.st_dev, other.st_ino == info.st_ino,
                let role = runFileRole(of: file, in: folder.path, shown: folder.shown, refusingOtherFiles: refusingOtherFiles)
            else { continue }
            return role + " ('\(folder.shown)/\(name)', by another name)"
        }
    }
    return nil
}

/// Whether `folder` holds what only a training run writes: its `metrics.jsonl`, its model, its
/// best checkpoint or a `checkpoints` folder with a periodic checkpoint in it. A run stopped
/// before its model, with `--no-metrics`, has only the last two.
private func holdsRunFiles(_ folder: String) -> Bool {
    let policy = CheckpointPolicy(directory: folder)
    if [folder + "/" + RunMetrics.jsonName, policy.modelPath, policy.bestPath].contains(where: { FileManager.default.fileExists(atPath: $0) }) {
        return true
    }
    return !policy.existingCheckpoints().isEmpty
}

/// Why `output`, a canonical path, is a file of the run folder at the canonical path `folder`
/// (shown as `shown`) that no command reading the run may replace; nil when it is not one.
/// With `refusingOtherFiles`, an existing file there other than an SVG figure is one.
private func runFileRole(of output: String, in folder: String, shown: String, refusingOtherFiles: Bool) -> String? {
    let inFolder = "of the run folder '\(shown)'"
    if output == folder { return "it is the run folder '\(shown)'" }
    if folder.hasPrefix(output + "/") { return "it is a folder above the run folder '\(shown)'" }
    guard output.hasPrefix(folder + "/") else { return nil }
    let policy = CheckpointPolicy(directory: folder)
    let checkpoints = AtomicFile.canonicalPath(policy.checkpointsDirectory)
    if output == checkpoints || output.hasPrefix(checkpoints + "/") || output.hasPrefix(policy.checkpointsDirectory + "/") {
        return "it lies in the checkpoints folder \(inFolder)"
    }
    if output == AtomicFile.canonicalPath(policy.modelPath) { return "it is the model \(inFolder)" }
    if output == AtomicFile.canonicalPath(policy.bestPath) { return "it is the best checkpoint \(inFolder)" }
    let name = String(output.split(separator: "/").last ?? "")
    if folderPart(of: output) == folder {
        if policy.fixedOutputs.contains(folder + "/" + name) { return "it is a metrics file \(inFolder)" }
        if TensorBoardEventFile.isEventFileName(name) { return "it is named like a TensorBoard event file \(inFolder)" }
    }
    if refusingOtherFiles && FileManager.default.fileExists(atPath: output) && !name.lowercased().hasSuffix(".svg") {
        return "it is a file that the run folder '\(shown)' holds"
    }
    return nil
}
