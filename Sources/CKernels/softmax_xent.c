// Sparse softmax cross-entropy of logits against integer labels, forward and backward, one row
// of the batch at a time. Rows are independent, so threads own row ranges and the result does
// not depend on their number. Below SG_PARALLEL_MIN logits the loop runs on the calling thread.

#include "CKernels.h"
#include "parallel.h"

#include <math.h>

/// The largest logit of a row and log Σ exp(x − largest): the stable log-sum-exp in two parts.
static inline void row_log_sum_exp(const float *x, long classes, float *largest, float *log_total) {
    float top = -INFINITY;
    for (long j = 0; j < classes; j++) top = x[j] > top ? x[j] : top;
    float total = 0.0f;
    for (long j = 0; j < classes; j++) total += expf(x[j] - top);
    *largest = top;
    *log_total = logf(total);
}

static void forward_rows(const float *logits, const long *labels, long classes, float *loss,
                         long begin, long end) {
    for (long i = begin; i < end; i++) {
        const float *x = logits + i * classes;
        float top, log_total;
        row_log_sum_exp(x, classes, &top, &log_total);
        loss[i] = log_total + top - x[labels[i]];
    }
}

void sg_softmax_xent_forward(const float *logits, const long *labels, long batch, long classes,
                             float *loss, int threads) {
    const int nth = team_size(batch * classes, threads);
    if (nth == 1) { forward_rows(logits, labels, classes, loss, 0, batch); return; }
#pragma omp parallel num_threads(nth)
    {
        long begin, end;
        static_share(batch, &begin, &end);
        forward_rows(logits, labels, classes, loss, begin, end);
    }
}

static void backward_rows(const float *logits, const long *labels, const float *upstream, long classes,
                          float *gradient, long begin, long end) {
    for (long i = begin; i < end; i++) {
        const float *x = logits + i * classes;
        float *dx = gradient + i * classes;
        float top, log_total;
        row_log_sum_exp(x, classes, &top, &log_total);
        const float shift = top + log_total, g = upstream ? upstream[i] : 1.0f;
        for (long j = 0; j < classes; j++) dx[j] = g * expf(x[j] - shift);
        dx[labels[i]] -= g;
    }
}

void sg_softmax_xent_backward(const float *logits, const long *labels, const float *upstream,
                              long batch, long classes, float *gradient, int threads) {
    const int nth = team_size(batch * classes, threads);
    if (nth == 1) { backward_rows(logits, labels, upstream, classes, gradient, 0, batch); return; }
#pragma omp parallel num_threads(nth)
    {
        long begin, end;
        static_share(batch, &begin, &end);
        backward_rows(logits, labels, upstream, classes, gradient, begin, end);
    }
}
