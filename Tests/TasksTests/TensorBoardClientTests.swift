import Foundation
import Reports
import Testing
import _TestSupport
@testable import Tasks

/// A run's event file read by TensorBoard's own loader, as `tensorboard --logdir runs` reads it.
@Suite struct TensorBoardClientTests {
    @Test(.enabled(if: PythonClient.isAvailable, "no Python interpreter: the TensorBoard client check needs python3 (scripts/make-test-venv makes .venv-test with tensorboard)"))
    func tensorBoardsLoaderReadsEveryScalarWithItsTagStepWallTimeAndBits() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try runKeepingFolder(directory)
        let folder = directory.path + "/runs"
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: folder).first(where: TensorBoardEventFile.isEventFileName))
        let script = """
            import json, struct, sys
            from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
            from tensorboard.util import tensor_util
            out = []
            for event in EventFileLoader(sys.argv[1]).Load():
                if event.HasField("file_version"):
                    out.append({"file_version": event.file_version})
                    continue
                for value in event.summary.value:
                    number = value.simple_value if value.HasField("simple_value") else tensor_util.make_ndarray(value.tensor).item()
                    bits = struct.unpack("<I", struct.pack("<f", number))[0]
                    wall_time = struct.unpack("<Q", struct.pack("<d", event.wall_time))[0]
                    out.append({"tag": value.tag, "step": event.step, "wall_time": wall_time, "bits": bits})
            print(json.dumps(out))
            """
        let run = try PythonClient.run(script, arguments: [folder + "/" + name])
        try #require(run.status == 0, "python failed (is tensorboard installed? scripts/make-test-venv installs it): \(run.error)")
        let loaded = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [[String: Any]])
        #expect(loaded.first?["file_version"] as? String == "brain.Event:2")
        let records = RunMetrics.readLines(folder + "/metrics.jsonl").map(\.record)
        var expected: [String] = []
        for record in records {
            for (tag, value) in record.scalars {
                expected.append("\(tag) \(record.tensorBoardStep) \(record.wallTime.bitPattern) \(value.bitPattern)")
            }
        }
        let read = loaded.dropFirst().map { entry in
            // Bits, not decimals: Foundation's JSON reader rounds some doubles by an ulp.
            "\(entry["tag"] as? String ?? "?") \(entry["step"] as? Int ?? -1) \((entry["wall_time"] as? NSNumber)?.uint64Value ?? 0) \((entry["bits"] as? NSNumber)?.uint32Value ?? 0)"
        }
        #expect(read == expected)
        let tags = Set(read.map { $0.split(separator: " ")[0] })
        #expect(tags == [
            "train/loss", "train/accuracy", "train/learning_rate", "train/gradient_norm", "train/samples_per_second",
            "epoch/train_loss", "epoch/train_accuracy", "epoch/test_loss", "epoch/test_accuracy",
        ])
    }
}
