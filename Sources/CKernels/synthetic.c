// Synthetic data: standard normal draws, exactly those of the scalar Box–Muller transform on the
// C library's libm at the speed of vectorised polynomials, and the labels of a linear teacher.
//
// The defining arithmetic of one normal (`RandomStream.boxMuller` in Swift, `box_muller_libm`
// here) is √(−2 ln u1) · cos(2π u2) in double, with the C library's `log` and `cos`, rounded to
// float. Those two calls are most of the time a synthetic data set takes. The AVX-512 and AVX2
// paths (eight and four lanes) compute that double with their own polynomials, accurate to about
// 2⁻⁴⁸ relative, and keep their rounding to float only where every double within 2⁻⁴⁰ of it
// rounds to the same float: the libm double is within that distance (each of glibc's `log` and `cos` is within one
// ulp, 2⁻⁵²), so it rounds to that float too. Every other element (a few in a hundred thousand:
// those near a rounding boundary, u1 near 1, 2π·u2 near a multiple of π/2) is computed by the
// defining arithmetic itself. The result is therefore the scalar transform's on every CPU,
// whichever path runs.
//
// `vector` in the entry points is the widest path a call may take (`SG_NORMALS_*`), so tests can
// run each path this CPU has; the library passes `SG_NORMALS_BEST`.

#include "CKernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#pragma STDC FP_CONTRACT OFF

// MARK: - The defining arithmetic

static const double two_pi = 0x1.921fb54442d18p+2;  // 2 · Double.pi, exactly

static inline float box_muller_libm(double u1, double u2) {
    return (float)(sqrt(-2.0 * log(u1)) * cos(two_pi * u2));
}

