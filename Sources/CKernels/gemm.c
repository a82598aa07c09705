// Packed, cache-blocked single-precision GEMM in the style of BLIS / GotoBLAS.
//
// C = alpha * op(A) * op(B) + beta * C on row-major storage.
//
// Every operand is seen through a pair of strides, element (i, j) of a matrix X living at
// X[i * rs + j * cs]. A transpose only swaps the two strides, so transposition is handled once,
// when the operands are copied ("packed") into contiguous buffers, and the micro-kernels only
// ever see one layout.
//
// Loop nest (one K block at a time, never split across threads):
//
//   for jc in N by NC                         B block: KC x NC, packed once, shared by threads;
//     for pc in K by KC                       sized to stay in each core's L2 (1 MiB on Zen 4)
//       pack op(B)[pc:pc+KC, jc:jc+NC] into NR-column panels (threads share the copying)
//       for ic in this thread's rows by MC
//         pack op(A)[ic:ic+MC, pc:pc+KC] into MR-row panels (per-thread buffer)
//         for ir in MC by MR                  A micro-panel MR x KC: stays in L1 across jr
//           for jr in NC by NR                B micro-panel KC x NR: streamed from L2
//             micro-kernel: MR x NR tile of C held in registers for all KC steps
//
// Determinism: each element of C is computed by the same sequence of fused multiply-adds over
// k = 0, 1, ..., K-1 (K split into the same KC blocks) whatever the number of threads. Threads
// only decide *which* tiles of C they own, so 1, 2 or 8 threads produce the same bits.
//
// On AVX-512 a single output column (N == 1) takes the matrix-vector path (see "Matrix-vector
// products"), and other narrow outputs (N <= 16 with M > N, e.g. the 256x10 output layer of an
// MLP) a kernel of their own (see "Narrow-output kernel"): op(B) packed once, A read in place,
// one zmm per row of C; with op(A) = A^T (the layer's weight gradient) the kernel is vectorised
// along M instead (see "Narrow output with transposed A"). A short K (K <= 16 with N > 16, the
// layer's input gradient dY W^T) takes the small-K kernel: only op(B) is packed, A is broadcast
// from its rows. With the AVX2 and portable kernels, a narrow N (N < NR/2 with M > N) would
// waste most of each NR-wide register tile on padding, so the product is computed as
// C^T = op(B)^T op(A)^T: the narrow dimension becomes the MR side, where a kernel specialised
// for every row count 1...MR wastes nothing. Which path runs depends only on the kernel family
// and the shape, never on the thread count (apart from a single-threaded product posted on a
// help board, see "Products other threads can help with", which makes the same calls).

#include "CKernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SG_X86 1
#else
#define SG_X86 0
#endif

// The few OpenMP entry points used here, declared rather than included: Debian installs
// omp.h where Swift's clang does not look (see ANCHORS.md, "Building with OpenMP").
extern int omp_get_thread_num(void);
extern int omp_get_num_threads(void);

// MARK: - Blocking parameters

/// Register tile and cache blocks of one micro-kernel family.
typedef struct {
    int mr, nr;   // register tile: MR rows x NR columns of C held in registers
    long kc;      // K block: depth of one packed panel
    long mc;      // M block: rows of A packed at a time (per thread)
    long nc;      // N block: columns of B packed at a time (shared)
} sg_blocking;

// AVX-512 (Zen 4 has 32 zmm registers): 12 x 32 tile = 24 zmm accumulators, 2 zmm for the B
// row and one broadcast register; 24 independent FMA chains hide the 4-cycle FMA latency with
// room to spare, and each k step issues 24 FMAs for only 2 vector loads and 12 broadcasts.
// KC = 256: the A micro-panel (12 x 256 x 4 B = 12 KiB) stays in the 32 KiB L1 while the jr
// loop streams 32 KiB B micro-panels past it. NC = 1024: the B block (256 x 1024 x 4 B = 1 MiB)
// lives in L2 / L3; a micro-panel needs only 128 B per 24 FMA cycles, which L3 also sustains.
// MC = 240 (20 micro-panels) only bounds the per-thread A buffer: A panels are used once per
// sweep, so their block needs no cache of its own. Measured on Zen 4 against KC 192...512,
// NC 256...2048: these were within noise of the best at 512...2048 squares.
#define MR512 12
#define NR512 32
static const sg_blocking blk512 = {MR512, NR512, 256, 240, 1024};

// AVX2 + FMA (16 ymm registers): 6 x 16 tile = 12 ymm accumulators + 2 for B + 1 broadcast.
// A micro-panel 6 x 256 x 4 B = 6 KiB in L1; B block 256 x 1024 as above.
#define MR256 6
#define NR256 16
static const sg_blocking blk256 = {MR256, NR256, 256, 240, 1024};

// Portable C: 4 x 16 tile, written so that the compiler can vectorise it with whatever the
// baseline target offers (SSE2 on x86-64, NEON on arm64).
#define MRGEN 4
#define NRGEN 16
static const sg_blocking blkgen = {MRGEN, NRGEN, 256, 256, 256};

// Largest MR over all families: the size of pack_a_panel's stack array of row pointers.
#define MR_MAX 12
// Largest KC over all families: with MR_MAX, the size of a helped tile's A buffer on the stack.
#define KC_MAX 256

static inline long ceil_div(long a, long b) { return (a + b - 1) / b; }
static inline long min_l(long a, long b) { return a < b ? a : b; }

/// A strided view: element (i, j) is at p[i * rs + j * cs].
typedef struct {
    const float *p;
    long rs, cs;
} sg_view;

// MARK: - Micro-kernel interface

/// Computes the mr x n corner of an MR x NR tile:
/// C[i*rsc + j*csc] = alpha * sum_p a[p*MR + i] * b[p*NR + j] + beta * C[...],
/// where `a` / `b` are packed, zero-padded micro-panels of depth kc.
/// beta == 0 means C is not read. mr <= MR and n <= NR.
typedef void (*sg_ukernel)(int mr, int n, long kc, const float *a, const float *b,
                           float *c, long rsc, long csc, float alpha, float beta);

// MARK: - Generic micro-kernel

static void ukernel_generic(int mr, int n, long kc, const float *a, const float *b,
                            float *c, long rsc, long csc, float alpha, float beta) {
    float acc[MRGEN][NRGEN];
    memset(acc, 0, sizeof acc);
    for (long p = 0; p < kc; p++) {
        for (int i = 0; i < MRGEN; i++) {
            const float ai = a[p * MRGEN + i];
            for (int j = 0; j < NRGEN; j++) acc[i][j] += ai * b[p * NRGEN + j];
        }
    }
    for (int i = 0; i < mr; i++) {
        for (int j = 0; j < n; j++) {
            float *cij = c + i * rsc + j * csc;
            float r = alpha * acc[i][j];
            *cij = beta == 0.0f ? r : r + beta * *cij;
        }
    }
}

#if SG_X86

// MARK: - AVX2 + FMA micro-kernel (6 x 16)

#define SG_AVX2 __attribute__((target("avx2,fma")))

