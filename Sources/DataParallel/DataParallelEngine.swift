import Autograd
import Models

/// The wall time of one engine step, split into the workers' forward and backward passes and the
/// all-reduce that follows them.
public struct StepTiming: Sendable, Equatable {
    /// Seconds from starting the workers until the last one finished.
    public var computeSeconds: Double
    /// Seconds spent in the all-reduce, including whatever its consumer did with the chunks.
    public var reduceSeconds: Double
}

/// The gradient of one global batch, as the engine returns it.
public struct BatchGradient: Sendable {
    /// The mean gradient over the batch, one tensor per parameter.
    public var gradients: [Tensor]
    /// The mean loss over the batch.
    public var loss: Float
    /// Examples in the batch.
    public var exampleCount: Int
}

/// The mean loss of a global batch whose micro-shard gradients wait in the engine for
/// ``DataParallelEngine/allReduce(_:)``.
public struct BatchLoss: Sendable, Equatable {
    /// The mean loss over the batch: ``lossSum`` / ``exampleCount``.
    public var loss: Float
    /// The sum of the batch's per-example losses: its micro-shards' sums added in micro-shard
    /// order, the same bits for any worker count.
    public var lossSum: Float
    /// Examples in the batch.
    public var exampleCount: Int
    /// The predictions the loss got right, over the batch, when it counted them
    /// (``ShardContext/predictions``) for every micro-shard; `nil` otherwise.
    public var predictions: PredictionCount?

    /// A batch of `exampleCount` examples whose mean loss is `loss`, with the right predictions
    /// of its training pass when they were counted. `lossSum`, when not given, is
    /// `loss × exampleCount`.
    public init(loss: Float, lossSum: Float? = nil, exampleCount: Int, predictions: PredictionCount? = nil) {
        self.loss = loss
        self.lossSum = lossSum ?? loss * Float(exampleCount)
        self.exampleCount = exampleCount
        self.predictions = predictions
    }
}

/// Computes the gradient of a global mini-batch with several worker threads, bit for bit the same
/// for any number of workers.
///
/// Each call cuts the batch into micro-shards (see ``MicroShardPlan``). Each worker runs its
/// micro-shards one at a time on a thread of the engine's pool (threads on Dispatch queues that
/// stay ready between steps): it slices the examples, records the loss — the sum of per-example
/// losses — on a fresh ``/Autograd/GradientTape`` that watches the parameter tensors it was
/// handed, and keeps the gradient tensors its tape returns in the micro-shard's slot
/// (``GradientSlots``), uncopied. A ``GradientReducer`` then adds the slots in micro-shard order
/// and divides by the batch size, which gives the whole batch's mean gradient. Workers only read
/// the parameters; the caller applies the gradient once, with one optimizer.
///
/// Workers rarely finish together: the cores of a shared machine are often not equally fast. So
/// (with ``DataParallelConfiguration/workersHelp``, the default) each worker's single-threaded
/// matrix products post their K blocks, row panel by row panel, on the pool's help board, and a
/// worker that has finished its micro-shards computes panels of the products still running
/// (``piecesHelped`` counts them) instead of only waiting.
///
/// Every micro-shard multiplies by the same weights, forward (x·W) and backward (dZ·Wᵀ). With
/// ``DataParallelConfiguration/sharesPackedWeights`` (the default) the engine packs each matrix
/// parameter for the matrix kernel once per step, in the orientations the step's products use,
/// and every product reads those panels instead of packing the weights again; the packings are
/// made from the step's parameters and let go before the call returns (see `PackedParameters`).
///
/// A step is either one call, ``computeGradients(parameters:features:labels:loss:)``, which
/// returns the gradient as tensors, or two, ``computeMicroShardGradients(parameters:features:labels:loss:)``
/// then ``allReduce(_:)``, which hands the reduced gradient over chunk by chunk on the reducing
/// threads: the ``/Training/Trainer`` feeds those chunks straight into the optimizer's update
/// (``/Optimizers/Optimizer/applyPartitioned(to:_:)``), so the gradient is never written out
/// whole.
///
/// Why the result never depends on the worker count: every floating-point sum has a fixed order.
/// A micro-shard's rows and their order are fixed by the batch size and the micro-shard count;
/// its matrix products give the same bits for any kernel thread count and whoever helps with
/// them (threads own whole tiles of the output, never part of a sum); the reduction adds the
/// slots in index order.
///
/// With a ``DistributedGradientReducer`` (MPI's), the processes of a run share each batch: every
/// rank computes its share of the micro-shards with its own workers, and the reducer sums all of
/// them in micro-shard order, so the result is still the bits of one process.
///
/// The engine is not `Sendable`: one thread (the coordinator) owns it and calls it. Its worker
/// threads run work only inside its methods; between calls they spin for half a millisecond,
/// ready for the next one, then sleep until it comes.
///
/// ```swift
/// let model = MLP(layerSizes: [784, 256, 10], seed: 1)
/// let engine = DataParallelEngine(parameterShapes: model.parameterShapes,
///                                 configuration: DataParallelConfiguration(workers: 4))
/// let variables = model.makeVariables()
/// let step = engine.computeGradients(model: model, parameters: variables.map(\.value),
///                                    features: images, targets: .classes(labels))
/// for (v, g) in zip(variables, step.gradients) { v.assignSub(0.1 * g) }
/// ```
public final class DataParallelEngine {
    /// How batches are split and run.
    public let configuration: DataParallelConfiguration
    /// How the parameters lie in each gradient slot.
    public let layout: ParameterLayout
    /// The reducer that sums the slots.
    public let reducer: any GradientReducer
    /// The reducer when its processes share each batch (MPI): the engine then computes only its
    /// rank's micro-shards (``MicroShardPlan/rankMicroShards``).
    private let distributed: (any DistributedGradientReducer)?
    /// Batches computed so far; names the micro-shards' random streams. Set it when resuming
    /// from a checkpoint.
    public var step: Int = 0

