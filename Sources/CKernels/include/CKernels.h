#ifndef SWIFTGRAD_CKERNELS_H
#define SWIFTGRAD_CKERNELS_H

/// SwiftGrad's C kernels: the hot loops of a training step, compiled with OpenMP.
///
/// Every kernel takes an explicit thread count. A kernel never starts more threads than it is
/// given, and its result does not depend on that count: work is split over output elements,
/// never over a reduction, so one thread and eight produce the same bits.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Single-precision general matrix product on row-major operands:
/// `C = alpha * op(A) * op(B) + beta * C`, where `op(X)` is `X` or its transpose.
///
/// - `op(A)` is M x K, `op(B)` is K x N, `C` is M x N.
/// - `lda`, `ldb`, `ldc` are the row strides (in elements) of A, B and C as stored.
/// - `beta == 0` overwrites C without reading it (NaN in C does not propagate).
/// - `threads <= 0` means one thread.
void sg_sgemm(int transA, int transB,
              long M, long N, long K,
              float alpha,
              const float *A, long lda,
              const float *B, long ldb,
              float beta,
              float *C, long ldc,
              int threads);

/// The instruction set the GEMM micro-kernel uses on this CPU: "avx512", "avx2" or "generic".
const char *sg_gemm_kernel_name(void);

/// GEMM micro-kernel families, for `sg_sgemm_with_kernel` and the tests that check each one
/// against a reference whatever CPU they run on.
enum {
    SG_GEMM_KERNEL_GENERIC = 0,  ///< portable C, any CPU
    SG_GEMM_KERNEL_AVX2 = 1,     ///< x86-64 with AVX2 and FMA
    SG_GEMM_KERNEL_AVX512 = 2,   ///< x86-64 with AVX-512 F and VL
};

/// 1 if this CPU (and operating system) can run `kernel`, else 0.
int sg_gemm_kernel_supported(int kernel);

/// The fastest kernel this CPU supports; the one `sg_sgemm` uses. Detected once, thread-safely.
int sg_gemm_detected_kernel(void);

/// "avx512", "avx2", "generic" (or "unknown") for a kernel constant.
const char *sg_gemm_kernel_label(int kernel);

/// `sg_sgemm` with an explicit micro-kernel instead of the detected one, so that tests can
/// exercise the AVX2 and portable paths on a CPU that would pick AVX-512. A kernel the CPU
/// does not support falls back to the portable one. Results are bitwise identical for any
/// `threads` with a given kernel; different kernels may differ in the last bits.
void sg_sgemm_with_kernel(int kernel, int transA, int transB,
                          long M, long N, long K,
                          float alpha,
                          const float *A, long lda,
                          const float *B, long ldb,
                          float beta,
                          float *C, long ldc,
                          int threads);

/// The all-reduce's inner loop: `out[i] = (slots[0][i] + … + slots[k-1][i]) / divisor` for
/// `i < count`, summed in slot order, so any split of the elements gives the same bits.
void sg_reduce_slots(const float *const *slots, int slot_count, float *out, long count, float divisor);

#ifdef __cplusplus
}
#endif

#endif
