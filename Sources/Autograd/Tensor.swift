/// An n-dimensional array of `Float` values in row-major order, with value semantics.
///
/// Copies are cheap: a tensor shares its storage with its copies until one of them is mutated,
/// which then copies the elements first (copy-on-write). Operations never mutate their operands;
/// each returns a new tensor, and a ``GradientTape`` that is recording remembers how. Operations
/// that keep the elements as they are (``reshaped(to:)``, ``flattened()``, ``squeezing(axes:)``,
/// ``expandingShape(at:)``, ``stopGradient(_:)``) return a view: a tensor that shares its input's
/// elements, so they copy none, yet is a tensor of its own on a tape.
///
/// ```swift
/// let a = Tensor([[1, 2], [3, 4]])          // shape [2, 2]
/// let b = Tensor([10, 20])                   // shape [2], broadcast across rows
/// print(a + b)                               // [[11.0, 22.0], [13.0, 24.0]]
/// ```
///
/// A tensor is `Sendable`: its elements are never written while another tensor can see them (a
/// write copies first), so threads may read the same tensor at once.
public struct Tensor: @unchecked Sendable {
    /// The extent of each dimension; `[]` for a scalar.
    public let shape: [Int]

    @usableFromInline
    var storage: TensorStorage

    @inlinable
    init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.storage = storage
    }

    /// Makes a tensor of `shape` whose elements are written by `body` into uninitialised memory.
    ///
    /// `body` must initialise every element: as many as the product of `shape`.
    ///
    /// - Precondition: no extent of `shape` is negative, and the product fits in an `Int`.
    @inlinable
    public init(shape: [Int], initializingWith body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let count = Tensor.checkValid(shape: shape, op: "Tensor(shape:initializingWith:)")
        let storage = TensorStorage.allocate(count: count)
        storage.withElements { body(UnsafeMutableBufferPointer(start: $0, count: count)) }
        self.init(shape: shape, storage: storage)
    }

    /// A tensor of the given shape holding `scalars` in row-major order.
    ///
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        let count = Tensor.checkValid(shape: shape, op: "Tensor(shape:scalars:)")
        shapePrecondition(
            scalars.count == count,
            "Tensor(shape:scalars:): shape \(shape) holds \(count) elements but \(scalars.count) were given")
        self.init(shape: shape) { buffer in
            _ = buffer.initialize(from: scalars)
        }
    }

    /// A scalar (rank 0) tensor.
    public init(_ scalar: Float) {
        self.init(shape: [], storage: TensorStorage.filled(count: 1, with: scalar))
    }

    /// A vector (rank 1) tensor.
    public init(_ scalars: [Float]) {
        self.init(shape: [scalars.count], scalars: scalars)
    }

    /// A matrix (rank 2) tensor from its rows.
    ///
    /// - Precondition: every row has the same length.
    public init(_ rows: [[Float]]) {
        let columns = rows.first?.count ?? 0
        for (index, row) in rows.enumerated() {
            shapePrecondition(
                row.count == columns,
                "Tensor(rows): row \(index) has \(row.count) elements but row 0 has \(columns)")
        }
        self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 })
    }

    /// A tensor of `shape` with every element equal to `value`.
    public init(repeating value: Float, shape: [Int]) {
        let count = Tensor.checkValid(shape: shape, op: "Tensor(repeating:shape:)")
        self.init(shape: shape, storage: TensorStorage.filled(count: count, with: value))
    }

    /// The number of dimensions.
    @inlinable
    public var rank: Int { shape.count }

    /// The number of elements: the product of the shape (1 for a scalar).
    @inlinable
    public var scalarCount: Int { storage.count }

    /// The elements in row-major order.
    public var scalars: [Float] {
        withUnsafeBufferPointer { Array($0) }
    }

    /// The single element of a tensor with one element.
    ///
    /// - Precondition: the tensor has exactly one element.
    public var scalar: Float {
        shapePrecondition(scalarCount == 1, "scalar: tensor of shape \(shape) has \(scalarCount) elements, expected 1")
        return storage.withElements { $0.pointee }
    }

    /// Calls `body` with the elements in row-major order.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withElements {
            try body(UnsafeBufferPointer(start: $0, count: storage.count))
        }
    }

    /// Calls `body` with mutable access to the elements, copying them first if anything else
    /// may see them: a copy of this tensor, a tape's record, or, for a view, its base and the
    /// base's other views.
    ///
    /// A view's elements belong to its base, so a view is copied unless it shows all of the
    /// base's elements and nothing else holds the base any more. After a copy it owns its
    /// elements, and later writes are in place.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) || (storage.isView && !storage.isSoleViewOfItsWholeBase) {
            storage = storage.copy()
        }
        return try storage.withElements {
            try body(UnsafeMutableBufferPointer(start: $0, count: storage.count))
        }
    }

    /// The identity under which a ``GradientTape`` records this tensor: its storage object.
    ///
    /// Copies of a tensor share its identity. A view has a storage object of its own (holding no
    /// elements), so a view and its base, or two views of one storage, are different tensors to
    /// a tape. A tape keeps the storage of every tensor it knows alive, so an identifier is never
    /// reused while the tape may still look it up, and the values under one identity never
    /// change: a write copies storage that a tape (or anything else) also holds.
    @inlinable
    package var id: ObjectIdentifier { ObjectIdentifier(storage) }

    /// This tensor when nothing else holds its storage (no copy, view or tape), or else a view of
    /// its elements: either way a tensor whose identity (``id``) no other tensor shares.
    ///
    /// A ``Variable`` keeps its value this way, so that two variables made from (or assigned) one
    /// tensor, or a variable and the tensor it was made from, are different sources to a tape.
    /// A write to the view copies the elements first only while something else still holds
    /// this tensor (see ``withUnsafeMutableBufferPointer(_:)``).
    /// - Complexity: O(1): no element is copied; at most one small allocation, for the view.
    @inlinable
    consuming func withIdentityOfItsOwn() -> Tensor {
        if isKnownUniquelyReferenced(&storage) { return self }
        return view(as: shape)
    }

    /// This tensor's elements with `shape`, without copying them: the result's storage object
    /// views this tensor's elements and gives it an identity of its own on a tape.
    /// Copy-on-write keeps the two apart: a write through either copies the elements first.
    ///
    /// - Precondition: `shape` has as many elements as this tensor (checked by the caller).
    /// - Complexity: O(1): one small allocation, for the view's storage object.
    @inlinable
    func view(as shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: storage.makeView())
    }

    /// The rows (entries of the first axis) in `range`, without copying them: a view of those
    /// elements, which keeps all of this tensor's elements alive. Not recorded on a tape: for
    /// data that no gradient flows into, such as a data set cut in place.
    ///
    /// - Precondition: rank 1 or more and `range` within `0..<shape[0]`.
    /// - Complexity: O(1).
    package func rowsView(_ range: Range<Int>) -> Tensor {
        shapePrecondition(
            rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
            "rowsView: rows \(range) of a tensor of shape \(shape)")
        if range == 0..<shape[0] { return self }
        let rowSize = Self.elementCount(of: Array(shape.dropFirst()))
        let shape = [range.count] + self.shape.dropFirst()
        return Tensor(shape: shape, storage: storage.makeView(offset: range.lowerBound * rowSize, count: range.count * rowSize))
    }

    /// The element count of `shape`.
    @inlinable
    static func elementCount(of shape: [Int]) -> Int {
        var count = 1
        for extent in shape { count &*= extent }
        return count
    }

    /// The element count of `shape`; stops the program, naming `op`, when `shape` has a negative
    /// extent or more elements than an `Int` counts (whose product would wrap to a small or
    /// negative count).
    @usableFromInline @discardableResult
    static func checkValid(shape: [Int], op: @autoclosure () -> String) -> Int {
        shapePrecondition(shape.allSatisfy { $0 >= 0 }, "\(op()): shape \(shape) has a negative dimension")
        if shape.contains(0) { return 0 }
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            shapePrecondition(!overflow, "\(op()): shape \(shape) has more elements than Int can count")
            count = product
        }
        return count
    }
}

