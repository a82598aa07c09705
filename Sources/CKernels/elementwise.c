// Elementwise and reduction loops of a training step: the bias-add + activation epilogue of a
// dense layer, the ReLU backward mask, the bias gradient's column sums, and Adam's update.
//
// Threads split independent output elements (rows, columns or contiguous chunks); no reduction
// is ever split across threads, so every result is bitwise identical for any thread count.
// A loop smaller than SG_PARALLEL_MIN elements runs on the calling thread: starting a team
// costs a few microseconds, more than such a loop takes.

#include "CKernels.h"
#include "parallel.h"

#include <math.h>

// No fused multiply-add contraction: each loop rounds every operation as written, so Adam's
// update gives the same bits as Keras's float32 arithmetic.
#pragma clang fp contract(off)

static void bias_activation_rows(float *restrict y, const float *restrict bias, long cols, int relu,
                                 long begin, long end) {
    for (long i = begin; i < end; i++) {
        float *row = y + i * cols;
        if (relu) {
            for (long j = 0; j < cols; j++) {
                const float v = row[j] + bias[j];
                row[j] = v > 0.0f ? v : 0.0f;
            }
        } else {
            for (long j = 0; j < cols; j++) row[j] += bias[j];
        }
    }
}

void sg_bias_activation(float *restrict y, const float *restrict bias, long rows, long cols,
                        int relu, int threads) {
    const int nth = team_size(rows * cols, threads);
    if (nth == 1) { bias_activation_rows(y, bias, cols, relu, 0, rows); return; }
#pragma omp parallel num_threads(nth)
    {
        long begin, end;
        static_share(rows, &begin, &end);
        bias_activation_rows(y, bias, cols, relu, begin, end);
    }
}

static void relu_backward_range(const float *upstream, const float *restrict output, float *result,
                                long begin, long end) {
    for (long i = begin; i < end; i++) {
        // Both loads unconditional and a select, so the loop vectorises (result may alias
        // upstream: each element is read before it is written).
        const float u = upstream[i], y = output[i];
        result[i] = y > 0.0f ? u : 0.0f;
    }
}

void sg_relu_backward(const float *upstream, const float *restrict output, float *result,
                      long count, int threads) {
    const int nth = team_size(count, threads);
    if (nth == 1) { relu_backward_range(upstream, output, result, 0, count); return; }
#pragma omp parallel num_threads(nth)
    {
        long begin, end;
        static_share(count, &begin, &end);
        relu_backward_range(upstream, output, result, begin, end);
    }
}

/// Column sums of the 16-column blocks [begin, end): each column's sum runs over the rows in
/// order, so rows are read in short contiguous runs and the order never changes.
static void column_sum_blocks(const float *x, long rows, long cols, float *sums, long begin, long end) {
    for (long b = begin; b < end; b++) {
        const long j0 = b * 16, j1 = j0 + 16 < cols ? j0 + 16 : cols;
        float acc[16] = {0};
        for (long i = 0; i < rows; i++) {
            const float *row = x + i * cols;
            for (long j = j0; j < j1; j++) acc[j - j0] += row[j];
        }
        for (long j = j0; j < j1; j++) sums[j] = acc[j - j0];
    }
}

void sg_column_sums(const float *x, long rows, long cols, float *sums, int threads) {
    // Threads own column ranges of 16 (one cache line).
    const long blocks = (cols + 15) / 16;
    const int nth = blocks > 1 ? team_size(rows * cols, threads) : 1;
    if (nth == 1) { column_sum_blocks(x, rows, cols, sums, 0, blocks); return; }
#pragma omp parallel num_threads(nth)
    {
        long begin, end;
        static_share(blocks, &begin, &end);
        column_sum_blocks(x, rows, cols, sums, begin, end);
    }
}

// Adam's update of elements [begin, end): every operation rounded as written (contraction is
// off in this file), so any vector width gives the same bits.
static inline __attribute__((always_inline)) void
adam_update_range(float *restrict w, const float *restrict g, float *restrict m, float *restrict v,
                  float alpha, float one_minus_beta1, float one_minus_beta2, float epsilon, long begin,
                  long end) {
    for (long i = begin; i < end; i++) {
        const float gi = g[i];
        const float mi = m[i] + (gi - m[i]) * one_minus_beta1;
        const float vi = v[i] + (gi * gi - v[i]) * one_minus_beta2;
        m[i] = mi;
        v[i] = vi;
        w[i] -= (mi * alpha) / (sqrtf(vi) + epsilon);
    }
}

typedef void (*adam_range)(float *restrict, const float *restrict, float *restrict, float *restrict, float,
                           float, float, float, long, long);

static void adam_update_baseline(float *restrict w, const float *restrict g, float *restrict m,
                                 float *restrict v, float alpha, float one_minus_beta1,
                                 float one_minus_beta2, float epsilon, long begin, long end) {
    adam_update_range(w, g, m, v, alpha, one_minus_beta1, one_minus_beta2, epsilon, begin, end);
}

#if defined(__x86_64__)
// The same loop on 256-bit vectors: twice the square roots and divisions per instruction of the
// baseline's SSE. AVX2 without FMA, so nothing can be fused even where contraction were on.
__attribute__((target("avx2"))) static void
adam_update_avx2(float *restrict w, const float *restrict g, float *restrict m, float *restrict v,
                 float alpha, float one_minus_beta1, float one_minus_beta2, float epsilon, long begin,
                 long end) {
    adam_update_range(w, g, m, v, alpha, one_minus_beta1, one_minus_beta2, epsilon, begin, end);
}
#endif

// The widest form of the loop this CPU runs, chosen once per update rather than per thread.
static adam_range adam_update_for_cpu(void) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) return adam_update_avx2;
#endif
    return adam_update_baseline;
}

void sg_adam_update(float *restrict w, const float *restrict g, float *restrict m,
                    float *restrict v, long count, float alpha,
                    float one_minus_beta1, float one_minus_beta2, float epsilon, int threads) {
    const adam_range update = adam_update_for_cpu();
    const int nth = team_size(count, threads);
    if (nth == 1) { update(w, g, m, v, alpha, one_minus_beta1, one_minus_beta2, epsilon, 0, count); return; }
#pragma omp parallel num_threads(nth)
    {
        long begin, end;
        static_share(count, &begin, &end);
        update(w, g, m, v, alpha, one_minus_beta1, one_minus_beta2, epsilon, begin, end);
    }
}
