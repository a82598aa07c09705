#!/usr/bin/env bash
# What checkpointing every epoch and watching a run (progress, metrics, TensorBoard) cost on
# Configs/digits-mlp.json, in instructions of the whole `swiftgrad run` process counted by
# callgrind: unlike wall time on a shared machine, the counts repeat run after run.
#   benchmarks/scripts/watch-and-keep-cost.sh        (needs valgrind; about 3 minutes)
# Prints four counts and the two overheads. valgrind reads the release binary with its debug
# information stripped (it stops on the full DWARF of a Swift binary).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
swift build -c release --product swiftgrad >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
strip --strip-debug -o "$work/swiftgrad" .build/release/swiftgrad
python3 benchmarks/scripts/digits-variants.py "$PWD" "$work"
count() {   # NAME CONFIG FLAGS...: prints the instructions of one run
    local name=$1 config=$2; shift 2
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$work/swiftgrad" run "$work/$config" \
        --run-dir "$work/run-$name" "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
every=$(count every every-epoch.json --quiet)
final=$(count final final-only.json --quiet)
off=$(count off final-only.json --quiet --no-metrics)
on=$(count on final-only.json)
python3 - "$every" "$final" "$off" "$on" <<'PY'
import sys
every, final, off, on = map(int, sys.argv[1:])
print(f"checkpoint every epoch: {every / 1e6:9.1f} M instructions")
print(f"final model only:       {final / 1e6:9.1f} M   checkpoints cost {100 * (every / final - 1):+.1f} %")
print(f"logging off:            {off / 1e6:9.1f} M   (--quiet --no-metrics)")
print(f"logging on:             {on / 1e6:9.1f} M   logging costs {100 * (on / off - 1):+.1f} %")
PY
