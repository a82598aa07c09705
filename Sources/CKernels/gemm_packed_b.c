// op(B) packed once for many products (see gemm_internal.h): the buffer's size, the packing, and
// the products against it, with op(A) packed per block as usual or read in place.

#include "gemm_internal.h"

#include <stdint.h>
#include <stdio.h>

/// Stops the process with a message naming `function` when `packed` is not 64-byte aligned: the
/// kernels read the packed blocks with aligned vector loads.
static void require_alignment(const char *function, const void *packed) {
    if ((uintptr_t)packed & 63) {
        fprintf(stderr, "%s: the packed buffer %p is not 64-byte aligned\n", function, packed);
        abort();
    }
}

/// Elements of op(B) (floats or packed words, 4 bytes each) in the family's layout.
static long packed_elements(int kernel, int precision, long N, long K) {
    if (N <= 0 || K <= 0) return 0;
    return precision == SG_PRECISION_BF16 ? sg_bf16_packed_b_words(kernel, N, K)
                                          : sg_float_packed_b_floats(kernel, N, K);
}

size_t sg_gemm_packed_b_bytes(int kernel, int precision, long N, long K) {
    kernel = sg_gemm_effective_kernel(kernel, precision);
    return SG_PACKED_B_DATA_OFFSET + (size_t)packed_elements(kernel, precision, N, K) * 4;
}

void sg_gemm_pack_b(int kernel, int precision, int transB, long N, long K, const float *B,
                    long ldb, void *packed) {
    require_alignment("sg_gemm_pack_b", packed);
    kernel = sg_gemm_effective_kernel(kernel, precision);
    sg_packed_b_header *h = packed;
    *h = (sg_packed_b_header){.magic = SG_PACKED_B_MAGIC, .kernel = kernel,
                              .precision = precision, .transB = transB ? 1 : 0, .N = N, .K = K,
                              .B = B, .ldb = ldb};
    if (N <= 0 || K <= 0) return;
    const sg_view b = {B, transB ? 1 : ldb, transB ? ldb : 1};
    char *data = (char *)packed + SG_PACKED_B_DATA_OFFSET;
    if (precision == SG_PRECISION_BF16)
        sg_bf16_pack_b_all(kernel, b, N, K, (uint32_t *)data);
    else
        sg_float_pack_b_all(kernel, b, N, K, (float *)data);
}

/// The product of sg_sgemm_packed_b (and, with `a_in_place`, of sg_sgemm_packed_b_unpacked_a):
/// `function` names the entry point in a message about a bad buffer.
static void packed_b_product(const char *function, sg_gemm_context context, int transA, long M,
                             float alpha, const float *A, long lda, const void *packed,
                             float beta, float *C, long ldc, int a_in_place) {
    require_alignment(function, packed);
    const sg_packed_b_header *h = packed;
    if (h->magic != SG_PACKED_B_MAGIC || h->precision != context.precision) {
        fprintf(stderr, "%s: %s\n", function,
                h->magic != SG_PACKED_B_MAGIC ? "the buffer holds no packed op(B)"
                                              : "the context's precision is not the packing's");
        abort();
    }
    const void *data = (const char *)packed + SG_PACKED_B_DATA_OFFSET;
    sg_gemm_product(h->kernel, context, transA, h->transB, M, h->N, h->K, alpha, A, lda, h->B,
                    h->ldb, beta, C, ldc, data, a_in_place);
}

void sg_sgemm_packed_b(sg_gemm_context context, int transA, long M, float alpha, const float *A,
                       long lda, const void *packed, float beta, float *C, long ldc) {
    packed_b_product("sg_sgemm_packed_b", context, transA, M, alpha, A, lda, packed, beta, C,
                     ldc, 0);
}

void sg_sgemm_packed_b_unpacked_a(sg_gemm_context context, long M, float alpha, const float *A,
                                  long lda, const void *packed, float beta, float *C, long ldc) {
    packed_b_product("sg_sgemm_packed_b_unpacked_a", context, 0, M, alpha, A, lda, packed, beta,
                     C, ldc, 1);
}
