// The AVX2 bf16 family: products of bf16 values computed with Float32 fused multiply-adds, in
// the definition's order, on CPUs without AVX512-BF16.
//
// B keeps the packed pairs every family shares (half the bytes of Float32 panels); the kernel
// splits each word of B into its odd and even halves in registers, with one AND and one shift.
// A is packed wide instead: each element of a pair is already a float (the bf16 bits in its
// high half), so the kernel broadcasts it straight from the panel, as the Float32 kernel does,
// with no integer work per row. The tile is the Float32 AVX2 kernel's 6 x 16: 12 ymm
// accumulators, two for the split half of B and one broadcast register.
//
// A wide A micro-panel holds, for each pair p of the K block and each row i, two floats:
// element 2p (even) at word (p * MR + i) * 2 and element 2p + 1 (odd) at the word after it; an
// odd-length K block's last odd element is +0, as are rows mr..MR-1. That is 2 * MR words per
// pair, which the loop nest's A buffers hold (SG_BF16_A_PANEL_WORDS).

#include "gemm_internal.h"

#if SG_X86

#define MR SG_BF16_AVX2_MR
#define NR SG_BF16_AVX2_NR

_Static_assert(2 * MR * (SG_BF16_KC / 2) <= SG_BF16_A_PANEL_WORDS,
               "a wide A panel fits the loop nest's A buffers");
_Static_assert(MR == 6, "the packers store a pair's 2 * 6 words as three 128-bit vectors");
_Static_assert(NR == 16, "the kernel holds a row of B in two ymm registers");

// MARK: - The micro-kernel

SG_AVX2 static inline __attribute__((always_inline)) void
avx2_body(const int R, int n, long kp, const uint32_t *a, const uint32_t *b, float *c, long rsc,
          long csc, float alpha, float beta) {
    const float *aw = (const float *)a;  // wide panel: float bits in 32-bit words
    __m256 acc[MR][2];
    for (int i = 0; i < R; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();  // +0
    const __m256i high = _mm256_set1_epi32((int)0xFFFF0000u);
    for (long p = 0; p < kp; p++) {
        // A bf16 value is the high half of a float: the odd element of a word is the word with
        // its low half cleared, the even one the word shifted up by 16. Odd first, as the
        // definition (and vdpbf16ps) sums a pair.
        const __m256 b0_odd =
            _mm256_castsi256_ps(_mm256_and_si256(_mm256_loadu_si256((const __m256i *)b), high));
        const __m256 b1_odd = _mm256_castsi256_ps(
            _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(b + 8)), high));
        for (int i = 0; i < R; i++) {
            const __m256 ai = _mm256_broadcast_ss(aw + 2 * i + 1);
            acc[i][0] = _mm256_fmadd_ps(ai, b0_odd, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(ai, b1_odd, acc[i][1]);
        }
        // Read the words of B again rather than keep them: with them live the loop needs 17
        // registers, and the compiler spills them to the stack instead. The empty asm with a
        // memory clobber stops it from reusing the first loads.
        __asm__ volatile("" ::: "memory");
        const __m256 b0_even = _mm256_castsi256_ps(
            _mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)b), 16));
        const __m256 b1_even = _mm256_castsi256_ps(
            _mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)(b + 8)), 16));
        for (int i = 0; i < R; i++) {
            const __m256 ai = _mm256_broadcast_ss(aw + 2 * i);
            acc[i][0] = _mm256_fmadd_ps(ai, b0_even, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(ai, b1_even, acc[i][1]);
        }
        aw += 2 * MR;
        b += NR;
    }
    const __m256 va = _mm256_set1_ps(alpha);
    for (int i = 0; i < R; i++) store_row256(c + i * rsc, csc, n, acc[i][0], acc[i][1], va, beta);
}

/// One specialisation per row count, so a partial tile costs only the rows it has.
SG_AVX2 void sg_bf16_ukernel_avx2(int mr, int n, long kp, const uint32_t *a, const uint32_t *b,
                                  float *c, long rsc, long csc, float alpha, float beta) {
#define SG_CASE(R) case R: avx2_body(R, n, kp, a, b, c, rsc, csc, alpha, beta); break;
    switch (mr) {
    SG_CASE(6) SG_CASE(5) SG_CASE(4) SG_CASE(3) SG_CASE(2)
    default: avx2_body(1, n, kp, a, b, c, rsc, csc, alpha, beta); break;
    }
#undef SG_CASE
}

// MARK: - Packing A wide

/// Eight floats rounded to bf16 as sg_bf16_bits rounds them, each in the high half of its lane
/// (the low half zero): nearest even, a NaN made quiet, a zero or subnormal a zero of its sign.
SG_AVX2 static inline __attribute__((always_inline)) __m256i round8(__m256 x) {
    const __m256i u = _mm256_castps_si256(x);
    const __m256i high = _mm256_set1_epi32((int)0xFFFF0000u);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    const __m256i rounded = _mm256_and_si256(
        _mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7FFF)), lsb), high);
    const __m256i quiet = _mm256_and_si256(_mm256_or_si256(u, _mm256_set1_epi32(0x00400000)), high);
    const __m256i magnitude = _mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF));
    const __m256i nan = _mm256_cmpgt_epi32(magnitude, _mm256_set1_epi32(0x7F800000));
    const __m256i zero_exponent = _mm256_cmpeq_epi32(
        _mm256_and_si256(u, _mm256_set1_epi32(0x7F800000)), _mm256_setzero_si256());
    const __m256i sign = _mm256_and_si256(u, _mm256_set1_epi32((int)0x80000000u));
    return _mm256_blendv_epi8(_mm256_blendv_epi8(rounded, quiet, nan), sign, zero_exponent);
}

