import Autograd
import Models
import Testing
import _TestSupport
import DataParallel
import Synchronization

@Suite("ParallelInference: chunked inference gives the taped forward pass's bits for any thread count")
struct ParallelInferenceTests {
    /// 203 examples of 20 features: not a multiple of any chunk size tested.
    private let inputs: Tensor = {
        var random = RandomStream(seed: 5)
        return Tensor.randomNormal(shape: [203, 20], standardDeviation: 2, using: &random)
    }()

    /// The output of one forward pass over every example, recorded on a tape as training does.
    private func tapedOutput<M: Model>(_ model: M, _ parameters: [Tensor]) -> Tensor {
        let tape = GradientTape()
        for parameter in parameters { tape.watch(parameter) }
        return tape.record { model(inputs, parameters: parameters) }
    }

    private func bits(_ tensor: Tensor) -> [UInt32] { tensor.scalars.map(\.bitPattern) }

    /// Fused dense layers (the buffered path), the last one narrow (5 outputs) and the hidden
    /// ones of different widths, so the two buffers are used in turn.
    @Test(arguments: [1, 2, 3], [17, 32, 256])
    func anMLPsOutputIsTheTapedPasssBits(threads: Int, chunkRows: Int) {
        let model = MLP(layerSizes: [20, 33, 17, 40, 5], weightInitializer: .heNormal, seed: 3)
        #expect(model.fusedDenseLayers?.count == 4)
        let parameters = model.initialParameters()
        let inference = ParallelInference(threads: threads, chunkRows: chunkRows)
        let output = inference.outputs(of: model, parameters: parameters, inputs: inputs)
        #expect(output.shape == [203, 5])
        #expect(bits(output) == bits(tapedOutput(model, parameters)))
        // A second call reuses the buffers and gives the same bits.
        #expect(bits(inference.outputs(of: model, parameters: parameters, inputs: inputs)) == bits(output))
    }

    /// The weights are packed once per call and the buffers kept: a call with other parameters
    /// (a later epoch's) gives their bits, not the packing of an earlier call, in both
    /// precisions. Layers wide and deep enough for the packed path with several K blocks (600
    /// inputs) and the narrow kernel (10 outputs).
    @Test(arguments: [MatrixPrecision.float32, .bf16])
    func eachCallPacksItsOwnWeights(precision: MatrixPrecision) {
        var random = RandomStream(seed: 11)
        let wide = Tensor.randomNormal(shape: [203, 600], standardDeviation: 1, using: &random)
        let kernels = KernelContext(precision: precision)
        let model = MLP(layerSizes: [600, 40, 10], weightInitializer: .heNormal, seed: 6)
        let inference = ParallelInference(threads: 2, chunkRows: 50, precision: precision)
        for seed in [6, 7, 6] as [UInt64] {
            let parameters = MLP(layerSizes: [600, 40, 10], weightInitializer: .heNormal, seed: seed).initialParameters()
            let expected = withoutRecording { model(wide, parameters: parameters, kernels: kernels) }
            #expect(bits(inference.outputs(of: model, parameters: parameters, inputs: wide)) == bits(expected), "seed \(seed)")
        }
    }

    /// Chunks whose kernels use several threads (a one-worker trainer's evaluation) give the
    /// same bits.
    @Test func kernelThreadsDoNotChangeTheBits() {
        let model = MLP(layerSizes: [20, 33, 5], seed: 8)
        let parameters = model.initialParameters()
        let inference = ParallelInference(threads: 1, kernelThreads: 2, chunkRows: 40)
        #expect(inference.threads == 1 && inference.kernelThreads == 2)
        let output = inference.outputs(of: model, parameters: parameters, inputs: inputs)
        #expect(bits(output) == bits(tapedOutput(model, parameters)))
    }

    /// Dropout is the identity outside training, so it keeps a model on the buffered path.
    @Test func dropoutKeepsTheBufferedPath() {
        let model = Sequential(
            [Dense(inputSize: 20, outputSize: 24, activation: .relu), Dropout(rate: 0.5), Dense(inputSize: 24, outputSize: 3)],
            lossKind: .softmaxCrossEntropy, seed: 4)
        #expect(model.fusedDenseLayers?.map(\.outputSize) == [24, 3])
        let parameters = model.initialParameters()
        let output = ParallelInference(threads: 2, chunkRows: 20).outputs(of: model, parameters: parameters, inputs: inputs)
        #expect(bits(output) == bits(tapedOutput(model, parameters)))
    }

