import Autograd
import Optimizers
import Testing

/// Learning-rate schedules give Keras's (or PyTorch's) values at chosen steps.
@Suite struct ScheduleTests {
    @Test func constant() {
        let schedule = ConstantLearningRate(0.25)
        #expect(schedule.learningRate(at: 0) == 0.25)
        #expect(schedule.learningRate(at: 1_000_000) == 0.25)
    }

    @Test func stepDecayMultipliesByGammaEveryStepSizeSteps() {
        let schedule = StepDecay(initialLearningRate: 0.1, stepSize: 10, gamma: 0.5)
        #expect(schedule.learningRate(at: 0) == 0.1)
        #expect(schedule.learningRate(at: 9) == 0.1)
        #expect(schedule.learningRate(at: 10) == 0.05)
        #expect(schedule.learningRate(at: 25) == 0.025)
    }

    @Test func piecewiseConstantIncludesEachBoundaryInTheInterval() {
        let schedule = PiecewiseConstantDecay(boundaries: [100, 200], values: [1, 0.5, 0.1])
        #expect(schedule.learningRate(at: 0) == 1)
        #expect(schedule.learningRate(at: 100) == 1)
        #expect(schedule.learningRate(at: 101) == 0.5)
        #expect(schedule.learningRate(at: 200) == 0.5)
        #expect(schedule.learningRate(at: 201) == 0.1)
    }

    @Test func exponentialDecaySmoothAndStaircase() {
        let smooth = ExponentialDecay(initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.96)
        #expect(isWithinTolerance(smooth.learningRate(at: 0), 0.1))
        #expect(isWithinTolerance(smooth.learningRate(at: 50), 0.097979590))
        #expect(isWithinTolerance(smooth.learningRate(at: 150), 0.094060406))
        let staircase = ExponentialDecay(initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.96, staircase: true)
        #expect(isWithinTolerance(staircase.learningRate(at: 99), 0.1))
        #expect(isWithinTolerance(staircase.learningRate(at: 150), 0.096))
    }

    @Test func cosineDecayFallsToItsFloorAndStays() {
        let schedule = CosineDecay(initialLearningRate: 1, decaySteps: 100, alpha: 0.1)
        #expect(isWithinTolerance(schedule.learningRate(at: 0), 1))
        #expect(isWithinTolerance(schedule.learningRate(at: 50), 0.55))
        #expect(isWithinTolerance(schedule.learningRate(at: 100), 0.1))
        #expect(isWithinTolerance(schedule.learningRate(at: 1000), 0.1))
        // Keras ignores warm-up steps without a warm-up target.
        let ignored = CosineDecay(initialLearningRate: 1, decaySteps: 100, warmupSteps: 10)
        #expect(isWithinTolerance(ignored.learningRate(at: 0), 1))
    }

    @Test func cosineDecayWarmsUpLinearlyThenDecaysFromTheTarget() {
        let schedule = CosineDecay(initialLearningRate: 0, decaySteps: 100, warmupTarget: 1, warmupSteps: 10)
        #expect(schedule.learningRate(at: 0) == 0)
        #expect(isWithinTolerance(schedule.learningRate(at: 5), 0.5))
        #expect(isWithinTolerance(schedule.learningRate(at: 10), 1))
        #expect(isWithinTolerance(schedule.learningRate(at: 60), 0.5))
        #expect(isWithinTolerance(schedule.learningRate(at: 110), 0))
        #expect(isWithinTolerance(schedule.learningRate(at: 500), 0))
        let fromValue = CosineDecay(initialLearningRate: 0.2, decaySteps: 100, warmupTarget: 1, warmupSteps: 4)
        #expect(isWithinTolerance(fromValue.learningRate(at: 2), 0.6))
    }

    @Test func linearWarmupRisesToTheWrappedScheduleThenDelaysIt() {
        let warm = LinearWarmup(StepDecay(initialLearningRate: 0.4, stepSize: 10, gamma: 0.1), warmupSteps: 4)
        #expect(warm.learningRate(at: 0) == 0)
        #expect(isWithinTolerance(warm.learningRate(at: 1), 0.1))
        #expect(isWithinTolerance(warm.learningRate(at: 3), 0.3))
        #expect(isWithinTolerance(warm.learningRate(at: 4), 0.4))
        #expect(isWithinTolerance(warm.learningRate(at: 13), 0.4))
        #expect(isWithinTolerance(warm.learningRate(at: 14), 0.04))
    }

    @Test func linearWarmupCanKeepTheWrappedSchedulesSteps() {
        let warm = LinearWarmup(
            StepDecay(initialLearningRate: 0.4, stepSize: 10, gamma: 0.1), warmupSteps: 5,
            initialLearningRate: 0.1, delaysSchedule: false)
        #expect(isWithinTolerance(warm.learningRate(at: 0), 0.1))
        #expect(isWithinTolerance(warm.learningRate(at: 2), 0.22))
        #expect(isWithinTolerance(warm.learningRate(at: 5), 0.4))
        #expect(isWithinTolerance(warm.learningRate(at: 10), 0.04))
    }

    @Test func linearScalingRule() {
        #expect(linearlyScaledLearningRate(0.1, globalBatchSize: 1024, baseBatchSize: 256) == 0.4)
        #expect(linearlyScaledLearningRate(0.1, globalBatchSize: 256, baseBatchSize: 256) == 0.1)
        #expect(isWithinTolerance(linearlyScaledLearningRate(0.1, globalBatchSize: 32, baseBatchSize: 256), 0.0125))
    }

    @Test func optimizerEvaluatesTheScheduleAtItsIterations() {
        let schedule = PiecewiseConstantDecay(boundaries: [0], values: [1, 0.5])
        let optimizer = SGD(learningRate: .scheduled(schedule))
        let w = Variable(Tensor([0]), name: "w")
        #expect(optimizer.currentLearningRate == 1)
        optimizer.apply([Tensor([1])], to: [w])
        #expect(w.value.scalars == [-1])
        #expect(optimizer.currentLearningRate == 0.5)
        optimizer.apply([Tensor([1])], to: [w])
        #expect(w.value.scalars == [-1.5])
    }
}
