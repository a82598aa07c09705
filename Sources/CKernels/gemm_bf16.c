// bf16 products: which micro-kernel family computes them, whether this CPU's vdpbf16ps may be
// trusted (checked once against the emulated kernel), which shapes the native family hands to
// its kernels for narrow outputs and short K, and the packed loop nest for bf16 (see
// gemm_internal.h), split among threads by whole tiles of C or posted on a help board. K is
// blocked by SG_BF16_KC and never split, so every thread count and every helper gives the bits
// of sg_sgemm_bf16_reference.

#include "gemm_internal.h"

#include <pthread.h>
#include <stdatomic.h>

_Static_assert(SG_BF16_KC % 2 == 0, "a K block holds whole pairs");
_Static_assert(SG_BF16_AVX512_MR <= SG_MR_MAX && SG_BF16_GENERIC_MR <= SG_MR_MAX,
               "a tile's A panel fits a helper's scratch buffer");
_Static_assert(2 * SG_BF16_AVX512_MR * (SG_BF16_KC / 2) <= SG_BF16_A_PANEL_WORDS &&
                   2 * SG_BF16_AVX2_MR * (SG_BF16_KC / 2) <= SG_BF16_A_PANEL_WORDS,
               "a wide A panel fits the loop nest's A buffers");
_Static_assert(SG_BF16_A_PANEL_WORDS * 4 <= SG_HELP_SCRATCH_BYTES,
               "a tile's A panel fits a helper's scratch buffer");

// MARK: - Families

static const sg_bf16_family family_generic = {SG_BF16_GENERIC_MR, SG_BF16_GENERIC_NR,
                                              SG_BF16_GENERIC_NC, sg_bf16_ukernel_generic,
                                              sg_bf16_pack_a_generic, sg_bf16_pack_b_generic};
#if SG_X86
static const sg_bf16_family family_avx2 = {SG_BF16_AVX2_MR, SG_BF16_AVX2_NR, SG_BF16_AVX2_NC,
                                           sg_bf16_ukernel_avx2,
                                           sg_bf16_pack_a_avx2, sg_bf16_pack_b_avx2};
static const sg_bf16_family family_emulated = {SG_BF16_AVX512_MR, SG_BF16_AVX512_NR,
                                               SG_BF16_AVX512_NC,
                                               sg_bf16_ukernel_avx512_emulated,
                                               sg_bf16_pack_a_avx512_wide, sg_bf16_pack_b_avx512};
// The emulated family's arithmetic with the native family's packing (the same words, checked at
// start-up): where vdpbf16ps is usable but slower than two FMAs, packing still rounds 32 floats
// with one vcvtne2ps2bf16.
static const sg_bf16_family family_emulated_native_packing = {
    SG_BF16_AVX512_MR, SG_BF16_AVX512_NR, SG_BF16_AVX512_NC, sg_bf16_ukernel_avx512_emulated,
    sg_bf16_pack_a_native_wide, sg_bf16_pack_b_native};
static const sg_bf16_family family_native = {SG_BF16_AVX512_MR, SG_BF16_AVX512_NR,
                                             SG_BF16_AVX512_NC, sg_bf16_ukernel_avx512_native,
                                             sg_bf16_pack_a_native, sg_bf16_pack_b_native};
#endif

