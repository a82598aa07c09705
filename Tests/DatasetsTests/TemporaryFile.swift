#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Writes `contents` to a file called `name` in a new temporary directory of its own and returns
/// the file's path.
func temporaryFile(named name: String, contents: some Sequence<UInt8>) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("DatasetsTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent(name)
    try Data(contents).write(to: url)
    return url.path
}
