#ifndef SWIFTGRAD_CKERNELS_H
#define SWIFTGRAD_CKERNELS_H

/// SwiftGrad's C kernels: the hot loops of a training step, compiled with OpenMP.
///
/// Every compute kernel takes an explicit thread count (a matrix product, in its
/// `sg_gemm_context`), except `sg_reduce_slots`, which runs on the calling thread (its callers
/// split the elements among their own threads); the help board (`sg_help_board_*`) and
/// `sg_cpu_relax` are not kernels of their own. No kernel reads global or thread-local settings:
/// whatever changes how it runs is one of its arguments.
/// A kernel never starts more threads than it is given, and its result does not depend on that
/// count: work is split over output elements, never over a reduction, so one thread and eight
/// produce the same bits.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - Matrix products (gemm_*.c, help_board.c)

/// A board on which threads that each run their matrix products alone post them in pieces,
/// so that threads with nothing else to do can compute some of the pieces: the data-parallel
/// engine's workers help whichever worker is still busy at the end of a step. Which thread
/// computes a piece never changes a bit of the product.
typedef struct sg_help_board sg_help_board;

/// How a matrix product runs, never what it computes: the same bits come out for any context.
/// Passed by value to each call, so what a product does is decided where it is called.
/// `{0}` (or `{.threads = 1}`) is a product on the calling thread alone.
typedef struct sg_gemm_context {
    /// The most threads the product may use; <= 0 means one.
    int threads;
    /// Where a single-threaded product posts its pieces for other threads to help with, or NULL
    /// (the product never posts). Must outlive the call.
    sg_help_board *help_board;
    /// The caller's place on `help_board`, in [0, slots). One product at a time may be posted in
    /// a place: threads that run products at the same time need places of their own. A place the
    /// board does not have means no posting.
    int help_slot;
    /// What the products are computed from: `SG_PRECISION_FLOAT32` (0, the default of `{0}`) or
    /// `SG_PRECISION_BF16`. Unlike the fields above, it changes the bits of the result.
    int precision;
} sg_gemm_context;

/// The precisions of a matrix product (`sg_gemm_context.precision`).
enum {
    /// Float32 inputs, fused multiply-adds in Float32.
    SG_PRECISION_FLOAT32 = 0,
    /// bfloat16 inputs, products accumulated in Float32, as `sg_sgemm_bf16_reference` defines.
    SG_PRECISION_BF16 = 1,
};

/// Single-precision general matrix product on row-major operands:
/// `C = alpha * op(A) * op(B) + beta * C`, where `op(X)` is `X` or its transpose.
///
/// - `op(A)` is M x K, `op(B)` is K x N, `C` is M x N.
/// - `lda`, `ldb`, `ldc` are the row strides (in elements) of A, B and C as stored.
/// - `beta == 0` overwrites C without reading it (NaN in C does not propagate).
/// - `threads <= 0` means one thread.
///
/// Never posts on a help board: `sg_sgemm_with_context` with `{.threads = threads}`.
void sg_sgemm(int transA, int transB,
              long M, long N, long K,
              float alpha,
              const float *A, long lda,
              const float *B, long ldb,
              float beta,
              float *C, long ldc,
              int threads);

/// `sg_sgemm` run as `context` says.
///
/// With `context.threads <= 1` and a `help_board`, a product on the packed path (one whose
/// output has at least two micro-panels of rows) posts each K block's pieces, one micro-panel
/// of rows each, in place `help_slot` of the board, computes them together with any thread
/// that calls `sg_help_board_help` meanwhile, and returns once every piece is done and every
/// helper has left. The AVX-512 kernels for narrow outputs, short K and single columns, and
/// products given several threads, never post. A bf16 product (`precision`
/// `SG_PRECISION_BF16`) takes its packed path, and so posts whenever its output has at least two
/// micro-panels of rows (counted along N when N is the narrow side, as that path then computes
/// C^T), except on `SG_GEMM_KERNEL_AVX512_BF16` where narrow outputs (N <= 16 with M > N) and
/// short K (K <= 16 with N > 16) have kernels of their own, which never post.
///
/// Float32 products use `sg_gemm_detected_kernel()`; bf16 products
/// `sg_gemm_detected_bf16_kernel()`.
void sg_sgemm_with_context(sg_gemm_context context,
                           int transA, int transB,
                           long M, long N, long K,
                           float alpha,
                           const float *A, long lda,
                           const float *B, long ldb,
                           float beta,
                           float *C, long ldc);

