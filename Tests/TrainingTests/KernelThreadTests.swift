import Testing
import Autograd
import Models
import Training

@Test func automaticKernelThreadsUseEveryCoreForOneWorkerAndOneForSeveral() {
    #expect(DataParallelConfiguration(workers: 2).resolvedKernelThreads == 1)
    #expect(DataParallelConfiguration(workers: 1).resolvedKernelThreads >= 1)
    #expect(DataParallelConfiguration(workers: 1, kernelThreads: 3).resolvedKernelThreads == 3)
}

/// One worker whose products use several OpenMP threads must match workers that use one.
/// (Kept to a single call so that a ThreadSanitizer run, which cannot see OpenMP's own
/// synchronisation without Archer, has as little OpenMP to look at as possible.)
@Test func multiThreadedKernelsGiveTheSameBitsAsSingleThreadedOnes() {
    let model = MLP(layerSizes: [64, 128, 10], seed: 4)
    let (x, labels) = syntheticClassification(examples: 96, features: 64, classes: 10, seed: 6)
    let parameters = model.initialParameters()
    let gradients = [(1, 4), (2, 1)].map { workers, kernelThreads in
        DataParallelEngine(parameterShapes: model.parameterShapes, configuration: DataParallelConfiguration(workers: workers, kernelThreads: kernelThreads))
            .computeGradients(model: model, parameters: parameters, features: x, targets: .classes(labels)).gradients
    }
    #expect(bitwiseEqual(gradients[0], gradients[1]))
}
