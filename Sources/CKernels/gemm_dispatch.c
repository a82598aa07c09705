// The GEMM's entry points: which micro-kernel family this CPU runs (detected at run time from
// its features, as the package is built without -march flags), and which path a product takes
// for its family and shape (see gemm_internal.h). The thread count and the help board decide
// how a path runs, never which one.

#include "gemm_internal.h"

#include <stdatomic.h>

// MARK: - Kernel families

static const sg_blocking blocking_generic = {SG_GENERIC_MR, SG_GENERIC_NR, SG_GENERIC_KC,
                                             SG_GENERIC_MC, SG_GENERIC_NC};
#if SG_X86
static const sg_blocking blocking_avx2 = {SG_AVX2_MR, SG_AVX2_NR, SG_AVX2_KC, SG_AVX2_MC,
                                          SG_AVX2_NC};
static const sg_blocking blocking_avx512 = {SG_AVX512_MR, SG_AVX512_NR, SG_AVX512_KC,
                                            SG_AVX512_MC, SG_AVX512_NC};
#endif

int sg_gemm_kernel_supported(int kernel) {
    switch (kernel) {
    case SG_GEMM_KERNEL_GENERIC: return 1;
#if SG_X86
    case SG_GEMM_KERNEL_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SG_GEMM_KERNEL_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SG_GEMM_KERNEL_AVX512_BF16: return sg_bf16_native_usable();
#endif
    default: return 0;
    }
}

int sg_gemm_detected_kernel(void) {
    // Detection is idempotent, so a racing first call at worst computes the same value twice;
    // the atomic makes that benign.
    static _Atomic int cached = -1;
    int k = atomic_load_explicit(&cached, memory_order_relaxed);
    if (k < 0) {
        k = sg_gemm_kernel_supported(SG_GEMM_KERNEL_AVX512) ? SG_GEMM_KERNEL_AVX512
          : sg_gemm_kernel_supported(SG_GEMM_KERNEL_AVX2)   ? SG_GEMM_KERNEL_AVX2
                                                            : SG_GEMM_KERNEL_GENERIC;
        atomic_store_explicit(&cached, k, memory_order_relaxed);
    }
    return k;
}

int sg_gemm_detected_bf16_kernel(void) {
    return sg_bf16_native_preferred() ? SG_GEMM_KERNEL_AVX512_BF16 : sg_gemm_detected_kernel();
}

const char *sg_gemm_kernel_label(int kernel) {
    switch (kernel) {
    case SG_GEMM_KERNEL_AVX512_BF16: return "avx512-bf16";
    case SG_GEMM_KERNEL_AVX512: return "avx512";
    case SG_GEMM_KERNEL_AVX2: return "avx2";
    case SG_GEMM_KERNEL_GENERIC: return "generic";
    default: return "unknown";
    }
}

const char *sg_gemm_kernel_name(void) { return sg_gemm_kernel_label(sg_gemm_detected_kernel()); }

// MARK: - Entry points

/// C = beta * C for the degenerate cases (K == 0 or alpha == 0); beta == 0 writes zeros.
static void scale_c(long M, long N, float beta, float *C, long ldc) {
    for (long i = 0; i < M; i++) {
        float *row = C + i * ldc;
        if (beta == 0.0f) for (long j = 0; j < N; j++) row[j] = 0.0f;
        else if (beta != 1.0f) for (long j = 0; j < N; j++) row[j] *= beta;
    }
}

/// The kernel family that computes a product in `precision` when `kernel` is asked for: the
/// portable one where the CPU cannot run it, and AVX-512 for the bf16 family's Float32 products.
int sg_gemm_effective_kernel(int kernel, int precision) {
    if (!sg_gemm_kernel_supported(kernel)) kernel = SG_GEMM_KERNEL_GENERIC;
    if (precision != SG_PRECISION_BF16 && kernel == SG_GEMM_KERNEL_AVX512_BF16)
        kernel = SG_GEMM_KERNEL_AVX512;
    return kernel;
}

/// The packed path's blocking of a Float32 kernel family.
static const sg_blocking *float_blocking(int kernel) {
#if SG_X86
    if (kernel == SG_GEMM_KERNEL_AVX512) return &blocking_avx512;
    if (kernel == SG_GEMM_KERNEL_AVX2) return &blocking_avx2;
#else
    (void)kernel;
#endif
    return &blocking_generic;
}

int sg_float_packed_b_layout(int kernel, long N, long K) {
#if SG_X86
    if (kernel == SG_GEMM_KERNEL_AVX512) {
        if (N == 1) return SG_PACKED_B_NONE;
        if (N <= 16) return SG_PACKED_B_NARROW;
        if (K <= 16) return SG_PACKED_B_NONE;
    }
#endif
    (void)N, (void)K;
    return SG_PACKED_B_PANELS;
}

long sg_float_packed_b_floats(int kernel, long N, long K) {
    switch (sg_float_packed_b_layout(kernel, N, K)) {
    case SG_PACKED_B_NARROW: return K * 16;
    case SG_PACKED_B_PANELS: {
        const int NR = float_blocking(kernel)->nr;
        return K * (ceil_div(N, NR) * NR);
    }
    default: return 0;
    }
}