    /// Read at each step's exchange with the other ranks (with a ``DistributedGradientReducer``
    /// only): a positive number asks every rank to stop (the command line passes the number of
    /// a signal it caught), 0 or `nil` none. It never changes what a step computes.
    public var stopRequest: (() -> Int32)?
    /// The stop request of the first step whose exchange carried one (the lowest rank's of that
    /// step): every rank holds the same after the same step, so the ranks can stop together;
    /// `nil` while none has, and always without a ``DistributedGradientReducer``.
    public private(set) var agreedStopRequest: Int32?

    /// Where the last step spent its time.
    public private(set) var lastTiming = StepTiming(computeSeconds: 0, reduceSeconds: 0)

    private let pool: WorkerPool
    private let slots: GradientSlots
    private let shardLosses: SharedBuffer<Float>
    private let shardPredictions: SharedBuffer<PredictionCount?>
    private let workerStatistics: WorkerStatisticsTable
    /// The batch whose micro-shard gradients wait in the slots for ``allReduce(_:)``.
    private var pending: (activeSlots: [Int], batchSize: Int)?
    /// The parameters' matrices packed once per step for every micro-shard's products, unless
    /// the configuration says otherwise or no parameter is a matrix.
    private let packedParameters: PackedParameters?

    /// Makes an engine for parameters of `parameterShapes`.
    ///
    /// - Parameters:
    ///   - parameterShapes: the shapes of the parameters every call passes, in order.
    ///   - configuration: workers, micro-shards, kernel threads and seed.
    ///   - reducer: the all-reduce; by default an ``InProcessGradientReducer`` with as many
    ///     threads as the workers use in all (workers × kernel threads).
    public init(parameterShapes: [[Int]], configuration: DataParallelConfiguration = DataParallelConfiguration(), reducer: (any GradientReducer)? = nil) {
        configuration.checkCounts(caller: "DataParallelEngine")
        self.configuration = configuration
        self.layout = ParameterLayout(shapes: parameterShapes)
        // Several workers share a help board: one that has finished its micro-shards computes
        // pieces of the products of those still running.
        let pool = WorkerPool(helpSlots: configuration.workers > 1 && configuration.workersHelp ? configuration.workers : 0)
        self.pool = pool
        self.reducer = reducer ?? InProcessGradientReducer(threads: configuration.workers * configuration.resolvedKernelThreads, pool: pool)
        self.distributed = reducer as? any DistributedGradientReducer
        self.slots = GradientSlots(layout: layout, slotCount: configuration.maximumMicroShardCount)
        self.shardLosses = SharedBuffer(count: configuration.maximumMicroShardCount, repeating: 0)
        self.shardPredictions = SharedBuffer(count: configuration.maximumMicroShardCount, repeating: nil)
        self.workerStatistics = WorkerStatisticsTable(count: configuration.workers)
        let packed = PackedParameters(shapes: parameterShapes, precision: configuration.precision)
        self.packedParameters = configuration.sharesPackedWeights && packed.hasMatrices ? packed : nil
    }

