// mpi-bench: what the deterministic cross-rank reduction costs against MPI_Allreduce, measured on
// the reducer alone (no training), for gradients of several sizes.
//
//   swift build -c release --product mpi-bench
//   mpirun -np 2 .build/release/mpi-bench [--micro-shards 8] [--rounds 21] [--sizes 17226,1000000,10000000]
//
// Every rank holds its share of the micro-shards' gradients (values made from the micro-shard and
// element index, so rank 0 can make every micro-shard's and check the result). Each round times
// both reductions, in alternating order, after a barrier; one call of each is timed per round,
// `--repeats` calls averaged. Rank 0 prints, per size: the median milliseconds of each, the ratio,
// whether the deterministic result is bitwise the one-process sum (it must be), and the largest
// difference of MPI_Allreduce's from it.

import Autograd
import CKernels
import DataParallel
import Foundation
import SwiftGradMPI

let arguments = CommandLine.arguments
func option(_ name: String) -> String? { arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } }
let microShards = option("--micro-shards").flatMap(Int.init) ?? 8
let rounds = option("--rounds").flatMap(Int.init) ?? 21
let repeats = option("--repeats").flatMap(Int.init) ?? 5
let sizes = (option("--sizes") ?? "17226,1000000,10000000").split(separator: ",").compactMap { Int($0) }

let communicator = try MPICommunicator()
let rank = communicator.rank, ranks = communicator.size

/// Element `index` of micro-shard `shard`'s gradient: a value of varied magnitude and sign, so that
/// the order of the additions shows in the bits.
func value(shard: Int, index: Int) -> Float {
    var x = UInt64(truncatingIfNeeded: shard &* 1_000_003 &+ index) &* 0x9E37_79B9_7F4A_7C15
    x ^= x >> 29
    let unit = Float(x >> 40) / Float(1 << 24)
    return (unit - 0.5) * Float(1 << (x % 7))
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

if rank == 0 {
    print("mpi-bench: \(ranks) ranks on \(Set(communicator.allGather(Array(communicator.hostName.utf8), what: "host names")).count) host(s), \(microShards) micro-shards, median of \(rounds) rounds of \(repeats) calls")
    print("")
    print("| parameters | deterministic (ms) | MPI_Allreduce (ms) | deterministic / allreduce | deterministic = one process | allreduce max abs difference |")
    print("| ---: | ---: | ---: | ---: | :---: | ---: |")
} else {
    _ = communicator.allGather(Array(communicator.hostName.utf8), what: "host names")
}

for size in sizes {
    // Two parameters, so that the ranks' element ranges cross a parameter boundary.
    let small = Swift.max(1, size / 100)
    let layout = ParameterLayout(shapes: [[size - small], [small]])
    let slots = GradientSlots(layout: layout, slotCount: microShards)
    let active = Array(0..<microShards)
    for shard in MicroShardPlan.share(of: active, part: rank, parts: ranks) {
        var start = 0
        let gradients = layout.shapes.map { shape -> Tensor? in
            let count = shape.reduce(1, *)
            defer { start += count }
            let first = start
            return Tensor(shape: shape) { buffer in
                for index in 0..<count { buffer.baseAddress![index] = value(shard: shard, index: first + index) }
            }
        }
        slots.store(gradients, inSlot: shard)
    }
    let deterministic = MPIGradientReducer(communicator: communicator, reduction: .deterministic)
    let allreduce = MPIGradientReducer(communicator: communicator, reduction: .allreduce)
    let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: layout.totalCount)
    let reference = UnsafeMutableBufferPointer<Float>.allocate(capacity: layout.totalCount)
    defer { output.deallocate(); reference.deallocate() }
    let divisor = Float(64 * microShards)

    var times: [MPIGradientReducer.Reduction: [Double]] = [.deterministic: [], .allreduce: []]
    for round in 0..<(rounds + 2) {
        let order: [MPIGradientReducer] = round % 2 == 0 ? [deterministic, allreduce] : [allreduce, deterministic]
        for reducer in order {
            _ = communicator.allGather([], what: "the barrier")
            let start = ContinuousClock.now
            for _ in 0..<repeats { reducer.allReduce(slots, activeSlots: active, divisor: divisor, into: output) }
            // The first two rounds warm up.
            if round >= 2 { times[reducer.reduction]!.append(seconds(ContinuousClock.now - start) / Double(repeats)) }
        }
    }

    deterministic.allReduce(slots, activeSlots: active, divisor: divisor, into: output)
    let deterministicBits = Array(output)
    allreduce.allReduce(slots, activeSlots: active, divisor: divisor, into: output)
    let allreduceValues = Array(output)
    if rank == 0 {
        // The one-process sum: every micro-shard, in order, as the in-process reducer adds them.
        let all = (0..<microShards).map { shard in (0..<layout.totalCount).map { value(shard: shard, index: $0) } }
        let pointers = all.map { $0.withUnsafeBufferPointer { UnsafeMutablePointer(mutating: $0.baseAddress!) } }
        withExtendedLifetime(all) {
            let sources: [UnsafePointer<Float>?] = pointers.map { UnsafePointer($0) }
            sg_reduce_slots(sources, Int32(microShards), reference.baseAddress!, layout.totalCount, divisor)
        }
        let same = zip(deterministicBits, reference).allSatisfy { $0.bitPattern == $1.bitPattern }
        let difference = zip(allreduceValues, reference).map { abs($0 - $1) }.max() ?? 0
        let d = median(times[.deterministic]!) * 1000, a = median(times[.allreduce]!) * 1000
        print(String(format: "| %d | %.3f | %.3f | %.2f | %@ | %.3g |", layout.totalCount, d, a, d / a, same ? "yes" : "NO", difference))
    }
}
communicator.finalize()
