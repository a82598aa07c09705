// The inference pass's matrix products for one chunk on one thread, with the chunk's activations
// packed into the kernel's panels (sg_sgemm_packed_b) and read in place
// (sg_sgemm_packed_b_unpacked_a), side by side: the MLP 784-256-256-10 of
// Configs/scaling-mlp.json, weights packed once (sg_gemm_pack_b), a chunk of ROWS rows (256, as
// ParallelInference cuts 8192 examples) taken in turn from 8192 input rows, as the pass takes
// them. Each product is timed alone; the two ways alternate product by product, so a disturbance
// of a shared machine falls on both. Prints the best and the median time of each layer's product
// over ROUNDS sweeps of the 8192 rows, its GFLOP/s, the chunk's sum against the one-thread FMA
// peak measured in the same run, and the ratio of the two ways. Bits are the same either way
// (checked on every product).
//
//   for f in Sources/CKernels/*.c; do
//       clang -O3 -fopenmp -fno-math-errno -ISources/CKernels/include -c $f -o /tmp/ck-$(basename $f .c).o
//   done
//   clang -O2 -ISources/CKernels/include -Ibenchmarks/Sources/PeakFMA/include \
//       benchmarks/scripts/inference-chunk.c benchmarks/Sources/PeakFMA/peak_fma.c /tmp/ck-*.o \
//       -lomp5 -lpthread -lm -o /tmp/inference-chunk
//   /tmp/inference-chunk [ROWS=256] [ROUNDS=20]
#include "CKernels.h"
#include "PeakFMA.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { EXAMPLES = 8192, LAYERS = 3, WAYS = 2 };
static const long widths[LAYERS + 1] = {784, 256, 256, 10};
static const char *way_names[WAYS] = {"A packed  ", "A in place"};

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *x, const void *y) {
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static float *floats(long count, unsigned seed) {
    float *p = aligned_alloc(64, (size_t)((count * 4 + 63) & ~63L));
    for (long i = 0; i < count; i++) p[i] = (float)((i * 2654435761u + seed) % 1999u) / 1999.0f - 0.5f;
    return p;
}

int main(int argc, char **argv) {
    const long rows = argc > 1 ? atol(argv[1]) : 256;
    const long rounds = argc > 2 ? atol(argv[2]) : 20;
    if (rows < 17 || rows > EXAMPLES || rounds < 1) {
        fprintf(stderr, "usage: inference-chunk [ROWS in 17...8192] [ROUNDS >= 1]\n");
        return 2;
    }
    const int kernel = sg_gemm_detected_kernel();
    const sg_gemm_context alone = {.threads = 1};
    float *inputs = floats(EXAMPLES * widths[0], 1);
    float *weights[LAYERS], *out[WAYS][LAYERS];
    void *packed[LAYERS];
    for (int l = 0; l < LAYERS; l++) {
        const long k = widths[l], n = widths[l + 1];
        weights[l] = floats(k * n, 7 + (unsigned)l);
        packed[l] = aligned_alloc(64, (sg_gemm_packed_b_bytes(kernel, 0, n, k) + 63) & ~(size_t)63);
        sg_gemm_pack_b(kernel, 0, 0, n, k, weights[l], n, packed[l]);
        for (int w = 0; w < WAYS; w++) out[w][l] = floats(rows * n, 0);
    }
    const long chunks = EXAMPLES / rows;
    double *times[WAYS][LAYERS];
    for (int w = 0; w < WAYS; w++)
        for (int l = 0; l < LAYERS; l++) times[w][l] = malloc(sizeof(double) * (size_t)(rounds * chunks));

    printf("inference-chunk: %s kernel, MLP 784-256-256-10, chunks of %ld rows, %ld rounds of %ld "
           "chunks\n", sg_gemm_kernel_label(kernel), rows, rounds, chunks);
    long samples = 0, mismatches = 0;
    for (long r = 0; r < rounds; r++) {
        for (long c = 0; c < chunks; c++, samples++) {
            for (int l = 0; l < LAYERS; l++) {
                const long k = widths[l], n = widths[l + 1];
                for (int w = 0; w < WAYS; w++) {
                    // Layer l reads the previous layer's output of the same way.
                    const float *a = l == 0 ? inputs + c * rows * k : out[w][l - 1];
                    const double t = now();
                    if (w == 0) sg_sgemm_packed_b(alone, 0, rows, 1, a, k, packed[l], 0, out[w][l], n);
                    else sg_sgemm_packed_b_unpacked_a(alone, rows, 1, a, k, packed[l], 0, out[w][l], n);
                    times[w][l][samples] = now() - t;
                }
                if (memcmp(out[0][l], out[1][l], (size_t)(rows * n) * sizeof(float)) != 0) mismatches++;
            }
        }
    }
    const double peak = sg_peak_fma_gflops(1, 100000000);
    printf("one-thread FMA peak in this run: %.1f GFLOP/s\n", peak);
    double chunk_best[WAYS] = {0}, chunk_median[WAYS] = {0};
    for (int l = 0; l < LAYERS; l++) {
        const double flop = 2.0 * (double)rows * (double)widths[l] * (double)widths[l + 1];
        for (int w = 0; w < WAYS; w++) {
            qsort(times[w][l], (size_t)samples, sizeof(double), by_value);
            const double best = times[w][l][0], median = times[w][l][samples / 2];
            chunk_best[w] += best;
            chunk_median[w] += median;
            printf("  layer %d (%ld x %ld x %ld) %s: best %8.1f us (%5.1f GFLOP/s), median %8.1f us "
                   "(%5.1f GFLOP/s)\n", l + 1, rows, widths[l + 1], widths[l], way_names[w],
                   best * 1e6, flop / best * 1e-9, median * 1e6, flop / median * 1e-9);
        }
    }
    const double chunk_flop = 2.0 * (double)rows * (784.0 * 256 + 256.0 * 256 + 256.0 * 10);
    for (int w = 0; w < WAYS; w++)
        printf("  chunk %s: best %8.1f us (%5.1f GFLOP/s, %4.1f %% of the peak), median %8.1f us "
               "(%5.1f GFLOP/s)\n", way_names[w], chunk_best[w] * 1e6, chunk_flop / chunk_best[w] * 1e-9,
               100 * chunk_flop / chunk_best[w] * 1e-9 / peak, chunk_median[w] * 1e6,
               chunk_flop / chunk_median[w] * 1e-9);
    printf("  in place / packed, chunk time: best %.3f, median %.3f\n", chunk_best[1] / chunk_best[0],
           chunk_median[1] / chunk_median[0]);
    printf("  products whose bits differ: %ld of %ld\n", mismatches, samples * LAYERS);
    return mismatches == 0 ? 0 : 1;
}
