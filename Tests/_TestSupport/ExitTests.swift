import Testing

/// What the process an exit test ran wrote to standard error, as text; empty when the exit test
/// did not run (its result is nil).
public func standardError(of result: ExitTest.Result?) -> String {
    String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
}
