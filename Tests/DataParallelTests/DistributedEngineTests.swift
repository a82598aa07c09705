import Autograd
import CKernels
import DataParallel
import Datasets
import Foundation
import Models
import Testing

/// Ranks simulated by threads of this process, which meet at a barrier: a
/// ``DistributedGradientReducer`` with no MPI, to check what the engine does with one.
private final class SimulatedRanks: @unchecked Sendable {
    let count: Int
    private let condition = NSCondition()
    private var arrived = 0
    private var generation = 0
    /// Each micro-shard's result and flat gradient, written by the rank that computed it.
    var results: [Int: MicroShardResult] = [:]
    var steps: [Int: Int] = [:]
    var gradients: [Int: [Float]] = [:]
    /// Each rank's stop request at the current exchange.
    var stopRequests: [Int: Int32] = [:]

    init(count: Int) { self.count = count }

    /// Waits until every rank has called it.
    func barrier() {
        condition.lock()
        defer { condition.unlock() }
        let seen = generation
        arrived += 1
        if arrived == count {
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == seen { condition.wait() }
        }
    }

    func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }
}

private struct SimulatedReducer: DistributedGradientReducer {
    let ranks: SimulatedRanks
    let rank: Int
    var rankCount: Int { ranks.count }

    /// Every rank's results, and the lowest rank's stop request, as MPI's reducer picks it.
    func exchangeMicroShardResults(_ results: inout [MicroShardResult?], activeSlots: [Int], step: Int, stopRequest: Int32) -> Int32 {
        let own = MicroShardPlan.share(of: Array(activeSlots.indices), part: rank, parts: rankCount)
        let mine = results
        ranks.locked {
            for index in own { ranks.results[activeSlots[index]] = mine[index]! }
            ranks.steps[rank] = step
            ranks.stopRequests[rank] = stopRequest
        }
        ranks.barrier()
        results = ranks.locked { activeSlots.map { ranks.results[$0] } }
        #expect(ranks.locked { Set(ranks.steps.values) } == [step])
        let agreed = ranks.locked { (0..<rankCount).lazy.compactMap { ranks.stopRequests[$0] }.first { $0 != 0 } ?? 0 }
        ranks.barrier()
        return agreed
    }

    func allReduce(_ slots: GradientSlots, activeSlots: [Int], divisor: Float, consume: @escaping @Sendable (ReducedChunk) -> Void) {
        let layout = slots.layout
        let own = Array(MicroShardPlan.share(of: activeSlots, part: rank, parts: rankCount))
        if !own.isEmpty {
            slots.withGradients(ofSlots: own) { gradients in
                for (position, shard) in own.enumerated() {
                    let flat = layout.counts.indices.flatMap { parameter in
                        Array(UnsafeBufferPointer(start: gradients.gradient(slot: position, parameter: parameter), count: layout.counts[parameter]))
                    }
                    ranks.locked { ranks.gradients[shard] = flat }
                }
            }
        }
        ranks.barrier()
        // Every rank adds every micro-shard in order, as the MPI reducer's owners do.
        let all = ranks.locked { activeSlots.map { ranks.gradients[$0]! } }
        var reduced = [Float](repeating: 0, count: layout.totalCount)
        withExtendedLifetime(all) {
            let sources: [UnsafePointer<Float>?] = all.map { $0.withUnsafeBufferPointer { $0.baseAddress! } }
            reduced.withUnsafeMutableBufferPointer { sg_reduce_slots(sources, Int32(sources.count), $0.baseAddress!, layout.totalCount, divisor) }
        }
        ranks.barrier()
        reduced.withUnsafeBufferPointer { buffer in
            for parameter in layout.counts.indices {
                let start = buffer.baseAddress! + layout.offsets[parameter]
                consume(ReducedChunk(parameter: parameter, elements: 0..<layout.counts[parameter], values: UnsafeBufferPointer(start: start, count: layout.counts[parameter])))
            }
        }
    }
}

