import JSON

/// A problem with a config file, described in one line that says what was wrong, where, and what
/// was expected.
///
/// The description has the form compilers use, so editors can jump to it:
///
/// ```text
/// train.json:7:12: expected ',' or '}' after object member, found ']'
/// train.json:4:16: key path 'optimizer.beta_1': expected a number in [0, 1), found 1.5
/// train.json:3:3: key path 'optimizer.beta_2': missing required key, expected a number in [0, 1)
/// cannot read config 'x.json': No such file or directory
/// ```
///
/// A missing key points at the `{` of the object that should hold it; an unknown key points at
/// the key; every other error points at the offending value or character.
///
/// ```swift
/// do {
///     let config = try ConfigDocument.load(path: "train.json")
/// } catch let error as ConfigError {
///     print(error)  // one line, no stack trace
/// }
/// ```
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem was found; the message carries the details.
    public enum Kind: Sendable, Hashable {
        /// The file could not be opened or read.
        case unreadableFile
        /// The text is not valid JSON.
        case syntax
        /// Arrays and objects are nested deeper than the parser allows.
        case nestingTooDeep
        /// An object holds the same key twice.
        case duplicateKey
        /// A required key is absent.
        case missingKey
        /// A value has the wrong JSON type, e.g. a string where a number belongs.
        case typeMismatch
        /// A value has the right type but is out of range or not an allowed choice.
        case invalidValue
        /// An object holds a key that nothing reads.
        case unknownKey
    }

    /// What kind of problem was found.
    public var kind: Kind
    /// The file name as given by the caller, used as the message prefix.
    public var file: String
    /// Where in the file; `nil` when the file itself could not be read.
    public var position: SourcePosition?
    /// The key path of the offending value; `nil` for errors that are not about one value.
    public var keyPath: ConfigKeyPath?
    /// What was wrong and what was expected, without the location prefix.
    public var message: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - kind: what kind of problem was found.
    ///   - file: the file name to print.
    ///   - position: where in the file, if known.
    ///   - keyPath: the key path of the offending value, if any.
    ///   - message: what was wrong and what was expected.
    public init(
        _ kind: Kind, file: String, position: SourcePosition?, keyPath: ConfigKeyPath? = nil,
        message: String
    ) {
        self.kind = kind
        self.file = file
        self.position = position
        self.keyPath = keyPath
        self.message = message
    }

    /// `FILE:LINE:COL: key path 'PATH': MESSAGE`, leaving out the parts that do not apply (an
    /// error without a position but with a key path reads `FILE: key path 'PATH': MESSAGE`).
    public var description: String {
        var text: String
        if let position {
            text = "\(file):\(position.line):\(position.column): "
        } else if let keyPath, !keyPath.isRoot {
            text = "\(file): "
        } else {
            return message
        }
        if let keyPath, !keyPath.isRoot {
            text += "key path '\(keyPath)': "
        }
        return text + message
    }
}
