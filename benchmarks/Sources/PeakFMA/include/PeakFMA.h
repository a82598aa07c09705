// The machine's peak single-precision FMA rate, measured: the ceiling a GEMM's or a trainer's
// FLOP rate is compared with (benchmarks only; the library never links it).

#ifndef SWIFTGRAD_PEAK_FMA_H
#define SWIFTGRAD_PEAK_FMA_H

/// Which instructions a measurement used.
enum {
    SG_PEAK_FMA_NONE = 0,    ///< neither AVX-512F nor AVX2 with FMA: nothing measured
    SG_PEAK_FMA_AVX2 = 1,    ///< 256-bit vfmadd231ps
    SG_PEAK_FMA_AVX512 = 2,  ///< 512-bit vfmadd231ps
};

/// The instructions `sg_peak_fma_gflops` uses on this CPU: AVX-512F when it has it, else AVX2
/// with FMA, else none.
int sg_peak_fma_isa(void);

/// GFLOP/s of `threads` threads each running `iterations` rounds of 12 independent 512-bit
/// `vdpbf16ps` (AVX512-BF16: each of the 16 Float32 lanes adds the products of two bf16 pairs,
/// counted as 4 FLOP, two multiplies and two adds, so one instruction is 64 FLOP, twice a
/// 512-bit FMA's 32), timed as `sg_peak_fma_gflops` times its FMAs. Returns 0 when the CPU lacks
/// AVX512-BF16.
double sg_peak_bf16_gflops(int threads, long iterations);

/// GFLOP/s of `threads` threads (one per core, pinned to nothing) each running `iterations`
/// rounds of 12 independent fused multiply-adds on full vector registers (12 accumulators hide
/// the 4-cycle FMA latency on both ports). An FMA counts as 2 FLOP. The rate is all threads'
/// FLOP over the wall time from the start of the first thread to the end of the last. Returns 0
/// when the CPU has no FMA instructions this file knows.
double sg_peak_fma_gflops(int threads, long iterations);

#endif