/// Loads, updates and stores one row of up to 16 C elements; all arithmetic in ymm registers
/// so full and partial tiles round identically.
SG_AVX2 static inline __attribute__((always_inline)) void
store_row256(float *c, long csc, int n, __m256 acc0, __m256 acc1, __m256 va, float beta) {
    if (csc == 1 && n == 16) {
        __m256 r0 = _mm256_mul_ps(va, acc0), r1 = _mm256_mul_ps(va, acc1);
        if (beta != 0.0f) {
            __m256 vb = _mm256_set1_ps(beta);
            r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c), r0);
            r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8), r1);
        }
        _mm256_storeu_ps(c, r0);
        _mm256_storeu_ps(c + 8, r1);
        return;
    }
    float t[16] __attribute__((aligned(32)));
    if (beta != 0.0f) for (int j = 0; j < n; j++) t[j] = c[j * csc];
    __m256 r0 = _mm256_mul_ps(va, acc0), r1 = _mm256_mul_ps(va, acc1);
    if (beta != 0.0f) {
        __m256 vb = _mm256_set1_ps(beta);
        r0 = _mm256_fmadd_ps(vb, _mm256_load_ps(t), r0);
        r1 = _mm256_fmadd_ps(vb, _mm256_load_ps(t + 8), r1);
    }
    _mm256_store_ps(t, r0);
    _mm256_store_ps(t + 8, r1);
    for (int j = 0; j < n; j++) c[j * csc] = t[j];
}

// Note on the partial tile above: lanes j >= n of `t` are uninitialised when beta != 0, but
// they are never stored, and lanes are independent, so they cannot affect the result.

SG_AVX2 static inline __attribute__((always_inline)) void
ukernel256_body(const int MR, int n, long kc, const float *a, const float *b,
                float *c, long rsc, long csc, float alpha, float beta) {
    __m256 acc[MR256][2];
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    for (long p = 0; p < kc; p++) {
        const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        for (int i = 0; i < MR; i++) {
            const __m256 ai = _mm256_broadcast_ss(a + i);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
        a += MR256;
        b += NR256;
    }
    const __m256 va = _mm256_set1_ps(alpha);
    for (int i = 0; i < MR; i++) store_row256(c + i * rsc, csc, n, acc[i][0], acc[i][1], va, beta);
}

/// One specialisation per row count, so a partial tile costs only the rows it has.
SG_AVX2 static void ukernel_avx2(int mr, int n, long kc, const float *a, const float *b,
                                 float *c, long rsc, long csc, float alpha, float beta) {
    switch (mr) {
    case 6: ukernel256_body(6, n, kc, a, b, c, rsc, csc, alpha, beta); break;
    case 5: ukernel256_body(5, n, kc, a, b, c, rsc, csc, alpha, beta); break;
    case 4: ukernel256_body(4, n, kc, a, b, c, rsc, csc, alpha, beta); break;
    case 3: ukernel256_body(3, n, kc, a, b, c, rsc, csc, alpha, beta); break;
    case 2: ukernel256_body(2, n, kc, a, b, c, rsc, csc, alpha, beta); break;
    default: ukernel256_body(1, n, kc, a, b, c, rsc, csc, alpha, beta); break;
    }
}

// MARK: - AVX-512 micro-kernel (12 x 32)

#define SG_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))

// Compiled for avx512f alone, the features every caller has (SG_AVX512 code and the avx512f
// matrix-vector code): a function with target features inlines only into callers that have them.
/// Lanes [0, n) of a 16-float vector: all of them for n >= 16, none for n <= 0.
__attribute__((target("avx512f"))) static inline __attribute__((always_inline)) __mmask16
lane_mask(int n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}

SG_AVX512 static inline __attribute__((always_inline)) void
store_row512(float *c, long csc, int n, __m512 acc0, __m512 acc1, __m512 va, float beta) {
    if (csc == 1) {
        // Column masks make partial tiles cost the same as full ones and never touch
        // memory past column n.
        const __mmask16 m0 = lane_mask(n), m1 = lane_mask(n - 16);
        __m512 r0 = _mm512_mul_ps(va, acc0), r1 = _mm512_mul_ps(va, acc1);
        if (beta != 0.0f) {
            const __m512 vb = _mm512_set1_ps(beta);
            r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c), r0);
            r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + 16), r1);
        }
        _mm512_mask_storeu_ps(c, m0, r0);
        _mm512_mask_storeu_ps(c + 16, m1, r1);
        return;
    }
    // Strided C: gather, update in registers, scatter. No AVX-512 path stores C with csc != 1
    // (narrow outputs have kernels of their own, so the transposed narrow path never runs
    // here); the branch is kept so that this kernel honours the sg_ukernel contract for any csc.
    float t[32] __attribute__((aligned(64)));
    if (beta != 0.0f) for (int j = 0; j < n; j++) t[j] = c[j * csc];
    __m512 r0 = _mm512_mul_ps(va, acc0), r1 = _mm512_mul_ps(va, acc1);
    if (beta != 0.0f) {
        const __m512 vb = _mm512_set1_ps(beta);
        r0 = _mm512_fmadd_ps(vb, _mm512_load_ps(t), r0);
        r1 = _mm512_fmadd_ps(vb, _mm512_load_ps(t + 16), r1);
    }
    _mm512_store_ps(t, r0);
    _mm512_store_ps(t + 16, r1);
    for (int j = 0; j < n; j++) c[j * csc] = t[j];
}

SG_AVX512 static inline __attribute__((always_inline)) void
ukernel512_body(const int MR, int n, long kc, const float *a, const float *b,
                float *c, long rsc, long csc, float alpha, float beta) {
    __m512 acc[MR512][2];
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    // Fetch the C tile (12 rows of 128 B, often 4 KiB apart and out of L1) while the FMAs run:
    // otherwise its loads or read-for-ownership stall the stores at the end. ~3 % at 1024^2.
    for (int i = 0; i < MR; i++) {
        _mm_prefetch((const char *)(c + i * rsc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * rsc + 31 * csc), _MM_HINT_T0);
    }
    for (long p = 0; p < kc; p++) {
        const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
        for (int i = 0; i < MR; i++) {
            const __m512 ai = _mm512_set1_ps(a[i]);  // folds into an embedded broadcast
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
        a += MR512;
        b += NR512;
    }
    const __m512 va = _mm512_set1_ps(alpha);
    for (int i = 0; i < MR; i++) store_row512(c + i * rsc, csc, n, acc[i][0], acc[i][1], va, beta);
}

SG_AVX512 static void ukernel_avx512(int mr, int n, long kc, const float *a, const float *b,
                                     float *c, long rsc, long csc, float alpha, float beta) {
#define SG_CASE(R) case R: ukernel512_body(R, n, kc, a, b, c, rsc, csc, alpha, beta); break;
    switch (mr) {
    SG_CASE(12) SG_CASE(11) SG_CASE(10) SG_CASE(9) SG_CASE(8) SG_CASE(7)
    SG_CASE(6) SG_CASE(5) SG_CASE(4) SG_CASE(3) SG_CASE(2)
    default: ukernel512_body(1, n, kc, a, b, c, rsc, csc, alpha, beta); break;
    }
#undef SG_CASE
}


// MARK: - Narrow-output kernel (AVX-512, N <= 16)

// For N <= 16 (an MLP's 10-class output layer) all of op(B) is packed once into K rows of 16
// zero-padded floats (16 KiB for K = 256, resident in L1), and each row of C is one zmm
// accumulator: acc_i += broadcast(A[i][p]) * B[p] for p = 0, 1, ..., K-1. A is read in place
// through its strides (either transpose), SMALLN_ROWS rows at a time so that many independent
// FMA chains hide the FMA latency; nothing of A is copied. Each element of C is one FMA chain
// over K in order, and threads own whole row blocks, so the bits do not depend on threads.

#define SMALLN_ROWS 12

SG_AVX512 static inline __attribute__((always_inline)) void
smalln_block(const int R, long K, int n, const float *a, long ars, long acs,
             const float *bpack, float *c, long ldc, float alpha, float beta) {
    __m512 acc[SMALLN_ROWS];
    for (int i = 0; i < R; i++) acc[i] = _mm512_setzero_ps();
    if (acs == 1) {
        for (long p = 0; p < K; p++) {
            const __m512 bp = _mm512_load_ps(bpack + p * 16);
            for (int i = 0; i < R; i++)
                acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i * ars + p]), bp, acc[i]);
        }
    } else {
        for (long p = 0; p < K; p++) {
            const __m512 bp = _mm512_load_ps(bpack + p * 16);
            const float *ap = a + p * acs;
            for (int i = 0; i < R; i++)
                acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(ap[i * ars]), bp, acc[i]);
        }
    }
    const __m512 va = _mm512_set1_ps(alpha), zero = _mm512_setzero_ps();
    for (int i = 0; i < R; i++) store_row512(c + i * ldc, 1, n, acc[i], zero, va, beta);
}

