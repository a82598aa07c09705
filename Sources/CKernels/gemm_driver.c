// The packed path: the BLIS loop nest (see gemm_internal.h) with its packing buffers, split
// among threads by whole tiles of C, or posted on a help board when the caller gives one. A is
// packed per block, or read in place where the caller asks and its rows are contiguous.

#include "gemm_internal.h"

/// The whole loop nest as run by thread `tid` of `nth`. With nth == 1 it is plain serial code
/// and touches no OpenMP; with nth > 1 it must be called by every thread of a parallel region.
static void gemm_thread(const sg_gemm_plan *x, int tid, int nth) {
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
        if (x->whole_b && !x->bprepacked) {
            for (long pc = 0; pc < x->K; pc += blk->kc) {
                const long kc = min_l(blk->kc, x->K - pc);
                sg_pack_b_panels(x->b, pc, kc, jc, nc, bpanels * tid / nth,
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
            const float *bblock =
                x->bprepacked ? x->bprepacked + sg_packed_b_block_offset(jc, x->K, pc, bpanels, NR)
                : x->whole_b  ? x->bpack + pc * bpanels * NR
                              : x->bpack;

            // Pack the shared B block; each thread copies a contiguous share of its panels.
            if (!x->whole_b && !x->bprepacked) {
                sg_pack_b_panels(x->b, pc, kc, jc, nc, bpanels * tid / nth,
                                 bpanels * (tid + 1) / nth, NR, x->bpack);
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
                if (x->kernel_rows) {
                    // A's rows in place: the same tiles, kernel calls and sums, without the copy.
                    for (long ir = 0; ir < mc; ir += MR) {
                        const int mr = (int)min_l(MR, mc - ir);
                        const float *ar = x->a.p + (ic + ir) * x->a.rs + pc;
                        for (long q = q_begin; q < q_end; q++) {
                            const long j0 = q * NR;
                            const int n = (int)min_l(NR, nc - j0);
                            float *cp = x->c + (ic + ir) * x->rsc + (jc + j0) * x->csc;
                            x->kernel_rows(mr, n, kc, ar, x->a.rs, bblock + q * kc * NR, cp,
                                           x->rsc, x->csc, x->alpha, beta);
                        }
                    }
                    continue;
                }
                for (long ir = 0; ir < mc; ir += MR)
                    sg_pack_a_panel(x->a, ic + ir, (int)min_l(MR, mc - ir), pc, kc, MR,
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
            if (nth > 1 && !x->bprepacked &&
                (!x->whole_b || (pc + blk->kc >= x->K && jc + blk->nc < x->N))) {
#pragma omp barrier
            }
        }
    }
}

void sg_gemm_packed(const sg_blocking *blk, sg_ukernel kernel, sg_ukernel_rows kernel_rows,
                    long M, long N, long K, float alpha, sg_view a, sg_view b, float beta,
                    float *C, long ldc, sg_gemm_context context, const float *bprepacked) {
    const int MR = blk->mr, NR = blk->nr;
    sg_gemm_plan x;
    x.blk = blk;
    x.kernel = kernel;
    x.kernel_rows = NULL;
    // Narrow output: swap roles so the narrow side runs along MR (see gemm_internal.h).
    if (N < NR / 2 && M > N) {
        x.M = N; x.N = M;
        x.a = (sg_view){b.p, b.cs, b.rs};
        x.b = (sg_view){a.p, a.cs, a.rs};
        x.rsc = 1; x.csc = ldc;
    } else {
        x.M = M; x.N = N;
        x.a = a; x.b = b;
        x.rsc = ldc; x.csc = 1;
        if (a.cs == 1) x.kernel_rows = kernel_rows;
    }
    x.K = K;
    x.c = C;
    x.alpha = alpha;
    x.beta = beta;
    x.bprepacked = bprepacked;
    x.whole_b = 0;

    int nth = context.threads < 1 ? 1 : context.threads;
    const long mpanels = ceil_div(x.M, MR), npanels = ceil_div(min_l(x.N, blk->nc), NR);
    const long kc = min_l(blk->kc, K);
    // A single-threaded product given a help board posts its tiles there, when it has at least
    // two to share.
    if (nth == 1 && sg_help_board_has_slot(context.help_board, context.help_slot) &&
        mpanels >= 2 && blk->kc <= SG_KC_MAX) {
        x.bpack = bprepacked ? NULL : alloc_floats(kc * npanels * NR);
        if (!bprepacked && !x.bpack) abort();
        sg_gemm_posted(&x, context.help_board, context.help_slot);
        free(x.bpack);
        return;
    }
    // Never more threads than there are tiles to hand out.
    x.split_m = mpanels >= nth || mpanels >= npanels;
    const long units = x.split_m ? mpanels : npanels;
    if (nth > units) nth = (int)units;

    const long rows_per_thread = x.split_m ? ceil_div(mpanels, nth) * MR : x.M;
    const long mc = min_l(blk->mc, ceil_div(rows_per_thread, MR) * MR);
    x.mc = mc;
    x.apack_stride = x.kernel_rows ? 0 : (mc * kc + 15) & ~15L;
    x.apack = alloc_floats(x.apack_stride * nth);
    // Pack all of B's K blocks at once when that stays small (8 MiB: the MLP's layers need at
    // most 0.8 MiB); only worth it with several threads, which it spares most barriers.
    const long bcols = npanels * NR;
    x.whole_b = !bprepacked && nth > 1 && K * bcols <= (8L << 20) / (long)sizeof(float);
    x.bpack = bprepacked ? NULL : alloc_floats((x.whole_b ? K : kc) * bcols);
    if (!x.apack || (!bprepacked && !x.bpack)) abort();

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
