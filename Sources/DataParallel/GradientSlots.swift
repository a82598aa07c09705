import Autograd

/// Where each parameter's gradient lies in a flat buffer: parameter `p` occupies
/// `offsets[p] ..< offsets[p] + counts[p]`.
public struct ParameterLayout: Sendable, Equatable {
    /// The parameters' shapes, in order.
    public let shapes: [[Int]]
    /// Each parameter's first element in the flat buffer.
    public let offsets: [Int]
    /// Each parameter's element count.
    public let counts: [Int]
    /// Elements over all parameters.
    public let totalCount: Int

    /// Lays out parameters of `shapes` one after another.
    public init(shapes: [[Int]]) {
        var offsets: [Int] = [], counts: [Int] = []
        var total = 0
        for shape in shapes {
            let count = shape.reduce(1, *)
            offsets.append(total)
            counts.append(count)
            total += count
        }
        self.shapes = shapes
        self.offsets = offsets
        self.counts = counts
        self.totalCount = total
    }
}

/// The gradients of each micro-shard of a batch, kept where the backward pass left them.
///
/// A worker stores the tensors its tape returned for a micro-shard in that micro-shard's slot;
/// nothing is copied. The reducer then reads every slot's buffers together (see
/// ``withGradients(ofSlots:_:)``). The tensors stay until the slot is emptied
/// (``removeGradients(inSlot:)``), which the engine's workers do as they start the slot's next
/// micro-shard: freeing is then spread over the workers instead of done by one thread, and the
/// memory is free again for the new micro-shard's own tensors.
///
/// Slot `i` is written by exactly one worker (the one computing micro-shard `i`) and read only
/// after every worker has finished, so the class needs no lock.
public final class GradientSlots: @unchecked Sendable {
    /// How the parameters are laid out: their shapes and element counts.
    public let layout: ParameterLayout
    /// The number of slots (the most micro-shards a batch has).
    public let slotCount: Int
    /// Each slot's gradients, one per parameter, or nil while the slot is empty.
    private let entries: UnsafeMutableBufferPointer<[Tensor]?>
    /// Zeros as long as the largest parameter: the gradient of a parameter the loss does not use.
    private let zeros: Tensor

    /// Makes `slotCount` empty slots for parameters laid out as `layout`.
    public init(layout: ParameterLayout, slotCount: Int) {
        countPrecondition(slotCount, "GradientSlots: slotCount")
        self.layout = layout
        self.slotCount = slotCount
        self.entries = .allocate(capacity: slotCount)
        self.entries.initialize(repeating: nil)
        self.zeros = Tensor(repeating: 0, shape: [layout.counts.max() ?? 0])
    }

    deinit {
        _ = entries.deinitialize()
        entries.deallocate()
    }

    /// Keeps `gradients` (one per parameter, in order; nil for a parameter the loss does not
    /// use, which then counts as zeros) as slot `slot`'s, replacing what it held.
    ///
    /// - Precondition: one gradient per parameter, each with the parameter's element count.
    public func store(_ gradients: [Tensor?], inSlot slot: Int) {
        usagePrecondition(slot >= 0 && slot < slotCount, "GradientSlots: slot \(slot) is out of range 0..<\(slotCount)")
        shapePrecondition(
            gradients.count == layout.counts.count,
            "GradientSlots.store: \(gradients.count) gradients for \(layout.counts.count) parameters")
        entries[slot] = gradients.enumerated().map { index, gradient in
            guard let gradient else { return zeros }
            shapePrecondition(
                gradient.scalarCount == layout.counts[index],
                "GradientSlots.store: the gradient of parameter \(index) has shape \(gradient.shape) but the parameter has shape \(layout.shapes[index])")
            return gradient
        }
    }

    /// Empties slot `slot`, releasing its gradients.
    public func removeGradients(inSlot slot: Int) {
        usagePrecondition(slot >= 0 && slot < slotCount, "GradientSlots: slot \(slot) is out of range 0..<\(slotCount)")
        entries[slot] = nil
    }

    /// Calls `body` with the buffers of the gradients in `activeSlots`, which stay valid and
    /// unchanged during the call; `body` may read them from any thread.
    ///
    /// - Precondition: every slot in `activeSlots` holds gradients.
    public func withGradients<R>(ofSlots activeSlots: [Int], _ body: (SlotGradients) -> R) -> R {
        var tensors: [Tensor] = []
        tensors.reserveCapacity(activeSlots.count * layout.counts.count)
        for slot in activeSlots {
            usagePrecondition(slot >= 0 && slot < slotCount, "GradientSlots: slot \(slot) is out of range 0..<\(slotCount)")
            guard let gradients = entries[slot] else {
                preconditionFailure("GradientSlots: slot \(slot) holds no gradients")
            }
            tensors += gradients
        }
        return Tensor.withUnsafeBufferPointers(tensors) { buffers in
            body(SlotGradients(
                addresses: buffers.map { $0.baseAddress! },
                parameterCount: layout.counts.count, slotCount: activeSlots.count))
        }
    }
}

/// The addresses of some slots' gradients, for the threads of a reducer; valid only inside
/// ``GradientSlots/withGradients(ofSlots:_:)``.
public struct SlotGradients: @unchecked Sendable {
    private let addresses: [UnsafePointer<Float>]
    private let parameterCount: Int
    /// The number of slots, in the order they were asked for.
    public let slotCount: Int

    init(addresses: [UnsafePointer<Float>], parameterCount: Int, slotCount: Int) {
        self.addresses = addresses
        self.parameterCount = parameterCount
        self.slotCount = slotCount
    }

    /// The first element of parameter `parameter`'s gradient in the `index`-th slot asked for.
    public func gradient(slot index: Int, parameter: Int) -> UnsafePointer<Float> {
        addresses[index * parameterCount + parameter]
    }
}

/// A flat buffer that several threads write disjoint ranges of.
final class SharedBuffer<Element>: @unchecked Sendable {
    let pointer: UnsafeMutableBufferPointer<Element>

    init(count: Int, repeating value: Element) {
        pointer = .allocate(capacity: Swift.max(count, 1))
        pointer.initialize(repeating: value)
    }

    deinit {
        pointer.deinitialize()
        pointer.deallocate()
    }
}
