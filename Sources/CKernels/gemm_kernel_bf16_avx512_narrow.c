// bf16 products with vdpbf16ps for narrow outputs (N <= 16 with M > N): an MLP's 10-class output
// layer, in its forward product X·W and its weight gradient Xᵀ·dY. The packed path would compute
// C^T in 12 x 32 tiles, packing all of A and storing C through a strided scatter; here, as in the
// Float32 narrow kernels, op(B) is packed once (K/2 pairs x 16 words, a few KiB) and A is
// rounded to bf16 as it is used, never packed as a whole.

#include "gemm_internal.h"

#if SG_X86

/// Words of one pair of a K block in the row of packed B pairs: (pc / 2) pairs precede K
/// block pc (every earlier block is full, of an even length).
#define BLOCK_WORDS(pc) ((pc) / 2 * 16)

SG_AVX512_BF16 void sg_bf16_pack_narrow_b(sg_view b, long K, int N, uint32_t *dst) {
    for (long pc = 0; pc < K; pc += SG_BF16_KC)
        sg_bf16_pack_b_native(b, pc, min_l(SG_BF16_KC, K - pc), 0, N, 0, 1, 16,
                              dst + BLOCK_WORDS(pc));
}

/// op(B) packed by sg_bf16_pack_narrow_b into a buffer of its own (freed by the caller), or
/// NULL where `bpacked` already holds it.
SG_AVX512_BF16 static uint32_t *pack_narrow_b(sg_view b, long K, int N, const uint32_t *bpacked) {
    if (bpacked) return NULL;
    uint32_t *bw = (uint32_t *)alloc_floats(sg_bf16_pairs(K) * 16);
    if (!bw) abort();
    sg_bf16_pack_narrow_b(b, K, N, bw);
    return bw;
}

// MARK: - Rows of A contiguous

// Each block of NARROW_ROWS rows is rounded into pairs one K block at a time (a 12 KiB buffer
// on the stack), then each row of C is one zmm accumulator: acc_i = vdpbf16ps(acc_i,
// broadcast(pair p of row i), packed B pair p), pairs in order, 16 lanes for N <= 16 columns.

#define NARROW_ROWS 12
#define ROW_WORDS (SG_BF16_KC / 2)   // words per row in the rounded block

SG_AVX512_BF16 static inline __attribute__((always_inline)) void
narrow_block(const int R, long kp, int n, const uint32_t *aw, const uint32_t *bw, float *c,
             long ldc, float alpha, float beta) {
    __m512 acc[NARROW_ROWS];
    for (int i = 0; i < R; i++) acc[i] = _mm512_setzero_ps();
    for (long p = 0; p < kp; p++) {
        const __m512bh bp = (__m512bh)_mm512_load_si512(bw + p * 16);
        for (int i = 0; i < R; i++)
            acc[i] = sg_bf16_dot_broadcast(acc[i], aw + i * ROW_WORDS + p, bp);
    }
    const __m512 va = _mm512_set1_ps(alpha), zero = _mm512_setzero_ps();
    for (int i = 0; i < R; i++) store_row512(c + i * ldc, 1, n, acc[i], zero, va, beta);
}

SG_AVX512_BF16 static void narrow_rows(long i0, long i1, int N, long K, sg_view a,
                                       const uint32_t *bw, float *C, long ldc, float alpha,
                                       float beta) {
    _Alignas(64) uint32_t aw[NARROW_ROWS * ROW_WORDS];
    for (long i = i0; i < i1; i += NARROW_ROWS) {
        const int R = (int)min_l(NARROW_ROWS, i1 - i);
        float *c = C + i * ldc;
        for (long pc = 0; pc < K; pc += SG_BF16_KC) {
            const long kc = min_l(SG_BF16_KC, K - pc), kp = (kc + 1) / 2;
            const float bt = pc == 0 ? beta : 1.0f;
            const uint32_t *bp = bw + BLOCK_WORDS(pc);
            sg_bf16_pack_rows_native(a.p + i * a.rs + pc, a.rs, R, kc, aw, ROW_WORDS);
#define SG_ROWS(R) case R: narrow_block(R, kp, N, aw, bp, c, ldc, alpha, bt); break;
            switch (R) {
            SG_ROWS(12) SG_ROWS(11) SG_ROWS(10) SG_ROWS(9) SG_ROWS(8) SG_ROWS(7) SG_ROWS(6)
            SG_ROWS(5) SG_ROWS(4) SG_ROWS(3) SG_ROWS(2)
            default: narrow_block(1, kp, N, aw, bp, c, ldc, alpha, bt); break;
            }
#undef SG_ROWS
        }
    }
}

