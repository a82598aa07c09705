// The native bf16 micro-kernel (sg_bf16_ukernel_avx512_native: a 12 x 32 tile, one vdpbf16ps per
// row and half-tile for each packed pair) on hot panels, against the vdpbf16ps peak of the same
// core in the same run: how much of the peak the kernel itself reaches, apart from packing,
// stores to a large C and the rest of a product. Each call computes one full tile (beta 0) over
// KP packed pairs, from one A panel and one of PANELS B panels taken in turn (1: every panel in
// L1; 8: in L2, as a row block's panels are). Prints the best GFLOP/s of 7 rounds of about
// 4 GFLOP each, counting 4 FLOP per lane per vdpbf16ps, as PeakFMA does. Needs AVX512-BF16.
//
//   for f in Sources/CKernels/*.c; do
//       clang -O3 -fopenmp -fno-math-errno -ISources/CKernels/include -c $f -o /tmp/ck-$(basename $f .c).o
//   done
//   clang -O2 -ISources/CKernels/include -ISources/CKernels -Ibenchmarks/Sources/PeakFMA/include \
//       benchmarks/scripts/bf16-microkernel.c benchmarks/Sources/PeakFMA/peak_fma.c /tmp/ck-*.o \
//       -lomp5 -lpthread -lm -o /tmp/bf16-microkernel
//   /tmp/bf16-microkernel [KP=128] [PANELS=1]
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
    const long kp = argc > 1 ? atol(argv[1]) : 128;
    const int panels = argc > 2 ? atoi(argv[2]) : 1;
    if (kp < 1 || kp > 4096 || panels < 1 || panels > 64) {
        fprintf(stderr, "usage: bf16-microkernel [KP 1-4096] [PANELS 1-64]\n");
        return 2;
    }
    if (!__builtin_cpu_supports("avx512bf16")) {
        fprintf(stderr, "bf16-microkernel: this CPU has no AVX512-BF16\n");
        return 1;
    }
    enum { MR = SG_BF16_AVX512_MR, NR = SG_BF16_AVX512_NR };
    uint32_t *a = aligned_alloc(64, (size_t)(kp * MR) * sizeof(uint32_t));
    uint32_t *b = aligned_alloc(64, (size_t)(kp * NR * panels) * sizeof(uint32_t));
    float *c = aligned_alloc(64, (size_t)(MR * NR * panels) * sizeof(float));
    if (!a || !b || !c) return 1;
    // Pairs of bf16 values near 1, so the sums stay finite and normal.
    for (long i = 0; i < kp * MR; i++) a[i] = 0x3F803F80u ^ (uint32_t)(i & 0x7F);
    for (long i = 0; i < kp * NR * panels; i++) b[i] = 0x3F803F80u ^ (uint32_t)(i & 0x3F);
    const unsigned saved = _mm_getcsr();
    _mm_setcsr(SG_BF16_MXCSR);
    const double flop = 4.0 * MR * NR * (double)kp;  // per call: MR x NR lanes x 2 products x 2
    const long calls = (long)(4e9 / flop) + 1;
    double best = 0;
    for (int round = 0; round < 7; round++) {
        const double start = now_seconds();
        for (long call = 0; call < calls; call++) {
            const int panel = (int)(call % panels);
            sg_bf16_ukernel_avx512_native(MR, NR, kp, a, b + panel * kp * NR, c + panel * MR * NR, NR, 1, 1.0f,
                                          0.0f);
        }
        const double rate = (double)calls * flop / (now_seconds() - start) / 1e9;
        if (rate > best) best = rate;
    }
    _mm_setcsr(saved);
    const double peak = sg_peak_bf16_gflops(1, 200000000);
    printf("KP %ld, %d B panel%s: micro-kernel %.1f GFLOP/s, vdpbf16ps peak %.1f: %.1f %% (c[5] %g)\n", kp,
           panels, panels == 1 ? "" : "s", best, peak, 100 * best / peak, (double)c[5]);
    free(a);
    free(b);
    free(c);
    return 0;
#else
    (void)argc;
    (void)argv;
    fprintf(stderr, "bf16-microkernel: x86-64 only\n");
    return 1;
#endif
}
