// AVX-512 kernels for narrow outputs (N <= 16 with M > N): an MLP's 10-class output layer, in its
// forward product X·W and its weight gradient Xᵀ·dY. Padding N up to the micro-kernel's 32
// columns would waste most of every register tile, and packing A would cost more than such a
// product's arithmetic.

#include "gemm_internal.h"

#if SG_X86

// MARK: - Row-wise narrow kernel (any layout of A)

// All of op(B) is packed once into K rows of 16 zero-padded floats (16 KiB for K = 256,
// resident in L1), and each row of C is one zmm accumulator: acc_i += broadcast(A[i][p]) * B[p]
// for p = 0, 1, ..., K-1. A is read in place through its strides (either transpose),
// SMALLN_ROWS rows at a time so that many independent FMA chains hide the FMA latency; nothing
// of A is copied. Each element of C is one FMA chain over K in order, and threads own whole row
// blocks, so the bits do not depend on threads.

#define SMALLN_ROWS 12

SG_AVX512 static inline __attribute__((always_inline)) void
smalln_block(const int R, long K, int n, const float *a, long ars, long acs,
             const float *bpack, float *c, long ldc, float alpha, float beta) {
    __m512 acc[SMALLN_ROWS];
    for (int i = 0; i < R; i++) acc[i] = _mm512_setzero_ps();
    if (acs == 1) {
        for (long p = 0; p < K; p++) {
            const __m512 bp = _mm512_load_ps(bpack + p * 16);
            for (int i = 0; i < R; i++)
                acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i * ars + p]), bp, acc[i]);
        }
    } else {
        for (long p = 0; p < K; p++) {
            const __m512 bp = _mm512_load_ps(bpack + p * 16);
            const float *ap = a + p * acs;
            for (int i = 0; i < R; i++)
                acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(ap[i * ars]), bp, acc[i]);
        }
    }
    const __m512 va = _mm512_set1_ps(alpha), zero = _mm512_setzero_ps();
    for (int i = 0; i < R; i++) store_row512(c + i * ldc, 1, n, acc[i], zero, va, beta);
}

SG_AVX512 static void smalln_rows(long i0, long i1, long K, int n, sg_view a, const float *bpack,
                                  float *C, long ldc, float alpha, float beta) {
    long i = i0;
    for (; i + SMALLN_ROWS <= i1; i += SMALLN_ROWS)
        smalln_block(SMALLN_ROWS, K, n, a.p + i * a.rs, a.rs, a.cs, bpack, C + i * ldc, ldc,
                     alpha, beta);
#define SG_TAIL(R) case R: smalln_block(R, K, n, a.p + i * a.rs, a.rs, a.cs, bpack, C + i * ldc, \
                                        ldc, alpha, beta); break;
    switch (i1 - i) {
    SG_TAIL(11) SG_TAIL(10) SG_TAIL(9) SG_TAIL(8) SG_TAIL(7) SG_TAIL(6)
    SG_TAIL(5) SG_TAIL(4) SG_TAIL(3) SG_TAIL(2) SG_TAIL(1)
    default: break;
    }
#undef SG_TAIL
}

/// op(B) packed once, rows of C split in whole blocks of SMALLN_ROWS between threads.
void sg_gemm_avx512_narrow(long M, int N, long K, float alpha, sg_view a, sg_view b, float beta,
                           float *C, long ldc, int threads, const float *bpacked) {
    float *owned = NULL;
    if (!bpacked) {
        owned = alloc_floats(K * 16);
        if (!owned) abort();
        sg_pack_b_panel(b, 0, K, 0, N, 16, owned);
    }
    const float *bpack = bpacked ? bpacked : owned;
    const long blocks = ceil_div(M, SMALLN_ROWS);
    // Flops as the 16-wide kernel does them, padding columns included.
    const int nth = gemm_team_size(threads, blocks, 2.0 * M * 16 * K);
    if (nth == 1) {
        smalln_rows(0, M, K, N, a, bpack, C, ldc, alpha, beta);
    } else {
#pragma omp parallel num_threads(nth)
        {
            long i0, i1;
            sg_team_rows(M, SMALLN_ROWS, &i0, &i1);
            smalln_rows(i0, i1, K, N, a, bpack, C, ldc, alpha, beta);
        }
    }
    free(owned);
}

// MARK: - Narrow output with transposed A

// The weight gradient of a narrow layer, X^T dY (M = fan-in, N = 10, K = batch), reads op(A)
// = X^T, whose columns are X's rows: contiguous along M. Vectorising along M instead of N uses
// all 16 lanes of every zmm (one zmm per 16 rows of one column of C), where the row-wise
// narrow kernel above fills only N of them. Per k step: NARROWT_V vectors of A's row p
// (masked past row M), one broadcast of B[p][j] per column, NARROWT_V x G FMAs. op(B) is read
// in place (K x N, a few KiB, L1-resident). Each C element is still one FMA chain over
// k = 0...K-1 in order, so the bits match the row-wise kernel's and do not depend on threads
// (threads own blocks of 16 * NARROWT_V rows).