SG_AVX512 static void smalln_rows(long i0, long i1, long K, int n, sg_view a, const float *bpack,
                                  float *C, long ldc, float alpha, float beta) {
    long i = i0;
    for (; i + SMALLN_ROWS <= i1; i += SMALLN_ROWS)
        smalln_block(SMALLN_ROWS, K, n, a.p + i * a.rs, a.rs, a.cs, bpack, C + i * ldc, ldc,
                     alpha, beta);
#define SG_TAIL(R) case R: smalln_block(R, K, n, a.p + i * a.rs, a.rs, a.cs, bpack, C + i * ldc, \
                                        ldc, alpha, beta); break;
    switch (i1 - i) {
    SG_TAIL(11) SG_TAIL(10) SG_TAIL(9) SG_TAIL(8) SG_TAIL(7) SG_TAIL(6)
    SG_TAIL(5) SG_TAIL(4) SG_TAIL(3) SG_TAIL(2) SG_TAIL(1)
    default: break;
    }
#undef SG_TAIL
}

// MARK: - Narrow output with transposed A (AVX-512, N <= 16)

// The weight gradient of a narrow layer, X^T dY (M = fan-in, N = 10, K = batch), reads op(A)
// = X^T, whose columns are X's rows: contiguous along M. Vectorising along M instead of N uses
// all 16 lanes of every zmm (one zmm per 16 rows of one column of C), where the row-wise
// narrow kernel above fills only N of them. Per k step: NARROWT_V vectors of A's row p
// (masked past row M), one broadcast of B[p][j] per column, NARROWT_V x G FMAs. op(B) is read
// in place (K x N, a few KiB, L1-resident). Each C element is still one FMA chain over
// k = 0...K-1 in order, so the bits match the row-wise kernel's and do not depend on threads
// (threads own blocks of 16 * NARROWT_V rows).

#define NARROWT_V 2    // zmm vectors along M per block: 32 rows
#define NARROWT_G 12   // most columns per pass: 12 x 2 accumulators + 2 A vectors

SG_AVX512 static inline __attribute__((always_inline)) void
narrowt_block(const int V, const int G, long K, int m, const float *a, long acs,
              const float *b, long brs, long bcs, float *c, long ldc, float alpha,
              float beta) {
    __mmask16 mk[NARROWT_V];
    for (int v = 0; v < V; v++) mk[v] = lane_mask(m - 16 * v);
    __m512 acc[NARROWT_G][NARROWT_V];
    for (int g = 0; g < G; g++)
        for (int v = 0; v < V; v++) acc[g][v] = _mm512_setzero_ps();
    for (long p = 0; p < K; p++) {
        const float *ap = a + p * acs, *bp = b + p * brs;
        __m512 av[NARROWT_V];
        for (int v = 0; v < V; v++) av[v] = _mm512_maskz_loadu_ps(mk[v], ap + 16 * v);
        for (int g = 0; g < G; g++) {
            const __m512 bj = _mm512_set1_ps(bp[g * bcs]);
            for (int v = 0; v < V; v++) acc[g][v] = _mm512_fmadd_ps(bj, av[v], acc[g][v]);
        }
    }
    // C's rows are strided by ldc: go through a small column-major buffer.
    float t[NARROWT_G][16 * NARROWT_V] __attribute__((aligned(64)));
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    if (beta != 0.0f)
        for (int i = 0; i < m; i++)
            for (int g = 0; g < G; g++) t[g][i] = c[i * ldc + g];
    for (int g = 0; g < G; g++)
        for (int v = 0; v < V; v++) {
            __m512 r = _mm512_mul_ps(va, acc[g][v]);
            if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_load_ps(&t[g][16 * v]), r);
            _mm512_store_ps(&t[g][16 * v], r);
        }
    for (int i = 0; i < m; i++)
        for (int g = 0; g < G; g++) c[i * ldc + g] = t[g][i];
}

/// Columns [j0, j0 + g) of rows [i0, i0 + m), m <= 16 * NARROWT_V, g <= NARROWT_G.
SG_AVX512 static void narrowt_tile(int m, int g, long K, sg_view a, sg_view b, long i0, long j0,
                                   float *C, long ldc, float alpha, float beta) {
    const float *ap = a.p + i0;  // a.rs == 1
    const float *bp = b.p + j0 * b.cs;
    float *cp = C + i0 * ldc + j0;
#define SG_G(V, G) case G: narrowt_block(V, G, K, m, ap, a.cs, bp, b.rs, b.cs, cp, ldc, alpha, \
                                         beta); break;
#define SG_GS(V) switch (g) { SG_G(V, 12) SG_G(V, 11) SG_G(V, 10) SG_G(V, 9) SG_G(V, 8)     \
                              SG_G(V, 7) SG_G(V, 6) SG_G(V, 5) SG_G(V, 4) SG_G(V, 3) SG_G(V, 2) \
                              default: narrowt_block(V, 1, K, m, ap, a.cs, bp, b.rs, b.cs, cp,  \
                                                     ldc, alpha, beta); break; }
    if (m > 16) { SG_GS(2) } else { SG_GS(1) }
#undef SG_GS
#undef SG_G
}

