import Autograd
import DataParallel
import Models
import Testing
import _TestSupport

@Suite("PackedParameters: weights packed once per step give the unshared bits and are never read stale")
struct PackedParametersTests {
    private func bits(_ tensor: Tensor) -> [UInt32] { tensor.scalars.map(\.bitPattern) }

    private func bits(_ tensors: [Tensor]) -> [[UInt32]] { tensors.map(bits) }

    /// Weights of 64 × 96 and inputs of 40 rows: the packed path in both precisions.
    private func operands(seed: UInt64) -> (x: Tensor, w: Tensor, b: Tensor, g: Tensor) {
        var random = RandomStream(seed: seed)
        return (
            Tensor.randomNormal(shape: [40, 64], using: &random), Tensor.randomNormal(shape: [64, 96], using: &random),
            Tensor.randomNormal(shape: [96], using: &random), Tensor.randomNormal(shape: [40, 96], using: &random))
    }

    /// A lookup matches only the tensors bound for the step, in the step's precision, as
    /// matrices; a write to a bound tensor's copy makes a tensor that matches nothing, and after
    /// the step nothing matches.
    @Test func aPackingMatchesOnlyTheStepsOwnTensors() {
        let (_, w, b, _) = operands(seed: 1)
        let packed = PackedParameters(shapes: [[64, 96], [96]], precision: .float32)
        #expect(packed.hasMatrices)
        #expect(packed.packedOperand(w, transposed: false, precision: .float32) == nil, "before the step")
        packed.begin(parameters: [w, b])
        #expect(packed.packedOperand(w, transposed: false, precision: .float32) != nil)
        #expect(packed.packedOperand(w, transposed: true, precision: .float32) != nil)
        #expect(packed.packedOperand(w, transposed: false, precision: .bf16) == nil, "another precision")
        #expect(packed.packedOperand(b, transposed: false, precision: .float32) == nil, "not a matrix")
        #expect(packed.packedOperand(Tensor(shape: w.shape, scalars: w.scalars), transposed: false, precision: .float32) == nil,
                "equal values, another tensor")
        var written = w
        written.withUnsafeMutableBufferPointer { $0[0] += 1 }
        #expect(written.id != w.id, "the write copied the bound storage")
        #expect(packed.packedOperand(written, transposed: false, precision: .float32) == nil, "a written copy")
        packed.end()
        #expect(packed.packedOperand(w, transposed: false, precision: .float32) == nil, "after the step")
        #expect(packed.usedPackings.map(\.parameter) == [0, 0])
        #expect(!PackedParameters(shapes: [[3], []], precision: .float32).hasMatrices)
    }

    /// The products of a context reading the packings (x·W, the dense layer, dZ·Wᵀ) give the
    /// bits of the unpacked ones, and they do read the packing: one packed element changed
    /// changes them.
    @Test(arguments: [MatrixPrecision.float32, .bf16])
    func theProductsReadThePackingAndGiveTheUnpackedBits(precision: MatrixPrecision) {
        let (x, w, b, g) = operands(seed: 2)
        let plain = KernelContext(precision: precision)
        let packed = PackedParameters(shapes: [[64, 96]], precision: precision)
        let shared = plain.readingPackedOperands(from: packed)
        packed.begin(parameters: [w])
        defer { packed.end() }
        let forward = Tensor.matmul(x, w, kernels: plain)
        #expect(bits(Tensor.matmul(x, w, kernels: shared)) == bits(forward))
        #expect(bits(Tensor.dense(x, w, b, activation: .relu, kernels: shared))
                == bits(Tensor.dense(x, w, b, activation: .relu, kernels: plain)))
        #expect(bits(Tensor.matmul(g, w, transposed: true, kernels: shared)) == bits(Tensor.matmul(g, w, transposed: true, kernels: plain)))
        #expect(Set(packed.usedPackings.map(\.transposed)) == [false, true])

        let buffer = UnsafeMutableRawPointer(mutating: packed.packedOperand(w, transposed: false, precision: precision)!)
        // The packed data follow a 64-byte header; its first word holds op(B)'s first element(s).
        (buffer + 64).storeBytes(of: (buffer + 64).load(as: UInt32.self) ^ 0x0040_0040, as: UInt32.self)
        #expect(bits(Tensor.matmul(x, w, kernels: shared)) != bits(forward))
    }

    /// A parameter updated in place between steps keeps its storage, so the same tensor
    /// identity holds other values: the next step packs them again, both by the queue the
    /// workers share and by a product's own lookup.
    @Test(arguments: [MatrixPrecision.float32, .bf16])
    func eachStepPacksTheValuesOfThatStep(precision: MatrixPrecision) {
        let (x, _, _, g) = operands(seed: 3)
        var w = operands(seed: 3).w
        let plain = KernelContext(precision: precision)
        let packed = PackedParameters(shapes: [[64, 96]], precision: precision)
        let shared = plain.readingPackedOperands(from: packed)
        packed.begin(parameters: [w])
        let first = Tensor.matmul(x, w, kernels: shared)
        _ = Tensor.matmul(g, w, transposed: true, kernels: shared)
        packed.end()
        let identity = w.id
        w.withUnsafeMutableBufferPointer { elements in
            for index in elements.indices { elements[index] *= -0.5 }
        }
        #expect(w.id == identity, "updated in place, as an optimizer does")
        for queued in [true, false] {
            packed.begin(parameters: [w])
            if queued { packed.packQueued() }
            let product = Tensor.matmul(x, w, kernels: shared)
            #expect(bits(product) == bits(Tensor.matmul(x, w, kernels: plain)), "queued \(queued)")
            #expect(bits(product) != bits(first))
            #expect(bits(Tensor.matmul(g, w, transposed: true, kernels: shared)) == bits(Tensor.matmul(g, w, transposed: true, kernels: plain)))
            packed.end()
        }
    }

    /// Three engine steps, each followed by an in-place update of the parameters (an optimizer's
    /// path: the same tensors, other values), with the weights packed once per step and with
    /// every product packing its own: the same gradients and losses at every step, for 1, 2 and
    /// 3 workers, in both precisions. The layers take the packed path with several K blocks (600
    /// inputs), the narrow kernels (10 outputs) and short K (dZ·Wᵀ of the last layer).
    @Test(arguments: [MatrixPrecision.float32, .bf16], [1, 2, 3])
    func sharedPackingGivesTheUnsharedBits(precision: MatrixPrecision, workers: Int) {
        let model = MLP(layerSizes: [600, 40, 33, 10], hiddenActivation: .relu, weightInitializer: .heNormal, seed: 4)
        var random = RandomStream(seed: 9)
        let x = Tensor.randomNormal(shape: [96, 600], using: &random)
        let labels = (0..<96).map { ($0 * 7) % 10 }
        func train(sharing: Bool) -> (gradients: [[[UInt32]]], losses: [UInt32], shared: [[Int]]) {
            let engine = DataParallelEngine(
                parameterShapes: model.parameterShapes,
                configuration: DataParallelConfiguration(
                    workers: workers, microShardCount: 4, kernelThreads: 1, precision: precision, sharesPackedWeights: sharing))
            let variables = model.initialParameters().map { Variable($0) }
            var gradients: [[[UInt32]]] = [], losses: [UInt32] = [], shared: [[Int]] = []
            for _ in 0..<3 {
                let identities = variables.map(\.value.id)
                let step = engine.computeGradients(model: model, parameters: variables.map(\.value), features: x, targets: .classes(labels))
                for (variable, gradient) in zip(variables, step.gradients) { variable.assignSub(0.5 * gradient) }
                #expect(variables.map(\.value.id) == identities, "the engine let the parameters go: updated in place")
                gradients.append(bits(step.gradients))
                losses.append(step.loss.bitPattern)
                shared.append(engine.sharedPackings.map { 2 * $0.parameter + ($0.transposed ? 1 : 0) })
            }
            return (gradients, losses, shared)
        }
        let unshared = train(sharing: false)
        let sharing = train(sharing: true)
        #expect(sharing.gradients == unshared.gradients)
        #expect(sharing.losses == unshared.losses)
        #expect(unshared.shared == [[], [], []])
        // W0, W1, W1ᵀ, W2, W2ᵀ: the first layer's input gets no gradient, so W0ᵀ is never used.
        #expect(sharing.shared == Array(repeating: [0, 4, 5, 8, 9], count: 3))
    }
}
