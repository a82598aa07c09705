import CKernels

/// How the C kernels of an op run: the threads they may use, on a data-parallel worker the
/// help-board place where its single-threaded matrix products post their pieces for idle workers
/// to compute, and the precision of its matrix products.
///
/// The threads and the help board never change a bit of any result. The ``precision`` does:
/// under ``MatrixPrecision/bf16`` the op's matrix products, and those of its pullback, round
/// their inputs to bfloat16 and sum in Float32 (the same bits on every x86 CPU); everything else the
/// op computes stays Float32.
///
/// Ops take it as an argument (`kernels:`), and their pullbacks reuse it, so whatever changes how
/// a product runs is decided where the op is called; nothing is read from thread-local state.
/// The data-parallel engine hands each worker its context through the worker's `ShardContext`.
///
/// ```swift
/// let y = Tensor.dense(x, w, b, activation: .relu, kernels: KernelContext(threads: 4))
/// let mixed = Tensor.dense(x, w, b, activation: .relu, kernels: KernelContext(threads: 4, precision: .bf16))
/// ```
public struct KernelContext: @unchecked Sendable {
    // @unchecked: the board is a C object made for use from many threads at once (its own locks
    // and atomics), and this value only passes its address to the C kernels; the packed
    // operands are Sendable.

    /// The most threads each kernel of the op may use (at least 1).
    public let threads: Int
    /// The `sg_help_board` single-threaded products post on, or nil: they never post.
    let helpBoard: OpaquePointer?
    /// The place on `helpBoard` that belongs to the thread running the op.
    let helpSlot: Int
    /// What the matrix products of the op and its pullback compute from (``MatrixPrecision``):
    /// unlike the threads and the help board, it changes the bits of their results.
    public let precision: MatrixPrecision
    /// Right operands packed ahead of the products (a data-parallel step's weights), which the
    /// products that multiply by them read instead of packing them again; nil: every product
    /// packs its own. Never changes a bit.
    package let packedOperands: (any PackedOperandSource)?

    /// Kernels that use up to `threads` threads (at least 1), never post on a help board, and
    /// compute their matrix products in `precision` (Float32 by default).
    public init(threads: Int = 1, precision: MatrixPrecision = .float32) {
        self.init(threads: threads, helpBoard: nil, helpSlot: 0, precision: precision)
    }

    /// Kernels whose single-threaded matrix products post in place `helpSlot` of `helpBoard`.
    /// The board must outlive every op given this context (and their pullbacks), and only one
    /// thread at a time may run ops with a given place.
    package init(
        threads: Int, helpBoard: OpaquePointer?, helpSlot: Int, precision: MatrixPrecision = .float32,
        packedOperands: (any PackedOperandSource)? = nil
    ) {
        countPrecondition(threads, "KernelContext: threads")
        self.threads = threads
        self.helpBoard = helpBoard
        self.helpSlot = helpSlot
        self.precision = precision
        self.packedOperands = packedOperands
    }

    /// This context, its products reading the right operands that `source` has packed.
    package func readingPackedOperands(from source: (any PackedOperandSource)?) -> KernelContext {
        KernelContext(threads: threads, helpBoard: helpBoard, helpSlot: helpSlot, precision: precision, packedOperands: source)
    }

    /// op(B) = `b` (`bᵀ` when `transposed`) packed for this context's products, if its
    /// ``packedOperands`` hold it.
    @inline(__always)
    func packedOperand(_ b: Tensor, transposed: Bool) -> UnsafeRawPointer? {
        packedOperands?.packedOperand(b, transposed: transposed, precision: precision)
    }

    /// One thread, no help board, Float32 products: the default of every op.
    public static let serial = KernelContext()

    /// This context as `sg_sgemm_with_context` takes it.
    package var gemm: sg_gemm_context {
        sg_gemm_context(threads: Int32(threads), help_board: helpBoard, help_slot: Int32(helpSlot), precision: precision.gemmPrecision)
    }
}