    /// Inference (evaluation, prediction) on the engine's own threads, between training steps:
    /// see ``ParallelInference``. It spends the training's thread budget: one chunk thread per
    /// worker (at most one per core) with the workers' kernel threads each, so a one-worker
    /// engine, whose products use every core through OpenMP, evaluates on the same OpenMP team
    /// instead of competing with it. Its buffers are kept from one evaluation to the next.
    /// Its products are computed in the configuration's ``DataParallelConfiguration/precision``,
    /// as training's are.
    public private(set) lazy var inference = ParallelInference(
        pool: pool, threads: configuration.workers, kernelThreads: configuration.resolvedKernelThreads,
        precision: configuration.precision)

    /// What each worker has done so far (micro-shards, examples, seconds), indexed by worker.
    public var workerStatisticsSnapshot: [WorkerStatistics] { workerStatistics.snapshot }

    /// Pieces of matrix products (one row panel of C for one K block) that workers computed for
    /// other workers since the engine was made; always 0 without
    /// ``DataParallelConfiguration/workersHelp``, with one worker, or with several kernel
    /// threads per worker (such products are not shared).
    public var piecesHelped: Int { pool.helpBoard?.piecesHelped ?? 0 }

    /// Seconds the engine's threads spent computing those pieces, all threads together.
    public var helpingSeconds: Double { pool.helpBoard?.helpingSeconds ?? 0 }

    /// The weight packings the last step's products shared, as (parameter index, transposed:
    /// whether the products read its transpose); empty without
    /// ``DataParallelConfiguration/sharesPackedWeights``.
    package var sharedPackings: [(parameter: Int, transposed: Bool)] { packedParameters?.usedPackings ?? [] }

    /// The mean gradient and mean loss of a global batch.
    ///
    /// - Parameters:
    ///   - parameters: the current parameter values, shaped as the engine's layout. Workers read
    ///     them concurrently and never write them.
    ///   - features: the batch's inputs, examples along the first axis.
    ///   - labels: the batch's targets, as many examples as `features`.
    ///   - loss: the sum of per-example losses over one micro-shard, as a scalar.
    /// - Returns: the gradient of (Σ per-example losses) / batch size, and that mean loss.
    /// - Precondition: the batch holds at least one example and both parts agree on how many.
    public func computeGradients<Features: ShardableByExample, Labels: ShardableByExample>(
        parameters: [Tensor], features: Features, labels: Labels, loss: @escaping ShardLoss<Features, Labels>
    ) -> BatchGradient {
        let batch = computeMicroShardGradients(parameters: parameters, features: features, labels: labels, loss: loss)
        return BatchGradient(gradients: allReducedGradients(), loss: batch.loss, exampleCount: batch.exampleCount)
    }

