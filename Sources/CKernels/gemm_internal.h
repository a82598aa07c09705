// The GEMM's internal interface: the blocking table of each micro-kernel family, the operand
// view, and the functions its files share. Private to the C sources (it lives beside them, not
// in include/, so Swift never sees it).
//
// Packed, cache-blocked single-precision GEMM in the style of BLIS / GotoBLAS:
// C = alpha * op(A) * op(B) + beta * C on row-major storage. The files, by role:
//
//   gemm_dispatch.c             entry points; CPU feature detection; picks the kernel family
//                               and, from the shape, the path a product takes
//   gemm_driver.c               the packed path: the loop nest below, split among threads
//   gemm_pack.c                 copies blocks of op(A) and op(B) into micro-panels
//   gemm_packed_b.c             op(B) packed once into the caller's buffer, for many products
//   gemm_kernel_generic.c       portable micro-kernel (4 x 16)
//   gemm_kernel_avx2.c          AVX2 + FMA micro-kernel (6 x 16)
//   gemm_kernel_avx2_narrow.c   AVX2 kernel for narrow outputs (N <= 16) with A transposed
//   gemm_kernel_avx512.c        AVX-512 micro-kernel (12 x 32)
//                               (each also as a kernel that reads A's rows in place)
//   gemm_kernel_avx512_narrow.c AVX-512 kernels for narrow outputs (N <= 16), either layout of A
//   gemm_kernel_avx512_small_k.c AVX-512 kernel for short reductions (K <= 16)
//   gemm_kernel_avx512_gemv.c   AVX-512 matrix-vector products (N == 1)
//   help_board.c                the help board, and the packed path posted on it
//   gemm_bf16_reference.c       the definition of a bf16 product, element by element
//   gemm_bf16.c                 bf16 products: kernel choice (the start-up check of
//                               vdpbf16ps, and its timing against vfmadd231ps), the packed
//                               loop nest for bf16 (threads, help board)
//   gemm_bf16_pack.c            rounding to bf16 and packing K in pairs
//   gemm_kernel_bf16_*.c        bf16 micro-kernels: vdpbf16ps, emulated AVX-512 and AVX2
//                               (with their wide packing of A), portable; and with
//                               vdpbf16ps, kernels for narrow outputs and short K
//
// Every operand is seen through a pair of strides, element (i, j) of a matrix X living at
// X[i * rs + j * cs]. A transpose only swaps the two strides, so transposition is handled once,
// when the operands are copied ("packed") into contiguous buffers, and the micro-kernels only
// ever see one layout.
//
// Loop nest of the packed path (one K block at a time, never split across threads):
//
//   for jc in N by NC                         B block: KC x NC, packed once, shared by threads;
//     for pc in K by KC                       sized to stay in each core's L2 (1 MiB on Zen 4)
//       pack op(B)[pc:pc+KC, jc:jc+NC] into NR-column panels (threads share the copying)
//       for ic in this thread's rows by MC
//         pack op(A)[ic:ic+MC, pc:pc+KC] into MR-row panels (per-thread buffer), unless the
//         product reads op(A) in place (below)
//         for ir in MC by MR                  A micro-panel MR x KC: stays in L1 across jr
//           for jr in NC by NR                B micro-panel KC x NR: streamed from L2
//             micro-kernel: MR x NR tile of C held in registers for all KC steps
//
// A product may read a row-major op(A) in place instead (sg_sgemm_packed_b_unpacked_a): the
// micro-kernel broadcasts A's elements one at a time, so MR row pointers with stride lda, read
// along K, serve as well as a packed panel, as long as those MR rows' KC elements stay in L1
// across the jr loop (12 rows of 1 KiB on AVX-512; an lda that is a multiple of 4 KiB makes
// them share L1 sets, which costs part of the gain). The kernel, tiles and order of the fused
// multiply-adds are the packing product's, so are the bits; only the copy is saved.
//
// Determinism: each element of C is computed by the same sequence of fused multiply-adds over
// k = 0, 1, ..., K-1 (K split into the same KC blocks) whatever the number of threads. Threads
// only decide *which* tiles of C they own, so 1, 2 or 8 threads produce the same bits.
//
// On AVX-512 a single output column (N == 1) takes the matrix-vector path, and other narrow
// outputs (N <= 16 with M > N, e.g. the 256x10 output layer of an MLP) a kernel of their own:
// op(B) packed once, A read in place, one zmm per row of C; with op(A) = A^T (the layer's weight
// gradient) that kernel is vectorised along M instead. A short K (K <= 16 with N > 16, the
// layer's input gradient dY W^T) takes the small-K kernel: only op(B) is packed, A is broadcast
// from its rows. With the AVX2 and portable kernels, a narrow N (N < NR/2 with M > N) would
// waste most of each NR-wide register tile on padding, so the product is computed as
// C^T = op(B)^T op(A)^T: the narrow dimension becomes the MR side, where a kernel specialised
// for every row count 1...MR wastes nothing; an output one column panel wide (N <= NR) that
// keeps its roles reads A in place rather than copying all of it for a few columns. On AVX2 a
// narrow output (N <= 16 with M > N) with op(A) = A^T takes a kernel vectorised along M instead,
// with the packed path's K blocks and so its bits. Which path runs depends only on the kernel family
// and the shape, never on the thread count or the help board (a single-threaded product posted
// on a board makes the same micro-kernel calls as one run alone).

