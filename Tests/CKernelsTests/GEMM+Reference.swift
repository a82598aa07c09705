import CKernels
import Testing

/// A GEMM micro-kernel family as the tests see it.
struct GEMMKernel: CustomStringConvertible, Sendable {
    let id: Int32
    var description: String { String(cString: sg_gemm_kernel_label(id)) }
    /// False on a CPU (or OS) that cannot run this kernel: its tests are skipped, not failed.
    var isSupported: Bool { sg_gemm_kernel_supported(id) != 0 }

    static let avx512 = GEMMKernel(id: Int32(SG_GEMM_KERNEL_AVX512))
    static let avx2 = GEMMKernel(id: Int32(SG_GEMM_KERNEL_AVX2))
    static let generic = GEMMKernel(id: Int32(SG_GEMM_KERNEL_GENERIC))

    /// The families this CPU can run: the arguments of tests that check each one, so a family
    /// the CPU lacks is left out rather than passed without a check.
    static let supported = [avx512, avx2, generic].filter(\.isSupported)
}

/// Deterministic pseudo-random floats in [-1, 1) (a 64-bit LCG), so failures reproduce.
struct SeededFloats {
    private var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> Float {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int64(bitPattern: state >> 40) - (1 << 23)) / Float(1 << 23)
    }
    mutating func array(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }
}

/// One GEMM call: shapes, transposes, strides with padding, and an offset so that no
/// operand starts on an aligned address.
struct GEMMProblem: CustomStringConvertible {
    var m, n, k: Int
    var transA = false, transB = false
    var alpha: Float = 1, beta: Float = 0
    /// Extra elements per stored row beyond what the shape needs (lda > cols).
    var padA = 3, padB = 1, padC = 2
    /// Offset in elements of each operand's first element from the start of its buffer.
    var offset = 1

    var description: String {
        "\(m)x\(n)x\(k) transA=\(transA) transB=\(transB) alpha=\(alpha) beta=\(beta)"
    }
    var lda: Int { (transA ? m : k) + padA }
    var ldb: Int { (transB ? k : n) + padB }
    var ldc: Int { n + padC }
    var rowsA: Int { transA ? k : m }
    var rowsB: Int { transB ? n : k }

    /// Buffers for A, B and the starting C (NaN everywhere when beta == 0, to prove C is
    /// not read).
    func makeOperands(seed: UInt64) -> (a: [Float], b: [Float], c: [Float]) {
        var rng = SeededFloats(seed: seed)
        let a = rng.array(offset + rowsA * lda)
        let b = rng.array(offset + rowsB * ldb)
        let c = beta == 0 ? [Float](repeating: .nan, count: offset + m * ldc)
                          : rng.array(offset + m * ldc)
        return (a, b, c)
    }

    /// Runs `sg_sgemm_with_kernel` on copies of the operands with `threads` threads and
    /// returns the new C buffer.
    func run(kernel: GEMMKernel, a: [Float], b: [Float], c: [Float], threads: Int32 = 1) -> [Float] {
        run(kernel: kernel, a: a, b: b, c: c, context: sg_gemm_context(threads: threads, help_board: nil, help_slot: 0, precision: 0))
    }

