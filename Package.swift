// swift-tools-version:6.2
// 6.2 is the first tools version whose packages may use `unsafeFlags` (needed for `-fopenmp`)
// and still be depended on by version.
import Foundation
import PackageDescription

/// C kernels are always optimised: a debug build of the tests would otherwise spend minutes in
/// an unoptimised GEMM. OpenMP comes from Debian's `libomp-dev` (linked as `omp5`).
let kernelFlags: [CSetting] = [.unsafeFlags(["-fopenmp", "-O3", "-fno-math-errno"])]

// The module graph, from the bottom up:
//
//   CKernels        C with OpenMP: GEMM, fused loops, the all-reduce
//   Storage         atomic file writes and bounded reads
//   Autograd        Tensor, Variable, GradientTape, ops with their gradients, losses
//   Optimizers      SGD, Adam, AdamW, Adagrad, RMSprop, schedules, clipping
//   Models          layers, initialisers, MLP, linear and logistic regression
//   Datasets        CSV, IDX, digits, splits, standardising, batches (files read through Storage)
//   DataParallel    the engine: worker pool, micro-shards, gradient slots, reducers
//   Training        the trainer: options, state, epochs, evaluation, checkpoints
//   SwiftGrad       the library: re-exports the modules above, nothing else
//
//   JSON            the one JSON value type (ordered members), its writer and string escaper
//   ConfigKit       on JSON and Storage: the strict parser that keeps line and column, typed config reading
//   Reports         on JSON: atomic writes, JSON report files, CSV, SVG plots
//   Expressions     on Autograd and JSON: `grad`'s expressions and their derivatives
//   Tasks           the config-driven tasks and their reports
//                   (JSON to Tasks: what only the command line needs)
//   Benchmarks      `swiftgrad bench`, kept out of the library (benchmarks/Sources/Benchmarks)
//   FuzzHarness, swiftgrad-fuzz
//                   the parsers a user's bytes reach, as libFuzzer targets (fuzz/, scripts/fuzz)
//   gemm-bench, lecture-bench, mlp-bench, op-overhead, logging-bench, throughput-bench
//                   benchmark programs beside the anchors (benchmarks/Sources), run with
//                   `swift run -c release NAME`; PeakFMA, the machine's measured peak FMA (and
//                   bf16 dot product) rate that throughput-bench, gemm-bench and mlp-bench
//                   compare with
//   swiftgrad       the command line: parses arguments and calls Tasks and Benchmarks
//
// Optional, when MPI is installed (see `mpiPackage` below):
//
//   CMPI            the system's MPI library, through pkg-config
//   CMPIShim        C over CMPI: the MPI calls SwiftGradMPI makes, with types Swift imports
//   SwiftGradMPI    on DataParallel: the cross-process reducer, the start-up agreement, the
//                   deadlines; the command line uses it under `mpirun`
//   mpi-bench       the deterministic reduction against MPI_Allreduce (benchmarks/Sources)