#ifndef SWIFTGRAD_CKERNELS_GEMM_INTERNAL_H
#define SWIFTGRAD_CKERNELS_GEMM_INTERNAL_H

#include "CKernels.h"

#include <stdint.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SG_X86 1
#else
#define SG_X86 0
#endif

// The few OpenMP entry points used here, declared rather than included: Debian installs omp.h
// where Swift's clang does not look.
extern int omp_get_thread_num(void);
extern int omp_get_num_threads(void);

// Internal functions stay inside the library: no other image can link against them.
#pragma GCC visibility push(hidden)

// MARK: - Blocking table
//
// One row per micro-kernel family: the register tile (MR rows x NR columns of C held in
// registers) and the cache blocks (KC: depth of one packed panel; MC: rows of A packed at a time,
// per thread; NC: columns of B packed at a time, shared by the threads).
//
//   family    MR   NR   KC    MC    NC
//   avx512    12   32   256   240   1024
//   avx2       6   16   256   240   1024
//   generic    4   16   256   256   256
//
// AVX-512 (Zen 4 has 32 zmm registers): a 12 x 32 tile is 24 zmm accumulators, 2 zmm for the B
// row and one broadcast register; 24 independent FMA chains hide the 4-cycle FMA latency with
// room to spare, and each k step issues 24 FMAs for only 2 vector loads and 12 broadcasts.
// KC = 256: the A micro-panel (12 x 256 x 4 B = 12 KiB) stays in the 32 KiB L1 while the jr
// loop streams 32 KiB B micro-panels past it. NC = 1024: the B block (256 x 1024 x 4 B = 1 MiB)
// lives in L2 / L3; a micro-panel needs only 128 B per 24 FMA cycles, which L3 also sustains.
// MC = 240 (20 micro-panels) only bounds the per-thread A buffer: A panels are used once per
// sweep, so their block needs no cache of its own. On Zen 4, KC from 192 to 512 and NC from 256
// to 2048 are all within noise of these for squares of 512 to 2048.
//
// AVX2 + FMA (16 ymm registers): a 6 x 16 tile is 12 ymm accumulators, 2 for B and 1 broadcast.
// The A micro-panel (6 x 256 x 4 B = 6 KiB) stays in L1; the B block as above.
//
// Portable C: a 4 x 16 tile, written so that the compiler can vectorise it with whatever the
// baseline target offers (SSE2 on x86-64, NEON on arm64).

#define SG_AVX512_MR 12
#define SG_AVX512_NR 32
#define SG_AVX512_KC 256
#define SG_AVX512_MC 240
#define SG_AVX512_NC 1024

#define SG_AVX2_MR 6
#define SG_AVX2_NR 16
#define SG_AVX2_KC 256
#define SG_AVX2_MC 240
#define SG_AVX2_NC 1024

#define SG_GENERIC_MR 4
#define SG_GENERIC_NR 16
#define SG_GENERIC_KC 256
#define SG_GENERIC_MC 256
#define SG_GENERIC_NC 256

/// Largest MR over all families: the size of sg_pack_a_panel's stack array of row pointers.
#define SG_MR_MAX 12
/// Largest KC over all families: with SG_MR_MAX, the size of a helped tile's A buffer on the
/// stack.
#define SG_KC_MAX 256

/// Register tile and cache blocks of one micro-kernel family (a row of the table above).
typedef struct {
    int mr, nr;   // register tile: MR rows x NR columns of C held in registers
    long kc;      // K block: depth of one packed panel
    long mc;      // M block: rows of A packed at a time (per thread)
    long nc;      // N block: columns of B packed at a time (shared)
} sg_blocking;

// MARK: - Small helpers

static inline long ceil_div(long a, long b) { return (a + b - 1) / b; }
static inline long min_l(long a, long b) { return a < b ? a : b; }

/// A 64-byte-aligned buffer of `count` floats (at least one cache line); free() releases it.
static inline float *alloc_floats(long count) {
    size_t bytes = ((size_t)count * sizeof(float) + 63) & ~(size_t)63;
    return aligned_alloc(64, bytes ? bytes : 64);
}

/// A strided view: element (i, j) is at p[i * rs + j * cs].
typedef struct {
    const float *p;
    long rs, cs;
} sg_view;

// MARK: - Micro-kernels (gemm_kernel_*.c)

/// Computes the mr x n corner of an MR x NR tile:
/// C[i*rsc + j*csc] = alpha * sum_p a[p*MR + i] * b[p*NR + j] + beta * C[...],
/// where `a` / `b` are packed, zero-padded micro-panels of depth kc >= 1.
/// beta == 0 means C is not read. mr <= MR and n <= NR.
typedef void (*sg_ukernel)(int mr, int n, long kc, const float *a, const float *b,
                           float *c, long rsc, long csc, float alpha, float beta);

void sg_ukernel_generic(int mr, int n, long kc, const float *a, const float *b,
                        float *c, long rsc, long csc, float alpha, float beta);