typedef void (*rows_fn)(long i0, long i1, int N, long K, sg_view a, const uint32_t *bw,
                        float *C, long ldc, float alpha, float beta);

/// Runs rows_of over rows [0, M), split into blocks of `rows` rows shared among nth threads,
/// each thread under the bf16 MXCSR (set once per thread, restored after).
SG_AVX512_BF16 static void run_rows(rows_fn rows_of, long M, long rows, int nth,
                                    int N, long K, sg_view a, const uint32_t *bw, float *C,
                                    long ldc, float alpha, float beta) {
    if (nth == 1) {
        const unsigned saved = _mm_getcsr();
        _mm_setcsr(SG_BF16_MXCSR);
        rows_of(0, M, N, K, a, bw, C, ldc, alpha, beta);
        _mm_setcsr(saved);
    } else {
#pragma omp parallel num_threads(nth)
        {
            long i0, i1;
            sg_team_rows(M, rows, &i0, &i1);
            const unsigned saved = _mm_getcsr();
            _mm_setcsr(SG_BF16_MXCSR);
            rows_of(i0, i1, N, K, a, bw, C, ldc, alpha, beta);
            _mm_setcsr(saved);
        }
    }
}

SG_AVX512_BF16 void sg_gemm_bf16_narrow(long M, int N, long K, float alpha, sg_view a,
                                        sg_view b, float beta, float *C, long ldc, int threads,
                                        const uint32_t *bpacked) {
    uint32_t *owned = pack_narrow_b(b, K, N, bpacked);
    const uint32_t *bw = bpacked ? bpacked : owned;
    const long blocks = ceil_div(M, NARROW_ROWS);
    const int nth = gemm_team_size(threads, blocks, 2.0 * M * 16 * K);
    run_rows(narrow_rows, M, NARROW_ROWS, nth, N, K, a, bw, C, ldc, alpha, beta);
    free(owned);
}

// MARK: - Transposed A

// op(A) = X^T: element (i, k) at a.p[k * a.cs + i], so rows 2p and 2p+1 of X hold pair p of 16
// consecutive rows of op(A) in two contiguous runs; one vcvtne2ps2bf16 and one vpermw make the
// 16 pair words. Each zmm accumulates 16 rows of one column of C: per pair, NARROWT_V vectors of
// A's pair words, one broadcast of B's pair word per column, NARROWT_V x G vdpbf16ps. C's rows
// are strided by ldc, so a tile goes through a small column-major buffer.

#define NARROWT_V 2    // zmm vectors along M per block: 32 rows
#define NARROWT_G 12   // most columns per pass: 12 x 2 accumulators

/// One pair of the transposed narrow block: the pair words of A (even, and odd or +0) against
/// column g's pair word bp[g].
SG_AVX512_BF16 static inline __attribute__((always_inline)) void
narrowt_pair(const int V, const int G, const float *even, const float *odd, const __mmask16 *mk,
             const uint32_t *bp, __m512 acc[][NARROWT_V]) {
    __m512bh av[NARROWT_V];
    for (int v = 0; v < V; v++) {
        const __m512 e = _mm512_maskz_loadu_ps(mk[v], even + 16 * v);
        const __m512 o = odd ? _mm512_maskz_loadu_ps(mk[v], odd + 16 * v) : _mm512_setzero_ps();
        av[v] = (__m512bh)sg_bf16_pair_words(e, o);
    }
    for (int g = 0; g < G; g++)
        for (int v = 0; v < V; v++) acc[g][v] = sg_bf16_dot_broadcast(acc[g][v], bp + g, av[v]);
}

