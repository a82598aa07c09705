import JSON

/// Typed, key-path-aware reading of one JSON object, which remembers every key asked for so that
/// ``finish()`` can reject keys nothing reads.
///
/// Reading never consumes: asking twice for a key gives the same value. Explicit `null` is not
/// treated as absent; it is a type error like any other wrong value, so that one config means one
/// thing.
///
/// ```swift
/// let document = try ConfigDocument.load(path: "train.json")
/// var root = try document.rootObject()
/// let rate = try root.require("learning_rate", as: Double.self, .positive)
/// let momentum = try root.optional("momentum", as: Double.self, default: 0, .in(0..<1))
/// let optimizer = try root.require("optimizer", as: String.self, .oneOf(["sgd", "adam"]))
/// let beta1 = try root.object("adam") { try $0.optional("beta_1", as: Double.self, default: 0.9) }
/// let units = try root.objects("layers") { try $0.require("units", as: Int.self, .positive) }
/// try root.finish()  // train.json:9:3: key path 'momentun': unknown key (did you mean 'momentum'?) ...
/// ```
public struct ConfigObject: Sendable, ConfigValue {
    /// The object as a located value.
    public let node: ConfigNode
    /// The members.
    public let object: JSONObject
    /// Every key asked for so far, present or not, in the order first asked.
    public private(set) var knownKeys: [String] = []
    private var knownKeySet: Set<String> = []
    /// What the object means to its reader so far: its members as written, each nested object
    /// read with ``object(_:_:)``, ``optionalObject(_:_:)`` or ``objects(_:_:)`` as its own
    /// `resolved`, and after them every absent key read with a default, set to that default, in
    /// the order read. `swiftgrad validate` prints it: the config with every default written out.
    ///
    /// ```swift
    /// var root = try ConfigDocument(parsing: #"{"epochs": 3}"#).rootObject()
    /// _ = try root.optional("epochs", as: Int.self, default: 1)
    /// _ = try root.optional("seed", as: Int.self, default: 0)
    /// root.resolved  // {"epochs": 3, "seed": 0}
    /// ```
    public private(set) var resolved: JSONObject

    public static var expectedDescription: String { "an object" }
    public static var pluralDescription: String { "objects" }

    /// Wraps an object value.
    ///
    /// - Parameter node: the value with its key path and file.
    /// - Throws: `ConfigError` of kind `.typeMismatch` if the value is not an object.
    public static func decode(_ node: ConfigNode) throws -> ConfigObject {
        guard let object = node.value.objectValue else { throw node.typeMismatch(expected: expectedDescription) }
        return ConfigObject(node: node, object: object)
    }

    private init(node: ConfigNode, object: JSONObject) {
        self.node = node
        self.object = object
        self.resolved = object
    }

    /// Where this object sits in the document.
    public var path: ConfigKeyPath { node.path }
    /// Where its `{` is; `nil` for an object built in code rather than parsed.
    public var position: SourcePosition? { node.value.position }
    /// The keys present, in the order written.
    public var keys: [String] { object.keys }

    /// Whether `key` is present. Does not count as reading it.
    ///
    /// - Parameter key: the key to look for.
    public func contains(_ key: String) -> Bool {
        object.member(key) != nil
    }

    /// Marks keys as known without reading them, e.g. a free-form `"comment"`.
    ///
    /// - Parameter keys: keys that ``finish()`` should accept.
    public mutating func allow(_ keys: String...) {
        for key in keys { remember(key) }
    }

    /// Refuses `oldKey`, a key this object took in an earlier version of its format, with an
    /// error that names the key replacing it and how to convert.
    ///
    /// Call it before reading the object's other keys, so that the old spelling is what the
    /// error is about. The old key does not become known: absent, it changes nothing.
    ///
    /// - Parameters:
    ///   - oldKey: the key no longer taken.
    ///   - newKey: the key that replaced it.
    ///   - conversion: how a value of `oldKey` is written with `newKey`, such as
    ///     `"test_fraction = 1 − train_fraction"`.
    /// - Throws: `ConfigError` of kind `.unknownKey`, pointing at `oldKey`, when it is present:
    ///   `key path 'data.train_fraction': unknown key (did you mean 'test_fraction'? it replaced
    ///   'train_fraction': test_fraction = 1 − train_fraction)`.
    public func refuseReplaced(_ oldKey: String, by newKey: String, conversion: String) throws {
        guard let member = object.members.first(where: { $0.key == oldKey }) else { return }
        throw ConfigError(
            .unknownKey, file: node.file, position: member.keyPosition, keyPath: path.appending(key: oldKey),
            message: "unknown key (did you mean '\(newKey)'? it replaced '\(oldKey)': \(conversion))")
    }

