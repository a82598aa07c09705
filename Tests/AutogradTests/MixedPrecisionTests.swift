import Autograd
import CKernels
import Testing
import _TestSupport

/// `op(a)·op(b)` as the definition of a bf16 product computes it (`sg_sgemm_bf16_reference`),
/// row-major [m, n].
private func bf16Product(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> [Float] {
    let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let n = transposeB ? b.shape[0] : b.shape[1]
    #expect(k == (transposeB ? b.shape[1] : b.shape[0]), "the test's own shapes")
    var c = [Float](repeating: .nan, count: m * n)
    let (pa, pb) = (a.scalars, b.scalars)
    sg_sgemm_bf16_reference(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, 1, pa, a.shape[1], pb, b.shape[1], 0, &c, n)
    return c
}

/// Random values with every bit of the mantissa in use, so that rounding to bf16 shows.
private func randomMatrix(_ rows: Int, _ columns: Int, seed: UInt64) -> Tensor {
    var random = RandomStream(seed: seed)
    return Tensor.randomNormal(shape: [rows, columns], using: &random)
}

private func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

private let bf16 = KernelContext(precision: .bf16)

@Suite("Mixed precision")
struct MixedPrecisionTests {
    @Test func everyOpDefaultsToFloat32() {
        #expect(KernelContext.serial.precision == .float32)
        #expect(KernelContext(threads: 4).precision == .float32)
        #expect(MatrixPrecision.allCases.map(\.rawValue) == ["float32", "bf16"])
    }

    /// Y = op(A)·op(B) and, for the upstream G, the two products of the pullback, each checked
    /// against the reference with the operands the pullback names: the forward product and both
    /// gradients are bf16 products. K = 600 spans two of the bf16 definition's K blocks.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmulAndItsPullbackAreBf16Products(transposeA: Bool, transposeB: Bool) {
        let (m, k, n) = (13, 600, 9)
        let a = transposeA ? randomMatrix(k, m, seed: 1) : randomMatrix(m, k, seed: 1)
        let b = transposeB ? randomMatrix(n, k, seed: 2) : randomMatrix(k, n, seed: 2)
        let g = randomMatrix(m, n, seed: 3)
        let tape = GradientTape()
        tape.watch(a); tape.watch(b)
        let y = tape.record { Tensor.matmul(a, transposed: transposeA, b, transposed: transposeB, kernels: bf16) }
        let loss = tape.record { (y * g).sum() }
        let gradients = tape.gradient(of: loss, withRespectTo: [a, b]).map { $0!.scalars }
        #expect(bits(y.scalars) == bits(bf16Product(a, b, transposeA: transposeA, transposeB: transposeB)), "forward")
        // ∂A = G·Bᵀ and ∂B = Aᵀ·G, transposed to each operand's layout.
        let (da, db): ([Float], [Float]) = switch (transposeA, transposeB) {
        case (false, false): (bf16Product(g, b, transposeB: true), bf16Product(a, g, transposeA: true))
        case (true, false): (bf16Product(b, g, transposeB: true), bf16Product(a, g))
        case (false, true): (bf16Product(g, b), bf16Product(g, a, transposeA: true))
        case (true, true): (bf16Product(b, g, transposeA: true, transposeB: true), bf16Product(g, a, transposeA: true, transposeB: true))
        }
        #expect(bits(gradients[0]) == bits(da), "∂A")
        #expect(bits(gradients[1]) == bits(db), "∂B")
    }

    /// A dense layer: Y = act(X·W + b) with X·W a bf16 product and the bias and activation in
    /// Float32; dX = dZ·Wᵀ and dW = Xᵀ·dZ bf16 products, db the Float32 column sums of dZ.
    @Test(arguments: [DenseActivation.none, .relu])
    func denseAndItsPullbackAreBf16Products(activation: DenseActivation) {
        let (batch, fanIn, fanOut) = (40, 70, 19)
        let x = randomMatrix(batch, fanIn, seed: 4), w = randomMatrix(fanIn, fanOut, seed: 5)
        let b = randomMatrix(1, fanOut, seed: 6).reshaped(to: [fanOut])
        let g = randomMatrix(batch, fanOut, seed: 7)
        let tape = GradientTape()
        tape.watch(x); tape.watch(w); tape.watch(b)
        let y = tape.record { Tensor.dense(x, w, b, activation: activation, kernels: bf16) }
        let loss = tape.record { (y * g).sum() }
        let gradients = tape.gradient(of: loss, withRespectTo: [x, w, b]).map { $0! }

        let bias = b.scalars
        let product = bf16Product(x, w)
        let expected = product.indices.map { index -> Float in
            let z = product[index] + bias[index % fanOut]
            return activation == .relu ? Swift.max(z, 0) : z
        }
        #expect(y.scalars == expected, "forward")
        let upstream = g.scalars
        let dz = Tensor(shape: [batch, fanOut], scalars: upstream.indices.map { activation == .relu && !(expected[$0] > 0) ? 0 : upstream[$0] })
        #expect(bits(gradients[0].scalars) == bits(bf16Product(dz, w, transposeB: true)), "dX = dZ·Wᵀ")
        #expect(bits(gradients[1].scalars) == bits(bf16Product(x, dz, transposeA: true)), "dW = Xᵀ·dZ")
        let columnSums = (0..<fanOut).map { column in (0..<batch).reduce(Float(0)) { $0 + dz.scalars[$1 * fanOut + column] } }
        assertClose(gradients[2].scalars, columnSums, rtol: 1e-6, atol: 1e-6, "db, in Float32")
    }

    /// The policy changes the bits: the same product in Float32 differs, by about bf16's
    /// rounding (8 bits of mantissa) and no more.
    /// The route bf16 products take agrees with the kernels: the dot product exactly where the
    /// native family runs them, the reason from the CPU's features and the start-up check, and
    /// each precision's kernel name that of the family it runs.
    @Test func theBF16RouteAgreesWithTheKernels() {
        let route = MatrixPrecision.bf16Products
        #expect((route == .dotProduct) == MatrixPrecision.hasNativeBF16Products)
        #expect((route == .multiplyAddsWithoutDotProduct) == (sg_cpu_has_bf16_instructions() == 0))
        if route == .multiplyAddsAfterFailedCheck || route == .multiplyAddsFasterThanDotProduct {
            #expect((route == .multiplyAddsAfterFailedCheck) == (sg_gemm_kernel_supported(Int32(SG_GEMM_KERNEL_AVX512_BF16)) == 0))
        }
        #expect(MatrixPrecision.float32.kernelName == String(cString: sg_gemm_kernel_name()))
        #expect(MatrixPrecision.bf16.kernelName == (route == .dotProduct ? "avx512-bf16" : MatrixPrecision.float32.kernelName))
    }

    @Test func bf16AndFloat32ProductsDiffer() {
        let x = randomMatrix(32, 64, seed: 8), w = randomMatrix(64, 16, seed: 9)
        let single = Tensor.matmul(x, w, kernels: .serial).scalars
        let mixed = Tensor.matmul(x, w, kernels: bf16).scalars
        #expect(bits(single) != bits(mixed))
        #expect(zip(single, mixed).filter { $0 != $1 }.count > single.count / 2, "most elements change")
        assertClose(mixed, single, rtol: 0, atol: 0.25, "within bf16's rounding of 64 unit-normal products")
    }

    /// Results under bf16 do not depend on the threads, as in Float32.
    @Test func bf16ProductsDoNotDependOnThreads() {
        let x = randomMatrix(300, 200, seed: 10), w = randomMatrix(200, 120, seed: 11)
        let one = Tensor.matmul(x, w, kernels: KernelContext(threads: 1, precision: .bf16)).scalars
        let three = Tensor.matmul(x, w, kernels: KernelContext(threads: 3, precision: .bf16)).scalars
        #expect(bits(one) == bits(three))
    }
}
