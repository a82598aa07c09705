import Autograd
import Dispatch
import Optimizers
import Testing
import _TestSupport

/// Steps whose gradients arrive in element ranges, from several threads: the data-parallel
/// trainer's fused all-reduce and update.
@Suite struct PartitionedStepTests {
    /// Every optimizer and every branch of its rule: momentum kinds, AMSGrad, decoupled weight
    /// decay, centring, clipping by value, a schedule.
    static let makers: [@Sendable () -> any Optimizer] = [
        { SGD(learningRate: 0.05) },
        { SGD(learningRate: 0.05, momentum: 0.9) },
        { SGD(learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01) },
        { Adam(learningRate: 0.01) },
        { Adam(learningRate: 0.01, amsgrad: true, clipping: .byValue(0.5)) },
        { AdamW(learningRate: 0.01, weightDecay: 0.1) },
        { Adagrad(learningRate: 0.1) },
        { RMSprop(learningRate: 0.01) },
        { RMSprop(learningRate: 0.01, momentum: 0.5, centered: true) },
        { RMSprop(learningRate: .scheduled(ExponentialDecay(initialLearningRate: 0.01, decaySteps: 2, decayRate: 0.5))) },
    ]

    /// Three variables of awkward sizes (one empty of elements is not allowed by shapes, so a
    /// one-element vector stands for the smallest) and three steps of random gradients.
    static let shapes = [[37, 29], [1], [4099]]
    static let steps: [[Tensor]] = {
        var random = RandomStream(seed: 11)
        return (0..<3).map { _ in shapes.map { Tensor.randomNormal(shape: $0, using: &random) } }
    }()

    static func makeVariables() -> [Variable] {
        var random = RandomStream(seed: 5)
        return shapes.enumerated().map { Variable(Tensor.randomNormal(shape: $1, using: &random), name: "v\($0)") }
    }

    /// Applies every step through `applyPartitioned`, handing each variable over in pieces of
    /// `piece` elements, spread over `threads` concurrent threads.
    static func trainPartitioned(_ optimizer: any Optimizer, _ variables: [Variable], piece: Int, threads: Int) {
        for gradients in steps {
            let pieces = gradients.enumerated().flatMap { index, gradient in
                stride(from: 0, to: gradient.scalarCount, by: piece).map { (index, $0..<Swift.min(gradient.scalarCount, $0 + piece)) }
            }
            optimizer.applyPartitioned(to: variables) { step in
                Tensor.withUnsafeBufferPointers(gradients) { buffers in
                    let sendable = SendableBuffers(buffers: buffers)
                    DispatchQueue.concurrentPerform(iterations: threads) { thread in
                        for (index, range) in pieces[(thread * pieces.count / threads)..<((thread + 1) * pieces.count / threads)] {
                            step.update(variable: index, elements: range, gradient: sendable.buffers[index].baseAddress! + range.lowerBound)
                        }
                    }
                }
            }
        }
    }