SG_AVX512 static void narrowt_rows(long i0, long i1, int N, long K, sg_view a, sg_view b,
                                   float *C, long ldc, float alpha, float beta) {
    // N <= 12 in one pass; 13...16 in two passes of at most 8 columns.
    const int passes = N <= NARROWT_G ? 1 : 2;
    for (long i = i0; i < i1; i += 16 * NARROWT_V) {
        const int m = (int)min_l(16 * NARROWT_V, i1 - i);
        for (int q = 0; q < passes; q++) {
            const int j0 = N * q / passes, j1 = N * (q + 1) / passes;
            narrowt_tile(m, j1 - j0, K, a, b, i, j0, C, ldc, alpha, beta);
        }
    }
}

// MARK: - Small-K kernel (AVX-512, K <= 16)

// The input gradient of a narrow layer, dY W^T (K = 10), does only K multiply-adds per element
// of C: packing A into micro-panels and running the 12 x 32 kernel for 10 steps costs a
// noticeable share of the time. Here op(B) alone is packed once (K rows of N floats, padded to
// 16), A is broadcast straight from its rows (either transpose), and a tile of SMALLK_R rows x
// SMALLK_V zmm of C is accumulated over all K steps and stored once. Each C element is one FMA
// chain over k = 0...K-1 in order, exactly as in the packed path; threads own row blocks.

#define SMALLK_R 6   // rows of C per tile
#define SMALLK_V 4   // zmm vectors (64 columns) per tile: 24 accumulators

SG_AVX512 static inline __attribute__((always_inline)) void
smallk_tile(const int R, const int V, long K, int n, const float *a, long ars, long acs,
            const float *bpack, long ldbp, float *c, long ldc, float alpha, float beta) {
    __m512 acc[SMALLK_R][SMALLK_V];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps();
    for (long p = 0; p < K; p++) {
        __m512 bv[SMALLK_V];
        for (int v = 0; v < V; v++) bv[v] = _mm512_load_ps(bpack + p * ldbp + 16 * v);
        for (int r = 0; r < R; r++) {
            const __m512 ar = _mm512_set1_ps(a[r * ars + p * acs]);
            for (int v = 0; v < V; v++) acc[r][v] = _mm512_fmadd_ps(ar, bv[v], acc[r][v]);
        }
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int r = 0; r < R; r++) {
        float *cr = c + r * ldc;
        for (int v = 0; v < V; v++) {
            const __mmask16 mk = lane_mask(n - 16 * v);
            __m512 x = _mm512_mul_ps(va, acc[r][v]);
            if (beta != 0.0f) x = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mk, cr + 16 * v), x);
            _mm512_mask_storeu_ps(cr + 16 * v, mk, x);
        }
    }
}

SG_AVX512 static inline __attribute__((always_inline)) void
smallk_rowblock(const int R, long K, long N, const float *a, long ars, long acs,
                const float *bpack, long ldbp, float *c, long ldc, float alpha, float beta) {
    long j = 0;
    for (; j + 16 * SMALLK_V <= N; j += 16 * SMALLK_V)
        smallk_tile(R, SMALLK_V, K, 16 * SMALLK_V, a, ars, acs, bpack + j, ldbp, c + j, ldc,
                    alpha, beta);
    if (j < N) {
        const int n = (int)(N - j), v = (n + 15) / 16;
        const float *bp = bpack + j;
        switch (v) {
        case 4: smallk_tile(R, 4, K, n, a, ars, acs, bp, ldbp, c + j, ldc, alpha, beta); break;
        case 3: smallk_tile(R, 3, K, n, a, ars, acs, bp, ldbp, c + j, ldc, alpha, beta); break;
        case 2: smallk_tile(R, 2, K, n, a, ars, acs, bp, ldbp, c + j, ldc, alpha, beta); break;
        default: smallk_tile(R, 1, K, n, a, ars, acs, bp, ldbp, c + j, ldc, alpha, beta); break;
        }
    }
}

SG_AVX512 static void smallk_rows(long i0, long i1, long N, long K, sg_view a,
                                  const float *bpack, long ldbp, float *C, long ldc,
                                  float alpha, float beta) {
    long i = i0;
    for (; i + SMALLK_R <= i1; i += SMALLK_R)
        smallk_rowblock(SMALLK_R, K, N, a.p + i * a.rs, a.rs, a.cs, bpack, ldbp, C + i * ldc,
                        ldc, alpha, beta);
#define SG_TAIL(R) case R: smallk_rowblock(R, K, N, a.p + i * a.rs, a.rs, a.cs, bpack, ldbp, \
                                           C + i * ldc, ldc, alpha, beta); break;
    switch (i1 - i) {
    SG_TAIL(5) SG_TAIL(4) SG_TAIL(3) SG_TAIL(2) SG_TAIL(1)
    default: break;
    }
#undef SG_TAIL
}

#endif  // SG_X86

// MARK: - Packing

/// Copies rows [i0, i0+mr) x columns [p0, p0+kc) of `a` into one MR-row micro-panel
/// (column p holds MR consecutive floats), padding rows mr..MR-1 with zeros.
static void pack_a_panel(sg_view a, long i0, int mr, long p0, long kc, int MR, float *dst) {
    if (a.rs == 1) {
        // Column-contiguous (op(A) = A^T): each k step is one contiguous run of mr floats.
        for (long p = 0; p < kc; p++) {
            const float *src = a.p + (p0 + p) * a.cs + i0;
            float *d = dst + p * MR;
            for (int i = 0; i < mr; i++) d[i] = src[i];
            for (int i = mr; i < MR; i++) d[i] = 0.0f;
        }
    } else {
        // Row-contiguous: read mr streams, write one contiguous panel.
        const float *rows[MR_MAX];
        for (int i = 0; i < mr; i++) rows[i] = a.p + (i0 + i) * a.rs + p0 * a.cs;
        for (long p = 0; p < kc; p++) {
            float *d = dst + p * MR;
            for (int i = 0; i < mr; i++) d[i] = rows[i][p * a.cs];
            for (int i = mr; i < MR; i++) d[i] = 0.0f;
        }
    }
}

/// Copies rows [p0, p0+kc) x columns [j0, j0+nr) of `b` into one NR-column micro-panel
/// (row p holds NR consecutive floats), padding columns nr..NR-1 with zeros.
static void pack_b_panel(sg_view b, long p0, long kc, long j0, long nr, long NR, float *dst) {
    if (b.cs == 1) {
        for (long p = 0; p < kc; p++) {
            const float *src = b.p + (p0 + p) * b.rs + j0;
            float *d = dst + p * NR;
            for (long j = 0; j < nr; j++) d[j] = src[j];
            for (long j = nr; j < NR; j++) d[j] = 0.0f;
        }
    } else {
        // Transposed B: columns are contiguous in memory. Walk 8 k-steps at a time so each
        // source column is read in cache-line-sized runs while the panel is written densely.
        long p = 0;
        for (; p + 8 <= kc; p += 8) {
            float *d = dst + p * NR;
            for (long j = 0; j < nr; j++) {
                const float *src = b.p + (p0 + p) * b.rs + (j0 + j) * b.cs;
                for (int q = 0; q < 8; q++) d[q * NR + j] = src[q * b.rs];
            }
            for (int q = 0; q < 8; q++)
                for (long j = nr; j < NR; j++) d[q * NR + j] = 0.0f;
        }
        for (; p < kc; p++) {
            float *d = dst + p * NR;
            for (long j = 0; j < nr; j++) d[j] = b.p[(p0 + p) * b.rs + (j0 + j) * b.cs];
            for (long j = nr; j < NR; j++) d[j] = 0.0f;
        }
    }
}

