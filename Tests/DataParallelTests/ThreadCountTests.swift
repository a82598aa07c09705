import Autograd
import DataParallel
import Models
import Optimizers
import Testing
import _TestSupport

/// Every API that takes a count of threads stops on one below 1, naming itself and the count,
/// rather than running on one thread in some places and stopping in others.
@Suite("Thread counts below 1 stop every API that takes one")
struct ThreadCountTests {
    @Test func kernelContexts() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = KernelContext(threads: 0)
        }.map { #expect(standardError(of: $0).contains("KernelContext: threads must be at least 1, got 0"), "\(standardError(of: $0))") }
    }

    @Test func denseLayers() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.dense(Tensor(repeating: 1, shape: [2, 3]), Tensor(repeating: 1, shape: [3, 4]), Tensor(repeating: 0, shape: [4]), threads: -2)
        }.map { #expect(standardError(of: $0).contains("Tensor.dense: threads must be at least 1, got -2"), "\(standardError(of: $0))") }
    }

    @Test func matrixProducts() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.matmul(Tensor(repeating: 1, shape: [2, 3]), Tensor(repeating: 1, shape: [3, 4]), threads: 0)
        }.map { #expect(standardError(of: $0).contains("Tensor.matmul: threads must be at least 1, got 0"), "\(standardError(of: $0))") }
    }

    @Test func modelCalls() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let model = MLP(layerSizes: [3, 4, 2], seed: 1)
            _ = model(Tensor(repeating: 1, shape: [2, 3]), parameters: model.initialParameters(), kernelThreads: 0)
        }.map { #expect(standardError(of: $0).contains("MLP: kernelThreads must be at least 1, got 0"), "\(standardError(of: $0))") }
    }

    @Test func inferenceRunners() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ParallelInference(threads: 0)
        }.map { #expect(standardError(of: $0).contains("ParallelInference: threads must be at least 1, got 0"), "\(standardError(of: $0))") }
    }

    @Test func inferenceKernels() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ParallelInference(threads: 1, kernelThreads: 0)
        }.map { #expect(standardError(of: $0).contains("ParallelInference: kernelThreads must be at least 1, got 0"), "\(standardError(of: $0))") }
    }

    @Test func gradientReducers() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = InProcessGradientReducer(threads: 0)
        }.map { #expect(standardError(of: $0).contains("InProcessGradientReducer: threads must be at least 1, got 0"), "\(standardError(of: $0))") }
    }

    @Test func optimizers() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let optimizer = SGD()
            optimizer.threads = 0
        }.map { #expect(standardError(of: $0).contains("SGD.threads must be at least 1, got 0"), "\(standardError(of: $0))") }
    }

    /// One thread, and more than the machine has, run: the counts are limits, not demands.
    @Test func oneThreadAndManyGiveTheSameProduct() {
        let a = Tensor(shape: [5, 7], scalars: (0..<35).map { Float($0) / 7 })
        let b = Tensor(shape: [7, 3], scalars: (0..<21).map { Float($0) / 3 })
        #expect(Tensor.matmul(a, b, threads: 1).scalars == Tensor.matmul(a, b, threads: 64).scalars)
        #expect(ParallelInference(threads: 1, kernelThreads: 1).threads == 1)
    }
}
