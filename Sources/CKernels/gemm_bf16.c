// bf16 products: for now every kernel family computes them by the definition
// (sg_sgemm_bf16_reference), one element at a time.

#include "gemm_internal.h"

void sg_gemm_bf16(int kernel, sg_gemm_context context, int transA, int transB, long M, long N,
                  long K, float alpha, const float *A, long lda, const float *B, long ldb,
                  float beta, float *C, long ldc) {
    (void)kernel;
    (void)context;
    sg_sgemm_bf16_reference(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
