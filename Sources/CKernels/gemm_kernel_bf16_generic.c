// The portable bf16 micro-kernel (4 x 16): each pair of a packed word is taken odd element
// first, each product added to the running sum with one fmaf, as the definition reads. Built
// for the baseline target: any CPU, where fmaf may be a library call.

#include "gemm_internal.h"

#include <math.h>
#include <string.h>

#define MR SG_BF16_GENERIC_MR
#define NR SG_BF16_GENERIC_NR

static inline __attribute__((always_inline)) float float_of(uint32_t u) {
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static inline __attribute__((always_inline)) void
generic_body(int mr, int n, long kp, const uint32_t *a, const uint32_t *b, float *c, long rsc,
             long csc, float alpha, float beta) {
    float acc[MR][NR];
    memset(acc, 0, sizeof acc);  // +0, where the definition's sum starts
    for (long p = 0; p < kp; p++) {
        for (int i = 0; i < MR; i++) {
            const uint32_t w = a[p * MR + i];
            const float a_odd = float_of(w & 0xFFFF0000u), a_even = float_of(w << 16);
            for (int j = 0; j < NR; j++) {
                const uint32_t v = b[p * NR + j];
                const float s = sg_bf16_flush(fmaf(a_odd, float_of(v & 0xFFFF0000u), acc[i][j]));
                acc[i][j] = sg_bf16_flush(fmaf(a_even, float_of(v << 16), s));
            }
        }
    }
    for (int i = 0; i < mr; i++) {
        for (int j = 0; j < n; j++) {
            float *cij = c + i * rsc + j * csc;
            const float r = sg_bf16_flush(alpha * acc[i][j]);
            *cij = beta == 0.0f ? r : sg_bf16_flush(fmaf(beta, sg_bf16_flush(*cij), r));
        }
    }
}

void sg_bf16_ukernel_generic(int mr, int n, long kp, const uint32_t *a, const uint32_t *b,
                             float *c, long rsc, long csc, float alpha, float beta) {
    generic_body(mr, n, kp, a, b, c, rsc, csc, alpha, beta);
}