/// The instruction set the GEMM micro-kernel uses on this CPU: "avx512", "avx2" or "generic".
const char *sg_gemm_kernel_name(void);

/// GEMM micro-kernel families, for `sg_sgemm_with_kernel` and the tests that check each one
/// against a reference whatever CPU they run on.
enum {
    SG_GEMM_KERNEL_GENERIC = 0,  ///< portable C, any CPU
    SG_GEMM_KERNEL_AVX2 = 1,     ///< x86-64 with AVX2 and FMA
    SG_GEMM_KERNEL_AVX512 = 2,   ///< x86-64 with AVX-512 F and VL
    /// x86-64 with AVX-512 BF16 whose `vdpbf16ps` gives the definition's bits (checked once, at
    /// the first use, on crafted operands, for the micro-kernel and for the kernels for narrow
    /// outputs and short K): bf16 products with `vdpbf16ps`; its Float32 products are
    /// `SG_GEMM_KERNEL_AVX512`'s.
    SG_GEMM_KERNEL_AVX512_BF16 = 3,
};

/// 1 if this CPU (and operating system) can run `kernel`, else 0. For
/// `SG_GEMM_KERNEL_AVX512_BF16`, the CPU must also pass the check of `vdpbf16ps` against the
/// definition of a bf16 product, run once.
int sg_gemm_kernel_supported(int kernel);

/// The fastest kernel this CPU supports for Float32 products; the one `sg_sgemm` uses (never
/// `SG_GEMM_KERNEL_AVX512_BF16`). Detected once, thread-safely.
int sg_gemm_detected_kernel(void);

/// 1 if this CPU has the instructions of the native bf16 kernels (AVX512-BF16 with AVX512F, VL
/// and BW, AVX2 and FMA), whether or not they pass the start-up check that
/// `sg_gemm_kernel_supported(SG_GEMM_KERNEL_AVX512_BF16)` adds.
int sg_cpu_has_bf16_instructions(void);

/// The kernel a bf16 product uses on this CPU: `SG_GEMM_KERNEL_AVX512_BF16` where
/// `sg_gemm_kernel_supported` says so and one `vdpbf16ps` takes at most the time of two
/// `vfmadd231ps` (timed once, at the first call: Zen 4 issues both at one rate, Intel's Sapphire
/// and Emerald Rapids `vdpbf16ps` at a quarter of the other's), else `sg_gemm_detected_kernel()`
/// (on AVX-512, two fused multiply-adds per pair). Every kernel gives the same bits, so the
/// timing decides only the speed.
int sg_gemm_detected_bf16_kernel(void);

/// "avx512-bf16", "avx512", "avx2", "generic" (or "unknown") for a kernel constant.
const char *sg_gemm_kernel_label(int kernel);

/// `sg_sgemm_with_context` with an explicit micro-kernel instead of the detected one, so that
/// tests can exercise the AVX2 and portable paths on a CPU that would pick AVX-512. A kernel the
/// CPU does not support falls back to the portable one. Float32 results are bitwise identical
/// for any context with a given kernel; different kernels may differ in the last bits. bf16
/// results (`context.precision == SG_PRECISION_BF16`) are the bits of
/// `sg_sgemm_bf16_reference` with every kernel and context.
void sg_sgemm_with_kernel(int kernel, sg_gemm_context context,
                          int transA, int transB,
                          long M, long N, long K,
                          float alpha,
                          const float *A, long lda,
                          const float *B, long ldb,
                          float beta,
                          float *C, long ldc);

// MARK: - op(B) packed once (gemm_packed_b.c)

/// Bytes of the buffer `sg_gemm_pack_b` fills for these arguments: a 64-byte header, then op(B)
/// (K x N) packed as `kernel`'s products in `precision` pack it (`kernel` as in
/// `sg_sgemm_with_kernel`, e.g. `sg_gemm_detected_kernel()` or `sg_gemm_detected_bf16_kernel()`).
size_t sg_gemm_packed_b_bytes(int kernel, int precision, long N, long K);

/// Packs op(B) (K x N; `transB`, `B`, `ldb` as in `sg_sgemm`) once, for many products against
/// it (`sg_sgemm_packed_b`): an inference pass's chunks all multiplied by a layer's weights.
/// `packed` is the caller's buffer, 64-byte aligned, of `sg_gemm_packed_b_bytes(kernel,
/// precision, N, K)` bytes. It records B's address: B must stay alive and unchanged while the
/// buffer is used, as some products read B itself (below).
void sg_gemm_pack_b(int kernel, int precision, int transB, long N, long K, const float *B,
                    long ldb, void *packed);