    /// Runs `sg_sgemm_with_kernel` on copies of the operands as `context` says and returns the
    /// new C buffer.
    func run(kernel: GEMMKernel, a: [Float], b: [Float], c: [Float], context: sg_gemm_context) -> [Float] {
        var out = c
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    sg_sgemm_with_kernel(kernel.id, context, transA ? 1 : 0, transB ? 1 : 0,
                                         m, n, k, alpha,
                                         pa.baseAddress! + offset, lda,
                                         pb.baseAddress! + offset, ldb,
                                         beta, pc.baseAddress! + offset, ldc)
                }
            }
        }
        return out
    }

    /// Largest violation of |C - ref| <= tol over all elements, as a human-readable message;
    /// nil when every element is within tolerance and the padding of C is untouched.
    ///
    /// The reference accumulates in Double. The bound is a forward error bound for a float
    /// dot product, `4 (K + 2) eps (|alpha| sum |a_p b_p| + |beta c|)`, a small multiple of
    /// K * Float.ulpOfOne relative to the magnitudes involved.
    func firstMismatch(result: [Float], a: [Float], b: [Float], c: [Float]) -> String? {
        let eps = Double(Float.ulpOfOne)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let x = Double(transA ? a[offset + p * lda + i] : a[offset + i * lda + p])
                    let y = Double(transB ? b[offset + j * ldb + p] : b[offset + p * ldb + j])
                    sum += x * y
                    magnitude += abs(x * y)
                }
                let old = Double(c[offset + i * ldc + j])
                let reference = Double(alpha) * sum + (beta == 0 ? 0 : Double(beta) * old)
                let bound = 4 * Double(k + 2) * eps
                    * (abs(Double(alpha)) * magnitude + (beta == 0 ? 0 : abs(Double(beta) * old)))
                let got = Double(result[offset + i * ldc + j])
                if !(abs(got - reference) <= bound) {
                    return "C[\(i)][\(j)] = \(got), expected \(reference) ± \(bound)"
                }
            }
            for j in n..<ldc where offset + i * ldc + j < c.count {
                let index = offset + i * ldc + j
                if result[index].bitPattern != c[index].bitPattern {
                    return "padding C[\(i)][\(j)] was overwritten"
                }
            }
        }
        if result[0].bitPattern != c[0].bitPattern { return "element before C was overwritten" }
        return nil
    }

    /// C as the fused-multiply-add families define each element, bit for bit: K cut into blocks
    /// of `blockDepth`; in each block a sum that starts at +0 and takes one fused multiply-add
    /// per k in order; then C = alpha · sum, plus beta · C in one fused multiply-add (beta for
    /// the first block, where 0 means C is not read, and 1 for the blocks after it). The
    /// padding of C is left as it was.
    func fusedDefinition(a: [Float], b: [Float], c: [Float], blockDepth: Int) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var value = c[offset + i * ldc + j]
                for start in stride(from: 0, to: k, by: blockDepth) {
                    var sum: Float = 0
                    for p in start..<Swift.min(k, start + blockDepth) {
                        let x = transA ? a[offset + p * lda + i] : a[offset + i * lda + p]
                        let y = transB ? b[offset + j * ldb + p] : b[offset + p * ldb + j]
                        sum.addProduct(x, y)
                    }
                    let scale = start == 0 ? beta : 1
                    value = scale == 0 ? alpha * sum : (alpha * sum).addingProduct(scale, value)
                }
                out[offset + i * ldc + j] = value
            }
        }
        return out
    }
}

/// Every (transA, transB) combination.
let allTransposes: [(transA: Bool, transB: Bool)] = [(false, false), (true, false), (false, true), (true, true)]

extension GEMMProblem {
    /// Runs the problem once on `kernel` with operands from `seed` and expects C within the
    /// Double reference's bound (see `firstMismatch`).
    func expectMatchesReference(kernel: GEMMKernel, seed: UInt64,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        let (a, b, c) = makeOperands(seed: seed)
        let result = run(kernel: kernel, a: a, b: b, c: c)
        let mismatch = firstMismatch(result: result, a: a, b: b, c: c)
        #expect(mismatch == nil, "\(kernel) \(self): \(mismatch ?? "")", sourceLocation: sourceLocation)
    }

    /// Runs the problem on `kernel` with one thread and with each of `threadCounts`, operands
    /// from `seed`, and expects the same bits in all of C's buffer every time. With
    /// `checkingReference`, the one-thread result must also be within the reference's bound.
    func expectSameBitsAcrossThreads(kernel: GEMMKernel, seed: UInt64, threadCounts: [Int32] = [2, 3],
                                     checkingReference: Bool = false,
                                     sourceLocation: SourceLocation = #_sourceLocation) {
        let (a, b, c) = makeOperands(seed: seed)
        let one = run(kernel: kernel, a: a, b: b, c: c, threads: 1)
        if checkingReference {
            let mismatch = firstMismatch(result: one, a: a, b: b, c: c)
            #expect(mismatch == nil, "\(kernel) \(self): \(mismatch ?? "")", sourceLocation: sourceLocation)
        }
        for threads in threadCounts {
            let many = run(kernel: kernel, a: a, b: b, c: c, threads: threads)
            #expect(one.map(\.bitPattern) == many.map(\.bitPattern),
                    "\(kernel) \(self): \(threads) threads differ from 1", sourceLocation: sourceLocation)
        }
    }
}
