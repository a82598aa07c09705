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

#ifdef __cplusplus
}
#endif

#endif
