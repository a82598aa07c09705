// swift-tools-version:6.2
// Benchmarks live in their own package so the library never depends on them.
import PackageDescription

let package = Package(
    name: "SwiftGradBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "SwiftGrad", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "gemm-bench",
            dependencies: [.product(name: "CKernels", package: "SwiftGrad")]
        ),
        .executableTarget(
            name: "lecture-bench",
            dependencies: [.product(name: "SwiftGrad", package: "SwiftGrad")]
        ),
        .executableTarget(
            name: "mlp-bench",
            dependencies: [
                .product(name: "SwiftGrad", package: "SwiftGrad"),
                .product(name: "CKernels", package: "SwiftGrad"),
            ]
        ),
        .executableTarget(
            name: "op-overhead",
            dependencies: [.product(name: "SwiftGrad", package: "SwiftGrad")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
