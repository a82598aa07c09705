// Products other threads can help with.
//
// A data-parallel worker runs its products on one thread, and the workers of a step rarely
// finish together: one core of a shared machine is often slower than another. So a worker's
// single-threaded product, given a place on a help board (sg_sgemm_with_context), posts each K
// block's tiles there; a worker that has finished its own work (spinning in the engine's pool)
// takes tiles from it. A tile is one MR-row micro-panel of C for the block: the same
// micro-kernel calls, with the same packed A and B panels, as the serial loop makes, so who
// computes a tile never changes a bit of it. The board itself only hands out tile numbers
// (sg_help_board_run); what a tile computes is its poster's (Float32 below, bf16 in
// gemm_bf16.c).

#include "gemm_internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

/// One posted piece of work: its tiles are claimed through `next`.
typedef struct {
    sg_posted_tile tile;
    const void *job;
    long tiles;
    // On cache lines of their own: helpers update them while the owner works on its stack.
    _Alignas(64) _Atomic long next;  // the next unclaimed tile
    _Alignas(64) _Atomic long done;  // tiles finished
} posted_block;

/// A place on the board, where one product at a time posts. `block` changes only under `lock`;
/// a helper that found it non-null counts itself in `helpers` under the same lock, so the owner,
/// having taken the block down, knows when the last helper has left it. `open` is a hint read
/// without the lock: 1 from posting until some thread finds no tile left to claim, so that idle
/// threads do not keep taking the lock of a block whose tiles are all taken.
typedef struct {
    pthread_mutex_t lock;
    posted_block *block;
    _Atomic int helpers;
    _Atomic int open;
    char padding[64];     // keeps neighbouring slots off each other's cache lines
} board_slot;

struct sg_help_board {
    int count;
    _Atomic int posted;          // blocks on the board now: idle threads look here first
    _Atomic long helped;         // tiles computed by helpers since the board was made
    _Atomic long helped_nanos;   // time helpers spent in blocks they joined
    board_slot *slots;
};

