import DataParallel
import JSON
import Foundation
import Testing
import Tasks
import _TestSupport

/// The start-up check of an MPI run, with the exchange simulated: every rank must hold the same
/// config, data and parameters, and a disagreement names the ranks.
@Suite struct DistributedRunTests {
    /// A one-rank distributed reducer: the in-process one, with nothing to exchange.
    private struct OneRank: DistributedGradientReducer {
        let inner = InProcessGradientReducer(threads: 1)
        var rank: Int { 0 }
        var rankCount: Int { 1 }
        func exchangeMicroShardResults(_ results: inout [MicroShardResult?], activeSlots: [Int], step: Int, stopRequest: Int32) -> Int32 { stopRequest }
        func allReduce(_ slots: GradientSlots, activeSlots: [Int], divisor: Float, consume: @escaping @Sendable (ReducedChunk) -> Void) {
            inner.allReduce(slots, activeSlots: activeSlots, divisor: divisor, consume: consume)
        }
    }

    /// Rank 1 of 2, for the exchanges where rank 0 alone reads; it never trains.
    private struct SecondRank: DistributedGradientReducer {
        var rank: Int { 1 }
        var rankCount: Int { 2 }
        func exchangeMicroShardResults(_ results: inout [MicroShardResult?], activeSlots: [Int], step: Int, stopRequest: Int32) -> Int32 {
            Issue.record("rank 1 trained")
            return 0
        }
        func allReduce(_ slots: GradientSlots, activeSlots: [Int], divisor: Float, consume: @escaping @Sendable (ReducedChunk) -> Void) {
            Issue.record("rank 1 trained")
        }
    }