    /// Checks at once that every one of `keys` is present, so that an object missing several
    /// required keys is refused with one error naming them all, rather than one per attempt.
    ///
    /// Call it before reading the keys. With one key missing it throws nothing: ``require(_:as:_:)``
    /// then names it with the value it expects. Either way the message lists the keys the object
    /// takes, `keys` then `optionalKeys`; a present key that looks like a misspelling of a missing
    /// one gets "did you mean".
    ///
    /// - Parameters:
    ///   - keys: the keys the object must have.
    ///   - optionalKeys: the other keys it takes, for the message.
    /// - Throws: `ConfigError` of kind `.missingKey` naming the first missing key's path, pointing
    ///   at the first misspelt key, else at the object's `{`.
    ///
    /// ```swift
    /// try root.requirePresent(["data", "model", "training"], optional: ["optimizer"])
    /// // run.json:1:1: key path 'model': missing required keys 'model', 'training'; the keys
    /// // here are data, model, training (required) and optimizer
    /// ```
    public mutating func requirePresent(_ keys: [String], optional optionalKeys: [String] = []) throws {
        declaredKeys = (keys, optionalKeys)
        let missing = keys.filter { !contains($0) }
        guard missing.count > 1 else { return }
        let unread = object.members.filter { !keys.contains($0.key) && !optionalKeys.contains($0.key) }
        var misspellings: [(member: JSONObject.Member, key: String)] = []
        for key in missing {
            if let member = unread.first(where: { closestMatch(to: $0.key, among: [key]) != nil }) { misspellings.append((member, key)) }
        }
        var message = "missing required keys " + missing.map { "'\($0)'" }.joined(separator: ", ")
        if !misspellings.isEmpty {
            message += " (" + misspellings.map { "'\($0.member.key)' is unknown: did you mean '\($0.key)'?" }.joined(separator: "; ") + ")"
        }
        message += "; " + declaredKeysDescription
        throw ConfigError(
            .missingKey, file: node.file, position: misspellings.first?.member.keyPosition ?? position,
            keyPath: path.appending(key: missing[0]), message: message)
    }

    /// The keys ``requirePresent(_:optional:)`` declared, for messages.
    private var declaredKeys: (required: [String], optional: [String])?

    /// "the keys here are a, b (required) and c, d", from ``declaredKeys``.
    private var declaredKeysDescription: String {
        guard let declaredKeys else { return "" }
        var text = "the keys here are " + declaredKeys.required.joined(separator: ", ") + " (required)"
        if !declaredKeys.optional.isEmpty { text += " and " + declaredKeys.optional.joined(separator: ", ") }
        return text
    }

    /// The value for a key that must be present.
    ///
    /// - Parameters:
    ///   - key: the member's key.
    ///   - type: the type to read.
    ///   - constraint: a further check, such as `.positive` or `.in(0..<1)`.
    /// - Returns: the value.
    /// - Throws: `ConfigError` of kind `.missingKey` (pointing at this object's `{`),
    ///   `.typeMismatch` or `.invalidValue` (pointing at the value).
    ///
    /// ```swift
    /// let rate = try root.require("learning_rate", as: Double.self, .positive)
    /// ```
    public mutating func require<T: ConfigValue>(
        _ key: String, as type: T.Type = T.self, _ constraint: ConfigConstraint<T> = .unconstrained
    ) throws -> T {
        guard let value = try optional(key, as: type, constraint) else {
            // A misspelt key is the likeliest cause: point at it rather than at the object.
            let unread = object.members.filter { !knownKeySet.contains($0.key) }
            if let misspelt = unread.first(where: { closestMatch(to: $0.key, among: [key]) != nil }) {
                throw ConfigError(
                    .missingKey, file: node.file, position: misspelt.keyPosition, keyPath: path.appending(key: misspelt.key),
                    message: "unknown key (did you mean '\(key)'?); '\(key)' is required, expected \(constraint.expected)"
                        + (declaredKeys == nil ? "" : "; " + declaredKeysDescription))
            }
            throw ConfigError(
                .missingKey, file: node.file, position: position, keyPath: path.appending(key: key),
                message: "missing required key, expected \(constraint.expected)" + (declaredKeys == nil ? "" : "; " + declaredKeysDescription))
        }
        return value
    }

    /// The value for a key that may be absent, or `nil`.
    ///
    /// - Parameters:
    ///   - key: the member's key.
    ///   - type: the type to read.
    ///   - constraint: a further check for a present value.
    /// - Returns: the value, or `nil` if the key is absent.
    /// - Throws: `ConfigError` of kind `.typeMismatch` or `.invalidValue` for a present value.
    ///
    /// ```swift
    /// let seed = try root.optional("seed", as: Int.self)  // Int?
    /// ```
    public mutating func optional<T: ConfigValue>(
        _ key: String, as type: T.Type = T.self, _ constraint: ConfigConstraint<T> = .unconstrained
    ) throws -> T? {
        remember(key)
        guard let member = object.member(key) else { return nil }
        let child = ConfigNode(value: member.value, path: path.appending(key: key), file: node.file)
        let value = try T.decode(child)
        guard constraint.isSatisfied(by: value) else {
            var note: String?
            if let text = value as? String {
                note = closestMatch(to: text, among: constraint.choices).map { "did you mean \(quoted($0))?" }
            }
            throw child.invalidValue(expected: constraint.expected, note: note)
        }
        return value
    }

