import CKernels
import Synchronization

/// A C help board (`sg_help_board`): a thread attached to one of its slots posts its
/// single-threaded matrix products there in pieces, and threads that wait in the pool compute
/// some of them. Which thread computes a piece never changes a bit of the product.
final class HelpBoard: @unchecked Sendable {
    let pointer: OpaquePointer
    private let helpingNanoseconds = Atomic<Int>(0)

    init(slots: Int) { pointer = sg_help_board_create(Int32(slots)) }

    /// The calling thread's products post in `slot` until ``detach()``.
    func attach(slot: Int) { sg_help_board_attach(pointer, Int32(slot)) }

    /// The calling thread's products no longer post.
    func detach() { sg_help_board_attach(nil, 0) }

    /// Computes posted pieces until none is left; whether there were any.
    func help() -> Bool {
        let start = Stopwatch.nanoseconds()
        guard sg_help_board_help(pointer) > 0 else { return false }
        helpingNanoseconds.add(Int(Stopwatch.nanoseconds() - start), ordering: .relaxed)
        return true
    }

    /// Seconds threads spent in ``help()`` computing pieces, since the board was made.
    var helpingSeconds: Double { Double(helpingNanoseconds.load(ordering: .relaxed)) / 1e9 }

    /// Pieces computed by helping threads since the board was made.
    var piecesHelped: Int { sg_help_board_pieces_helped(pointer) }

    // The pool state owns its board, and helper threads hold the state until they have left
    // their loops, so no thread can be helping when the board goes.
    deinit { sg_help_board_destroy(pointer) }
}
