import Autograd
import CKernels
import Foundation
import Models
import Synchronization

/// A model's inference pass over many examples at once (evaluation, prediction): no tape, the
/// examples cut into fixed chunks that the threads of a pool take as they come, the same bits
/// for any number of threads.
///
/// The examples are cut into `max(1, n / chunkRows)` chunks of consecutive rows, of
/// ``chunkRows`` to `2 · chunkRows − 1` rows each (the remainder is spread over them, so no chunk
/// is small). The cut depends only on the number of examples; a thread takes the next chunk
/// when it has finished one, so a slower core takes fewer. Each chunk's rows go through the
/// model with single-threaded kernels (``kernelThreads`` threads, when set), its matrix products
/// in ``precision``, and the output is written into its rows of the result.
///
/// Why the result is the same as one pass over all the examples, and the same for any number of
/// threads: a row of a dense layer's output depends only on that row of its input (the matrix
/// product's sums run over the input features, in an order that the number of rows does not
/// change), and every chunk has more rows than a narrow output has columns, so each product
/// takes the kernel the whole pass takes. A bf16 product is defined element by element, so the
/// same holds in either precision. Sums over examples (a loss, a count) are left to the
/// caller, who adds the per-example values in a fixed order.
///
/// Models made only of fused dense layers (``/Models/MLP``, a ``/Models/Sequential`` of
/// ``/Models/Dense`` layers with linear or ReLU activations, and ``/Models/Dropout``, the
/// identity in inference) take a path with no allocation per chunk: each thread keeps two
/// activation buffers between calls, and each layer is one matrix product and one bias and
/// activation pass, the kernels of ``/Autograd/Tensor/dense(_:_:_:activation:kernels:)``. The
/// layers' weights are packed for the matrix kernel once per call (into buffers kept between
/// calls) and read by every chunk's product, which would otherwise copy them again for each
/// chunk; and in Float32 each product reads the chunk's activations where they lie instead of
/// copying them into the kernel's panels (`sg_sgemm_packed_b_unpacked_a`: a chunk's rows stay in
/// the core's cache while they are multiplied). The products give the same bits either way.
/// Other models run their own forward pass on each chunk.
///
/// Not `Sendable`: one thread owns it and calls it; its pool's threads run only inside a call.
///
/// ```swift
/// let model = MLP(layerSizes: [784, 256, 10], seed: 1)
/// let inference = ParallelInference(threads: 2)
/// let logits = inference.outputs(of: model, parameters: model.initialParameters(), inputs: images)
/// // the same bits as model(images, parameters: model.initialParameters())
/// ```
public final class ParallelInference {
    /// Rows per chunk, at least (256): enough that a chunk's matrix products run near the
    /// kernels' full speed and the threads meet rarely, few enough that 8 192 examples make 32
    /// chunks to share among unequal cores, and that a chunk's activations (256 × 256 floats,
    /// 256 KiB) stay in a core's cache.
    public static let defaultChunkRows = 256

    /// The fewest rows a chunk has (the last ones up to twice as many); a data set of fewer
    /// examples is one chunk.
    public let chunkRows: Int
    /// Threads that take chunks, the calling thread included.
    public let threads: Int
    /// Threads each chunk's matrix products and loops may use (1 unless the runner was made for
    /// a single thread's chunks on several cores).
    public let kernelThreads: Int
    /// What the model's matrix products compute from (``/Autograd/MatrixPrecision``); Float32
    /// unless the runner was made with another.
    public let precision: MatrixPrecision

    private let pool: WorkerPool
    /// Each thread's two activation buffers, kept between calls; grown by the calling thread
    /// before the pool starts.
    private let scratch: ScratchBuffers
    /// Each dense layer's weights packed for the matrix products (`sg_gemm_pack_b`), once per
    /// call by the calling thread and then only read by every thread; kept between calls.
    private let packedWeights = PackedWeights()