/// `C = alpha * op(A) * op(B) + beta * C` with op(B) (K x N) from a buffer filled by
/// `sg_gemm_pack_b`: the bits of `sg_sgemm_with_kernel` with the packing's kernel and the same
/// context, B, `transB` and `ldb`, whatever M, `transA` and the context. The product takes the
/// path, blocking and micro-kernel the unpacked call takes and reads its blocks of op(B) from
/// the buffer instead of copying them, on every thread and every helper of a help board; where
/// that path would pack op(B) in another layout than the buffer's, or not at all, it reads B as
/// the unpacked call does: where the product swaps the roles of A and B (N < NR/2 with M > N,
/// NR being the family's register tile width), a single column or K <= 16 on AVX-512, op(A)
/// transposed with a narrow output, and a native bf16 product with N <= 16 and M <= N. Several threads may run products against one buffer at the same time: it is only
/// read. `context.precision` must be the packing's: a buffer not filled by `sg_gemm_pack_b`, of
/// another precision, or not 64-byte aligned stops the process with a message on stderr.
void sg_sgemm_packed_b(sg_gemm_context context, int transA, long M, float alpha,
                       const float *A, long lda, const void *packed, float beta,
                       float *C, long ldc);

/// `sg_sgemm_packed_b` with op(A) = A (M x K, row-major, not transposed) read where it lies:
/// a Float32 product on the packed path (the one whose A the unpacked call copies into
/// micro-panels) hands its micro-kernel MR row pointers `lda` apart instead of a packed copy of
/// each block of A. The kernel, tiles and sums are those of `sg_sgemm_packed_b(context, 0, ...)`,
/// so are the bits, for every kernel family, context and help board. Other products are that
/// call's exactly: the AVX-512 kernels for narrow outputs, short K and single columns already
/// read A in place; where the product swaps the roles of A and B (N < NR/2 with M > N), A is
/// packed as B's side; and a bf16 product (`context.precision == SG_PRECISION_BF16`) packs A,
/// since packing rounds it to bf16 and pairs K, the operand layout of its kernels.
///
/// It saves copying A once per block of K (and of N beyond the family's NC columns): on Zen 4
/// with AVX-512, a chunk of 256 rows times a 784 x 256 or 1000 x 256 op(B) takes 11 % less
/// time. An `lda` that is a multiple of 1024 floats puts a tile's rows in the same L1 sets,
/// which leaves 4 % of that (K = 1024 and 2048); `benchmarks/scripts/inference-chunk.c` measures
/// both calls side by side.
void sg_sgemm_packed_b_unpacked_a(sg_gemm_context context, long M, float alpha,
                                  const float *A, long lda, const void *packed, float beta,
                                  float *C, long ldc);

// MARK: - bfloat16 products (gemm_bf16*.c)

/// `x` rounded to bfloat16 and widened back to Float32: round to nearest, ties to even; a
/// subnormal `x` becomes a zero of its sign; a NaN stays a NaN (made quiet); a value past the
/// largest bfloat16 becomes an infinity. Exactly what a bf16 product does to each input.
float sg_round_to_bf16(float x);

/// The definition of a bf16 product, computed one element at a time: the test oracle of every
/// bf16 kernel, which must give the same bits. `C = alpha * op(A) * op(B) + beta * C` where
///
/// 1. every element of op(A) and op(B) is rounded by `sg_round_to_bf16`;
/// 2. each element of C sums its K products in blocks of `SG_BF16_KC` (the last one shorter);
///    within a block, pairs (2p, 2p+1) in order p = 0, 1, ..., a missing partner being zero, and
///    a running sum `s` that starts at +0 takes `s = s + a[2p+1] b[2p+1]`, then
///    `s = s + a[2p] b[2p]`, each rounded once to Float32, to nearest even (each product of two
///    bf16 values is exact, so each step is a fused multiply-add): the order of x86's
///    `vdpbf16ps`;
/// 3. after each block, `c = fma(beta', c, alpha * s)` where `beta' = beta` for the first block
///    and 1 for later ones (`beta == 0` stores `alpha * s` without reading C);
/// 4. every step of 2 and 3 runs with subnormal inputs read as zero and subnormal results
///    written as zero (x86 MXCSR DAZ and FTZ, as `vdpbf16ps` itself computes).
///
/// With K == 0 or alpha == 0 there are no products: C = beta * C exactly as in Float32.
/// On CPUs other than x86, step 4 is done in software: a result is flushed when its rounded
/// magnitude is under FLT_MIN (x86 flushes by the value rounded to an unbounded exponent, so
/// the two may differ on a sum within 2^-24 of FLT_MIN).
/// Serial, and slow: for tests.
void sg_sgemm_bf16_reference(int transA, int transB,
                             long M, long N, long K,
                             float alpha,
                             const float *A, long lda,
                             const float *B, long ldb,
                             float beta,
                             float *C, long ldc);