/// An sg_ukernel that reads row i of A at a + i * lda (its kc elements contiguous) instead of
/// a packed micro-panel: the same fused multiply-adds in the same order for each element of C,
/// so the same bits as its family's sg_ukernel given those rows packed. Rows mr..MR-1 are
/// neither read nor computed.
typedef void (*sg_ukernel_rows)(int mr, int n, long kc, const float *a, long lda,
                                const float *b, float *c, long rsc, long csc, float alpha,
                                float beta);

void sg_ukernel_generic_rows(int mr, int n, long kc, const float *a, long lda, const float *b,
                             float *c, long rsc, long csc, float alpha, float beta);

#if SG_X86
#define SG_AVX2 __attribute__((target("avx2,fma")))
#define SG_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))

SG_AVX2 void sg_ukernel_avx2(int mr, int n, long kc, const float *a, const float *b,
                             float *c, long rsc, long csc, float alpha, float beta);
SG_AVX512 void sg_ukernel_avx512(int mr, int n, long kc, const float *a, const float *b,
                                 float *c, long rsc, long csc, float alpha, float beta);
SG_AVX2 void sg_ukernel_avx2_rows(int mr, int n, long kc, const float *a, long lda,
                                  const float *b, float *c, long rsc, long csc, float alpha,
                                  float beta);
SG_AVX512 void sg_ukernel_avx512_rows(int mr, int n, long kc, const float *a, long lda,
                                      const float *b, float *c, long rsc, long csc, float alpha,
                                      float beta);

/// Loads, updates and stores one row of up to 16 C elements:
/// c[j * csc] = alpha * acc[j] + beta * c[j * csc] for j < n (beta == 0: C is not read), all
/// arithmetic in ymm registers so that full and partial tiles round identically. Shared by the
/// Float32 and bf16 AVX2 micro-kernels, so both round a row the same way.
SG_AVX2 static inline __attribute__((always_inline)) void
store_row256(float *c, long csc, int n, __m256 acc0, __m256 acc1, __m256 va, float beta) {
    // A full contiguous row is read and written in place; a partial or strided one goes
    // through `t`. With beta != 0 the lanes j >= n of `t` are uninitialised, but they are never
    // stored, and lanes are independent, so they cannot affect the result.
    const int in_place = csc == 1 && n == 16;
    float t[16] __attribute__((aligned(32)));
    float *row = in_place ? c : t;
    if (!in_place && beta != 0.0f) for (int j = 0; j < n; j++) t[j] = c[j * csc];
    __m256 r0 = _mm256_mul_ps(va, acc0), r1 = _mm256_mul_ps(va, acc1);
    if (beta != 0.0f) {
        const __m256 vb = _mm256_set1_ps(beta);
        r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), r0);
        r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), r1);
    }
    _mm256_storeu_ps(row, r0);
    _mm256_storeu_ps(row + 8, r1);
    if (!in_place) for (int j = 0; j < n; j++) c[j * csc] = t[j];
}

// Compiled for avx512f alone, the features every caller has (SG_AVX512 code and the avx512f
// matrix-vector code): a function with target features inlines only into callers that have them.
/// Lanes [0, n) of a 16-float vector: all of them for n >= 16, none for n <= 0.
__attribute__((target("avx512f"))) static inline __attribute__((always_inline)) __mmask16
lane_mask(int n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}

/// Stores up to 16 C elements from one zmm accumulator: c[j] = alpha * acc[j] + beta * c[j] for
/// the lanes of mk (beta == 0: C is not read). Shared by the Float32 and bf16 small-K kernels,
/// so both round their tiles the same way.
SG_AVX512 static inline __attribute__((always_inline)) void
store_vec512(float *c, __mmask16 mk, __m512 acc, __m512 va, __m512 vb, float beta) {
    __m512 x = _mm512_mul_ps(va, acc);
    if (beta != 0.0f) x = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mk, c), x);
    _mm512_mask_storeu_ps(c, mk, x);
}

/// Stores one row of up to 32 C elements from two zmm accumulators:
/// c[j * csc] = alpha * acc[j] + beta * c[j * csc] for j < n (beta == 0: C is not read). Shared
/// by the micro-kernel and the narrow-output kernel, so both round a row the same way.
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
    // here); the branch is kept so that the micro-kernel honours the sg_ukernel contract for
    // any csc.
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

// MARK: - AVX-512 kernels for particular shapes (gemm_kernel_avx512_*.c)
//
// Each computes the whole product C = alpha * op(A) * op(B) + beta * C (M, N, K >= 1, alpha != 0)
// with at most `threads` threads, splitting rows of C in whole blocks, so its bits never depend
// on the thread count.

/// The rows [*i0, *i1) of C's M that the calling member of an OpenMP team computes when whole
/// blocks of `rows` rows (the last one possibly short) are shared out in thread order. The
/// team's size changes which thread computes a row, never how the row is computed.
static inline void sg_team_rows(long M, long rows, long *i0, long *i1) {
    const long blocks = ceil_div(M, rows), tid = omp_get_thread_num(), team = omp_get_num_threads();
    *i0 = min_l(M, blocks * tid / team * rows);
    *i1 = min_l(M, blocks * (tid + 1) / team * rows);
}

/// Threads worth starting for `flops` of work split into `units` blocks: a team pays for itself
/// only with about 1 MFLOP per thread.
static inline int gemm_team_size(int threads, long units, double flops) {
    int nth = threads < 1 ? 1 : threads;
    if (nth > units) nth = (int)units;
    if (flops < 1048576.0 * nth) nth = 1;
    return nth;
}

