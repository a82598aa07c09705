import Autograd
import Optimizers
import Testing
import _TestSupport

/// A hyperparameter outside the range a config may give it, or a learning rate that is NaN,
/// infinite or negative, is a programming error: the optimizer stops the program, naming itself,
/// the argument and the value, instead of turning every parameter into NaN at its first step.
@Suite struct HyperparameterRangeTests {
    @Test func adamWithBeta1OfOneStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Adam(beta1: 1)
        }
        #expect(standardError(of: result).contains("Adam: beta1 must lie in [0, 1) (the config's 'beta_1'), got 1.0"))
    }

    @Test func adamWithANegativeBeta2Stops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Adam(beta2: -0.5)
        }
        #expect(standardError(of: result).contains("Adam: beta2 must lie in [0, 1) (the config's 'beta_2'), got -0.5"))
    }

    @Test func adamWWithANegativeEpsilonStopsNamingAdamW() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdamW(epsilon: -1)
        }
        #expect(standardError(of: result).contains("AdamW: epsilon must be > 0 (the config's 'epsilon'), got -1.0"))
    }

    @Test func rmspropWithRhoAboveOneStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = RMSprop(rho: 2)
        }
        #expect(standardError(of: result).contains("RMSprop: rho must lie in [0, 1) (the config's 'rho'), got 2.0"))
    }

    @Test func rmspropWithANaNMomentumStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = RMSprop(momentum: .nan)
        }
        #expect(standardError(of: result).contains("RMSprop: momentum must lie in [0, 1] (the config's 'momentum'), got nan"))
    }

    @Test func adagradWithANaNEpsilonStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Adagrad(epsilon: .nan)
        }
        #expect(standardError(of: result).contains("Adagrad: epsilon must be > 0 (the config's 'epsilon'), got nan"))
    }

    @Test func aNegativeWeightDecayStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = SGD(weightDecay: -1)
        }
        #expect(standardError(of: result).contains("SGD: weightDecay must be finite and not negative, got -1.0"))
    }

    @Test func aNaNLearningRateStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = SGD(learningRate: .constant(.nan))
        }
        #expect(standardError(of: result).contains("SGD: learningRate must be finite and not negative, got nan"))
    }

    @Test func aNegativeLearningRateSetLaterStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let optimizer = Adam()
            optimizer.learningRate = -0.1
        }
        #expect(standardError(of: result).contains("Adam: learningRate must be finite and not negative, got -0.1"))
    }

    @Test func anExponentialDecayByANaNFactorStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ExponentialDecay(initialLearningRate: 0.1, decaySteps: 10, decayRate: .nan)
        }
        #expect(standardError(of: result).contains("ExponentialDecay: decayRate must be finite and positive, got nan"))
    }

    /// A schedule that grows past Float's range is a run diverging, not a caller's error: the
    /// step takes the infinite rate and the parameters become non-finite.
    @Test func aScheduleThatGrowsPastFloatsRangeMakesTheParametersNonFinite() {
        let w = Variable(Tensor([1, 2]), name: "w")
        // 0.1 · 10³⁸ at step 1, and past Float's range from step 2.
        let optimizer = SGD(learningRate: .scheduled(ExponentialDecay(initialLearningRate: 0.1, decaySteps: 1, decayRate: 1e38)))
        for _ in 0..<3 { optimizer.apply([Tensor([1, 1])], to: [w]) }
        #expect(optimizer.iterations == 3)
        #expect(w.value.scalars.allSatisfy { !$0.isFinite })
    }

    /// The partitioned update, which the trainer uses, clamps to [−limit, limit] itself: with a
    /// limit of −1 it made every gradient element −1.
    @Test func aNegativeClippingLimitStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = SGD(clipping: .byValue(-1))
        }
        #expect(standardError(of: result).contains("SGD: clipping byValue(-1.0) needs a limit greater than 0, got -1.0"))
    }

    @Test func aNaNClippingLimitStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Adam(clipping: .byGlobalNorm(.nan))
        }
        #expect(standardError(of: result).contains("Adam: clipping byGlobalNorm(nan) needs a limit greater than 0, got nan"))
    }

    @Test func boundaryValuesAreAccepted() {
        let w = Variable(Tensor([1, 2]), name: "w")
        for optimizer: any Optimizer in [
            SGD(learningRate: 0, weightDecay: 0), Adam(beta1: 0, beta2: 0), RMSprop(rho: 0, momentum: 1),
            Adagrad(initialAccumulatorValue: 0),
        ] {
            optimizer.apply([Tensor([1, 1])], to: [w])
        }
        #expect(w.value.scalars.allSatisfy { $0.isFinite })
    }
}