    /// Layers the buffered path does not know run their own forward pass on each chunk.
    @Test(arguments: [1, 3])
    func otherLayersRunTheirOwnPassOnEachChunk(threads: Int) {
        let model = Sequential(
            [Dense(inputSize: 20, outputSize: 16, activation: .tanh), LayerNormalization(size: 16), Dense(inputSize: 16, outputSize: 2)],
            lossKind: .meanSquaredError, seed: 6)
        #expect(model.fusedDenseLayers == nil)
        let parameters = model.initialParameters()
        let output = ParallelInference(threads: threads, chunkRows: 30).outputs(of: model, parameters: parameters, inputs: inputs)
        #expect(output.shape == [203, 2])
        #expect(bits(output) == bits(tapedOutput(model, parameters)))
    }

    @Test func chunksCoverTheExamplesInOrderAndNoneIsSmall() {
        let inference = ParallelInference(threads: 1, chunkRows: 32)
        for examples in [0, 1, 31, 32, 63, 64, 65, 203, 8192] {
            let chunks = inference.chunks(ofExamples: examples)
            #expect(chunks.map(\.count).reduce(0, +) == examples)
            #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(chunks.first?.lowerBound ?? 0 == 0)
            if examples >= 32 {
                #expect(chunks.allSatisfy { $0.count >= 32 && $0.count < 64 }, "\(examples): \(chunks)")
            } else {
                #expect(chunks.count == (examples == 0 ? 0 : 1))
            }
        }
        // Below 17 rows a narrow output's product could take another kernel: never that small.
        #expect(ParallelInference(threads: 1, chunkRows: 4).chunkRows == 17)
    }

    /// `eachChunk` sees every chunk once, with its final rows of the output (the bits the call
    /// returns), on the buffered path, on a model's own pass and when all rows make one chunk.
    @Test(arguments: [1, 3], [false, true])
    func eachChunkSeesItsRowsOfTheOutputOnce(threads: Int, ownPass: Bool) {
        let model = Sequential(
            [Dense(inputSize: 20, outputSize: 16, activation: .relu)] + (ownPass ? [LayerNormalization(size: 16)] : [])
                + [Dense(inputSize: 16, outputSize: 3)],
            lossKind: .softmaxCrossEntropy, seed: 9)
        #expect((model.fusedDenseLayers == nil) == ownPass)
        let parameters = model.initialParameters()
        for chunkRows in [30, 256] {
            let inference = ParallelInference(threads: threads, chunkRows: chunkRows)
            let seen = ChunkRecorder()
            let output = inference.outputs(of: model, parameters: parameters, inputs: inputs) { rows, outputs in
                seen.record(rows, outputs)
            }
            let chunks = seen.chunks.sorted { $0.rows.lowerBound < $1.rows.lowerBound }
            #expect(chunks.map(\.rows) == inference.chunks(ofExamples: 203), "chunkRows \(chunkRows)")
            #expect(chunks.count == (chunkRows == 30 ? 6 : 1))
            let expected = bits(output)
            for chunk in chunks {
                #expect(chunk.bits == Array(expected[(3 * chunk.rows.lowerBound)..<(3 * chunk.rows.upperBound)]), "rows \(chunk.rows)")
            }
            #expect(expected == bits(tapedOutput(model, parameters)))
        }
        let none = ChunkRecorder()
        _ = ParallelInference(threads: threads).outputs(of: model, parameters: parameters, inputs: Tensor.zeros(shape: [0, 20])) {
            none.record($0, $1)
        }
        #expect(none.chunks.isEmpty)
    }

    @Test func noExamplesGiveAnEmptyOutput() {
        let model = MLP(layerSizes: [20, 8, 3], seed: 1)
        let output = ParallelInference(threads: 2).outputs(of: model, parameters: model.initialParameters(), inputs: Tensor.zeros(shape: [0, 20]))
        #expect(output.shape == [0, 3])
    }
}

/// The chunks an `eachChunk` closure was given, from whichever threads called it.
private final class ChunkRecorder: Sendable {
    private let seen = Mutex<[(rows: Range<Int>, bits: [UInt32])]>([])

    func record(_ rows: Range<Int>, _ outputs: UnsafeBufferPointer<Float>) {
        let bits = outputs.map(\.bitPattern)
        seen.withLock { $0.append((rows, bits)) }
    }

    var chunks: [(rows: Range<Int>, bits: [UInt32])] { seen.withLock { $0 } }
}