// xoshiro256**, as `RandomStream.next()`.
static inline uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t xoshiro_next(uint64_t s[4]) {
    const uint64_t result = rotl64(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

// `RandomStream.nextUniform()`: 53 random bits in [0, 1).
static inline double uniform53(uint64_t bits) { return (double)(bits >> 11) * 0x1.0p-53; }

static void fill_normals_generic(uint64_t *states, long per_lane, float *out, float mean,
                                 float standard_deviation) {
    for (int lane = 0; lane < SG_NORMAL_LANES; lane++) {
        uint64_t *s = states + 4 * lane;
        float *target = out + (long)lane * per_lane;
        for (long i = 0; i < per_lane; i++) {
            const double u1 = 1 - uniform53(xoshiro_next(s));
            const double u2 = uniform53(xoshiro_next(s));
            target[i] = mean + standard_deviation * box_muller_libm(u1, u2);
        }
    }
}



// Each pair's float by the defining arithmetic and, when `beyond` is not NULL, whether its
// double lies beyond ±2 (a truncated normal then draws again); returns `count`, the elements
// the library computed.
static long box_muller_generic(const double *u1, const double *u2, float *out, unsigned char *beyond, long count) {
    for (long i = 0; i < count; i++) {
        const double z = sqrt(-2.0 * log(u1[i])) * cos(two_pi * u2[i]);
        out[i] = (float)z;
        if (beyond) beyond[i] = fabs(z) > 2;
    }
    return count;
}

// MARK: - Teacher labels

// Row `row`'s class: argmax over c of Σⱼ x[row][j]·w[j][c], each sum in double over j in order
// from zero (a product of two floats is exact in double), the first of equal scores winning.
static long teacher_label_generic(const float *x_row, long features, const float *teacher, long classes,
                                  double *scores) {
    for (long c = 0; c < classes; c++) scores[c] = 0;
    for (long j = 0; j < features; j++) {
        const double value = x_row[j];
        const float *w = teacher + j * classes;
        for (long c = 0; c < classes; c++) scores[c] = scores[c] + value * (double)w[c];
    }
    long best = 0;
    for (long c = 1; c < classes; c++) {
        if (scores[c] > scores[best]) best = c;
    }
    return best;
}

// MARK: - Shared by the vector paths

#if defined(__x86_64__)

// After a vector of `lanes` pairs starting at u1, u2: each lane the polynomials settled
// (`settled` bit set) keeps its float and gets its flag from `beyond_two`; each other lane is
// computed by the defining arithmetic. Returns how many lanes that was.
static long settle_lanes(int settled, int beyond_two, int lanes, const double *u1, const double *u2, float *out,
                         unsigned char *beyond) {
    long computed_by_libm = 0;
    for (int lane = 0; lane < lanes; lane++) {
        if (settled >> lane & 1) {
            if (beyond) beyond[lane] = beyond_two >> lane & 1;
        } else {
            computed_by_libm += box_muller_generic(u1 + lane, u2 + lane, out + lane, beyond ? beyond + lane : NULL, 1);
        }
    }
    return computed_by_libm;
}

// The teacher as doubles in blocks of `block` classes, [blocks][features][block], zero beyond
// `classes`, so a vector path loads a block's weights of one feature contiguously.
static void pad_teacher(const float *teacher, long features, long classes, long block, double *padded) {
    const long blocks = (classes + block - 1) / block;
    for (long b = 0; b < blocks; b++) {
        for (long j = 0; j < features; j++) {
            for (long c = 0; c < block; c++) {
                const long class = b * block + c;
                padded[(b * features + j) * block + c] = class < classes ? (double)teacher[j * classes + class] : 0;
            }
        }
    }
}

// Each of `lanes` rows' class from scores [classes][lanes]: the first of the highest.
static void argmax_lanes(const double *scores, long classes, int lanes, long *labels) {
    for (int lane = 0; lane < lanes; lane++) {
        long best = 0;
        for (long c = 1; c < classes; c++) {
            if (scores[c * lanes + lane] > scores[best * lanes + lane]) best = c;
        }
        labels[lane] = best;
    }
}

// MARK: - The polynomials' constants

// ln 2 in two parts; `ln2_hi` has 21 trailing zero bits, so e · ln2_hi is exact for |e| < 2²⁰.
static const double ln2_hi = 0x1.62e42fee00000p-1;
static const double ln2_lo = 0x1.a39ef35793c76p-33;
// π/2 in two parts: `pio2_hi` is π/2 rounded to double, `pio2_lo` the next 53 bits.
static const double pio2_hi = 0x1.921fb54442d18p+0;
static const double pio2_lo = 0x1.1a62633145c07p-54;
// The logarithm's series: 1/21, 1/19, …, 1/3 after its leading 1/23.
static const double log_odd_reciprocals[] = {1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15, 1.0 / 13,
                                             1.0 / 11, 1.0 / 9,  1.0 / 7,  1.0 / 5,  1.0 / 3};
// sin r = r + r³·(−1/3! + r²·(1/5! − …)) and cos r = 1 + r²·(−1/2! + r²·(1/4! − …)) by Horner's
// rule from the highest term (1/17! and −1/18!, written where they start); n! is exact in double
// up to 18!.
static const double sin_terms[] = {-1.0 / 1307674368000.0, 1.0 / 6227020800.0, -1.0 / 39916800.0,
                                   1.0 / 362880.0, -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0};
static const double cos_terms[] = {1.0 / 20922789888000.0, -1.0 / 87178291200.0, 1.0 / 479001600.0,
                                   -1.0 / 3628800.0, 1.0 / 40320.0, -1.0 / 720.0, 1.0 / 24.0, -1.0 / 2.0};

// MARK: - AVX-512

#define TARGET_AVX512 __attribute__((target("avx512f,avx512dq")))

// ln u for u in [2⁻⁵³, 1): u = 2ᵉ·m with m in [√½, √2), ln m = 2 atanh(s) for s = (m−1)/(m+1),
// |s| < 0.1716, summed to s²³ (the next term is below 2⁻⁵⁶ of the sum). The sum's relative
// error is a few ulps; e = −1 cancels at most a factor 3 of it.
TARGET_AVX512 static inline __m512d log_avx512(__m512d u) {
    __m512d e = _mm512_getexp_pd(u);
    __m512d m = _mm512_getmant_pd(u, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src);
    const __mmask8 high = _mm512_cmp_pd_mask(m, _mm512_set1_pd(0x1.6a09e667f3bcdp+0), _CMP_GT_OQ);
    m = _mm512_mask_mul_pd(m, high, m, _mm512_set1_pd(0.5));
    e = _mm512_mask_add_pd(e, high, e, _mm512_set1_pd(1));
    const __m512d f = _mm512_sub_pd(m, _mm512_set1_pd(1));
    const __m512d s = _mm512_div_pd(f, _mm512_add_pd(f, _mm512_set1_pd(2)));
    const __m512d s2 = _mm512_mul_pd(s, s);
    __m512d p = _mm512_set1_pd(1.0 / 23);
    for (int i = 0; i < 10; i++) p = _mm512_fmadd_pd(p, s2, _mm512_set1_pd(log_odd_reciprocals[i]));
    const __m512d two_s = _mm512_add_pd(s, s);
    const __m512d log_m = _mm512_fmadd_pd(_mm512_mul_pd(two_s, s2), p, two_s);
    return _mm512_add_pd(_mm512_mul_pd(e, _mm512_set1_pd(ln2_hi)),
                         _mm512_fmadd_pd(e, _mm512_set1_pd(ln2_lo), log_m));
}

// cos x for x in [0, 2π): x = k·π/2 + r with |r| <= π/4; x − k·pio2_hi is exact (both are
// multiples of 2⁻⁵³ below 8), so r carries one rounding and an error of 4·2⁻¹⁰⁷ from π/2's
// third part. `*tiny` marks |r| < 2⁻²⁰, where that error would matter relative to sin r.
// Taylor series to r¹⁷ and r¹⁸: the next terms are below 2⁻⁶² relative.
TARGET_AVX512 static inline __m512d cos_avx512(__m512d x, __mmask8 *tiny) {
    const __m512d k = _mm512_roundscale_pd(_mm512_mul_pd(x, _mm512_set1_pd(0x1.45f306dc9c883p-1)),
                                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512d r = _mm512_fnmadd_pd(k, _mm512_set1_pd(pio2_hi), x);
    r = _mm512_fnmadd_pd(k, _mm512_set1_pd(pio2_lo), r);
    *tiny = _mm512_cmp_pd_mask(_mm512_abs_pd(r), _mm512_set1_pd(0x1.0p-20), _CMP_LT_OQ);
    const __m512d r2 = _mm512_mul_pd(r, r);
    __m512d sin_p = _mm512_set1_pd(1.0 / 355687428096000.0);  // 1/17!
    for (int i = 0; i < 7; i++) sin_p = _mm512_fmadd_pd(sin_p, r2, _mm512_set1_pd(sin_terms[i]));
    const __m512d sin_r = _mm512_fmadd_pd(_mm512_mul_pd(r, r2), sin_p, r);
    __m512d cos_p = _mm512_set1_pd(-1.0 / 6402373705728000.0);  // −1/18!
    for (int i = 0; i < 8; i++) cos_p = _mm512_fmadd_pd(cos_p, r2, _mm512_set1_pd(cos_terms[i]));
    const __m512d cos_r = _mm512_fmadd_pd(r2, cos_p, _mm512_set1_pd(1));
    // Quadrant k mod 4: cos r, −sin r, −cos r, sin r.
    const __m512i q = _mm512_and_si512(_mm512_cvtpd_epi64(k), _mm512_set1_epi64(3));
    const __mmask8 odd = _mm512_test_epi64_mask(q, _mm512_set1_epi64(1));
    const __mmask8 negate = _mm512_test_epi64_mask(_mm512_add_epi64(q, _mm512_set1_epi64(1)), _mm512_set1_epi64(2));
    const __m512d value = _mm512_mask_blend_pd(odd, cos_r, sin_r);
    return _mm512_mask_sub_pd(value, negate, _mm512_setzero_pd(), value);
}

// Eight normals from u1 in (0, 1] and u2 in [0, 1), and in `*beyond_two` the lanes whose
// double lies beyond ±2; returns the lanes whose float and comparison with 2 the polynomials
// settle (the others need the defining arithmetic).
TARGET_AVX512 static inline __mmask8 box_muller_avx512(__m512d u1, __m512d u2, __m256 *normals,
                                                           __mmask8 *beyond_two) {
    __mmask8 tiny;
    const __m512d c = cos_avx512(_mm512_mul_pd(_mm512_set1_pd(two_pi), u2), &tiny);
    const __m512d l = log_avx512(u1);
    const __m512d z = _mm512_mul_pd(_mm512_sqrt_pd(_mm512_mul_pd(_mm512_set1_pd(-2), l)), c);
    const __m256 low = _mm512_cvtpd_ps(_mm512_mul_pd(z, _mm512_set1_pd(1 - 0x1.0p-40)));
    const __m256 high = _mm512_cvtpd_ps(_mm512_mul_pd(z, _mm512_set1_pd(1 + 0x1.0p-40)));
    const __mmask8 near_one = _mm512_cmp_pd_mask(u1, _mm512_set1_pd(1 - 0x1.0p-10), _CMP_GT_OQ);
    const __mmask8 agree = _mm512_cmpeq_epi64_mask(
        _mm512_cvtepi32_epi64(_mm256_castps_si256(low)), _mm512_cvtepi32_epi64(_mm256_castps_si256(high)));
    const __m512d magnitude = _mm512_abs_pd(z);
    *beyond_two = _mm512_cmp_pd_mask(magnitude, _mm512_set1_pd(2), _CMP_GT_OQ);
    const __mmask8 near_two = _mm512_cmp_pd_mask(_mm512_abs_pd(_mm512_sub_pd(magnitude, _mm512_set1_pd(2))),
                                                 _mm512_set1_pd(0x1.0p-38), _CMP_LT_OQ);
    *normals = low;
    return agree & (__mmask8)~(tiny | near_one | near_two);
}

// `box_muller_generic`'s floats and flags, eight pairs at a time, the library computing only
// the elements the polynomials leave unsettled; returns how many those were.
TARGET_AVX512 static long box_muller_avx512_array(const double *u1, const double *u2, float *out,
                                                      unsigned char *beyond, long count) {
    long computed_by_libm = 0;
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 normals;
        __mmask8 beyond_two;
        const __mmask8 settled = box_muller_avx512(_mm512_loadu_pd(u1 + i), _mm512_loadu_pd(u2 + i), &normals, &beyond_two);
        _mm256_storeu_ps(out + i, normals);
        computed_by_libm += settle_lanes(settled, beyond_two, 8, u1 + i, u2 + i, out + i, beyond ? beyond + i : NULL);
    }
    return computed_by_libm + box_muller_generic(u1 + i, u2 + i, out + i, beyond ? beyond + i : NULL, count - i);
}

// xoshiro256** on eight streams at once, lane j of each state vector being stream j's.
TARGET_AVX512 static inline __m512i xoshiro_next_avx512(__m512i s[4]) {
    const __m512i five = _mm512_add_epi64(s[1], _mm512_slli_epi64(s[1], 2));
    const __m512i rotated = _mm512_rol_epi64(five, 7);
    const __m512i result = _mm512_add_epi64(rotated, _mm512_slli_epi64(rotated, 3));
    const __m512i t = _mm512_slli_epi64(s[1], 17);
    s[2] = _mm512_xor_si512(s[2], s[0]);
    s[3] = _mm512_xor_si512(s[3], s[1]);
    s[1] = _mm512_xor_si512(s[1], s[2]);
    s[0] = _mm512_xor_si512(s[0], s[3]);
    s[2] = _mm512_xor_si512(s[2], t);
    s[3] = _mm512_rol_epi64(s[3], 45);
    return result;
}

TARGET_AVX512 static inline __m512d uniform53_avx512(__m512i bits) {
    return _mm512_mul_pd(_mm512_cvtepu64_pd(_mm512_srli_epi64(bits, 11)), _mm512_set1_pd(0x1.0p-53));
}

TARGET_AVX512 static void fill_normals_avx512(uint64_t *states, long per_lane, float *out, float mean,
                                                  float standard_deviation) {
    // The lanes' states as four vectors, word w of lane j in element j of vector w.
    __m512i s[4];
    const __m512i lane_offsets = _mm512_setr_epi64(0, 4, 8, 12, 16, 20, 24, 28);
    for (int w = 0; w < 4; w++) s[w] = _mm512_i64gather_epi64(_mm512_add_epi64(lane_offsets, _mm512_set1_epi64(w)), (const void *)states, 8);
    const __m512 mean_v = _mm512_set1_ps(mean), deviation_v = _mm512_set1_ps(standard_deviation);
    // Each step makes one normal per lane; a block of 16 steps is transposed through `block` so
    // that each lane's 16 normals are stored contiguously.
    enum { STEPS = 16 };
    float block[STEPS][SG_NORMAL_LANES] __attribute__((aligned(64)));
    double u1s[STEPS][SG_NORMAL_LANES] __attribute__((aligned(64)));
    double u2s[STEPS][SG_NORMAL_LANES] __attribute__((aligned(64)));
    for (long start = 0; start < per_lane; start += STEPS) {
        const int steps = per_lane - start < STEPS ? (int)(per_lane - start) : STEPS;
        for (int step = 0; step < steps; step++) {
            const __m512d u1 = _mm512_sub_pd(_mm512_set1_pd(1), uniform53_avx512(xoshiro_next_avx512(s)));
            const __m512d u2 = uniform53_avx512(xoshiro_next_avx512(s));
            __m256 normals;
            __mmask8 beyond_two;
            const __mmask8 settled = box_muller_avx512(u1, u2, &normals, &beyond_two);
            _mm256_store_ps(block[step], normals);
            if (settled != 0xFF) {
                _mm512_store_pd(u1s[step], u1);
                _mm512_store_pd(u2s[step], u2);
                for (int lane = 0; lane < 8; lane++) {
                    if (!(settled >> lane & 1)) block[step][lane] = box_muller_libm(u1s[step][lane], u2s[step][lane]);
                }
            }
        }
        if (steps == STEPS) {
            // block[step][lane] → out[lane·per_lane + start + step], 16 floats per lane.
            const __m512i rows = _mm512_setr_epi32(0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120);
            for (int lane = 0; lane < 8; lane++) {
                const __m512 column = _mm512_i32gather_ps(_mm512_add_epi32(rows, _mm512_set1_epi32(lane)), &block[0][0], 4);
                const __m512 scaled = _mm512_add_ps(mean_v, _mm512_mul_ps(deviation_v, column));
                _mm512_storeu_ps(out + (long)lane * per_lane + start, scaled);
            }
        } else {
            for (int lane = 0; lane < 8; lane++) {
                for (int step = 0; step < steps; step++) {
                    out[(long)lane * per_lane + start + step] = mean + standard_deviation * block[step][lane];
                }
            }
        }
    }
    uint64_t words[4][8] __attribute__((aligned(64)));
    for (int w = 0; w < 4; w++) _mm512_store_si512(words[w], s[w]);
    for (int lane = 0; lane < 8; lane++) {
        for (int w = 0; w < 4; w++) states[4 * lane + w] = words[w][lane];
    }
}

// Eight rows at a time, one per lane, 16 classes at a time in 16 accumulators: each lane's sums
// are the generic loop's, in the same order.
TARGET_AVX512 static void teacher_labels_avx512(const float *x, long rows, long features, const float *teacher,
                                                    long classes, long *labels, double *scratch) {
    enum { CLASS_BLOCK = 16 };
    const long blocks = (classes + CLASS_BLOCK - 1) / CLASS_BLOCK;
    double *padded = scratch;  // [blocks][features][16], zero beyond `classes`
    double *scores = scratch + blocks * features * CLASS_BLOCK;  // [classes][8]
    pad_teacher(teacher, features, classes, CLASS_BLOCK, padded);
    const __m256i row_offsets = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int)features));
    long row = 0;
    for (; row + 8 <= rows; row += 8) {
        const float *tile = x + row * features;
        for (long b = 0; b < blocks; b++) {
            __m512d acc[CLASS_BLOCK];
            for (int c = 0; c < CLASS_BLOCK; c++) acc[c] = _mm512_setzero_pd();
            const double *w = padded + b * features * CLASS_BLOCK;
            for (long j = 0; j < features; j++) {
                const __m512d value = _mm512_cvtps_pd(_mm256_i32gather_ps(tile + j, row_offsets, 4));
                for (int c = 0; c < CLASS_BLOCK; c++) {
                    acc[c] = _mm512_add_pd(acc[c], _mm512_mul_pd(value, _mm512_set1_pd(w[j * CLASS_BLOCK + c])));
                }
            }
            for (int c = 0; c < CLASS_BLOCK && b * CLASS_BLOCK + c < classes; c++) {
                _mm512_storeu_pd(scores + (b * CLASS_BLOCK + c) * 8, acc[c]);
            }
        }
        argmax_lanes(scores, classes, 8, labels + row);
    }
    for (; row < rows; row++) labels[row] = teacher_label_generic(x + row * features, features, teacher, classes, scores);
}