    /// A run whose "other ranks" send what `others` makes of this rank's facts.
    private func run(others: @escaping @Sendable (String) -> [String]) throws -> TaskReport {
        var options = RunOptions(verbosity: .quiet)
        options.distributed = DistributedRun(reducer: OneRank(), description: "simulated", broadcastFromRankZero: { $0 }) { own in
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

    /// Early stopping and the evaluations it watches are left out of the config hash (a resume
    /// may change them), yet they decide the step a run stops at, and without determinism the
    /// worker count decides a batch's shards: ranks whose configs differ there are refused before
    /// training, instead of waiting for one another until the timeout ends the job.
    @Test(arguments: [
        ("\"early_stopping\": {\"patience\": 2}", "\"early_stopping\": {\"patience\": 3}", "early stopping: rank 0 has metric test_loss, patience 2"),
        ("\"early_stopping\": {\"patience\": 2}", "\"workers\": 2", "early stopping: rank 0 has metric test_loss, patience 2, min_delta 0.0, restore_best true, rank 1 has none"),
        ("\"evaluate_every\": 2", "\"evaluate_every\": 3", "evaluation: rank 0 has evaluate_every 2, train_metrics training_batches, rank 1 has evaluate_every 3"),
        ("\"train_metrics\": \"evaluation_pass\"", "\"workers\": 2", "evaluation: rank 0 has evaluate_every 1, train_metrics evaluation_pass, rank 1 has evaluate_every 1, train_metrics training_batches"),
        // Without determinism a rank cuts each batch into one shard per worker of its own.
        ("\"deterministic\": false, \"workers\": 1", "\"deterministic\": false, \"workers\": 2", "micro-shards: rank 0 has one per worker, 1 (training.deterministic is false: give every rank the same --workers), rank 1 has one per worker, 2"),
    ])
    func ranksThatWouldStopAtOtherStepsStopBeforeTraining(zero: String, one: String, expected: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        func config(_ name: String, training: String) throws -> String {
            try directory.write(name, """
                {
                  "task": "train",
                  "data": {"source": "synthetic", "examples": 256, "features": 32, "classes": 4, "test_fraction": 0.25},
                  "model": {"type": "mlp", "hidden_layers": [16]},
                  "training": {"epochs": 3, "batch_size": 64, "micro_shards": 2, "seed": 1, \(training)}
                }
                """)
        }
        let options = RunOptions(verbosity: .quiet)
        /// The start-up facts rank 1 sends: its run, with an exchange that records them and ends
        /// it there.
        let sent = Locked<[UInt8]?>(nil)
        var oneOptions = options
        oneOptions.distributed = DistributedRun(reducer: OneRank(), description: "simulated", broadcastFromRankZero: { $0 }) { own in
            guard String(decoding: own, as: UTF8.self).contains("config hash") else { return [own] }
            sent.withLock { $0 = own }
            return [own, []]
        }
        _ = try? TaskLoader.load(path: try config("one.json", training: one), options: oneOptions).run(options: oneOptions) { _ in }
        let facts = try #require(sent.withLock { $0 })
        var zeroOptions = options
        zeroOptions.distributed = DistributedRun(reducer: OneRank(), description: "simulated", broadcastFromRankZero: { $0 }) { own in
            String(decoding: own, as: UTF8.self).contains("config hash") ? [own, facts] : [own, own]
        }
        let task = try TaskLoader.load(path: try config("zero.json", training: zero), options: zeroOptions)
        let error = #expect(throws: RankDisagreement.self) { _ = try task.run(options: zeroOptions) { _ in } }
        let message = error?.description ?? ""
        #expect(message.contains(expected), "\(message)")
        #expect(!message.contains("config hash"), "the hash covers neither: \(message)")
    }

    @Test func disagreementNamesEveryGroupOfRanks() {
        let facts = ["parameter digest"]
        func entry(_ value: String) -> String { "parameter digest\u{1F}\(value)" }
        let disagreement = RankDisagreement(facts: facts, gathered: [entry("a"), entry("b"), entry("a"), entry("c")])
        #expect(disagreement?.description.contains("parameter digest: ranks 0, 2 have a, rank 1 has b, rank 3 has c") == true)
        #expect(RankDisagreement(facts: facts, gathered: [entry("a"), entry("a")]) == nil)
    }

    @Test func rankZeroAloneReadsAndTheOthersGetItsBytes() throws {
        let sent = Locked<[UInt8]?>(nil)
        let zero = DistributedRun(reducer: OneRank(), description: "simulated", broadcastFromRankZero: { bytes in
            sent.withLock { $0 = bytes }
            return bytes
        }) { [$0] }
        #expect(try zero.readOnRankZero { [7, 8, 9] } == [7, 8, 9])
        let message = try #require(sent.withLock { $0 })
        let one = DistributedRun(reducer: SecondRank(), description: "simulated", broadcastFromRankZero: { bytes in
            #expect(bytes.isEmpty, "rank 1 sends nothing")
            return message
        }) { [[], $0] }
        let received = try one.readOnRankZero {
            Issue.record("rank 1 read the file")
            return []
        }
        #expect(received == [7, 8, 9])
    }

    @Test func aFileRankZeroCannotReadFailsOnEveryRank() throws {
        struct Unreadable: Error, CustomStringConvertible { var description: String { "cannot open 'x.safetensors'" } }
        let sent = Locked<[UInt8]?>(nil)
        let zero = DistributedRun(reducer: OneRank(), description: "simulated", broadcastFromRankZero: { bytes in
            sent.withLock { $0 = bytes }
            return bytes
        }) { [$0] }
        let onZero = #expect(throws: FailureOnEveryRank.self) { try zero.readOnRankZero { throw Unreadable() } }
        #expect(onZero?.description == "cannot open 'x.safetensors'")
        let message = try #require(sent.withLock { $0 })
        let one = DistributedRun(reducer: SecondRank(), description: "simulated", broadcastFromRankZero: { _ in message }) { [[], $0] }
        let onOne = #expect(throws: FailureOnEveryRank.self) { try one.readOnRankZero { [] } }
        #expect(onOne == onZero)
    }

    @Test func failuresOnSomeRanksNameThem() {
        #expect(FailureOnEveryRank(gathered: ["", "", ""]) == nil)
        #expect(FailureOnEveryRank(gathered: ["bad", "bad"])?.description == "bad")
        #expect(FailureOnEveryRank(gathered: ["", "x", "x", "y"])?.description == "ranks 1, 2: x; rank 3: y")
        #expect(FailureOnEveryRank(gathered: ["x", "x", ""])?.description == "ranks 0, 1: x")
    }

    @Test func aFailureOnOneRankIsThrownOnEveryRank() throws {
        // This rank succeeds; the simulated rank 1 failed.
        let run = DistributedRun(reducer: OneRank(), description: "simulated", broadcastFromRankZero: { $0 }) { [$0, Array("damaged".utf8)] }
        let error = #expect(throws: FailureOnEveryRank.self) { try run.onEveryRank { 1 } }
        #expect(error?.description == "rank 1: damaged")
        let alone = DistributedRun(reducer: OneRank(), description: "simulated", broadcastFromRankZero: { $0 }) { [$0] }
        #expect(try alone.onEveryRank { 1 } == 1)
    }

    /// Resuming through rank 0's read and broadcast ends on the bits of an ordinary resume.
    @Test func resumeThroughRankZeroEqualsAPlainResume() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("train.json", """
            {
              "task": "train",
              "data": {"source": "synthetic", "examples": 256, "features": 32, "classes": 4, "test_fraction": 0.25},
              "model": {"type": "mlp", "hidden_layers": [16]},
              "training": {"epochs": 3, "batch_size": 64, "micro_shards": 2, "seed": 4},
              "checkpoint": {"every_steps": 2, "keep_last": 100}
            }
            """)
        func run(resume: String?, distributed: Bool, folder: String) throws -> TaskReport {
            var options = RunOptions(verbosity: .quiet, writesMetrics: false, resume: resume, runDirectory: directory.path + "/" + folder, keepsRunFolder: true)
            if distributed {
                options.distributed = DistributedRun(reducer: OneRank(), description: "simulated", broadcastFromRankZero: { $0 }) { [$0] }
            }
            return try TaskLoader.load(path: config, options: options).run(options: options) { _ in }
        }
        let full = try run(resume: nil, distributed: false, folder: "full")
        let checkpoint = directory.path + "/full/checkpoints/step-000000004.safetensors"
        let plain = try run(resume: checkpoint, distributed: false, folder: "plain")
        let shared = try run(resume: checkpoint, distributed: true, folder: "shared")
        #expect(plain.extra["parameter_digest"] == full.extra["parameter_digest"])
        #expect(shared.extra["parameter_digest"] == full.extra["parameter_digest"])
        // `latest` is looked for in rank 0's run folder.
        let latest = try run(resume: "latest", distributed: true, folder: "full")
        #expect(latest.extra["parameter_digest"] == full.extra["parameter_digest"])
        // A missing checkpoint fails alike on every rank, naming the file.
        let missing = #expect(throws: FailureOnEveryRank.self) { _ = try run(resume: directory.path + "/none.safetensors", distributed: true, folder: "none") }
        #expect(missing?.description.contains("none.safetensors") == true, "\(String(describing: missing))")
    }
}
