import _TestSupport
import SwiftGrad
@testable import Tasks
import Testing

/// The data checksum a checkpoint carries: word-wise now, and a checkpoint that carries the
/// byte-wise checksum of the same data still resumes and evaluates.
@Suite struct DataChecksumTests {
    @Test func aCheckpointWithTheBytewiseChecksumOfTheSameDataIsAccepted() throws {
        let run = try TinyRun(classes: true)
        defer { run.directory.remove() }
        var checkpoint = try Checkpoint.read(from: run.modelPath)
        let task = try #require(try TaskLoader.load(path: run.config, options: RunOptions(seed: checkpoint.state.seed, verbosity: .quiet)) as? TrainTask)
        #expect(checkpoint.metadata["data_checksum"] == task.dataChecksum)
        let bytewise = TrainTask.bytewiseChecksum(of: task.data)
        #expect(bytewise != task.dataChecksum, "the two checksums differ, so the test tells them apart")

        checkpoint.metadata["data_checksum"] = bytewise
        let older = run.directory.path + "/bytewise.safetensors"
        try checkpoint.write(to: older)
        #expect(throws: Never.self) { try task.checkCompatible(try Checkpoint.read(from: older), path: older) }
        _ = try CheckpointEvaluation.run(config: run.config, checkpoint: older)

        checkpoint.metadata["data_checksum"] = "0123456789abcdef"
        try checkpoint.write(to: older)
        let error = try #require(throws: CheckpointError.self) { try task.checkCompatible(try Checkpoint.read(from: older), path: older) }
        #expect(error.description.contains("other data (data checksum 0123456789abcdef"), "\(error)")
    }
}
