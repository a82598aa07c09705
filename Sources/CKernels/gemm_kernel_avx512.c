// The AVX-512 GEMM micro-kernel (12 x 32): 24 zmm accumulators, two zmm for the row of B and one
// broadcast register, of the 32 that AVX-512 has (see the blocking table in gemm_internal.h). Two
// entry points share one body: A from a packed micro-panel, or A's rows read where they are.

#include "gemm_internal.h"

#if SG_X86

#define MR SG_AVX512_MR
#define NR SG_AVX512_NR

/// The tile's element (i, p) of A is a[i * ars + p * acs]: ars = 1, acs = MR for a packed
/// micro-panel; ars = lda, acs = 1 for rows read in place. Either way each accumulator takes the
/// same fused multiply-adds in the same order.
SG_AVX512 static inline __attribute__((always_inline)) void
ukernel_body(const int R, int n, long kc, const float *a, const long ars, const long acs,
             const float *b, float *c, long rsc, long csc, float alpha, float beta) {
    __m512 acc[MR][2];
    // Fetch the C tile (12 rows of 128 B, often 4 KiB apart and out of L1) while the FMAs run:
    // otherwise its loads or read-for-ownership stall the stores at the end (about 3 % of a
    // 1024^2 product).
    for (int i = 0; i < R; i++) {
        _mm_prefetch((const char *)(c + i * rsc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * rsc + 31 * csc), _MM_HINT_T0);
    }
    {
        // Step 0 (kc >= 1) starts each accumulator with a fused multiply-add on +0, as a loop
        // from zeroed accumulators would: the same bits, but no array of zeros, which clang
        // would build with a memset on the stack and reload (about 1 % of a call for R >= 9).
        const __m512 zero = _mm512_setzero_ps();
        const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
        for (int i = 0; i < R; i++) {
            const __m512 ai = _mm512_set1_ps(a[i * ars]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, zero);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, zero);
        }
        a += acs;
        b += NR;
    }
    for (long p = 1; p < kc; p++) {
        const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
        for (int i = 0; i < R; i++) {
            const __m512 ai = _mm512_set1_ps(a[i * ars]);  // folds into an embedded broadcast
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
        a += acs;
        b += NR;
    }
    const __m512 va = _mm512_set1_ps(alpha);
    for (int i = 0; i < R; i++) store_row512(c + i * rsc, csc, n, acc[i][0], acc[i][1], va, beta);
}

/// One specialisation per row count, so a partial tile costs only the rows it has.
SG_AVX512 void sg_ukernel_avx512(int mr, int n, long kc, const float *a, const float *b,
                                 float *c, long rsc, long csc, float alpha, float beta) {
#define SG_CASE(R) case R: ukernel_body(R, n, kc, a, 1, MR, b, c, rsc, csc, alpha, beta); break;
    switch (mr) {
    SG_CASE(12) SG_CASE(11) SG_CASE(10) SG_CASE(9) SG_CASE(8) SG_CASE(7)
    SG_CASE(6) SG_CASE(5) SG_CASE(4) SG_CASE(3) SG_CASE(2)
    default: ukernel_body(1, n, kc, a, 1, MR, b, c, rsc, csc, alpha, beta); break;
    }
#undef SG_CASE
}

/// The same tiles with row i of A read at a + i * lda: no packed copy of A.
SG_AVX512 void sg_ukernel_avx512_rows(int mr, int n, long kc, const float *a, long lda,
                                      const float *b, float *c, long rsc, long csc, float alpha,
                                      float beta) {
#define SG_CASE(R) case R: ukernel_body(R, n, kc, a, lda, 1, b, c, rsc, csc, alpha, beta); break;
    switch (mr) {
    SG_CASE(12) SG_CASE(11) SG_CASE(10) SG_CASE(9) SG_CASE(8) SG_CASE(7)
    SG_CASE(6) SG_CASE(5) SG_CASE(4) SG_CASE(3) SG_CASE(2)
    default: ukernel_body(1, n, kc, a, lda, 1, b, c, rsc, csc, alpha, beta); break;
    }
#undef SG_CASE
}

#endif  // SG_X86