// MARK: - AVX2

// The AVX-512 path's reductions and series on four lanes, with what AVX2 lacks written out: the
// exponent and mantissa from the bits, 64-bit integers to double through the 2⁵² bias, lane
// masks as `movemask` bits; the series are summed by Estrin's scheme.
#define TARGET_AVX2 __attribute__((target("avx2,fma")))

TARGET_AVX2 static inline __m256d abs_avx2(__m256d x) {
    return _mm256_andnot_pd(_mm256_set1_pd(-0.0), x);
}

// c[0] + c[1]·y + … + c[n−1]·yⁿ⁻¹ by Estrin's scheme: neighbours paired with y, those pairs with
// y², and so on, a dependency chain of ⌈log₂ n⌉ multiply-adds instead of Horner's n − 1 (the
// loop unrolls: n is a constant at every call). The AVX-512 path uses Horner's rule; both
// stay within the 2⁻⁴⁰ guard by orders of magnitude, and the floats are the definition's either way.
TARGET_AVX2 __attribute__((always_inline)) static inline __m256d polynomial_avx2(__m256d y, const double *c, int n) {
    __m256d terms[16];
    for (int i = 0; i < n; i++) terms[i] = _mm256_set1_pd(c[i]);
    __m256d power = y;
    while (n > 1) {
        for (int j = 0; j < n / 2; j++) terms[j] = _mm256_fmadd_pd(terms[2 * j + 1], power, terms[2 * j]);
        if (n % 2 == 1) terms[n / 2] = terms[n - 1];
        n = (n + 1) / 2;
        if (n > 1) power = _mm256_mul_pd(power, power);
    }
    return terms[0];
}