/// One float rounded as round8 rounds each lane: sg_bf16_bits, in the high half of the word.
static inline uint32_t round1(float x) { return (uint32_t)sg_bf16_bits(x) << 16; }

/// Lanes [0, n) of an 8-lane mask for maskload.
SG_AVX2 static inline __attribute__((always_inline)) __m256i lanes8(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// op(A) = A with contiguous rows (a.cs == 1): row i's elements 2p, 2p + 1 are adjacent, a
/// 64-bit unit that goes to word (p * MR + i) * 2 as it is. Four pairs of all six rows are
/// rounded at a time and transposed by 64-bit units, so that each pair's 12 words leave in
/// three 128-bit stores; rows past mr are zeros.
SG_AVX2 static void pack_a_rows(sg_view a, long i0, int mr, long p0, long kc, uint32_t *dst) {
    const long full = kc / 2, kp = (kc + 1) / 2;  // pairs with both elements; all pairs
    long p = 0;
    for (; p + 4 <= full; p += 4) {
        __m256i r[MR];  // row i: the units of pairs p, p + 1 | p + 2, p + 3
        for (int i = 0; i < MR; i++)
            r[i] = i < mr ? round8(_mm256_loadu_ps(a.p + (i0 + i) * a.rs + p0 + 2 * p))
                          : _mm256_setzero_si256();
        for (int i = 0; i < MR; i += 2) {
            // Within each 128-bit half: lo holds the first unit of rows i and i + 1, hi the
            // second.
            const __m256i lo = _mm256_unpacklo_epi64(r[i], r[i + 1]);
            const __m256i hi = _mm256_unpackhi_epi64(r[i], r[i + 1]);
            uint32_t *d = dst + p * 2 * MR + 2 * i;
            _mm_storeu_si128((__m128i *)d, _mm256_castsi256_si128(lo));
            _mm_storeu_si128((__m128i *)(d + 2 * MR), _mm256_castsi256_si128(hi));
            _mm_storeu_si128((__m128i *)(d + 4 * MR), _mm256_extracti128_si256(lo, 1));
            _mm_storeu_si128((__m128i *)(d + 6 * MR), _mm256_extracti128_si256(hi, 1));
        }
    }
    for (; p < kp; p++) {
        for (int i = 0; i < MR; i++) {
            uint32_t *d = dst + (p * MR + i) * 2;
            if (i >= mr) {
                d[0] = d[1] = 0;
                continue;
            }
            const float *x = a.p + (i0 + i) * a.rs + p0 + 2 * p;
            d[0] = round1(x[0]);
            d[1] = 2 * p + 1 < kc ? round1(x[1]) : 0;
        }
    }
}

/// op(A) = A^T (a.rs == 1): the even and odd elements of a pair are two contiguous runs of mr
/// floats (rows 2p and 2p + 1 of A), interleaved in registers and stored as the pair's 12 words.
SG_AVX2 static void pack_a_columns(sg_view a, long i0, int mr, long p0, long kc,
                                   uint32_t *dst) {
    const long kp = (kc + 1) / 2;
    const __m256i m = lanes8(mr);  // rows past mr load as +0
    for (long p = 0; p < kp; p++) {
        const float *even = a.p + (p0 + 2 * p) * a.cs + i0;
        const __m256i e = round8(_mm256_maskload_ps(even, m));
        const __m256i o = 2 * p + 1 < kc ? round8(_mm256_maskload_ps(even + a.cs, m))
                                         : _mm256_setzero_si256();
        // unpacklo: e0 o0 e1 o1 | e4 o4 e5 o5; unpackhi: e2 o2 e3 o3 | e6 o6 e7 o7.
        const __m256i lo = _mm256_unpacklo_epi32(e, o), hi = _mm256_unpackhi_epi32(e, o);
        uint32_t *d = dst + p * 2 * MR;
        _mm_storeu_si128((__m128i *)d, _mm256_castsi256_si128(lo));
        _mm_storeu_si128((__m128i *)(d + 4), _mm256_castsi256_si128(hi));
        _mm_storeu_si128((__m128i *)(d + 8), _mm256_extracti128_si256(lo, 1));
    }
}

/// op(A) always has a unit stride here: sg_gemm_bf16 sees both operands as {p, ld, 1} or
/// {p, 1, ld}, and swapping their roles swaps the strides.
SG_AVX2 void sg_bf16_pack_a_avx2(sg_view a, long i0, int mr, long p0, long kc, int panel_rows,
                                 uint32_t *dst) {
    (void)panel_rows;  // always MR: the family's tile
    // Either way every word of the panel is written, the zeros past mr included.
    if (a.rs == 1)
        pack_a_columns(a, i0, mr, p0, kc, dst);
    else
        pack_a_rows(a, i0, mr, p0, kc, dst);
}

#endif  // SG_X86
