#!/usr/bin/env bash
# bf16 against Float32 end to end: `swiftgrad run Configs/scaling-mlp.json --workers 2 --epochs 8`
# with `--precision float32` and `--precision bf16` alternating for ROUNDS rounds (so a
# neighbour's load falls on both alike), each run's report rates and `timing` printed, then the
# medians of `samples_per_second` (the training steps) and `end_to_end_samples_per_second` (the
# whole run: data generation, checkpoints and files included), bf16 / float32 as the ratio of
# the medians and as the median of each round's own ratio, and the parameter digests. Last, the
# bits: one run of each precision with --workers 1, 2 and 3 must give one digest per precision.
#   benchmarks/scripts/bf16-end-to-end.sh [ROUNDS] [OUTPUT_DIR]   (default 5, /tmp/swiftgrad-bf16-e2e)
# Environment: WORKERS (default 2), EPOCHS (default 8), CONFIG (default Configs/scaling-mlp.json).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-5}"
out="${2:-/tmp/swiftgrad-bf16-e2e}"
workers="${WORKERS:-2}"
epochs="${EPOCHS:-8}"
config="${CONFIG:-Configs/scaling-mlp.json}"
case "$rounds" in ''|*[!0-9]*|0) echo "bf16-end-to-end.sh: ROUNDS must be a positive integer, got '$rounds'" >&2; exit 2 ;; esac
swift build -c release --product swiftgrad >/dev/null
binary=.build/release/swiftgrad
rm -rf "$out"
mkdir -p "$out"
run() {  # PRECISION WORKERS NAME
    "$binary" run "$config" --workers "$2" --epochs "$epochs" --precision "$1" \
        --run-dir "$out/$3" --report "$out/$3.json" --quiet >/dev/null
}
echo "uptime before: $(uptime)"
for round in $(seq 1 "$rounds"); do
    for precision in float32 bf16; do
        run "$precision" "$workers" "round$round-$precision"
    done
done
for count in 1 2 3; do
    for precision in float32 bf16; do
        run "$precision" "$count" "bits-workers$count-$precision"
    done
done
echo "uptime after:  $(uptime)"
python3 - "$out" "$rounds" "$config" "$workers" "$epochs" <<'PY'
import json, statistics, sys
out, rounds, config, workers, epochs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
precisions = ("float32", "bf16")
def n(x):
    return f"{x:,.0f}".replace(",", " ")
def load(name):
    return json.load(open(f"{out}/{name}.json"))
reports = {(r, p): load(f"round{r}-{p}") for r in range(1, rounds + 1) for p in precisions}
kernels = ", ".join(f"{p} {reports[(1, p)].get('matrix_kernel', 'not reported')}" for p in precisions)
print(f"\n{config}, --workers {workers} --epochs {epochs}; matrix kernels: {kernels}; seconds from the report's timing\n")
print("| round | precision | samples/s | end to end | total s | training | data | setup | evaluation | logging | other | not training | digest |")
print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for r in range(1, rounds + 1):
    for p in precisions:
        report = reports[(r, p)]
        t = report["timing"]
        print(f"| {r} | {p} | {n(report['samples_per_second'])} | {n(report['end_to_end_samples_per_second'])} | "
              f"{t['total_seconds']:.3f} | {t['training_seconds']:.3f} | {t['data_loading_seconds'] + t['shuffle_seconds']:.3f} | "
              f"{t['setup_seconds']:.3f} | "
              f"{t['evaluation_seconds']:.3f} | {t['logging_seconds']:.3f} | {t['other_seconds']:.3f} | "
              f"{100 * t['non_training_share']:.1f} % | {report['parameter_digest']} |")
print()
for key, label in (("samples_per_second", "samples/s (training)"), ("end_to_end_samples_per_second", "end to end samples/s")):
    medians = {p: statistics.median(reports[(r, p)][key] for r in range(1, rounds + 1)) for p in precisions}
    per_round = statistics.median(reports[(r, "bf16")][key] / reports[(r, "float32")][key] for r in range(1, rounds + 1))
    print(f"{label}: float32 median {n(medians['float32'])}, bf16 median {n(medians['bf16'])}; "
          f"bf16 / float32 {medians['bf16'] / medians['float32']:.2f}x (median of the rounds' ratios {per_round:.2f}x)")
for key in ("training_seconds", "data_loading_seconds", "setup_seconds", "other_seconds", "logging_seconds"):
    medians = {p: statistics.median(reports[(r, p)]["timing"][key] for r in range(1, rounds + 1)) for p in precisions}
    print(f"median {key}: float32 {medians['float32']:.3f}, bf16 {medians['bf16']:.3f}")
status = 0
for p in precisions:
    digests = {reports[(r, p)]["parameter_digest"] for r in range(1, rounds + 1)}
    by_workers = {w: load(f"bits-workers{w}-{p}")["parameter_digest"] for w in (1, 2, 3)}
    same = len(digests | set(by_workers.values())) == 1
    print(f"{p} parameter digest: " + ", ".join(f"--workers {w} {d}" for w, d in by_workers.items())
          + f"; rounds {', '.join(sorted(digests))}: {'the same bits' if same else 'DIFFERENT BITS'}")
    if not same:
        status = 1
sys.exit(status)
PY