/// Panels [q0, q1) of the B block rows [p0, p0+kc) x columns [j0, j0+nc): panel q (columns
/// j0 + q*NR ...) goes to dst + q*kc*NR. Row-major B is copied one source row at a time across
/// all panels, so it is read sequentially rather than down columns 4...8 KiB apart.
static void pack_b_panels(sg_view b, long p0, long kc, long j0, long nc, long q0, long q1,
                          int NR, float *dst) {
    if (b.cs != 1 || q0 >= q1) {
        for (long q = q0; q < q1; q++)
            pack_b_panel(b, p0, kc, j0 + q * NR, min_l(NR, nc - q * NR), NR,
                         dst + q * kc * NR);
        return;
    }
    const long full_end = min_l(q1, nc / NR);  // panels [q0, full_end) have all NR columns
    for (long p = 0; p < kc; p++) {
        const float *src = b.p + (p0 + p) * b.rs + j0;
        for (long q = q0; q < full_end; q++)
            memcpy(dst + q * kc * NR + p * NR, src + q * NR, (size_t)NR * sizeof(float));
    }
    for (long q = full_end > q0 ? full_end : q0; q < q1; q++)
        pack_b_panel(b, p0, kc, j0 + q * NR, min_l(NR, nc - q * NR), NR, dst + q * kc * NR);
}

// MARK: - Driver

typedef struct {
    const sg_blocking *blk;
    sg_ukernel kernel;
    long M, N, K;
    float alpha, beta;
    sg_view a, b;        // op(A): M x K, op(B): K x N
    float *c;
    long rsc, csc;       // C: M x N
    float *bpack;        // shared B block: KC x roundup(NC, NR)
    float *apack;        // per-thread A blocks: nth x MC x KC
    long apack_stride;   // floats per thread in apack
    long mc;             // M block actually used (<= blk->mc; apack holds mc x kc)
    int split_m;         // 1: threads own row ranges; 0: threads own column panels
    int whole_b;         // 1: bpack holds every K block of an N block (K x roundup(NC, NR))
} sg_gemm_ctx;


/// The whole loop nest as run by thread `tid` of `nth`. With nth == 1 it is plain serial code
/// and touches no OpenMP; with nth > 1 it must be called by every thread of a parallel region.
static void gemm_thread(const sg_gemm_ctx *x, int tid, int nth) {
    const sg_blocking *blk = x->blk;
    const int MR = blk->mr, NR = blk->nr;
    float *apack = x->apack + (long)tid * x->apack_stride;

    // Rows this thread owns (whole MR panels, so the split never changes a tile's shape).
    long m_begin = 0, m_end = x->M;
    if (x->split_m && nth > 1) {
        long panels = ceil_div(x->M, MR);
        m_begin = min_l(x->M, (panels * tid / nth) * MR);
        m_end = min_l(x->M, (panels * (tid + 1) / nth) * MR);
    }

    for (long jc = 0; jc < x->N; jc += blk->nc) {
        const long nc = min_l(blk->nc, x->N - jc);
        const long bpanels = ceil_div(nc, NR);
        // With whole_b the B block of every K step is packed up front (K x NC in all), so
        // threads meet at one barrier per N block instead of two per K block: on a shared
        // machine each barrier can cost a scheduler slice when a thread has lost its core.
        if (x->whole_b) {
            for (long pc = 0; pc < x->K; pc += blk->kc) {
                const long kc = min_l(blk->kc, x->K - pc);
                pack_b_panels(x->b, pc, kc, jc, nc, bpanels * tid / nth,
                              bpanels * (tid + 1) / nth, NR, x->bpack + pc * bpanels * NR);
            }
            if (nth > 1) {
#pragma omp barrier
            }
        }
        for (long pc = 0; pc < x->K; pc += blk->kc) {
            const long kc = min_l(blk->kc, x->K - pc);
            // After the first K block C already holds beta*C + partial sums: accumulate.
            const float beta = pc == 0 ? x->beta : 1.0f;
            float *bblock = x->whole_b ? x->bpack + pc * bpanels * NR : x->bpack;

            // Pack the shared B block; each thread copies a contiguous share of its panels.
            if (!x->whole_b) {
                pack_b_panels(x->b, pc, kc, jc, nc, bpanels * tid / nth,
                              bpanels * (tid + 1) / nth, NR, bblock);
                if (nth > 1) {
#pragma omp barrier
                }
            }

            // Column panels of this block this thread computes.
            long q_begin = 0, q_end = bpanels;
            if (!x->split_m && nth > 1) {
                q_begin = bpanels * tid / nth;
                q_end = bpanels * (tid + 1) / nth;
            }

            for (long ic = m_begin; ic < m_end; ic += x->mc) {
                const long mc = min_l(x->mc, m_end - ic);
                for (long ir = 0; ir < mc; ir += MR)
                    pack_a_panel(x->a, ic + ir, (int)min_l(MR, mc - ir), pc, kc, MR,
                                 apack + ir * kc);
                for (long ir = 0; ir < mc; ir += MR) {
                    const int mr = (int)min_l(MR, mc - ir);
                    const float *ap = apack + ir * kc;
                    for (long q = q_begin; q < q_end; q++) {
                        const long j0 = q * NR;
                        const int n = (int)min_l(NR, nc - j0);
                        float *cp = x->c + (ic + ir) * x->rsc + (jc + j0) * x->csc;
                        x->kernel(mr, n, kc, ap, bblock + q * kc * NR, cp, x->rsc, x->csc,
                                  x->alpha, beta);
                    }
                }
            }
            // Nobody may overwrite the B block while another thread still reads it.
            if (nth > 1 && (!x->whole_b || (pc + blk->kc >= x->K && jc + blk->nc < x->N))) {
#pragma omp barrier
            }
        }
    }
}

// MARK: - Products other threads can help with
//
// A data-parallel worker runs its products on one thread, and the workers of a step rarely
// finish together: one core of a shared machine is often slower than another. So a worker's
// single-threaded product can post each K block's tiles on a help board; a worker that has
// finished its own work (spinning in the engine's pool) takes tiles from it. A tile is one MR-row
// micro-panel of C for the block: the same micro-kernel calls, with the same packed A and B
// panels, as the serial loop makes, so who computes a tile never changes a bit of it.

/// One posted K block of a product: its tiles are claimed through `next`.
typedef struct {
    const sg_gemm_ctx *x;
    long jc, nc, pc, kc, bpanels;
    float beta;
    const float *bblock;
    long tiles;           // MR-row micro-panels of C
    // On cache lines of their own: helpers update them while the owner works on its stack.
    _Alignas(64) _Atomic long next;  // the next unclaimed tile
    _Alignas(64) _Atomic long done;  // tiles finished
} sg_posted_block;

