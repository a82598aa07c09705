#include "CKernels.h"

#include <string.h>

// The all-reduce's inner loop: out[i] = (s0[i] + s1[i] + ... + s(k-1)[i]) / divisor, summed in
// slot order for every element, so the result is the same however the elements are split among
// threads. One pass: each slot is read once and the output written once, which keeps the loop at
// memory speed. Elements are taken 256 at a time (1 KiB of each slot in turn, the running sums
// staying in the first-level cache): each slot is usually a separate tensor, and separate large
// allocations often share their alignment, so reading all slots in short steps at once sends them
// to the same cache sets. Blocks of 256 are the fastest for such slots, and nearly the fastest
// for slots at staggered offsets in one buffer, which favour shorter blocks. The loop is compiled
// for AVX-512, AVX2 and baseline x86-64 (the package is built without -march flags) and picked by
// the CPU at each call; a branch, not an ifunc, so the library also loads under ThreadSanitizer.
static inline __attribute__((always_inline)) void reduce_slots(const float *const *slots, int slot_count, float *out, long count, float divisor) {
    enum { BLOCK = 256 };
    long start = 0;
    for (; start + BLOCK <= count; start += BLOCK) {
        float acc[BLOCK];
        const float *first = slots[0] + start;
        for (int i = 0; i < BLOCK; i++) acc[i] = first[i];
        for (int s = 1; s < slot_count; s++) {
            const float *source = slots[s] + start;
            for (int i = 0; i < BLOCK; i++) acc[i] += source[i];
        }
        for (int i = 0; i < BLOCK; i++) out[start + i] = acc[i] / divisor;
    }
    for (long i = start; i < count; i++) {
        float acc = slots[0][i];
        for (int s = 1; s < slot_count; s++) acc += slots[s][i];
        out[i] = acc / divisor;
    }
}

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static void reduce_slots_avx512(const float *const *slots, int slot_count, float *out, long count, float divisor) {
    reduce_slots(slots, slot_count, out, count, divisor);
}

__attribute__((target("avx2")))
static void reduce_slots_avx2(const float *const *slots, int slot_count, float *out, long count, float divisor) {
    reduce_slots(slots, slot_count, out, count, divisor);
}
#endif

void sg_reduce_slots(const float *const *slots, int slot_count, float *out, long count, float divisor) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) {
        reduce_slots_avx512(slots, slot_count, out, count, divisor);
        return;
    }
    if (__builtin_cpu_supports("avx2")) {
        reduce_slots_avx2(slots, slot_count, out, count, divisor);
        return;
    }
#endif
    reduce_slots(slots, slot_count, out, count, divisor);
}

// Σ x[i]² in double: 32 running sums (element i to sum i mod 32), added in order at the end;
// 32, four AVX-512 vectors of doubles, so that four chains of additions hide each other's
// latency. Squares of floats are exact in double, so the AVX-512, AVX2 and baseline builds give
// the same bits whether or not they fuse the multiply and the add.
static inline __attribute__((always_inline)) double sum_of_squares(const float *x, long count) {
    enum { LANES = 32 };
    double acc[LANES] = {0};
    long start = 0;
    for (; start + LANES <= count; start += LANES) {
        for (int i = 0; i < LANES; i++) acc[i] += (double)x[start + i] * (double)x[start + i];
    }
    for (long i = start; i < count; i++) acc[i - start] += (double)x[i] * (double)x[i];
    double total = 0;
    for (int i = 0; i < LANES; i++) total += acc[i];
    return total;
}

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static double sum_of_squares_avx512(const float *x, long count) { return sum_of_squares(x, count); }

__attribute__((target("avx2")))
static double sum_of_squares_avx2(const float *x, long count) { return sum_of_squares(x, count); }
#endif

double sg_sum_of_squares(const float *x, long count) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) return sum_of_squares_avx512(x, count);
    if (__builtin_cpu_supports("avx2")) return sum_of_squares_avx2(x, count);
#endif
    return sum_of_squares(x, count);
}

// The index of the first NaN or infinity among x[0 ..< count], or `count`. A float is not finite
// exactly when its exponent bits are all ones, that is when its bits without the sign exceed
// those of the largest finite float. Blocks of 64 are OR-reduced with no branch per element; only
// a block that holds a non-finite value is searched element by element.
static inline __attribute__((always_inline)) long first_non_finite(const float *x, long count) {
    enum { BLOCK = 64 };
    const uint32_t largest_finite = 0x7F7FFFFFu;
    long start = 0;
    for (; start < count; start += BLOCK) {
        const long length = count - start < BLOCK ? count - start : BLOCK;
        uint32_t found = 0;
        for (long i = 0; i < length; i++) {
            uint32_t bits;
            memcpy(&bits, x + start + i, sizeof bits);
            found |= (bits & 0x7FFFFFFFu) > largest_finite;
        }
        if (!found) continue;
        for (long i = 0; i < length; i++) {
            uint32_t bits;
            memcpy(&bits, x + start + i, sizeof bits);
            if ((bits & 0x7FFFFFFFu) > largest_finite) return start + i;
        }
    }
    return count;
}

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static long first_non_finite_avx512(const float *x, long count) { return first_non_finite(x, count); }

__attribute__((target("avx2")))
static long first_non_finite_avx2(const float *x, long count) { return first_non_finite(x, count); }
#endif

long sg_first_non_finite(const float *x, long count) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) return first_non_finite_avx512(x, count);
    if (__builtin_cpu_supports("avx2")) return first_non_finite_avx2(x, count);
#endif
    return first_non_finite(x, count);
}
