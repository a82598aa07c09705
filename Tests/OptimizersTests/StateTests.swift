import Autograd
import Optimizers
import Testing

/// Saving and restoring optimizer state for checkpoints.
@Suite struct StateTests {
    /// `optimizer`'s state after one step of `w` (shaped [2]), with element 1 of `slot` set to `value`.
    private static func state(of optimizer: any Optimizer, after w: Variable, slot: String, value: Float) -> [String: Tensor] {
        optimizer.apply([Tensor([1, 1])], to: [w])
        var state = optimizer.stateTensors(for: [w])
        state["0/w/" + slot] = Tensor([0.5, value])
        return state
    }

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

    /// A variable without slots after a step is one that has not had a gradient yet, unless
    /// the caller says every step gives every trainable variable one: then its slots were lost,
    /// and the state is refused, naming the variable and the missing keys.
    @Test func aSteppedStateWithoutAVariablesSlotsIsRefusedWhereEveryStepUpdatesIt() throws {
        let w = Variable(Tensor([1, 2]), name: "w")
        let b = Variable(Tensor([3]), name: "b")
        let frozen = Variable(Tensor([4]), name: "frozen", trainable: false)
        let adam = Adam()
        adam.apply([Tensor([1, 1]), Tensor([1]), nil], to: [w, b, frozen])
        var state = adam.stateTensors(for: [w, b, frozen])
        state["1/b/momentum"] = nil
        state["1/b/velocity"] = nil

        let restored = Adam()
        try restored.restoreState(state, for: [w, b, frozen], iterations: 1)
        let error = try #require(throws: OptimizerStateError.self) {
            try restored.restoreState(state, for: [w, b, frozen], iterations: 1, requiringStateOfTrainableVariables: true)
        }
        #expect(error.message == "Adam.restoreState: the state holds none of the slots of variable 'b' after 1 step: '1/b/momentum', '1/b/velocity' are missing; expected them, as every step updates every trainable variable")
        // Before any step, and for a variable that is not trained, there are none to hold.
        let fresh = Adam().stateTensors(for: [w, b])
        try Adam().restoreState(fresh, for: [w, b], iterations: nil, requiringStateOfTrainableVariables: true)
        state["1/b/momentum"] = adam.stateTensors(for: [w, b, frozen])["1/b/momentum"]
        state["1/b/velocity"] = adam.stateTensors(for: [w, b, frozen])["1/b/velocity"]
        #expect(state["2/frozen/momentum"] == nil)
        try restored.restoreState(state, for: [w, b, frozen], iterations: 1, requiringStateOfTrainableVariables: true)
        // A stateless optimizer has no slots to miss.
        let sgd = SGD()
        sgd.apply([Tensor([1, 1])], to: [w])
        try SGD().restoreState(sgd.stateTensors(for: [w]), for: [w], iterations: 1, requiringStateOfTrainableVariables: true)
    }

    /// A slot value that makes the next update of its element NaN or infinite is refused,
    /// naming the key, the element and the value. +∞ in a sum of squares (Adagrad's
    /// accumulator, RMSprop's mean square with ρ > 0), which a step whose gradient's square
    /// overflows writes, is restored, and the steps after it stay finite.
    @Test func aSlotValueThatMakesTheNextUpdateNonFiniteIsRefused() throws {
        let w = Variable(Tensor([1, 2]), name: "w")
        let refusals: [(() -> any Optimizer, String, Float, String)] = [
            ({ Adam() }, "velocity", .infinity, "'0/w/velocity' holds inf at element 1, which makes Adam's next update of that element not finite; expected finite values"),
            ({ Adam() }, "momentum", -.infinity, "'0/w/momentum' holds -inf at element 1"),
            ({ Adam(amsgrad: true) }, "velocityHat", .nan, "'0/w/velocityHat' holds NaN at element 1, which makes Adam's next update of that element NaN"),
            ({ SGD(momentum: 0.9) }, "momentum", .infinity, "'0/w/momentum' holds inf at element 1"),
            ({ Adagrad() }, "accumulator", -.infinity, "'0/w/accumulator' holds -inf at element 1, which makes Adagrad's next update of that element not finite; expected finite values or +inf (a sum of squares that overflowed)"),
            ({ RMSprop(rho: 0) }, "velocity", .infinity, "'0/w/velocity' holds inf at element 1"),
            ({ RMSprop(centered: true) }, "averageGradient", .infinity, "'0/w/averageGradient' holds inf at element 1"),
        ]
        for (make, slot, value, expected) in refusals {
            let optimizer = make()
            let error = try #require(throws: OptimizerStateError.self) { try make().restoreState(Self.state(of: optimizer, after: w, slot: slot, value: value), for: [w]) }
            #expect(error.message.contains(expected), "\(error)")
        }
        for make in [{ Adagrad() }, { RMSprop() }, { RMSprop(momentum: 0.5, centered: true) }] as [() -> OptimizerBase] {
            let restored = make()
            try restored.restoreState(Self.state(of: make(), after: w, slot: restored is Adagrad ? "accumulator" : "velocity", value: .infinity), for: [w])
            for _ in 0..<3 { restored.apply([Tensor([1, -2])], to: [w]) }
            #expect(w.value.firstNonFiniteScalar == nil, "\(restored.name): \(w.value.scalars)")
        }
    }

    /// A sum of squares no step makes negative (Adam's velocities, RMSprop's mean square,
    /// Adagrad's accumulator) is refused below 0, since the next update takes its square root;
    /// the slots that may be negative (momenta, the mean gradient) are restored.
    @Test func aNegativeSumOfSquaresIsRefused() throws {
        let w = Variable(Tensor([1, 2]), name: "w")
        let refusals: [(() -> any Optimizer, String)] = [
            ({ Adam() }, "velocity"), ({ Adam(amsgrad: true) }, "velocityHat"), ({ RMSprop() }, "velocity"),
            ({ RMSprop(momentum: 0.5, centered: true) }, "velocity"), ({ Adagrad() }, "accumulator"),
        ]
        for (make, slot) in refusals {
            let optimizer = make()
            let error = try #require(throws: OptimizerStateError.self) { try make().restoreState(Self.state(of: optimizer, after: w, slot: slot, value: -1), for: [w]) }
            #expect(error.message.contains("'0/w/\(slot)' holds -1.0 at element 1, but it is a sum of squares, which no step makes negative"), "\(error)")
            #expect(error.message.contains("expected values of at least 0"), "\(error)")
        }
        let accepted: [(() -> any Optimizer, String)] = [
            ({ Adam() }, "momentum"), ({ SGD(momentum: 0.9) }, "momentum"), ({ RMSprop(momentum: 0.5, centered: true) }, "momentum"),
            ({ RMSprop(centered: true) }, "averageGradient"), ({ Adam() }, "velocity"),
        ]
        for (index, (make, slot)) in accepted.enumerated() {
            // The last: -0 is no negative value.
            let value: Float = index == accepted.count - 1 ? -0.0 : -1
            try make().restoreState(Self.state(of: make(), after: w, slot: slot, value: value), for: [w])
        }
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
