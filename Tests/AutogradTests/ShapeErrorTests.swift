import Testing
import _TestSupport
import Autograd

/// A shape mismatch is a programming error: the program stops, in every build configuration,
/// with a message that names the op and both shapes.
@Suite struct ShapeErrorTests {
    @Test func addingIncompatibleShapesStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(shape: [2, 3]) + Tensor.zeros(shape: [4, 3])
        }
        #expect(standardError(of: result).contains("add: incompatible shapes [2, 3] and [4, 3]"))
    }

    @Test func aShapeWithANegativeExtentStopsEveryInitialiser() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(shape: [2, -3]) { _ in }
        }
        #expect(standardError(of: result).contains("Tensor(shape:initializingWith:): shape [2, -3] has a negative dimension"))
    }

    /// An element count that wraps around `Int` would otherwise make a tensor whose shape
    /// claims 2⁶⁴ elements and whose storage holds none.
    @Test func aShapeWithMoreElementsThanIntCountsStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(repeating: 1, shape: [1 << 32, 1 << 32])
        }
        #expect(standardError(of: result).contains("Tensor(repeating:shape:): shape [4294967296, 4294967296] has more elements than Int can count"))
    }

    @Test func clippingToAnEmptyRangeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, 2]).clipped(to: 3, 1)
        }
        #expect(standardError(of: result).contains("clipped(to:_:): lower bound 3.0 is greater than upper bound 1.0"))
    }

    @Test func otherBinaryOpsNameThemselves() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones(shape: [3]) * Tensor.ones(shape: [2])
        }
        #expect(standardError(of: result).contains("multiply: incompatible shapes [3] and [2]"))
    }

    @Test func matmulWithMismatchedInnerDimensionsStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor.zeros(shape: [2, 3]), Tensor.zeros(shape: [4, 5]))
        }
        let message = standardError(of: result)
        #expect(message.contains("matmul: incompatible shapes [2, 3] and [4, 5]"))
        #expect(message.contains("inner dimensions 3 and 4 differ"))
    }

    @Test func matmulOfAVectorStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor.zeros(shape: [3]), Tensor.zeros(shape: [3, 2]))
        }
        #expect(standardError(of: result).contains("matmul: both operands must be matrices, got shapes [3] and [3, 2]"))
    }

    @Test func reshapingToTheWrongCountStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros(shape: [2, 3]).reshaped(to: [4, 2])
        }
        #expect(standardError(of: result).contains("reshaped(to:): cannot reshape a tensor of shape [2, 3] (6 elements) to [4, 2]"))
    }

    @Test func wrongScalarCountStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(shape: [2, 2], scalars: [1, 2, 3])
        }
        #expect(standardError(of: result).contains("shape [2, 2] holds 4 elements but 3 were given"))
    }

    @Test func assigningAVariableOfTheWrongShapeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Variable(Tensor.zeros(shape: [2]), name: "bias").assign(Tensor.zeros(shape: [3]))
        }
        #expect(standardError(of: result).contains("Variable.assign: variable 'bias' has shape [2] but the value has shape [3]"))
    }

    @Test func outputGradientOfTheWrongShapeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1, 2])
            let tape = GradientTape()
            tape.watch(x)
            let y = tape.record { x * x }
            _ = tape.gradient(of: y, withRespectTo: x, outputGradient: Tensor([1, 2, 3]))
        }
        #expect(standardError(of: result).contains("output gradient of shape [3] does not match target of shape [2]"))
    }

    @Test func scatteringToARowPastTheEndStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones(shape: [2, 3]).scatteringRows(into: [1, 4], rowCount: 4)
        }
        #expect(standardError(of: result).contains(
            "scatteringRows(into:rowCount:): row index 4 is out of range 0..<4 (scattering a tensor of shape [2, 3] into 4 rows)"))
    }

    @Test func scatteringToANegativeRowStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones(shape: [1, 3]).scatteringRows(into: [-1], rowCount: 2)
        }
        #expect(standardError(of: result).contains("scatteringRows(into:rowCount:): row index -1 is out of range 0..<2"))
    }

    @Test func scatteringIntoANegativeRowCountStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones(shape: [0, 3]).scatteringRows(into: [], rowCount: -1)
        }
        #expect(standardError(of: result).contains(
            "scatteringRows(into:rowCount:): rowCount must not be negative, got -1 for a tensor of shape [0, 3]"))
    }

    @Test func paddingAlongAnAxisOutOfRangeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones(shape: [2, 3]).padded(alongAxis: 2, before: 1, after: 0)
        }
        #expect(standardError(of: result).contains("padded(alongAxis:before:after:): axis 2 is out of range for shape [2, 3]"))
    }

    @Test func negativePaddingStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones(shape: [2, 3]).padded(alongAxis: 1, before: 1, after: -2)
        }
        #expect(standardError(of: result).contains(
            "padded(alongAxis:before:after:): padding before 1 and after -2 along axis 1 of shape [2, 3] must not be negative"))
    }

    @Test func slicingAlongAnAxisOutOfRangeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones(shape: [2, 3]).slice(alongAxis: -3, 0..<1)
        }
        #expect(standardError(of: result).contains("slice(alongAxis:_:): axis -3 is out of range for shape [2, 3]"))
    }

    @Test func concatenatingAlongAnAxisOutOfRangeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.concatenating([Tensor.ones(shape: [2, 3])], alongAxis: 2)
        }
        #expect(standardError(of: result).contains("concatenating(_:alongAxis:): axis 2 is out of range for shape [2, 3]"))
    }

    @Test func argmaxAlongAnAxisOutOfRangeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.ones(shape: [2, 3]).argmax(squeezingAxis: 2)
        }
        #expect(standardError(of: result).contains("argmax(squeezingAxis:): axis 2 is out of range for a tensor of shape [2, 3]"))
    }

    @Test func aMaskWithTheWrongValueCountStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = TensorMask(shape: [2, 2], values: [true, false, true])
        }
        #expect(standardError(of: result).contains("TensorMask: shape [2, 2] holds 4 values but 3 were given"))
    }
}
