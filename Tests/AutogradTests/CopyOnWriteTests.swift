import Testing
import Autograd

/// Tensors are values: a copy shares storage until one side mutates, which copies first; a
/// uniquely held tensor mutates in place.
@Suite struct CopyOnWriteTests {
    static func baseAddress(_ tensor: Tensor) -> UnsafePointer<Float>? {
        tensor.withUnsafeBufferPointer { $0.baseAddress }
    }

    @Test func mutatingACopyLeavesTheOriginal() {
        let original = Tensor([1, 2, 3])
        var copy = original
        #expect(Self.baseAddress(copy) == Self.baseAddress(original), "a copy shares storage until written")
        copy.withUnsafeMutableBufferPointer { $0[0] = 10 }
        #expect(original.scalars == [1, 2, 3])
        #expect(copy.scalars == [10, 2, 3])
        #expect(Self.baseAddress(copy) != Self.baseAddress(original))
    }

    @Test func aUniqueTensorMutatesInPlace() {
        var tensor = Tensor([1, 2, 3])
        let before = Self.baseAddress(tensor)
        tensor.withUnsafeMutableBufferPointer { $0[1] = 20 }
        tensor.withUnsafeMutableBufferPointer { $0[2] = 30 }
        #expect(Self.baseAddress(tensor) == before)
        #expect(tensor.scalars == [1, 20, 30])
    }

    @Test func aCopyHiddenInAContainerIsProtected() {
        var tensor = Tensor([1, 2])
        let hidden = [tensor]
        tensor.withUnsafeMutableBufferPointer { $0[0] = -1 }
        #expect(hidden[0].scalars == [1, 2])
        #expect(tensor.scalars == [-1, 2])
        // Once the other reference is gone, the next write is in place again.
        let afterCopy = Self.baseAddress(tensor)
        tensor.withUnsafeMutableBufferPointer { $0[1] = -2 }
        #expect(Self.baseAddress(tensor) == afterCopy)
    }

    @Test func compoundAssignmentLeavesCopiesAlone() {
        let a = Tensor([1, 2])
        var b = a
        b += 1
        b *= Tensor([2, 3])
        #expect(a.scalars == [1, 2])
        #expect(b.scalars == [4, 9])
    }

    @Test func aTensorTheTapeHoldsIsNotChangedByALaterWrite() {
        var x = Tensor([1, 2, 3])
        let watched = x
        let tape = GradientTape()
        tape.watch(watched)
        let y = tape.record { (watched * watched).sum() }
        x.withUnsafeMutableBufferPointer { $0.update(repeating: 100) }
        #expect(watched.scalars == [1, 2, 3])
        #expect(tape.gradient(of: y, withRespectTo: watched)?.scalars == [2, 4, 6])
    }

    @Test func variableUpdatesAreInPlaceWhenNothingElseHoldsTheValue() {
        let v = Variable(Tensor([1, 2, 3]), name: "v")
        let before = Self.baseAddress(v.value)
        v.assignSub(Tensor([1, 1, 1]))
        v.withUnsafeMutableValue { $0[0] = 7 }
        #expect(Self.baseAddress(v.value) == before)
        #expect(v.value.scalars == [7, 1, 2])
    }

    @Test func variableUpdatesCopyWhenTheOldValueIsStillHeld() {
        let v = Variable(Tensor([1, 2, 3]), name: "v")
        let snapshot = v.value
        v.assignAdd(Tensor([1, 1, 1]))
        #expect(snapshot.scalars == [1, 2, 3])
        #expect(v.value.scalars == [2, 3, 4])
    }

    @Test func equalityComparesShapesAndValues() {
        #expect(Tensor([1, 2]) == Tensor([1, 2]))
        #expect(Tensor([1, 2]) != Tensor([[1, 2]]))
        #expect(Tensor([1, 2]) != Tensor([1, 3]))
        let nan = Tensor([.nan])
        let alias = nan
        #expect(nan != alias, "NaN differs from itself even through shared storage")
    }
}