/// Elements of K summed in one block of a bf16 product (an even number, the same for every
/// kernel and CPU, so that the blocking never changes a bit).
#define SG_BF16_KC 512

/// A board with `slots` places, one per thread that posts (at least 1).
sg_help_board *sg_help_board_create(int slots);

/// Frees a board on which nothing is posted and no thread is helping any longer.
void sg_help_board_destroy(sg_help_board *board);

/// Makes one pass over the board's slots and computes pieces of every product posted there
/// until that product has none left to take; returns how many it computed (0 at once, after
/// one atomic load, when nothing is posted).
long sg_help_board_help(sg_help_board *board);

/// Pieces computed by `sg_help_board_help` on `board` since it was made.
long sg_help_board_pieces_helped(sg_help_board *board);

/// Nanoseconds `sg_help_board_help` spent in the products it took pieces of, all threads
/// together, since `board` was made.
long sg_help_board_nanoseconds_helped(sg_help_board *board);

// MARK: - Synthetic data (synthetic.c)

/// The xoshiro256** streams `sg_fill_normals` draws from at once.
enum { SG_NORMAL_LANES = 8 };

/// The paths of `sg_fill_normals`, `sg_box_muller`, `sg_truncated_normals` and
/// `sg_teacher_labels`, narrowest first; every path gives the same bits. Their `vector` argument
/// is the widest path the call may take: the library passes `SG_NORMALS_BEST`, tests each path.
enum {
    SG_NORMALS_SCALAR = 0,  ///< the C library's `log` and `cos`, one element at a time
    SG_NORMALS_AVX2 = 1,    ///< polynomials on four doubles (AVX2 and FMA)
    SG_NORMALS_AVX512 = 2,  ///< polynomials on eight doubles (AVX-512F and DQ)
    SG_NORMALS_BEST = 2,
};

/// The widest of those paths this CPU runs.
int sg_normals_vector_supported(void);

/// Standard normals scaled as `mean + standard_deviation * z`, in float, from
/// `SG_NORMAL_LANES` xoshiro256** streams: stream `l` (state words `states[4l ..< 4l + 4]`, as
/// `RandomStream` keeps them) fills `out[l * per_lane ..< (l + 1) * per_lane]`, each element
/// from two draws `u1 = 1 − uniform`, `u2 = uniform` as `RandomStream.nextNormal()` makes them.
/// Every element is exactly the scalar Box–Muller transform's on the C library's `log` and
/// `cos` (see `sg_box_muller`), on every path. The states are advanced past their draws.
/// `vector`: the widest path to take (`SG_NORMALS_*`).
void sg_fill_normals(int vector, uint64_t *states, long per_lane, float *out, float mean, float standard_deviation);

/// `out[i] = (float)(sqrt(-2 * log(u1[i])) * cos(2π * u2[i]))` in double with the C library's
/// `log` and `cos`, for `u1` in (0, 1] and `u2` in [0, 1). The vectorised path computes the
/// double with its own polynomials and calls the library only for the elements whose float it
/// cannot settle; returns how many elements the library computed. `vector`: the widest path to
/// take (`SG_NORMALS_*`).
long sg_box_muller(int vector, const double *u1, const double *u2, float *out, long count);

/// `count` normals truncated at two standard deviations, as `Tensor.truncatedNormal` draws them
/// from one xoshiro256** stream (`state`, advanced past the draws it used): each candidate is
/// `sg_box_muller`'s double of two draws, drawn again while its magnitude exceeds 2, and the
/// element is `mean + standard_deviation * (float)candidate`. The same bits on every path;
/// `vector`: the widest path to take (`SG_NORMALS_*`).
void sg_truncated_normals(int vector, uint64_t *state, long count, float *out, float mean, float standard_deviation);