    /// The first half of a step: every micro-shard's gradient, computed by the workers and kept
    /// in the engine until ``allReduce(_:)``.
    ///
    /// Parameters as ``computeGradients(parameters:features:labels:loss:)``. The engine keeps no
    /// reference to `parameters` once this returns, so the caller may then update them in place.
    ///
    /// - Returns: the batch's mean loss and size.
    /// - Precondition: the previous batch has been reduced; the batch holds at least one example
    ///   and both parts agree on how many.
    public func computeMicroShardGradients<Features: ShardableByExample, Labels: ShardableByExample>(
        parameters: [Tensor], features: Features, labels: Labels, loss: @escaping ShardLoss<Features, Labels>
    ) -> BatchLoss {
        usagePrecondition(pending == nil, "DataParallelEngine: the previous batch's gradients have not been reduced; call allReduce(_:) first")
        shapePrecondition(
            parameters.map(\.shape) == layout.shapes,
            "DataParallelEngine: parameters of shapes \(parameters.map(\.shape)) do not match the engine's \(layout.shapes)")
        let batchSize = features.exampleCount
        shapePrecondition(batchSize > 0, "DataParallelEngine: the batch is empty; every batch needs at least one example")
        shapePrecondition(
            labels.exampleCount == batchSize,
            "DataParallelEngine: the batch has \(batchSize) feature rows but \(labels.exampleCount) labels")

        let plan = MicroShardPlan(
            batchSize: batchSize, microShardCount: configuration.microShardCount(forBatchSize: batchSize),
            workerCount: configuration.workers, rank: distributed?.rank ?? 0, rankCount: distributed?.rankCount ?? 1)
        let job = ShardJob(
            plan: plan, parameters: parameters, features: features, labels: labels, loss: loss,
            step: step, seed: configuration.seed, kernelThreads: configuration.resolvedKernelThreads,
            precision: configuration.precision, streamStride: configuration.maximumMicroShardCount,
            slots: slots, shardLosses: shardLosses, shardPredictions: shardPredictions, statistics: workerStatistics,
            helpBoard: pool.helpBoard, packedParameters: packedParameters)
        let start = ContinuousClock.now
        // A rank of a multi-process run may have no micro-shard of a small batch.
        if plan.activeWorkerCount > 0 {
            // The packings are made from this step's parameters, used only by this step's
            // products, and let go before the caller may update the parameters.
            packedParameters?.begin(parameters: parameters)
            pool.run(plan.activeWorkerCount) { worker in job.run(worker: worker) }
            packedParameters?.end()
        }
        lastTiming = StepTiming(computeSeconds: (ContinuousClock.now - start) / .seconds(1), reduceSeconds: 0)
        if let distributed {
            // The other ranks' micro-shard losses, so every rank sums the same ones in order.
            var results: [MicroShardResult?] = plan.nonEmptyMicroShards.map { shard in
                plan.rankMicroShards.contains(shard)
                    ? MicroShardResult(loss: shardLosses.pointer[shard], predictions: shardPredictions.pointer[shard]) : nil
            }
            let agreed = distributed.exchangeMicroShardResults(
                &results, activeSlots: plan.nonEmptyMicroShards, step: step, stopRequest: stopRequest?() ?? 0)
            if agreedStopRequest == nil && agreed != 0 { agreedStopRequest = agreed }
            for (shard, result) in zip(plan.nonEmptyMicroShards, results) {
                shardLosses.pointer[shard] = result?.loss ?? .nan
                shardPredictions.pointer[shard] = result?.predictions
            }
        }
        var lossSum: Float = 0
        var predictions: PredictionCount? = PredictionCount(correct: 0, total: 0)
        for shard in plan.nonEmptyMicroShards {
            lossSum += shardLosses.pointer[shard]
            predictions = predictions.flatMap { sum in shardPredictions.pointer[shard].map { sum + $0 } }
        }
        step += 1
        pending = (plan.nonEmptyMicroShards, batchSize)
        return BatchLoss(loss: lossSum / Float(batchSize), lossSum: lossSum, exampleCount: batchSize, predictions: predictions)
    }

    /// The second half of a step: sums the micro-shard gradients of the batch computed last, in
    /// micro-shard order, divides by its size, and hands `consume` every element of that mean
    /// gradient once, in chunks (see ``GradientReducer``), from the reducer's threads. Then lets
    /// the micro-shard gradients go.
    ///
    /// - Precondition: ``computeMicroShardGradients(parameters:features:labels:loss:)`` was
    ///   called since the last reduction.
    public func allReduce(_ consume: @escaping @Sendable (ReducedChunk) -> Void) {
        reducePending { reducer.allReduce(slots, activeSlots: $0, divisor: $1, consume: consume) }
    }

