import DataParallel
import JSON
import Foundation
import Testing
import Tasks

/// The start-up check of an MPI run, with the exchange simulated: every rank must hold the same
/// config, data and parameters, and a disagreement names the ranks.
@Suite struct DistributedRunTests {
    /// A one-rank distributed reducer: the in-process one, with nothing to exchange.
    private struct OneRank: DistributedGradientReducer {
        let inner = InProcessGradientReducer(threads: 1)
        var rank: Int { 0 }
        var rankCount: Int { 1 }
        func exchangeMicroShardResults(_ results: inout [MicroShardResult?], activeSlots: [Int], step: Int) {}
        func allReduce(_ slots: GradientSlots, activeSlots: [Int], divisor: Float, consume: @escaping @Sendable (ReducedChunk) -> Void) {
            inner.allReduce(slots, activeSlots: activeSlots, divisor: divisor, consume: consume)
        }
    }

    /// A run whose "other ranks" send what `others` makes of this rank's facts.
    private func run(others: @escaping @Sendable (String) -> [String]) throws -> TaskReport {
        var options = RunOptions(verbosity: .quiet)
        options.distributed = DistributedRun(reducer: OneRank(), description: "simulated") { own in
            let text = String(decoding: own, as: UTF8.self)
            return [own] + others(text).map { Array($0.utf8) }
        }
        let task = try TaskLoader.load(path: Repository.config("digits-mlp.json"), options: options)
        return try task.run(options: options) { _ in }
    }

    @Test func ranksThatAgreeTrainAsOneProcess() throws {
        let report = try run { own in [own, own] }
        let alone = try TaskLoader.load(path: Repository.config("digits-mlp.json"), options: RunOptions(verbosity: .quiet))
            .run(options: RunOptions(verbosity: .quiet)) { _ in }
        #expect(report.extra["parameter_digest"] == alone.extra["parameter_digest"])
        #expect(report.extra["parameter_digest"] == .string("b494f10730e305d9"))
    }

    @Test func aRankWithAnotherConfigStopsTheRunBeforeTraining() throws {
        let error = #expect(throws: RankDisagreement.self) {
            _ = try run { own in
                // Rank 2 read another config; rank 1 the same.
                let other = own.replacingOccurrences(of: "config hash\u{1F}", with: "config hash\u{1F}0000")
                return [own, other]
            }
        }
        let message = error?.description ?? ""
        #expect(message.contains("config hash: ranks 0, 1 have "), "\(message)")
        #expect(message.contains(", rank 2 has 0000"), "\(message)")
        #expect(!message.contains("data checksum"), "only the facts that differ: \(message)")
    }

    @Test func disagreementNamesEveryGroupOfRanks() {
        let facts = ["parameter digest"]
        func entry(_ value: String) -> String { "parameter digest\u{1F}\(value)" }
        let disagreement = RankDisagreement(facts: facts, gathered: [entry("a"), entry("b"), entry("a"), entry("c")])
        #expect(disagreement?.description.contains("parameter digest: ranks 0, 2 have a, rank 1 has b, rank 3 has c") == true)
        #expect(RankDisagreement(facts: facts, gathered: [entry("a"), entry("a")]) == nil)
    }
}
