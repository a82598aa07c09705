import Foundation
import Testing
import Autograd
import Models
import DataParallel
import Training
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether this process was built with ThreadSanitizer (its runtime defines `__tsan_init`).
let runningUnderThreadSanitizer: Bool = {
    guard let process = dlopen(nil, RTLD_NOW) else { return false }
    return dlsym(process, "__tsan_init") != nil
}()

@Test func automaticKernelThreadsUseEveryCoreForOneWorkerAndOneForSeveral() {
    #expect(DataParallelConfiguration(workers: 2).resolvedKernelThreads == 1)
    #expect(DataParallelConfiguration(workers: 1).resolvedKernelThreads == max(1, ProcessInfo.processInfo.activeProcessorCount))
    #expect(DataParallelConfiguration(workers: 1, kernelThreads: 3).resolvedKernelThreads == 3)
}

/// One worker whose products use several OpenMP threads must match workers that use one.
///
/// Skipped under ThreadSanitizer: it cannot see OpenMP's own synchronisation (without LLVM's
/// Archer tool) and would report races inside the kernel's thread team.
@Test(.disabled(if: runningUnderThreadSanitizer, "OpenMP kernels need Archer under ThreadSanitizer"))
func multiThreadedKernelsGiveTheSameBitsAsSingleThreadedOnes() {
    let model = MLP(layerSizes: [64, 128, 10], seed: 4)
    let (x, labels) = syntheticClassification(examples: 96, features: 64, classes: 10, seed: 6)
    let parameters = model.initialParameters()
    let gradients = [(1, 4), (2, 1)].map { workers, kernelThreads in
        DataParallelEngine(parameterShapes: model.parameterShapes, configuration: DataParallelConfiguration(workers: workers, kernelThreads: kernelThreads))
            .computeGradients(model: model, parameters: parameters, features: x, targets: .classes(labels)).gradients
    }
    #expect(bitwiseEqual(gradients[0], gradients[1]))
}

@Test func automaticMicroShardCountDependsOnTheBatchSizeOnly() {
    for workers in [1, 2, 8] {
        let configuration = DataParallelConfiguration(workers: workers)
        #expect([1, 128, 129, 256, 512, 1024, 5000].map(configuration.microShardCount(forBatchSize:)) == [1, 1, 2, 2, 4, 8, 8])
    }
    #expect(DataParallelConfiguration(microShardCount: 3).microShardCount(forBatchSize: 1000) == 3)
}

@Test func automaticMicroShardsKeepTrainingBitwiseIdenticalAcrossWorkers() {
    let model = MLP(layerSizes: [8, 16, 3], seed: 2)
    let (x, labels) = syntheticClassification(examples: 300, features: 8, classes: 3, seed: 1)
    let parameters = model.initialParameters()
    let gradients = [1, 2, 3].map { workers in
        DataParallelEngine(parameterShapes: model.parameterShapes, configuration: DataParallelConfiguration(workers: workers, kernelThreads: 1))
            .computeGradients(model: model, parameters: parameters, features: x, targets: .classes(labels)).gradients
    }
    #expect(bitwiseEqual(gradients[0], gradients[1]) && bitwiseEqual(gradients[0], gradients[2]))
}
