// How far the vectorised Box–Muller polynomials of Sources/CKernels/synthetic.c are from
// glibc's log and cos: 40 M pairs (half with u1 as the generator draws it, half spread over
// every binade down to 2^-53; u1 within 2^-10 of 1 replaced, as the kernel hands those to glibc),
// and the largest relative difference of log u1, of cos 2 pi u2 (outside the kernel's |r| <
// 2^-20 cases) and of the double sqrt(-2 log u1) cos 2 pi u2. The kernel keeps a float only
// where every double within 2^-40 rounds alike, so this must stay well below 2^-40.
//
//   clang -O2 -fno-math-errno -ISources/CKernels/include -o /tmp/box-muller-accuracy \
//       benchmarks/scripts/box-muller-accuracy.c -lm && /tmp/box-muller-accuracy
#include "../../Sources/CKernels/synthetic.c"

#include <stdio.h>

static uint64_t mix_state = 999;
static uint64_t splitmix(void) {
    mix_state += 0x9E3779B97F4A7C15ull;
    uint64_t z = mix_state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

SG_NORMALS_AVX512 static void measure(void) {
    double worst_log = 0, worst_cos = 0, worst = 0;
    long compared = 0;
    for (long i = 0; i < 40000000L; i += 8) {
        double u1[8], u2[8];
        for (int l = 0; l < 8; l++) {
            const uint64_t bits = splitmix();
            const int binade = (int)(splitmix() % 54);
            u1[l] = (i / 8) % 2 ? 1 - (double)(bits >> 11) * 0x1p-53
                                : fmax(0x1p-53, ldexp(1 + (double)(bits >> 11) * 0x1p-53, -binade - 1));
            if (u1[l] > 1 - 0x1p-10) u1[l] = 0.5;
            u2[l] = (double)(splitmix() >> 11) * 0x1p-53;
        }
        __mmask8 tiny;
        double c[8], l[8];
        _mm512_storeu_pd(c, cos_avx512(_mm512_mul_pd(_mm512_set1_pd(two_pi), _mm512_loadu_pd(u2)), &tiny));
        _mm512_storeu_pd(l, log_avx512(_mm512_loadu_pd(u1)));
        for (int k = 0; k < 8; k++) {
            if (tiny >> k & 1) continue;
            compared++;
            const double gl = log(u1[k]), gc = cos(two_pi * u2[k]);
            worst_log = fmax(worst_log, fabs(l[k] - gl) / fabs(gl));
            worst_cos = fmax(worst_cos, fabs(c[k] - gc) / fabs(gc));
            const double z = sqrt(-2 * l[k]) * c[k], zg = sqrt(-2 * gl) * gc;
            worst = fmax(worst, fabs(z - zg) / fabs(zg));
        }
    }
    printf("%ld pairs: log 2^%.1f, cos 2^%.1f, the normal's double 2^%.1f (relative)\n", compared,
           log2(worst_log), log2(worst_cos), log2(worst));
}

int main(void) {
    if (!normals_avx512_usable()) {
        printf("this CPU lacks AVX-512F/DQ: the kernel's polynomials do not run here\n");
        return 0;
    }
    measure();
    return 0;
}
