import ArgumentParser
import Foundation

/// `--distributed`: whether `swiftgrad run` shares its batches with the other processes of an MPI
/// job.
enum DistributedMode: String, ExpressibleByArgument, CaseIterable {
    case mpi
    case none
}

/// `--mpi-reduction`.
enum MPIReductionChoice: String, ExpressibleByArgument, CaseIterable {
    case deterministic
    case allreduce
}

extension RunCommand {
    /// The size of the MPI job that started this process, as its launcher tells it in the
    /// environment (Open MPI's `mpirun` sets `OMPI_COMM_WORLD_SIZE`, MPICH's Hydra `PMI_SIZE`,
    /// PMIx launchers `PMIX_RANK`), or `nil` when no MPI launcher started it.
    static func mpiJobSize(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        for key in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"] {
            if let value = environment[key], let size = Int(value) { return size }
        }
        return environment["PMIX_RANK"] == nil ? nil : 1
    }

    /// Whether this run joins an MPI job: `--distributed`, else whether an MPI launcher started
    /// the process.
    ///
    /// - Throws: an error when MPI is asked for, or a launcher started several processes, but
    ///   this build of swiftgrad has no MPI.
    func launchMode(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DistributedMode {
        let jobSize = Self.mpiJobSize(environment: environment)
        let mode = distributed ?? (jobSize == nil ? .none : .mpi)
        #if canImport(SwiftGradMPI)
        return mode
        #else
        let missing = "this swiftgrad was built without MPI; install Open MPI (scripts/install-dependencies, or apt-get install libopenmpi-dev openmpi-bin), then `swift package clean` and build again"
        if distributed == .mpi {
            printError("error: --distributed mpi: \(missing)")
            throw ExitCode.failure
        }
        if distributed == nil, let jobSize, jobSize > 1 {
            // Each process would train the whole run alone and write the same files.
            printError("error: an MPI launcher started \(jobSize) processes, but \(missing) (or pass --distributed none to run the config alone in each process)")
            throw ExitCode.failure
        }
        return .none
        #endif
    }
}

#if !canImport(SwiftGradMPI)
extension RunCommand {
    /// Never called without MPI: ``launchMode(environment:)`` says `none` or throws.
    func runUnderMPI() throws {
        throw ExitCode.failure
    }
}
#endif
