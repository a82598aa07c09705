// The AVX-512 bf16 micro-kernels (12 x 32, the tile of the Float32 kernel: 24 zmm accumulators):
// the native one issues one vdpbf16ps per row and half-tile for each packed pair; the emulated
// one, for AVX-512 CPUs without AVX512-BF16, or whose vdpbf16ps fails the start-up check or runs
// at under half the rate of vfmadd231ps, adds the odd and then the even product of each pair
// with two fused multiply-adds. Both store through store_row512, as the Float32 kernel does:
// c = fma(beta, c, alpha * s). Also here: the start-up check that this CPU's vdpbf16ps computes
// what the emulated kernel does, and its vcvtne2ps2bf16 rounds as sg_bf16_bits does, bit for
// bit; that the native kernels for narrow outputs and short K give the emulated packed path's
// bits; and the timing that decides which of the two families is faster on this CPU.
//
// The emulated family packs A wide, as the AVX2 family does: each element of a pair a float of
// its own, element 2p of row i at word (p * MR + i) * 2 and element 2p + 1 after it, so that its
// kernel broadcasts each straight from the panel, as the Float32 kernel does, with no integer
// work per row; B keeps the packed pairs every family shares, split in registers with one AND
// and one shift per 16 columns.

#include "gemm_internal.h"

#if SG_X86

#include <string.h>
#include <time.h>

#define MR SG_BF16_AVX512_MR
#define NR SG_BF16_AVX512_NR

/// Prefetches the tile's rows of C, which the store reads when beta != 0.
SG_AVX512 static inline __attribute__((always_inline)) void
prefetch_tile(const int R, const float *c, long rsc, long csc) {
    for (int i = 0; i < R; i++) {
        _mm_prefetch((const char *)(c + i * rsc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * rsc + 31 * csc), _MM_HINT_T0);
    }
}

/// Zeroes the R x 32 accumulators and prefetches the tile's rows of C.
SG_AVX512 static inline __attribute__((always_inline)) void
start_tile(const int R, __m512 acc[][2], const float *c, long rsc, long csc) {
    for (int i = 0; i < R; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    prefetch_tile(R, c, rsc, csc);
}

SG_AVX512_BF16 static inline __attribute__((always_inline)) void
native_body(const int R, int n, long kp, const uint32_t *a, const uint32_t *b, float *c,
            long rsc, long csc, float alpha, float beta) {
    __m512 acc[MR][2];
    prefetch_tile(R, c, rsc, csc);
    if (kp <= 0) {
        for (int i = 0; i < R; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    } else {
        // Pair 0 starts each accumulator with a dot product on +0, as a loop from zeroed
        // accumulators would: the same bits, but no array of zeros, which clang builds with a
        // memset on the stack and reloads (about 2 % of a bf16 training run's samples).
        const __m512 zero = _mm512_setzero_ps();
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b);
        const __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + 16);
        for (int i = 0; i < R; i++) {
            const __m512bh ai = (__m512bh)_mm512_set1_epi32((int)a[i]);
            acc[i][0] = _mm512_dpbf16_ps(zero, ai, b0);
            acc[i][1] = _mm512_dpbf16_ps(zero, ai, b1);
        }
        a += MR;
        b += NR;
    }
    for (long p = 1; p < kp; p++) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b);
        const __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + 16);
        for (int i = 0; i < R; i++) {
            const __m512bh ai = (__m512bh)_mm512_set1_epi32((int)a[i]);  // embedded broadcast
            acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, b0);
            acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, b1);
        }
        a += MR;
        b += NR;
    }
    const __m512 va = _mm512_set1_ps(alpha);
    for (int i = 0; i < R; i++) store_row512(c + i * rsc, csc, n, acc[i][0], acc[i][1], va, beta);
}

