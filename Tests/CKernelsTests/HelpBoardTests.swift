import CKernels
import Foundation
import Synchronization
import Testing

/// Products posted on a help board (`sg_help_board_*`): an idle thread computes some of their
/// pieces, and the result is the same bits as the product computed alone.
@Suite struct HelpBoardTests {
    /// Shapes on the main path with several row panels: several K blocks (K > 256), several N
    /// blocks (N > 1024), both transposes, beta != 0, partial last panels, and the MLP's layers.
    static let problems = [
        GEMMProblem(m: 128, n: 256, k: 784),                          // the first layer, forward
        GEMMProblem(m: 784, n: 256, k: 128, transA: true),            // its weight gradient
        GEMMProblem(m: 128, n: 784, k: 256, transB: true, beta: 0.5), // its input gradient
        GEMMProblem(m: 37, n: 1100, k: 520, alpha: 2, beta: -1),      // N and K blocks, ragged edges
        GEMMProblem(m: 25, n: 3, k: 40, transA: true, transB: true),  // narrow: C^T on AVX2 / generic
    ]

    @Test(arguments: [GEMMKernel.avx512, GEMMKernel.avx2, GEMMKernel.generic])
    func helpedProductsHaveTheBitsOfProductsComputedAlone(kernel: GEMMKernel) throws {
        guard kernel.isSupported else { return }
        let board = try #require(sg_help_board_create(2))
        defer { sg_help_board_destroy(board) }
        let stop = Atomic<Bool>(false)
        let helped = Atomic<Int>(0)
        let helperDone = DispatchSemaphore(value: 0)
        let boardAddress = UInt(bitPattern: board)
        Thread {
            let board = OpaquePointer(bitPattern: boardAddress)
            while !stop.load(ordering: .acquiring) {
                helped.add(sg_help_board_help(board), ordering: .relaxed)
            }
            helperDone.signal()
        }.start()

        for (index, problem) in Self.problems.enumerated() {
            let (a, b, c) = problem.makeOperands(seed: 300 + UInt64(index))
            let alone = problem.run(kernel: kernel, a: a, b: b, c: c)
            for _ in 0..<4 {
                sg_help_board_attach(board, 1)
                let posted = problem.run(kernel: kernel, a: a, b: b, c: c)
                sg_help_board_attach(nil, 0)
                let differing = zip(posted, alone).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(differing == 0, "\(kernel) \(problem): \(differing) elements of a helped product differ")
            }
        }
        // Whether the helper's thread had a core while the products ran is up to the scheduler
        // (other tests run at the same time): post more until it has taken a piece.
        let problem = Self.problems[1]
        let (a, b, c) = problem.makeOperands(seed: 400)
        for _ in 0..<200 where helped.load(ordering: .relaxed) == 0 {
            sg_help_board_attach(board, 1)
            _ = problem.run(kernel: kernel, a: a, b: b, c: c)
            sg_help_board_attach(nil, 0)
        }
        stop.store(true, ordering: .releasing)
        helperDone.wait()
        if ProcessInfo.processInfo.activeProcessorCount >= 2 {
            #expect(helped.load(ordering: .relaxed) > 0, "the helper never computed a piece")
            #expect(sg_help_board_pieces_helped(board) == helped.load(ordering: .relaxed), "the board counts what its helper computed")
        }
    }

    @Test func aBoardWithNothingPostedHasNothingToHelpWith() throws {
        let board = try #require(sg_help_board_create(3))
        defer { sg_help_board_destroy(board) }
        #expect(sg_help_board_help(board) == 0)
        // A product of a thread attached to a slot the board does not have posts nothing and
        // still computes the product.
        sg_help_board_attach(board, 7)
        let problem = GEMMProblem(m: 30, n: 40, k: 50)
        let (a, b, c) = problem.makeOperands(seed: 9)
        let result = problem.run(kernel: .generic, a: a, b: b, c: c)
        sg_help_board_attach(nil, 0)
        #expect(problem.firstMismatch(result: result, a: a, b: b, c: c) == nil)
        #expect(sg_help_board_help(board) == 0)
    }
}