// Integers below 2⁵² held in 64-bit lanes, to double, exactly.
TARGET_AVX2 static inline __m256d small_u64_to_double_avx2(__m256i x) {
    const __m256i bias = _mm256_set1_epi64x(0x4330000000000000);
    return _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(x, bias)), _mm256_set1_pd(0x1.0p52));
}

// `log_avx512` on four lanes (its reduction; the series by Estrin's scheme); u is normal, so its
// exponent and mantissa are its bits'.
TARGET_AVX2 __attribute__((always_inline)) static inline __m256d log_avx2(__m256d u) {
    const __m256i bits = _mm256_castpd_si256(u);
    __m256d e = _mm256_sub_pd(small_u64_to_double_avx2(_mm256_srli_epi64(bits, 52)), _mm256_set1_pd(1023));
    __m256d m = _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi64x(0x000FFFFFFFFFFFFF)),
                                                    _mm256_set1_epi64x(0x3FF0000000000000)));
    const __m256d high = _mm256_cmp_pd(m, _mm256_set1_pd(0x1.6a09e667f3bcdp+0), _CMP_GT_OQ);
    m = _mm256_blendv_pd(m, _mm256_mul_pd(m, _mm256_set1_pd(0.5)), high);
    e = _mm256_blendv_pd(e, _mm256_add_pd(e, _mm256_set1_pd(1)), high);
    const __m256d f = _mm256_sub_pd(m, _mm256_set1_pd(1));
    const __m256d s = _mm256_div_pd(f, _mm256_add_pd(f, _mm256_set1_pd(2)));
    const __m256d s2 = _mm256_mul_pd(s, s);
    static const double series[] = {1.0 / 3,  1.0 / 5,  1.0 / 7,  1.0 / 9,  1.0 / 11, 1.0 / 13,
                                    1.0 / 15, 1.0 / 17, 1.0 / 19, 1.0 / 21, 1.0 / 23};
    const __m256d p = polynomial_avx2(s2, series, 11);
    const __m256d two_s = _mm256_add_pd(s, s);
    const __m256d log_m = _mm256_fmadd_pd(_mm256_mul_pd(two_s, s2), p, two_s);
    return _mm256_add_pd(_mm256_mul_pd(e, _mm256_set1_pd(ln2_hi)),
                         _mm256_fmadd_pd(e, _mm256_set1_pd(ln2_lo), log_m));
}