    /// The value for a key that may be absent, or `defaultValue`.
    ///
    /// - Parameters:
    ///   - key: the member's key.
    ///   - type: the type to read.
    ///   - defaultValue: the value when the key is absent; it is not checked against `constraint`.
    ///   - constraint: a further check for a present value.
    /// - Returns: the value or the default.
    /// - Throws: `ConfigError` of kind `.typeMismatch` or `.invalidValue` for a present value.
    ///
    /// ```swift
    /// let momentum = try root.optional("momentum", as: Double.self, default: 0, .in(0..<1))
    /// ```
    public mutating func optional<T: ConfigValue>(
        _ key: String, as type: T.Type = T.self, default defaultValue: T,
        _ constraint: ConfigConstraint<T> = .unconstrained
    ) throws -> T {
        if let value = try optional(key, as: type, constraint) { return value }
        if let json = JSONValue(configDefault: defaultValue) { resolved[key] = json }
        return defaultValue
    }

    /// Records what an absent key means when its reader made its default by other means than
    /// ``optional(_:as:default:_:)`` (an object read from a default of its own), for
    /// ``resolved``; a key the object has is left as written.
    ///
    /// - Parameters:
    ///   - key: the member's key.
    ///   - value: what the absent key stands for.
    public mutating func resolveAbsent(_ key: String, as value: JSONValue) {
        guard object.member(key) == nil else { return }
        resolved[key] = value
    }

    /// Reads a required nested object with `body`, then rejects keys `body` never asked for.
    ///
    /// - Parameters:
    ///   - key: the member's key.
    ///   - body: reads the nested object.
    /// - Returns: what `body` returns.
    /// - Throws: `ConfigError` if the key is missing or not an object, from `body`, or of kind
    ///   `.unknownKey`.
    ///
    /// ```swift
    /// let beta1 = try root.object("optimizer") { try $0.require("beta_1", as: Double.self) }
    /// ```
    public mutating func object<T>(_ key: String, _ body: (inout ConfigObject) throws -> T) throws -> T {
        var child = try require(key, as: ConfigObject.self)
        let result = try body(&child)
        try child.finish()
        resolved[key] = .object(child.resolved)
        return result
    }

    /// Reads an optional nested object with `body` if present, then rejects unknown keys in it.
    ///
    /// - Parameters:
    ///   - key: the member's key.
    ///   - body: reads the nested object.
    /// - Returns: what `body` returns, or `nil` if the key is absent.
    /// - Throws: `ConfigError` as for ``object(_:_:)``, except for a missing key.
    public mutating func optionalObject<T>(_ key: String, _ body: (inout ConfigObject) throws -> T) throws -> T? {
        guard var child = try optional(key, as: ConfigObject.self) else { return nil }
        let result = try body(&child)
        try child.finish()
        resolved[key] = .object(child.resolved)
        return result
    }

    /// Reads a required array of objects, each with `body`, rejecting unknown keys in each.
    ///
    /// - Parameters:
    ///   - key: the member's key.
    ///   - body: reads one element; errors name it as `layers[2].units`.
    /// - Returns: what `body` returns for each element, in order.
    /// - Throws: `ConfigError` if the key is missing, not an array of objects, from `body`, or of
    ///   kind `.unknownKey`.
    ///
    /// ```swift
    /// let widths = try root.objects("layers") { try $0.require("units", as: Int.self, .positive) }
    /// ```
    public mutating func objects<T>(_ key: String, _ body: (inout ConfigObject) throws -> T) throws -> [T] {
        var results: [T] = []
        var elements: [JSONValue] = []
        for var element in try require(key, as: [ConfigObject].self) {
            results.append(try body(&element))
            try element.finish()
            elements.append(.object(element.resolved))
        }
        resolved[key] = .array(elements)
        return results
    }

    /// Rejects the first key, in the order written, that was never asked for.
    ///
    /// The message suggests the closest known key and lists all of them:
    /// `train.json:5:3: key path 'momentun': unknown key (did you mean 'momentum'?); known keys: ...`.
    ///
    /// - Throws: `ConfigError` of kind `.unknownKey`, pointing at the key.
    public func finish() throws {
        for member in object.members where !knownKeySet.contains(member.key) {
            var message = "unknown key"
            if let suggestion = closestMatch(to: member.key, among: knownKeys) {
                message += " (did you mean '\(suggestion)'?)"
            }
            message += knownKeys.isEmpty
                ? "; this object takes no keys"
                : "; known keys: " + knownKeys.joined(separator: ", ")
            throw ConfigError(
                .unknownKey, file: node.file, position: member.keyPosition,
                keyPath: path.appending(key: member.key), message: message)
        }
    }

    private mutating func remember(_ key: String) {
        if knownKeySet.insert(key).inserted { knownKeys.append(key) }
    }
}
