import Optimizers
import Testing

/// Defaults equal Keras 3's, both as written in Keras and as recorded by `get_config()`.
@Suite struct DefaultsTests {
    @Test func sgd() {
        let sgd = SGD()
        #expect(sgd.currentLearningRate == 0.01)
        #expect(sgd.momentum == 0 && sgd.nesterov == false)
        #expect(sgd.weightDecay == nil && sgd.clipping == .none)
        #expect(sgd.name == "SGD")
    }

    @Test func adam() {
        let adam = Adam()
        #expect(adam.currentLearningRate == 0.001)
        #expect(adam.beta1 == 0.9 && adam.beta2 == 0.999 && adam.epsilon == 1e-7 && adam.amsgrad == false)
        #expect(adam.weightDecay == nil)
    }

    @Test func adamW() {
        let adamW = AdamW()
        #expect(adamW.name == "AdamW")
        #expect(adamW.currentLearningRate == 0.001)
        #expect(adamW.weightDecay == 0.004)
        #expect(adamW.beta1 == 0.9 && adamW.beta2 == 0.999 && adamW.epsilon == 1e-7 && adamW.amsgrad == false)
    }

    @Test func adagrad() {
        let adagrad = Adagrad()
        #expect(adagrad.currentLearningRate == 0.001)
        #expect(adagrad.initialAccumulatorValue == 0.1 && adagrad.epsilon == 1e-7)
    }

    @Test func rmsprop() {
        let rmsprop = RMSprop()
        #expect(rmsprop.currentLearningRate == 0.001)
        #expect(rmsprop.rho == 0.9 && rmsprop.momentum == 0 && rmsprop.epsilon == 1e-7 && rmsprop.centered == false)
    }

    /// The reference cases override only the learning rate and the flags they test, so the
    /// other hyperparameters Keras recorded are its defaults.
    @Test func referenceConfigsRecordTheSameDefaults() throws {
        let cases = try ReferenceTrajectories.load().optimizers
        let adam = try #require(cases["adam"]).hyperparameters
        #expect(adam["beta_1"] == Adam.Defaults.beta1)
        #expect(adam["beta_2"] == Adam.Defaults.beta2)
        #expect(adam["epsilon"] == Adam.Defaults.epsilon)
        let adagrad = try #require(cases["adagrad"]).hyperparameters
        #expect(adagrad["initial_accumulator_value"] == Adagrad.Defaults.initialAccumulatorValue)
        #expect(adagrad["epsilon"] == Adagrad.Defaults.epsilon)
        let rmsprop = try #require(cases["rmsprop"]).hyperparameters
        #expect(rmsprop["rho"] == RMSprop.Defaults.rho)
        #expect(rmsprop["momentum"] == RMSprop.Defaults.momentum)
        #expect(rmsprop["epsilon"] == RMSprop.Defaults.epsilon)
        let sgd = try #require(cases["sgd"]).hyperparameters
        #expect(sgd["momentum"] == SGD.Defaults.momentum)
    }
}