/// Narrow output, N <= 16 (any layout of A): op(B) packed once, A read in place. `bpacked`, if
/// not NULL, is op(B) already packed as sg_pack_b_panel(b, 0, K, 0, N, 16, ·) packs it.
void sg_gemm_avx512_narrow(long M, int N, long K, float alpha, sg_view a, sg_view b, float beta,
                           float *C, long ldc, int threads, const float *bpacked);
/// Narrow output, N <= 16, with op(A) = A^T (a.rs == 1): vectorised along M.
void sg_gemm_avx512_narrow_t(long M, int N, long K, float alpha, sg_view a, sg_view b,
                             float beta, float *C, long ldc, int threads);
/// The AVX2 family's narrow output with op(A) = A^T (N <= 16, a.rs == 1), vectorised along M,
/// with the packed path's K blocks and bits (gemm_kernel_avx2_narrow.c).
void sg_gemm_avx2_narrow_t(long M, int N, long K, float alpha, sg_view a, sg_view b, float beta,
                           float *C, long ldc, int threads);
/// Short reduction, K <= 16: op(B) packed once, A broadcast from its rows.
void sg_gemm_avx512_small_k(long M, long N, long K, float alpha, sg_view a, sg_view b,
                            float beta, float *C, long ldc, int threads);
/// A single output column, N == 1: dot products or AXPY sweeps, as op(A) is laid out.
void sg_gemm_avx512_gemv(long M, long K, float alpha, sg_view a, sg_view b, float beta,
                         float *C, long ldc, int threads);
#endif  // SG_X86

// MARK: - Packing (gemm_pack.c)

/// Copies rows [i0, i0+mr) x columns [p0, p0+kc) of `a` into one MR-row micro-panel
/// (column p holds MR consecutive floats), padding rows mr..MR-1 with zeros.
void sg_pack_a_panel(sg_view a, long i0, int mr, long p0, long kc, int MR, float *dst);

/// Copies rows [p0, p0+kc) x columns [j0, j0+nr) of `b` into one NR-column micro-panel
/// (row p holds NR consecutive floats), padding columns nr..NR-1 with zeros.
void sg_pack_b_panel(sg_view b, long p0, long kc, long j0, long nr, long NR, float *dst);

/// Panels [q0, q1) of the B block rows [p0, p0+kc) x columns [j0, j0+nc): panel q (columns
/// j0 + q*NR ...) goes to dst + q*kc*NR.
void sg_pack_b_panels(sg_view b, long p0, long kc, long j0, long nc, long q0, long q1, int NR,
                      float *dst);

// MARK: - op(B) packed once (gemm_packed_b.c)
//
// A caller that multiplies many matrices A by one B (an inference pass's chunks by a layer's
// weights) packs op(B) once into a buffer of its own: a header (sg_packed_b_header) then op(B)
// exactly as the product's path would pack it, every block in place. A product against the
// buffer runs the same path, blocking and micro-kernel as the unpacked call and reads its
// blocks of op(B) from the buffer instead of copying them, so it gives the same bits; a path
// that packs op(B) in another layout (an M that makes it swap roles or take another kernel)
// reads B itself.

/// How op(B) is laid out in a packed buffer.
enum {
    SG_PACKED_B_NONE = 0,    // nothing packed: every product reads B
    SG_PACKED_B_PANELS = 1,  // the packed path's panels (sg_packed_b_block_offset)
    SG_PACKED_B_NARROW = 2,  // the narrow-output kernels' K x 16 (Float32) or pairs x 16 (bf16)
};

/// The start of a packed buffer: what was packed, and B itself for the paths that read it.
typedef struct {
    uint64_t magic;          // SG_PACKED_B_MAGIC: the buffer was packed
    int kernel, precision;   // the family that packed it (as sg_gemm_effective_kernel says)
    int transB;
    long N, K;
    const float *B;
    long ldb;
} sg_packed_b_header;

#define SG_PACKED_B_MAGIC 0x5347504b42303031ull  // "SGPKB001"
/// Bytes before the packed data: the header, rounded up to a cache line so that the data keeps
/// the buffer's 64-byte alignment.
#define SG_PACKED_B_DATA_OFFSET 64
_Static_assert(sizeof(sg_packed_b_header) <= SG_PACKED_B_DATA_OFFSET, "the header fits");

/// The family that computes a product in `precision` when `kernel` is asked for: the portable
/// one where the CPU cannot run it, AVX-512 for the bf16 family's Float32 products.
int sg_gemm_effective_kernel(int kernel, int precision);
/// The Float32 counterparts of sg_bf16_packed_b_layout, sg_bf16_packed_b_words and
/// sg_bf16_pack_b_all (gemm_dispatch.c): on AVX-512 the narrow kernel's K x 16 floats for
/// 2 <= N <= 16, nothing for N == 1 or K <= 16 < N, panels otherwise.
int sg_float_packed_b_layout(int kernel, long N, long K);
long sg_float_packed_b_floats(int kernel, long N, long K);
void sg_float_pack_b_all(int kernel, sg_view b, long N, long K, float *dst);