SG_AVX512 static inline __attribute__((always_inline)) void
emulated_body(const int R, int n, long kp, const uint32_t *a, const uint32_t *b, float *c,
              long rsc, long csc, float alpha, float beta) {
    const float *aw = (const float *)a;  // wide panel: float bits in 32-bit words
    __m512 acc[MR][2];
    start_tile(R, acc, c, rsc, csc);
    const __m512i high = _mm512_set1_epi32((int)0xFFFF0000u);
    for (long p = 0; p < kp; p++) {
        const __m512i w0 = _mm512_loadu_si512(b), w1 = _mm512_loadu_si512(b + 16);
        // A bf16 value is the high half of a float: the odd element is the word with its low
        // half cleared, the even one the word shifted up by 16.
        const __m512 b0_odd = _mm512_castsi512_ps(_mm512_and_si512(w0, high));
        const __m512 b1_odd = _mm512_castsi512_ps(_mm512_and_si512(w1, high));
        const __m512 b0_even = _mm512_castsi512_ps(_mm512_slli_epi32(w0, 16));
        const __m512 b1_even = _mm512_castsi512_ps(_mm512_slli_epi32(w1, 16));
        for (int i = 0; i < R; i++) {
            const __m512 a_odd = _mm512_set1_ps(aw[2 * i + 1]);
            acc[i][0] = _mm512_fmadd_ps(a_odd, b0_odd, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(a_odd, b1_odd, acc[i][1]);
        }
        for (int i = 0; i < R; i++) {
            const __m512 a_even = _mm512_set1_ps(aw[2 * i]);
            acc[i][0] = _mm512_fmadd_ps(a_even, b0_even, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(a_even, b1_even, acc[i][1]);
        }
        aw += 2 * MR;
        b += NR;
    }
    const __m512 va = _mm512_set1_ps(alpha);
    for (int i = 0; i < R; i++) store_row512(c + i * rsc, csc, n, acc[i][0], acc[i][1], va, beta);
}

/// `count` packed words widened, in place of each word its even element's float then its odd
/// element's: a word's two 16-bit halves zero-extended to two 32-bit lanes and shifted up by 16.
SG_AVX512 static void widen_pairs(const uint32_t *pairs, long count, uint32_t *wide) {
    long e = 0;
    for (; e + 8 <= count; e += 8) {
        const __m256i words = _mm256_loadu_si256((const __m256i *)(pairs + e));
        _mm512_storeu_si512(wide + 2 * e, _mm512_slli_epi32(_mm512_cvtepu16_epi32(words), 16));
    }
    for (; e < count; e++) {
        wide[2 * e] = pairs[e] << 16;
        wide[2 * e + 1] = pairs[e] & 0xFFFF0000u;
    }
}

/// An A micro-panel packed in pairs by `pack_pairs`, then widened into `dst`.
SG_AVX512 static void pack_a_wide(sg_bf16_pack_a pack_pairs, sg_view a, long i0, int mr, long p0,
                                  long kc, int MR_, uint32_t *dst) {
    _Alignas(64) uint32_t pairs[MR * (SG_BF16_KC / 2)];
    pack_pairs(a, i0, mr, p0, kc, MR_, pairs);
    widen_pairs(pairs, (kc + 1) / 2 * MR_, dst);
}

SG_AVX512_BF16 void sg_bf16_pack_a_native_wide(sg_view a, long i0, int mr, long p0, long kc,
                                               int MR_, uint32_t *dst) {
    pack_a_wide(sg_bf16_pack_a_native, a, i0, mr, p0, kc, MR_, dst);
}

SG_AVX512 void sg_bf16_pack_a_avx512_wide(sg_view a, long i0, int mr, long p0, long kc, int MR_,
                                          uint32_t *dst) {
    pack_a_wide(sg_bf16_pack_a_avx512, a, i0, mr, p0, kc, MR_, dst);
}

/// One specialisation per row count, so a partial tile costs only the rows it has.
#define SG_ROW_CASES(BODY)                                                                     \
    switch (mr) {                                                                              \
    case 12: BODY(12, n, kp, a, b, c, rsc, csc, alpha, beta); break;                            \
    case 11: BODY(11, n, kp, a, b, c, rsc, csc, alpha, beta); break;                            \
    case 10: BODY(10, n, kp, a, b, c, rsc, csc, alpha, beta); break;                            \
    case 9: BODY(9, n, kp, a, b, c, rsc, csc, alpha, beta); break;                              \
    case 8: BODY(8, n, kp, a, b, c, rsc, csc, alpha, beta); break;                              \
    case 7: BODY(7, n, kp, a, b, c, rsc, csc, alpha, beta); break;                              \
    case 6: BODY(6, n, kp, a, b, c, rsc, csc, alpha, beta); break;                              \
    case 5: BODY(5, n, kp, a, b, c, rsc, csc, alpha, beta); break;                              \
    case 4: BODY(4, n, kp, a, b, c, rsc, csc, alpha, beta); break;                              \
    case 3: BODY(3, n, kp, a, b, c, rsc, csc, alpha, beta); break;                              \
    case 2: BODY(2, n, kp, a, b, c, rsc, csc, alpha, beta); break;                              \
    default: BODY(1, n, kp, a, b, c, rsc, csc, alpha, beta); break;                             \
    }

SG_AVX512_BF16 void sg_bf16_ukernel_avx512_native(int mr, int n, long kp, const uint32_t *a,
                                                  const uint32_t *b, float *c, long rsc,
                                                  long csc, float alpha, float beta) {
    SG_ROW_CASES(native_body)
}

SG_AVX512 void sg_bf16_ukernel_avx512_emulated(int mr, int n, long kp, const uint32_t *a,
                                               const uint32_t *b, float *c, long rsc, long csc,
                                               float alpha, float beta) {
    SG_ROW_CASES(emulated_body)
}

// MARK: - Start-up check

/// Values whose products and sums probe what vdpbf16ps does: cancellation, ties at one ulp of
/// 1, products and sums below FLT_MIN, a sum that rounds up to FLT_MIN, overflow, signed zeros.
static const float probe_values[] = {
    1.0f, -1.0f, 0x1p-24f, -0x1p-24f, 0x1p-30f, 0x1.8p-24f, 0x1p-65f, -0x1p-65f, 0x1p-60f,
    -0x1p-60f, 0x1.8p-64f, -0x1.8p-64f, 0x1p-63f, 0x1p-76f, -0x1p-75f, 3.0f, -2.5f, 0x1p64f,
    -0x1p64f, 0x1p127f, 0x1.fep127f, 0.0f, -0.0f, 0x1.02p0f, 0x1.fep-1f, 0x1p-126f, 0x1.4p-125f,
};

/// Single-pair cases, one per row r (in column r), after a first pair that loads `s` into the
/// sum: {s, even a, even b, odd a, odd b}. The odd product is added first.
static const float probe_cases[][5] = {
    {1.0f, 1.0f, 0x1p-24f, 1.0f, 0x1p-24f},          // two ties: 1, then 1 again
    {1.0f, 1.0f, 0x1p-30f, -1.0f, 1.0f},             // 1 - 1 + 2^-30 = 2^-30 (odd first)
    {1.0f, -1.0f, 1.0f, 1.0f, 0x1p-30f},             // 1 + 2^-30 rounds to 1, then 0
    {0x1p-120f, 0x1p-65f, 0x1p-65f, 0.0f, 0.0f},     // a product below FLT_MIN is kept
    {0x1p-126f, -0x1.8p-64f, 0x1p-63f, 0.0f, 0.0f},  // a sum below FLT_MIN becomes 0
    {0x1p-126f, -0x1p-76f, 0x1p-75f, 0.0f, 0.0f},    // FLT_MIN - 2^-151 rounds up to FLT_MIN
    {0x1p-120f, -0x1p-60f, 0x1p-60f, 0x1p-65f, 0x1p-65f},
    {0x1p127f, 0x1p127f, 1.0f, 0x1p127f, 1.0f},      // overflow
    {1.0f, 0x1.8p-24f, 1.0f, 0x1p-24f, 1.0f},        // single rounding would differ
    {-0x1p-24f, 1.0f, 1.0f, 0x1p-24f, 1.0f},
};

/// The next of `probe_values`, picked by a 64-bit LCG.
static float pick(uint64_t *state) {
    *state = *state * 6364136223846793005u + 1442695040888963407u;
    return probe_values[(*state >> 33) % (sizeof probe_values / sizeof probe_values[0])];
}

static uint32_t word_of(float even, float odd) {
    return (uint32_t)sg_bf16_bits(even) | (uint32_t)sg_bf16_bits(odd) << 16;
}

/// Runs the native and emulated kernels on the same panels (the cases above on the diagonal,
/// pseudo-random picks of the values above elsewhere), with beta 0 and with beta != 0 over a C
/// that holds subnormals; 1 when every bit agrees.
SG_AVX512_BF16 static int native_matches_emulated(void) {
    enum { KP = 8 };
    _Alignas(64) uint32_t a[KP * MR], a_wide[2 * KP * MR], b[KP * NR];
    _Alignas(64) float c_native[MR * NR], c_emulated[MR * NR];
    const int cases = (int)(sizeof probe_cases / sizeof probe_cases[0]);
    uint64_t state = 0x9E3779B97F4A7C15u;
    for (long p = 0; p < KP; p++) {
        for (int i = 0; i < MR; i++) {
            const float even = pick(&state);
            a[p * MR + i] = word_of(even, pick(&state));
        }
        for (int j = 0; j < NR; j++) {
            const float even = pick(&state);
            b[p * NR + j] = word_of(even, pick(&state));
        }
    }
    for (int r = 0; r < cases && r < MR; r++) {
        const float *t = probe_cases[r];
        a[0 * MR + r] = word_of(0.0f, t[0]);
        b[0 * NR + r] = word_of(0.0f, 1.0f);
        a[1 * MR + r] = word_of(t[1], t[3]);
        b[1 * NR + r] = word_of(t[2], t[4]);
        for (long p = 2; p < KP; p++) a[p * MR + r] = 0;
    }
    widen_pairs(a, KP * MR, a_wide);
    const unsigned saved = _mm_getcsr();
    _mm_setcsr(SG_BF16_MXCSR);
    const float alphas[2] = {1.0f, -0.75f}, betas[2] = {0.0f, 0.5f};
    int same = 1;
    for (int run = 0; run < 2 && same; run++) {
        for (int e = 0; e < MR * NR; e++)
            c_native[e] = c_emulated[e] = e % 3 == 0 ? 0x1p-130f : pick(&state);
        sg_bf16_ukernel_avx512_native(MR, NR, KP, a, b, c_native, NR, 1, alphas[run], betas[run]);
        sg_bf16_ukernel_avx512_emulated(MR, NR, KP, a_wide, b, c_emulated, NR, 1, alphas[run],
                                        betas[run]);
        same = memcmp(c_native, c_emulated, sizeof c_native) == 0;
    }
    _mm_setcsr(saved);
    return same;
}

/// Bit patterns whose rounding to bf16 probes vcvtne2ps2bf16: ties either way, just off a tie,
/// the largest bf16 and past it, infinities, NaNs (quiet, signalling, negative), subnormals
/// and zeros of both signs, FLT_MIN.
static const uint32_t probe_bits[] = {
    0x3F808000u, 0x3F818000u, 0xBF818000u, 0x3F808001u, 0x3F807FFFu, 0x7F7F7FFFu, 0x7F7F8000u,
    0x7F7FFFFFu, 0xFF7FFFFFu, 0x7F800000u, 0xFF800000u, 0x7FC00000u, 0x7F800001u, 0xFFA00000u,
    0x7FFFFFFFu, 0x007FFFFFu, 0x80000001u, 0x00000000u, 0x80000000u, 0x00800000u, 0x80800000u,
    0x3FFFFFFFu, 0x00FF8000u, 0x01008000u, 0x33800000u, 0xC0490FDBu,
};

/// Packs one block of floats made of probe_bits (and pseudo-random bits) with the native and
/// the AVX-512F packers, both layouts of each operand; 1 when every word agrees.
SG_AVX512_BF16 static int native_packing_matches(void) {
    enum { ROWS = 12, COLS = 61 };  // an odd K block, rows of a tile
    float x[ROWS * COLS];
    const int count = (int)(sizeof probe_bits / sizeof probe_bits[0]);
    uint64_t state = 0x2545F4914F6CDD1Du;
    for (int e = 0; e < ROWS * COLS; e++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        const uint32_t bits = e % 2 == 0 ? probe_bits[(e / 2) % count] : (uint32_t)(state >> 32);
        memcpy(&x[e], &bits, sizeof bits);
    }
    _Alignas(64) uint32_t native[31 * NR * 2], emulated[31 * NR * 2];
    int same = 1;
    for (int layout = 0; layout < 2; layout++) {
        // Rows along K (layout 0) or along M / N (layout 1).
        const sg_view v = layout == 0 ? (sg_view){x, COLS, 1} : (sg_view){x, 1, ROWS};
        const sg_view w = layout == 0 ? (sg_view){x, 1, COLS} : (sg_view){x, ROWS, 1};
        memset(native, 0xA5, sizeof native);
        memset(emulated, 0xA5, sizeof emulated);
        sg_bf16_pack_a_native(v, 0, 11, 0, layout == 0 ? COLS : ROWS, MR, native);
        sg_bf16_pack_a_avx512(v, 0, 11, 0, layout == 0 ? COLS : ROWS, MR, emulated);
        same &= memcmp(native, emulated, sizeof native) == 0;
        sg_bf16_pack_b_native(w, 0, layout == 0 ? COLS : ROWS, 0, 11, 0, 1, NR, native);
        sg_bf16_pack_b_avx512(w, 0, layout == 0 ? COLS : ROWS, 0, 11, 0, 1, NR, emulated);
        same &= memcmp(native, emulated, sizeof native) == 0;
    }
    return same;
}

/// The native kernels for particular shapes against the emulated family's packed path on one
/// product of `which` (0: narrow, 1: narrow with op(A) = A^T, 2: short K) whose operands are
/// picks of probe_values, over a C holding subnormals; 1 when every bit agrees.
SG_AVX512_BF16 static int native_shape_matches(int which, long M, long N, long K, int transA,
                                               int transB, float alpha, float beta,
                                               uint64_t *state) {
    enum { MAX_A = 37 * 21, MAX_B = 21 * 40, MAX_C = 37 * 40 };
    float a[MAX_A], b[MAX_B], c_native[MAX_C], c_emulated[MAX_C];
    if (M * K > MAX_A || K * N > MAX_B || M * N > MAX_C) return 0;
    for (long e = 0; e < M * K; e++) a[e] = pick(state);
    for (long e = 0; e < K * N; e++) b[e] = pick(state);
    for (long e = 0; e < M * N; e++) c_native[e] = c_emulated[e] = e % 3 == 0 ? 0x1p-130f : pick(state);
    const long lda = transA ? M : K, ldb = transB ? K : N;
    const sg_view va = {a, transA ? 1 : lda, transA ? lda : 1};
    const sg_view vb = {b, transB ? 1 : ldb, transB ? ldb : 1};
    switch (which) {
    case 0: sg_gemm_bf16_narrow(M, (int)N, K, alpha, va, vb, beta, c_native, N, 1, NULL); break;
    case 1: sg_gemm_bf16_narrow_t(M, (int)N, K, alpha, va, vb, beta, c_native, N, 1, NULL); break;
    default: sg_gemm_bf16_small_k(M, N, K, alpha, va, vb, beta, c_native, N, 1); break;
    }
    const sg_gemm_context alone = {.threads = 1, .precision = SG_PRECISION_BF16};
    sg_gemm_bf16(SG_GEMM_KERNEL_AVX512, alone, transA, transB, M, N, K, alpha, a, lda, b, ldb,
                 beta, c_emulated, N, NULL);
    return memcmp(c_native, c_emulated, (size_t)(M * N) * sizeof(float)) == 0;
}

/// Each native kernel for particular shapes, on odd shapes with beta 0 and 0.5.
SG_AVX512_BF16 static int native_shapes_match(void) {
    uint64_t state = 0xD1B54A32D192ED03u;
    return native_shape_matches(0, 13, 10, 21, 0, 0, 1.0f, 0.0f, &state) &&
           native_shape_matches(0, 13, 10, 21, 0, 1, -0.75f, 0.5f, &state) &&
           native_shape_matches(1, 37, 10, 21, 1, 0, 1.0f, 0.5f, &state) &&
           native_shape_matches(1, 37, 10, 21, 1, 1, -0.75f, 0.0f, &state) &&
           native_shape_matches(2, 7, 40, 9, 0, 1, 1.0f, 0.5f, &state) &&
           native_shape_matches(2, 7, 40, 9, 1, 0, -0.75f, 0.0f, &state);
}

int sg_bf16_native_agrees(void) {
    return native_packing_matches() && native_matches_emulated() && native_shapes_match();
}

// MARK: - Which family is faster

static long now_nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)now.tv_sec * 1000000000L + now.tv_nsec;
}

