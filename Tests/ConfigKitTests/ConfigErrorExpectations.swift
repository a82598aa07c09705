import ConfigKit
import Testing

/// The error that parsing `text` as `config.json` throws.
func parseError(
    _ text: String, maxDepth: Int = ConfigDocument.defaultMaxDepth,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> ConfigError {
    try #require(throws: ConfigError.self, sourceLocation: sourceLocation) {
        try ConfigDocument(parsing: text, file: "config.json", maxDepth: maxDepth)
    }
}

/// The error that reading the root object of `text` with `body` throws.
func readError<T>(
    _ text: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (inout ConfigObject) throws -> T
) throws -> ConfigError {
    let document = try ConfigDocument(parsing: text, file: "config.json")
    return try #require(throws: ConfigError.self, sourceLocation: sourceLocation) {
        try document.read(body)
    }
}
