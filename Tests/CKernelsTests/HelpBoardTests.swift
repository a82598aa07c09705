import CKernels
import Foundation
import Synchronization
import Testing

/// Products posted on a help board (`sg_sgemm_with_context` with a `help_board`): an idle thread
/// computes some of their pieces, and the result is the same bits as the product computed alone;
/// a product not given a board never posts.
@Suite struct HelpBoardTests {
    /// Shapes on the packed path with several row panels: several K blocks (K > 256), several N
    /// blocks (N > 1024), both transposes, beta != 0, partial last panels, and the MLP's layers.
    static let problems = [
        GEMMProblem(m: 128, n: 256, k: 784),                          // the first layer, forward
        GEMMProblem(m: 784, n: 256, k: 128, transA: true),            // its weight gradient
        GEMMProblem(m: 128, n: 784, k: 256, transB: true, beta: 0.5), // its input gradient
        GEMMProblem(m: 37, n: 1100, k: 520, alpha: 2, beta: -1),      // N and K blocks, ragged edges
        // N = 7 < NR / 2 with A as it is: AVX2 and the portable kernel compute C^T, whose 7 rows
        // make two panels of 1500 columns each (AVX-512 has a narrow-output kernel of its own,
        // which does not post, as AVX2 has for a transposed A).
        GEMMProblem(m: 1500, n: 7, k: 300, transB: true),
    ]

    /// A thread that calls `sg_help_board_help` on `board` until stopped, yielding its core
    /// whenever there was nothing to help with (other tests run at the same time).
    final class Helper: Sendable {
        private let stopping = Atomic<Bool>(false)
        private let done = DispatchSemaphore(value: 0)

        init(board: OpaquePointer) {
            let address = UInt(bitPattern: board)
            Thread { [self] in
                let board = OpaquePointer(bitPattern: address)
                while !stopping.load(ordering: .acquiring) {
                    if sg_help_board_help(board) == 0 { sched_yield() }
                }
                done.signal()
            }.start()
        }

        func stop() {
            stopping.store(true, ordering: .releasing)
            done.wait()
        }
    }

    /// A context that posts on place `slot` of `board`.
    static func posting(on board: OpaquePointer, slot: Int32) -> sg_gemm_context {
        sg_gemm_context(threads: 1, help_board: board, help_slot: slot, precision: 0)
    }

    @Test(arguments: GEMMKernel.supported)
    func helpedProductsHaveTheBitsOfProductsComputedAlone(kernel: GEMMKernel) throws {
        let board = try #require(sg_help_board_create(2))
        defer { sg_help_board_destroy(board) }
        let helper = Helper(board: board)
        defer { helper.stop() }

        for (index, problem) in Self.problems.enumerated() {
            let (a, b, c) = problem.makeOperands(seed: 300 + UInt64(index))
            let alone = problem.run(kernel: kernel, a: a, b: b, c: c)
            let posts = !(kernel.id == GEMMKernel.avx512.id && problem.n <= 16)
            // Whether the helper's thread has a core while a product runs is up to the scheduler,
            // and on a loaded machine (the whole suite runs at once) it may not for hundreds of
            // products: repeat, for up to 30 s, until it has computed some of this product's pieces.
            let before = sg_help_board_pieces_helped(board)
            let deadline = ContinuousClock.now + .seconds(posts ? 30 : 0)
            var runs = 0
            repeat {
                let posted = problem.run(kernel: kernel, a: a, b: b, c: c, context: Self.posting(on: board, slot: 1))
                let differing = zip(posted, alone).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(differing == 0, "\(kernel) \(problem): \(differing) elements of a helped product differ")
                runs += 1
                if sg_help_board_pieces_helped(board) > before { break }
            } while runs < 3 || ContinuousClock.now < deadline
            let helped = sg_help_board_pieces_helped(board) - before
            if !posts {
                #expect(helped == 0, "\(kernel) \(problem): its own kernel posts nothing")
            } else if ProcessInfo.processInfo.activeProcessorCount >= 2 {
                #expect(helped > 0, "\(kernel) \(problem): the helper never computed a piece")
            }
        }
        if sg_help_board_pieces_helped(board) > 0 {
            #expect(sg_help_board_nanoseconds_helped(board) > 0)
        }
    }

