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

/// One flat `Float` buffer per micro-shard, each holding the gradient of every parameter, in one
/// allocation made once and reused every step.
///
/// Slot `i` is written by exactly one worker (the one computing micro-shard `i`) and read only
/// after every worker has finished, so the class needs no lock. Slots start on 64-byte
/// boundaries so that two workers never write the same cache line.
public final class GradientSlots: @unchecked Sendable {
    /// How parameters lie within a slot.
    public let layout: ParameterLayout
    /// The number of slots (the micro-shard count).
    public let slotCount: Int
    /// Elements from the start of one slot to the start of the next.
    public let slotStride: Int
    private let base: UnsafeMutablePointer<Float>

    /// Floats per 64-byte cache line.
    static let alignmentInFloats = 16

    /// Allocates `slotCount` slots for parameters laid out as `layout`, zero-filled.
    public init(layout: ParameterLayout, slotCount: Int) {
        self.layout = layout
        self.slotCount = slotCount
        let alignment = GradientSlots.alignmentInFloats
        self.slotStride = Swift.max(alignment, (layout.totalCount + alignment - 1) / alignment * alignment)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: slotStride * slotCount * MemoryLayout<Float>.stride, alignment: 64)
        self.base = raw.initializeMemory(as: Float.self, repeating: 0, count: slotStride * slotCount)
    }

    deinit {
        base.deinitialize(count: slotStride * slotCount)
        UnsafeMutableRawPointer(base).deallocate()
    }

    /// The elements of slot `index` (`layout.totalCount` of them).
    public func slot(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
        precondition(index >= 0 && index < slotCount, "GradientSlots: slot \(index) is out of range 0..<\(slotCount)")
        return UnsafeMutableBufferPointer(start: base + index * slotStride, count: layout.totalCount)
    }
}

/// A reusable flat `Float` buffer that several workers write disjoint ranges of.
final class SharedFloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutableBufferPointer<Float>

    init(count: Int) {
        pointer = .allocate(capacity: Swift.max(count, 1))
        pointer.initialize(repeating: 0)
    }

    deinit { pointer.deallocate() }
}