/// A worker's place on the board. `block` changes only under `lock`; a helper that found it
/// non-null counts itself in `helpers` under the same lock, so the owner, having taken the
/// block down, knows when the last helper has left it. `open` is a hint read without the lock:
/// 1 from posting until some thread finds no tile left to claim, so that idle threads do not
/// keep taking the lock of a block whose tiles are all taken.
typedef struct {
    pthread_mutex_t lock;
    sg_posted_block *block;
    _Atomic int helpers;
    _Atomic int open;
    char padding[64];     // keeps neighbouring slots off each other's cache lines
} sg_help_slot;

struct sg_help_board {
    int count;
    _Atomic int posted;          // blocks on the board now: idle threads look here first
    _Atomic long helped;         // tiles computed by helpers since the board was made
    _Atomic long helped_nanos;   // time helpers spent in blocks they joined
    sg_help_slot *slots;
};

/// The board and slot the calling thread posts on (see sg_help_board_attach).
static _Thread_local sg_help_board *attached_board;
static _Thread_local int attached_slot;

sg_help_board *sg_help_board_create(int slots) {
    if (slots < 1) slots = 1;
    sg_help_board *board = malloc(sizeof *board);
    if (!board) abort();
    board->count = slots;
    atomic_init(&board->posted, 0);
    atomic_init(&board->helped, 0);
    atomic_init(&board->helped_nanos, 0);
    board->slots = calloc((size_t)slots, sizeof(sg_help_slot));
    if (!board->slots) abort();
    for (int i = 0; i < slots; i++) {
        pthread_mutex_init(&board->slots[i].lock, NULL);
        atomic_init(&board->slots[i].helpers, 0);
        atomic_init(&board->slots[i].open, 0);
    }
    return board;
}

void sg_help_board_destroy(sg_help_board *board) {
    if (!board) return;
    for (int i = 0; i < board->count; i++) pthread_mutex_destroy(&board->slots[i].lock);
    free(board->slots);
    free(board);
}

void sg_help_board_attach(sg_help_board *board, int slot) {
    attached_board = board && slot >= 0 && slot < board->count ? board : NULL;
    attached_slot = slot;
}

/// Computes tile `t` of `b` with `apack` (MR x KC floats) as this thread's A buffer.
static void run_tile(const sg_posted_block *b, long t, float *apack) {
    const sg_gemm_ctx *x = b->x;
    const int MR = x->blk->mr, NR = x->blk->nr;
    const long i0 = t * MR;
    const int mr = (int)min_l(MR, x->M - i0);
    pack_a_panel(x->a, i0, mr, b->pc, b->kc, MR, apack);
    for (long q = 0; q < b->bpanels; q++) {
        const long j0 = q * NR;
        const int n = (int)min_l(NR, b->nc - j0);
        float *cp = x->c + i0 * x->rsc + (b->jc + j0) * x->csc;
        x->kernel(mr, n, b->kc, apack, b->bblock + q * b->kc * NR, cp, x->rsc, x->csc, x->alpha,
                  b->beta);
    }
}

/// Claims and computes tiles of `b`, posted in `slot`, until none is left; returns how many this
/// thread computed.
static long work_on(sg_posted_block *b, sg_help_slot *slot, float *apack) {
    long computed = 0;
    for (;;) {
        const long t = atomic_fetch_add_explicit(&b->next, 1, memory_order_relaxed);
        if (t >= b->tiles) {
            atomic_store_explicit(&slot->open, 0, memory_order_relaxed);
            return computed;
        }
        run_tile(b, t, apack);
        atomic_fetch_add_explicit(&b->done, 1, memory_order_release);
        computed++;
    }
}

static long monotonic_nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)now.tv_sec * 1000000000L + now.tv_nsec;
}

long sg_help_board_help(sg_help_board *board) {
    if (!board || atomic_load_explicit(&board->posted, memory_order_acquire) == 0) return 0;
    _Alignas(64) float apack[MR_MAX * KC_MAX];
    long computed = 0;
    for (int i = 0; i < board->count; i++) {
        sg_help_slot *slot = &board->slots[i];
        if (!atomic_load_explicit(&slot->open, memory_order_relaxed)) continue;
        pthread_mutex_lock(&slot->lock);
        sg_posted_block *b = slot->block;
        if (b) atomic_fetch_add_explicit(&slot->helpers, 1, memory_order_relaxed);
        pthread_mutex_unlock(&slot->lock);
        if (!b) continue;
        const long start = monotonic_nanoseconds();
        const long tiles = work_on(b, slot, apack);
        atomic_fetch_sub_explicit(&slot->helpers, 1, memory_order_release);
        if (tiles) {
            atomic_fetch_add_explicit(&board->helped_nanos, monotonic_nanoseconds() - start,
                                      memory_order_relaxed);
            computed += tiles;
        }
    }
    if (computed) atomic_fetch_add_explicit(&board->helped, computed, memory_order_relaxed);
    return computed;
}

long sg_help_board_pieces_helped(sg_help_board *board) {
    return board ? atomic_load_explicit(&board->helped, memory_order_relaxed) : 0;
}

long sg_help_board_nanoseconds_helped(sg_help_board *board) {
    return board ? atomic_load_explicit(&board->helped_nanos, memory_order_relaxed) : 0;
}

/// The serial loop nest of gemm_thread(x, 0, 1), with each K block's tiles posted on the calling
/// thread's help board so that idle threads may take some.
static void gemm_posted(const sg_gemm_ctx *x, sg_help_board *board, int slot_index) {
    const sg_blocking *blk = x->blk;
    const int NR = blk->nr;
    sg_help_slot *slot = &board->slots[slot_index];
    _Alignas(64) float apack[MR_MAX * KC_MAX];
    for (long jc = 0; jc < x->N; jc += blk->nc) {
        const long nc = min_l(blk->nc, x->N - jc);
        const long bpanels = ceil_div(nc, NR);
        for (long pc = 0; pc < x->K; pc += blk->kc) {
            const long kc = min_l(blk->kc, x->K - pc);
            pack_b_panels(x->b, pc, kc, jc, nc, 0, bpanels, NR, x->bpack);
            sg_posted_block b = {
                .x = x, .jc = jc, .nc = nc, .pc = pc, .kc = kc, .bpanels = bpanels,
                .beta = pc == 0 ? x->beta : 1.0f, .bblock = x->bpack,
                .tiles = ceil_div(x->M, blk->mr)};
            atomic_init(&b.next, 0);
            atomic_init(&b.done, 0);
            pthread_mutex_lock(&slot->lock);
            slot->block = &b;
            pthread_mutex_unlock(&slot->lock);
            atomic_store_explicit(&slot->open, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&board->posted, 1, memory_order_release);

            work_on(&b, slot, apack);

            atomic_fetch_sub_explicit(&board->posted, 1, memory_order_relaxed);
            pthread_mutex_lock(&slot->lock);
            slot->block = NULL;
            pthread_mutex_unlock(&slot->lock);
            // Helpers still inside the block finish their tiles (which read x->bpack, about to
            // be repacked) and leave; no new one can come in. A helper that has lost its core
            // mid-tile may take a while: give the core up now and then rather than spin.
            for (int spins = 1;
                 atomic_load_explicit(&slot->helpers, memory_order_acquire) != 0 ||
                 atomic_load_explicit(&b.done, memory_order_acquire) != b.tiles;
                 spins++) {
                if (spins % 256 == 0) sched_yield();
                else sg_cpu_relax();
            }
        }
    }
}

