/// A value that JSON cannot write: NaN or an infinity, found under ``JSONValue/NonFiniteNumbers/reject``.
///
/// The description names the number and where it sits:
///
/// ```text
/// cannot write nan at 'history[1].loss' as JSON: JSON has no NaN or infinity
/// cannot write -inf at the top level as JSON: JSON has no NaN or infinity
/// ```
public struct JSONEncodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One step from a container to the value inside it.
    public enum Step: Sendable, Hashable {
        /// An object member, by key.
        case key(String)
        /// An array element, 0-based.
        case index(Int)
    }

    /// The number as Swift spells it: `nan`, `inf` or `-inf`.
    public let number: String
    /// The steps from the top-level value down to the number; empty when it is the top level.
    public private(set) var path: [Step] = []

    init(number: String) {
        self.number = number
    }

    /// The same error seen from the container one level up.
    func inside(_ step: Step) -> JSONEncodingError {
        var error = self
        error.path.insert(step, at: 0)
        return error
    }

    /// `cannot write NUMBER at 'PATH' as JSON: …`, the path written as `history[1].loss`.
    public var description: String {
        var place = ""
        for (offset, step) in path.enumerated() {
            switch step {
            case .key(let key): place += offset == 0 ? key : "." + key
            case .index(let index): place += "[\(index)]"
            }
        }
        let shown = path.isEmpty ? "the top level" : "'\(place)'"
        return "cannot write \(number) at \(shown) as JSON: JSON has no NaN or infinity"
    }
}
