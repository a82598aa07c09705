import JSON
import Storage

extension JSONValue {
    /// Writes the value as pretty JSON (``JSONValue/Style/pretty``), atomically.
    ///
    /// - Parameters:
    ///   - path: the destination; its directory must exist.
    ///   - nonFinite: what to do with NaN and infinity; rejected by default.
    /// - Throws: `ReportError` for a non-finite number under `.reject` (the message of
    ///   ``JSONEncodingError``, e.g. `cannot write nan at 'history[3].loss' as JSON: JSON has no
    ///   NaN or infinity`), or `FileError` from `AtomicFile`; the file is then left as it was.
    ///
    /// ```swift
    /// let report: JSONValue = ["epochs": 3]
    /// try report.write(to: "out/report.json")
    /// ```
    public func write(to path: String, nonFinite: NonFiniteNumbers = .reject) throws {
        let text: String
        do {
            text = try encoded(.pretty, nonFinite: nonFinite)
        } catch {
            throw ReportError(error.description)
        }
        try AtomicFile.write(text, to: path)
    }
}
