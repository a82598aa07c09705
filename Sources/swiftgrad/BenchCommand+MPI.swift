#if canImport(SwiftGradMPI)
import ArgumentParser
import Autograd
import DataParallel
import Foundation
import Storage
import SwiftGradMPI

extension AllReduceCommand {
    /// `swiftgrad bench allreduce --mpi` as one rank of an MPI job: for each of `--sizes`, the
    /// median time of the deterministic cross-rank reduction of `--slots` micro-shards (shared
    /// among the ranks as in training) and of `MPI_Allreduce` on the same gradient slots, after a
    /// barrier, alternating; rank 0 prints a table of milliseconds and bandwidth.
    func runUnderMPI() throws {
        let communicator: MPICommunicator
        do {
            communicator = try MPICommunicator()
        } catch {
            printError("error: --mpi: \(error)")
            throw ExitCode.failure
        }
        let rank = communicator.rank
        if rank == 0 {
            print("MPI all-reduce: \(communicator.size) ranks, \(slots) micro-shards, median of \(rounds) rounds")
            print("| floats | deterministic (ms) | deterministic (MB/s) | MPI_Allreduce (ms) | MPI_Allreduce (MB/s) | deterministic / allreduce |")
            print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        }
        for size in sizes {
            let small = max(1, size / 100)
            let layout = ParameterLayout(shapes: [[size - small], [small]])
            let gradientSlots = GradientSlots(layout: layout, slotCount: slots)
            let active = Array(0..<slots)
            for shard in MicroShardPlan.share(of: active, part: rank, parts: communicator.size) {
                let gradients = layout.shapes.map { shape -> Tensor? in
                    Tensor(shape: shape) { buffer in
                        for index in buffer.indices { buffer[index] = Float((index &* 31 &+ shard) % 17) - 8 }
                    }
                }
                gradientSlots.store(gradients, inSlot: shard)
            }
            let reducers = [
                MPIGradientReducer(communicator: communicator, reduction: .deterministic),
                MPIGradientReducer(communicator: communicator, reduction: .allreduce),
            ]
            let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: layout.totalCount)
            defer { output.deallocate() }
            var times: [[Double]] = [[], []]
            // One untimed round warms both up.
            for round in 0...rounds {
                for which in (round % 2 == 0 ? [0, 1] : [1, 0]) {
                    _ = communicator.allGather([], what: "the barrier")
                    let start = ContinuousClock.now
                    reducers[which].allReduce(gradientSlots, activeSlots: active, divisor: 1, into: output)
                    let elapsed = ContinuousClock.now - start
                    if round > 0 {
                        times[which].append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
                    }
                }
            }
            if rank == 0 {
                let medians = times.map { $0.sorted()[$0.count / 2] }
                // The gradient's bytes reduced per second.
                let megabytes = Double(size * 4) / 1e6
                print(String(
                    format: "| %d | %.3f | %.0f | %.3f | %.0f | %.2f |", size, medians[0] * 1000, megabytes / medians[0],
                    medians[1] * 1000, megabytes / medians[1], medians[0] / medians[1]))
            }
        }
        communicator.finalize()
    }
}
#endif
