import Autograd
import Optimizers
import Testing
import _TestSupport

/// What one step does besides the update rule: skipping, counting, decay, copy-on-write.
@Suite struct ApplyTests {
    @Test func nilGradientLeavesItsVariableAndStateAlone() {
        let used = Variable(Tensor([1, 2]), name: "used")
        let unused = Variable(Tensor([5]), name: "unused")
        let optimizer = Adam(learningRate: 0.1)
        optimizer.apply([Tensor([1, -1]), nil], to: [used, unused])
        #expect(unused.value.scalars == [5])
        #expect(used.value.scalars != [1, 2])
        #expect(optimizer.iterations == 1)
        let keys = Set(optimizer.stateTensors(for: [used, unused]).keys)
        #expect(keys == ["iterations", "0/used/momentum", "0/used/velocity"])
    }

    @Test(arguments: PartitionedStepTests.makers.indices)
    func threadedUpdatesGiveTheSameBitsAsOneThread(maker: Int) {
        // 100 003 elements: split into ranges on two or three threads, with an uneven tail.
        var random = RandomStream(seed: 3)
        let start = Tensor.randomNormal(shape: [100_003], using: &random)
        let gradients = (0..<3).map { _ in Tensor.randomNormal(shape: [100_003], using: &random) }
        func train(threads: Int) -> [Float] {
            let variable = Variable(start, name: "w")
            let optimizer = PartitionedStepTests.makers[maker]()
            optimizer.threads = threads
            for gradient in gradients { optimizer.apply([gradient], to: [variable]) }
            return variable.value.scalars
        }
        let single = train(threads: 1)
        #expect(single != start.scalars)
        #expect(train(threads: 2) == single)
        #expect(train(threads: 3) == single)
    }

    @Test func nonTrainableVariablesAreSkipped() {
        let frozen = Variable(Tensor([1]), name: "frozen", trainable: false)
        let free = Variable(Tensor([1]), name: "free")
        let optimizer = SGD(learningRate: 0.5)
        optimizer.apply([Tensor([1]), Tensor([1])], to: [frozen, free])
        #expect(frozen.value.scalars == [1])
        #expect(free.value.scalars == [0.5])
        #expect(optimizer.stateTensors(for: [frozen, free]).keys.sorted() == ["iterations"])
    }

    @Test func iterationsCountsSteps() {
        let w = Variable(Tensor([0]), name: "w")
        let optimizer = RMSprop()
        #expect(optimizer.iterations == 0)
        for _ in 0..<3 { optimizer.apply([Tensor([1])], to: [w]) }
        #expect(optimizer.iterations == 3)
    }

    @Test func pairsFormMatchesArraysForm() {
        let a = Variable(Tensor([1, 1]), name: "a")
        let b = Variable(Tensor([1, 1]), name: "b")
        let first = SGD(learningRate: 0.1, momentum: 0.9)
        let second = SGD(learningRate: 0.1, momentum: 0.9)
        for _ in 0..<2 {
            first.apply([Tensor([1, 2])], to: [a])
            second.apply([(Tensor([1, 2]), b)])
        }
        #expect(a.value.scalars == b.value.scalars)
    }

    /// Keras's decoupled decay `w − w·λ·lr`, here on SGD with a zero gradient.
    @Test func weightDecayShrinksTheVariableBeforeTheUpdate() {
        let w = Variable(Tensor([2, -4]), name: "w")
        let optimizer = SGD(learningRate: 0.1, weightDecay: 0.5)
        optimizer.apply([Tensor([0, 1])], to: [w])
        #expect(isWithinTolerance(w.value.scalars[0], 1.9))
        #expect(isWithinTolerance(w.value.scalars[1], -3.8 - 0.1))
    }

    @Test func slotsAreKeptPerVariable() {
        let a = Variable(Tensor([0]), name: "a")
        let b = Variable(Tensor([0]), name: "b")
        let optimizer = SGD(learningRate: 1, momentum: 0.5)
        optimizer.apply([Tensor([1]), Tensor([-2])], to: [a, b])
        optimizer.apply([Tensor([1]), Tensor([-2])], to: [a, b])
        // m₁ = −g, m₂ = 0.5·m₁ − g; w = m₁ + m₂ = −2.5·g
        #expect(a.value.scalars == [-2.5])
        #expect(b.value.scalars == [5])
    }

    /// The tape keeps the value it read; the optimizer's in-place update must copy rather than
    /// change that recorded value.
    @Test func updatingAVariableLeavesTheTapesRecordedValueUnchanged() throws {
        let w = Variable(Tensor([1, 2, 3]), name: "w")
        let tape = GradientTape(persistent: true)
        var seen = Tensor(0)
        let loss = tape.record { () -> Tensor in
            seen = w.value
            return (seen * seen).sum()
        }
        let gradient = try #require(tape.gradient(of: loss, withRespectTo: w))
        #expect(gradient.scalars == [2, 4, 6])
        Adam(learningRate: 0.5).apply([gradient], to: [w])
        #expect(w.value.scalars != [1, 2, 3])
        #expect(seen.scalars == [1, 2, 3])
        let again = try #require(tape.gradient(of: loss, withRespectTo: seen))
        #expect(again.scalars == [2, 4, 6])
    }

    @Test func shapeMismatchStopsNamingOptimizerVariableAndShapes() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let w = Variable(Tensor([1, 2, 3]), name: "weights")
            Adam().apply([Tensor([1, 2])], to: [w])
        }.map { result in
            let message = standardError(of: result)
            #expect(message.contains("Adam.apply"))
            #expect(message.contains("'weights'"))
            #expect(message.contains("[2]") && message.contains("[3]"))
        }
    }

    /// Listed twice, a variable would take two steps at once; Keras sums a variable's gradients
    /// before its one update.
    @Test func aVariableListedTwiceStopsNamingItAndItsPositions() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let w = Variable(Tensor([1, 2, 3]), name: "weights")
            let b = Variable(Tensor([0]), name: "bias")
            SGD(learningRate: 0.1).apply([Tensor([1, 1, 1]), Tensor([1]), Tensor([1, 1, 1])], to: [w, b, w])
        }.map { result in
            let message = standardError(of: result)
            #expect(message.contains("SGD.apply: variable 'weights' is listed at positions 0 and 2"), "\(message)")
        }
    }

    /// Past the pairwise comparison's reach, the set finds a repeat as well.
    @Test func aRepeatAmongManyVariablesIsFound() {
        let variables = (0..<40).map { Variable(Tensor([Float($0)]), name: "v\($0)") }
        #expect(Variable.firstRepeat(in: variables) == nil)
        #expect(Variable.firstRepeat(in: variables + [variables[7]]).map { [$0.0, $0.1] } == [7, 40])
        #expect(Variable.firstRepeat(in: Array(variables[0..<5]) + [variables[3]]).map { [$0.0, $0.1] } == [3, 5])
        // Equal values are no repeat: identity is what counts.
        #expect(Variable.firstRepeat(in: [Variable(Tensor([1])), Variable(Tensor([1]))]) == nil)
    }
}