    /// Makes an inference runner with a pool of its own.
    ///
    /// - Parameters:
    ///   - threads: threads taking chunks, the calling thread included (at least 1); every
    ///     core by default.
    ///   - kernelThreads: threads of each chunk's kernels (at least 1); 1 by default. More suits a single
    ///     chunk thread beside other OpenMP work, as a one-worker trainer's evaluation.
    ///   - chunkRows: the fewest rows per chunk; ``defaultChunkRows`` by default. Values below
    ///     17 count as 17, so that every chunk has more rows than a narrow output (16 columns or
    ///     fewer) has columns (see the type's discussion).
    ///   - precision: what the matrix products compute from; Float32 by default. A model trained
    ///     in bf16 gives the outputs it was trained and evaluated with in bf16.
    public convenience init(
        threads: Int = ProcessInfo.processInfo.activeProcessorCount, kernelThreads: Int = 1,
        chunkRows: Int = ParallelInference.defaultChunkRows, precision: MatrixPrecision = .float32
    ) {
        countPrecondition(threads, "ParallelInference: threads")
        self.init(
            pool: WorkerPool(cores: threads), threads: threads, kernelThreads: kernelThreads, chunkRows: chunkRows,
            precision: precision)
    }

    /// An inference runner on an existing pool (a data-parallel engine's, whose threads then
    /// evaluate between training steps), with up to `threads` of its threads taking chunks.
    package init(
        pool: WorkerPool, threads: Int, kernelThreads: Int = 1, chunkRows: Int = ParallelInference.defaultChunkRows,
        precision: MatrixPrecision = .float32
    ) {
        countPrecondition(threads, "ParallelInference: threads")
        countPrecondition(kernelThreads, "ParallelInference: kernelThreads")
        self.pool = pool
        self.precision = precision
        self.threads = Swift.min(threads, pool.cores)
        self.kernelThreads = kernelThreads
        self.chunkRows = Swift.max(17, chunkRows)
        self.scratch = ScratchBuffers(count: self.threads)
    }

    /// How each chunk's kernels run.
    private var kernels: KernelContext { KernelContext(threads: kernelThreads, precision: precision) }

    /// The chunks `examples` rows are cut into: consecutive ranges, in order, that cover them.
    public func chunks(ofExamples examples: Int) -> [Range<Int>] {
        guard examples > 0 else { return [] }
        let count = Swift.max(1, examples / chunkRows)
        return (0..<count).map { (examples * $0 / count)..<(examples * ($0 + 1) / count) }
    }

    /// The model's output for every row of `inputs`, computed chunk by chunk on the pool's
    /// threads with no tape.
    ///
    /// - Parameters:
    ///   - model: the model; its inference pass (``/Models/LayerContext`` not training).
    ///   - parameters: tensors shaped as the model's ``/Models/Model/parameterShapes``.
    ///   - inputs: the examples, one per row (rank 2 or more, examples along the first axis).
    /// - Returns: what `model(inputs, parameters: parameters, kernels: KernelContext(precision:
    ///   precision))` returns, bit for bit.
    /// - Precondition: as the model's forward pass: parameters and inputs of the right shapes.
    public func outputs<M: Model>(of model: M, parameters: [Tensor], inputs: Tensor) -> Tensor {
        outputs(of: model, parameters: parameters, inputs: inputs, finishing: nil)
    }

    /// The model's output for every row of `inputs`, as ``outputs(of:parameters:inputs:)``
    /// computes it, with `eachChunk` called on each chunk's rows of the output as soon as they
    /// are final, by the thread that computed them: per-example figures (a loss, a count of
    /// right answers) are then computed inside the pass, while the other threads still have
    /// chunks to run, instead of by one thread after it.
    ///
    /// - Parameters:
    ///   - model: the model; its inference pass.
    ///   - parameters: tensors shaped as the model's ``/Models/Model/parameterShapes``.
    ///   - inputs: the examples, one per row.
    ///   - eachChunk: called once for each of ``chunks(ofExamples:)`` (once for all the rows
    ///     when they make one chunk; never for no examples) with the chunk's rows and those rows
    ///     of the output, `rows.count` times the output's row length floats in row-major order.
    ///     Calls for different chunks may run at the same time and in any order; each may write
    ///     only to memory that belongs to its own rows.
    /// - Returns: what ``outputs(of:parameters:inputs:)`` returns, bit for bit.
    public func outputs<M: Model>(
        of model: M, parameters: [Tensor], inputs: Tensor,
        eachChunk: @escaping @Sendable (_ rows: Range<Int>, _ outputs: UnsafeBufferPointer<Float>) -> Void
    ) -> Tensor {
        outputs(of: model, parameters: parameters, inputs: inputs, finishing: eachChunk)
    }

