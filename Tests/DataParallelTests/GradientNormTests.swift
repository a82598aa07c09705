import Autograd
import Testing
import _TestSupport
import DataParallel

@Suite("GradientSquares: a global norm from chunks, the same bits in any order")
struct GradientNormTests {
    /// Two parameters, the first cut into three chunks by the in-process reducer.
    private let gradients: [Tensor] = {
        var random = RandomStream(seed: 9)
        return [
            Tensor.randomNormal(shape: [3 * InProcessGradientReducer.chunkSize - 100], standardDeviation: 3, using: &random),
            Tensor.randomNormal(shape: [17, 5], using: &random),
        ]
    }()

    @Test func theNormIsTheSquareRootOfTheSumOfSquares() {
        let norm = GradientSquares.globalNorm(of: gradients)
        let exact = gradients.reduce(0.0) { total, tensor in tensor.scalars.reduce(total) { $0 + Double($1) * Double($1) } }.squareRoot()
        #expect(abs(Double(norm) - exact) <= 1e-6 * exact, "\(norm) against \(exact)")
        #expect(GradientSquares.globalNorm(of: [nil, gradients[1]]) == GradientSquares.globalNorm(of: [gradients[1]]))
        #expect(GradientSquares.globalNorm(of: []) == 0)
    }

    @Test func chunksAddedInAnyOrderFromAnyThreadGiveTheSameBits() async {
        let expected = GradientSquares.globalNorm(of: gradients)
        var chunks: [(parameter: Int, start: Int, count: Int)] = []
        for (parameter, tensor) in gradients.enumerated() {
            for start in stride(from: 0, to: tensor.scalarCount, by: InProcessGradientReducer.chunkSize) {
                chunks.append((parameter, start, Swift.min(InProcessGradientReducer.chunkSize, tensor.scalarCount - start)))
            }
        }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<5 {
            let squares = GradientSquares()
            await withTaskGroup(of: Void.self) { group in
                for chunk in chunks.shuffled(using: &random) {
                    let tensor = gradients[chunk.parameter]
                    group.addTask {
                        tensor.withUnsafeBufferPointer { buffer in
                            squares.add(parameter: chunk.parameter, start: chunk.start,
                                        values: UnsafeBufferPointer(rebasing: buffer[chunk.start..<chunk.start + chunk.count]))
                        }
                    }
                }
            }
            #expect(squares.globalNorm.bitPattern == expected.bitPattern)
            squares.reset()
            #expect(squares.globalNorm == 0)
        }
    }

    /// The norm measured on the all-reduce's chunks is the norm of the gradients it reduces to.
    @Test(arguments: [1, 2, 3])
    func theNormOfTheReducersChunksIsTheNormOfItsResult(threads: Int) {
        let shapes = gradients.map(\.shape)
        let slots = GradientSlots(layout: ParameterLayout(shapes: shapes), slotCount: 2)
        slots.store(gradients, inSlot: 0)
        slots.store(gradients.map { $0 * 0.5 }, inSlot: 1)
        let reducer = InProcessGradientReducer(threads: threads)
        let squares = GradientSquares()
        reducer.allReduce(slots, activeSlots: [0, 1], divisor: 3) { squares.add($0) }
        let reduced = UnsafeMutableBufferPointer<Float>.allocate(capacity: slots.layout.totalCount)
        defer { reduced.deallocate() }
        reducer.allReduce(slots, activeSlots: [0, 1], divisor: 3, into: reduced)
        let tensors = shapes.indices.map { index in
            Tensor(shape: shapes[index]) { target in
                target.baseAddress!.initialize(from: reduced.baseAddress! + slots.layout.offsets[index], count: slots.layout.counts[index])
            }
        }
        #expect(squares.globalNorm.bitPattern == GradientSquares.globalNorm(of: tensors).bitPattern)
    }
}
