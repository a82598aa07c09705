// The two AVX-512 micro-kernels built on vfmadd231ps on hot panels, against the FMA peak of the
// same core in the same run: the Float32 kernel (sg_ukernel_avx512, 12 x 32, one FMA per row and
// half-tile for each step of K) and the bf16 kernel of the FMA family
// (sg_bf16_ukernel_avx512_emulated, two FMAs per packed pair, A packed wide, B's pairs split in
// registers). How much of the peak each reaches apart from packing, stores to a large C and the
// rest of a product; the bf16 kernel's gap to the Float32 one is its splitting of B. Each call
// computes one full tile (beta 0) over K elements (K/2 pairs for bf16), from one A panel and one
// of PANELS B panels taken in turn (1: every panel in L1; 8: in L2). Prints the best GFLOP/s of 7
// rounds of about 4 GFLOP each, counting 2 FLOP per multiply-add in both.
//
//   for f in Sources/CKernels/*.c; do
//       clang -O3 -fopenmp -fno-math-errno -ISources/CKernels/include -c $f -o /tmp/ck-$(basename $f .c).o
//   done
//   clang -O2 -ISources/CKernels/include -ISources/CKernels -Ibenchmarks/Sources/PeakFMA/include \
//       benchmarks/scripts/fma-microkernels.c benchmarks/Sources/PeakFMA/peak_fma.c /tmp/ck-*.o \
//       -lomp5 -lpthread -lm -o /tmp/fma-microkernels
//   /tmp/fma-microkernels [K=512] [PANELS=1]
#include "CKernels.h"
#include "PeakFMA.h"
#include "gemm_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
#if SG_X86
    const long k = argc > 1 ? atol(argv[1]) : 512;
    const int panels = argc > 2 ? atoi(argv[2]) : 1;
    if (k < 2 || k > 4096 || k % 2 != 0 || panels < 1 || panels > 64) {
        fprintf(stderr, "usage: fma-microkernels [K: even, 2-4096] [PANELS 1-64]\n");
        return 2;
    }
    if (!sg_gemm_kernel_supported(SG_GEMM_KERNEL_AVX512)) {
        fprintf(stderr, "fma-microkernels: this CPU has no AVX-512\n");
        return 1;
    }
    enum { MR = SG_AVX512_MR, NR = SG_AVX512_NR };
    _Static_assert(MR == SG_BF16_AVX512_MR && NR == SG_BF16_AVX512_NR, "one tile for both kernels");
    // Float32: A is K x MR floats, B K x NR per panel. bf16: A wide is K/2 x 2MR words (the same
    // size), B K/2 x NR words per panel (half). Values near 1, so the sums stay finite and normal.
    float *a = aligned_alloc(64, (size_t)(k * MR) * sizeof(float));
    float *b = aligned_alloc(64, (size_t)(k * NR * panels) * sizeof(float));
    uint32_t *pairs = aligned_alloc(64, (size_t)(k / 2 * NR * panels) * sizeof(uint32_t));
    float *c = aligned_alloc(64, (size_t)(MR * NR * panels) * sizeof(float));
    if (!a || !b || !pairs || !c) return 1;
    for (long i = 0; i < k * MR; i++) a[i] = 1.0f + (float)(i & 7) * 0x1p-10f;  // bf16-exact too
    for (long i = 0; i < k * NR * panels; i++) b[i] = 1.0f + (float)(i & 15) * 0x1p-12f;
    for (long i = 0; i < k / 2 * NR * panels; i++) pairs[i] = 0x3F803F80u ^ (uint32_t)(i & 0x3F);
    const double flop = 2.0 * MR * NR * (double)k;
    const long calls = (long)(4e9 / flop) + 1;
    double best[2] = {0, 0};
    const unsigned saved = _mm_getcsr();
    for (int round = 0; round < 7; round++) {
        for (int kernel = 0; kernel < 2; kernel++) {
            _mm_setcsr(kernel == 1 ? SG_BF16_MXCSR : saved);
            const double start = now_seconds();
            for (long call = 0; call < calls; call++) {
                const int panel = (int)(call % panels);
                if (kernel == 0)
                    sg_ukernel_avx512(MR, NR, k, a, b + panel * k * NR, c + panel * MR * NR, NR, 1,
                                      1.0f, 0.0f);
                else
                    sg_bf16_ukernel_avx512_emulated(MR, NR, k / 2, (const uint32_t *)a,
                                                    pairs + panel * (k / 2) * NR,
                                                    c + panel * MR * NR, NR, 1, 1.0f, 0.0f);
            }
            const double rate = (double)calls * flop / (now_seconds() - start) / 1e9;
            if (rate > best[kernel]) best[kernel] = rate;
        }
    }
    _mm_setcsr(saved);
    const double peak = sg_peak_fma_gflops(1, 200000000);
    printf("K %ld, %d B panel%s, vfmadd231ps peak %.1f GFLOP/s: Float32 micro-kernel %.1f (%.1f %%), "
           "bf16 FMA micro-kernel %.1f (%.1f %%) (c[5] %g)\n",
           k, panels, panels == 1 ? "" : "s", peak, best[0], 100 * best[0] / peak, best[1],
           100 * best[1] / peak, (double)c[5]);
    free(a);
    free(b);
    free(pairs);
    free(c);
    return 0;
#else
    (void)argc;
    (void)argv;
    fprintf(stderr, "fma-microkernels: x86-64 only\n");
    return 1;
#endif
}