/// The pkg-config package of the MPI library the optional MPI targets link: Open MPI's `ompi-c`
/// (Debian's `libopenmpi-dev`) or MPICH's `mpich` (`libmpich-dev`); `nil` leaves the MPI targets
/// out, and the package builds and tests without them.
///
/// `SWIFTGRAD_MPI` chooses: `openmpi` or `mpich` asks for that one (the manifest fails when its
/// `.pc` file is missing), `0` leaves MPI out; unset, Open MPI when its `.pc` file is found, else
/// MPICH, else none. Both are tested. Build each in a directory of its own
/// (`SWIFTGRAD_MPI=mpich swift build --scratch-path .build-mpich`), and after installing MPI or
/// changing `SWIFTGRAD_MPI` run `swift package clean` (or touch this file) so the manifest is
/// read again.
let mpiPackage: String? = {
    let environment = ProcessInfo.processInfo.environment
    let directories = (environment["PKG_CONFIG_PATH"] ?? "").split(separator: ":").map(String.init) + [
        "/usr/lib/x86_64-linux-gnu/pkgconfig", "/usr/lib/aarch64-linux-gnu/pkgconfig", "/usr/lib64/pkgconfig",
        "/usr/lib/pkgconfig", "/usr/local/lib/pkgconfig", "/usr/share/pkgconfig", "/opt/homebrew/lib/pkgconfig",
    ]
    func installed(_ name: String) -> Bool {
        directories.contains { FileManager.default.fileExists(atPath: "\($0)/\(name).pc") }
    }
    let packages = ["openmpi": "ompi-c", "mpich": "mpich"]
    switch environment["SWIFTGRAD_MPI"] {
    case "0":
        return nil
    case let choice? where !choice.isEmpty:
        guard let name = packages[choice] else {
            fatalError("SWIFTGRAD_MPI must be openmpi, mpich or 0, got '\(choice)'")
        }
        guard installed(name) else {
            fatalError("SWIFTGRAD_MPI=\(choice) asks for \(name).pc, which is in none of \(directories.joined(separator: ", ")); install \(choice == "mpich" ? "libmpich-dev" : "libopenmpi-dev") or set PKG_CONFIG_PATH")
        }
        return name
    default:
        return ["ompi-c", "mpich"].first(where: installed)
    }
}()

