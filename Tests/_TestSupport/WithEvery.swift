/// Labels describing which combination a test is trying, added by ``withEvery(_:in:_:)`` and
/// printed by ``assertClose(_:_:rtol:atol:_:sourceLocation:)`` and
/// ``checkGradient(_:of:at:relativeStep:rtol:atol:seed:sourceLocation:)`` when they fail.
///
/// A task-local value, so tests running in parallel never see each other's labels.
public enum TestContext {
    @TaskLocal public static var labels: [String] = []
}

/// Calls `body` with every element of `items`, labelling failures inside it with
/// `"label: element"`, like swift-collections' `withEvery`.
///
/// ```swift
/// withEvery("shape", in: [[3], [2, 3], [2, 1, 4]]) { shape in
///     checkGradient("exp", of: { $0[0].exp() }, at: [Tensor.testInput(shape: shape)])
/// }
/// ```
public func withEvery<Items: Sequence>(
    _ label: String, in items: Items, _ body: (Items.Element) throws -> Void
) rethrows {
    for item in items {
        try TestContext.$labels.withValue(TestContext.labels + ["\(label): \(item)"]) {
            try body(item)
        }
    }
}

/// Calls `body` with every pair from `first` × `second` (all combinations).
public func withEvery<First: Sequence, Second: Sequence>(
    _ firstLabel: String, in first: First,
    _ secondLabel: String, in second: Second,
    _ body: (First.Element, Second.Element) throws -> Void
) rethrows {
    try withEvery(firstLabel, in: first) { a in
        try withEvery(secondLabel, in: second) { b in try body(a, b) }
    }
}

/// Shape pairs that broadcast against each other, covering every rule: equal shapes, a trailing
/// vector, extents of 1 on either side, a missing leading dimension and a scalar.
public let broadcastPairs: [([Int], [Int])] = [
    ([2, 3], [2, 3]),
    ([3, 4], [4]),
    ([4], [3, 4]),
    ([3, 1], [1, 4]),
    ([2, 3, 4], [3, 1]),
    ([1, 3, 1], [2, 1, 4]),
    ([], [2, 3]),
    ([2, 3], []),
]

/// Shapes of several ranks for elementwise ops: a scalar, a vector, a matrix, a rank-3 tensor.
public let elementwiseShapes: [[Int]] = [[], [5], [2, 3], [2, 3, 2]]
