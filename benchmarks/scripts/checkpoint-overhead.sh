#!/usr/bin/env bash
# The cost of checkpointing every epoch on Configs/digits-mlp.json: alternating runs of the
# release binary with the config's default checkpoint policy (every epoch) and with periodic
# checkpoints off (`"every_epochs": 0`; the final model is written either way), the wall time of
# each whole process, and the medians' ratio.
#   benchmarks/scripts/checkpoint-overhead.sh [RUNS]   (default 15 pairs)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-15}"
swift build -c release --product swiftgrad >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 benchmarks/scripts/digits-variants.py "$PWD" "$work"
for ((i = 0; i < runs; i++)); do
    for variant in every-epoch final-only; do
        start=$(date +%s.%N)
        .build/release/swiftgrad run "$work/$variant.json" --run-dir "$work/run-$variant" --quiet >/dev/null
        end=$(date +%s.%N)
        echo "$variant $(echo "$end - $start" | bc)" >> "$work/times"
    done
done
python3 - "$work/times" <<'PY'
import statistics, sys
times = {}
for line in open(sys.argv[1]):
    name, seconds = line.split()
    times.setdefault(name, []).append(float(seconds))
every, final = statistics.median(times["every-epoch"]), statistics.median(times["final-only"])
print(f"runs: {len(times['every-epoch'])} pairs, alternating")
print(f"checkpoint every epoch: median {every * 1000:.1f} ms (min {min(times['every-epoch']) * 1000:.1f})")
print(f"final model only:       median {final * 1000:.1f} ms (min {min(times['final-only']) * 1000:.1f})")
print(f"overhead of per-epoch checkpoints: {100 * (every / final - 1):+.1f} % (medians), {100 * (min(times['every-epoch']) / min(times['final-only']) - 1):+.1f} % (minima)")
PY
