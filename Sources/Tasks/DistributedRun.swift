import DataParallel
import Training

/// A training run whose processes share each batch (the ranks of an MPI job), as the command line
/// sets it up: the reducer that sums every rank's micro-shards, and the exchange that lets the
/// ranks check at start-up that they run the same thing.
package struct DistributedRun: Sendable {
    /// Sums the ranks' micro-shard gradients; the trainer's engine computes only this rank's
    /// share of each batch.
    package var reducer: any DistributedGradientReducer
    /// What the run is, for the header: `MPI: 3 ranks on 2 hosts, deterministic reduction`.
    package var description: String
    /// Every rank's bytes, indexed by rank, the same on every rank (an all-gather). It ends the
    /// job, naming the rank, when one does not answer in time.
    package var allGather: @Sendable ([UInt8]) -> [[UInt8]]

    package init(reducer: any DistributedGradientReducer, description: String, allGather: @escaping @Sendable ([UInt8]) -> [[UInt8]]) {
        self.reducer = reducer
        self.description = description
        self.allGather = allGather
    }

    /// This process's rank.
    package var rank: Int { reducer.rank }
    /// The ranks of the job.
    package var rankCount: Int { reducer.rankCount }

    /// Checks that every rank holds the same value of every fact (the config's hash, the data's
    /// checksum, the initial parameters' digest), in one exchange.
    ///
    /// - Throws: ``RankDisagreement``, the same on every rank, naming each fact that differs and
    ///   the ranks that hold each value.
    package func checkAgreement(_ facts: [(name: String, value: String)]) throws {
        // How the ranks add their gradients is part of what they must agree on.
        let facts = facts + [("distribution", description)]
        let own = facts.map { "\($0.name)\u{1F}\($0.value)" }.joined(separator: "\u{1E}")
        let gathered = allGather(Array(own.utf8)).map { String(decoding: $0, as: UTF8.self) }
        if let disagreement = RankDisagreement(facts: facts.map(\.name), gathered: gathered) { throw disagreement }
    }
}

/// The ranks of an MPI job do not hold the same config, data or parameters.
package struct RankDisagreement: Error, CustomStringConvertible, Equatable {
    package let description: String

    /// The disagreement in `gathered` (each rank's facts as ``DistributedRun/checkAgreement(_:)``
    /// encodes them, by rank), or `nil` when every rank holds the same.
    package init?(facts names: [String], gathered: [String]) {
        let tables = gathered.map { text -> [String: String] in
            var table: [String: String] = [:]
            for entry in text.split(separator: "\u{1E}", omittingEmptySubsequences: true) {
                let parts = entry.split(separator: "\u{1F}", maxSplits: 1, omittingEmptySubsequences: false)
                table[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            return table
        }
        var differences: [String] = []
        for name in names {
            // The values in order of the lowest rank holding each, with the ranks that hold it.
            var groups: [(value: String, ranks: [Int])] = []
            for (rank, table) in tables.enumerated() {
                let value = table[name] ?? "(none)"
                if let index = groups.firstIndex(where: { $0.value == value }) {
                    groups[index].ranks.append(rank)
                } else {
                    groups.append((value, [rank]))
                }
            }
            guard groups.count > 1 else { continue }
            differences.append("\(name): " + groups.map { "\(Self.phrase($0.ranks)) \($0.ranks.count == 1 ? "has" : "have") \($0.value)" }.joined(separator: ", "))
        }
        guard !differences.isEmpty else { return nil }
        description = "the ranks of the MPI job differ, so their runs would too; \(differences.joined(separator: "; ")). Give every rank the same config, data files and checkpoint"
    }

    /// `rank 2`, `ranks 0, 1`.
    static func phrase(_ ranks: [Int]) -> String {
        ranks.count == 1 ? "rank \(ranks[0])" : "ranks \(ranks.map(String.init).joined(separator: ", "))"
    }
}

extension TrainTask {
    /// What every rank of an MPI job must hold alike before training: the hashes a checkpoint
    /// is checked with, the parameters (from the seed, or the checkpoint resumed) and the
    /// position in the run.
    func distributedFacts(of trainer: Trainer) -> [(name: String, value: String)] {
        let state = trainer.state
        return [
            ("config hash", configHash),
            ("data checksum", dataChecksum),
            ("precision", options.precision.rawValue),
            ("parameter digest", trainer.parameterDigest),
            ("position", "epoch \(state.epoch + 1), batch \(state.stepInEpoch), step \(state.globalStep)"),
        ]
    }
}
