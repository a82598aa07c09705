// When a loop of the elementwise and softmax kernels is worth a thread team. Private to the C
// sources, which include it as "parallel.h": it lives beside them rather than in include/, the
// directory of the public module's headers, so Swift never sees it.

#ifndef SWIFTGRAD_CKERNELS_PARALLEL_H
#define SWIFTGRAD_CKERNELS_PARALLEL_H

/// Below this many elements a loop is not worth a thread team: starting one costs a few
/// microseconds, more than such a loop takes.
#define SG_PARALLEL_MIN 262144L

/// Threads for a loop over `work` elements that may use up to `threads`: all of them, or 1
/// when `threads` <= 1 or the loop is under SG_PARALLEL_MIN.
static inline int team_size(long work, int threads) {
    if (threads <= 1 || work < SG_PARALLEL_MIN) return 1;
    return threads;
}

#endif
