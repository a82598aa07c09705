// The definition of a bf16 matrix product (see sg_sgemm_bf16_reference in CKernels.h), one
// element of C at a time, and the rounding of Float32 to bfloat16 that every bf16 kernel uses.

#include "gemm_internal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

uint16_t sg_bf16_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7F800000u) == 0) return (uint16_t)((u >> 16) & 0x8000u);           // zero, subnormal
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x0040u);   // NaN: quiet
    u += 0x7FFFu + ((u >> 16) & 1u);                                               // nearest even
    return (uint16_t)(u >> 16);
}

float sg_bf16_to_float(uint16_t bits) {
    const uint32_t u = (uint32_t)bits << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

float sg_round_to_bf16(float x) { return sg_bf16_to_float(sg_bf16_bits(x)); }

#if !SG_X86
/// Step 4 of the definition in software: a subnormal result becomes a zero of its sign.
static inline float flush(float x) { return fabsf(x) < 1.17549435e-38f ? copysignf(0.0f, x) : x; }
#endif

/// op(X)[i][j] rounded to bf16; subnormal inputs are already zero after the rounding.
static inline float element(const float *x, long ld, int trans, long i, long j) {
    return sg_round_to_bf16(trans ? x[j * ld + i] : x[i * ld + j]);
}

void sg_sgemm_bf16_reference(int transA, int transB, long M, long N, long K, float alpha,
                             const float *A, long lda, const float *B, long ldb, float beta,
                             float *C, long ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0.0f) {
        // No products: C = beta * C, as a Float32 product does (beta == 0 writes zeros).
        for (long i = 0; i < M; i++)
            for (long j = 0; j < N; j++) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return;
    }
#if SG_X86
    const unsigned saved = _mm_getcsr();
    _mm_setcsr(SG_BF16_MXCSR);  // FTZ, DAZ, nearest even, whatever the caller had
#define FLUSH(x) (x)
#else
#define FLUSH(x) flush(x)
#endif
    for (long i = 0; i < M; i++) {
        for (long j = 0; j < N; j++) {
            float *c = C + i * ldc + j;
            for (long k0 = 0; k0 < K; k0 += SG_BF16_KC) {
                const long k1 = k0 + SG_BF16_KC < K ? k0 + SG_BF16_KC : K;
                volatile float s = 0.0f;  // volatile: no reassociation, each step rounded
                for (long k = k0; k < k1; k += 2) {
                    const float a1 = k + 1 < k1 ? element(A, lda, transA, i, k + 1) : 0.0f;
                    const float b1 = k + 1 < k1 ? element(B, ldb, transB, k + 1, j) : 0.0f;
                    s = FLUSH(fmaf(a1, b1, s));
                    s = FLUSH(fmaf(element(A, lda, transA, i, k), element(B, ldb, transB, k, j), s));
                }
                const float b = k0 == 0 ? beta : 1.0f;
                const float r = FLUSH(alpha * s);
                *c = b == 0.0f ? r : FLUSH(fmaf(b, FLUSH(*c), r));
            }
        }
    }
#undef FLUSH
#if SG_X86
    _mm_setcsr(saved);
#endif
}
