// bf16 products with vdpbf16ps for short reductions (K <= 16 with N > 16): the input gradient
// dY·Wᵀ of a narrow layer (K = 10: five pairs per element of C). At that depth the packed path
// spends more on packing A and on its 12 x 32 tiles' set-up than on the products. Here op(B) is
// packed once in pairs (K/2 rows of roundup(N, 16) words), each thread rounds its rows of op(A)
// into pairs once (at most 8 words a row), and a tile of SMALLK_R rows x SMALLK_V zmm of C is
// accumulated over the pairs in order and stored once.

#include "gemm_internal.h"

#if SG_X86

#define SMALLK_R 6   // rows of C per tile
#define SMALLK_V 4   // zmm vectors (64 columns) per tile: 24 accumulators

/// Word p of row r of op(A) in pairs is aw[r * ars + p * aps].
SG_AVX512_BF16 static inline __attribute__((always_inline)) void
smallk_tile(const int R, const int V, long kp, int n, const uint32_t *aw, long ars, long aps,
            const uint32_t *bw, long ldbw, float *c, long ldc, float alpha, float beta) {
    __m512 acc[SMALLK_R][SMALLK_V];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps();
    for (long p = 0; p < kp; p++) {
        __m512bh bv[SMALLK_V];
        for (int v = 0; v < V; v++) bv[v] = (__m512bh)_mm512_load_si512(bw + p * ldbw + 16 * v);
        for (int r = 0; r < R; r++)
            for (int v = 0; v < V; v++)
                acc[r][v] = sg_bf16_dot_broadcast(acc[r][v], aw + r * ars + p * aps, bv[v]);
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int r = 0; r < R; r++) {
        float *cr = c + r * ldc;
        for (int v = 0; v < V; v++)
            store_vec512(cr + 16 * v, lane_mask(n - 16 * v), acc[r][v], va, vb, beta);
    }
}

SG_AVX512_BF16 static inline __attribute__((always_inline)) void
smallk_rowblock(const int R, long kp, long N, const uint32_t *aw, long ars, long aps,
                const uint32_t *bw, long ldbw, float *c, long ldc, float alpha, float beta) {
    long j = 0;
    for (; j + 16 * SMALLK_V <= N; j += 16 * SMALLK_V)
        smallk_tile(R, SMALLK_V, kp, 16 * SMALLK_V, aw, ars, aps, bw + j, ldbw, c + j, ldc,
                    alpha, beta);
    if (j < N) {
        const int n = (int)(N - j);
        const uint32_t *bp = bw + j;
        switch ((n + 15) / 16) {
        case 4: smallk_tile(R, 4, kp, n, aw, ars, aps, bp, ldbw, c + j, ldc, alpha, beta); break;
        case 3: smallk_tile(R, 3, kp, n, aw, ars, aps, bp, ldbw, c + j, ldc, alpha, beta); break;
        case 2: smallk_tile(R, 2, kp, n, aw, ars, aps, bp, ldbw, c + j, ldc, alpha, beta); break;
        default: smallk_tile(R, 1, kp, n, aw, ars, aps, bp, ldbw, c + j, ldc, alpha, beta); break;
        }
    }
}

/// Rows [i0, i1) of C: their rows of op(A) rounded into pairs in `aw` (room for (i1 - i0) * 8
/// words), then computed tile by tile.
SG_AVX512_BF16 static void smallk_rows(long i0, long i1, long N, long K, sg_view a,
                                       const uint32_t *bw, long ldbw, uint32_t *aw, float *C,
                                       long ldc, float alpha, float beta) {
    const long rows = i1 - i0, kp = (K + 1) / 2;
    long ars, aps;
    if (a.cs == 1) {
        // Rows along K: each row's pairs are contiguous.
        sg_bf16_pack_rows_native(a.p + i0 * a.rs, a.rs, rows, K, aw, kp);
        ars = kp;
        aps = 1;
    } else {
        // op(A) = A^T (a.rs == 1): pair p of every row at once, from two contiguous runs.
        sg_bf16_pack_columns_native(a.p + i0, a.cs, rows, K, aw, rows);
        ars = 1;
        aps = rows;
    }
    long i = 0;
    for (; i + SMALLK_R <= rows; i += SMALLK_R)
        smallk_rowblock(SMALLK_R, kp, N, aw + i * ars, ars, aps, bw, ldbw, C + (i0 + i) * ldc,
                        ldc, alpha, beta);
#define SG_TAIL(R) case R: smallk_rowblock(R, kp, N, aw + i * ars, ars, aps, bw, ldbw, \
                                           C + (i0 + i) * ldc, ldc, alpha, beta); break;
    switch (rows - i) {
    SG_TAIL(5) SG_TAIL(4) SG_TAIL(3) SG_TAIL(2) SG_TAIL(1)
    default: break;
    }
#undef SG_TAIL
}

SG_AVX512_BF16 void sg_gemm_bf16_small_k(long M, long N, long K, float alpha, sg_view a,
                                         sg_view b, float beta, float *C, long ldc,
                                         int threads) {
    const long ldbw = ceil_div(N, 16) * 16, kp = (K + 1) / 2;
    // One panel ldbw words wide: pair p of column j at bw[p * ldbw + j], zero past N.
    uint32_t *bw = (uint32_t *)alloc_floats(kp * ldbw);
    uint32_t *aw = (uint32_t *)alloc_floats(M * kp);
    if (!bw || !aw) abort();
    sg_bf16_pack_b_native(b, 0, K, 0, N, 0, 1, (int)ldbw, bw);
    const long blocks = ceil_div(M, SMALLK_R);
    const int nth = gemm_team_size(threads, blocks, 2.0 * M * ldbw * K);
    if (nth == 1) {
        const unsigned saved = _mm_getcsr();
        _mm_setcsr(SG_BF16_MXCSR);
        smallk_rows(0, M, N, K, a, bw, ldbw, aw, C, ldc, alpha, beta);
        _mm_setcsr(saved);
    } else {
#pragma omp parallel num_threads(nth)
        {
            long i0, i1;
            sg_team_rows(M, SMALLK_R, &i0, &i1);
            const unsigned saved = _mm_getcsr();
            _mm_setcsr(SG_BF16_MXCSR);
            if (i1 > i0) smallk_rows(i0, i1, N, K, a, bw, ldbw, aw + i0 * kp, C, ldc, alpha, beta);
            _mm_setcsr(saved);
        }
    }
    free(aw);
    free(bw);
}

#endif  // SG_X86
