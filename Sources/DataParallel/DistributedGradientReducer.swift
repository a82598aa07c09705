import Models

/// What a micro-shard's forward pass gave besides its gradient: the sum of its examples' losses,
/// and its right predictions when the loss counted them.
public struct MicroShardResult: Sendable, Equatable {
    /// The sum of the micro-shard's per-example losses.
    public var loss: Float
    /// Its right predictions (``ShardContext/predictions``), when counted.
    public var predictions: PredictionCount?

    /// A micro-shard whose losses sum to `loss`.
    public init(loss: Float, predictions: PredictionCount? = nil) {
        self.loss = loss
        self.predictions = predictions
    }
}

/// A ``GradientReducer`` whose processes (ranks) share every global batch: each computes only its
/// share of the micro-shards (``MicroShardPlan/rankMicroShards``) and the reducer sums every
/// rank's micro-shard gradients, in micro-shard order, into the same mean gradient on every rank.
///
/// The ``DataParallelEngine`` asks for this protocol when its reducer conforms: it then computes
/// only its rank's micro-shards, fetches the other ranks' losses with
/// ``exchangeMicroShardResults(_:activeSlots:step:stopRequest:)``, and hands the reducer every non-empty
/// micro-shard as `activeSlots`, of which the slots of this rank's share hold gradients. For the
/// run to give the bits of a one-process run, an implementation must add each element's
/// micro-shard gradients in the order of `activeSlots` (as `sg_reduce_slots` does) and divide by
/// the divisor, whatever rank computed them. `SwiftGradMPI` holds one over MPI.
public protocol DistributedGradientReducer: GradientReducer {
    /// This process's rank, `0..<rankCount`.
    var rank: Int { get }
    /// The processes that share each batch.
    var rankCount: Int { get }
    /// Whether every element is summed in micro-shard order, so that the run has the bits of a
    /// one-process run for any rank count; false for a reduction in an order of its own (MPI's
    /// `MPI_Allreduce`), whose bits depend on the rank count. A run reports itself deterministic
    /// only when this holds.
    var addsInMicroShardOrder: Bool { get }

    /// Completes `results`, one per element of `activeSlots`, with those computed by the other
    /// ranks: on entry this rank's share (``MicroShardPlan/share(of:part:parts:)`` of
    /// `activeSlots`) is filled in, on return every element, the same on every rank. The same
    /// messages carry each rank's stop request, so that every rank learns after the same step
    /// whether any rank was asked to stop (the command line passes the number of a signal it
    /// caught), at no cost of an exchange of its own.
    ///
    /// - Parameters:
    ///   - results: the micro-shards' results, in the order of `activeSlots`.
    ///   - activeSlots: the batch's non-empty micro-shards, in order.
    ///   - step: the engine's batch counter, which every rank must agree on.
    ///   - stopRequest: this rank's request, a positive number; 0 for none.
    /// - Returns: the request of the lowest rank that sent one, or 0: the same on every rank.
    func exchangeMicroShardResults(_ results: inout [MicroShardResult?], activeSlots: [Int], step: Int, stopRequest: Int32) -> Int32
}

extension DistributedGradientReducer {
    /// True: the order the protocol asks for.
    public var addsInMicroShardOrder: Bool { true }
}