    /// ``allReduce(_:)`` written straight into `output`, a flat buffer laid out as ``layout``.
    ///
    /// - Precondition: a batch is waiting, and `output` holds `layout.totalCount` elements.
    public func allReduce(into output: UnsafeMutableBufferPointer<Float>) {
        reducePending { reducer.allReduce(slots, activeSlots: $0, divisor: $1, into: output) }
    }

    /// Runs `reduce` (given the waiting batch's slots and its size) and times it. The micro-shard
    /// gradients stay in their slots until the workers start the next batch.
    private func reducePending(_ reduce: (_ activeSlots: [Int], _ divisor: Float) -> Void) {
        guard let batch = pending else {
            usagePrecondition(false, "DataParallelEngine.allReduce: no batch is waiting; call computeMicroShardGradients first")
            return
        }
        let start = ContinuousClock.now
        reduce(batch.activeSlots, Float(batch.batchSize))
        pending = nil
        lastTiming.reduceSeconds = (ContinuousClock.now - start) / .seconds(1)
    }

    /// ``allReduce(_:)`` written into one tensor per parameter: the mean gradient of the batch
    /// computed last.
    public func allReducedGradients() -> [Tensor] {
        // Every element is written by the reduction: no need to fill the buffer first.
        let reduced = UnsafeMutableBufferPointer<Float>.allocate(capacity: Swift.max(1, layout.totalCount))
        defer { reduced.deallocate() }
        allReduce(into: reduced)
        return layout.shapes.indices.map { index in
            let source = reduced.baseAddress! + layout.offsets[index]
            return Tensor(shape: layout.shapes[index]) { target in
                target.baseAddress!.initialize(from: source, count: layout.counts[index])
            }
        }
    }

    /// ``computeGradients(parameters:features:labels:loss:)`` with `model`'s own loss.
    ///
    /// `features` is a tensor of rows, or a ``RowSelection`` of a dataset's rows, which each
    /// worker then gathers for its own micro-shards only.
    public func computeGradients<M: Model, Inputs: ModelInputs>(
        model: M, parameters: [Tensor], features: Inputs, targets: Targets
    ) -> BatchGradient {
        let batch = computeMicroShardGradients(model: model, parameters: parameters, features: features, targets: targets)
        return BatchGradient(gradients: allReducedGradients(), loss: batch.loss, exampleCount: batch.exampleCount)
    }

    /// ``computeMicroShardGradients(parameters:features:labels:loss:)`` with `model`'s own loss;
    /// `features` as in ``computeGradients(model:parameters:features:targets:)``.
    ///
    /// The model runs a training pass (``/Models/LayerContext/isTraining``) whose random stream is
    /// the micro-shard's own, so dropout is the same for any number of workers.
    ///
    /// - Parameters:
    ///   - model: the model whose loss is differentiated.
    ///   - parameters: its parameters, in the order of the engine's layout.
    ///   - features: the batch's examples, a row each.
    ///   - targets: the batch's targets, in the same order.
    ///   - countingPredictions: also count the right predictions of the training pass
    ///     (``/Models/LossKind/predictionCount(_:targets:)``, into ``BatchLoss/predictions``): an
    ///     argmax over each micro-shard's output, off by default.
    public func computeMicroShardGradients<M: Model, Inputs: ModelInputs>(
        model: M, parameters: [Tensor], features: Inputs, targets: Targets, countingPredictions: Bool = false
    ) -> BatchLoss {
        computeMicroShardGradients(parameters: parameters, features: features, labels: targets) { x, y, parameters, context in
            var forward = LayerContext(kernels: context.kernels, isTraining: true, random: context.random)
            let output = model(x.materialized(), parameters: parameters, context: &forward)
            if let random = forward.random { context.random = random }
            if countingPredictions {
                context.predictions = withoutRecording { model.lossKind.predictionCount(output, targets: y) }
            }
            return model.lossKind.summedLoss(output, targets: y)
        }
    }
}

