/// A named, mutable tensor with identity: the parameters a model learns, like `tf.Variable`.
///
/// Reading ``value`` while a ``GradientTape`` is recording on this thread watches the variable
/// (when it is ``isTrainable`` and the tape watches accessed variables), so gradients can be
/// taken with respect to it. Assignments are not recorded.
///
/// A variable's value is a tensor of its own on a tape, never the tensor it was made from or
/// assigned: two variables made from one tensor, or a variable and a tensor it was assigned, are
/// different sources and get different gradients. No element is copied for that: the variable
/// holds a view of the tensor's elements (see ``Tensor``), which an update copies first only
/// while something else still holds that tensor.
///
/// A variable is a reference type and is not `Sendable`: one thread owns it. The data-parallel
/// trainer hands its workers the variables' values (tensors), never the variables.
///
/// ```swift
/// let w = Variable(Tensor([0.5, -0.5]), name: "w")
/// w.assignSub(Tensor([0.1, 0.1]))   // [0.4, -0.6]
/// ```
public final class Variable {
    /// A name for reports and checkpoints.
    public let name: String

    /// Whether tapes watch this variable when it is read and optimizers update it.
    public var isTrainable: Bool

    /// The value without watching it.
    private(set) var storedValue: Tensor

    /// Makes a variable holding `initialValue`'s elements, under an identity of its own.
    public init(_ initialValue: consuming Tensor, name: String = "Variable", trainable: Bool = true) {
        self.storedValue = (consume initialValue).withIdentityOfItsOwn()
        self.name = name
        self.isTrainable = trainable
    }

    /// Makes a scalar variable.
    public convenience init(_ initialValue: Float, name: String = "Variable", trainable: Bool = true) {
        self.init(Tensor(initialValue), name: name, trainable: trainable)
    }

    /// The current value; reading it while a tape records watches a trainable variable.
    public var value: Tensor {
        if isTrainable, let stack = TapeStack.active {
            stack.variableRead(self, value: storedValue)
        }
        return storedValue
    }

    /// The shape of the value.
    public var shape: [Int] { storedValue.shape }

    /// Replaces the value with `newValue`'s elements, under an identity of its own: a tape that
    /// watches `newValue` (or another variable's value that `newValue` is) does not take this
    /// variable for it.
    ///
    /// - Precondition: `newValue` has the variable's shape.
    /// - Complexity: O(1): no element is copied.
    public func assign(_ newValue: consuming Tensor) {
        checkShape(newValue, op: "assign")
        storedValue = (consume newValue).withIdentityOfItsOwn()
    }

    /// Adds `delta` to the value in place.
    public func assignAdd(_ delta: Tensor) {
        update(delta, op: "assignAdd") { $0 += $1 }
    }

    /// Subtracts `delta` from the value in place.
    public func assignSub(_ delta: Tensor) {
        update(delta, op: "assignSub") { $0 -= $1 }
    }

    /// Mutates the value's elements in place (copying them first if a tape or a caller still
    /// holds the old value, or the tensor it was made from or assigned, or if the value is a view
    /// of part of another tensor's elements). Optimizers use this.
    public func withUnsafeMutableValue<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try storedValue.withUnsafeMutableBufferPointer(body)
    }

    private func update(_ delta: Tensor, op: String, _ combine: (inout Float, Float) -> Void) {
        checkShape(delta, op: op)
        delta.withUnsafeBufferPointer { source in
            storedValue.withUnsafeMutableBufferPointer { target in
                for index in target.indices { combine(&target[index], source[index]) }
            }
        }
    }

    private func checkShape(_ tensor: Tensor, op: String) {
        shapePrecondition(
            tensor.shape == storedValue.shape,
            "Variable.\(op): variable '\(name)' has shape \(storedValue.shape) but the value has shape \(tensor.shape)")
    }
}

extension Variable: CustomStringConvertible {
    public var description: String { "Variable '\(name)' shape=\(shape) value=\(storedValue)" }
}