// `cos_avx512` on four lanes (its reduction; the series by Estrin's scheme); `*tiny` gets the
// lanes with |r| < 2⁻²⁰ as bits.
TARGET_AVX2 __attribute__((always_inline)) static inline __m256d cos_avx2(__m256d x, int *tiny) {
    const __m256d k = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(0x1.45f306dc9c883p-1)),
                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(k, _mm256_set1_pd(pio2_hi), x);
    r = _mm256_fnmadd_pd(k, _mm256_set1_pd(pio2_lo), r);
    *tiny = _mm256_movemask_pd(_mm256_cmp_pd(abs_avx2(r), _mm256_set1_pd(0x1.0p-20), _CMP_LT_OQ));
    const __m256d r2 = _mm256_mul_pd(r, r);
    // The series of `sin_terms` and `cos_terms`, lowest degree first.
    static const double sin_series[] = {-1.0 / 6.0, 1.0 / 120.0, -1.0 / 5040.0, 1.0 / 362880.0, -1.0 / 39916800.0,
                                        1.0 / 6227020800.0, -1.0 / 1307674368000.0, 1.0 / 355687428096000.0};
    static const double cos_series[] = {-1.0 / 2.0, 1.0 / 24.0, -1.0 / 720.0, 1.0 / 40320.0, -1.0 / 3628800.0,
                                        1.0 / 479001600.0, -1.0 / 87178291200.0, 1.0 / 20922789888000.0,
                                        -1.0 / 6402373705728000.0};
    const __m256d sin_p = polynomial_avx2(r2, sin_series, 8);
    const __m256d sin_r = _mm256_fmadd_pd(_mm256_mul_pd(r, r2), sin_p, r);
    const __m256d cos_p = polynomial_avx2(r2, cos_series, 9);
    const __m256d cos_r = _mm256_fmadd_pd(r2, cos_p, _mm256_set1_pd(1));
    // Quadrant k mod 4 (k is 0 to 4): cos r, −sin r, −cos r, sin r.
    const __m128i q = _mm_and_si128(_mm256_cvtpd_epi32(k), _mm_set1_epi32(3));
    const __m128i odd = _mm_cmpeq_epi32(_mm_and_si128(q, _mm_set1_epi32(1)), _mm_set1_epi32(1));
    const __m128i negate = _mm_cmpeq_epi32(_mm_and_si128(_mm_add_epi32(q, _mm_set1_epi32(1)), _mm_set1_epi32(2)),
                                           _mm_set1_epi32(2));
    const __m256d value = _mm256_blendv_pd(cos_r, sin_r, _mm256_castsi256_pd(_mm256_cvtepi32_epi64(odd)));
    return _mm256_blendv_pd(value, _mm256_sub_pd(_mm256_setzero_pd(), value),
                            _mm256_castsi256_pd(_mm256_cvtepi32_epi64(negate)));
}

