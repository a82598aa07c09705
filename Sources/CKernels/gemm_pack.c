// Packing: copies blocks of op(A) and op(B), seen through their strides, into the contiguous,
// zero-padded micro-panels the micro-kernels read. A transpose only changes which loop below
// reads memory in order, so the micro-kernels see one layout for all four transpose cases.

#include "gemm_internal.h"

#include <string.h>

// A full micro-panel of column-contiguous op(A): each k step copies R floats, a size the compiler
// knows, so a step is two or three vector moves instead of R scalar ones.
#define SG_COPY_FULL_PANEL(R)                                                                    \
    for (long p = 0; p < kc; p++) memcpy(dst + p * (R), a.p + (p0 + p) * a.cs + i0, (R) * sizeof(float))

void sg_pack_a_panel(sg_view a, long i0, int mr, long p0, long kc, int MR, float *dst) {
    if (a.rs == 1 && mr == MR) {
        switch (MR) {
        case 4: SG_COPY_FULL_PANEL(4); return;
        case 6: SG_COPY_FULL_PANEL(6); return;
        case 12: SG_COPY_FULL_PANEL(12); return;
        default: break;
        }
    }
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
        const float *rows[SG_MR_MAX];
        for (int i = 0; i < mr; i++) rows[i] = a.p + (i0 + i) * a.rs + p0 * a.cs;
        for (long p = 0; p < kc; p++) {
            float *d = dst + p * MR;
            for (int i = 0; i < mr; i++) d[i] = rows[i][p * a.cs];
            for (int i = mr; i < MR; i++) d[i] = 0.0f;
        }
    }
}

#undef SG_COPY_FULL_PANEL

void sg_pack_b_panel(sg_view b, long p0, long kc, long j0, long nr, long NR, float *dst) {
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

// Row-major B is copied one source row at a time across all panels, so it is read sequentially
// rather than down columns 4...8 KiB apart.
void sg_pack_b_panels(sg_view b, long p0, long kc, long j0, long nc, long q0, long q1, int NR,
                      float *dst) {
    if (b.cs != 1 || q0 >= q1) {
        for (long q = q0; q < q1; q++)
            sg_pack_b_panel(b, p0, kc, j0 + q * NR, min_l(NR, nc - q * NR), NR,
                            dst + q * kc * NR);
        return;
    }
    const long full_end = min_l(q1, nc / NR);  // panels [q0, full_end) have all NR columns
    // Each copy is one panel row of NR floats. For the families' NR the size is a constant, so
    // the compiler makes it a few vector moves instead of a call to memcpy per 64 or 128 bytes.
#define SG_COPY_FULL_ROWS(W)                                                                     \
    for (long p = 0; p < kc; p++) {                                                              \
        const float *src = b.p + (p0 + p) * b.rs + j0;                                           \
        for (long q = q0; q < full_end; q++)                                                     \
            memcpy(dst + q * kc * (W) + p * (W), src + q * (W), (W) * sizeof(float));             \
    }
    switch (NR) {
    case 16: SG_COPY_FULL_ROWS(16); break;
    case 32: SG_COPY_FULL_ROWS(32); break;
    default: SG_COPY_FULL_ROWS(NR); break;
    }
#undef SG_COPY_FULL_ROWS
    for (long q = full_end > q0 ? full_end : q0; q < q1; q++)
        sg_pack_b_panel(b, p0, kc, j0 + q * NR, min_l(NR, nc - q * NR), NR, dst + q * kc * NR);
}
