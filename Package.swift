// swift-tools-version:6.2
// 6.2 is the first tools version whose packages may use `unsafeFlags` (needed for `-fopenmp`)
// and still be depended on by version.
import PackageDescription

/// C kernels are always optimised: a debug build of the tests would otherwise spend minutes in
/// an unoptimised GEMM. OpenMP comes from Debian's `libomp-dev` (linked as `omp5`).
let kernelFlags: [CSetting] = [.unsafeFlags(["-fopenmp", "-O3", "-fno-math-errno"])]

let package = Package(
    name: "SwiftGrad",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SwiftGrad", targets: ["SwiftGrad"]),
        .executable(name: "swiftgrad", targets: ["swiftgrad"]),
        .library(name: "CKernels", targets: ["CKernels"]),
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
        .target(name: "ConfigKit"),
        .target(name: "Reports"),
        .target(name: "Datasets", dependencies: ["Autograd"]),
        .target(name: "Models", dependencies: ["Autograd"]),
        .target(name: "Expressions", dependencies: ["Autograd"]),
        .target(
            name: "Training",
            dependencies: ["Autograd", "Optimizers", "Models", "Datasets", "ConfigKit", "Reports", "Expressions", "CKernels"]
        ),
        .target(
            name: "SwiftGrad",
            dependencies: ["Autograd", "Optimizers", "Models", "Datasets", "Training", "Expressions", "Reports", "ConfigKit"]
        ),
        .executableTarget(
            name: "swiftgrad",
            dependencies: ["SwiftGrad", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        .target(name: "_TestSupport", dependencies: ["Autograd"], path: "Tests/_TestSupport"),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "_TestSupport"]),
        .testTarget(name: "CKernelsTests", dependencies: ["CKernels"]),
        .testTarget(name: "ExpressionsTests", dependencies: ["Expressions", "_TestSupport"]),
        .testTarget(name: "SwiftGradCLITests", dependencies: ["swiftgrad", "Expressions", "_TestSupport"]),
        .testTarget(name: "ConfigKitTests", dependencies: ["ConfigKit"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "_TestSupport"]),
        .testTarget(name: "OptimizersTests", dependencies: ["Optimizers", "_TestSupport"], resources: [.copy("Resources")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "_TestSupport"]),
        .testTarget(name: "TasksTests", dependencies: ["Training", "SwiftGrad", "_TestSupport"], resources: [.copy("Resources")]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Autograd", "_TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "Autograd", "Datasets", "Optimizers", "_TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
