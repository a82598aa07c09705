import CKernels

/// A C help board (`sg_help_board`): a thread attached to one of its slots posts its
/// single-threaded matrix products there in pieces, and threads that wait in the pool compute
/// some of them. Which thread computes a piece never changes a bit of the product.
///
/// Only products on the packed GEMM path post (see `sg_help_board_attach`): not the AVX-512
/// kernels for narrow outputs, short K or single columns, nor products given several threads.
final class HelpBoard: @unchecked Sendable {
    let pointer: OpaquePointer

    init(slots: Int) { pointer = sg_help_board_create(Int32(slots)) }

    /// The calling thread's products post in `slot` until ``detach()``. A thread has one
    /// attachment at a time.
    func attach(slot: Int) { sg_help_board_attach(pointer, Int32(slot)) }

    /// The calling thread's products no longer post.
    func detach() { sg_help_board_attach(nil, 0) }

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
