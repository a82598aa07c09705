import Autograd
import Models

/// What a loss function is told about the micro-shard it is computing.
///
/// Its random stream is named by the configuration's seed, the engine's step and the micro-shard
/// index, never by the worker, so dropout or noise drawn from it is the same whichever worker
/// runs the micro-shard and however many workers there are.
public struct ShardContext: Sendable {
    /// The engine's step counter when the batch was computed.
    public let step: Int
    /// The micro-shard's index within the batch.
    public let microShard: Int
    /// Its rows within the global batch.
    public let rows: Range<Int>
    /// Examples in the global batch.
    public let globalBatchSize: Int
    /// The worker computing it (for diagnostics only: results must not depend on it).
    public let worker: Int
    /// How the micro-shard's kernels run: the threads each may use, the help-board place
    /// where the worker's single-threaded matrix products post pieces for idle workers, and the
    /// products' precision (the engine's ``DataParallelConfiguration/precision``). Pass it to
    /// the model (`model(x, parameters: p, kernels: context.kernels)`) and to any op that takes
    /// one, so that every product of the loss and its gradient runs in that precision.
    public let kernels: KernelContext
    /// Threads each matrix product may use.
    public var kernelThreads: Int { kernels.threads }
    /// What the micro-shard's matrix products compute from.
    public var precision: MatrixPrecision { kernels.precision }
    /// This micro-shard's own random stream.
    public var random: RandomStream
    /// The predictions the loss got right on this micro-shard, when it counts them; the engine
    /// adds them up over the batch (``BatchLoss/predictions``).
    public var predictions: PredictionCount?

    /// The random stream of micro-shard `microShard` at step `step`: stream `step·M + shard` of
    /// the seed mixed with a constant, so that it differs from every stream a caller names with
    /// the bare seed. `M` is the most micro-shards any batch may have (the engine's slot count),
    /// so no two (step, micro-shard) pairs share a stream.
    public static func randomStream(seed: UInt64, step: Int, microShard: Int, microShardCount: Int) -> RandomStream {
        RandomStream(seed: seed ^ 0x6D69_6372_6F73_6864, stream: UInt64(step) &* UInt64(microShardCount) &+ UInt64(microShard))
    }
}

/// A loss over one micro-shard: the SUM (not the mean) of its per-example losses, as a scalar.
///
/// The engine divides the summed gradients by the global batch size, so a shard's examples count
/// exactly as they would in one whole-batch mean. Use `context.kernels` for matrix products and
/// `context.random` for any randomness.
public typealias ShardLoss<Features: ShardableByExample, Labels: ShardableByExample> =
    @Sendable (_ features: Features, _ labels: Labels, _ parameters: [Tensor], _ context: inout ShardContext) -> Tensor