let package = Package(
    name: "SwiftGrad",
    products: [
        .library(name: "SwiftGrad", targets: ["SwiftGrad"]),
        .executable(name: "swiftgrad", targets: ["swiftgrad"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CKernels",
            cSettings: kernelFlags,
            linkerSettings: [.linkedLibrary("omp5")]
        ),
        .target(name: "Autograd", dependencies: ["CKernels"]),
        .target(name: "Optimizers", dependencies: ["Autograd", "CKernels"]),
        .target(name: "Models", dependencies: ["Autograd", "Storage"]),
        .target(name: "Datasets", dependencies: ["Autograd", "CKernels", "Storage"]),
        .target(name: "DataParallel", dependencies: ["Autograd", "Models", "CKernels"]),
        .target(name: "Storage"),
        .target(name: "JSON"),
        .target(name: "ConfigKit", dependencies: ["JSON", "Storage"]),
        .target(name: "Training", dependencies: ["Autograd", "Optimizers", "Models", "Datasets", "DataParallel", "Storage", "JSON", "ConfigKit"]),
        .target(
            name: "SwiftGrad",
            dependencies: ["Autograd", "Optimizers", "Models", "Datasets", "DataParallel", "Training"]
        ),

        .target(name: "Reports", dependencies: ["JSON", "Storage"]),
        .target(name: "Expressions", dependencies: ["Autograd", "JSON", "Storage"]),
        .target(
            name: "Tasks",
            dependencies: ["SwiftGrad", "JSON", "ConfigKit", "Reports", "Expressions", "Storage"]
        ),
        .target(
            name: "Benchmarks",
            dependencies: ["SwiftGrad", "Tasks", "Reports", "CKernels"],
            path: "benchmarks/Sources/Benchmarks"
        ),
        .executableTarget(
            name: "swiftgrad",
            dependencies: [
                "Tasks", "Benchmarks", "Expressions", "Reports", "Storage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .executableTarget(name: "gemm-bench", dependencies: ["CKernels", "PeakFMA"], path: "benchmarks/Sources/gemm-bench"),
        .executableTarget(name: "lecture-bench", dependencies: ["SwiftGrad", "Tasks"], path: "benchmarks/Sources/lecture-bench"),
        .executableTarget(name: "mlp-bench", dependencies: ["SwiftGrad", "Tasks", "CKernels", "PeakFMA"], path: "benchmarks/Sources/mlp-bench"),
        .executableTarget(name: "op-overhead", dependencies: ["SwiftGrad"], path: "benchmarks/Sources/op-overhead"),
        .target(name: "PeakFMA", path: "benchmarks/Sources/PeakFMA", cSettings: [.unsafeFlags(["-O2"])]),
        .executableTarget(name: "throughput-bench", dependencies: ["SwiftGrad", "PeakFMA"], path: "benchmarks/Sources/throughput-bench"),
        .executableTarget(name: "logging-bench", dependencies: ["SwiftGrad", "Tasks", "Reports", "Storage"], path: "benchmarks/Sources/logging-bench"),

        .target(
            name: "FuzzHarness", dependencies: ["Tasks", "ConfigKit", "Expressions", "Datasets", "Training"],
            path: "fuzz/Sources/FuzzHarness"),
        .executableTarget(name: "swiftgrad-fuzz", dependencies: ["FuzzHarness"], path: "fuzz/Sources/swiftgrad-fuzz"),

        .target(name: "_TestSupport", dependencies: ["Autograd"], path: "Tests/_TestSupport"),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "CKernels", "_TestSupport"]),
        .testTarget(name: "CKernelsTests", dependencies: ["CKernels"]),
        .testTarget(name: "OptimizersTests", dependencies: ["Optimizers", "_TestSupport"], resources: [.copy("Resources")]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Autograd", "_TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "_TestSupport"]),
        .testTarget(name: "DataParallelTests", dependencies: ["DataParallel", "Models", "Autograd", "Optimizers", "Datasets", "CKernels", "_TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "DataParallel", "Models", "Autograd", "Datasets", "Optimizers", "_TestSupport"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "ConfigKitTests", dependencies: ["ConfigKit", "JSON"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "_TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "JSON", "_TestSupport"]),
        .testTarget(name: "ExpressionsTests", dependencies: ["Expressions", "_TestSupport"]),
        .testTarget(name: "TasksTests", dependencies: ["Tasks", "_TestSupport"], resources: [.copy("Resources")]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "Tasks", "_TestSupport"]),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzHarness"]),
        .testTarget(name: "SwiftGradCLITests", dependencies: ["swiftgrad", "Expressions", "_TestSupport"]),
        .testTarget(name: "DocumentationTests", dependencies: ["SwiftGrad", "_TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

if let mpiPackage {
    package.products.append(.library(name: "SwiftGradMPI", targets: ["SwiftGradMPI"]))
    package.targets += [
        .systemLibrary(
            name: "CMPI", pkgConfig: mpiPackage,
            providers: mpiPackage == "mpich" ? [.apt(["libmpich-dev", "mpich"]), .brew(["mpich"])] : [.apt(["libopenmpi-dev", "openmpi-bin"]), .brew(["open-mpi"])]),
        .target(name: "CMPIShim", dependencies: ["CMPI"]),
        .target(name: "SwiftGradMPI", dependencies: ["Autograd", "DataParallel", "Models", "CKernels", "CMPIShim"]),
        .executableTarget(
            name: "mpi-bench", dependencies: ["SwiftGradMPI", "DataParallel", "Autograd", "CKernels"],
            path: "benchmarks/Sources/mpi-bench"),
    ]
    // The command line runs under `mpirun` only when it links SwiftGradMPI (`#if canImport`).
    // The DocC catalog's example compiles in DocumentationTests (`#if canImport`).
    for target in package.targets where ["swiftgrad", "DocumentationTests"].contains(target.name) {
        target.dependencies.append("SwiftGradMPI")
    }
    // `swiftgrad bench allreduce --mpi` fills gradient slots itself.
    for target in package.targets where target.name == "swiftgrad" {
        target.dependencies += ["DataParallel", "Autograd"]
    }
    // The tests under a real launcher start the one of the MPI the command line links.
    for target in package.targets where target.name == "SwiftGradCLITests" && mpiPackage == "mpich" {
        target.swiftSettings = (target.swiftSettings ?? []) + [.define("SWIFTGRAD_MPICH")]
    }
}
