// gemm-bench: SwiftGrad's sg_sgemm in GFLOP/s by shape and thread count, beside NumPy's
// matmul measured in the same run (benchmarks/gemm/numpy_gemm.py, when python3 and numpy
// exist).
//
//   swift run -c release gemm-bench [--quick] [--only TEXT] [--threads N]
//   swift run -c release gemm-bench --bf16 [--only TEXT] [--threads N] [--rounds R]
//                                   [--bf16-kernel avx512-bf16|avx512|avx2|generic]
//
// Every figure is the best of repeated timings over about `seconds` per cell: the project
// machines are shared, and the best run is the one least disturbed by neighbours.
//
// `--bf16` compares instead bf16 products (`SG_PRECISION_BF16`) with Float32 ones at the MLP's
// shapes, both SwiftGrad's, beside the measured peaks of `vfmadd231ps` and `vdpbf16ps`: R rounds
// (default 21) that each time one batch of calls of every cell, Float32 and bf16 alternating, so
// that a neighbour's load falls on both alike; a cell's figure is the median of its rounds.

import CKernels
import Foundation
import PeakFMA

struct Shape: Hashable {
    let m, n, k: Int
    let transA, transB: Bool
    let label: String
    var key: String { "\(m),\(n),\(k),\(transA ? 1 : 0),\(transB ? 1 : 0)" }
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

let quick = CommandLine.arguments.contains("--quick")
let seconds = quick ? 0.15 : 0.6

func shapes() -> [Shape] {
    var list: [Shape] = []
    for size in [256, 512, 1024, 2048] {
        let combos: [(Bool, Bool)] = size <= 1024
            ? [(false, false), (true, false), (false, true), (true, true)] : [(false, false)]
        for (ta, tb) in combos {
            list.append(Shape(m: size, n: size, k: size, transA: ta, transB: tb,
                              label: "square \(size) \(ta ? "T" : "N")\(tb ? "T" : "N")"))
        }
    }
    return list + mlpShapes(batches: [128, 256, 512])
}

/// The products of MLP 784-256-256-10, for each layer (in -> out) and batch B of `batches`:
/// forward X W (B x out, K = in), weight gradient X^T dY (in x out, K = B),
/// input gradient dY W^T (B x in, K = out).
func mlpShapes(batches: [Int]) -> [Shape] {
    var list: [Shape] = []
    for batch in batches {
        for (fanIn, fanOut) in [(784, 256), (256, 256), (256, 10)] {
            let layer = "\(fanIn)x\(fanOut) b\(batch)"
            list.append(Shape(m: batch, n: fanOut, k: fanIn, transA: false, transB: false,
                              label: "fwd  X·W    \(layer)"))
            list.append(Shape(m: fanIn, n: fanOut, k: batch, transA: true, transB: false,
                              label: "bwd  Xᵀ·dY  \(layer)"))
            list.append(Shape(m: batch, n: fanIn, k: fanOut, transA: false, transB: true,
                              label: "bwd  dY·Wᵀ  \(layer)"))
        }
    }
    return list
}

/// Best GFLOP/s of sg_sgemm on `shape` with `threads`, over about `seconds`.
func measureSwiftGrad(_ shape: Shape, threads: Int32) -> Double {
    let a = [Float](unsafeUninitializedCapacity: shape.m * shape.k) { buf, count in
        for i in 0..<buf.count { buf[i] = Float(i % 13) * 0.1 - 0.6 }
        count = buf.count
    }
    let b = [Float](unsafeUninitializedCapacity: shape.k * shape.n) { buf, count in
        for i in 0..<buf.count { buf[i] = Float(i % 7) * 0.1 - 0.3 }
        count = buf.count
    }
    var c = [Float](repeating: 0, count: shape.m * shape.n)
    let lda = shape.transA ? shape.m : shape.k
    let ldb = shape.transB ? shape.k : shape.n
    let reps = max(1, Int(2e7 / shape.flops))
    var best = Double.infinity
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                func once() {
                    sg_sgemm(shape.transA ? 1 : 0, shape.transB ? 1 : 0, shape.m, shape.n, shape.k,
                             1, pa.baseAddress, lda, pb.baseAddress, ldb, 0, pc.baseAddress,
                             shape.n, threads)
                }
                once()
                let clock = ContinuousClock()
                let deadline = clock.now + .milliseconds(Int(seconds * 1000))
                var trials = 0
                while trials < 3 || (clock.now < deadline && trials < 200) {
                    let elapsed = clock.measure { for _ in 0..<reps { once() } }
                    let secondsPerCall = Double(elapsed.components.seconds)
                        + Double(elapsed.components.attoseconds) * 1e-18
                    best = min(best, secondsPerCall / Double(reps))
                    trials += 1
                }
            }
        }
    }
    return shape.flops / best / 1e9
}