sg_help_board *sg_help_board_create(int slots) {
    if (slots < 1) slots = 1;
    sg_help_board *board = malloc(sizeof *board);
    if (!board) abort();
    board->count = slots;
    atomic_init(&board->posted, 0);
    atomic_init(&board->helped, 0);
    atomic_init(&board->helped_nanos, 0);
    board->slots = calloc((size_t)slots, sizeof(board_slot));
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

int sg_help_board_has_slot(const sg_help_board *board, int slot) {
    return board && slot >= 0 && slot < board->count;
}

/// Claims and computes tiles of `b`, posted in `slot`, until none is left; returns how many this
/// thread computed.
static long work_on(posted_block *b, board_slot *slot, void *scratch) {
    long computed = 0;
    for (;;) {
        const long t = atomic_fetch_add_explicit(&b->next, 1, memory_order_relaxed);
        if (t >= b->tiles) {
            atomic_store_explicit(&slot->open, 0, memory_order_relaxed);
            return computed;
        }
        b->tile(b->job, t, scratch);
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
    _Alignas(64) unsigned char scratch[SG_HELP_SCRATCH_BYTES];
    long computed = 0;
    for (int i = 0; i < board->count; i++) {
        board_slot *slot = &board->slots[i];
        if (!atomic_load_explicit(&slot->open, memory_order_relaxed)) continue;
        pthread_mutex_lock(&slot->lock);
        posted_block *b = slot->block;
        if (b) atomic_fetch_add_explicit(&slot->helpers, 1, memory_order_relaxed);
        pthread_mutex_unlock(&slot->lock);
        if (!b) continue;
        const long start = monotonic_nanoseconds();
        const long tiles = work_on(b, slot, scratch);
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

void sg_help_board_run(sg_help_board *board, int slot_index, long tiles, sg_posted_tile tile,
                       const void *job) {
    board_slot *slot = &board->slots[slot_index];
    _Alignas(64) unsigned char scratch[SG_HELP_SCRATCH_BYTES];
    posted_block b = {.tile = tile, .job = job, .tiles = tiles};
    atomic_init(&b.next, 0);
    atomic_init(&b.done, 0);
    pthread_mutex_lock(&slot->lock);
    slot->block = &b;
    pthread_mutex_unlock(&slot->lock);
    atomic_store_explicit(&slot->open, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&board->posted, 1, memory_order_release);

    work_on(&b, slot, scratch);

    atomic_fetch_sub_explicit(&board->posted, 1, memory_order_relaxed);
    pthread_mutex_lock(&slot->lock);
    slot->block = NULL;
    pthread_mutex_unlock(&slot->lock);
    // Helpers still inside the block finish their tiles (which may read buffers the caller is
    // about to reuse) and leave; no new one can come in. A helper that has lost its core
    // mid-tile may take a while: give the core up now and then rather than spin.
    for (int spins = 1;
         atomic_load_explicit(&slot->helpers, memory_order_acquire) != 0 ||
         atomic_load_explicit(&b.done, memory_order_acquire) != b.tiles;
         spins++) {
        if (spins % 256 == 0) sched_yield();
        else sg_cpu_relax();
    }
}

/// One K block of a Float32 packed product, posted on a board: tile t is the MR-row micro-panel
/// of C starting at row t * MR, across every column panel of the block.
typedef struct {
    const sg_gemm_plan *x;
    long jc, nc, pc, kc, bpanels;
    float beta;
    const float *bblock;
} float_block;

/// Computes tile `t` of a float_block with `scratch` (MR x KC floats) as this thread's A buffer,
/// or with A's rows read in place where the plan says so.
static void float_tile(const void *job, long t, void *scratch) {
    const float_block *b = job;
    const sg_gemm_plan *x = b->x;
    const int MR = x->blk->mr, NR = x->blk->nr;
    float *apack = scratch;
    const long i0 = t * MR;
    const int mr = (int)min_l(MR, x->M - i0);
    const float *arows = x->a.p + i0 * x->a.rs + b->pc;  // A's rows, when read in place
    if (!x->kernel_rows) sg_pack_a_panel(x->a, i0, mr, b->pc, b->kc, MR, apack);
    for (long q = 0; q < b->bpanels; q++) {
        const long j0 = q * NR;
        const int n = (int)min_l(NR, b->nc - j0);
        float *cp = x->c + i0 * x->rsc + (b->jc + j0) * x->csc;
        if (x->kernel_rows)
            x->kernel_rows(mr, n, b->kc, arows, x->a.rs, b->bblock + q * b->kc * NR, cp, x->rsc,
                           x->csc, x->alpha, b->beta);
        else
            x->kernel(mr, n, b->kc, apack, b->bblock + q * b->kc * NR, cp, x->rsc, x->csc,
                      x->alpha, b->beta);
    }
}

void sg_gemm_posted(const sg_gemm_plan *x, sg_help_board *board, int slot) {
    const sg_blocking *blk = x->blk;
    const int NR = blk->nr;
    for (long jc = 0; jc < x->N; jc += blk->nc) {
        const long nc = min_l(blk->nc, x->N - jc);
        const long bpanels = ceil_div(nc, NR);
        for (long pc = 0; pc < x->K; pc += blk->kc) {
            const long kc = min_l(blk->kc, x->K - pc);
            const float *bblock = x->bpack;
            if (x->bprepacked)
                bblock = x->bprepacked + sg_packed_b_block_offset(jc, x->K, pc, bpanels, NR);
            else
                sg_pack_b_panels(x->b, pc, kc, jc, nc, 0, bpanels, NR, x->bpack);
            const float_block b = {.x = x, .jc = jc, .nc = nc, .pc = pc, .kc = kc,
                                   .bpanels = bpanels, .beta = pc == 0 ? x->beta : 1.0f,
                                   .bblock = bblock};
            sg_help_board_run(board, slot, ceil_div(x->M, blk->mr), float_tile, &b);
        }
    }
}
