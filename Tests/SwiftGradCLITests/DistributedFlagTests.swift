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
}
