import ArgumentParser
import Storage

/// An integer flag's value: `text` read as an `Int`, as ArgumentParser reads one, or an error
/// with `refusal`'s message, the one the flag's range check gives.
///
/// ArgumentParser's own reading says only that a value "is invalid", even for a whole number
/// that is merely too large for an `Int` (`--workers 99999999999999999999`): as far out of range
/// as `--workers 257`, whose message names the range. Read here, every value the flag does not
/// take is told the range.
///
/// - Parameters:
///   - text: the flag's value as given.
///   - refusal: the message for a value out of the flag's range, given the value as shown:
///     `{ "--workers must be between 1 and 256, got \($0)" }`.
/// - Returns: the value, to be checked against the range by the command's `validate()`.
/// - Throws: `ValidationError` with `refusal`'s message for text that is not an `Int`, the
///   text quoted and its control characters escaped.
func integer(_ text: String, refusal: (String) -> String) throws -> Int {
    guard let value = Int(text) else { throw ValidationError(refusal("'\(quoted(text))'")) }
    return value
}

/// The message for `flag`'s value outside `range`, given the value as shown: `--workers must be
/// between 1 and 256, got 300`. Every integer flag with a range words its refusal so.
func rangeRefusal(_ flag: String, _ range: ClosedRange<Int>, _ value: String) -> String {
    "\(flag) must be between \(range.lowerBound) and \(range.upperBound), got \(value)"
}
