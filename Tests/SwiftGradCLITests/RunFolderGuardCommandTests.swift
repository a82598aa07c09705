import Foundation
import Testing
import _TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A training run writes only into the run folder it started in, and never through a link:
/// what another process does to the folder while the run goes on (moving it aside, putting a
/// link at a checkpoint's name) stops the run with an error instead of sending its files
/// elsewhere. Temporaries that killed writers left there are removed when a run starts.
@Suite struct RunFolderGuardCommandTests {
    /// Steps that take a while, a checkpoint after each: the run is still going when the
    /// folder is tampered with after its first checkpoint.
    private static let slowConfig = """
        {
          "task": "train",
          "data": {"source": "synthetic", "examples": 4096, "features": 512, "classes": 10},
          "model": {"type": "mlp", "hidden_layers": [1024, 1024]},
          "training": {"epochs": 8, "batch_size": 512, "seed": 5, "workers": 2},
          "checkpoint": {"every_steps": 1, "keep_last": 100}
        }
        """

    private func waitForFirstCheckpoint(in folder: String) {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/checkpoints")) ?? []
            if names.contains(where: { $0.hasPrefix("step-") }) { return }
            usleep(2_000)
        }
        Issue.record("no checkpoint in \(folder) after 60 s")
    }

    @Test func aRunWhoseFolderIsMovedAsideStopsInsteadOfWritingIntoTheNewOne() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("slow.json", Self.slowConfig)
        let process = try startSwiftgrad(["run", config, "--run-dir", "runs/a"], in: directory.path)
        waitForFirstCheckpoint(in: directory.path + "/runs/a")
        // Another run's folder now stands at the path.
        try FileManager.default.moveItem(atPath: directory.path + "/runs/a", toPath: directory.path + "/runs/a-old")
        try FileManager.default.createDirectory(atPath: directory.path + "/runs/a/checkpoints", withIntermediateDirectories: true)
        process.waitUntilExit()
        let standardError = try directory.read("stderr")
        #expect(process.terminationStatus == 1, "\(standardError)")
        #expect(standardError.contains("was moved, replaced or turned into a link while the run was going"), "\(standardError)")
        let written = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/runs/a/checkpoints")
        #expect(written.isEmpty, "\(written)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/runs/a/model.safetensors"))
    }

    @Test func aLinkPutAtACheckpointsNameIsRefusedAndItsTargetLeftAlone() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("slow.json", Self.slowConfig)
        let precious = try directory.write("precious.txt", "keep me\n")
        let process = try startSwiftgrad(["run", config, "--run-dir", "runs/b"], in: directory.path)
        let checkpoints = directory.path + "/runs/b/checkpoints"
        waitForFirstCheckpoint(in: directory.path + "/runs/b")
        for step in 2...64 {
            let name = checkpoints + "/" + String(format: "step-%09d.safetensors", step)
            if !FileManager.default.fileExists(atPath: name) { symlink(precious, name) }
        }
        process.waitUntilExit()
        let standardError = try directory.read("stderr")
        #expect(process.terminationStatus == 1, "\(standardError)")
        #expect(standardError.contains("it is a symbolic link; refusing to follow it"), "\(standardError)")
        #expect(try directory.read("precious.txt") == "keep me\n")
    }

    /// A run folder named through a symbolic link is the folder the link leads to.
    @Test func aRunFolderNamedThroughALinkIsUsedThroughIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.tinyTrainConfig()
        try FileManager.default.createDirectory(atPath: directory.path + "/real/run", withIntermediateDirectories: true)
        #expect(symlink(directory.path + "/real/run", directory.path + "/linked") == 0)
        let run = try swiftgrad(["run", config, "--run-dir", "linked", "--epochs", "1"], in: directory.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(FileManager.default.fileExists(atPath: directory.path + "/real/run/model.safetensors"))
        let resumed = try swiftgrad(["run", config, "--run-dir", "linked", "--resume", "latest"], in: directory.path)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("resumed from linked/checkpoints/"), "\(resumed.standardOutput)")
    }

    /// `--resume latest` reads only the folder's own files: a link as the newest checkpoint,
    /// or as the checkpoints folder, is refused before anything is read through it.
    @Test func resumeLatestFollowsNoLinkInTheRunFolder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.tinyTrainConfig()
        let run = try swiftgrad(["run", config, "--run-dir", "r", "--epochs", "1"], in: directory.path)
        #expect(run.status == 0, "\(run.standardError)")
        let checkpoints = directory.path + "/r/checkpoints"
        let names = try FileManager.default.contentsOfDirectory(atPath: checkpoints).sorted()
        let newest = try #require(names.last)
        // A link named as a later step, to a copy of the newest checkpoint (which would resume).
        let copy = try directory.write("copy.safetensors", "")
        try FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: checkpoints + "/" + newest, toPath: copy)
        let link = checkpoints + "/step-999999999.safetensors"
        #expect(symlink(copy, link) == 0)
        let linked = try swiftgrad(["run", config, "--run-dir", "r", "--epochs", "2", "--resume", "latest"], in: directory.path)
        #expect(linked.status == 1)
        #expect(linked.standardError == "error: cannot resume from 'r/checkpoints/step-999999999.safetensors' (--resume latest): it is a symbolic link, not a regular file; a run folder holds only the run's own files, so remove it, or name the checkpoint to resume from\n", "\(linked.standardError)")
        try FileManager.default.removeItem(atPath: link)
        // The checkpoints folder itself as a link to a folder of checkpoints.
        try FileManager.default.moveItem(atPath: checkpoints, toPath: directory.path + "/elsewhere")
        #expect(symlink(directory.path + "/elsewhere", checkpoints) == 0)
        let folder = try swiftgrad(["run", config, "--run-dir", "r", "--epochs", "2", "--resume", "latest"], in: directory.path)
        #expect(folder.status == 1)
        #expect(folder.standardError.hasPrefix("error: cannot use 'r/checkpoints' as the run's checkpoints folder: it is a symbolic link, not a directory"), "\(folder.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/elsewhere").sorted() == names)
    }

    @Test func aRunRemovesTheTemporariesKilledWritersLeftInItsFolder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.tinyTrainConfig()
        let checkpoints = directory.path + "/runs/c/checkpoints"
        try FileManager.default.createDirectory(atPath: checkpoints, withIntermediateDirectories: true)
        // Names no run of this config writes again, from a process id above any the system gives.
        let deadWriter = 1 << 23
        let leftovers = [
            checkpoints + "/.step-000000999.safetensors.tmp-\(deadWriter)-abc123",
            directory.path + "/runs/c/.metrics.svg.tmp-\(deadWriter)-xyz789",
        ]
        for path in leftovers { #expect(FileManager.default.createFile(atPath: path, contents: Data("torn".utf8))) }
        // Files the run does not write, named like temporaries or not, are the user's.
        let unrelated = try directory.write("runs/c/notes.txt", "mine\n")
        let lookalike = try directory.write("runs/c/.notes.txt.tmp-\(deadWriter)-abc123", "mine too\n")
        let run = try swiftgrad(["run", config, "--run-dir", "runs/c"], in: directory.path)
        #expect(run.status == 0, "\(run.standardError)")
        for path in leftovers { #expect(!FileManager.default.fileExists(atPath: path), "\(path) is still there") }
        #expect(FileManager.default.fileExists(atPath: unrelated) && FileManager.default.fileExists(atPath: lookalike))
    }
}