    private func outputs<M: Model>(of model: M, parameters: [Tensor], inputs: Tensor, finishing: ChunkFinisher?) -> Tensor {
        model.checkParameters(parameters, op: "ParallelInference.outputs")
        shapePrecondition(inputs.rank >= 1, "ParallelInference.outputs: inputs must have examples along a first axis, got a scalar")
        let chunks = chunks(ofExamples: inputs.shape[0])
        if chunks.count <= 1 {
            let output = withoutRecording { model(inputs, parameters: parameters, kernels: kernels) }
            if let finishing, let rows = chunks.first { output.withUnsafeBufferPointer { finishing(rows, $0) } }
            return output
        }
        if let layers = Self.fusedDenseLayers(of: model), inputs.rank == 2, inputs.shape[1] == layers[0].inputSize {
            return denseOutputs(layers: layers, parameters: parameters, inputs: inputs, chunks: chunks, finishing: finishing)
        }
        return generalOutputs(of: model, parameters: parameters, inputs: inputs, chunks: chunks, finishing: finishing)
    }

    /// What a call does with each chunk's final output rows (``outputs(of:parameters:inputs:eachChunk:)``).
    private typealias ChunkFinisher = @Sendable (Range<Int>, UnsafeBufferPointer<Float>) -> Void

    /// The dense layers of a model the buffered path can run, if it is one.
    private static func fusedDenseLayers(of model: some Model) -> [Dense]? {
        switch model {
        case let mlp as MLP: return mlp.fusedDenseLayers
        case let sequential as Sequential: return sequential.fusedDenseLayers
        default: return nil
        }
    }

    /// Fused dense layers on each thread's own buffers, the last one writing into the result.
    private func denseOutputs(
        layers: [Dense], parameters: [Tensor], inputs: Tensor, chunks: [Range<Int>], finishing: ChunkFinisher?
    ) -> Tensor {
        let rows = inputs.shape[0]
        let width = layers[layers.count - 1].outputSize
        let largestChunk = chunks.map(\.count).max() ?? 0
        let hiddenWidth = layers.dropLast().map(\.outputSize).max() ?? 0
        scratch.reserve(2 * largestChunk * hiddenWidth)
        let shapes = layers.map { (k: $0.inputSize, n: $0.outputSize, relu: $0.activation == .relu) }
        let next = ChunkCounter()
        let scratch = self.scratch
        let threads = Swift.min(self.threads, chunks.count), kernelThreads = Int32(self.kernelThreads)
        let kernels = self.kernels
        let packedWeights = self.packedWeights
        return Tensor.withUnsafeBufferPointers([inputs] + parameters) { buffers in
            let input = SendablePointer(buffers[0].baseAddress!)
            let biases = stride(from: 2, to: buffers.count, by: 2).map { SendablePointer(buffers[$0].baseAddress!) }
            // Every chunk multiplies by the same weights: they are packed once here, as each
            // product would pack them, and the products read them from there.
            packedWeights.pack(
                shapes.indices.map { (weights: buffers[1 + 2 * $0].baseAddress!, k: shapes[$0].k, n: shapes[$0].n) },
                precision: kernels.gemm.precision)
            return Tensor(shape: [rows, width]) { result in
                guard width > 0 else {
                    for chunk in chunks { finishing?(chunk, UnsafeBufferPointer(start: nil, count: 0)) }
                    return
                }
                let output = SendableMutablePointer(result.baseAddress!)
                pool.run(threads) { thread in
                    let context = kernels.gemm
                    let buffer = scratch.buffer(thread)
                    let second = buffer + scratch.capacity / 2
                    while let index = next.take(below: chunks.count) {
                        let chunk = chunks[index]
                        let m = chunk.count
                        var source = UnsafePointer(input.pointer + chunk.lowerBound * shapes[0].k)
                        for (layer, shape) in shapes.enumerated() {
                            let target = layer == shapes.count - 1
                                ? output.pointer + chunk.lowerBound * width
                                : (layer % 2 == 0 ? buffer : second)
                            if shape.k == 0 {
                                target.initialize(repeating: 0, count: m * shape.n)
                            } else {
                                sg_sgemm_packed_b_unpacked_a(
                                    context, m, 1, source, shape.k, packedWeights.layer(layer), 0, target, shape.n)
                            }
                            sg_bias_activation(target, biases[layer].pointer, m, shape.n, shape.relu ? 1 : 0, kernelThreads)
                            source = UnsafePointer(target)
                        }
                        finishing?(chunk, UnsafeBufferPointer(start: source, count: m * width))
                    }
                }
            }
        }
    }

