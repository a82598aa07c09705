import Testing
import Autograd

/// A variable's value is a source of its own on a tape, whatever tensor it was made from or
/// assigned, as a `tf.Variable` is: variables sharing a tensor, and the tensor itself, get
/// separate gradients, and updating one changes none of the others.
@Suite struct VariableIdentityTests {
    @Test func twoVariablesMadeFromOneTensorGetTheirOwnGradients() {
        let t = Tensor([1, 1])
        let a = Variable(t, name: "a"), b = Variable(t, name: "b")
        let tape = GradientTape()
        let y = tape.record { (a.value * 2 + b.value * 3).sum() }
        let gradients = tape.gradient(of: y, withRespectTo: [a, b])
        // TensorFlow: [2, 2] and [3, 3].
        #expect(gradients[0]?.scalars == [2, 2])
        #expect(gradients[1]?.scalars == [3, 3])
    }

    @Test func anUnusedVariableMadeFromTheSameTensorGetsNoGradient() {
        let t = Tensor([1, 2])
        let used = Variable(t, name: "used"), unused = Variable(t, name: "unused")
        let tape = GradientTape(persistent: true)
        let y = tape.record { used.value.squared().sum() }
        #expect(tape.gradient(of: y, withRespectTo: used)?.scalars == [2, 4])
        #expect(tape.gradient(of: y, withRespectTo: unused) == nil)
        #expect(tape.gradient(of: y, withRespectTo: [unused], unconnected: .zero)[0]?.scalars == [0, 0])
    }

    @Test func aVariableAssignedAnotherVariablesValueIsNotThatVariable() {
        // A target network copied from an online one: a loss of either gives the other nothing.
        let online = Variable(Tensor([1, 2]), name: "online")
        let target = Variable(Tensor([0, 0]), name: "target")
        target.assign(online.value)
        let tape = GradientTape(persistent: true)
        let (onlineLoss, targetLoss) = tape.record { ((online.value * 2).sum(), (target.value * 5).sum()) }
        let fromOnline = tape.gradient(of: onlineLoss, withRespectTo: [online, target])
        #expect(fromOnline[0]?.scalars == [2, 2])
        #expect(fromOnline[1] == nil)
        let fromTarget = tape.gradient(of: targetLoss, withRespectTo: [online, target])
        #expect(fromTarget[0] == nil)
        #expect(fromTarget[1]?.scalars == [5, 5])
    }

    @Test(arguments: [false, true])
    func aVariableAndAWatchedTensorOfTheSameTensorAreTwoSources(watchFirst: Bool) {
        let t = Tensor([1, 2])
        let tape = GradientTape(persistent: true)
        if watchFirst { tape.watch(t) }
        let v = Variable(t, name: "v")
        if !watchFirst { tape.watch(t) }
        let y = tape.record { (t * 2 + v.value * 7).sum() }
        // TensorFlow: 2 for the watched tensor, 7 for the variable.
        #expect(tape.gradient(of: y, withRespectTo: t)?.scalars == [2, 2])
        #expect(tape.gradient(of: y, withRespectTo: v)?.scalars == [7, 7])
    }

    @Test func updatingOneOfTwoVariablesMadeFromOneTensorLeavesTheOtherAndTheTensor() {
        let t = Tensor([1, 2])
        let a = Variable(t, name: "a"), b = Variable(t, name: "b")
        a.assignSub(Tensor([1, 1]))
        b.withUnsafeMutableValue { $0[1] = 20 }
        #expect(a.value.scalars == [0, 1])
        #expect(b.value.scalars == [1, 20])
        #expect(t.scalars == [1, 2])
    }

    @Test func updatingAVariableLeavesTheVariableItWasAssignedFromAlone() {
        let online = Variable(Tensor([1, 2]), name: "online")
        let target = Variable(Tensor([0, 0]), name: "target")
        target.assign(online.value)
        online.assignAdd(Tensor([10, 10]))
        #expect(target.value.scalars == [1, 2])
        target.assignSub(Tensor([1, 1]))
        #expect(online.value.scalars == [11, 12])
        #expect(target.value.scalars == [0, 1])
    }

    static func baseAddress(_ variable: Variable) -> UnsafePointer<Float>? {
        variable.value.withUnsafeBufferPointer { $0.baseAddress }
    }

    @Test func aVariableAssignedATensorNothingElseHoldsUpdatesInPlace() {
        let v = Variable(Tensor([1, 2]), name: "v")
        v.assign(Tensor([3, 4]))
        let assigned = Self.baseAddress(v)
        v.assignSub(Tensor([1, 1]))
        #expect(Self.baseAddress(v) == assigned)
        #expect(v.value.scalars == [2, 3])
    }

    @Test func variablesMadeFromTensorsThatAreLetGoUpdateInPlaceUnderTheirIdentity() {
        // As a model makes its parameters: from an array of tensors, released once they are made.
        let variables = [Tensor([1, 2]), Tensor([3])].map { Variable($0) }
        let (identity, address) = (variables[0].value.id, Self.baseAddress(variables[0]))
        variables[0].assignSub(Tensor([1, 1]))
        variables[1].withUnsafeMutableValue { $0[0] = 30 }
        #expect(variables[0].value.id == identity)
        #expect(Self.baseAddress(variables[0]) == address)
        #expect(variables.map(\.value.scalars) == [[0, 1], [30]])
    }
}