/// C = beta * C for the degenerate cases (K == 0 or alpha == 0); beta == 0 writes zeros.
static void scale_c(long M, long N, float beta, float *C, long ldc) {
    for (long i = 0; i < M; i++) {
        float *row = C + i * ldc;
        if (beta == 0.0f) for (long j = 0; j < N; j++) row[j] = 0.0f;
        else if (beta != 1.0f) for (long j = 0; j < N; j++) row[j] *= beta;
    }
}

static void *alloc_floats(long count) {
    size_t bytes = ((size_t)count * sizeof(float) + 63) & ~(size_t)63;
    return aligned_alloc(64, bytes ? bytes : 64);
}

// MARK: - Kernel selection

int sg_gemm_kernel_supported(int kernel) {
    switch (kernel) {
    case SG_GEMM_KERNEL_GENERIC: return 1;
#if SG_X86
    case SG_GEMM_KERNEL_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SG_GEMM_KERNEL_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    default: return 0;
    }
}

int sg_gemm_detected_kernel(void) {
    // Detection is idempotent, so a racing first call at worst computes the same value twice;
    // the atomic makes that benign.
    static _Atomic int cached = -1;
    int k = atomic_load_explicit(&cached, memory_order_relaxed);
    if (k < 0) {
        k = sg_gemm_kernel_supported(SG_GEMM_KERNEL_AVX512) ? SG_GEMM_KERNEL_AVX512
          : sg_gemm_kernel_supported(SG_GEMM_KERNEL_AVX2)   ? SG_GEMM_KERNEL_AVX2
                                                            : SG_GEMM_KERNEL_GENERIC;
        atomic_store_explicit(&cached, k, memory_order_relaxed);
    }
    return k;
}

const char *sg_gemm_kernel_label(int kernel) {
    switch (kernel) {
    case SG_GEMM_KERNEL_AVX512: return "avx512";
    case SG_GEMM_KERNEL_AVX2: return "avx2";
    case SG_GEMM_KERNEL_GENERIC: return "generic";
    default: return "unknown";
    }
}

const char *sg_gemm_kernel_name(void) { return sg_gemm_kernel_label(sg_gemm_detected_kernel()); }

#if SG_X86
/// Threads worth starting for `flops` of work split into `units` blocks: a team pays for
/// itself only with about 1 MFLOP per thread.
static int gemm_team_size(int threads, long units, double flops) {
    int nth = threads < 1 ? 1 : threads;
    if (nth > units) nth = (int)units;
    if (flops < 1048576.0 * nth) nth = 1;
    return nth;
}

/// The narrow-output product (see "Narrow-output kernel"): op(B) packed once, rows of C split
/// in whole blocks of SMALLN_ROWS between threads.
static void gemm_small_n(long M, int N, long K, float alpha, sg_view a, sg_view b, float beta,
                         float *C, long ldc, int threads) {
    float *bpack = alloc_floats(K * 16);
    if (!bpack) abort();
    pack_b_panel(b, 0, K, 0, N, 16, bpack);
    const long blocks = ceil_div(M, SMALLN_ROWS);
    // Flops as the 16-wide kernel does them, padding columns included.
    const int nth = gemm_team_size(threads, blocks, 2.0 * M * 16 * K);
    if (nth == 1) {
        smalln_rows(0, M, K, N, a, bpack, C, ldc, alpha, beta);
    } else {
#pragma omp parallel num_threads(nth)
        {
            const int tid = omp_get_thread_num(), team = omp_get_num_threads();
            const long i0 = min_l(M, blocks * tid / team * SMALLN_ROWS);
            const long i1 = min_l(M, blocks * (tid + 1) / team * SMALLN_ROWS);
            smalln_rows(i0, i1, K, N, a, bpack, C, ldc, alpha, beta);
        }
    }
    free(bpack);
}

/// N <= 16 with op(A) = A^T (see "Narrow output with transposed A"): rows of C split in whole
/// blocks of 16 * NARROWT_V between threads.
static void gemm_narrow_t(long M, int N, long K, float alpha, sg_view a, sg_view b, float beta,
                          float *C, long ldc, int threads) {
    const long rows = 16 * NARROWT_V, blocks = ceil_div(M, rows);
    const int nth = gemm_team_size(threads, blocks, 2.0 * M * 16 * K);
    if (nth == 1) {
        narrowt_rows(0, M, N, K, a, b, C, ldc, alpha, beta);
        return;
    }
#pragma omp parallel num_threads(nth)
    {
        const int tid = omp_get_thread_num(), team = omp_get_num_threads();
        const long i0 = min_l(M, blocks * tid / team * rows);
        const long i1 = min_l(M, blocks * (tid + 1) / team * rows);
        narrowt_rows(i0, i1, N, K, a, b, C, ldc, alpha, beta);
    }
}

/// K <= 16 (see "Small-K kernel"): op(B) packed once into K rows of roundup(N, 16) floats,
/// rows of C split in whole blocks of SMALLK_R between threads.
static void gemm_small_k(long M, long N, long K, float alpha, sg_view a, sg_view b, float beta,
                         float *C, long ldc, int threads) {
    const long ldbp = ceil_div(N, 16) * 16;
    float *bpack = alloc_floats(K * ldbp);
    if (!bpack) abort();
    pack_b_panel(b, 0, K, 0, N, ldbp, bpack);  // one panel ldbp wide: K x N, zero-padded
    const long blocks = ceil_div(M, SMALLK_R);
    const int nth = gemm_team_size(threads, blocks, 2.0 * M * ldbp * K);
    if (nth == 1) {
        smallk_rows(0, M, N, K, a, bpack, ldbp, C, ldc, alpha, beta);
    } else {
#pragma omp parallel num_threads(nth)
        {
            const int tid = omp_get_thread_num(), team = omp_get_num_threads();
            const long i0 = min_l(M, blocks * tid / team * SMALLK_R);
            const long i1 = min_l(M, blocks * (tid + 1) / team * SMALLK_R);
            smallk_rows(i0, i1, N, K, a, bpack, ldbp, C, ldc, alpha, beta);
        }
    }
    free(bpack);
}
#endif

// MARK: - Matrix-vector products (N == 1)
//
// A single output column (logistic regression's w, a regression head) gets nothing from
// packing: C[i] = Σ_p A[i][p]·B[p] is a dot product when the rows of op(A) are contiguous, and
// C = Σ_p B[p]·(column p of op(A)) an AXPY sweep when its columns are. Each element of C still
// sums over K in one fixed order, and threads split rows only, so results do not depend on the
// thread count.
#if SG_X86
__attribute__((target("avx512f")))
static float dot_avx512(const float *x, const float *y, long n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    long p = 0;
    for (; p + 32 <= n; p += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p), _mm512_loadu_ps(y + p), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p + 16), _mm512_loadu_ps(y + p + 16), s1);
    }
    if (p + 16 <= n) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p), _mm512_loadu_ps(y + p), s0);
        p += 16;
    }
    if (p < n) {
        const __mmask16 mask = lane_mask((int)(n - p));
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, x + p), _mm512_maskz_loadu_ps(mask, y + p), s1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

