// Packing for bf16 products: copies blocks of op(A) and op(B) into micro-panels of 32-bit words,
// each holding two consecutive elements of K rounded to bf16 (element 2p in the low half, 2p+1 in
// the high half: the operand layout of vdpbf16ps), with a +0 partner for the last element of an
// odd-length K block and zeros in padding rows and columns. The rounding is sg_bf16_bits, written
// without branches so that the compiler vectorises it; the same source is built for AVX-512,
// AVX2 (B only: the avx2 family packs A wide, in gemm_kernel_bf16_avx2.c) and the baseline
// target, and each kernel family packs with its own build.

#include "gemm_internal.h"

#include <string.h>

/// The bf16 rounding of the float whose bits are `u`, in the high half of the word (the low half
/// zero), as sg_bf16_bits computes it.
static inline __attribute__((always_inline)) uint32_t round_hi(uint32_t u) {
    const uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
    const uint32_t quiet_nan = (u | 0x00400000u) & 0xFFFF0000u;
    const uint32_t signed_zero = u & 0x80000000u;
    const uint32_t r = (u & 0x7FFFFFFFu) > 0x7F800000u ? quiet_nan : rounded;
    return (u & 0x7F800000u) == 0 ? signed_zero : r;
}

static inline __attribute__((always_inline)) uint32_t bits_of(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/// One packed word: `even` in the low half, `odd` in the high half, both rounded to bf16.
static inline __attribute__((always_inline)) uint32_t pair_of(float even, float odd) {
    return (round_hi(bits_of(even)) >> 16) | round_hi(bits_of(odd));
}

/// dst[p] = pair_of(x[2p*s], x[(2p+1)*s]) for the `len` elements x[0], x[s], ... (len odd: the
/// last word's odd half is +0). Stride 1 is its own loop, so that it vectorises.
static inline __attribute__((always_inline)) void
pack_run(const float *x, long s, long len, uint32_t *dst) {
    const long full = len / 2;
    if (s == 1) {
        for (long p = 0; p < full; p++) dst[p] = pair_of(x[2 * p], x[2 * p + 1]);
    } else {
        for (long p = 0; p < full; p++) dst[p] = pair_of(x[2 * p * s], x[(2 * p + 1) * s]);
    }
    if (len & 1) dst[full] = pair_of(x[(len - 1) * s], 0.0f);
}

/// Packs one K pair of two contiguous runs of n floats into n words, d[j] = (even[j], odd[j])
/// (odd == NULL: the pair's second element is +0, for an odd K block's last row), and zeroes
/// words n..<width.
static inline __attribute__((always_inline)) void
pair_runs(const float *even, const float *odd, long n, long width, uint32_t *d) {
    if (odd) {
        for (long j = 0; j < n; j++) d[j] = pair_of(even[j], odd[j]);
    } else {
        for (long j = 0; j < n; j++) d[j] = pair_of(even[j], 0.0f);
    }
    for (long j = n; j < width; j++) d[j] = 0;
}

static inline __attribute__((always_inline)) void
pack_a_body(sg_view a, long i0, int mr, long p0, long kc, int MR, uint32_t *dst) {
    const long kp = (kc + 1) / 2;
    if (a.rs == 1) {
        // op(A) = A^T: the rows of a K pair are two contiguous runs of mr floats.
        for (long p = 0; p < kp; p++) {
            const float *even = a.p + (p0 + 2 * p) * a.cs + i0;
            pair_runs(even, 2 * p + 1 < kc ? even + a.cs : NULL, mr, MR, dst + p * MR);
        }
        return;
    }
    // Rows along K: each row is packed into a contiguous run of words, then spread over the
    // panel (row i is word i of every MR-word step).
    uint32_t run[SG_BF16_KC / 2];
    for (int i = 0; i < mr; i++) {
        pack_run(a.p + (i0 + i) * a.rs + p0 * a.cs, a.cs, kc, run);
        for (long p = 0; p < kp; p++) dst[p * MR + i] = run[p];
    }
    for (long p = 0; p < kp; p++)
        for (int i = mr; i < MR; i++) dst[p * MR + i] = 0;
}

static inline __attribute__((always_inline)) void
pack_b_body(sg_view b, long p0, long kc, long j0, long nc, long q0, long q1, int NR,
            uint32_t *dst) {
    const long kp = (kc + 1) / 2;
    for (long q = q0; q < q1; q++) {
        const long jq = j0 + q * NR;
        const long nr = min_l(NR, nc - q * NR);
        uint32_t *panel = dst + q * kp * NR;
        if (b.cs == 1) {
            // Rows along N: a K pair is two contiguous runs of nr floats.
            for (long p = 0; p < kp; p++) {
                const float *even = b.p + (p0 + 2 * p) * b.rs + jq;
                pair_runs(even, 2 * p + 1 < kc ? even + b.rs : NULL, nr, NR, panel + p * NR);
            }
        } else {
            // op(B) = B^T: columns of op(B) run along K; each is packed into a contiguous run,
            // then spread over the panel.
            uint32_t run[SG_BF16_KC / 2];
            for (long j = 0; j < nr; j++) {
                pack_run(b.p + p0 * b.rs + (jq + j) * b.cs, b.rs, kc, run);
                for (long p = 0; p < kp; p++) panel[p * NR + j] = run[p];
            }
            for (long p = 0; p < kp; p++)
                for (long j = nr; j < NR; j++) panel[p * NR + j] = 0;
        }
    }
}

#define SG_BF16_PACK_A(SUFFIX, ATTRIBUTES)                                                      \
    ATTRIBUTES void sg_bf16_pack_a_##SUFFIX(sg_view a, long i0, int mr, long p0, long kc,      \
                                            int MR, uint32_t *dst) {                           \
        pack_a_body(a, i0, mr, p0, kc, MR, dst);                                               \
    }
