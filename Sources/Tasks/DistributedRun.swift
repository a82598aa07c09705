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
    /// Rank 0's bytes on every rank (what the other ranks pass is ignored). It ends the job,
    /// naming the rank, when one does not answer in time.
    package var broadcastFromRankZero: @Sendable ([UInt8]) -> [UInt8]

    package init(
        reducer: any DistributedGradientReducer, description: String, broadcastFromRankZero: @escaping @Sendable ([UInt8]) -> [UInt8],
        allGather: @escaping @Sendable ([UInt8]) -> [[UInt8]]
    ) {
        self.reducer = reducer
        self.description = description
        self.broadcastFromRankZero = broadcastFromRankZero
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

extension DistributedRun {
    /// What `read` returns on rank 0, on every rank: rank 0 alone calls it and sends the others
    /// its bytes, or the error it threw, so a file only rank 0 can see (a checkpoint on its own
    /// disk) reaches every rank.
    ///
    /// - Throws: ``FailureOnEveryRank``, on every rank, when `read` threw on rank 0.
    package func readOnRankZero(_ read: () throws -> [UInt8]) throws -> [UInt8] {
        // One byte says what follows: 0 the bytes read, 1 the error's message.
        var payload: [UInt8] = []
        if rank == 0 {
            do {
                payload = [0] + (try read())
            } catch {
                payload = [1] + Array("\(error)".utf8)
            }
        }
        let received = broadcastFromRankZero(payload)
        guard let kind = received.first else { throw FailureOnEveryRank("rank 0 sent nothing") }
        if kind == 1 { throw FailureOnEveryRank(String(decoding: received.dropFirst(), as: UTF8.self)) }
        return Array(received.dropFirst())
    }

    /// What `body` returns, when it returned on every rank.
    ///
    /// - Throws: ``FailureOnEveryRank``, on every rank, when `body` threw on any: its error when
    ///   every rank met the same, else each error with the ranks that met it.
    package func onEveryRank<Value>(_ body: () throws -> Value) throws -> Value {
        var value: Value?
        var failure = ""
        do {
            value = try body()
        } catch {
            failure = "\(error)"
            // An empty message would read as success to the other ranks.
            if failure.isEmpty { failure = "\(type(of: error))" }
        }
        let failures = allGather(Array(failure.utf8)).map { String(decoding: $0, as: UTF8.self) }
        if let failure = FailureOnEveryRank(gathered: failures) { throw failure }
        return value!
    }
}

/// An error that every rank of an MPI job throws alike, so that rank 0 reports it once and every
/// rank exits: rank 0 could not read what it shares, or some rank failed at start-up.
package struct FailureOnEveryRank: Error, CustomStringConvertible, Equatable {
    package let description: String

    package init(_ description: String) { self.description = description }

    /// The failures in `gathered` (each rank's error message, empty for a rank that succeeded, by
    /// rank) as one error: the message alone when every rank failed alike, else each message
    /// with the ranks it hit; `nil` when no rank failed.
    package init?(gathered failures: [String]) {
        var groups: [(message: String, ranks: [Int])] = []
        for (rank, message) in failures.enumerated() where !message.isEmpty {
            if let index = groups.firstIndex(where: { $0.message == message }) {
                groups[index].ranks.append(rank)
            } else {
                groups.append((message, [rank]))
            }
        }
        if groups.isEmpty { return nil }
        if groups.count == 1 && groups[0].ranks.count == failures.count {
            description = groups[0].message
        } else {
            description = groups.map { "\(RankDisagreement.phrase($0.ranks)): \($0.message)" }.joined(separator: "; ")
        }
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
    /// is checked with, how a batch is cut into micro-shards, the evaluations and early stopping (which the config hash leaves out, as
    /// a resume may change them, but which decide the step a run stops at: a rank that stopped
    /// earlier than the others would leave them waiting for its gradients), the parameters (from
    /// the seed, or the checkpoint resumed) and the position in the run.
    func distributedFacts(of trainer: Trainer) -> [(name: String, value: String)] {
        let state = trainer.state
        return [
            ("config hash", configHash),
            ("data checksum", dataChecksum),
            ("precision", options.precision.rawValue),
            ("evaluation", "evaluate_every \(options.evaluateEvery), train_metrics \(options.trainMetrics.rawValue)"),
            ("early stopping", Self.describe(options.earlyStopping)),
            // Without determinism each rank cuts a batch into one shard per worker of its own,
            // so ranks of other worker counts would wait for shards the others never send.
            ("micro-shards", options.deterministic
                ? options.microShards.map { "\($0) per batch" } ?? "by batch size"
                : "one per worker, \(options.workers) (training.deterministic is false: give every rank the same --workers)"),
            ("parameter digest", trainer.parameterDigest),
            ("position", "epoch \(state.epoch + 1), batch \(state.stepInEpoch), step \(state.globalStep)"),
        ]
    }

    /// `training.early_stopping` as a rank compares it: every key, or `none`.
    static func describe(_ earlyStopping: EarlyStopping?) -> String {
        guard let earlyStopping else { return "none" }
        return "metric \(earlyStopping.metric.rawValue), patience \(earlyStopping.patience), min_delta \(earlyStopping.minDelta), restore_best \(earlyStopping.restoreBest)"
    }
}
