// The portable GEMM micro-kernel (4 x 16): plain C that the compiler vectorises with whatever the
// baseline target offers (SSE2 on x86-64, NEON on arm64). Any CPU runs it; it is the fallback
// where AVX2 is missing. Two entry points: A from a packed micro-panel, or A's rows read where
// they are.

#include "gemm_internal.h"

#include <string.h>

#define MR SG_GENERIC_MR
#define NR SG_GENERIC_NR

/// Stores the mr x n corner of the accumulators: c = alpha * acc + beta * c (beta == 0: C is not
/// read).
static inline void store_tile(int mr, int n, float acc[MR][NR], float *c, long rsc, long csc,
                              float alpha, float beta) {
    for (int i = 0; i < mr; i++) {
        for (int j = 0; j < n; j++) {
            float *cij = c + i * rsc + j * csc;
            float r = alpha * acc[i][j];
            *cij = beta == 0.0f ? r : r + beta * *cij;
        }
    }
}

void sg_ukernel_generic(int mr, int n, long kc, const float *a, const float *b,
                        float *c, long rsc, long csc, float alpha, float beta) {
    float acc[MR][NR];
    memset(acc, 0, sizeof acc);
    for (long p = 0; p < kc; p++) {
        for (int i = 0; i < MR; i++) {
            const float ai = a[p * MR + i];
            for (int j = 0; j < NR; j++) acc[i][j] += ai * b[p * NR + j];
        }
    }
    store_tile(mr, n, acc, c, rsc, csc, alpha, beta);
}

/// The same tiles with row i of A read at a + i * lda. Each element of C takes the same
/// multiply-adds in the same order as above (rows past mr, zeros there, are not computed).
void sg_ukernel_generic_rows(int mr, int n, long kc, const float *a, long lda, const float *b,
                             float *c, long rsc, long csc, float alpha, float beta) {
    float acc[MR][NR];
    memset(acc, 0, sizeof acc);
    for (long p = 0; p < kc; p++) {
        for (int i = 0; i < mr; i++) {
            const float ai = a[i * lda + p];
            for (int j = 0; j < NR; j++) acc[i][j] += ai * b[p * NR + j];
        }
    }
    store_tile(mr, n, acc, c, rsc, csc, alpha, beta);
}