    @Test(arguments: makers.indices)
    func partitionedStepsGiveTheSameBitsAsWholeSteps(maker: Int) {
        let whole = Self.makeVariables()
        let wholeOptimizer = Self.makers[maker]()
        for gradients in Self.steps { wholeOptimizer.apply(gradients, to: whole) }

        for (piece, threads) in [(1 << 20, 1), (1000, 2), (7, 3)] {
            let variables = Self.makeVariables()
            let optimizer = Self.makers[maker]()
            #expect(optimizer.canApplyPartitioned)
            Self.trainPartitioned(optimizer, variables, piece: piece, threads: threads)
            #expect(optimizer.iterations == Self.steps.count)
            for (mine, reference) in zip(variables, whole) {
                #expect(mine.value.scalars.map(\.bitPattern) == reference.value.scalars.map(\.bitPattern),
                        "variable \(mine.name), pieces of \(piece) on \(threads) threads")
            }
            let state = optimizer.stateTensors(for: variables)
            let referenceState = wholeOptimizer.stateTensors(for: whole)
            #expect(state.keys.sorted() == referenceState.keys.sorted())
            for (key, tensor) in state {
                #expect(tensor.scalars.map(\.bitPattern) == referenceState[key]?.scalars.map(\.bitPattern), "slot \(key)")
            }
        }
    }

    @Test func clippingThatNeedsWholeGradientsCannotBePartitioned() {
        #expect(!Adam(clipping: .byNorm(1)).canApplyPartitioned)
        #expect(!SGD(clipping: .byGlobalNorm(1)).canApplyPartitioned)
        #expect(Adam(clipping: .byValue(1)).canApplyPartitioned)
        #expect(Adam().canApplyPartitioned)
    }

    @Test func nonTrainableVariablesStayAsTheyAre() {
        let frozen = Variable(Tensor([1, 2]), name: "frozen", trainable: false)
        let free = Variable(Tensor([1, 2]), name: "free")
        let optimizer = SGD(learningRate: 0.5)
        let gradient: [Float] = [1, 1]
        optimizer.applyPartitioned(to: [frozen, free]) { step in
            gradient.withUnsafeBufferPointer { buffer in
                step.update(variable: 0, elements: 0..<2, gradient: buffer.baseAddress!)
                step.update(variable: 1, elements: 0..<2, gradient: buffer.baseAddress!)
            }
        }
        #expect(frozen.value.scalars == [1, 2])
        #expect(free.value.scalars == [0.5, 1.5])
        #expect(Set(optimizer.stateTensors(for: [frozen, free]).keys) == ["iterations"])
    }

    /// A step that overflows one element: the range holding it is reported, the others and an
    /// empty range are not, whichever variable they belong to.
    @Test func elementsAreFiniteSeesWhatTheUpdateWrote() {
        let w = Variable(Tensor([1, 2, 3, 4]), name: "w")
        let frozen = Variable(Tensor([.infinity, 0]), name: "frozen", trainable: false)
        let gradient: [Float] = [0, 0, -.greatestFiniteMagnitude, 0]
        SGD(learningRate: 2).applyPartitioned(to: [w, frozen]) { step in
            gradient.withUnsafeBufferPointer { step.update(variable: 0, elements: 0..<4, gradient: $0.baseAddress!) }
            #expect(step.elementsAreFinite(variable: 0, elements: 0..<2))
            #expect(!step.elementsAreFinite(variable: 0, elements: 2..<4))
            #expect(!step.elementsAreFinite(variable: 0, elements: 0..<4))
            #expect(step.elementsAreFinite(variable: 0, elements: 3..<3))
            #expect(!step.elementsAreFinite(variable: 1, elements: 0..<1))
            #expect(step.elementsAreFinite(variable: 1, elements: 1..<2))
        }
        #expect(w.value.scalars[2] == .infinity)
    }

    @Test func aValueSharedBeforeTheStepKeepsItsElements() {
        let w = Variable(Tensor([3, 4]), name: "w")
        let held = w.value
        let gradient: [Float] = [1, 1]
        SGD(learningRate: 1).applyPartitioned(to: [w]) { step in
            gradient.withUnsafeBufferPointer { step.update(variable: 0, elements: 0..<2, gradient: $0.baseAddress!) }
        }
        #expect(w.value.scalars == [2, 3])
        #expect(held.scalars == [3, 4])
    }

    @Test func anOptimizerThatCannotPartitionStopsWithAMessage() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let w = Variable(Tensor([1]), name: "w")
            Adam(clipping: .byGlobalNorm(1)).applyPartitioned(to: [w]) { _ in }
        }.map { result in
            let message = standardError(of: result)
            #expect(message.contains("Adam.applyPartitioned"))
            #expect(message.contains("whole gradients"))
        }
    }

    @Test func elementsOutOfRangeStopWithTheVariablesName() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let w = Variable(Tensor([1, 2]), name: "weights")
            let gradient: [Float] = [1, 1, 1]
            SGD().applyPartitioned(to: [w]) { step in
                gradient.withUnsafeBufferPointer { step.update(variable: 0, elements: 1..<3, gradient: $0.baseAddress!) }
            }
        }.map { result in
            let message = standardError(of: result)
            #expect(message.contains("'weights'"))
            #expect(message.contains("1..<3"))
        }
    }
}

private struct SendableBuffers: @unchecked Sendable {
    let buffers: [UnsafeBufferPointer<Float>]
}
