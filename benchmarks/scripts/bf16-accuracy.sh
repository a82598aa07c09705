#!/usr/bin/env bash
# Float32 against bf16 products on Configs/digits-mlp.json: both precisions trained with the
# release binary for each seed, each run's test accuracy and parameter digest printed, the mean
# difference at the end, and the two runs of the first seed drawn on one figure (loss and
# accuracy curves) by `swiftgrad plot`.
#   benchmarks/scripts/bf16-accuracy.sh [OUTPUT_DIR] [SEEDS]   (default /tmp/swiftgrad-bf16, "1 2 3 4 5")
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-/tmp/swiftgrad-bf16}"
seeds="${2:-1 2 3 4 5}"
swift build -c release --product swiftgrad >/dev/null
mkdir -p "$out"
for seed in $seeds; do
    for precision in float32 bf16; do
        .build/release/swiftgrad run Configs/digits-mlp.json --precision "$precision" --seed "$seed" \
            --run-dir "$out/seed$seed-$precision" --report "$out/seed$seed-$precision.json" --quiet >/dev/null
    done
done
python3 - "$out" $seeds <<'PY'
import json, sys
out, seeds = sys.argv[1], sys.argv[2:]
differences = []
print("| seed | test accuracy float32 | test accuracy bf16 | bf16 − float32 (points) | test loss float32 | test loss bf16 | training s float32 | training s bf16 |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for seed in seeds:
    runs = {p: json.load(open(f"{out}/seed{seed}-{p}.json")) for p in ("float32", "bf16")}
    single, mixed = runs["float32"]["test_accuracy"], runs["bf16"]["test_accuracy"]
    differences.append(100 * (mixed - single))
    seconds = {p: runs[p]["timing"]["training_seconds"] for p in runs}
    losses = {p: runs[p]["test_loss"] for p in runs}
    print(f"| {seed} | {100 * single:.2f} % | {100 * mixed:.2f} % | {differences[-1]:+.2f} | {losses['float32']:.4f} | {losses['bf16']:.4f} | {seconds['float32']:.2f} | {seconds['bf16']:.2f} |")
print(f"\nmean bf16 − float32: {sum(differences) / len(differences):+.2f} points over {len(seeds)} seeds")
PY
first="${seeds%% *}"
.build/release/swiftgrad plot "$out/seed$first-float32" "$out/seed$first-bf16" --output "$out/digits-float32-bf16.svg"