/// sg_sgemm_with_kernel with `bpacked`: NULL, or op(B) as sg_float_pack_b_all or
/// sg_bf16_pack_b_all packed it for this kernel, precision, N and K, read where the product's
/// path reads that layout (B is read otherwise). With `a_in_place`, a Float32 product on the
/// packed path with op(A) = A (transA == 0) and no role swap reads A's rows in place instead of
/// packing them. The same bits either way.
void sg_gemm_product(int kernel, sg_gemm_context context, int transA, int transB, long M,
                     long N, long K, float alpha, const float *A, long lda, const float *B,
                     long ldb, float beta, float *C, long ldc, const void *bpacked,
                     int a_in_place);

// MARK: - The packed path (gemm_driver.c)

/// One packed product as the loop nest runs it: the operands (after any role swap for a narrow
/// output), the family's blocking and micro-kernel, and the packing buffers.
typedef struct {
    const sg_blocking *blk;
    sg_ukernel kernel;
    /// The family's kernel that reads A's rows in place, or NULL: A is packed. Set only where
    /// a.cs == 1; then apack is not used.
    sg_ukernel_rows kernel_rows;
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
    /// All of op(B) packed before the call (sg_packed_b_block_offset says where each block
    /// is), or NULL: the loop nest then packs nothing of B, and its threads never wait for one
    /// another.
    const float *bprepacked;
} sg_gemm_plan;

/// Where block (jc, pc) of op(B) starts in a buffer that holds all of op(B) packed: the N blocks
/// one after another, each in the layout of a whole-B buffer (its K blocks one after another,
/// block pc holding rows(pc) x roundup(nc, NR) elements, panel q at q * rows(pc) * NR in it).
/// `rows` is the depth of all of K and `rows_before` that of the K blocks before pc, counted in
/// the elements a panel row holds: K itself in Float32, pairs of K in bf16. Every N block before
/// jc is full (NC columns, a multiple of NR), so it holds rows x (jc's share) elements.
static inline long sg_packed_b_block_offset(long jc, long rows, long rows_before, long bpanels,
                                            int NR) {
    return jc * rows + rows_before * bpanels * NR;
}

/// The packed path of C = alpha * op(A) * op(B) + beta * C (M, N, K >= 1, alpha != 0) with the
/// micro-kernel `kernel` and its blocking `blk`, run as `context` says: on up to
/// `context.threads` threads, or, single-threaded with a help board, posted on the board.
/// `bprepacked`: NULL, or all of op(B) packed as sg_gemm_pack_b packs it for this family (then
/// the product must not swap roles for a narrow output: N >= NR / 2 or M <= N). `kernel_rows`:
/// NULL, or the family's kernel that reads A in place, used when op(A) keeps its role and its
/// rows are contiguous (a.cs == 1); A is packed otherwise.
void sg_gemm_packed(const sg_blocking *blk, sg_ukernel kernel, sg_ukernel_rows kernel_rows,
                    long M, long N, long K, float alpha, sg_view a, sg_view b, float beta,
                    float *C, long ldc, sg_gemm_context context, const float *bprepacked);

// MARK: - bfloat16 (gemm_bf16*.c)
//
// A bf16 product (sg_sgemm_bf16_reference defines its bits) runs the packed loop nest above (on
// the native family, narrow outputs and short K take the kernels declared below instead) with
// K blocked by SG_BF16_KC, the block of the definition, so the blocking is the definition's own
// and no other. Packing rounds each element to bf16 and interleaves K in pairs: a packed 32-bit
// word holds elements 2p (low half) and 2p+1 (high half) of one row of op(A) or one column of
// op(B), the operand layout of vdpbf16ps, and a K block of odd length gets a +0 partner for its
// last element. A micro-panel of A is (KC/2) x MR words (the avx512 and avx2 families pack A
// wide, each element a float: (KC/2) x 2MR words), one of B (KC/2) x NR words.
//
//   family           kernel                                      MR   NR   NC
//   avx512-bf16      vdpbf16ps (packing with vcvtne2ps2bf16)     12   32   1024
//   avx512           two vfmadd231ps per pair, odd element first; 12   32   1024
//                    A packed wide, with vcvtne2ps2bf16 where vdpbf16ps passed the start-up
//                    check (gemm_kernel_bf16_avx512.c)
//   avx2             two vfmadd231ps per pair, odd element first;  6   16   1024
//                    A packed wide (gemm_kernel_bf16_avx2.c)
//   generic          fmaf per pair, odd element first (C)          4   16    256
//
// bf16 products take the avx512-bf16 family where the CPU's vdpbf16ps passes the start-up check
// and takes at most the time of two vfmadd231ps (sg_bf16_native_preferred), else the family of
// its Float32 products.
//
// Every micro-kernel sums each element of C in exactly the definition's order: its accumulator
// starts at +0 for each K block, takes the odd then the even product of each pair, each rounded
// once (vdpbf16ps and a fused multiply-add give the same bits: a product of two bf16 values is
// exact), and is stored as c = fma(beta', c, alpha * s). On x86 every micro-kernel runs with
// MXCSR set to SG_BF16_MXCSR (DAZ, FTZ, nearest even), which its caller sets once per thread or
// helped tile; vdpbf16ps itself ignores MXCSR and always computes that way. On other CPUs the
// portable kernel flushes in software, as the reference does. The tile shape, NC and the thread
// split change which instructions compute an element of C, never its arithmetic, so any family,
// thread count or help board gives the reference's bits.