/// NumPy's GFLOP/s per shape key, or nil when python3 / numpy are missing. The BLAS
/// description comes back in `blas`.
func measureNumPy(_ list: [Shape], threads: Int, blas: inout String) -> [String: Double]? {
    let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("gemm/numpy_gemm.py")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script.path, String(seconds)] + list.map(\.key)
    var environment = ProcessInfo.processInfo.environment
    // NumPy at its best: its own OpenBLAS picks its kernel when these are unset.
    environment["OPENBLAS_CORETYPE"] = nil
    environment["OPENBLAS_L2_SIZE"] = nil
    environment["OPENBLAS_NUM_THREADS"] = String(threads)
    environment["OMP_NUM_THREADS"] = String(threads)
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    var result: [String: Double] = [:]
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
        if line.hasPrefix("# blas: ") { blas = String(line.dropFirst(8)); continue }
        let fields = line.split(separator: " ")
        guard fields.count == 6, let gflops = Double(fields[5]) else { continue }
        result[fields[0..<5].joined(separator: ",")] = gflops
    }
    return result
}

/// Seconds per call of `shape` with `threads` at `precision`, timed over one batch of calls
/// (about 50 MFLOP) after one untimed call.
func secondsPerCall(_ shape: Shape, threads: Int32, precision: Int32, kernel: Int32, a: [Float],
                    b: [Float], c: inout [Float]) -> Double {
    let lda = shape.transA ? shape.m : shape.k
    let ldb = shape.transB ? shape.k : shape.n
    let reps = max(1, Int(5e7 / shape.flops))
    let context = sg_gemm_context(threads: threads, help_board: nil, help_slot: 0, precision: precision)
    return a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                func once() {
                    sg_sgemm_with_kernel(kernel, context, shape.transA ? 1 : 0, shape.transB ? 1 : 0,
                                         shape.m, shape.n, shape.k, 1, pa.baseAddress, lda,
                                         pb.baseAddress, ldb, 0, pc.baseAddress, shape.n)
                }
                once()
                let elapsed = ContinuousClock().measure { for _ in 0..<reps { once() } }
                return (Double(elapsed.components.seconds)
                        + Double(elapsed.components.attoseconds) * 1e-18) / Double(reps)
            }
        }
    }
}