#define SG_BF16_PACK_B(SUFFIX, ATTRIBUTES)                                                      \
    ATTRIBUTES void sg_bf16_pack_b_##SUFFIX(sg_view b, long p0, long kc, long j0, long nc,     \
                                            long q0, long q1, int NR, uint32_t *dst) {         \
        pack_b_body(b, p0, kc, j0, nc, q0, q1, NR, dst);                                       \
    }

SG_BF16_PACK_A(generic, )
SG_BF16_PACK_B(generic, )
#if SG_X86
SG_BF16_PACK_B(avx2, SG_AVX2)  // the avx2 family packs A wide (gemm_kernel_bf16_avx2.c)
SG_BF16_PACK_A(avx512, SG_AVX512)
SG_BF16_PACK_B(avx512, SG_AVX512)
#endif

// MARK: - With vcvtne2ps2bf16
//
// The native family rounds 32 floats with one vcvtne2ps2bf16, which rounds exactly as
// sg_bf16_bits does (nearest even, subnormals to signed zeros, NaN made quiet: Intel's
// definition; checked on this CPU for every float, and at start-up on crafted values, see
// gemm_kernel_bf16_avx512.c). The loops are those above; the last two functions round rows of
// op(A) for the native family's kernels for particular shapes.

#if SG_X86

/// 16 packed words: word j holds even[j] (low half) and odd[j] (high half), for the lanes in
/// `m` (others +0); a null `odd` stands for zeros.
SG_AVX512_BF16 static inline __attribute__((always_inline)) __m512i
words_of_rows(const float *even, const float *odd, __mmask16 m) {
    const __m512 e = _mm512_maskz_loadu_ps(m, even);
    const __m512 o = odd ? _mm512_maskz_loadu_ps(m, odd) : _mm512_setzero_ps();
    return sg_bf16_pair_words(e, o);
}

