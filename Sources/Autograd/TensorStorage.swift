/// The heap buffer behind a ``Tensor``: a header with the element count, and the elements
/// allocated in the same block (one allocation per tensor).
///
/// A storage object is also a tensor's identity on a ``GradientTape``: a tape keys what it records
/// by `ObjectIdentifier` of the storage, and keeps every storage it recorded alive so that an
/// identifier is never reused while the tape may still look it up. Every op therefore returns a
/// tensor with fresh storage; no two tensors that a tape can tell apart share one.
///
/// Storage is only mutated through ``Tensor``'s copy-on-write
/// path, which first checks that the reference is unique.
@usableFromInline
final class TensorStorage: ManagedBuffer<Int, Float> {
    /// Allocates uninitialised storage for `count` elements.
    @inlinable
    static func allocate(count: Int) -> TensorStorage {
        let buffer = TensorStorage.create(minimumCapacity: count) { _ in count }
        return unsafeDowncast(buffer, to: TensorStorage.self)
    }

    @inlinable
    var count: Int { header }

    /// Storage whose elements are all `value`.
    @inlinable
    static func filled(count: Int, with value: Float) -> TensorStorage {
        let storage = allocate(count: count)
        storage.withUnsafeMutablePointerToElements { $0.initialize(repeating: value, count: count) }
        return storage
    }

    /// A copy of this storage's elements in a new, uniquely referenced buffer.
    @inlinable
    func copy() -> TensorStorage {
        let n = count
        let result = TensorStorage.allocate(count: n)
        withUnsafeMutablePointerToElements { source in
            result.withUnsafeMutablePointerToElements { $0.initialize(from: source, count: n) }
        }
        return result
    }
}
