import Testing
import Autograd

/// Records an issue unless `actual` and `expected` have the same shape and every pair of
/// elements satisfies |actual − expected| ≤ atol + rtol·|expected| (NumPy's `allclose`).
///
/// The issue names the first mismatching element by its multi-index and flat index, both
/// values, the shapes, the number of mismatches and the labels of enclosing ``withEvery(_:in:_:)``
/// calls, and points at the caller's line.
///
/// - Parameters:
///   - rtol: relative tolerance. The default, 1e-5, is about a hundred Float ulps: room for a
///     different summation order, not for a wrong formula.
///   - atol: absolute tolerance, for expected values at or near zero.
///   - comment: printed with the issue.
public func assertClose(
    _ actual: Tensor, _ expected: Tensor,
    rtol: Float = 1e-5, atol: Float = 1e-6,
    _ comment: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.shape == expected.shape else {
        Issue.record(
            Comment(rawValue: describeFailure(
                "shapes differ: actual \(actual.shape), expected \(expected.shape)", comment())),
            sourceLocation: sourceLocation)
        return
    }
    compare(actual.scalars, expected.scalars, shape: actual.shape, rtol: rtol, atol: atol,
            comment: comment(), sourceLocation: sourceLocation)
}

/// Compares a tensor with expected elements in row-major order; see
/// ``assertClose(_:_:rtol:atol:_:sourceLocation:)``.
public func assertClose(
    _ actual: Tensor, _ expected: [Float],
    rtol: Float = 1e-5, atol: Float = 1e-6,
    _ comment: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.scalarCount == expected.count else {
        Issue.record(
            Comment(rawValue: describeFailure(
                "element counts differ: actual shape \(actual.shape) holds \(actual.scalarCount), expected \(expected.count)",
                comment())),
            sourceLocation: sourceLocation)
        return
    }
    compare(actual.scalars, expected, shape: actual.shape, rtol: rtol, atol: atol,
            comment: comment(), sourceLocation: sourceLocation)
}

/// Compares two arrays elementwise; see
/// ``assertClose(_:_:rtol:atol:_:sourceLocation:)``.
public func assertClose(
    _ actual: [Float], _ expected: [Float],
    rtol: Float = 1e-5, atol: Float = 1e-6,
    _ comment: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.count == expected.count else {
        Issue.record(
            Comment(rawValue: describeFailure(
                "counts differ: actual [\(actual.count)], expected [\(expected.count)]", comment())),
            sourceLocation: sourceLocation)
        return
    }
    compare(actual, expected, shape: [actual.count], rtol: rtol, atol: atol,
            comment: comment(), sourceLocation: sourceLocation)
}

/// Compares two numbers; see
/// ``assertClose(_:_:rtol:atol:_:sourceLocation:)``.
public func assertClose(
    _ actual: Float, _ expected: Float,
    rtol: Float = 1e-5, atol: Float = 1e-6,
    _ comment: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    compare([actual], [expected], shape: [], rtol: rtol, atol: atol,
            comment: comment(), sourceLocation: sourceLocation)
}

/// Whether `actual` is within atol + rtol·|expected| of `expected`. NaN is close only to NaN,
/// and an infinity only to the same infinity.
public func isClose(_ actual: Double, _ expected: Double, rtol: Double, atol: Double) -> Bool {
    if actual.isNaN || expected.isNaN { return actual.isNaN && expected.isNaN }
    if actual.isInfinite || expected.isInfinite { return actual == expected }
    return Swift.abs(actual - expected) <= atol + rtol * Swift.abs(expected)
}

/// The multi-index of flat position `flat` in a row-major tensor of `shape`.
public func multiIndex(of flat: Int, in shape: [Int]) -> [Int] {
    var index = [Int](repeating: 0, count: shape.count)
    var rest = flat
    for axis in shape.indices.reversed() where shape[axis] > 0 {
        index[axis] = rest % shape[axis]
        rest /= shape[axis]
    }
    return index
}

private func compare(
    _ actual: [Float], _ expected: [Float], shape: [Int], rtol: Float, atol: Float,
    comment: String, sourceLocation: SourceLocation
) {
    var first: Int?
    var mismatches = 0
    for index in actual.indices
    where !isClose(Double(actual[index]), Double(expected[index]), rtol: Double(rtol), atol: Double(atol)) {
        if first == nil { first = index }
        mismatches += 1
    }
    guard let first else { return }
    let message = "element \(multiIndex(of: first, in: shape)) (flat \(first)) of shape \(shape): "
        + "actual \(actual[first]), expected \(expected[first]) "
        + "(rtol \(rtol), atol \(atol)); \(mismatches) of \(actual.count) elements differ"
    Issue.record(Comment(rawValue: describeFailure(message, comment)), sourceLocation: sourceLocation)
}

/// `message`, then the caller's comment and the labels of the enclosing `withEvery` calls.
func describeFailure(_ message: String, _ comment: String) -> String {
    var parts = [message]
    if !comment.isEmpty { parts.append(comment) }
    let context = TestContext.labels
    if !context.isEmpty { parts.append("with " + context.joined(separator: ", ")) }
    return parts.joined(separator: "; ")
}
