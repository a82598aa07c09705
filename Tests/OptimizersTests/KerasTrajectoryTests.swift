import Autograd
import Optimizers
import Testing

/// Every optimizer reproduces TensorFlow/Keras's trajectory step by step.
@Suite struct KerasTrajectoryTests {
    static let caseNames = [
        "sgd", "sgd_momentum", "sgd_nesterov", "adam", "adam_amsgrad", "adamw", "adagrad", "rmsprop",
        "rmsprop_momentum_centered",
    ]

    @Test func theReferenceHoldsExactlyTheseCases() throws {
        let reference = try ReferenceTrajectories.load()
        #expect(Set(reference.optimizers.keys) == Set(Self.caseNames))
    }

    @Test(arguments: caseNames)
    func matchesKerasStepByStep(_ caseName: String) throws {
        let reference = try ReferenceTrajectories.load()
        let expected = try #require(reference.optimizers[caseName])
        let problem = LeastSquares(reference.problem)
        let optimizer = try makeOptimizer(for: expected)
        #expect(optimizer.name == expected.keras_class)
        let w = Variable(Tensor(reference.problem.w0), name: "w")
        #expect(expected.w_after_each_step.count == reference.problem.steps)
        for (step, expectedW) in expected.w_after_each_step.enumerated() {
            optimizer.apply([problem.gradient(at: w)], to: [w])
            #expect(optimizer.iterations == step + 1)
            let actual = w.value.scalars
            for (element, (value, target)) in zip(actual, expectedW).enumerated()
            where !isWithinTolerance(value, target) {
                Issue.record("\(caseName): step \(step + 1), element \(element): got \(value), Keras has \(target) (difference \(value - target))")
                return
            }
        }
    }
}
