import JSON
import Storage

/// A parsed config file: the JSON tree plus the file name that every error message starts with.
///
/// ```swift
/// let document = try ConfigDocument.load(path: "Configs/linear.json")
/// let (rate, epochs) = try document.read { root in
///     (try root.require("learning_rate", as: Double.self, .positive),
///      try root.optional("epochs", as: Int.self, default: 10, .positive))
/// }   // `read` also rejects keys that were never asked for
/// ```
public struct ConfigDocument: Sendable {
    /// How deeply arrays and objects may nest before parsing stops with an error. Config files
    /// are a handful of levels deep; 512 leaves ample room while bounding work on hostile input.
    public static let defaultMaxDepth = 512

    /// The largest config file ``load(path:maxDepth:)`` reads: 16 MiB. Configs are a few
    /// kilobytes; the limit keeps `swiftgrad run /dev/zero`-like mistakes, or a data file given
    /// as the config, from filling memory.
    public static let maximumFileBytes = 16 << 20

    /// The file name used in messages, as the caller gave it.
    public let file: String
    /// The top-level value.
    public let root: JSONValue

    /// Parses JSON text.
    ///
    /// - Parameters:
    ///   - text: the JSON document.
    ///   - file: the name to print in messages; tests pass a made-up one.
    ///   - maxDepth: how many arrays and objects may be open at once.
    /// - Throws: `ConfigError` for any syntax error, duplicate key or excessive nesting.
    ///
    /// ```swift
    /// let document = try ConfigDocument(parsing: #"{"epochs": 3}"#, file: "inline.json")
    /// ```
    public init(parsing text: String, file: String = "<string>", maxDepth: Int = defaultMaxDepth) throws {
        var text = text
        let root = try text.withUTF8 { try JSONParser.parse($0, file: file, maxDepth: maxDepth) }
        self.init(file: file, root: root)
    }

    /// Parses JSON from UTF-8 bytes.
    ///
    /// - Parameters:
    ///   - utf8: the JSON document as UTF-8 (an optional byte order mark is skipped).
    ///   - file: the name to print in messages.
    ///   - maxDepth: how many arrays and objects may be open at once.
    /// - Throws: `ConfigError` for any syntax error, invalid UTF-8, duplicate key or excessive nesting.
    ///
    /// ```swift
    /// let document = try ConfigDocument(utf8: Array(#"[1, 2]"#.utf8), file: "inline.json")
    /// ```
    public init(utf8: some Collection<UInt8>, file: String, maxDepth: Int = defaultMaxDepth) throws {
        let root = try utf8.withContiguousStorageIfAvailable {
            try JSONParser.parse($0, file: file, maxDepth: maxDepth)
        } ?? Array(utf8).withUnsafeBufferPointer {
            try JSONParser.parse($0, file: file, maxDepth: maxDepth)
        }
        self.init(file: file, root: root)
    }

    /// Wraps an already parsed tree.
    ///
    /// - Parameters:
    ///   - file: the name to print in messages.
    ///   - root: the top-level value.
    public init(file: String, root: JSONValue) {
        self.file = file
        self.root = root
    }

    /// Reads and parses a config file.
    ///
    /// - Parameters:
    ///   - path: the file to read; messages name it exactly as given.
    ///   - maxDepth: how many arrays and objects may be open at once.
    /// - Returns: the parsed document.
    /// - Throws: `ConfigError` of kind `.unreadableFile` (`cannot read config 'x.json': No such
    ///   file or directory`, or a path that is not a regular file, or a file over
    ///   ``maximumFileBytes``), or any parse error.
    ///
    /// ```swift
    /// let document = try ConfigDocument.load(path: "Configs/mnist.json")
    /// ```
    public static func load(path: String, maxDepth: Int = defaultMaxDepth) throws -> ConfigDocument {
        let bytes = try readFile(path)
        return try ConfigDocument(utf8: bytes, file: path, maxDepth: maxDepth)
    }

    /// The top-level object, for typed reading; the caller calls ``ConfigObject/finish()``.
    ///
    /// - Returns: a reader for the root object.
    /// - Throws: `ConfigError` of kind `.typeMismatch` if the document is not an object.
    public func rootObject() throws -> ConfigObject {
        let node = ConfigNode(value: root, path: ConfigKeyPath(), file: file)
        guard root.objectValue != nil else {
            throw ConfigError(
                .typeMismatch, file: file, position: root.position,
                message: "expected the config to be an object, found \(root.foundDescription)")
        }
        return try ConfigObject.decode(node)
    }

    /// Reads the top-level object with `body`, then rejects any key `body` never asked for.
    ///
    /// - Parameter body: reads the values it needs from the root object.
    /// - Returns: what `body` returns.
    /// - Throws: `ConfigError` from `body`, or of kind `.unknownKey` for a key nothing read.
    ///
    /// ```swift
    /// let seed = try document.read { try $0.optional("seed", as: Int.self, default: 0) }
    /// ```
    public func read<T>(_ body: (inout ConfigObject) throws -> T) throws -> T {
        var object = try rootObject()
        let result = try body(&object)
        try object.finish()
        return result
    }

    /// Reads the config file through ``Storage/InputFile``: a FIFO, a device or a directory is
    /// refused before anything is read, and so is a file over ``maximumFileBytes``.
    private static func readFile(_ path: String) throws -> [UInt8] {
        do {
            return try InputFile.read(path, limit: maximumFileBytes, what: "config")
        } catch let error as FileError {
            throw ConfigError(.unreadableFile, file: path, position: nil, message: error.message)
        }
    }
}
