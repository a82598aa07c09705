import Testing
import Training

/// The step arithmetic of `TrainingOptions` saturates instead of trapping, for any sizes a
/// library caller passes (configs are bounded before they get here).
@Suite struct TrainingOptionsTests {
    @Test func stepsPerEpochRoundUpWithoutOverflow() {
        #expect(TrainingOptions(batchSize: 64).stepsPerEpoch(examples: 1437) == 23)
        #expect(TrainingOptions(batchSize: 64, gradientAccumulation: 4).stepsPerEpoch(examples: 1437) == 6)
        #expect(TrainingOptions(batchSize: Int.max).stepsPerEpoch(examples: 1437) == 1)
        #expect(TrainingOptions(batchSize: 1, gradientAccumulation: Int.max).stepsPerEpoch(examples: Int.max) == 1)
        #expect(TrainingOptions(batchSize: 3).stepsPerEpoch(examples: Int.max) == Int.max / 3 + 1)
        #expect(TrainingOptions(batchSize: 5).stepsPerEpoch(examples: 0) == 0)
    }

    @Test func totalStepsSaturateAtIntMax() {
        #expect(TrainingOptions(epochs: Int.max, batchSize: 1).totalSteps(examples: 10) == Int.max)
        #expect(TrainingOptions(epochs: Int.max, maxSteps: 7, batchSize: 1).totalSteps(examples: 10) == 7)
        #expect(TrainingOptions(epochs: 3, batchSize: 4).totalSteps(examples: 10) == 9)
    }

    @Test func theEffectiveBatchSizeSaturatesAtIntMax() {
        #expect(TrainingOptions(batchSize: 64, gradientAccumulation: 4).effectiveBatchSize == 256)
        #expect(TrainingOptions(batchSize: Int.max / 2, gradientAccumulation: 3).effectiveBatchSize == Int.max)
    }
}
