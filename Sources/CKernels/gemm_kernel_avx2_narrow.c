// The AVX2 kernel for a narrow output with transposed A (N <= 16, op(A) = A^T): the weight
// gradient Xᵀ·dY of an MLP's 10-class layer (M = fan-in, N = 10, K = batch). op(A)'s rows are
// X's columns, contiguous along M, so the kernel vectorises along M: every lane of every ymm
// does useful work, where a 6 x 16 tile would fill only N of its 16 columns and would first
// have to copy all of A into transposed panels. Per k step: NARROWT_V vectors of op(A)'s
// column (masked past row M), one broadcast of op(B)[p][j] per column, NARROWT_V x G FMAs;
// op(B) is read in place (K x N, a few KiB).
//
// Every element takes the AVX2 family's arithmetic: a chain of fused multiply-adds from +0 over
// each K block of SG_AVX2_KC in order, stored as c = fma(beta', c, alpha * s) with beta' = beta
// for the first block and 1 after it, as store_row256 stores a tile. So this kernel gives the
// packed path's bits (GEMMTests checks the family against that definition), and threads, which
// own whole blocks of 8 * NARROWT_V rows, never change them.

#include "gemm_internal.h"

#if SG_X86

#define NARROWT_V 2  // ymm vectors along M per block: 16 rows
#define NARROWT_G 6  // most columns per pass: 6 x 2 accumulators, 2 vectors of A, 1 broadcast

/// Lanes [0, n) of an 8-float vector as a maskload mask.
SG_AVX2 static inline __attribute__((always_inline)) __m256i lanes256(int n) {
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), index);
}

/// Columns [0, G) of rows [0, m) of C (m <= 8 * V) for the K block of `kc` steps at `a` (op(A)'s
/// column p at a + p * acs) and `b` (op(B)'s row p at b + p * brs, column j at j * bcs).
SG_AVX2 static inline __attribute__((always_inline)) void
narrowt_block(const int V, const int G, long kc, int m, const float *a, long acs, const float *b,
              long brs, long bcs, float *c, long ldc, float alpha, float beta) {
    __m256i mk[NARROWT_V];
    for (int v = 0; v < V; v++) mk[v] = lanes256(m - 8 * v);
    __m256 acc[NARROWT_G][NARROWT_V];
    for (int g = 0; g < G; g++)
        for (int v = 0; v < V; v++) acc[g][v] = _mm256_setzero_ps();
    for (long p = 0; p < kc; p++) {
        const float *ap = a + p * acs, *bp = b + p * brs;
        __m256 av[NARROWT_V];
        for (int v = 0; v < V; v++)
            av[v] = m >= 8 * (v + 1) ? _mm256_loadu_ps(ap + 8 * v)
                                     : _mm256_maskload_ps(ap + 8 * v, mk[v]);
        for (int g = 0; g < G; g++) {
            const __m256 bj = _mm256_broadcast_ss(bp + g * bcs);
            for (int v = 0; v < V; v++) acc[g][v] = _mm256_fmadd_ps(bj, av[v], acc[g][v]);
        }
    }
    // C's rows are strided by ldc: go through a small column-major buffer.
    float t[NARROWT_G][8 * NARROWT_V] __attribute__((aligned(32)));
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    if (beta != 0.0f)
        for (int i = 0; i < m; i++)
            for (int g = 0; g < G; g++) t[g][i] = c[i * ldc + g];
    for (int g = 0; g < G; g++)
        for (int v = 0; v < V; v++) {
            __m256 r = _mm256_mul_ps(va, acc[g][v]);
            if (beta != 0.0f) r = _mm256_fmadd_ps(vb, _mm256_load_ps(&t[g][8 * v]), r);
            _mm256_store_ps(&t[g][8 * v], r);
        }
    for (int i = 0; i < m; i++)
        for (int g = 0; g < G; g++) c[i * ldc + g] = t[g][i];
}

/// Columns [j0, j0 + g) of rows [i0, i0 + m), m <= 8 * NARROWT_V, g <= NARROWT_G, over all of K
/// in blocks of SG_AVX2_KC.
SG_AVX2 static void narrowt_tile(int m, int g, long K, sg_view a, sg_view b, long i0, long j0,
                                 float *C, long ldc, float alpha, float beta) {
    float *cp = C + i0 * ldc + j0;
    for (long pc = 0; pc < K; pc += SG_AVX2_KC) {
        const long kc = min_l(SG_AVX2_KC, K - pc);
        const float *ap = a.p + i0 + pc * a.cs;  // a.rs == 1
        const float *bp = b.p + pc * b.rs + j0 * b.cs;
        const float block_beta = pc == 0 ? beta : 1.0f;
#define SG_G(V, G) case G: narrowt_block(V, G, kc, m, ap, a.cs, bp, b.rs, b.cs, cp, ldc, alpha, \
                                         block_beta); break;
#define SG_GS(V) switch (g) { SG_G(V, 6) SG_G(V, 5) SG_G(V, 4) SG_G(V, 3) SG_G(V, 2)           \
                              default: narrowt_block(V, 1, kc, m, ap, a.cs, bp, b.rs, b.cs, cp, \
                                                     ldc, alpha, block_beta); break; }
        if (m > 8) { SG_GS(2) } else { SG_GS(1) }
#undef SG_GS
#undef SG_G
    }
}

SG_AVX2 static void narrowt_rows(long i0, long i1, int N, long K, sg_view a, sg_view b,
                                 float *C, long ldc, float alpha, float beta) {
    // N columns in the fewest passes of at most NARROWT_G, as even as can be (10: 5 and 5).
    const int passes = (N + NARROWT_G - 1) / NARROWT_G;
    for (long i = i0; i < i1; i += 8 * NARROWT_V) {
        const int m = (int)min_l(8 * NARROWT_V, i1 - i);
        for (int q = 0; q < passes; q++) {
            const int j0 = N * q / passes, j1 = N * (q + 1) / passes;
            narrowt_tile(m, j1 - j0, K, a, b, i, j0, C, ldc, alpha, beta);
        }
    }
}

/// Rows of C split in whole blocks of 8 * NARROWT_V between threads.
void sg_gemm_avx2_narrow_t(long M, int N, long K, float alpha, sg_view a, sg_view b, float beta,
                           float *C, long ldc, int threads) {
    const long rows = 8 * NARROWT_V, blocks = ceil_div(M, rows);
    const int nth = gemm_team_size(threads, blocks, 2.0 * M * 16 * K);
    if (nth == 1) {
        narrowt_rows(0, M, N, K, a, b, C, ldc, alpha, beta);
        return;
    }
#pragma omp parallel num_threads(nth)
    {
        long i0, i1;
        sg_team_rows(M, rows, &i0, &i1);
        narrowt_rows(i0, i1, N, K, a, b, C, ldc, alpha, beta);
    }
}

#endif  // SG_X86
