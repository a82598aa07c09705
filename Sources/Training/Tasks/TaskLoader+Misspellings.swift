import ConfigKit

extension ConfigError {
    /// For a missing required key whose object holds a near-miss of it (`"stepz"` for `steps`),
    /// the error a person wants: the misspelt key, located at its line, with the suggestion.
    ///
    /// ConfigKit reports a missing key as soon as it is asked for, before it could reject the
    /// misspelt key as unknown; this turns
    /// `run.json:1:1: key path 'steps': missing required key, expected an integer >= 0` into
    /// `run.json:6:3: key path 'stepz': unknown key (did you mean 'steps'?); 'steps' is required, expected an integer >= 0`.
    ///
    /// - Parameter root: the document's top-level value, to find the object holding the key.
    /// - Returns: the rewritten error, or `self` when it is not a missing key or nothing is close.
    func pointingAtMisspelling(in root: JSONValue) -> ConfigError {
        guard kind == .missingKey, let keyPath, case .key(let missing)? = keyPath.components.last else { return self }
        var parent = root
        for component in keyPath.components.dropLast() {
            switch component {
            case .key(let key):
                guard let child = parent.objectValue?[key] else { return self }
                parent = child
            case .index(let index):
                guard let elements = parent.arrayValue, elements.indices.contains(index) else { return self }
                parent = elements[index]
            }
        }
        guard let object = parent.objectValue,
              let misspelt = object.members.first(where: { closestMatch(to: $0.key, among: [missing]) != nil })
        else { return self }
        let expected = message.hasPrefix("missing required key, ") ? String(message.dropFirst("missing required key, ".count)) : message
        return ConfigError(
            .unknownKey, file: file, position: misspelt.keyPosition,
            keyPath: ConfigKeyPath(keyPath.components.dropLast() + [.key(misspelt.key)]),
            message: "unknown key (did you mean '\(missing)'?); '\(missing)' is required, \(expected)")
    }
}
