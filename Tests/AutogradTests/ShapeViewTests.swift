import Testing
import Autograd
import _TestSupport

/// Ops that only change a tensor's shape return views: they share their input's storage and copy
/// no element, copy-on-write still keeps a view and its base apart, and a tape still tells a view
/// from its base and from other views of the same storage.
@Suite struct ShapeViewTests {
    /// An op that returns a view of its input of shape [2, 1, 3].
    struct Case: CustomStringConvertible, Sendable {
        let name: String
        let shape: [Int]
        let op: @Sendable (Tensor) -> Tensor
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "reshaped(to:)", shape: [3, 2]) { $0.reshaped(to: [3, 2]) },
        Case(name: "reshaped(to:) with -1", shape: [6, 1]) { $0.reshaped(to: [-1, 1]) },
        Case(name: "flattened()", shape: [6]) { $0.flattened() },
        Case(name: "squeezing()", shape: [2, 3]) { $0.squeezing() },
        Case(name: "squeezing(axes:)", shape: [2, 3]) { $0.squeezing(axes: [1]) },
        Case(name: "expandingShape(at:)", shape: [2, 1, 3, 1]) { $0.expandingShape(at: -1) },
        Case(name: "stopGradient", shape: [2, 1, 3]) { stopGradient($0) },
        Case(name: "sum(alongAxes: [])", shape: [2, 1, 3]) { $0.sum(alongAxes: []) },
        Case(name: "max(alongAxes: [])", shape: [2, 1, 3]) { $0.max(alongAxes: []) },
        Case(name: "broadcasted(to:) its own shape", shape: [2, 1, 3]) { $0.broadcasted(to: [2, 1, 3]) },
        Case(name: "padded by nothing", shape: [2, 1, 3]) { $0.padded(alongAxis: 0, before: 0, after: 0) },
    ]

    static func baseAddress(_ tensor: Tensor) -> UnsafePointer<Float>? {
        tensor.withUnsafeBufferPointer { $0.baseAddress }
    }

    static let base = Tensor(shape: [2, 1, 3], scalars: [1, 2, 3, 4, 5, 6])

    @Test(arguments: cases)
    func sharesTheStorageOfItsInput(_ testCase: Case) {
        let x = Self.base
        let view = testCase.op(x)
        #expect(view.shape == testCase.shape)
        #expect(view.scalars == x.scalars)
        #expect(Self.baseAddress(view) == Self.baseAddress(x), "no element is copied")
    }

    @Test(arguments: cases)
    func aWriteThroughAViewLeavesItsBaseAlone(_ testCase: Case) {
        let x = Self.base
        var view = testCase.op(x)
        view.withUnsafeMutableBufferPointer { $0[0] = 100 }
        #expect(x.scalars == [1, 2, 3, 4, 5, 6])
        #expect(view.scalars == [100, 2, 3, 4, 5, 6])
        #expect(Self.baseAddress(view) != Self.baseAddress(x))
    }

    @Test(arguments: cases)
    func aWriteThroughTheBaseLeavesItsViewAlone(_ testCase: Case) {
        var x = Tensor(shape: [2, 1, 3], scalars: [1, 2, 3, 4, 5, 6])
        let view = testCase.op(x)
        x.withUnsafeMutableBufferPointer { $0[5] = -6 }
        #expect(view.scalars == [1, 2, 3, 4, 5, 6])
        #expect(x.scalars == [1, 2, 3, 4, 5, -6])
    }

    @Test func aWrittenViewOwnsItsElementsAndIsWrittenInPlaceAfterwards() {
        var view = Tensor([1, 2, 3, 4]).reshaped(to: [2, 2])
        view.withUnsafeMutableBufferPointer { $0[3] = 40 }
        let afterFirstWrite = Self.baseAddress(view)
        view.withUnsafeMutableBufferPointer { $0[0] = 10 }
        #expect(Self.baseAddress(view) == afterFirstWrite)
        #expect(view.scalars == [10, 2, 3, 40])
    }

    @Test func aViewWhoseBaseIsLetGoIsWrittenInPlace() {
        // Nothing but the view holds the base: no other tensor can see the write.
        var view = Tensor([1, 2, 3, 4]).reshaped(to: [2, 2])
        let before = Self.baseAddress(view)
        view.withUnsafeMutableBufferPointer { $0[3] = 40 }
        #expect(Self.baseAddress(view) == before)
        #expect(view.scalars == [1, 2, 3, 40])
    }

    @Test func aViewIsCopiedWhileAnotherViewHoldsItsBase() {
        let (first, second) = { () -> (Tensor, Tensor) in
            let x = Tensor([1, 2, 3, 4])
            return (x.reshaped(to: [2, 2]), x.flattened())
        }()
        var written = first
        written.withUnsafeMutableBufferPointer { $0[0] = 10 }
        #expect(written.scalars == [10, 2, 3, 4])
        #expect(second.scalars == [1, 2, 3, 4])
        #expect(first.scalars == [1, 2, 3, 4])
    }

    @Test func aViewOfPartOfItsBaseIsCopiedEvenWhenTheBaseIsLetGo() {
        // The copy lets the rest of the base go.
        var rows = Tensor([[1, 2], [3, 4], [5, 6]]).rowsView(1..<2)
        let before = Self.baseAddress(rows)
        rows.withUnsafeMutableBufferPointer { $0[0] = 30 }
        #expect(Self.baseAddress(rows) != before)
        #expect(rows.scalars == [30, 4])
    }

    @Test func aViewOfAViewSharesTheStorageToo() {
        let x = Tensor([1, 2, 3, 4, 5, 6])
        let view = x.reshaped(to: [2, 3]).expandingShape(at: 0).squeezing().flattened()
        #expect(view.shape == [6])
        #expect(Self.baseAddress(view) == Self.baseAddress(x))
    }

    // MARK: On a tape

    @Test func gradientsFlowFromAViewToItsWatchedBase() {
        let x = Tensor([1, 2, 3, 4, 5, 6])
        let tape = GradientTape()
        tape.watch(x)
        let y = tape.record { (x.reshaped(to: [2, 3]) * Tensor([1, 10, 100])).sum() }
        #expect(tape.gradient(of: y, withRespectTo: x)?.scalars == [1, 10, 100, 1, 10, 100])
    }

    @Test func aViewAndItsBaseAreDifferentTensorsToATape() {
        // y = Σ x² + Σ 3v with v a view of x: ∂y/∂v holds x fixed (3), ∂y/∂x counts both (2x + 3).
        let x = Tensor([1, 2, 3, 4])
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let (v, y) = tape.record { () -> (Tensor, Tensor) in
            let v = x.reshaped(to: [2, 2])
            return (v, x.squared().sum() + (v * 3).sum())
        }
        #expect(tape.gradient(of: y, withRespectTo: v)?.scalars == [3, 3, 3, 3])
        #expect(tape.gradient(of: y, withRespectTo: x)?.scalars == [5, 7, 9, 11])
    }

    @Test func twoViewsOfOneStorageAreDifferentTapeEntries() {
        let x = Tensor([1, 2, 3, 4])
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let (a, b, y) = tape.record { () -> (Tensor, Tensor, Tensor) in
            let a = x.reshaped(to: [2, 2]), b = x.reshaped(to: [2, 2])
            return (a, b, (a * 2 + b * 5).sum())
        }
        #expect(Self.baseAddress(a) == Self.baseAddress(b))
        #expect(tape.recordedOperationCount == 6)
        #expect(tape.gradient(of: y, withRespectTo: a)?.scalars == [2, 2, 2, 2])
        #expect(tape.gradient(of: y, withRespectTo: b)?.scalars == [5, 5, 5, 5])
        #expect(tape.gradient(of: y, withRespectTo: x)?.scalars == [7, 7, 7, 7])
    }

    @Test func watchingOnlyAViewLeavesItsBaseUnconnected() {
        let x = Tensor([1, 2, 3])
        let v = x.expandingShape(at: 0)
        let tape = GradientTape(persistent: true)
        tape.watch(v)
        let y = tape.record { (v * x).sum() }
        #expect(tape.gradient(of: y, withRespectTo: v)?.scalars == [1, 2, 3])
        #expect(tape.gradient(of: y, withRespectTo: x) == nil, "x was never watched; v shares its storage only")
    }

    @Test func aViewMadeBeforeRecordingIsNotItsBase() {
        // The view exists before the tape watches x; it must not pass for x on the tape.
        let x = Tensor([1, 2])
        let v = x.reshaped(to: [2, 1])
        let tape = GradientTape()
        tape.watch(x)
        let y = tape.record { (v * 4).sum() + x.sum() }
        #expect(tape.gradient(of: y, withRespectTo: x)?.scalars == [1, 1])
    }

    @Test func stopGradientSharesStorageButStopsTheFlow() {
        let x = Tensor([2, 3])
        let tape = GradientTape()
        tape.watch(x)
        let (stopped, y) = tape.record { () -> (Tensor, Tensor) in
            let stopped = stopGradient(x)
            return (stopped, (stopped * x).sum())
        }
        #expect(Self.baseAddress(stopped) == Self.baseAddress(x))
        #expect(tape.gradient(of: y, withRespectTo: x)?.scalars == [2, 3])
    }

    @Test func aWrittenViewIsANewTensorToTheTape() {
        // After a write, the view holds other values; the tape must not treat it as the view it
        // recorded, so what is computed from it is not connected to x.
        let x = Tensor([1, 2, 3])
        let tape = GradientTape(persistent: true)
        tape.watch(x)
        let (y, z) = tape.record { () -> (Tensor, Tensor) in
            var v = x.reshaped(to: [3, 1])
            let y = (v * 2).sum()
            v.withUnsafeMutableBufferPointer { $0.update(repeating: 7) }
            return (y, (v * 5).sum())
        }
        #expect(z.scalar == 105)
        #expect(tape.gradient(of: y, withRespectTo: x)?.scalars == [2, 2, 2])
        #expect(tape.gradient(of: z, withRespectTo: x) == nil)
    }

    @Test func aVariableHoldingAViewIsUpdatedWithoutChangingTheBase() {
        let x = Tensor([1, 2, 3, 4])
        let w = Variable(x.reshaped(to: [2, 2]), name: "w")
        w.assignSub(Tensor([[1, 1], [1, 1]]))
        #expect(w.value.scalars == [0, 1, 2, 3])
        #expect(x.scalars == [1, 2, 3, 4])
    }

    @Test func secondDerivativeThroughAFullSlice() {
        // The pullback of a slice over a whole axis pads by nothing; that must stay recorded so
        // an outer tape sees the gradient depend on x. d/dx Σ (2x) = 2 per element.
        let x = Tensor([1, 2, 3])
        let outer = GradientTape()
        outer.watch(x)
        let total = outer.record { () -> Tensor in
            let inner = GradientTape()
            inner.watch(x)
            let y = inner.record { x.slice(alongAxis: 0, 0..<3).squared().sum() }
            return inner.gradient(of: y, withRespectTo: x)!.sum()
        }
        #expect(outer.gradient(of: total, withRespectTo: x)?.scalars == [2, 2, 2])
    }
}
