import Autograd
import CKernels

/// A step's matrix parameters packed for the matrix kernel once and read by the products of
/// every micro-shard, the workers' ``/Autograd/PackedOperandSource``.
///
/// Each micro-shard multiplies by a dense layer's weights W twice, forward (x·W: op(B) = W) and
/// for its input's gradient (dZ·Wᵀ: op(B) = Wᵀ); unshared, every such product packs op(B) again
/// (and in bf16 rounds it again). Here each (matrix parameter, orientation) that a product of
/// the step asks for is packed once, into a buffer kept from step to step, and every later
/// product of the step reads that buffer. `sg_sgemm_packed_b` gives the unpacked product's bits,
/// so nothing but the speed changes.
///
/// A step's life:
/// 1. ``begin(parameters:)`` (the coordinator, before the workers start) binds the step's
///    tensors and queues the packings that the previous step's products used.
/// 2. Each worker first calls ``packQueued()``: the workers take the queued packings, largest
///    first, each packing one while holding that packing's lock, so the step's first products
///    wait for a packing only while a worker is filling it. A product that asks for an
///    orientation nobody queued packs it then, under the same lock (the first step packs
///    everything that way, and learns what the products use).
/// 3. ``end()`` (the coordinator, once every worker has finished) unbinds the tensors.
///
/// Why a packing is never stale: a lookup matches a tensor by its storage object, among the
/// tensors bound for the step, and the packing is made from that storage's elements during the
/// step. While bound, those tensors are held here, so a write to a parameter through the tensor
/// API (an optimizer's update) copies its storage first: the written tensor has another
/// identity and matches nothing. After ``end()`` nothing matches at all, and the next step packs
/// again from whatever the parameters then hold. So a packing is read only within the step that
/// made it, from the elements it was made from.
///
/// All mutable state is behind ``Locked``: the binding, the queue, and each packing with its
/// buffer, which a thread fills only while holding its lock and other threads read after taking
/// that lock.
package final class PackedParameters: PackedOperandSource, @unchecked Sendable {
    // @unchecked: the buffers are raw memory, written only under their entry's lock and read
    // only after a thread has taken it (see the type's discussion).

    /// What the products of the step compute from; other precisions are never served.
    package let precision: MatrixPrecision
    /// The kernel family `sg_sgemm_with_context` takes for that precision.
    private let kernel: Int32
    /// The precision as the C kernels take it.
    private let gemmPrecision: Int32
    /// For each parameter, the first of its two entries (W, then Wᵀ) when it is a matrix.
    private let firstEntry: [Int?]
    /// One per matrix parameter and orientation.
    private let entries: [Locked<Entry>]
    /// The step's tensors, or nil between steps.
    private let bound = Locked<[Tensor]?>(nil)
    /// Entries queued by ``begin(parameters:)``, largest first, and how many have been taken.
    private let queue = Locked<(entries: [Int], taken: Int)>(([], 0))

    /// One packing: op(B) of one matrix parameter in one orientation.
    private struct Entry {
        /// The parameter.
        let parameter: Int
        /// Whether op(B) is the parameter's transpose.
        let transposed: Bool
        /// Bytes of the packing (`sg_gemm_packed_b_bytes`).
        let bytes: Int
        /// Its buffer, 64-byte aligned, allocated at the first packing and kept.
        var buffer: UnsafeMutableRawPointer?
        /// Whether the buffer holds the bound tensor's packing for this step.
        var isPacked = false
        /// Whether a product of the step read it: the next step queues it.
        var wasUsed = false
    }

    /// Entries for every matrix among parameters of `shapes`, for products in `precision`.
    package init(shapes: [[Int]], precision: MatrixPrecision) {
        self.precision = precision
        let gemmPrecision = KernelContext(precision: precision).gemm.precision
        self.gemmPrecision = gemmPrecision
        kernel = precision == .bf16 ? sg_gemm_detected_bf16_kernel() : sg_gemm_detected_kernel()
        var firstEntry: [Int?] = []
        var entries: [Locked<Entry>] = []
        for (index, shape) in shapes.enumerated() {
            guard shape.count == 2 else {
                firstEntry.append(nil)
                continue
            }
            firstEntry.append(entries.count)
            for transposed in [false, true] {
                let (k, n) = transposed ? (shape[1], shape[0]) : (shape[0], shape[1])
                let bytes = sg_gemm_packed_b_bytes(kernel, gemmPrecision, n, k)
                entries.append(Locked(Entry(parameter: index, transposed: transposed, bytes: bytes)))
            }
        }
        self.firstEntry = firstEntry
        self.entries = entries
    }

    deinit {
        for entry in entries { entry.withLock { $0.buffer?.deallocate() } }
    }

    /// Whether any parameter is a matrix: without one there is nothing to pack.
    package var hasMatrices: Bool { !entries.isEmpty }

    /// Binds the step's `parameters` (shaped as the engine's layout) and queues the packings
    /// the previous step used. Call before the workers start.
    package func begin(parameters: [Tensor]) {
        bound.withLock { $0 = parameters }
        var used: [(entry: Int, bytes: Int)] = []
        for (index, entry) in entries.enumerated() {
            entry.withLock { entry in
                if entry.wasUsed { used.append((index, entry.bytes)) }
                entry.isPacked = false
                entry.wasUsed = false
            }
        }
        // Largest first, so that the workers' shares of the packing end close together.
        used.sort { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.entry < $1.entry }
        queue.withLock { $0 = (used.map(\.entry), 0) }
    }

    /// Packs queued entries until none is left to take. Each worker calls it before its
    /// micro-shards.
    package func packQueued() {
        while let index = queue.withLock({ queue -> Int? in
            guard queue.taken < queue.entries.count else { return nil }
            queue.taken += 1
            return queue.entries[queue.taken - 1]
        }) {
            guard let tensors = bound.withLock({ $0 }) else { return }
            entries[index].withLock { entry in
                if !entry.isPacked { pack(&entry, from: tensors[entry.parameter]) }
            }
        }
    }

    /// The packings the products of the last step read, as (parameter index, transposed) in
    /// parameter order: what the next step packs before its products start.
    package var usedPackings: [(parameter: Int, transposed: Bool)] {
        entries.compactMap { entry in entry.withLock { $0.wasUsed ? ($0.parameter, $0.transposed) : nil } }
    }

    /// Unbinds the step's tensors: no lookup matches until the next ``begin(parameters:)``.
    /// Call once every worker has finished.
    package func end() {
        bound.withLock { $0 = nil }
        queue.withLock { $0 = ([], 0) }
        for entry in entries { entry.withLock { $0.isPacked = false } }
    }

    package func packedOperand(_ matrix: Tensor, transposed: Bool, precision: MatrixPrecision) -> UnsafeRawPointer? {
        guard precision == self.precision, matrix.rank == 2 else { return nil }
        guard let parameter = bound.withLock({ tensors in tensors?.firstIndex { $0.id == matrix.id } }),
              let first = firstEntry[parameter]
        else { return nil }
        return entries[first + (transposed ? 1 : 0)].withLock { entry in
            if !entry.isPacked { pack(&entry, from: matrix) }
            entry.wasUsed = true
            return UnsafeRawPointer(entry.buffer)
        }
    }

    /// Fills `entry`'s buffer with op(B) of `matrix`, the bound tensor of its parameter.
    /// Called holding the entry's lock.
    private func pack(_ entry: inout Entry, from matrix: Tensor) {
        if entry.buffer == nil {
            entry.buffer = .allocate(byteCount: entry.bytes, alignment: 64)
        }
        let (rows, columns) = (matrix.shape[0], matrix.shape[1])
        let (k, n) = entry.transposed ? (columns, rows) : (rows, columns)
        matrix.withUnsafeBufferPointer { elements in
            sg_gemm_pack_b(
                kernel, gemmPrecision, entry.transposed ? 1 : 0, n, k,
                elements.baseAddress, columns, entry.buffer)
        }
        entry.isPacked = true
    }
}