    @Test func aSlotTheBoardDoesNotHavePostsNothing() throws {
        let board = try #require(sg_help_board_create(3))
        defer { sg_help_board_destroy(board) }
        #expect(sg_help_board_help(board) == 0, "nothing is posted yet")
        let helper = Helper(board: board)
        // Place 7 of a 3-place board: the products run as if given no board, and the helper,
        // ready all along, never gets a piece.
        let problem = GEMMProblem(m: 128, n: 256, k: 300)
        let (a, b, c) = problem.makeOperands(seed: 9)
        let kernel = GEMMKernel(id: sg_gemm_detected_kernel())
        let context = Self.posting(on: board, slot: 7)
        let first = problem.run(kernel: kernel, a: a, b: b, c: c, context: context)
        #expect(problem.firstMismatch(result: first, a: a, b: b, c: c) == nil)
        for _ in 0..<50 {
            #expect(problem.run(kernel: kernel, a: a, b: b, c: c, context: context).map(\.bitPattern) == first.map(\.bitPattern))
        }
        helper.stop()
        #expect(sg_help_board_pieces_helped(board) == 0)
        #expect(sg_help_board_nanoseconds_helped(board) == 0)
    }

    /// `sg_sgemm`, and a context without a board or with several threads, never post, even on a
    /// thread whose previous product did: nothing outside a call's arguments decides whether it
    /// posts.
    @Test(arguments: GEMMKernel.supported)
    func productsWithoutABoardNeverPost(kernel: GEMMKernel) throws {
        let board = try #require(sg_help_board_create(2))
        defer { sg_help_board_destroy(board) }
        let problem = GEMMProblem(m: 128, n: 256, k: 300)  // the packed path, for every family
        let (a, b, c) = problem.makeOperands(seed: 11)

        // A posted product first, on this thread; the helper is stopped afterwards, so the count
        // of pieces it took is final before the products under test start.
        let firstHelper = Helper(board: board)
        let posted = problem.run(kernel: kernel, a: a, b: b, c: c, context: Self.posting(on: board, slot: 0))
        firstHelper.stop()
        let before = sg_help_board_pieces_helped(board)

        let helper = Helper(board: board)
        let severalThreads = sg_gemm_context(threads: 2, help_board: board, help_slot: 0, precision: 0)
        let plain = plainProduct(problem, a: a, b: b, c: c)
        #expect(problem.firstMismatch(result: plain, a: a, b: b, c: c) == nil)
        for _ in 0..<50 {
            for threads: Int32 in [1, 2] {
                let alone = problem.run(kernel: kernel, a: a, b: b, c: c, threads: threads)
                #expect(alone.map(\.bitPattern) == posted.map(\.bitPattern))
            }
            let shared = problem.run(kernel: kernel, a: a, b: b, c: c, context: severalThreads)
            #expect(shared.map(\.bitPattern) == posted.map(\.bitPattern))
            #expect(plainProduct(problem, a: a, b: b, c: c).map(\.bitPattern) == plain.map(\.bitPattern))
        }
        helper.stop()
        #expect(sg_help_board_pieces_helped(board) == before, "\(kernel): a product without a board was helped")
    }

    /// `problem` computed by plain `sg_sgemm` (the detected kernel, one thread).
    private func plainProduct(_ problem: GEMMProblem, a: [Float], b: [Float], c: [Float]) -> [Float] {
        var out = c
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    sg_sgemm(problem.transA ? 1 : 0, problem.transB ? 1 : 0, problem.m, problem.n, problem.k, problem.alpha,
                             pa.baseAddress! + problem.offset, problem.lda,
                             pb.baseAddress! + problem.offset, problem.ldb,
                             problem.beta, pc.baseAddress! + problem.offset, problem.ldc, 1)
                }
            }
        }
        return out
    }
}