enum { RATE_ROUNDS = 1000 };

// The timed loops are written in assembly so that what they time is fixed: twelve independent
// chains on zmm0-zmm11, each instruction reading zmm12 and zmm13, whatever the compiler and its
// optimisation level would make of intrinsics (a multiply by a constant 1.0 folded into an add;
// accumulators kept on the stack without optimisation).
#define SG_RATE_LOOP(INSTRUCTION, SOURCE_WORD, OTHER_WORD)                                        \
    __asm__ volatile("mov $" SOURCE_WORD ", %%eax\n\t"                                          \
                     "vpbroadcastd %%eax, %%zmm12\n\t"                                          \
                     "mov $" OTHER_WORD ", %%eax\n\t"                                           \
                     "vpbroadcastd %%eax, %%zmm13\n\t"                                          \
                     "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"                                        \
                     "vmovaps %%zmm0, %%zmm1\n\t"                                               \
                     "vmovaps %%zmm0, %%zmm2\n\t"                                               \
                     "vmovaps %%zmm0, %%zmm3\n\t"                                               \
                     "vmovaps %%zmm0, %%zmm4\n\t"                                               \
                     "vmovaps %%zmm0, %%zmm5\n\t"                                               \
                     "vmovaps %%zmm0, %%zmm6\n\t"                                               \
                     "vmovaps %%zmm0, %%zmm7\n\t"                                               \
                     "vmovaps %%zmm0, %%zmm8\n\t"                                               \
                     "vmovaps %%zmm0, %%zmm9\n\t"                                               \
                     "vmovaps %%zmm0, %%zmm10\n\t"                                              \
                     "vmovaps %%zmm0, %%zmm11\n\t"                                              \
                     "mov %[rounds], %%rcx\n"                                                   \
                     "1:\n\t"                                                                   \
                     INSTRUCTION " %%zmm13, %%zmm12, %%zmm0\n\t"                                \
                     INSTRUCTION " %%zmm13, %%zmm12, %%zmm1\n\t"                                \
                     INSTRUCTION " %%zmm13, %%zmm12, %%zmm2\n\t"                                \
                     INSTRUCTION " %%zmm13, %%zmm12, %%zmm3\n\t"                                \
                     INSTRUCTION " %%zmm13, %%zmm12, %%zmm4\n\t"                                \
                     INSTRUCTION " %%zmm13, %%zmm12, %%zmm5\n\t"                                \
                     INSTRUCTION " %%zmm13, %%zmm12, %%zmm6\n\t"                                \
                     INSTRUCTION " %%zmm13, %%zmm12, %%zmm7\n\t"                                \
                     INSTRUCTION " %%zmm13, %%zmm12, %%zmm8\n\t"                                \
                     INSTRUCTION " %%zmm13, %%zmm12, %%zmm9\n\t"                                \
                     INSTRUCTION " %%zmm13, %%zmm12, %%zmm10\n\t"                               \
                     INSTRUCTION " %%zmm13, %%zmm12, %%zmm11\n\t"                               \
                     "dec %%rcx\n\t"                                                            \
                     "jnz 1b\n\t"                                                               \
                     "vzeroupper"                                                               \
                     :                                                                          \
                     : [rounds] "i"(RATE_ROUNDS)                                                \
                     : "rax", "rcx", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",      \
                       "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",      \
                       "xmm14", "xmm15")

/// Nanoseconds of RATE_ROUNDS rounds of twelve independent vdpbf16ps (zmm), on pairs of 1.0
/// and 2^-7: the sums grow to 2^4, far from a subnormal or an overflow.
SG_AVX512_BF16 static long time_dots(void) {
    const long start = now_nanoseconds();
    SG_RATE_LOOP("vdpbf16ps", "0x3F803F80", "0x3C003C00");
    return now_nanoseconds() - start;
}

/// Nanoseconds of RATE_ROUNDS rounds of twelve independent vfmadd231ps (zmm), on 1.0 and 2^-7.
SG_AVX512 static long time_fmas(void) {
    const long start = now_nanoseconds();
    SG_RATE_LOOP("vfmadd231ps", "0x3F800000", "0x3C000000");
    return now_nanoseconds() - start;
}

int sg_bf16_native_outpaces_fma(void) {
    // One vdpbf16ps does the work of two vfmadd231ps of the emulated kernel (two products per
    // lane), so the native family is the faster where one takes at most twice as long: Zen 4
    // issues both at one rate, Sapphire and Emerald Rapids vdpbf16ps at a quarter of the rate
    // of vfmadd231ps. The best of five alternating timings of each (after one of each, which
    // lets the cores' 512-bit units power up) is robust to a neighbour's load on a 2x margin.
    time_dots();
    time_fmas();
    long dots = -1, fmas = -1;
    for (int round = 0; round < 5; round++) {
        const long d = time_dots(), f = time_fmas();
        if (dots < 0 || d < dots) dots = d;
        if (fmas < 0 || f < fmas) fmas = f;
    }
    return dots <= 2 * fmas;
}

#endif  // SG_X86
