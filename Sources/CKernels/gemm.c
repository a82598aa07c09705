#include "CKernels.h"

// Plain reference implementation; replaced by the packed, cache-blocked kernels.
void sg_sgemm(int transA, int transB, long M, long N, long K, float alpha,
              const float *A, long lda, const float *B, long ldb,
              float beta, float *C, long ldc, int threads) {
    (void)threads;
    for (long i = 0; i < M; i++) {
        for (long j = 0; j < N; j++) {
            float acc = 0;
            for (long p = 0; p < K; p++) {
                float a = transA ? A[p * lda + i] : A[i * lda + p];
                float b = transB ? B[j * ldb + p] : B[p * ldb + j];
                acc += a * b;
            }
            C[i * ldc + j] = (beta == 0 ? 0 : beta * C[i * ldc + j]) + alpha * acc;
        }
    }
}

const char *sg_gemm_kernel_name(void) { return "generic"; }