SG_AVX512_BF16 static inline __attribute__((always_inline)) void
narrowt_block(const int V, const int G, long kc, int m, const float *a, long acs,
              const uint32_t *bw, float *c, long ldc, float alpha, float beta) {
    __mmask16 mk[NARROWT_V];
    for (int v = 0; v < V; v++) mk[v] = lane_mask(m - 16 * v);
    __m512 acc[NARROWT_G][NARROWT_V];
    for (int g = 0; g < G; g++)
        for (int v = 0; v < V; v++) acc[g][v] = _mm512_setzero_ps();
    const long full = kc / 2;
    for (long p = 0; p < full; p++)
        narrowt_pair(V, G, a + 2 * p * acs, a + (2 * p + 1) * acs, mk, bw + p * 16, acc);
    // An odd K block's last element has a +0 partner.
    if (kc & 1) narrowt_pair(V, G, a + 2 * full * acs, NULL, mk, bw + full * 16, acc);
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

/// Columns [j0, j0 + g) of rows [i0, i0 + m) for K block (pc, kc), m <= 16 * NARROWT_V,
/// g <= NARROWT_G.
SG_AVX512_BF16 static void narrowt_tile(int m, int g, long pc, long kc, sg_view a,
                                        const uint32_t *bw, long i0, long j0, float *C, long ldc,
                                        float alpha, float beta) {
    const float *ap = a.p + pc * a.cs + i0;  // a.rs == 1
    const uint32_t *bp = bw + BLOCK_WORDS(pc) + j0;
    float *cp = C + i0 * ldc + j0;
#define SG_G(V, G) case G: narrowt_block(V, G, kc, m, ap, a.cs, bp, cp, ldc, alpha, beta); break;
#define SG_GS(V) switch (g) { SG_G(V, 12) SG_G(V, 11) SG_G(V, 10) SG_G(V, 9) SG_G(V, 8)     \
                              SG_G(V, 7) SG_G(V, 6) SG_G(V, 5) SG_G(V, 4) SG_G(V, 3) SG_G(V, 2) \
                              default: narrowt_block(V, 1, kc, m, ap, a.cs, bp, cp, ldc, alpha, \
                                                     beta); break; }
    if (m > 16) { SG_GS(2) } else { SG_GS(1) }
#undef SG_GS
#undef SG_G
}

SG_AVX512_BF16 static void narrowt_rows(long i0, long i1, int N, long K, sg_view a,
                                        const uint32_t *bw, float *C, long ldc, float alpha,
                                        float beta) {
    // N <= 12 in one pass; 13...16 in two passes of at most 8 columns.
    const int passes = N <= NARROWT_G ? 1 : 2;
    for (long i = i0; i < i1; i += 16 * NARROWT_V) {
        const int m = (int)min_l(16 * NARROWT_V, i1 - i);
        for (long pc = 0; pc < K; pc += SG_BF16_KC) {
            const long kc = min_l(SG_BF16_KC, K - pc);
            const float bt = pc == 0 ? beta : 1.0f;
            for (int q = 0; q < passes; q++) {
                const int j0 = N * q / passes, j1 = N * (q + 1) / passes;
                narrowt_tile(m, j1 - j0, pc, kc, a, bw, i, j0, C, ldc, alpha, bt);
            }
        }
    }
}

SG_AVX512_BF16 void sg_gemm_bf16_narrow_t(long M, int N, long K, float alpha, sg_view a,
                                          sg_view b, float beta, float *C, long ldc,
                                          int threads, const uint32_t *bpacked) {
    uint32_t *owned = pack_narrow_b(b, K, N, bpacked);
    const uint32_t *bw = bpacked ? bpacked : owned;
    const long rows = 16 * NARROWT_V, blocks = ceil_div(M, rows);
    const int nth = gemm_team_size(threads, blocks, 2.0 * M * 16 * K);
    run_rows(narrowt_rows, M, rows, nth, N, K, a, bw, C, ldc, alpha, beta);
    free(owned);
}

#endif  // SG_X86
