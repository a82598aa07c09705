import JSON

/// Where a value sits inside a config document, printed as `optimizer.beta_1` or `layers[2].units`.
///
/// Keys that are not plain identifiers are printed quoted, `metrics["top-5 accuracy"]`, so that a
/// printed path always reads back unambiguously.
///
/// ```swift
/// let path = ConfigKeyPath().appending(key: "layers").appending(index: 2).appending(key: "units")
/// print(path)  // layers[2].units
/// ```
public struct ConfigKeyPath: Sendable, Hashable, CustomStringConvertible {
    /// One step of a key path.
    public enum Component: Sendable, Hashable {
        /// A member of an object.
        case key(String)
        /// An element of an array, 0-based.
        case index(Int)
    }

    /// The steps from the document root, outermost first. Empty for the root itself.
    public var components: [Component]

    /// Creates a key path; the empty path names the document root.
    ///
    /// - Parameter components: the steps from the root, outermost first.
    public init(_ components: [Component] = []) {
        self.components = components
    }

    /// Whether this path names the document root.
    public var isRoot: Bool { components.isEmpty }

    /// This path extended by an object member.
    ///
    /// - Parameter key: the member's key.
    /// - Returns: the longer path.
    public func appending(key: String) -> ConfigKeyPath {
        ConfigKeyPath(components + [.key(key)])
    }

    /// This path extended by an array element.
    ///
    /// - Parameter index: the element's 0-based index.
    /// - Returns: the longer path.
    public func appending(index: Int) -> ConfigKeyPath {
        ConfigKeyPath(components + [.index(index)])
    }

    /// The path as written in messages: `optimizer.beta_1`, `layers[2].units`; empty for the root.
    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key) where key.utf8.count <= 80 && Self.isPlainKey(key):
                if !text.isEmpty { text += "." }
                text += key
            case .key(let key):
                // A long key is cut short, so that a message about a 10 MB key stays a line.
                text += "[\(quoted(key, limit: 80))]"
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text
    }

    private static func isPlainKey(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return key.unicodeScalars.allSatisfy { scalar in
            scalar == "_" || scalar == "-" || ("a"..."z").contains(scalar)
                || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
        }
    }
}

/// `text` as a JSON string literal, so that a message stays on one line; past `limit` Unicode
/// scalars it is cut short with `…` inside the quotes.
func quoted(_ text: String, limit: Int = .max) -> String {
    let scalars = text.unicodeScalars
    guard let end = scalars.index(scalars.startIndex, offsetBy: limit, limitedBy: scalars.endIndex),
        end != scalars.endIndex
    else { return JSONValue.quoted(text) }
    return JSONValue.quoted(Substring(scalars[..<end])).dropLast() + "…\""
}

/// Four upper-case hex digits, zero-padded.
func hex4(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
