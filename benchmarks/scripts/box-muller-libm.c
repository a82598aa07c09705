// What the synthetic data's Box–Muller transform costs in glibc's log and cos on one core:
// xoshiro256** uniforms for 8192 x 784 normals, then log(u1) alone, cos(2 pi u2) alone, and
// the whole sqrt(-2 log u1) cos(2 pi u2) to float, each timed in thread CPU time, 3 rounds
// (the first also pays the page faults of its buffers).
//
//   cc -O2 -o /tmp/box-muller-libm benchmarks/scripts/box-muller-libm.c -lm && /tmp/box-muller-libm
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t s[4] = {1, 2, 3, 4};
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t next(void) {
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return r;
}
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
    const int n = 8192 * 784;
    float *out = malloc(sizeof(float) * n);
    double *u = malloc(sizeof(double) * 2 * (size_t)n);
    for (int round = 0; round < 3; round++) {
        double t0 = now();
        for (int i = 0; i < n; i++) {
            u[2 * i] = 1 - (double)(next() >> 11) * 0x1p-53;
            u[2 * i + 1] = (double)(next() >> 11) * 0x1p-53;
        }
        double t1 = now(), sum = 0;
        for (int i = 0; i < n; i++) sum += log(u[2 * i]);
        double t2 = now();
        for (int i = 0; i < n; i++) sum += cos(2 * M_PI * u[2 * i + 1]);
        double t3 = now();
        for (int i = 0; i < n; i++) out[i] = (float)(sqrt(-2 * log(u[2 * i])) * cos(2 * M_PI * u[2 * i + 1]));
        double t4 = now();
        printf("uniforms %.1f ms, log %.1f ms, cos %.1f ms, transform %.1f ms (checks %g %g)\n",
               (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, (t4 - t3) * 1e3, sum, out[n / 2]);
    }
    return 0;
}
