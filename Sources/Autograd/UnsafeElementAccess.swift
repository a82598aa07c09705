/// Access to the elements of many tensors or variables at once, for kernels that work across all
/// of them, possibly from several threads: the data-parallel trainer's all-reduce reads every
/// micro-shard's gradients together, and its fused optimizer step writes every variable.
///
/// A tensor's elements live inside its storage object (or, for a view, inside the storage it
/// views, which the view's storage keeps alive). Objects never move, so the address stays valid
/// for as long as the storage is alive: the tensor function keeps the tensors (and so their
/// storage) alive for the duration of `body`; the variable function keeps the variables alive,
/// which hold their storage as long as nothing reads or assigns them. Nesting one closure per
/// tensor would say the same thing at a depth of hundreds.
extension Tensor {
    /// Calls `body` with the elements of every tensor in `tensors`, in the same order.
    ///
    /// The buffers are valid only during `body`, which may read them from any thread.
    ///
    /// ```swift
    /// let total = Tensor.withUnsafeBufferPointers([a, b]) { $0[0][0] + $0[1][0] }
    /// ```
    public static func withUnsafeBufferPointers<R>(
        _ tensors: [Tensor], _ body: ([UnsafeBufferPointer<Float>]) throws -> R
    ) rethrows -> R {
        // Escaping the pointers is sound here: `tensors` keeps every storage alive until `body`
        // returns, and storage never moves.
        let buffers = tensors.map { $0.withUnsafeBufferPointer { $0 } }
        return try withExtendedLifetime(tensors) { try body(buffers) }
    }
}

extension Variable {
    /// Calls `body` with mutable access to the values of every variable in `variables`, in the
    /// same order, copying each value first if something else shares it (as
    /// ``withUnsafeMutableValue(_:)`` does for one variable).
    ///
    /// `body` may write the buffers from any thread, each element from one thread at a time. It
    /// must neither read nor assign the variables meanwhile (``value``, ``assign(_:)``,
    /// ``assignAdd(_:)`` and the like): the variables are kept alive, not their values' storage,
    /// so an assignment could free the storage a buffer points into, and a value read would share
    /// the storage being written.
    ///
    /// - Precondition: no variable appears twice.
    public static func withUnsafeMutableValues<R>(
        _ variables: [Variable], _ body: ([UnsafeMutableBufferPointer<Float>]) throws -> R
    ) rethrows -> R {
        if let (first, second) = firstRepeat(in: variables) {
            usagePrecondition(false, "Variable.withUnsafeMutableValues: variable '\(variables[second].name)' appears at positions \(first) and \(second); each variable may appear once")
        }
        // Making every value unique first: a copy made for one variable cannot move another's.
        let buffers = variables.map { variable in
            variable.withUnsafeMutableValue { $0 }
        }
        return try withExtendedLifetime(variables) { try body(buffers) }
    }

    /// The positions of the first variable that `variables` holds twice (the earlier one first),
    /// or nil when each appears once. Compares identities pairwise for a short list, as an
    /// optimizer's per-step check does, and through a set for a long one.
    package static func firstRepeat(in variables: [Variable]) -> (Int, Int)? {
        if variables.count <= 32 {
            for second in variables.indices {
                for first in 0..<second where variables[first] === variables[second] { return (first, second) }
            }
            return nil
        }
        var seen: [ObjectIdentifier: Int] = [:]
        for (position, variable) in variables.enumerated() {
            if let first = seen.updateValue(position, forKey: ObjectIdentifier(variable)) { return (first, position) }
        }
        return nil
    }
}