/// Everything the workers of one step share, read-only apart from slots each writes alone.
private struct ShardJob<Features: ShardableByExample, Labels: ShardableByExample>: @unchecked Sendable {
    let plan: MicroShardPlan
    let parameters: [Tensor]
    let features: Features
    let labels: Labels
    let loss: ShardLoss<Features, Labels>
    let step: Int
    let seed: UInt64
    let kernelThreads: Int
    let precision: MatrixPrecision
    /// Streams per step: the engine's maximum micro-shard count, so steps never share a stream.
    let streamStride: Int
    let slots: GradientSlots
    let shardLosses: SharedBuffer<Float>
    let shardPredictions: SharedBuffer<PredictionCount?>
    let statistics: WorkerStatisticsTable
    /// Where the workers' single-threaded products post pieces for idle workers to take: worker
    /// `w` in place `w`.
    let helpBoard: HelpBoard?
    /// The step's weights, packed once for every micro-shard's products, or nil.
    let packedParameters: PackedParameters?

    /// Computes worker `worker`'s micro-shards, writing only their slots and its statistics.
    /// A parameter the loss does not use gets a zero gradient, not an error.
    func run(worker: Int) {
        let start = ContinuousClock.now
        defer { statistics.record(worker: worker, busySeconds: (ContinuousClock.now - start) / .seconds(1)) }
        // The workers share the packing the previous step's products used before any of them
        // multiplies; a product needing a packing still being made waits for it.
        packedParameters?.packQueued()
        let kernels = (helpBoard?.kernels(threads: kernelThreads, slot: worker, precision: precision)
            ?? KernelContext(threads: kernelThreads, precision: precision))
            .readingPackedOperands(from: packedParameters)
        for shard in plan.microShards(ofWorker: worker) {
            let rows = plan.rows(ofMicroShard: shard)
            var context = ShardContext(
                step: step, microShard: shard, rows: rows, globalBatchSize: plan.batchSize, worker: worker,
                kernels: kernels,
                random: ShardContext.randomStream(seed: seed, step: step, microShard: shard, microShardCount: streamStride))
            // The slot's gradients from the last batch go now, on this worker, so their memory
            // is free for this micro-shard's tensors.
            slots.removeGradients(inSlot: shard)
            let x = features.examples(rows)
            let y = labels.examples(rows)
            let tape = GradientTape(watchAccessedVariables: false)
            for parameter in parameters { tape.watch(parameter) }
            let value = tape.record { loss(x, y, parameters, &context) }
            shapePrecondition(value.scalarCount == 1, "DataParallelEngine: the loss must be a scalar (the sum of per-example losses), got shape \(value.shape)")
            slots.store(tape.gradient(of: value, withRespectTo: parameters), inSlot: shard)
            shardLosses.pointer[shard] = value.scalar
            shardPredictions.pointer[shard] = context.predictions
            statistics.record(worker: worker, examples: rows.count)
        }
    }
}

/// What one worker has done since its engine was made.
public struct WorkerStatistics: Sendable, Equatable {
    /// Micro-shards computed.
    public var microShards = 0
    /// Examples those micro-shards held.
    public var examples = 0
    /// Seconds spent computing them (not counting pieces of other workers' products it helped
    /// with). Against the steps' ``StepTiming/computeSeconds`` this shows how long the worker
    /// waited for the slowest one, or helped it.
    public var busySeconds = 0.0

    public init(microShards: Int = 0, examples: Int = 0, busySeconds: Double = 0) {
        self.microShards = microShards
        self.examples = examples
        self.busySeconds = busySeconds
    }
}

/// One ``WorkerStatistics`` per worker, each written only by its worker.
private final class WorkerStatisticsTable: @unchecked Sendable {
    private let entries: UnsafeMutableBufferPointer<WorkerStatistics>

    init(count: Int) {
        entries = .allocate(capacity: count)
        entries.initialize(repeating: WorkerStatistics())
    }

    deinit { entries.deallocate() }

    func record(worker: Int, examples: Int) {
        entries[worker].microShards += 1
        entries[worker].examples += examples
    }

    func record(worker: Int, busySeconds: Double) {
        entries[worker].busySeconds += busySeconds
    }

    var snapshot: [WorkerStatistics] { Array(entries) }
}