/// Pairs of K in all of a bf16 product's K blocks (an odd last block's last element has a +0
/// partner).
static inline long sg_bf16_pairs(long K) {
    return K / SG_BF16_KC * (SG_BF16_KC / 2) + (K % SG_BF16_KC + 1) / 2;
}

/// The bfloat16 bits of `x` as sg_round_to_bf16 rounds it.
uint16_t sg_bf16_bits(float x);
/// The Float32 value of bfloat16 bits (exact).
float sg_bf16_to_float(uint16_t bits);

/// MXCSR while a bf16 kernel runs: every exception masked, round to nearest even, denormals read
/// as zero (DAZ, bit 6) and flushed to zero (FTZ, bit 15).
#define SG_BF16_MXCSR 0x9FC0u

/// Step 4 of the definition where no MXCSR does it: a subnormal becomes a zero of its sign.
static inline float sg_bf16_flush(float x) {
#if SG_X86
    return x;
#else
    return __builtin_fabsf(x) < 1.17549435e-38f ? __builtin_copysignf(0.0f, x) : x;
#endif
}

/// Computes the mr x n corner of an MR x NR tile of a bf16 product for one K block of `kp`
/// pairs: C[i*rsc + j*csc] = alpha * s[i][j] + beta * C[...] (beta == 0: C is not read), where
/// s sums the packed pairs of `a` (kp x MR words; the avx512 and avx2 families' wide panel
/// kp x 2MR) and `b` (kp x NR words) in the definition's order. Runs under SG_BF16_MXCSR on x86
/// (the caller sets it).
typedef void (*sg_bf16_ukernel)(int mr, int n, long kp, const uint32_t *a, const uint32_t *b,
                                float *c, long rsc, long csc, float alpha, float beta);

/// Packs rows [i0, i0+mr) x columns [p0, p0+kc) of `a` into one MR-row micro-panel of
/// ceil(kc/2) pairs (in the family's layout: a word per pair, or the avx512 and avx2 families'
/// two floats),
/// rows mr..MR-1 zero.
typedef void (*sg_bf16_pack_a)(sg_view a, long i0, int mr, long p0, long kc, int MR,
                               uint32_t *dst);
/// Packs panels [q0, q1) of the block rows [p0, p0+kc) x columns [j0, j0+nc) of `b`: panel q
/// (columns j0 + q*NR ...) goes to dst + q * ceil(kc/2) * NR, columns past nc zero.
typedef void (*sg_bf16_pack_b)(sg_view b, long p0, long kc, long j0, long nc, long q0, long q1,
                               int NR, uint32_t *dst);

/// One row of the table above: tile, N block, micro-kernel and the packing built for the same
/// instruction set.
typedef struct {
    int mr, nr;
    long nc;
    sg_bf16_ukernel kernel;
    sg_bf16_pack_a pack_a;
    sg_bf16_pack_b pack_b;
} sg_bf16_family;

#define SG_BF16_AVX512_MR 12
#define SG_BF16_AVX512_NR 32
#define SG_BF16_AVX512_NC 1024
#define SG_BF16_AVX2_MR 6
#define SG_BF16_AVX2_NR 16
#define SG_BF16_AVX2_NC 1024
#define SG_BF16_GENERIC_MR 4
#define SG_BF16_GENERIC_NR 16
#define SG_BF16_GENERIC_NC 256

void sg_bf16_ukernel_generic(int mr, int n, long kp, const uint32_t *a, const uint32_t *b,
                             float *c, long rsc, long csc, float alpha, float beta);
void sg_bf16_pack_a_generic(sg_view a, long i0, int mr, long p0, long kc, int MR, uint32_t *dst);
void sg_bf16_pack_b_generic(sg_view b, long p0, long kc, long j0, long nc, long q0, long q1,
                            int NR, uint32_t *dst);
#if SG_X86
#define SG_AVX512_BF16 __attribute__((target("avx512bf16,avx512f,avx512vl,avx512bw,avx2,fma")))

SG_AVX2 void sg_bf16_ukernel_avx2(int mr, int n, long kp, const uint32_t *a, const uint32_t *b,
                                  float *c, long rsc, long csc, float alpha, float beta);
/// Packs A wide: each element of a pair a float of its own (see gemm_kernel_bf16_avx2.c), the
/// layout sg_bf16_ukernel_avx2 reads.
SG_AVX2 void sg_bf16_pack_a_avx2(sg_view a, long i0, int mr, long p0, long kc, int MR,
                                 uint32_t *dst);
SG_AVX2 void sg_bf16_pack_b_avx2(sg_view b, long p0, long kc, long j0, long nc, long q0,
                                 long q1, int NR, uint32_t *dst);
SG_AVX512 void sg_bf16_ukernel_avx512_emulated(int mr, int n, long kp, const uint32_t *a,
                                               const uint32_t *b, float *c, long rsc, long csc,
                                               float alpha, float beta);
SG_AVX512_BF16 void sg_bf16_ukernel_avx512_native(int mr, int n, long kp, const uint32_t *a,
                                                  const uint32_t *b, float *c, long rsc,
                                                  long csc, float alpha, float beta);