/// pack_run with vcvtne2ps2bf16 for stride 1: 32 consecutive floats are 16 consecutive words.
SG_AVX512_BF16 static inline __attribute__((always_inline)) void
pack_run_native(const float *x, long s, long len, uint32_t *dst) {
    if (s != 1) {
        pack_run(x, s, len, dst);
        return;
    }
    long k = 0;
    for (; k + 32 <= len; k += 32) {
        const __m512 lo = _mm512_loadu_ps(x + k), hi = _mm512_loadu_ps(x + k + 16);
        _mm512_storeu_si512(dst + k / 2, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
    if (k < len) {
        // The tail, its missing elements loaded as +0 (the partner of an odd last element).
        const long rest = len - k;
        const __m512 lo = _mm512_maskz_loadu_ps(lane_mask((int)rest), x + k);
        const __m512 hi = _mm512_maskz_loadu_ps(lane_mask((int)rest - 16), x + k + 16);
        _mm512_mask_storeu_epi32(dst + k / 2, lane_mask((int)((rest + 1) / 2)),
                                 (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
}

/// The 16 x 16 words `w` transposed in registers: afterwards w[j] holds word j of each input,
/// input i in lane i.
SG_AVX512_BF16 static inline __attribute__((always_inline)) void transpose16(__m512i w[16]) {
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(w[i], w[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(w[i], w[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        w[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        w[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        w[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        w[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    // w[4g + r] now holds, in its 128-bit lane l, word 4l + r of inputs 4g..4g+3; word 4l + r
    // of all sixteen is lane l of w[r], w[4 + r], w[8 + r] and w[12 + r], side by side.
    for (int r = 0; r < 4; r++) {
        const __m512i g0 = w[r], g1 = w[4 + r], g2 = w[8 + r], g3 = w[12 + r];
        const __m512i lo01 = _mm512_shuffle_i32x4(g0, g1, 0x44), hi01 = _mm512_shuffle_i32x4(g0, g1, 0xEE);
        const __m512i lo23 = _mm512_shuffle_i32x4(g2, g3, 0x44), hi23 = _mm512_shuffle_i32x4(g2, g3, 0xEE);
        t[r] = _mm512_shuffle_i32x4(lo01, lo23, 0x88);       // 128-bit lane 0 of each group
        t[4 + r] = _mm512_shuffle_i32x4(lo01, lo23, 0xDD);   // lane 1
        t[8 + r] = _mm512_shuffle_i32x4(hi01, hi23, 0x88);   // lane 2
        t[12 + r] = _mm512_shuffle_i32x4(hi01, hi23, 0xDD);  // lane 3
    }
    for (int j = 0; j < 16; j++) w[j] = t[j];
}

/// Packs `rows` (at most 16) runs of `kc` contiguous floats, run i at x + i * rs, into words
/// laid out across them: word p of run i goes to dst[p * stride + i], for i below `width` (at
/// most 16; runs from `rows` to `width` as zeros). A's panel when the rows of op(A) run along K
/// (stride and width MR), and half of B's when its columns do (stride NR, width 16). Sixteen
/// pairs of each run are rounded with one vcvtne2ps2bf16 and the 16 x 16 block of words is
/// transposed in registers, so that each pair's words are one store: the words the
/// element-by-element loops write, without a scalar store per word.
SG_AVX512_BF16 static inline __attribute__((always_inline)) void
pack_runs_across(const float *x, long rs, int rows, long kc, long stride, int width, uint32_t *dst) {
    const long kp = (kc + 1) / 2;
    const __mmask16 lanes = lane_mask(width);
    for (long q = 0; q < kp; q += 16) {
        // Floats [2q, 2q + 32) of each run, those past kc loaded as +0 (an odd kc's last pair
        // gets its +0 partner).
        const long k = 2 * q, rest = kc - k;
        const __mmask16 m0 = lane_mask((int)min_l(rest, 16)), m1 = lane_mask((int)min_l(rest - 16, 16));
        __m512i w[16];
        for (int i = 0; i < 16; i++) {
            if (i < rows) {
                const float *run = x + i * rs + k;
                const __m512 lo = _mm512_maskz_loadu_ps(m0, run), hi = _mm512_maskz_loadu_ps(m1, run + 16);
                w[i] = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
            } else {
                w[i] = _mm512_setzero_si512();
            }
        }
        transpose16(w);
        const long pairs = min_l(16, kp - q);
        for (long j = 0; j < pairs; j++) _mm512_mask_storeu_epi32(dst + (q + j) * stride, lanes, w[j]);
    }
}

SG_AVX512_BF16 void sg_bf16_pack_a_native(sg_view a, long i0, int mr, long p0, long kc, int MR,
                                          uint32_t *dst) {
    const long kp = (kc + 1) / 2;
    if (a.rs == 1) {
        for (long p = 0; p < kp; p++) {
            const float *even = a.p + (p0 + 2 * p) * a.cs + i0;
            const float *odd = 2 * p + 1 < kc ? even + a.cs : NULL;
            uint32_t *d = dst + p * MR;
            for (int i = 0; i < MR; i += 16) {
                const __mmask16 m = lane_mask(mr - i);
                _mm512_mask_storeu_epi32(d + i, lane_mask(MR - i),
                                         words_of_rows(even + i, odd ? odd + i : NULL, m));
            }
        }
        return;
    }
    if (a.cs == 1 && MR <= 16) {
        pack_runs_across(a.p + i0 * a.rs + p0, a.rs, mr, kc, MR, MR, dst);
        return;
    }
    uint32_t run[SG_BF16_KC / 2];
    for (int i = 0; i < mr; i++) {
        pack_run_native(a.p + (i0 + i) * a.rs + p0 * a.cs, a.cs, kc, run);
        for (long p = 0; p < kp; p++) dst[p * MR + i] = run[p];
    }
    for (long p = 0; p < kp; p++)
        for (int i = mr; i < MR; i++) dst[p * MR + i] = 0;
}

SG_AVX512_BF16 void sg_bf16_pack_b_native(sg_view b, long p0, long kc, long j0, long nc, long q0,
                                          long q1, int NR, uint32_t *dst) {
    const long kp = (kc + 1) / 2;
    for (long q = q0; q < q1; q++) {
        const long jq = j0 + q * NR;
        const long nr = min_l(NR, nc - q * NR);
        uint32_t *panel = dst + q * kp * NR;
        if (b.cs == 1) {
            for (long p = 0; p < kp; p++) {
                const float *even = b.p + (p0 + 2 * p) * b.rs + jq;
                const float *odd = 2 * p + 1 < kc ? even + b.rs : NULL;
                for (long j = 0; j < NR; j += 16) {
                    const __mmask16 m = lane_mask((int)(nr - j));
                    _mm512_storeu_si512(panel + p * NR + j,
                                        words_of_rows(even + j, odd ? odd + j : NULL, m));
                }
            }
        } else if (b.rs == 1 && NR % 16 == 0) {
            // Columns of op(B) contiguous along K: sixteen at a time, as A's rows above.
            for (long j = 0; j < NR; j += 16) {
                pack_runs_across(b.p + p0 + (jq + j) * b.cs, b.cs, (int)min_l(16, nr - j), kc, NR, 16, panel + j);
            }
        } else {
            uint32_t run[SG_BF16_KC / 2];
            for (long j = 0; j < nr; j++) {
                pack_run_native(b.p + p0 * b.rs + (jq + j) * b.cs, b.rs, kc, run);
                for (long p = 0; p < kp; p++) panel[p * NR + j] = run[p];
            }
            for (long p = 0; p < kp; p++)
                for (long j = nr; j < NR; j++) panel[p * NR + j] = 0;
        }
    }
}

SG_AVX512_BF16 void sg_bf16_pack_rows_native(const float *x, long rs, long rows, long kc,
                                             uint32_t *dst, long ds) {
    for (long i = 0; i < rows; i++) pack_run_native(x + i * rs, 1, kc, dst + i * ds);
}

SG_AVX512_BF16 void sg_bf16_pack_columns_native(const float *x, long cs, long rows, long kc,
                                                uint32_t *dst, long ds) {
    const long kp = (kc + 1) / 2;
    for (long p = 0; p < kp; p++) {
        const float *even = x + 2 * p * cs;
        const float *odd = 2 * p + 1 < kc ? even + cs : NULL;
        for (long i = 0; i < rows; i += 16) {
            const __mmask16 m = lane_mask((int)min_l(16, rows - i));
            _mm512_mask_storeu_epi32(dst + p * ds + i, m,
                                     words_of_rows(even + i, odd ? odd + i : NULL, m));
        }
    }
}

#endif
