// Peak FMA throughput: independent vfmadd231ps chains, nothing else in the loop; and the same
// for the bf16 dot product vdpbf16ps. Each function
// is compiled for its instruction set with a target attribute and chosen at run time, so the
// package needs no -march flag.

#include "PeakFMA.h"

#include <immintrin.h>
#include <pthread.h>
#include <time.h>

#define CHAINS 12

#if defined(__x86_64__)
/// `iterations` rounds of CHAINS independent 512-bit FMAs; returns a value that depends on every
/// accumulator, so the compiler keeps them all.
__attribute__((target("avx512f"))) static float fma_avx512(long iterations) {
    __m512 acc[CHAINS];
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c);
    const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-6f);
    for (long i = 0; i < iterations; i++) {
        // acc = x * y + acc: vfmadd231ps with both factors in registers.
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_fmadd_ps(x, y, acc[c]);
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]), "+v"(acc[5]),
                         "+v"(acc[6]), "+v"(acc[7]), "+v"(acc[8]), "+v"(acc[9]), "+v"(acc[10]), "+v"(acc[11]));
    }
    __m512 total = acc[0];
    for (int c = 1; c < CHAINS; c++) total = _mm512_add_ps(total, acc[c]);
    return _mm512_reduce_add_ps(total);
}

/// `iterations` rounds of CHAINS independent 512-bit vdpbf16ps (acc += x.pairs . y.pairs).
__attribute__((target("avx512bf16,avx512f,avx512bw"))) static float dot_bf16(long iterations) {
    __m512 acc[CHAINS];
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c);
    // bf16 0.999 and 1e-6 in every half of every word.
    const __m512bh x = (__m512bh)_mm512_set1_epi32(0x3F7F3F7F), y = (__m512bh)_mm512_set1_epi32(0x35863586);
    for (long i = 0; i < iterations; i++) {
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_dpbf16_ps(acc[c], x, y);
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]), "+v"(acc[5]),
                         "+v"(acc[6]), "+v"(acc[7]), "+v"(acc[8]), "+v"(acc[9]), "+v"(acc[10]), "+v"(acc[11]));
    }
    __m512 total = acc[0];
    for (int c = 1; c < CHAINS; c++) total = _mm512_add_ps(total, acc[c]);
    return _mm512_reduce_add_ps(total);
}

__attribute__((target("avx2,fma"))) static float fma_avx2(long iterations) {
    __m256 acc[CHAINS];
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_set1_ps((float)c);
    const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-6f);
    for (long i = 0; i < iterations; i++) {
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_fmadd_ps(x, y, acc[c]);
        __asm__ volatile("" : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]), "+x"(acc[4]), "+x"(acc[5]),
                         "+x"(acc[6]), "+x"(acc[7]), "+x"(acc[8]), "+x"(acc[9]), "+x"(acc[10]), "+x"(acc[11]));
    }
    __m256 total = acc[0];
    for (int c = 1; c < CHAINS; c++) total = _mm256_add_ps(total, acc[c]);
    float lanes[8];
    _mm256_storeu_ps(lanes, total);
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
}
#endif

int sg_peak_fma_isa(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return SG_PEAK_FMA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SG_PEAK_FMA_AVX2;
#endif
    return SG_PEAK_FMA_NONE;
}

/// What a job runs: SG_PEAK_FMA_AVX512, SG_PEAK_FMA_AVX2, or BF16_DOT.
enum { BF16_DOT = 100 };

typedef struct {
    long iterations;
    int isa;
    volatile float sink;
} fma_job;

static void *run_job(void *argument) {
    fma_job *job = argument;
#if defined(__x86_64__)
    job->sink = job->isa == BF16_DOT             ? dot_bf16(job->iterations)
              : job->isa == SG_PEAK_FMA_AVX512 ? fma_avx512(job->iterations)
                                               : fma_avx2(job->iterations);
#endif
    return NULL;
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/// Seconds for `threads` threads each running `iterations` rounds of job kind `isa`.
static double time_jobs(int isa, int threads, long iterations) {
    if (threads > 64) threads = 64;
    fma_job jobs[64];
    pthread_t handles[64];
    const double start = now_seconds();
    for (int t = 0; t < threads; t++) {
        jobs[t].iterations = iterations;
        jobs[t].isa = isa;
        if (t > 0) pthread_create(&handles[t], NULL, run_job, &jobs[t]);
    }
    run_job(&jobs[0]);
    for (int t = 1; t < threads; t++) pthread_join(handles[t], NULL);
    return now_seconds() - start;
}

double sg_peak_fma_gflops(int threads, long iterations) {
    const int isa = sg_peak_fma_isa();
    if (isa == SG_PEAK_FMA_NONE || threads < 1 || iterations < 1) return 0;
    if (threads > 64) threads = 64;
    const double seconds = time_jobs(isa, threads, iterations);
    const double lanes = isa == SG_PEAK_FMA_AVX512 ? 16 : 8;
    return (double)threads * (double)iterations * CHAINS * lanes * 2 / seconds * 1e-9;
}

double sg_peak_bf16_gflops(int threads, long iterations) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512bf16") || !__builtin_cpu_supports("avx512bw")) return 0;
    if (threads < 1 || iterations < 1) return 0;
    if (threads > 64) threads = 64;
    const double seconds = time_jobs(BF16_DOT, threads, iterations);
    // 16 lanes x 4 FLOP (two products, two additions) per instruction.
    return (double)threads * (double)iterations * CHAINS * 16 * 4 / seconds * 1e-9;
#else
    (void)threads;
    (void)iterations;
    return 0;
#endif
}
