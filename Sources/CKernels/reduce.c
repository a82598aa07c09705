#include "CKernels.h"

// The all-reduce's inner loop: out[i] = (s0[i] + s1[i] + ... + s(k-1)[i]) / divisor, summed in
// slot order for every element, so the result is the same however the elements are split among
// threads. One pass: each slot is read once and the output written once, which keeps the loop at
// memory speed. Elements are taken 64 at a time so the compiler keeps the running sums in vector
// registers across the slots. Compiled for AVX-512, AVX2 and baseline x86-64, chosen at load
// time by the CPU, since the package is built without -march flags.
#if defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void sg_reduce_slots(const float *const *slots, int slot_count, float *out, long count, float divisor) {
    enum { BLOCK = 64 };
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
