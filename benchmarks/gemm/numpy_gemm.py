"""NumPy's float32 matmul on the shapes gemm-bench measures, for a side-by-side ratio.

Usage: python3 numpy_gemm.py SECONDS_PER_SHAPE M,N,K,TA,TB [M,N,K,TA,TB ...]

Prints one header line `# blas: ...` (from threadpoolctl when installed) and then, per shape,
`M N K TA TB GFLOPS` with the best of several timed runs. TA / TB = 1 multiplies by a
transposed view, as SwiftGrad's backward pass does. Thread count comes from the environment
(OPENBLAS_NUM_THREADS), set by the caller.
"""
import sys
import time

import numpy as np


def describe_blas():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (pip install threadpoolctl to see which kernel runs)"
    parts = []
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            parts.append(f"{pool.get('internal_api')} {pool.get('version')} "
                         f"kernel={pool.get('architecture')} threads={pool.get('num_threads')}")
    return "; ".join(parts) or "none found"


def measure(m, n, k, ta, tb, seconds):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
    x = a.T if ta else a
    y = b.T if tb else b
    out = np.empty((m, n), dtype=np.float32)
    np.matmul(x, y, out=out)  # warm up
    flops = 2.0 * m * n * k
    reps = max(1, int(2e7 / flops))
    best = float("inf")
    deadline = time.perf_counter() + seconds
    trials = 0
    while trials < 3 or (time.perf_counter() < deadline and trials < 200):
        t = time.perf_counter()
        for _ in range(reps):
            np.matmul(x, y, out=out)
        best = min(best, (time.perf_counter() - t) / reps)
        trials += 1
    return flops / best / 1e9


def main():
    seconds = float(sys.argv[1])
    print(f"# blas: {describe_blas()}", flush=True)
    for spec in sys.argv[2:]:
        m, n, k, ta, tb = (int(v) for v in spec.split(","))
        print(m, n, k, ta, tb, f"{measure(m, n, k, ta, tb, seconds):.2f}", flush=True)


if __name__ == "__main__":
    main()