void sg_float_pack_b_all(int kernel, sg_view b, long N, long K, float *dst) {
    switch (sg_float_packed_b_layout(kernel, N, K)) {
    case SG_PACKED_B_NARROW: sg_pack_b_panel(b, 0, K, 0, N, 16, dst); break;
    case SG_PACKED_B_PANELS: {
        const sg_blocking *blk = float_blocking(kernel);
        for (long jc = 0; jc < N; jc += blk->nc) {
            const long nc = min_l(blk->nc, N - jc), bpanels = ceil_div(nc, blk->nr);
            for (long pc = 0; pc < K; pc += blk->kc)
                sg_pack_b_panels(b, pc, min_l(blk->kc, K - pc), jc, nc, 0, bpanels, blk->nr,
                                 dst + sg_packed_b_block_offset(jc, K, pc, bpanels, blk->nr));
        }
        break;
    }
    default: break;
    }
}

void sg_gemm_product(int kernel, sg_gemm_context context, int transA, int transB, long M,
                     long N, long K, float alpha, const float *A, long lda, const float *B,
                     long ldb, float beta, float *C, long ldc, const void *bpacked,
                     int a_in_place) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0.0f) {
        scale_c(M, N, beta, C, ldc);
        return;
    }
    kernel = sg_gemm_effective_kernel(kernel, context.precision);
    if (context.precision == SG_PRECISION_BF16) {
        sg_gemm_bf16(kernel, context, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C,
                     ldc, bpacked);
        return;
    }
    const int layout = bpacked ? sg_float_packed_b_layout(kernel, N, K) : SG_PACKED_B_NONE;

    const sg_view a = {A, transA ? 1 : lda, transA ? lda : 1};
    const sg_view b = {B, transB ? 1 : ldb, transB ? ldb : 1};

#if SG_X86
    if (kernel == SG_GEMM_KERNEL_AVX512) {
        if (N == 1) {
            sg_gemm_avx512_gemv(M, K, alpha, a, b, beta, C, ldc, context.threads);
            return;
        }
        if (N <= 16 && M > N) {
            // The transposed kernel reads op(B) in place; the row-wise one packs it.
            if (transA)
                sg_gemm_avx512_narrow_t(M, (int)N, K, alpha, a, b, beta, C, ldc, context.threads);
            else
                sg_gemm_avx512_narrow(M, (int)N, K, alpha, a, b, beta, C, ldc, context.threads,
                                      layout == SG_PACKED_B_NARROW ? bpacked : NULL);
            return;
        }
        if (K <= 16 && N > 16) {
            sg_gemm_avx512_small_k(M, N, K, alpha, a, b, beta, C, ldc, context.threads);
            return;
        }
    }
    if (kernel == SG_GEMM_KERNEL_AVX2 && transA && N <= 16 && M > N) {
        sg_gemm_avx2_narrow_t(M, (int)N, K, alpha, a, b, beta, C, ldc, context.threads);
        return;
    }
#endif
    const sg_blocking *blk = float_blocking(kernel);
    sg_ukernel ukernel = sg_ukernel_generic;
    sg_ukernel_rows ukernel_rows = sg_ukernel_generic_rows;
#if SG_X86
    if (kernel == SG_GEMM_KERNEL_AVX512) {
        ukernel = sg_ukernel_avx512;
        ukernel_rows = sg_ukernel_avx512_rows;
    }
    if (kernel == SG_GEMM_KERNEL_AVX2) {
        ukernel = sg_ukernel_avx2;
        ukernel_rows = sg_ukernel_avx2_rows;
    }
#endif
    // A prepacked op(B) serves the packed path only where op(B) keeps its role (no swap for a
    // narrow output); the same holds for A read in place.
    const int swap = N < blk->nr / 2 && M > N;
    // An output one column panel wide reads A in place whatever the caller asks: packing A
    // would copy all of it for a few columns of work, as much as the product's arithmetic.
    const int one_panel = N <= blk->nr && M > N;
    const int rows_in_place = (a_in_place || one_panel) && !transA && !swap;
    sg_gemm_packed(blk, ukernel, rows_in_place ? ukernel_rows : NULL, M, N, K,
                   alpha, a, b, beta, C, ldc, context,
                   layout == SG_PACKED_B_PANELS && !swap ? bpacked : NULL);
}

void sg_sgemm_with_kernel(int kernel, sg_gemm_context context, int transA, int transB,
                          long M, long N, long K, float alpha, const float *A, long lda,
                          const float *B, long ldb, float beta, float *C, long ldc) {
    sg_gemm_product(kernel, context, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C,
                    ldc, NULL, 0);
}

void sg_sgemm_with_context(sg_gemm_context context, int transA, int transB, long M, long N,
                           long K, float alpha, const float *A, long lda, const float *B,
                           long ldb, float beta, float *C, long ldc) {
    const int kernel = context.precision == SG_PRECISION_BF16 ? sg_gemm_detected_bf16_kernel()
                                                              : sg_gemm_detected_kernel();
    sg_sgemm_with_kernel(kernel, context, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C,
                         ldc);
}

void sg_sgemm(int transA, int transB, long M, long N, long K, float alpha,
              const float *A, long lda, const float *B, long ldb,
              float beta, float *C, long ldc, int threads) {
    const sg_gemm_context alone = {.threads = threads, .help_board = NULL, .help_slot = 0};
    sg_sgemm_with_context(alone, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
