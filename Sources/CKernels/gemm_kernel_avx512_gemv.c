// AVX-512 matrix-vector products: a single output column (N == 1), as logistic regression's w or
// a regression head computes. Packing gains nothing here: C[i] = Σ_p A[i][p]·B[p] is a dot
// product when the rows of op(A) are contiguous, and C = Σ_p B[p]·(column p of op(A)) an AXPY
// sweep when its columns are. Each element of C still sums over K in one fixed order, and
// threads split rows only, so results do not depend on the thread count.

#include "gemm_internal.h"
#include "parallel.h"

#if SG_X86

__attribute__((target("avx512f")))
static float dot_avx512(const float *x, const float *y, long n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    long p = 0;
    for (; p + 32 <= n; p += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p), _mm512_loadu_ps(y + p), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p + 16), _mm512_loadu_ps(y + p + 16), s1);
    }
    if (p + 16 <= n) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p), _mm512_loadu_ps(y + p), s0);
        p += 16;
    }
    if (p < n) {
        const __mmask16 mask = lane_mask((int)(n - p));
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, x + p), _mm512_maskz_loadu_ps(mask, y + p), s1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

__attribute__((target("avx512f")))
static void gemv_row_range(long K, float alpha, sg_view a, const float *x, float beta, float *C, long ldc,
                           long begin, long end) {
    for (long i = begin; i < end; i++) {
        const float dot = dot_avx512(a.p + i * a.rs, x, K);
        C[i * ldc] = beta == 0.0f ? alpha * dot : alpha * dot + beta * C[i * ldc];
    }
}

/// Rows of op(A) contiguous (a.cs == 1): one dot product per element of C.
__attribute__((target("avx512f")))
static void gemv_rows(long M, long K, float alpha, sg_view a, const float *x, float beta, float *C, long ldc,
                      int threads) {
    const int nth = (threads > 1 && M * K >= (1L << 20)) ? threads : 1;
    if (nth == 1) { gemv_row_range(K, alpha, a, x, beta, C, ldc, 0, M); return; }
#pragma omp parallel num_threads(nth)
    {
        long begin, end;
        static_share(M, &begin, &end);
        gemv_row_range(K, alpha, a, x, beta, C, ldc, begin, end);
    }
}

/// Columns of op(A) contiguous (a.rs == 1): C accumulates x[p] times column p, p in order.
__attribute__((target("avx512f")))
static void gemv_columns(long M, long K, float alpha, sg_view a, const float *x, float beta, float *C, long ldc) {
    float *acc = alloc_floats(M);
    if (!acc) abort();
    for (long i = 0; i < M; i++) acc[i] = 0.0f;
    for (long p = 0; p < K; p++) {
        const float xp = x[p];
        const float *column = a.p + p * a.cs;   // op(A)[·][p], contiguous (a.rs == 1)
        for (long i = 0; i < M; i++) acc[i] += xp * column[i];
    }
    for (long i = 0; i < M; i++) C[i * ldc] = beta == 0.0f ? alpha * acc[i] : alpha * acc[i] + beta * C[i * ldc];
    free(acc);
}

void sg_gemm_avx512_gemv(long M, long K, float alpha, sg_view a, sg_view b, float beta,
                         float *C, long ldc, int threads) {
    // op(B) is K x 1: gather its column when it is strided.
    float stack[256];
    float *x = (float *)b.p;
    float *owned = NULL;
    if (b.rs != 1) {
        x = K <= 256 ? stack : (owned = malloc((size_t)K * sizeof(float)));
        if (!x) abort();
        for (long p = 0; p < K; p++) x[p] = b.p[p * b.rs];
    }
    if (a.cs == 1) gemv_rows(M, K, alpha, a, x, beta, C, ldc, threads);
    else gemv_columns(M, K, alpha, a, x, beta, C, ldc);
    free(owned);
}

#endif  // SG_X86