#define NARROWT_V 2    // zmm vectors along M per block: 32 rows
#define NARROWT_G 12   // most columns per pass: 12 x 2 accumulators + 2 A vectors

SG_AVX512 static inline __attribute__((always_inline)) void
narrowt_block(const int V, const int G, long K, int m, const float *a, long acs,
              const float *b, long brs, long bcs, float *c, long ldc, float alpha,
              float beta) {
    __mmask16 mk[NARROWT_V];
    for (int v = 0; v < V; v++) mk[v] = lane_mask(m - 16 * v);
    __m512 acc[NARROWT_G][NARROWT_V];
    for (int g = 0; g < G; g++)
        for (int v = 0; v < V; v++) acc[g][v] = _mm512_setzero_ps();
    for (long p = 0; p < K; p++) {
        const float *ap = a + p * acs, *bp = b + p * brs;
        __m512 av[NARROWT_V];
        for (int v = 0; v < V; v++) av[v] = _mm512_maskz_loadu_ps(mk[v], ap + 16 * v);
        for (int g = 0; g < G; g++) {
            const __m512 bj = _mm512_set1_ps(bp[g * bcs]);
            for (int v = 0; v < V; v++) acc[g][v] = _mm512_fmadd_ps(bj, av[v], acc[g][v]);
        }
    }
    // C's rows are strided by ldc: go through a small column-major buffer.
    float t[NARROWT_G][16 * NARROWT_V] __attribute__((aligned(64)));
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    if (beta != 0.0f)
        for (int i = 0; i < m; i++)
            for (int g = 0; g < G; g++) t[g][i] = c[i * ldc + g];
    for (int g = 0; g < G; g++)
        for (int v = 0; v < V; v++) {
            __m512 r = _mm512_mul_ps(va, acc[g][v]);
            if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_load_ps(&t[g][16 * v]), r);
            _mm512_store_ps(&t[g][16 * v], r);
        }
    for (int i = 0; i < m; i++)
        for (int g = 0; g < G; g++) c[i * ldc + g] = t[g][i];
}

/// Columns [j0, j0 + g) of rows [i0, i0 + m), m <= 16 * NARROWT_V, g <= NARROWT_G.
SG_AVX512 static void narrowt_tile(int m, int g, long K, sg_view a, sg_view b, long i0, long j0,
                                   float *C, long ldc, float alpha, float beta) {
    const float *ap = a.p + i0;  // a.rs == 1
    const float *bp = b.p + j0 * b.cs;
    float *cp = C + i0 * ldc + j0;
#define SG_G(V, G) case G: narrowt_block(V, G, K, m, ap, a.cs, bp, b.rs, b.cs, cp, ldc, alpha, \
                                         beta); break;
#define SG_GS(V) switch (g) { SG_G(V, 12) SG_G(V, 11) SG_G(V, 10) SG_G(V, 9) SG_G(V, 8)     \
                              SG_G(V, 7) SG_G(V, 6) SG_G(V, 5) SG_G(V, 4) SG_G(V, 3) SG_G(V, 2) \
                              default: narrowt_block(V, 1, K, m, ap, a.cs, bp, b.rs, b.cs, cp,  \
                                                     ldc, alpha, beta); break; }
    if (m > 16) { SG_GS(2) } else { SG_GS(1) }
#undef SG_GS
#undef SG_G
}

SG_AVX512 static void narrowt_rows(long i0, long i1, int N, long K, sg_view a, sg_view b,
                                   float *C, long ldc, float alpha, float beta) {
    // N <= 12 in one pass; 13...16 in two passes of at most 8 columns.
    const int passes = N <= NARROWT_G ? 1 : 2;
    for (long i = i0; i < i1; i += 16 * NARROWT_V) {
        const int m = (int)min_l(16 * NARROWT_V, i1 - i);
        for (int q = 0; q < passes; q++) {
            const int j0 = N * q / passes, j1 = N * (q + 1) / passes;
            narrowt_tile(m, j1 - j0, K, a, b, i, j0, C, ldc, alpha, beta);
        }
    }
}

/// Rows of C split in whole blocks of 16 * NARROWT_V between threads.
void sg_gemm_avx512_narrow_t(long M, int N, long K, float alpha, sg_view a, sg_view b,
                             float beta, float *C, long ldc, int threads) {
    const long rows = 16 * NARROWT_V, blocks = ceil_div(M, rows);
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
