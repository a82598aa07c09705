/// Values keyed by object identity, for the tape's bookkeeping (the tensors it connects, the
/// gradients a backward pass has pending, the values of each variable it has read) and an
/// optimizer's per-variable state.
///
/// Both usually hold a handful of entries, so they live in two parallel arrays searched
/// linearly, which is cheaper than hashing an identifier for every lookup. Past
/// ``identityMapIndexThreshold`` entries a dictionary index takes over the search, keeping large
/// graphs and models with many variables at O(1) per lookup.
package struct IdentityMap<Value> {
    private var ids: [ObjectIdentifier] = []
    private var values: [Value] = []
    /// Position of each id in `ids`, once there are more than ``identityMapIndexThreshold``.
    private var index: [ObjectIdentifier: Int]?

    package init() {
        ids.reserveCapacity(identityMapIndexThreshold)
        values.reserveCapacity(identityMapIndexThreshold)
    }

    private func position(of id: ObjectIdentifier) -> Int? {
        if let index { return index[id] }
        return ids.firstIndex(of: id)
    }

    /// The value kept for `id`, left in place.
    package subscript(id: ObjectIdentifier) -> Value? {
        position(of: id).map { values[$0] }
    }

    /// Changes the value kept for `id` with `body`, or, when there is none, keeps `makeValue()`.
    package mutating func update(_ id: ObjectIdentifier, inserting makeValue: () -> Value, modifying body: (inout Value) -> Void) {
        if let position = position(of: id) {
            body(&values[position])
            return
        }
        ids.append(id)
        values.append(makeValue())
        if index != nil {
            index![id] = ids.count - 1
        } else if ids.count > identityMapIndexThreshold {
            index = Dictionary(uniqueKeysWithValues: zip(ids, ids.indices))
        }
    }

    /// Whether a value is kept for `id`.
    package func contains(_ id: ObjectIdentifier) -> Bool { position(of: id) != nil }

    /// Keeps `value` for `id` unless a value is kept for it already; returns whether it was kept.
    @discardableResult
    package mutating func insert(_ value: @autoclosure () -> Value, for id: ObjectIdentifier) -> Bool {
        var inserted = false
        update(id, inserting: { inserted = true; return value() }, modifying: { _ in })
        return inserted
    }

    /// Keeps `value` for `id`, replacing any value kept for it.
    package mutating func set(_ value: Value, for id: ObjectIdentifier) {
        update(id, inserting: { value }, modifying: { $0 = value })
    }

    /// Removes and returns the value kept for `id`.
    package mutating func remove(_ id: ObjectIdentifier) -> Value? {
        guard let position = position(of: id) else { return nil }
        let value = values[position]
        let last = ids.count - 1
        if position != last {
            ids[position] = ids[last]
            values[position] = values[last]
            index?[ids[position]] = position
        }
        ids.removeLast()
        values.removeLast()
        index?[id] = nil
        return value
    }
}

/// Entries an ``IdentityMap`` searches linearly before it builds a dictionary index.
let identityMapIndexThreshold = 16
