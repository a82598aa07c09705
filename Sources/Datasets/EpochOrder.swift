import Autograd

/// The order in which epoch `epoch` visits `count` examples: a permutation of `0..<count` that
/// depends on `(seed, epoch)` alone.
///
/// Nothing has to be called to reshuffle between epochs, and any epoch's order can be computed
/// again from its number — which is how training resumes mid-run from a checkpoint. It is a
/// Fisher–Yates shuffle driven by `RandomStream(seed: seed, stream: DataStream.epochBase + epoch)`.
///
/// ```swift
/// let order = epochOrder(seed: 42, epoch: 3, count: 324)   // the same on every run
/// ```
///
/// - Parameters:
///   - seed: the run's data seed.
///   - epoch: the epoch number, from 0; must be below 2³².
///   - count: how many examples there are.
/// - Returns: each index in `0..<count` exactly once.
/// - Complexity: O(`count`).
public func epochOrder(seed: UInt64, epoch: Int, count: Int) -> [Int] {
    usagePrecondition(epoch >= 0 && epoch < 1 << 32, "epochOrder: epoch must lie in 0..<2^32, got \(epoch)")
    usagePrecondition(count >= 0, "epochOrder: count must not be negative, got \(count)")
    var random = RandomStream(seed: seed, stream: DataStream.epochBase + UInt64(epoch))
    return random.shuffledIndices(count: count)
}
