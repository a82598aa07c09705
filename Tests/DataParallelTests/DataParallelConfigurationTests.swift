import Autograd
import Testing
import _TestSupport
import DataParallel

/// The counts a ``DataParallelConfiguration`` takes: a count outside its range stops the program
/// with a message naming the count, in every build configuration, whether it was given to `init`
/// or set afterwards.
@Suite struct DataParallelConfigurationTests {
    @Test func theRangesHoldTheCountsTheyName() {
        #expect(DataParallelConfiguration.threadCounts == 1...256)
        #expect(DataParallelConfiguration.microShardCounts == 1...4096)
        let largest = DataParallelConfiguration(workers: 256, microShardCount: 4096, kernelThreads: 256)
        #expect(largest.maximumMicroShardCount == 4096)
    }

    @Test func tooManyWorkersStopNamingThem() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = DataParallelConfiguration(workers: Int.max)
        }.map { result in
            let message = standardError(of: result)
            #expect(message.contains("DataParallelConfiguration: workers must be in 1...256, got 9223372036854775807"), "\(message)")
        }
    }

    @Test func noMicroShardsStopNamingThem() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = DataParallelConfiguration(microShardCount: 0)
        }.map { result in
            let message = standardError(of: result)
            #expect(message.contains("DataParallelConfiguration: microShardCount must be in 1...4096, got 0"), "\(message)")
        }
    }

    @Test func aCountSetAfterInitIsCheckedByTheEngine() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var configuration = DataParallelConfiguration(workers: 2)
            configuration.kernelThreads = 0
            _ = DataParallelEngine(parameterShapes: [[3]], configuration: configuration)
        }.map { result in
            let message = standardError(of: result)
            #expect(message.contains("DataParallelEngine: kernelThreads must be in 1...256, got 0"), "\(message)")
        }
    }
}