__attribute__((target("avx512f")))
static void gemv_rows(long M, long K, float alpha, sg_view a, const float *x, float beta, float *C, long ldc,
                      int threads) {
    const int nth = (threads > 1 && M * K >= (1L << 20)) ? threads : 1;
#pragma omp parallel for num_threads(nth) schedule(static) if (nth > 1)
    for (long i = 0; i < M; i++) {
        const float dot = dot_avx512(a.p + i * a.rs, x, K);
        C[i * ldc] = beta == 0.0f ? alpha * dot : alpha * dot + beta * C[i * ldc];
    }
}

__attribute__((target("avx512f")))
static void gemv_columns(long M, long K, float alpha, sg_view a, const float *x, float beta, float *C, long ldc) {
    float *acc = alloc_floats(M);
    if (!acc) abort();
    for (long i = 0; i < M; i++) acc[i] = 0.0f;
    for (long p = 0; p < K; p++) {
        const float xp = x[p];
        const float *column = a.p + p * a.cs;   // op(A)[·][p], contiguous (a.rs == 1)
        for (long i = 0; i < M; i++) acc[i] += xp * column[i];
    }
    for (long i = 0; i < M; i++) C[i * ldc] = beta == 0.0f ? alpha * acc[i] : alpha * acc[i] + beta * C[i * ldc];
    free(acc);
}

/// C (M x 1) = alpha·op(A)·op(B) + beta·C with AVX-512, for a single output column.
static void gemm_vector(long M, long K, float alpha, sg_view a, sg_view b, float beta, float *C, long ldc,
                        int threads) {
    // op(B) is K x 1: gather its column when it is strided.
    float stack[256];
    float *x = (float *)b.p;
    float *owned = NULL;
    if (b.rs != 1) {
        x = K <= 256 ? stack : (owned = malloc((size_t)K * sizeof(float)));
        if (!x) abort();
        for (long p = 0; p < K; p++) x[p] = b.p[p * b.rs];
    }
    if (a.cs == 1) gemv_rows(M, K, alpha, a, x, beta, C, ldc, threads);
    else gemv_columns(M, K, alpha, a, x, beta, C, ldc);
    free(owned);
}
#endif

// MARK: - Entry points

void sg_sgemm_with_kernel(int kernel, int transA, int transB, long M, long N, long K,
                          float alpha, const float *A, long lda, const float *B, long ldb,
                          float beta, float *C, long ldc, int threads) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0.0f) {
        scale_c(M, N, beta, C, ldc);
        return;
    }
    if (!sg_gemm_kernel_supported(kernel)) kernel = SG_GEMM_KERNEL_GENERIC;

    sg_gemm_ctx x;
    x.kernel = ukernel_generic;
    x.blk = &blkgen;
#if SG_X86
    if (kernel == SG_GEMM_KERNEL_AVX512) { x.kernel = ukernel_avx512; x.blk = &blk512; }
    if (kernel == SG_GEMM_KERNEL_AVX2) { x.kernel = ukernel_avx2; x.blk = &blk256; }
#endif
    const int MR = x.blk->mr, NR = x.blk->nr;

    sg_view a = {A, transA ? 1 : lda, transA ? lda : 1};
    sg_view b = {B, transB ? 1 : ldb, transB ? ldb : 1};

#if SG_X86
    if (kernel == SG_GEMM_KERNEL_AVX512 && N == 1) {
        gemm_vector(M, K, alpha, a, b, beta, C, ldc, threads);
        return;
    }
    if (kernel == SG_GEMM_KERNEL_AVX512 && N <= 16 && M > N) {
        if (transA) gemm_narrow_t(M, (int)N, K, alpha, a, b, beta, C, ldc, threads);
        else gemm_small_n(M, (int)N, K, alpha, a, b, beta, C, ldc, threads);
        return;
    }
    if (kernel == SG_GEMM_KERNEL_AVX512 && K <= 16 && N > 16) {
        gemm_small_k(M, N, K, alpha, a, b, beta, C, ldc, threads);
        return;
    }
#endif

    // Narrow output: swap roles so the narrow side runs along MR (see the file comment).
    if (N < NR / 2 && M > N) {
        x.M = N; x.N = M;
        x.a = (sg_view){b.p, b.cs, b.rs};
        x.b = (sg_view){a.p, a.cs, a.rs};
        x.rsc = 1; x.csc = ldc;
    } else {
        x.M = M; x.N = N;
        x.a = a; x.b = b;
        x.rsc = ldc; x.csc = 1;
    }
    x.K = K;
    x.c = C;
    x.alpha = alpha;
    x.beta = beta;

    int nth = threads < 1 ? 1 : threads;
    // A single-threaded product of a thread attached to a help board posts its tiles there,
    // when it has at least two to share.
    const long mpanels = ceil_div(x.M, MR), npanels = ceil_div(min_l(x.N, x.blk->nc), NR);
    const long kc = min_l(x.blk->kc, K);
    sg_help_board *board = nth == 1 ? attached_board : NULL;
    if (board && mpanels >= 2 && x.blk->kc <= KC_MAX) {
        x.bpack = alloc_floats(kc * npanels * NR);
        if (!x.bpack) abort();
        gemm_posted(&x, board, attached_slot);
        free(x.bpack);
        return;
    }
    // Never more threads than there are tiles to hand out.
    x.split_m = mpanels >= nth || mpanels >= npanels;
    const long units = x.split_m ? mpanels : npanels;
    if (nth > units) nth = (int)units;

    const long rows_per_thread = x.split_m ? ceil_div(mpanels, nth) * MR : x.M;
    const long mc = min_l(x.blk->mc, ceil_div(rows_per_thread, MR) * MR);
    x.mc = mc;
    x.apack_stride = (mc * kc + 15) & ~15L;
    x.apack = alloc_floats(x.apack_stride * nth);
    // Pack all of B's K blocks at once when that stays small (8 MiB: the MLP's layers need at
    // most 0.8 MiB); only worth it with several threads, which it spares most barriers.
    const long bcols = npanels * NR;
    x.whole_b = nth > 1 && K * bcols <= (8L << 20) / (long)sizeof(float);
    x.bpack = alloc_floats((x.whole_b ? K : kc) * bcols);
    if (!x.apack || !x.bpack) abort();

    if (nth == 1) {
        gemm_thread(&x, 0, 1);
    } else {
        // The runtime may grant fewer threads than asked (OMP_THREAD_LIMIT, nesting): split by
        // the team actually running. Ownership of tiles changes, their arithmetic does not.
#pragma omp parallel num_threads(nth)
        gemm_thread(&x, omp_get_thread_num(), omp_get_num_threads());
    }
    free(x.apack);
    free(x.bpack);
}

void sg_sgemm(int transA, int transB, long M, long N, long K, float alpha,
              const float *A, long lda, const float *B, long ldb,
              float beta, float *C, long ldc, int threads) {
    sg_sgemm_with_kernel(sg_gemm_detected_kernel(), transA, transB, M, N, K, alpha, A, lda,
                         B, ldb, beta, C, ldc, threads);
}