// `box_muller_avx512` on four lanes, its masks as bits.
TARGET_AVX2 __attribute__((always_inline)) static inline int box_muller_avx2(__m256d u1, __m256d u2, __m128 *normals, int *beyond_two) {
    int tiny;
    const __m256d c = cos_avx2(_mm256_mul_pd(_mm256_set1_pd(two_pi), u2), &tiny);
    const __m256d l = log_avx2(u1);
    const __m256d z = _mm256_mul_pd(_mm256_sqrt_pd(_mm256_mul_pd(_mm256_set1_pd(-2), l)), c);
    const __m128 low = _mm256_cvtpd_ps(_mm256_mul_pd(z, _mm256_set1_pd(1 - 0x1.0p-40)));
    const __m128 high = _mm256_cvtpd_ps(_mm256_mul_pd(z, _mm256_set1_pd(1 + 0x1.0p-40)));
    const int near_one = _mm256_movemask_pd(_mm256_cmp_pd(u1, _mm256_set1_pd(1 - 0x1.0p-10), _CMP_GT_OQ));
    const int agree = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(_mm_castps_si128(low), _mm_castps_si128(high))));
    const __m256d magnitude = abs_avx2(z);
    *beyond_two = _mm256_movemask_pd(_mm256_cmp_pd(magnitude, _mm256_set1_pd(2), _CMP_GT_OQ));
    const int near_two = _mm256_movemask_pd(_mm256_cmp_pd(abs_avx2(_mm256_sub_pd(magnitude, _mm256_set1_pd(2))),
                                                          _mm256_set1_pd(0x1.0p-38), _CMP_LT_OQ));
    *normals = low;
    return agree & ~(tiny | near_one | near_two) & 0xF;
}

// `box_muller_generic`'s floats and flags, four pairs at a time (see `box_muller_avx512_array`).
TARGET_AVX2 static long box_muller_avx2_array(const double *u1, const double *u2, float *out,
                                                  unsigned char *beyond, long count) {
    long computed_by_libm = 0;
    long i = 0;
    for (; i + 4 <= count; i += 4) {
        __m128 normals;
        int beyond_two;
        const int settled = box_muller_avx2(_mm256_loadu_pd(u1 + i), _mm256_loadu_pd(u2 + i), &normals, &beyond_two);
        _mm_storeu_ps(out + i, normals);
        computed_by_libm += settle_lanes(settled, beyond_two, 4, u1 + i, u2 + i, out + i, beyond ? beyond + i : NULL);
    }
    return computed_by_libm + box_muller_generic(u1 + i, u2 + i, out + i, beyond ? beyond + i : NULL, count - i);
}

TARGET_AVX2 static inline __m256i rotl_avx2(__m256i x, int k) {
    return _mm256_or_si256(_mm256_slli_epi64(x, k), _mm256_srli_epi64(x, 64 - k));
}

// xoshiro256** on four streams at once, lane j of each state vector being stream j's.
TARGET_AVX2 static inline __m256i xoshiro_next_avx2(__m256i s[4]) {
    const __m256i five = _mm256_add_epi64(s[1], _mm256_slli_epi64(s[1], 2));
    const __m256i rotated = rotl_avx2(five, 7);
    const __m256i result = _mm256_add_epi64(rotated, _mm256_slli_epi64(rotated, 3));
    const __m256i t = _mm256_slli_epi64(s[1], 17);
    s[2] = _mm256_xor_si256(s[2], s[0]);
    s[3] = _mm256_xor_si256(s[3], s[1]);
    s[1] = _mm256_xor_si256(s[1], s[2]);
    s[0] = _mm256_xor_si256(s[0], s[3]);
    s[2] = _mm256_xor_si256(s[2], t);
    s[3] = rotl_avx2(s[3], 45);
    return result;
}