    /// The model's own forward pass on each chunk, the chunks' outputs then joined in order.
    private func generalOutputs<M: Model>(
        of model: M, parameters: [Tensor], inputs: Tensor, chunks: [Range<Int>], finishing: ChunkFinisher?
    ) -> Tensor {
        let outputs = SharedBuffer<Tensor?>(count: chunks.count, repeating: nil)
        let next = ChunkCounter()
        let kernels = self.kernels
        pool.run(Swift.min(threads, chunks.count)) { _ in
            while let index = next.take(below: chunks.count) {
                let output = model(inputs.rows(chunks[index]), parameters: parameters, kernels: kernels)
                finishing.map { finishing in output.withUnsafeBufferPointer { finishing(chunks[index], $0) } }
                outputs.pointer[index] = output
            }
        }
        return withoutRecording { Tensor.concatenating(outputs.pointer.map { $0! }, alongAxis: 0) }
    }
}

/// Hands out chunks in order, each once, to whichever thread asks first.
private final class ChunkCounter: Sendable {
    private let next = Atomic<Int>(0)

    /// The index of the next chunk of `count` that no thread has taken, or nil when all have
    /// been.
    func take(below count: Int) -> Int? {
        let index = next.add(1, ordering: .relaxed).oldValue
        return index < count ? index : nil
    }
}

/// One activation buffer per thread, kept between calls and grown only between them.
private final class ScratchBuffers: @unchecked Sendable {
    // @unchecked: the calling thread grows the buffers only while no pool thread runs; during a
    // run thread `t` alone uses buffer `t`.
    private var buffers: [UnsafeMutablePointer<Float>]
    /// Floats in each buffer.
    private(set) var capacity = 0

    init(count: Int) {
        buffers = (0..<count).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: 1) }
    }

    deinit { for buffer in buffers { buffer.deallocate() } }

    /// Makes every buffer hold at least `floats` floats (an even number, split in two halves).
    func reserve(_ floats: Int) {
        let wanted = (floats + 1) & ~1
        guard wanted > capacity else { return }
        for index in buffers.indices {
            buffers[index].deallocate()
            buffers[index] = .allocate(capacity: wanted)
        }
        capacity = wanted
    }

    func buffer(_ thread: Int) -> UnsafeMutablePointer<Float> { buffers[thread] }
}

/// Each layer's weights packed by `sg_gemm_pack_b` for the products of one call, in buffers kept
/// and grown between calls.
private final class PackedWeights: @unchecked Sendable {
    // @unchecked: the calling thread packs (and grows the buffers) only while no pool thread
    // runs; during a run the pool's threads only read them.
    private var buffers: [(pointer: UnsafeMutableRawPointer, bytes: Int)] = []

    deinit { for buffer in buffers { buffer.pointer.deallocate() } }

    /// Packs each layer's K x N row-major weights for products in `precision` with the kernel
    /// `sg_sgemm_with_context` picks. The weights must stay alive and unchanged while the
    /// products run (a product whose path packs them differently reads them in place).
    func pack(_ layers: [(weights: UnsafePointer<Float>, k: Int, n: Int)], precision: Int32) {
        let kernel = precision == Int32(SG_PRECISION_BF16) ? sg_gemm_detected_bf16_kernel() : sg_gemm_detected_kernel()
        for (index, layer) in layers.enumerated() {
            let bytes = sg_gemm_packed_b_bytes(kernel, precision, layer.n, layer.k)
            if index == buffers.count {
                buffers.append((UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64), bytes))
            } else if buffers[index].bytes < bytes {
                buffers[index].pointer.deallocate()
                buffers[index] = (UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64), bytes)
            }
            sg_gemm_pack_b(kernel, precision, 0, layer.n, layer.k, layer.weights, layer.n, buffers[index].pointer)
        }
    }

    /// Layer `index`'s packed weights.
    func layer(_ index: Int) -> UnsafeRawPointer { UnsafeRawPointer(buffers[index].pointer) }
}

/// A pointer the pool's threads read through; the caller keeps its memory alive for the call.
private struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafePointer<Float>
    init(_ pointer: UnsafePointer<Float>) { self.pointer = pointer }
}

/// A pointer the pool's threads write through, each to rows no other thread writes.
private struct SendableMutablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}
