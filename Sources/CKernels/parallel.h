// When a loop of the elementwise and softmax kernels is worth a thread team, and how a team
// shares it. Private to the C sources, which include it as "parallel.h": it lives beside them rather than in include/, the
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

/// The iterations [*begin, *end) of a loop of `count` that the calling member of an OpenMP team
/// takes: contiguous blocks in thread order, the first `count % team` one longer, as
/// `schedule(static)` splits them. Kernels call it inside `#pragma omp parallel` instead of
/// using `#pragma omp for`: Debian's libomp formats a trace string in every worksharing loop's
/// set-up (about 2 500 instructions and a malloc), which on a small loop costs more than the
/// loop itself, even in a team of one. A loop not worth a team is called directly, with no
/// OpenMP at all.
static inline void static_share(long count, long *begin, long *end) {
    extern int omp_get_thread_num(void);
    extern int omp_get_num_threads(void);
    const long team = omp_get_num_threads(), index = omp_get_thread_num();
    const long base = count / team, extra = count % team;
    *begin = index * base + (index < extra ? index : extra);
    *end = *begin + base + (index < extra ? 1 : 0);
}

#endif