/// Packs A in pairs, the layout the native family reads (and the reference of its packers).
SG_AVX512 void sg_bf16_pack_a_avx512(sg_view a, long i0, int mr, long p0, long kc, int MR,
                                     uint32_t *dst);
/// Packs A wide, each element of a pair a float of its own (see gemm_kernel_bf16_avx512.c), the
/// layout sg_bf16_ukernel_avx512_emulated reads.
SG_AVX512 void sg_bf16_pack_a_avx512_wide(sg_view a, long i0, int mr, long p0, long kc, int MR,
                                          uint32_t *dst);
SG_AVX512 void sg_bf16_pack_b_avx512(sg_view b, long p0, long kc, long j0, long nc, long q0,
                                     long q1, int NR, uint32_t *dst);
SG_AVX512_BF16 void sg_bf16_pack_a_native(sg_view a, long i0, int mr, long p0, long kc, int MR,
                                          uint32_t *dst);
/// sg_bf16_pack_a_avx512_wide's words, rounded with vcvtne2ps2bf16 as sg_bf16_pack_a_native
/// rounds: the FMA family's packing on a CPU whose AVX512-BF16 passed the start-up check.
SG_AVX512_BF16 void sg_bf16_pack_a_native_wide(sg_view a, long i0, int mr, long p0, long kc,
                                               int MR, uint32_t *dst);
SG_AVX512_BF16 void sg_bf16_pack_b_native(sg_view b, long p0, long kc, long j0, long nc, long q0,
                                          long q1, int NR, uint32_t *dst);

/// 16 packed words from two vectors of 16 floats: word j holds even[j] rounded to bf16 (low
/// half) and odd[j] (high half), with vcvtne2ps2bf16 (which rounds as sg_bf16_bits does).
SG_AVX512_BF16 static inline __attribute__((always_inline)) __m512i
sg_bf16_pair_words(__m512 even, __m512 odd) {
    // vcvtne2ps2bf16 puts its second operand's 16 values in the low half of the result and its
    // first operand's in the high half; vpermw then interleaves the two halves.
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10,
                                                25, 9, 24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3,
                                                18, 2, 17, 1, 16, 0);
    return _mm512_permutexvar_epi16(interleave, (__m512i)_mm512_cvtne2ps_pbh(odd, even));
}

/// acc + the pairs of `b` times the pair at `a` broadcast to every lane: vdpbf16ps with its
/// embedded broadcast ({1to16}), which clang does not fold from _mm512_set1_epi32 (a separate
/// vbroadcastss would double the vector operations of a kernel that broadcasts one operand).
SG_AVX512_BF16 static inline __attribute__((always_inline)) __m512
sg_bf16_dot_broadcast(__m512 acc, const uint32_t *a, __m512bh b) {
    __asm__("vdpbf16ps %2%{1to16%}, %1, %0" : "+v"(acc) : "v"(b), "m"(*a));
    return acc;
}

/// Rows [0, rows) of `x` (row i at x + i * rs, its kc elements contiguous) as ceil(kc/2) packed
/// words each (the last one's odd half +0 when kc is odd), row i at dst + i * ds; kc <=
/// SG_BF16_KC. vcvtne2ps2bf16 on 32 floats at a time.
SG_AVX512_BF16 void sg_bf16_pack_rows_native(const float *x, long rs, long rows, long kc,
                                             uint32_t *dst, long ds);
/// The same words for rows stored the other way: element k of row i at x[k * cs + i] (rows
/// contiguous along i); word p of row i goes to dst[p * ds + i].
SG_AVX512_BF16 void sg_bf16_pack_columns_native(const float *x, long cs, long rows, long kc,
                                                uint32_t *dst, long ds);

// The native family's kernels for particular shapes (gemm_kernel_bf16_avx512_*.c), the bf16
// counterparts of the Float32 ones above: whole products (M, N, K >= 1, alpha != 0) with at most
// `threads` threads, each thread owning whole blocks of rows of C and running under
// SG_BF16_MXCSR. Every element of C is summed as the definition says: its K blocks of
// SG_BF16_KC in order, each from +0 with one vdpbf16ps per pair, then c = fma(beta', c,
// alpha * s). So their bits are the reference's, whatever the thread count. Each starts a
// thread team exactly where its Float32 counterpart does (gemm_team_size on the same count of
// padded FLOP): it runs faster per thread, so a team pays off no sooner, and a neighbour's load
// on the second core then falls on both precisions alike.

/// Narrow output, N <= 16, with op(A)'s rows contiguous (a.cs == 1): op(B) packed once in
/// pairs, 16 words a pair; each block of 12 rows of A rounded into pairs per K block; one zmm
/// per row of C.
SG_AVX512_BF16 void sg_gemm_bf16_narrow(long M, int N, long K, float alpha, sg_view a,
                                        sg_view b, float beta, float *C, long ldc, int threads,
                                        const uint32_t *bpacked);
/// Narrow output, N <= 16, with op(A) = A^T (a.rs == 1): vectorised along M, two rows of A
/// (one K pair) rounded and interleaved in registers as they are read.
SG_AVX512_BF16 void sg_gemm_bf16_narrow_t(long M, int N, long K, float alpha, sg_view a,
                                          sg_view b, float beta, float *C, long ldc,
                                          int threads, const uint32_t *bpacked);
