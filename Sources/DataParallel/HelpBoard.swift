import Autograd
import CKernels

/// A C help board (`sg_help_board`): each worker's single-threaded matrix products, given the
/// worker's place on it through their ``KernelContext``, post their pieces there, and threads
/// that wait in the pool compute some of them. Which thread computes a piece never changes a bit
/// of the product.
///
/// Only products on the packed GEMM path post (see `sg_sgemm_with_context`): not the AVX-512
/// kernels for narrow outputs, short K or single columns, nor products given several threads.
final class HelpBoard: @unchecked Sendable {
    let pointer: OpaquePointer
    /// Places on the board: one per worker.
    let slots: Int

    init(slots: Int) {
        self.slots = slots
        pointer = sg_help_board_create(Int32(slots))
    }

    /// Kernels with up to `threads` threads whose single-threaded matrix products, computed in
    /// `precision`, post in place `slot`. Only one thread at a time may run ops with a given
    /// place, and the board must outlive them (the pool that owns it outlives every job).
    func kernels(threads: Int, slot: Int, precision: MatrixPrecision) -> KernelContext {
        usagePrecondition((0..<slots).contains(slot), "HelpBoard: no place \(slot) on a board of \(slots) places")
        return KernelContext(threads: threads, helpBoard: pointer, helpSlot: slot, precision: precision)
    }

    /// One pass over the board: computes pieces of every product posted there until it has
    /// none left to take; whether there were any. One atomic load when nothing is posted.
    func help() -> Bool { sg_help_board_help(pointer) > 0 }

    /// Pieces computed by helping threads since the board was made.
    var piecesHelped: Int { sg_help_board_pieces_helped(pointer) }

    /// Seconds helping threads spent in the products they took pieces of, all together.
    var helpingSeconds: Double { Double(sg_help_board_nanoseconds_helped(pointer)) / 1e9 }

    // The pool state owns its board, and helper threads hold the state until they have left
    // their loops, so no thread can be helping when the board goes.
    deinit { sg_help_board_destroy(pointer) }
}