/// The engine with a distributed reducer computes only its rank's micro-shards, and every rank
/// ends with the gradient and loss of one process, bit for bit.
@Test(arguments: [1, 2, 3, 8], [1, 2])
func ranksOfTheEngineGiveTheOneProcessGradient(ranks: Int, workers: Int) throws {
    let model = MLP(layerSizes: [8, 16, 3], seed: 1)
    let data = Dataset.synthetic(examples: 96, features: 8, classes: 3, seed: 2)
    let parameters = model.initialParameters()
    let alone = DataParallelEngine(parameterShapes: model.parameterShapes, configuration: DataParallelConfiguration(workers: 1, microShardCount: 6))
    let expected = alone.computeGradients(model: model, parameters: parameters, features: data.features, targets: .classes(data.classLabels!))

    let shared = SimulatedRanks(count: ranks)
    let outcomes = Locked<[Int: (BatchGradient, [WorkerStatistics])]>([:])
    let done = DispatchGroup()
    for rank in 0..<ranks {
        done.enter()
        let thread = Thread {
            let engine = DataParallelEngine(
                parameterShapes: model.parameterShapes, configuration: DataParallelConfiguration(workers: workers, microShardCount: 6),
                reducer: SimulatedReducer(ranks: shared, rank: rank))
            let step = engine.computeGradients(model: model, parameters: parameters, features: data.features, targets: .classes(data.classLabels!))
            outcomes.withLock { $0[rank] = (step, engine.workerStatisticsSnapshot) }
            done.leave()
        }
        thread.start()
    }
    done.wait()
    let results = outcomes.withLock { $0 }
    for rank in 0..<ranks {
        let (step, statistics) = try #require(results[rank])
        #expect(step.gradients == expected.gradients, "rank \(rank) of \(ranks)")
        #expect(step.loss.bitPattern == expected.loss.bitPattern)
        // Each rank computed its share only: 6 micro-shards of 16 examples dealt over the ranks.
        let share = MicroShardPlan.share(of: Array(0..<6), part: rank, parts: ranks).count
        #expect(statistics.reduce(0) { $0 + $1.microShards } == share)
    }
}

/// A stop request that one rank sends with a step's exchange reaches every rank after that same
/// step, the lowest rank's when several send one, and stays; it changes no gradient.
@Test func aStopRequestReachesEveryRankAfterTheSameStep() throws {
    let model = MLP(layerSizes: [8, 16, 3], seed: 1)
    let data = Dataset.synthetic(examples: 96, features: 8, classes: 3, seed: 2)
    let parameters = model.initialParameters()
    let configuration = DataParallelConfiguration(workers: 1, microShardCount: 6)
    let alone = DataParallelEngine(parameterShapes: model.parameterShapes, configuration: configuration)
    let expected = alone.computeGradients(model: model, parameters: parameters, features: data.features, targets: .classes(data.classLabels!))

    let ranks = 3
    let shared = SimulatedRanks(count: ranks)
    let outcomes = Locked<[Int: [Int32?]]>([:])
    let gradients = Locked<[Int: [[Tensor]]]>([:])
    let done = DispatchGroup()
    for rank in 0..<ranks {
        done.enter()
        let thread = Thread {
            let engine = DataParallelEngine(
                parameterShapes: model.parameterShapes, configuration: configuration, reducer: SimulatedReducer(ranks: shared, rank: rank))
            // Ranks 1 and 2 ask to stop (2 and 15) from their third step on, rank 0 (9) from its
            // fifth: the first agreed, rank 1's, stays.
            var exchanges = 0
            engine.stopRequest = {
                exchanges += 1
                switch rank {
                case 0: return exchanges >= 5 ? 9 : 0
                case 1: return exchanges >= 3 ? 2 : 0
                default: return exchanges >= 3 ? 15 : 0
                }
            }
            var agreed: [Int32?] = []
            var steps: [[Tensor]] = []
            for _ in 0..<6 {
                steps.append(engine.computeGradients(model: model, parameters: parameters, features: data.features, targets: .classes(data.classLabels!)).gradients)
                agreed.append(engine.agreedStopRequest)
            }
            outcomes.withLock { $0[rank] = agreed }
            gradients.withLock { $0[rank] = steps }
            done.leave()
        }
        thread.start()
    }
    done.wait()
    for rank in 0..<ranks {
        #expect(outcomes.withLock { $0[rank] } == [nil, nil, 2, 2, 2, 2], "rank \(rank)")
        #expect(gradients.withLock { $0[rank] }?.allSatisfy { $0 == expected.gradients } == true, "rank \(rank)")
    }
    #expect(alone.agreedStopRequest == nil)
}

/// A lock around a value, for the test's threads.
private final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