/// op(B) (K x N, N <= 16) in pairs as both narrow kernels read it, every K block after the
/// last: pair p of block pc is 16 words at (pc / 2 + p) * 16, word j holding column j (zero
/// past N); sg_bf16_pairs(K) * 16 words in all. The narrow kernels' `bpacked`, when not NULL,
/// holds op(B) so; they pack it themselves otherwise.
SG_AVX512_BF16 void sg_bf16_pack_narrow_b(sg_view b, long K, int N, uint32_t *dst);
/// Short reduction, K <= 16 (at most 8 pairs): op(B) packed once in pairs, each thread's rows of
/// op(A) rounded into pairs once, tiles of 6 rows x 64 columns of C.
SG_AVX512_BF16 void sg_gemm_bf16_small_k(long M, long N, long K, float alpha, sg_view a,
                                         sg_view b, float beta, float *C, long ldc,
                                         int threads);

/// 1 if the native kernel (vdpbf16ps) gave the emulated kernel's bits on crafted and random
/// panels when run on this CPU, and so did the native kernels for particular shapes against the
/// emulated packed path (gemm_kernel_bf16_avx512.c); call only where the CPU has AVX512-BF16.
int sg_bf16_native_agrees(void);
/// 1 if this CPU's vdpbf16ps takes at most twice as long as its vfmadd231ps (timed), so that the
/// native family outpaces the emulated one; call only where the CPU has AVX512-BF16.
int sg_bf16_native_outpaces_fma(void);
#endif

/// 1 if this CPU has AVX512-BF16 and its vdpbf16ps passed sg_bf16_native_agrees, checked once.
int sg_bf16_native_usable(void);
/// 1 if the native family is usable and outpaces the emulated one on this CPU
/// (sg_bf16_native_outpaces_fma), decided once: the family bf16 products pick.
int sg_bf16_native_preferred(void);

/// A bf16 product (precision SG_PRECISION_BF16) with micro-kernel family `kernel`, run as
/// `context` says; M, N, K >= 1 and alpha != 0. `bpacked`: NULL, or op(B) as
/// sg_bf16_pack_b_all packed it for this kernel, N and K, read where the product's path reads
/// that layout (B is read otherwise).
void sg_gemm_bf16(int kernel, sg_gemm_context context, int transA, int transB, long M, long N,
                  long K, float alpha, const float *A, long lda, const float *B, long ldb,
                  float beta, float *C, long ldc, const uint32_t *bpacked);

/// The layout in which op(B) (K x N) of a bf16 product with `kernel` is packed once for many
/// products: the narrow kernels' (the native family, N <= 16), the packed path's panels, or
/// none (the native family's short K reads op(B) as it is).
int sg_bf16_packed_b_layout(int kernel, long N, long K);
/// 32-bit words of op(B) packed in that layout.
long sg_bf16_packed_b_words(int kernel, long N, long K);
/// Packs all of op(B) in that layout into `dst` (64-byte aligned).
void sg_bf16_pack_b_all(int kernel, sg_view b, long N, long K, uint32_t *dst);

// MARK: - Posting on a help board (help_board.c)

/// 32-bit words of a bf16 A micro-panel at most: SG_MR_MAX rows x SG_BF16_KC / 2 pairs, two
/// words a pair where the family packs A wide.
#define SG_BF16_A_PANEL_WORDS (2 * SG_MR_MAX * (SG_BF16_KC / 2))

/// Bytes of the buffer each thread brings to a posted tile: an A micro-panel of either
/// precision (SG_MR_MAX x SG_KC_MAX floats, or SG_BF16_A_PANEL_WORDS words), whichever is larger.
#define SG_HELP_SCRATCH_BYTES                                                                  \
    (SG_MR_MAX * SG_KC_MAX > SG_BF16_A_PANEL_WORDS ? SG_MR_MAX * SG_KC_MAX * 4                  \
                                                   : SG_BF16_A_PANEL_WORDS * 4)

/// Computes tile `tile` of the posted `job`, with `scratch` (SG_HELP_SCRATCH_BYTES, 64-byte
/// aligned) as the calling thread's own buffer.
typedef void (*sg_posted_tile)(const void *job, long tile, void *scratch);

/// 1 if `board` is a board and `slot` one of its places, else 0.
int sg_help_board_has_slot(const sg_help_board *board, int slot);

/// Posts tiles [0, tiles) of `job` in place `slot` of `board`, computes them together with any
/// thread that calls sg_help_board_help meanwhile, and returns once every tile is done and every
/// helper has left the job.
void sg_help_board_run(sg_help_board *board, int slot, long tiles, sg_posted_tile tile,
                       const void *job);

/// The serial loop nest of `plan`, with each K block's tiles posted in place `slot` of `board`
/// so that idle threads may take some; returns once every tile is computed. `plan->bpack` holds
/// one B block (KC x roundup(NC, NR)), unless `plan->bprepacked` holds all of them; the A
/// buffers are the threads' own.
void sg_gemm_posted(const sg_gemm_plan *plan, sg_help_board *board, int slot);

#pragma GCC visibility pop

#endif
