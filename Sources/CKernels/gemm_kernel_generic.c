// The portable GEMM micro-kernel (4 x 16): plain C that the compiler vectorises with whatever the
// baseline target offers (SSE2 on x86-64, NEON on arm64). Any CPU runs it; it is the fallback
// where AVX2 is missing.

#include "gemm_internal.h"

#include <string.h>

#define MR SG_GENERIC_MR
#define NR SG_GENERIC_NR

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
    for (int i = 0; i < mr; i++) {
        for (int j = 0; j < n; j++) {
            float *cij = c + i * rsc + j * csc;
            float r = alpha * acc[i][j];
            *cij = beta == 0.0f ? r : r + beta * *cij;
        }
    }
}
