import Foundation
import _TestSupport
import Testing

/// The MPI flags of `swiftgrad run` that need no MPI job: values out of range are refused before
/// anything runs, and `--distributed none` trains alone.
@Suite struct DistributedFlagTests {
    @Test(arguments: ["0", "-1", "0.0005", "1e9"])
    func mpiTimeoutOutOfRangeIsRefused(value: String) throws {
        let run = try swiftgrad("run", "Configs/digits-mlp.json", "--mpi-timeout=\(value)", in: repositoryRoot)
        #expect(run.status == 64, "\(run.standardError)")
        #expect(run.standardError.contains("--mpi-timeout must be a number of seconds from 0.001 to 604800"), "\(run.standardError)")
        #expect(run.standardOutput.isEmpty)
    }

    @Test(arguments: ["nan", "inf", "0x10", " 5"])
    func mpiTimeoutThatIsNoDecimalIsRefused(value: String) throws {
        let run = try swiftgrad("run", "Configs/digits-mlp.json", "--mpi-timeout=\(value)", in: repositoryRoot)
        #expect(run.status == 64, "\(run.standardError)")
        #expect(run.standardError.contains("--mpi-timeout must be a number of seconds in decimal, got '\(value)'"), "\(run.standardError)")
        #expect(run.standardOutput.isEmpty)
    }

    @Test func unknownReductionIsRefused() throws {
        let run = try swiftgrad("run", "Configs/digits-mlp.json", "--mpi-reduction", "tree", in: repositoryRoot)
        #expect(run.status == 64)
        #expect(run.standardError.contains("--mpi-reduction"), "\(run.standardError)")
        #expect(run.standardOutput.isEmpty)
    }

    @Test func distributedNoneTrainsAlone() throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let config = repositoryRoot + "/Configs/digits-mlp.json"
        let run = try swiftgrad(["run", config, "--distributed", "none", "--no-metrics", "--epochs", "1"], in: scratch.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(!run.standardOutput.contains("MPI:"))
        #expect(run.standardOutput.contains("parameter digest "))
    }

    /// `--distributed none` only says to run alone, which any config's task does: under a
    /// launcher's environment it runs a minimisation, where `--distributed mpi` is refused.
    @Test func distributedNoneRunsAnyConfigAlone() throws {
        let config = repositoryRoot + "/Configs/seed-quadratic.json"
        let alone = try runProcess("/usr/bin/env", ["OMPI_COMM_WORLD_SIZE=2", try swiftgradPath(), "run", config, "--distributed", "none", "--quiet"])
        #expect(alone.status == 0, "\(alone.error)")
        #expect(alone.output.contains("step 50: x = "), "\(alone.output)")
        let mpi = try swiftgrad(["run", config, "--distributed", "mpi"])
        #expect(mpi.status == 1 && mpi.standardError.contains("--distributed mpi applies to a train config only, and"), "\(mpi.standardError)")
    }
}
