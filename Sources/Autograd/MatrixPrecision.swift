import CKernels

/// What the matrix products of an op compute from: Float32 inputs, or inputs rounded to
/// bfloat16 with the products summed in Float32 (mixed precision).
///
/// Only matrix products change: elementwise ops, losses, reductions and everything an optimizer
/// keeps stay Float32, and a product's output is always Float32.
///
/// Under ``bf16`` each input of a product is rounded to the nearest bfloat16 (ties to even): 8
/// bits of mantissa, but the 8-bit exponent of Float32, so no value that Float32 holds
/// overflows or underflows into the subnormals any sooner, and no loss scaling is needed (as it
/// is for float16, whose 5-bit exponent flushes small gradients). The products of two bfloat16
/// values are exact in Float32 and are summed in a fixed order, so the result is the same bits
/// on every x86 CPU, whether it has bf16 instructions (`vdpbf16ps`) or not
/// (`sg_sgemm_bf16_reference` in `CKernels.h` defines them). Elsewhere subnormal results are
/// flushed in software, and only a sum within 2⁻²⁴ of the smallest normal Float32 may differ.
///
/// ```swift
/// let kernels = KernelContext(threads: 4, precision: .bf16)
/// let y = Tensor.dense(x, w, b, activation: .relu, kernels: kernels)   // x·W from bf16 inputs
/// ```
public enum MatrixPrecision: String, Sendable, Hashable, CaseIterable {
    /// Float32 inputs, multiply-adds in Float32: the default.
    case float32
    /// Inputs rounded to bfloat16, products summed in Float32.
    case bf16

    /// Whether bf16 products run on this CPU's own bf16 dot product, `vdpbf16ps`: where the CPU
    /// has it, it gives the definition's bits (checked once), and one takes at most the time of
    /// two Float32 fused multiply-adds (timed once), as on Zen 4. Then a ``bf16`` product runs
    /// about twice as fast as a ``float32`` one. ``bf16Products`` says why not, elsewhere.
    public static var hasNativeBF16Products: Bool {
        sg_gemm_detected_bf16_kernel() == Int32(SG_GEMM_KERNEL_AVX512_BF16)
    }

    /// How this CPU computes a ``bf16`` product. Every way gives the same bits.
    public enum BF16Products: Sendable, Hashable {
        /// With its bf16 dot product, `vdpbf16ps` (``hasNativeBF16Products``).
        case dotProduct
        /// With two Float32 fused multiply-adds per pair, as the CPU has no bf16 dot-product
        /// instructions (AVX512-BF16): at about a ``MatrixPrecision/float32`` product's rate or a
        /// little under, as the inputs are rounded too (0.88–1.01× end to end on Zen 2 and 3).
        case multiplyAddsWithoutDotProduct
        /// With multiply-adds, as the CPU's `vdpbf16ps` gave other bits than the definition's in
        /// the start-up check.
        case multiplyAddsAfterFailedCheck
        /// With multiply-adds, as the CPU's `vdpbf16ps` takes longer than two of them: Intel's
        /// Sapphire and Emerald Rapids issue it at a quarter of the rate of their Float32
        /// multiply-add. A product then runs at about the rate of a ``MatrixPrecision/float32``
        /// one (0.92–1.23× on the MLP's large shapes on Emerald Rapids), not faster.
        case multiplyAddsFasterThanDotProduct
    }

    /// How this CPU computes a ``bf16`` product, decided at the first one.
    public static var bf16Products: BF16Products {
        if hasNativeBF16Products { return .dotProduct }
        if sg_cpu_has_bf16_instructions() == 0 { return .multiplyAddsWithoutDotProduct }
        if sg_gemm_kernel_supported(Int32(SG_GEMM_KERNEL_AVX512_BF16)) == 0 { return .multiplyAddsAfterFailedCheck }
        return .multiplyAddsFasterThanDotProduct
    }

    /// The micro-kernel family this precision's products use on this CPU, as a train report's
    /// `matrix_kernel` records it: `avx512`, `avx2` or `generic` for ``float32``; for ``bf16``
    /// `avx512-bf16` where ``hasNativeBF16Products``, else the Float32 family, whose fused
    /// multiply-adds then compute each pair.
    public var kernelName: String {
        switch self {
        case .float32: String(cString: sg_gemm_kernel_name())
        case .bf16: String(cString: sg_gemm_kernel_label(sg_gemm_detected_bf16_kernel()))
        }
    }

    /// The precision as `sg_gemm_context.precision` takes it.
    var gemmPrecision: Int32 {
        switch self {
        case .float32: Int32(SG_PRECISION_FLOAT32)
        case .bf16: Int32(SG_PRECISION_BF16)
        }
    }
}