/// Doubles of scratch `sg_teacher_labels` needs.
long sg_teacher_labels_scratch_count(long features, long classes);

/// Each row's `argmax(x[row] · teacher)` for row-major `x` [rows, features] and `teacher`
/// [features, classes]: each score summed in double over the features in order from zero, the
/// first of equal scores winning; the same bits on every path. `scratch` holds
/// `sg_teacher_labels_scratch_count(features, classes)` doubles. `vector`: the widest path to
/// take (`SG_NORMALS_*`).
void sg_teacher_labels(int vector, const float *x, long rows, long features, const float *teacher, long classes,
                       long *labels, double *scratch);

// MARK: - The all-reduce (reduce.c)

/// The all-reduce's inner loop: `out[i] = (slots[0][i] + … + slots[k-1][i]) / divisor` for
/// `i < count`, summed in slot order, so any split of the elements gives the same bits.
/// Runs on the calling thread. `slot_count` must be at least 1 (`slots[0]` is always read).
void sg_reduce_slots(const float *const *slots, int slot_count, float *out, long count, float divisor);

/// Σ x[i]² over `i < count`, in `double`: what a gradient's global norm is built from, chunk by
/// chunk, while the all-reduce hands the chunk over. 32 running sums, element `i` going to sum
/// `i mod 32`, added together in order at the end, so the result is the same bits on every
/// instruction set (each square of a float is exact in `double`, so no fused multiply-add can
/// round it differently). Runs on the calling thread.
double sg_sum_of_squares(const float *x, long count);

/// The index of the first element of x[0 ..< count] that is NaN or infinite, or `count` when
/// every element is finite: one branch-free pass over blocks of 64 elements, then a search of
/// the block that holds one. Runs on the calling thread.
long sg_first_non_finite(const float *x, long count);

// MARK: - Elementwise and reduction loops (elementwise.c)
//
// `threads` is the most threads a kernel may use (<= 1: the calling thread only); loops under
// about 256 Ki elements always run on the calling thread. Results never depend on `threads`.

/// The epilogue of a dense layer, in place on the rows x cols matrix `y` (row-major, dense):
/// y[i][j] = act(y[i][j] + bias[j]), where act is max(·, 0) when `relu` != 0, else identity.
void sg_bias_activation(float *y, const float *bias, long rows, long cols, int relu,
                        int threads);

/// The ReLU backward mask: result[i] = output[i] > 0 ? upstream[i] : 0, where `output` is the
/// activation's output (positive exactly where its input was). `result` may alias `upstream`.
void sg_relu_backward(const float *upstream, const float *output, float *result, long count,
                      int threads);

/// sums[j] = Σ_i x[i][j] over the rows of a dense rows x cols matrix, each column summed in
/// row order (a bias gradient).
void sg_column_sums(const float *x, long rows, long cols, float *sums, int threads);

/// One Adam step over `count` elements (without AMSGrad), in float32 as Keras computes it:
/// m += (g − m)·(1 − β₁); v += (g² − v)·(1 − β₂); w −= α·m / (√v + ε), where `alpha` already
/// holds the bias-corrected learning rate.
void sg_adam_update(float *w, const float *g, float *m, float *v, long count, float alpha,
                    float one_minus_beta1, float one_minus_beta2, float epsilon, int threads);

// MARK: - Softmax cross-entropy (softmax_xent.c)

/// loss[i] = log Σ_j exp(x[i][j]) − x[i][labels[i]] for each row of the batch x classes
/// `logits`, computed stably (the row maximum is subtracted first). Labels must be in range.
void sg_softmax_xent_forward(const float *logits, const long *labels, long batch, long classes,
                             float *loss, int threads);

/// The gradient of the loss above scaled by the upstream gradient of each row:
/// gradient[i][j] = upstream[i] · (softmax(x[i])[j] − [j == labels[i]]). A null `upstream`
/// means ones.
void sg_softmax_xent_backward(const float *logits, const long *labels, const float *upstream,
                              long batch, long classes, float *gradient, int threads);

/// Tells the CPU that the caller is spinning on a shared value (x86 `pause`), which saves power
/// and lets a waiting thread see the value change sooner; does nothing elsewhere.
static inline void sg_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#ifdef __cplusplus
}
#endif

#endif