int sg_cpu_has_bf16_instructions(void) {
#if SG_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512bf16") &&
           __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

#if SG_X86
/// Whether the native kernels and packing passed the start-up check: 1 usable, 0 not, -1 not
/// checked yet. The check is idempotent, so a racing first call at worst runs it twice; the
/// atomic makes that benign.
static _Atomic int native_usable = -1;
#endif

int sg_bf16_native_usable(void) {
#if SG_X86
    int usable = atomic_load_explicit(&native_usable, memory_order_relaxed);
    if (usable < 0) {
        usable = sg_cpu_has_bf16_instructions() && sg_bf16_native_agrees();
        atomic_store_explicit(&native_usable, usable, memory_order_relaxed);
    }
    return usable;
#else
    return 0;
#endif
}

#if SG_X86
static pthread_once_t preferred_once = PTHREAD_ONCE_INIT;
static int preferred;

static void decide_preferred(void) {
    preferred = sg_bf16_native_usable() && sg_bf16_native_outpaces_fma();
}
#endif

int sg_bf16_native_preferred(void) {
#if SG_X86
    // Once, under pthread_once: unlike the bit check, a timing may come out differently when
    // repeated, and threads that start bf16 products together must all get the one answer (and
    // not time the instructions at once, on cores that may share a unit).
    pthread_once(&preferred_once, decide_preferred);
    return preferred;
#else
    return 0;
#endif
}

/// The family that computes a bf16 product for kernel constant `kernel` (one this CPU supports).
static const sg_bf16_family *family_for(int kernel) {
#if SG_X86
    switch (kernel) {
    case SG_GEMM_KERNEL_AVX512_BF16: return &family_native;
    case SG_GEMM_KERNEL_AVX512:
        // Only once the check has passed: the check itself runs this family's packed path as
        // the reference of the native packing. Either packing gives the same words.
        return atomic_load_explicit(&native_usable, memory_order_relaxed) == 1
                   ? &family_emulated_native_packing
                   : &family_emulated;
    case SG_GEMM_KERNEL_AVX2: return &family_avx2;
    default: break;
    }
#else
    (void)kernel;
#endif
    return &family_generic;
}

// MARK: - MXCSR

#if SG_X86
static inline unsigned enter_bf16(void) {
    const unsigned saved = _mm_getcsr();
    _mm_setcsr(SG_BF16_MXCSR);
    return saved;
}
static inline void leave_bf16(unsigned saved) { _mm_setcsr(saved); }
#else
static inline unsigned enter_bf16(void) { return 0; }
static inline void leave_bf16(unsigned saved) { (void)saved; }
#endif

// MARK: - The loop nest

/// One bf16 product as the loop nest runs it (after any role swap for a narrow output).
typedef struct {
    const sg_bf16_family *f;
    long M, N, K;
    float alpha, beta;
    sg_view a, b;        // op(A): M x K, op(B): K x N
    float *c;
    long rsc, csc;       // C: M x N
    uint32_t *bpack;     // packed B: one K block, or with whole_b every K block of an N block
    int split_m;         // 1: threads own row panels; 0: threads own column panels
    int whole_b;
    /// All of op(B) packed before the call (sg_packed_b_block_offset in pairs), or NULL: the
    /// loop nest then packs nothing of B and its threads never wait for one another.
    const uint32_t *bprepacked;
} bf16_plan;

/// Pairs of K before K block `pc` in a whole-B buffer (every earlier block is full).
static inline long pairs_before(long pc) { return pc / 2; }

/// Where the packed block (jc, pc) of op(B) starts in a plan's prepacked buffer.
static inline const uint32_t *prepacked_block(const bf16_plan *x, long jc, long pc,
                                              long bpanels) {
    return x->bprepacked + sg_packed_b_block_offset(jc, sg_bf16_pairs(x->K), pairs_before(pc),
                                                    bpanels, x->f->nr);
}

/// Rows [i0, i0 + mr) of C for K block (pc, kc) and column panels [q0, q1) of the N block at
/// jc, whose packed B block is `bblock`; `apack` is the calling thread's A panel buffer.
static void run_rows(const bf16_plan *x, long i0, long jc, long nc, long pc, long kc,
                     const uint32_t *bblock, long q0, long q1, uint32_t *apack) {
    const int MR = x->f->mr, NR = x->f->nr;
    const int mr = (int)min_l(MR, x->M - i0);
    const long kp = (kc + 1) / 2;
    const float beta = pc == 0 ? x->beta : 1.0f;
    x->f->pack_a(x->a, i0, mr, pc, kc, MR, apack);
    for (long q = q0; q < q1; q++) {
        const long j0 = q * NR;
        const int n = (int)min_l(NR, nc - j0);
        float *cp = x->c + i0 * x->rsc + (jc + j0) * x->csc;
        x->f->kernel(mr, n, kp, apack, bblock + q * kp * NR, cp, x->rsc, x->csc, x->alpha, beta);
    }
}

/// The loop nest as run by thread `tid` of `nth`: with nth == 1 plain serial code, with nth > 1
/// called by every thread of a parallel region.
static void bf16_thread(const bf16_plan *x, int tid, int nth) {
    const int MR = x->f->mr, NR = x->f->nr;
    const long NC = x->f->nc;
    _Alignas(64) uint32_t apack[SG_BF16_A_PANEL_WORDS];
    const unsigned saved = enter_bf16();

    const long mpanels = ceil_div(x->M, MR);
    long t_begin = 0, t_end = mpanels;
    if (x->split_m && nth > 1) {
        t_begin = mpanels * tid / nth;
        t_end = mpanels * (tid + 1) / nth;
    }
    for (long jc = 0; jc < x->N; jc += NC) {
        const long nc = min_l(NC, x->N - jc);
        const long bpanels = ceil_div(nc, NR), bcols = bpanels * NR;
        const long share0 = bpanels * tid / nth, share1 = bpanels * (tid + 1) / nth;
        if (x->whole_b && !x->bprepacked) {
            for (long pc = 0; pc < x->K; pc += SG_BF16_KC) {
                const long kc = min_l(SG_BF16_KC, x->K - pc);
                x->f->pack_b(x->b, pc, kc, jc, nc, share0, share1, NR,
                             x->bpack + pairs_before(pc) * bcols);
            }
            if (nth > 1) {
#pragma omp barrier
            }
        }
        for (long pc = 0; pc < x->K; pc += SG_BF16_KC) {
            const long kc = min_l(SG_BF16_KC, x->K - pc);
            const uint32_t *bblock = x->bprepacked ? prepacked_block(x, jc, pc, bpanels)
                                     : x->whole_b  ? x->bpack + pairs_before(pc) * bcols
                                                   : x->bpack;
            if (!x->whole_b && !x->bprepacked) {
                x->f->pack_b(x->b, pc, kc, jc, nc, share0, share1, NR, x->bpack);
                if (nth > 1) {
#pragma omp barrier
                }
            }
            long q0 = 0, q1 = bpanels;
            if (!x->split_m && nth > 1) {
                q0 = share0;
                q1 = share1;
            }
            for (long t = t_begin; t < t_end; t++)
                run_rows(x, t * MR, jc, nc, pc, kc, bblock, q0, q1, apack);
            // Nobody may overwrite the B block while another thread still reads it.
            if (nth > 1 && !x->bprepacked &&
                (!x->whole_b || (pc + SG_BF16_KC >= x->K && jc + NC < x->N))) {
#pragma omp barrier
            }
        }
    }
    leave_bf16(saved);
}

// MARK: - Posting on a help board

/// One K block of a bf16 product posted on a board: tile t is the MR-row micro-panel of C at
/// row t * MR, across every column panel of the block.
typedef struct {
    const bf16_plan *x;
    long jc, nc, pc, kc, bpanels;
    const uint32_t *bblock;
} bf16_block;

/// Computes tile `t` of a bf16_block with `scratch` as this thread's A panel buffer. MXCSR is
/// the calling thread's own, so each tile sets it, whichever thread runs it.
static void bf16_tile(const void *job, long t, void *scratch) {
    const bf16_block *b = job;
    const unsigned saved = enter_bf16();
    run_rows(b->x, t * b->x->f->mr, b->jc, b->nc, b->pc, b->kc, b->bblock, 0, b->bpanels,
             scratch);
    leave_bf16(saved);
}

static void bf16_posted(const bf16_plan *x, sg_help_board *board, int slot) {
    const int NR = x->f->nr;
    const long NC = x->f->nc;
    for (long jc = 0; jc < x->N; jc += NC) {
        const long nc = min_l(NC, x->N - jc);
        const long bpanels = ceil_div(nc, NR);
        for (long pc = 0; pc < x->K; pc += SG_BF16_KC) {
            const long kc = min_l(SG_BF16_KC, x->K - pc);
            const uint32_t *bblock = x->bpack;
            if (x->bprepacked)
                bblock = prepacked_block(x, jc, pc, bpanels);
            else
                x->f->pack_b(x->b, pc, kc, jc, nc, 0, bpanels, NR, x->bpack);
            const bf16_block block = {.x = x, .jc = jc, .nc = nc, .pc = pc, .kc = kc,
                                      .bpanels = bpanels, .bblock = bblock};
            sg_help_board_run(board, slot, ceil_div(x->M, x->f->mr), bf16_tile, &block);
        }
    }
}

// MARK: - Entry

/// A 64-byte-aligned buffer of `count` 32-bit words (at least one cache line).
static uint32_t *alloc_words(long count) {
    const size_t bytes = ((size_t)count * sizeof(uint32_t) + 63) & ~(size_t)63;
    uint32_t *p = aligned_alloc(64, bytes ? bytes : 64);
    if (!p) abort();
    return p;
}

int sg_bf16_packed_b_layout(int kernel, long N, long K) {
#if SG_X86
    if (kernel == SG_GEMM_KERNEL_AVX512_BF16) {
        if (N <= 16) return SG_PACKED_B_NARROW;
        if (K <= 16) return SG_PACKED_B_NONE;
    }
#endif
    (void)N, (void)K;
    return SG_PACKED_B_PANELS;
}

long sg_bf16_packed_b_words(int kernel, long N, long K) {
    switch (sg_bf16_packed_b_layout(kernel, N, K)) {
    case SG_PACKED_B_NARROW: return sg_bf16_pairs(K) * 16;
    case SG_PACKED_B_PANELS: {
        const int NR = family_for(kernel)->nr;
        return sg_bf16_pairs(K) * (ceil_div(N, NR) * NR);
    }
    default: return 0;
    }
}

void sg_bf16_pack_b_all(int kernel, sg_view b, long N, long K, uint32_t *dst) {
    switch (sg_bf16_packed_b_layout(kernel, N, K)) {
#if SG_X86
    case SG_PACKED_B_NARROW: sg_bf16_pack_narrow_b(b, K, (int)N, dst); break;
#endif
    case SG_PACKED_B_PANELS: {
        const sg_bf16_family *f = family_for(kernel);
        const long pairs = sg_bf16_pairs(K);
        for (long jc = 0; jc < N; jc += f->nc) {
            const long nc = min_l(f->nc, N - jc), bpanels = ceil_div(nc, f->nr);
            for (long pc = 0; pc < K; pc += SG_BF16_KC)
                f->pack_b(b, pc, min_l(SG_BF16_KC, K - pc), jc, nc, 0, bpanels, f->nr,
                          dst + sg_packed_b_block_offset(jc, pairs, pairs_before(pc), bpanels,
                                                         f->nr));
        }
        break;
    }
    default: break;
    }
}

void sg_gemm_bf16(int kernel, sg_gemm_context context, int transA, int transB, long M, long N,
                  long K, float alpha, const float *A, long lda, const float *B, long ldb,
                  float beta, float *C, long ldc, const uint32_t *bpacked) {
    const int layout = bpacked ? sg_bf16_packed_b_layout(kernel, N, K) : SG_PACKED_B_NONE;
    const sg_view a = {A, transA ? 1 : lda, transA ? lda : 1};
    const sg_view b = {B, transB ? 1 : ldb, transB ? ldb : 1};
#if SG_X86
    // The native family's kernels for the shapes where the packed path's packing and tiles
    // cost more than the products: narrow outputs and short K, as in Float32. They never post
    // on a help board.
    if (kernel == SG_GEMM_KERNEL_AVX512_BF16) {
        if (N <= 16 && M > N) {
            const uint32_t *bw = layout == SG_PACKED_B_NARROW ? bpacked : NULL;
            if (transA)
                sg_gemm_bf16_narrow_t(M, (int)N, K, alpha, a, b, beta, C, ldc, context.threads,
                                      bw);
            else
                sg_gemm_bf16_narrow(M, (int)N, K, alpha, a, b, beta, C, ldc, context.threads,
                                    bw);
            return;
        }
        if (K <= 16 && N > 16) {
            sg_gemm_bf16_small_k(M, N, K, alpha, a, b, beta, C, ldc, context.threads);
            return;
        }
    }
#endif
    bf16_plan x = {.f = family_for(kernel), .K = K, .alpha = alpha, .beta = beta, .c = C};
    const int MR = x.f->mr, NR = x.f->nr;
    // Narrow output: compute C^T = op(B)^T op(A)^T, so that the narrow side runs along MR
    // instead of wasting most of each NR-wide tile. Each element of C takes the same products
    // in the same order (a product of two values is the same either way round).
    const int swap = N < NR / 2 && M > N;
    // A prepacked op(B) serves the loop nest only where op(B) keeps its role.
    x.bprepacked = layout == SG_PACKED_B_PANELS && !swap ? bpacked : NULL;
    if (swap) {
        x.M = N; x.N = M;
        x.a = (sg_view){b.p, b.cs, b.rs};
        x.b = (sg_view){a.p, a.cs, a.rs};
        x.rsc = 1; x.csc = ldc;
    } else {
        x.M = M; x.N = N;
        x.a = a; x.b = b;
        x.rsc = ldc; x.csc = 1;
    }

    const long mpanels = ceil_div(x.M, MR), npanels = ceil_div(min_l(x.N, x.f->nc), NR);
    const long kp_block = (min_l(SG_BF16_KC, K) + 1) / 2;
    int nth = context.threads < 1 ? 1 : context.threads;
    if (nth == 1 && sg_help_board_has_slot(context.help_board, context.help_slot) &&
        mpanels >= 2) {
        x.bpack = x.bprepacked ? NULL : alloc_words(kp_block * npanels * NR);
        bf16_posted(&x, context.help_board, context.help_slot);
        free(x.bpack);
        return;
    }
    // Never more threads than tiles to hand out, nor than the work pays for: a team costs a
    // few microseconds; from 0.5 MFLOP per thread (the MLP's 10-wide layers at batch 256 and
    // up, whose Float32 kernels split them too) two threads were faster on this machine.
    x.split_m = mpanels >= nth || mpanels >= npanels;
    const long units = x.split_m ? mpanels : npanels;
    if (nth > units) nth = (int)units;
    if (2.0 * (double)M * (double)N * (double)K < 524288.0 * nth) nth = 1;
    // Pack every K block of an N block at once when that stays small (8 MiB), sparing the
    // threads two barriers per K block.
    const long bcols = npanels * NR;
    const long pairs = sg_bf16_pairs(K);
    x.whole_b = !x.bprepacked && nth > 1 && pairs * bcols <= (8L << 20) / (long)sizeof(uint32_t);
    x.bpack = x.bprepacked ? NULL : alloc_words((x.whole_b ? pairs : kp_block) * bcols);
    if (nth == 1) {
        bf16_thread(&x, 0, 1);
    } else {
        // The runtime may grant fewer threads than asked: split by the team actually running.
#pragma omp parallel num_threads(nth)
        bf16_thread(&x, omp_get_thread_num(), omp_get_num_threads());
    }
    free(x.bpack);
}
