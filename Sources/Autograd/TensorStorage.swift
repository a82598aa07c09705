/// The heap object behind a ``Tensor``: a header, and usually the elements, allocated in the
/// same block (one allocation per tensor).
///
/// A view (``Tensor/view(as:)``) gets a storage object of its own that holds no elements: its
/// header points at the elements of the storage it views, which it keeps alive as its `base`. So
/// views copy no elements, yet every tensor that a tape must tell apart from another (a view and
/// its base, two views of one storage) has a storage object of its own, and that object is its
/// identity on a ``GradientTape`` (``Tensor/id``).
///
/// Elements are only written through ``Tensor``'s copy-on-write path, which first checks that the
/// storage is uniquely referenced and, for a view, that no other storage shows its elements: that
/// it views all of its base and that nothing else holds the base.
@usableFromInline
final class TensorStorage: ManagedBuffer<TensorStorageHeader, Float> {
    /// Allocates uninitialised storage for `count` elements.
    @inlinable
    static func allocate(count: Int) -> TensorStorage {
        let buffer = TensorStorage.create(minimumCapacity: count) { buffer in
            // Objects never move, so the address of the tail elements holds for the object's life.
            TensorStorageHeader(count: count, elements: buffer.withUnsafeMutablePointerToElements { $0 }, base: nil)
        }
        return unsafeDowncast(buffer, to: TensorStorage.self)
    }

    // The header is read through its address: its fields never change after `create`, and the
    // `header` property would add a dynamic exclusivity check to every read.

    /// The number of elements.
    @inlinable
    var count: Int { withUnsafeMutablePointerToHeader { $0.pointee.count } }

    /// Whether the elements belong to another storage object, which this one views.
    @inlinable
    var isView: Bool { withUnsafeMutablePointerToHeader { $0.pointee.base != nil } }

    /// Whether this storage views all of its base's elements and nothing but this view holds the
    /// base: then no storage other than this one shows those elements.
    ///
    /// With this storage uniquely referenced too, a write to the elements is seen by no other
    /// tensor, so a view whose base has been let go is written in place, as its base would be.
    @inlinable
    var isSoleViewOfItsWholeBase: Bool {
        let header = withUnsafeMutablePointerToHeader { $0.pointee }
        guard let base = header.base else { return false }
        // The view's own reference to its base, taken as a strong reference for the check and
        // handed back after it, so the base's reference count is what it was.
        var owner = base.takeRetainedValue()
        defer { _ = Unmanaged.passRetained(owner) }
        // A view lies within its base, so one of the same count starts at the base's first element.
        return owner.count == header.count && isKnownUniquelyReferenced(&owner)
    }

    deinit {
        withUnsafeMutablePointerToHeader { $0.pointee.base }?.release()
    }

    /// Calls `body` with the address of the first element, keeping this storage (and so the
    /// storage it views) alive meanwhile.
    @inlinable
    func withElements<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        defer { extendLifetime(self) }
        return try body(withUnsafeMutablePointerToHeader { $0.pointee.elements })
    }

    /// Storage whose elements are all `value`.
    @inlinable
    static func filled(count: Int, with value: Float) -> TensorStorage {
        let storage = allocate(count: count)
        storage.withElements { $0.initialize(repeating: value, count: count) }
        return storage
    }

    /// A copy of this storage's elements in a new, uniquely referenced buffer of its own.
    @inlinable
    func copy() -> TensorStorage {
        let n = count
        let result = TensorStorage.allocate(count: n)
        withElements { source in
            result.withElements { $0.initialize(from: source, count: n) }
        }
        return result
    }

    /// A new storage object that shows this storage's elements (`count` of them from `offset`,
    /// or all) without copying them.
    ///
    /// It refers to the storage that owns the elements, never to another view, so views of
    /// views keep one object alive, not a chain.
    /// - Complexity: O(1): one allocation of a header.
    @inlinable
    func makeView(offset: Int = 0, count: Int? = nil) -> TensorStorage {
        let header = withUnsafeMutablePointerToHeader { $0.pointee }
        let owner = header.base ?? Unmanaged.passUnretained(self)
        let count = count ?? header.count - offset
        precondition(
            offset >= 0 && count >= 0 && offset <= header.count - count,
            "TensorStorage.makeView: \(count) elements from \(offset) of \(header.count)")
        let buffer = TensorStorage.create(minimumCapacity: 0) { _ in
            TensorStorageHeader(count: count, elements: header.elements + offset, base: owner.retain())
        }
        return unsafeDowncast(buffer, to: TensorStorage.self)
    }
}

/// The header of a ``TensorStorage``.
///
/// A trivial type, so that reading the count or the element address is a plain load: a strong
/// reference here would be retained and released on every read. The storage retains `base` when
/// it makes a view and releases it in `deinit`.
@usableFromInline
struct TensorStorageHeader {
    /// The number of elements.
    @usableFromInline
    let count: Int
    /// The first element: in the storage's own block, or in `base`'s for a view.
    @usableFromInline
    let elements: UnsafeMutablePointer<Float>
    /// For a view, the storage that owns its elements, retained by the view; `nil` otherwise.
    @usableFromInline
    let base: Unmanaged<TensorStorage>?

    @inlinable
    init(count: Int, elements: UnsafeMutablePointer<Float>, base: Unmanaged<TensorStorage>?) {
        self.count = count
        self.elements = elements
        self.base = base
    }
}
