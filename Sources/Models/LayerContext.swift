import Autograd

/// What a forward pass tells each ``Layer``: how its matrix products run (threads, and on a
/// data-parallel worker the help board they post on), whether it is a training step, and the random stream that training-only randomness (``Dropout``) draws
/// from.
///
/// The default context is inference: one kernel thread, not training, no random stream. The
/// data-parallel engine computes each micro-shard's gradient with a training context whose stream
/// is that micro-shard's own (`ShardContext.random`, named by the seed, the step and the
/// micro-shard), so dropout masks are the same whichever worker computes the micro-shard and
/// however many workers there are. Evaluation uses the inference context.
///
/// The context is passed `inout` through the layers in order, so each layer that draws random
/// numbers continues the stream where the previous one stopped.
///
/// ```swift
/// var context = LayerContext(isTraining: true, random: RandomStream(seed: 7))
/// let logits = model(x, parameters: variables, context: &context)   // dropout active
/// let evaluated = model(x, parameters: variables)                    // dropout off
/// ```
public struct LayerContext: Sendable {
    /// How matrix products run; results are identical for any context.
    public var kernels: KernelContext
    /// Threads each matrix product may use.
    public var kernelThreads: Int { kernels.threads }
    /// Whether this forward pass is a training step (dropout drops only then).
    public var isTraining: Bool
    /// The stream training-only randomness draws from; `nil` where nothing may draw (inference).
    public var random: RandomStream?

    /// Makes a context; the defaults describe an inference pass on one kernel thread.
    ///
    /// - Parameters:
    ///   - kernelThreads: threads per matrix product; 1 by default.
    ///   - isTraining: whether training-only behaviour is on; false by default.
    ///   - random: the stream layers draw from when training; none by default.
    public init(kernelThreads: Int = 1, isTraining: Bool = false, random: RandomStream? = nil) {
        countPrecondition(kernelThreads, "LayerContext: kernelThreads")
        self.init(kernels: KernelContext(threads: kernelThreads), isTraining: isTraining, random: random)
    }

    /// Makes a context whose matrix products run as `kernels` says.
    public init(kernels: KernelContext, isTraining: Bool = false, random: RandomStream? = nil) {
        self.kernels = kernels
        self.isTraining = isTraining
        self.random = random
    }

    /// Runs `body` on the context's random stream, which it advances.
    ///
    /// - Parameters:
    ///   - layer: the layer asking, named in the message when there is no stream.
    ///   - body: draws from the stream.
    /// - Precondition: the context has a random stream.
    public mutating func drawing<Result>(for layer: String, _ body: (inout RandomStream) -> Result) -> Result {
        usagePrecondition(
            random != nil,
            "\(layer): a training pass needs a random stream; make the LayerContext with random: (the data-parallel engine gives each micro-shard its own)")
        return body(&random!)
    }
}
