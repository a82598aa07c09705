import _TestSupport

/// Writes `contents` to a file called `name` in a new temporary directory of its own and returns
/// the file's path.
func temporaryFile(named name: String, contents: some Sequence<UInt8>) throws -> String {
    try TemporaryDirectory(prefix: "DatasetsTests").write(name, bytes: contents)
}