// `uniform53`: the 53 bits as 32 high and 21 low, each exact through the 2⁵² bias, and joined
// exactly (their bits do not overlap).
TARGET_AVX2 static inline __m256d uniform53_avx2(__m256i bits) {
    const __m256i v = _mm256_srli_epi64(bits, 11);
    const __m256d high = small_u64_to_double_avx2(_mm256_srli_epi64(v, 21));
    const __m256d low = small_u64_to_double_avx2(_mm256_and_si256(v, _mm256_set1_epi64x((1 << 21) - 1)));
    return _mm256_mul_pd(_mm256_add_pd(_mm256_mul_pd(high, _mm256_set1_pd(0x1.0p21)), low), _mm256_set1_pd(0x1.0p-53));
}

// `count` (1 or 2, a constant once inlined) consecutive steps of the eight lanes, held as two
// groups of four, into rows `block[0 ..< count]`. Each step draws from the state the previous one
// left, but the two steps' transforms are independent: written in one block, their polynomial
// chains overlap instead of each waiting on its own latency.
TARGET_AVX2 __attribute__((always_inline)) static inline void normal_steps_avx2(__m256i s[][4], int count,
                                                                               float (*block)[SG_NORMAL_LANES]) {
    enum { GROUPS = SG_NORMAL_LANES / 4 };
    __m256d u1[2][GROUPS], u2[2][GROUPS];
    __m128 normals[2][GROUPS];
    int settled[2][GROUPS];
    for (int k = 0; k < count; k++) {
        for (int g = 0; g < GROUPS; g++) {
            u1[k][g] = _mm256_sub_pd(_mm256_set1_pd(1), uniform53_avx2(xoshiro_next_avx2(s[g])));
            u2[k][g] = uniform53_avx2(xoshiro_next_avx2(s[g]));
        }
    }
    for (int k = 0; k < count; k++) {
        for (int g = 0; g < GROUPS; g++) {
            int beyond_two;
            settled[k][g] = box_muller_avx2(u1[k][g], u2[k][g], &normals[k][g], &beyond_two);
        }
    }
    for (int k = 0; k < count; k++) {
        for (int g = 0; g < GROUPS; g++) {
            _mm_store_ps(&block[k][4 * g], normals[k][g]);
            if (settled[k][g] != 0xF) {
                double u1s[4] __attribute__((aligned(32)));
                double u2s[4] __attribute__((aligned(32)));
                _mm256_store_pd(u1s, u1[k][g]);
                _mm256_store_pd(u2s, u2[k][g]);
                for (int lane = 0; lane < 4; lane++) {
                    if (!(settled[k][g] >> lane & 1)) block[k][4 * g + lane] = box_muller_libm(u1s[lane], u2s[lane]);
                }
            }
        }
    }
}

// `fill_normals_avx512` with the eight lanes as two groups of four, two steps at a time.
TARGET_AVX2 static void fill_normals_avx2(uint64_t *states, long per_lane, float *out, float mean,
                                              float standard_deviation) {
    enum { GROUPS = SG_NORMAL_LANES / 4, STEPS = 16 };
    __m256i s[GROUPS][4];
    for (int g = 0; g < GROUPS; g++) {
        const uint64_t *lane = states + 16 * g;
        for (int w = 0; w < 4; w++) {
            s[g][w] = _mm256_setr_epi64x((long long)lane[w], (long long)lane[4 + w], (long long)lane[8 + w],
                                         (long long)lane[12 + w]);
        }
    }
    float block[STEPS][SG_NORMAL_LANES] __attribute__((aligned(32)));
    for (long start = 0; start < per_lane; start += STEPS) {
        const int steps = per_lane - start < STEPS ? (int)(per_lane - start) : STEPS;
        int step = 0;
        for (; step + 2 <= steps; step += 2) normal_steps_avx2(s, 2, block + step);
        if (step < steps) normal_steps_avx2(s, 1, block + step);
        for (int lane = 0; lane < SG_NORMAL_LANES; lane++) {
            float *target = out + (long)lane * per_lane + start;
            for (int step = 0; step < steps; step++) target[step] = mean + standard_deviation * block[step][lane];
        }
    }
    for (int g = 0; g < GROUPS; g++) {
        uint64_t words[4][4] __attribute__((aligned(32)));
        for (int w = 0; w < 4; w++) _mm256_store_si256((__m256i *)words[w], s[g][w]);
        for (int lane = 0; lane < 4; lane++) {
            for (int w = 0; w < 4; w++) states[4 * (4 * g + lane) + w] = words[w][lane];
        }
    }
}

