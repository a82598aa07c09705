// The AVX-512 GEMM micro-kernels (12 x 32 tiles) on hot panels, each against the peak of its
// instruction on the same core in the same run: how much of the peak a kernel itself reaches,
// apart from packing, stores to a large C and the rest of a product.
//
// - bf16, native (sg_bf16_ukernel_avx512_native: one vdpbf16ps per row and half-tile for each
//   packed pair), against the vdpbf16ps peak; on CPUs with AVX512-BF16 only.
// - bf16, FMA family (sg_bf16_ukernel_avx512_emulated: two vfmadd231ps per pair, A packed wide,
//   B's pairs split in registers), against the vfmadd231ps peak.
// - Float32 (sg_ukernel_avx512: one vfmadd231ps per row and half-tile for each step of K, over
//   K = 2 KP steps, the same products), against the vfmadd231ps peak.
//
// Each call computes one full tile (beta 0) over KP packed pairs, from one A panel and one of
// PANELS B panels taken in turn (1: every panel in L1; 8: in L2, as a row block's panels are).
// Prints the best GFLOP/s of 7 rounds of about 4 GFLOP each, counting 2 FLOP per product and
// addition, so 4 per lane for each vdpbf16ps, as PeakFMA does.
//
//   for f in Sources/CKernels/*.c; do
//       clang -O3 -fopenmp -fno-math-errno -ISources/CKernels/include -c $f -o /tmp/ck-$(basename $f .c).o
//   done
//   clang -O2 -ISources/CKernels/include -ISources/CKernels -Ibenchmarks/Sources/PeakFMA/include \
//       benchmarks/scripts/microkernels.c benchmarks/Sources/PeakFMA/peak_fma.c /tmp/ck-*.o \
//       -lomp5 -lpthread -lm -o /tmp/microkernels
//   /tmp/microkernels [KP=128] [PANELS=1]
#include "CKernels.h"
#include "PeakFMA.h"
#include "gemm_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if SG_X86

enum { MR = SG_AVX512_MR, NR = SG_AVX512_NR };
_Static_assert(MR == SG_BF16_AVX512_MR && NR == SG_BF16_AVX512_NR, "one tile for every kernel");

enum Kernel { NATIVE, FMA_BF16, FLOAT32 };

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/// The operands: `a` holds KP x MR packed pairs (native), or the same bytes read as KP x 2MR
/// floats (the FMA family's wide panel, and Float32's 2KP x MR panel); `pairs` and `floats` are
/// PANELS B panels of KP x NR pairs and 2KP x NR floats.
typedef struct {
    long kp;
    int panels;
    float *a, *floats, *c;
    uint32_t *pairs;
} Operands;

/// The best GFLOP/s of `kernel` over 7 rounds.
static double rate(enum Kernel kernel, const Operands *x) {
    const double flop = 4.0 * MR * NR * (double)x->kp;  // per call: MR x NR lanes x 2K FLOP
    const long calls = (long)(4e9 / flop) + 1;
    const unsigned saved = _mm_getcsr();
    if (kernel != FLOAT32) _mm_setcsr(SG_BF16_MXCSR);
    double best = 0;
    for (int round = 0; round < 7; round++) {
        const double start = now_seconds();
        for (long call = 0; call < calls; call++) {
            const int panel = (int)(call % x->panels);
            float *c = x->c + panel * MR * NR;
            switch (kernel) {
            case NATIVE:
                sg_bf16_ukernel_avx512_native(MR, NR, x->kp, (const uint32_t *)x->a,
                                              x->pairs + panel * x->kp * NR, c, NR, 1, 1.0f, 0.0f);
                break;
            case FMA_BF16:
                sg_bf16_ukernel_avx512_emulated(MR, NR, x->kp, (const uint32_t *)x->a,
                                                x->pairs + panel * x->kp * NR, c, NR, 1, 1.0f, 0.0f);
                break;
            case FLOAT32:
                sg_ukernel_avx512(MR, NR, 2 * x->kp, x->a, x->floats + panel * 2 * x->kp * NR, c, NR, 1,
                                  1.0f, 0.0f);
                break;
            }
        }
        const double gflops = (double)calls * flop / (now_seconds() - start) / 1e9;
        if (gflops > best) best = gflops;
    }
    _mm_setcsr(saved);
    return best;
}

int main(int argc, char **argv) {
    const long kp = argc > 1 ? atol(argv[1]) : 128;
    const int panels = argc > 2 ? atoi(argv[2]) : 1;
    if (kp < 1 || kp > 4096 || panels < 1 || panels > 64) {
        fprintf(stderr, "usage: microkernels [KP 1-4096] [PANELS 1-64]\n");
        return 2;
    }
    if (!sg_gemm_kernel_supported(SG_GEMM_KERNEL_AVX512)) {
        fprintf(stderr, "microkernels: this CPU has no AVX-512\n");
        return 1;
    }
    Operands x = {.kp = kp, .panels = panels};
    x.a = aligned_alloc(64, (size_t)(2 * kp * MR) * sizeof(float));
    x.floats = aligned_alloc(64, (size_t)(2 * kp * NR * panels) * sizeof(float));
    x.pairs = aligned_alloc(64, (size_t)(kp * NR * panels) * sizeof(uint32_t));
    x.c = aligned_alloc(64, (size_t)(MR * NR * panels) * sizeof(float));
    if (!x.a || !x.floats || !x.pairs || !x.c) return 1;
    // Values near 1, so the sums stay finite and normal: floats that are bf16 values (for the
    // wide panel), and pairs of bf16 values near 1.
    for (long i = 0; i < 2 * kp * MR; i++) x.a[i] = 1.0f + (float)(i & 7) * 0x1p-7f;
    for (long i = 0; i < 2 * kp * NR * panels; i++) x.floats[i] = 1.0f + (float)(i & 15) * 0x1p-12f;
    for (long i = 0; i < kp * NR * panels; i++) x.pairs[i] = 0x3F803F80u ^ (uint32_t)(i & 0x3F);
    printf("KP %ld, %d B panel%s:\n", kp, panels, panels == 1 ? "" : "s");
    if (__builtin_cpu_supports("avx512bf16")) {
        // The native kernel reads a as packed pairs: any bits, near 1 as words of two bf16.
        for (long i = 0; i < kp * MR; i++) ((uint32_t *)x.a)[i] = 0x3F803F80u ^ (uint32_t)(i & 0x7F);
        const double native = rate(NATIVE, &x), peak = sg_peak_bf16_gflops(1, 200000000);
        printf("  bf16 native     %.1f GFLOP/s, vdpbf16ps peak   %.1f: %.1f %%\n", native, peak,
               100 * native / peak);
        for (long i = 0; i < 2 * kp * MR; i++) x.a[i] = 1.0f + (float)(i & 7) * 0x1p-7f;
    }
    const double fma_bf16 = rate(FMA_BF16, &x), float32 = rate(FLOAT32, &x);
    const double peak = sg_peak_fma_gflops(1, 200000000);
    printf("  bf16 FMA family %.1f GFLOP/s, vfmadd231ps peak %.1f: %.1f %%\n", fma_bf16, peak,
           100 * fma_bf16 / peak);
    printf("  Float32         %.1f GFLOP/s, vfmadd231ps peak %.1f: %.1f %% (c[5] %g)\n", float32, peak,
           100 * float32 / peak, (double)x.c[5]);
    free(x.a);
    free(x.floats);
    free(x.pairs);
    free(x.c);
    return 0;
}

#else

int main(void) {
    fprintf(stderr, "microkernels: x86-64 only\n");
    return 1;
}

#endif
