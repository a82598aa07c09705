// The AVX-512 kernel for short reductions (K <= 16 with N > 16).
//
// The input gradient of a narrow layer, dY W^T (K = 10), does only K multiply-adds per element
// of C: packing A into micro-panels and running the 12 x 32 kernel for 10 steps costs a
// noticeable share of the time. Here op(B) alone is packed once (K rows of N floats, padded to
// 16), A is broadcast straight from its rows (either transpose), and a tile of SMALLK_R rows x
// SMALLK_V zmm of C is accumulated over all K steps and stored once. Each C element is one FMA
// chain over k = 0...K-1 in order, exactly as in the packed path; threads own row blocks.

#include "gemm_internal.h"

#if SG_X86

#define SMALLK_R 6   // rows of C per tile
#define SMALLK_V 4   // zmm vectors (64 columns) per tile: 24 accumulators

SG_AVX512 static inline __attribute__((always_inline)) void
smallk_tile(const int R, const int V, long K, int n, const float *a, long ars, long acs,
            const float *bpack, long ldbp, float *c, long ldc, float alpha, float beta) {
    __m512 acc[SMALLK_R][SMALLK_V];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps();
    for (long p = 0; p < K; p++) {
        __m512 bv[SMALLK_V];
        for (int v = 0; v < V; v++) bv[v] = _mm512_load_ps(bpack + p * ldbp + 16 * v);
        for (int r = 0; r < R; r++) {
            const __m512 ar = _mm512_set1_ps(a[r * ars + p * acs]);
            for (int v = 0; v < V; v++) acc[r][v] = _mm512_fmadd_ps(ar, bv[v], acc[r][v]);
        }
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int r = 0; r < R; r++) {
        float *cr = c + r * ldc;
        for (int v = 0; v < V; v++)
            store_vec512(cr + 16 * v, lane_mask(n - 16 * v), acc[r][v], va, vb, beta);
    }
}

SG_AVX512 static inline __attribute__((always_inline)) void
smallk_rowblock(const int R, long K, long N, const float *a, long ars, long acs,
                const float *bpack, long ldbp, float *c, long ldc, float alpha, float beta) {
    long j = 0;
    for (; j + 16 * SMALLK_V <= N; j += 16 * SMALLK_V)
        smallk_tile(R, SMALLK_V, K, 16 * SMALLK_V, a, ars, acs, bpack + j, ldbp, c + j, ldc,
                    alpha, beta);
    if (j < N) {
        const int n = (int)(N - j), v = (n + 15) / 16;
        const float *bp = bpack + j;
        switch (v) {
        case 4: smallk_tile(R, 4, K, n, a, ars, acs, bp, ldbp, c + j, ldc, alpha, beta); break;
        case 3: smallk_tile(R, 3, K, n, a, ars, acs, bp, ldbp, c + j, ldc, alpha, beta); break;
        case 2: smallk_tile(R, 2, K, n, a, ars, acs, bp, ldbp, c + j, ldc, alpha, beta); break;
        default: smallk_tile(R, 1, K, n, a, ars, acs, bp, ldbp, c + j, ldc, alpha, beta); break;
        }
    }
}

SG_AVX512 static void smallk_rows(long i0, long i1, long N, long K, sg_view a,
                                  const float *bpack, long ldbp, float *C, long ldc,
                                  float alpha, float beta) {
    long i = i0;
    for (; i + SMALLK_R <= i1; i += SMALLK_R)
        smallk_rowblock(SMALLK_R, K, N, a.p + i * a.rs, a.rs, a.cs, bpack, ldbp, C + i * ldc,
                        ldc, alpha, beta);
#define SG_TAIL(R) case R: smallk_rowblock(R, K, N, a.p + i * a.rs, a.rs, a.cs, bpack, ldbp, \
                                           C + i * ldc, ldc, alpha, beta); break;
    switch (i1 - i) {
    SG_TAIL(5) SG_TAIL(4) SG_TAIL(3) SG_TAIL(2) SG_TAIL(1)
    default: break;
    }
#undef SG_TAIL
}

/// op(B) packed once into K rows of roundup(N, 16) floats, rows of C split in whole blocks of
/// SMALLK_R between threads.
void sg_gemm_avx512_small_k(long M, long N, long K, float alpha, sg_view a, sg_view b,
                            float beta, float *C, long ldc, int threads) {
    const long ldbp = ceil_div(N, 16) * 16;
    float *bpack = alloc_floats(K * ldbp);
    if (!bpack) abort();
    sg_pack_b_panel(b, 0, K, 0, N, ldbp, bpack);  // one panel ldbp wide: K x N, zero-padded
    const long blocks = ceil_div(M, SMALLK_R);
    const int nth = gemm_team_size(threads, blocks, 2.0 * M * ldbp * K);
    if (nth == 1) {
        smallk_rows(0, M, N, K, a, bpack, ldbp, C, ldc, alpha, beta);
    } else {
#pragma omp parallel num_threads(nth)
        {
            long i0, i1;
            sg_team_rows(M, SMALLK_R, &i0, &i1);
            smallk_rows(i0, i1, N, K, a, bpack, ldbp, C, ldc, alpha, beta);
        }
    }
    free(bpack);
}

#endif  // SG_X86