// Four rows at a time, one per lane, 12 classes at a time in 12 accumulators: each lane's sums
// are the generic loop's, in the same order.
TARGET_AVX2 static void teacher_labels_avx2(const float *x, long rows, long features, const float *teacher,
                                                long classes, long *labels, double *scratch) {
    enum { CLASS_BLOCK = 12 };
    const long blocks = (classes + CLASS_BLOCK - 1) / CLASS_BLOCK;
    double *padded = scratch;  // [blocks][features][12], zero beyond `classes`
    double *scores = scratch + blocks * features * CLASS_BLOCK;  // [classes][4]
    pad_teacher(teacher, features, classes, CLASS_BLOCK, padded);
    long row = 0;
    for (; row + 4 <= rows; row += 4) {
        const float *r0 = x + row * features, *r1 = r0 + features, *r2 = r1 + features, *r3 = r2 + features;
        for (long b = 0; b < blocks; b++) {
            __m256d acc[CLASS_BLOCK];
            for (int c = 0; c < CLASS_BLOCK; c++) acc[c] = _mm256_setzero_pd();
            const double *w = padded + b * features * CLASS_BLOCK;
            for (long j = 0; j < features; j++) {
                const __m256d value = _mm256_cvtps_pd(_mm_setr_ps(r0[j], r1[j], r2[j], r3[j]));
                for (int c = 0; c < CLASS_BLOCK; c++) {
                    acc[c] = _mm256_add_pd(acc[c], _mm256_mul_pd(value, _mm256_broadcast_sd(w + j * CLASS_BLOCK + c)));
                }
            }
            for (int c = 0; c < CLASS_BLOCK && b * CLASS_BLOCK + c < classes; c++) {
                _mm256_storeu_pd(scores + (b * CLASS_BLOCK + c) * 4, acc[c]);
            }
        }
        argmax_lanes(scores, classes, 4, labels + row);
    }
    for (; row < rows; row++) labels[row] = teacher_label_generic(x + row * features, features, teacher, classes, scores);
}

// The widest path this CPU runs: SG_NORMALS_AVX512, SG_NORMALS_AVX2 or SG_NORMALS_SCALAR.
static int normals_widest_path(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) return SG_NORMALS_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SG_NORMALS_AVX2;
    return SG_NORMALS_SCALAR;
}
#endif

// The path a call asking for at most `widest` takes on this CPU.
static int normals_path(int widest) {
#if defined(__x86_64__)
    const int available = normals_widest_path();
    return widest < available ? widest : available;
#else
    (void)widest;
    return SG_NORMALS_SCALAR;
#endif
}

// MARK: - Entry points

int sg_normals_vector_supported(void) { return normals_path(SG_NORMALS_BEST); }

void sg_fill_normals(int vector, uint64_t *states, long per_lane, float *out, float mean,
                     float standard_deviation) {
    switch (normals_path(vector)) {
#if defined(__x86_64__)
    case SG_NORMALS_AVX512: fill_normals_avx512(states, per_lane, out, mean, standard_deviation); return;
    case SG_NORMALS_AVX2: fill_normals_avx2(states, per_lane, out, mean, standard_deviation); return;
#endif
    default: fill_normals_generic(states, per_lane, out, mean, standard_deviation); return;
    }
}

// `box_muller_generic`'s floats and flags on the path `vector` allows.
static long box_muller_array(int vector, const double *u1, const double *u2, float *out, unsigned char *beyond,
                             long count) {
    switch (normals_path(vector)) {
#if defined(__x86_64__)
    case SG_NORMALS_AVX512: return box_muller_avx512_array(u1, u2, out, beyond, count);
    case SG_NORMALS_AVX2: return box_muller_avx2_array(u1, u2, out, beyond, count);
#endif
    default: return box_muller_generic(u1, u2, out, beyond, count);
    }
}

long sg_box_muller(int vector, const double *u1, const double *u2, float *out, long count) {
    return box_muller_array(vector, u1, u2, out, NULL, count);
}

long sg_teacher_labels_scratch_count(long features, long classes) {
    // The larger of the AVX-512 layout (blocks of 16 classes, scores of 8 rows) and the AVX2 one
    // (blocks of 12, scores of 4 rows).
    const long avx512 = ((classes + 15) / 16) * features * 16 + classes * 8;
    const long avx2 = ((classes + 11) / 12) * features * 12 + classes * 4;
    return avx512 > avx2 ? avx512 : avx2;
}

void sg_teacher_labels(int vector, const float *x, long rows, long features, const float *teacher, long classes,
                       long *labels, double *scratch) {
    switch (features <= INT32_MAX / 8 ? normals_path(vector) : SG_NORMALS_SCALAR) {
#if defined(__x86_64__)
    case SG_NORMALS_AVX512: teacher_labels_avx512(x, rows, features, teacher, classes, labels, scratch); return;
    case SG_NORMALS_AVX2: teacher_labels_avx2(x, rows, features, teacher, classes, labels, scratch); return;
#endif
    default:
        for (long row = 0; row < rows; row++) {
            labels[row] = teacher_label_generic(x + row * features, features, teacher, classes, scratch);
        }
        return;
    }
}

void sg_truncated_normals(int vector, uint64_t *state, long count, float *out, float mean, float standard_deviation) {
    enum { BLOCK = 64 };
    double u1[BLOCK], u2[BLOCK];
    float candidates[BLOCK];
    unsigned char beyond[BLOCK];
    long filled = 0;
    while (filled < count) {
        uint64_t start[4];
        memcpy(start, state, sizeof start);
        for (int i = 0; i < BLOCK; i++) {
            u1[i] = 1 - uniform53(xoshiro_next(state));
            u2[i] = uniform53(xoshiro_next(state));
        }
        box_muller_array(vector, u1, u2, candidates, beyond, BLOCK);
        int used = 0;
        while (used < BLOCK && filled < count) {
            if (!beyond[used]) out[filled++] = mean + standard_deviation * candidates[used];
            used++;
        }
        if (used < BLOCK) {
            // Leave the stream after the last candidate used, not after the block.
            memcpy(state, start, sizeof start);
            for (int draw = 0; draw < 2 * used; draw++) xoshiro_next(state);
        }
    }
}