/// The bf16-against-Float32 table (`--bf16`).
func compareBF16(threadCounts: [Int], only: String?, rounds: Int, bf16Kernel: Int32) {
    let list = mlpShapes(batches: [256, 512]).filter { shape in only.map { shape.label.contains($0) } ?? true }
    print("SwiftGrad GEMM, bf16 against Float32 — kernels: Float32 \(String(cString: sg_gemm_kernel_name())), "
          + "bf16 \(String(cString: sg_gemm_kernel_label(bf16Kernel)))")
    let fma = sg_peak_fma_gflops(1, 50_000_000), dot = sg_peak_bf16_gflops(1, 50_000_000)
    print(String(format: "peak per core: vfmadd231ps %.1f GFLOP/s, ", fma)
          + (dot > 0 ? String(format: "vdpbf16ps %.1f GFLOP/s (4 FLOP per lane)", dot)
                     : "no vdpbf16ps (AVX512-BF16) on this CPU: bf16 products are emulated"))
    print("GFLOP/s, median of \(rounds) interleaved rounds; ratio = bf16 / Float32\n")
    for threads in threadCounts {
        print("## \(threads) thread\(threads == 1 ? "" : "s")\n")
        print("| shape | M | N | K | Float32 | bf16 | ratio |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        struct Cell { var a, b, c: [Float]; var float32: [Double] = [], bf16: [Double] = [] }
        var cells = list.map { shape in
            Cell(a: (0..<(shape.m * shape.k)).map { Float($0 % 13) * 0.1 - 0.6 },
                 b: (0..<(shape.k * shape.n)).map { Float($0 % 7) * 0.1 - 0.3 },
                 c: [Float](repeating: 0, count: shape.m * shape.n))
        }
        for _ in 0..<rounds {
            for (index, shape) in list.enumerated() {
                cells[index].float32.append(secondsPerCall(shape, threads: Int32(threads), precision: 0,
                                                           kernel: sg_gemm_detected_kernel(),
                                                           a: cells[index].a, b: cells[index].b, c: &cells[index].c))
                cells[index].bf16.append(secondsPerCall(shape, threads: Int32(threads),
                                                        precision: Int32(SG_PRECISION_BF16),
                                                        kernel: bf16Kernel,
                                                        a: cells[index].a, b: cells[index].b, c: &cells[index].c))
            }
        }
        func median(_ x: [Double]) -> Double { let s = x.sorted(); return s[s.count / 2] }
        for (index, shape) in list.enumerated() {
            let float32 = shape.flops / median(cells[index].float32) / 1e9
            let bf16 = shape.flops / median(cells[index].bf16) / 1e9
            print("| \(shape.label) | \(shape.m) | \(shape.n) | \(shape.k) | "
                  + String(format: "%.1f | %.1f | %.2f |", float32, bf16, bf16 / float32))
        }
        print("")
    }
}

/// `--only TEXT`: just the shapes whose label contains TEXT (e.g. `--only 256x10`).
let only: String? = CommandLine.arguments.firstIndex(of: "--only").flatMap {
    $0 + 1 < CommandLine.arguments.count ? CommandLine.arguments[$0 + 1] : nil
}
/// `--threads N`: only that thread count (default: 1 and 2).
let threadCounts: [Int] = CommandLine.arguments.firstIndex(of: "--threads").flatMap {
    $0 + 1 < CommandLine.arguments.count ? Int(CommandLine.arguments[$0 + 1]).map { [$0] } : nil
} ?? [1, 2]
if CommandLine.arguments.contains("--bf16") {
    let rounds = CommandLine.arguments.firstIndex(of: "--rounds").flatMap {
        $0 + 1 < CommandLine.arguments.count ? Int(CommandLine.arguments[$0 + 1]) : nil
    } ?? 21
    // `--bf16-kernel NAME`: the bf16 family to time ("avx512-bf16", "avx512", "avx2",
    // "generic"); default, the one bf16 products pick on this CPU.
    let kernels = Dictionary(uniqueKeysWithValues: [SG_GEMM_KERNEL_AVX512_BF16, SG_GEMM_KERNEL_AVX512,
                                                    SG_GEMM_KERNEL_AVX2, SG_GEMM_KERNEL_GENERIC].map {
        (String(cString: sg_gemm_kernel_label(Int32($0))), Int32($0))
    })
    var bf16Kernel = sg_gemm_detected_bf16_kernel()
    if let index = CommandLine.arguments.firstIndex(of: "--bf16-kernel") {
        guard index + 1 < CommandLine.arguments.count,
              let kernel = kernels[CommandLine.arguments[index + 1]],
              sg_gemm_kernel_supported(kernel) != 0 else {
            let given = index + 1 < CommandLine.arguments.count ? "'\(CommandLine.arguments[index + 1])'" : "nothing"
            FileHandle.standardError.write(Data("gemm-bench: --bf16-kernel got \(given); expected one of \(kernels.keys.sorted().joined(separator: ", ")) that this CPU supports\n".utf8))
            exit(64)
        }
        bf16Kernel = kernel
    }
    compareBF16(threadCounts: threadCounts, only: only, rounds: max(1, rounds), bf16Kernel: bf16Kernel)
    exit(0)
}
let list = shapes().filter { shape in only.map { shape.label.contains($0) } ?? true }
print("SwiftGrad GEMM benchmark — kernel: \(String(cString: sg_gemm_kernel_name()))")
print("GFLOP/s, best of repeated runs (~\(seconds) s per cell); ratio = SwiftGrad / NumPy\n")
for threads in threadCounts {
    var blas = "unavailable"
    let numpy = measureNumPy(list, threads: threads, blas: &blas)
    print("## \(threads) thread\(threads == 1 ? "" : "s")   (NumPy: \(numpy == nil ? "not found" : blas))\n")
    print("| shape | M | N | K | SwiftGrad | NumPy | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for shape in list {
        let ours = measureSwiftGrad(shape, threads: Int32(threads))
        let theirs = numpy?[shape.key]
        let theirsText = theirs.map { String(format: "%.1f", $0) } ?? "–"
        let ratio = theirs.map { String(format: "%.2f", ours / $0) } ?? "–"
        print("| \(shape.label) | \(shape.m) | \(shape.n) | \(shape.k) | "
              + String(format: "%.1f", ours) + " | \(theirsText) | \(ratio) |")
    }
    print("")
}
