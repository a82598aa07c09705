import Autograd
import Optimizers
import Testing

/// Saving and restoring optimizer state for checkpoints.
@Suite struct StateTests {
    static let makers: [@Sendable () -> any Optimizer] = [
        { SGD(learningRate: 0.01, momentum: 0.9, nesterov: true) },
        { Adam(learningRate: 0.01, amsgrad: true) },
        { AdamW(learningRate: 0.01, weightDecay: 0.1) },
        { Adagrad(learningRate: 0.1) },
        { RMSprop(learningRate: 0.01, momentum: 0.5, centered: true) },
        { RMSprop(learningRate: .scheduled(ExponentialDecay(initialLearningRate: 0.01, decaySteps: 3, decayRate: 0.5))) },
    ]

    /// Runs `steps` steps on the reference least-squares problem; `extra` never gets a gradient.
    static func train(_ optimizer: any Optimizer, _ w: Variable, _ extra: Variable, steps: Int) throws {
        let problem = LeastSquares(try ReferenceTrajectories.load().problem)
        for _ in 0..<steps { optimizer.apply([problem.gradient(at: w), nil], to: [w, extra]) }
    }

    @Test(arguments: makers.indices)
    func saveRestoreContinueEqualsUninterrupted(_ index: Int) throws {
        let w0 = try ReferenceTrajectories.load().problem.w0
        let straight = Self.makers[index]()
        let w = Variable(Tensor(w0), name: "w")
        let extra = Variable(Tensor([7]), name: "extra")
        try Self.train(straight, w, extra, steps: 10)

        let first = Self.makers[index]()
        let w1 = Variable(Tensor(w0), name: "w")
        let extra1 = Variable(Tensor([7]), name: "extra")
        try Self.train(first, w1, extra1, steps: 4)
        let saved = first.stateTensors(for: [w1, extra1])
        #expect(saved["iterations"]?.scalar == 4)

        let resumed = Self.makers[index]()
        let w2 = Variable(w1.value, name: "w")
        let extra2 = Variable(extra1.value, name: "extra")
        try resumed.restoreState(saved, for: [w2, extra2])
        #expect(resumed.iterations == 4)
        try Self.train(resumed, w2, extra2, steps: 6)
        #expect(w2.value.scalars == w.value.scalars, "\(straight.name)")
        #expect(resumed.iterations == 10)
    }

    @Test func slotNamesPerOptimizer() {
        let w = Variable(Tensor([1, 2]), name: "w")
        func keys(_ optimizer: any Optimizer) -> [String] {
            optimizer.apply([Tensor([1, 1])], to: [w])
            return optimizer.stateTensors(for: [w]).keys.sorted()
        }
        #expect(keys(SGD()) == ["iterations"])
        #expect(keys(SGD(momentum: 0.9)) == ["0/w/momentum", "iterations"])
        #expect(keys(Adam(amsgrad: true)) == ["0/w/momentum", "0/w/velocity", "0/w/velocityHat", "iterations"])
        #expect(keys(Adagrad()) == ["0/w/accumulator", "iterations"])
        #expect(keys(RMSprop(momentum: 0.9, centered: true))
                == ["0/w/averageGradient", "0/w/momentum", "0/w/velocity", "iterations"])
    }

    @Test func stateTensorsAreCopies() throws {
        let w = Variable(Tensor([1]), name: "w")
        let optimizer = Adagrad()
        optimizer.apply([Tensor([1])], to: [w])
        let saved = optimizer.stateTensors(for: [w])
        optimizer.apply([Tensor([1])], to: [w])
        #expect(try #require(saved["0/w/accumulator"]).scalars == [1.1])
    }

    @Test func restoreRejectsBadStateAndKeepsTheOld() throws {
        let w = Variable(Tensor([1, 2]), name: "w")
        let optimizer = SGD(momentum: 0.9)
        optimizer.apply([Tensor([1, 1])], to: [w])
        let good = optimizer.stateTensors(for: [w])

        func message(_ state: [String: Tensor]) -> String? {
            do {
                try optimizer.restoreState(state, for: [w])
                return nil
            } catch {
                return (error as? OptimizerStateError)?.message
            }
        }
        var missingIterations = good
        missingIterations["iterations"] = nil
        #expect(message(missingIterations)?.contains("'iterations' is missing") == true)

        var fractional = good
        fractional["iterations"] = Tensor(1.5)
        #expect(message(fractional)?.contains("non-negative whole number") == true)

        var wrongShape = good
        wrongShape["0/w/momentum"] = Tensor([1, 2, 3])
        let shapeMessage = message(wrongShape)
        #expect(shapeMessage?.contains("'0/w/momentum' has shape [3]") == true)
        #expect(shapeMessage?.contains("variable 'w' has shape [2]") == true)

        var unexpected = good
        unexpected["1/b/momentum"] = Tensor([1])
        #expect(message(unexpected)?.contains("unexpected keys [\"1/b/momentum\"]") == true)

        let adam = Adam()
        adam.apply([Tensor([1, 1])], to: [w])
        var partial = adam.stateTensors(for: [w])
        partial["0/w/velocity"] = nil
        #expect(throws: OptimizerStateError.self) { try adam.restoreState(partial, for: [w]) }

        #expect(optimizer.iterations == 1)
        let after = optimizer.stateTensors(for: [w])
        #expect(after["0/w/momentum"]?.scalars == good["0/w/momentum"]?.scalars)
    }

    /// The `iterations` tensor is a `Float`, which rounds counts past 2²⁴. A caller that keeps
    /// the exact count passes it; it is taken when it rounds to the tensor and refused otherwise,
    /// and the next step's bias correction and count follow from it.
    @Test func anExactStepCountPastTheFloatsIntegersIsRestored() throws {
        let w = Variable(Tensor([1, 2]), name: "w")
        let optimizer = Adam(learningRate: 0.01)
        optimizer.apply([Tensor([1, 1])], to: [w])
        var state = optimizer.stateTensors(for: [w])
        let exact = (1 << 24) + 1
        state["iterations"] = Tensor(Float(exact))
        #expect(state["iterations"]?.scalar == Float(1 << 24))

        try optimizer.restoreState(state, for: [w])
        #expect(optimizer.iterations == 1 << 24)
        try optimizer.restoreState(state, for: [w], iterations: exact)
        #expect(optimizer.iterations == exact)
        optimizer.apply([Tensor([1, 1])], to: [w])
        #expect(optimizer.iterations == exact + 1)

        for wrong in [exact + 2, 5, -1] {
            let error = try #require(throws: OptimizerStateError.self) {
                try optimizer.restoreState(state, for: [w], iterations: wrong)
            }
            #expect(error.message.contains("the step count given, \(wrong), does not round to the saved 'iterations', 16777216.0"), "\(error)")
            #expect(optimizer.iterations == exact + 1)
        }
    }
}