extension Tensor: ExpressibleByArrayLiteral {
    /// A vector from an array literal: `let v: Tensor = [1, 2, 3]`.
    public init(arrayLiteral elements: Float...) {
        self.init(elements)
    }
}

extension Tensor: Equatable {
    /// Exact equality of shape and every element (so `NaN != NaN`).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.shape == rhs.shape else { return false }
        if lhs.storage === rhs.storage { return lhs.withUnsafeBufferPointer { !$0.contains { $0.isNaN } } }
        return lhs.withUnsafeBufferPointer { a in
            rhs.withUnsafeBufferPointer { b in
                a.elementsEqual(b)
            }
        }
    }
}

/// Stops the program with `message` when `condition` is false, in every build configuration.
///
/// For a caller's programming error that is not about shapes (a non-persistent tape asked twice,
/// a negative learning rate); see ``shapePrecondition(_:_:file:line:)``.
@inlinable
public func usagePrecondition(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if !condition() {
        fatalError(message(), file: file, line: line)
    }
}

/// Stops the program, in every build configuration, unless `count` is at least 1: a count of
/// threads, rows or patience that a caller gave `what` (`"Tensor.dense: threads"`), which the
/// message names with the value: `Tensor.dense: threads must be at least 1, got 0`.
package func countPrecondition(
    _ count: Int, _ what: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line
) {
    usagePrecondition(count >= 1, "\(what()) must be at least 1, got \(count)", file: file, line: line)
}

/// Stops the program with `message` when `condition` is false, in every build configuration.
///
/// Shape errors are a caller's programming error, so they stop the program the Swift way; unlike
/// `precondition`, this keeps the message in optimised builds, where it matters most.
@inlinable
public func shapePrecondition(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if !condition() {
        fatalError(message(), file: file, line: line)
    }
}
