#!/usr/bin/env bash
# Measures two versions of SwiftGrad side by side: the working tree and an earlier commit, each
# built in release mode (the earlier one in a git worktree under .build-compare/), run in
# alternation so that both meet the same moments of a shared machine. For each round it runs
# op-overhead, lecture-bench, mlp-bench (SwiftGrad's own figures), `swiftgrad bench scaling` on
# Configs/scaling-mlp.json with 1 and 2 workers, and the digits config; the outputs are printed
# under a heading that names the version.
#   benchmarks/scripts/compare-builds.sh BEFORE_REV [ROUNDS]     (default 3 rounds)
set -euo pipefail
cd "$(dirname "$0")/../.."
before_rev="$1"
rounds="${2:-3}"
root=$PWD
before=$root/.build-compare/$(git rev-parse --short "$before_rev")

if [ ! -d "$before" ]; then
    git worktree add --detach "$before" "$before_rev" >/dev/null
fi
build() {  # build DIR: release builds of swiftgrad and the benchmark programs; prints where they are
    local dir=$1
    (cd "$dir" && swift build -c release >/dev/null)
    if [ -f "$dir/benchmarks/Package.swift" ]; then  # versions whose benchmarks were a package of their own
        (cd "$dir" && swift build -c release --package-path benchmarks >/dev/null)
        echo "$dir/.build/release $dir/benchmarks/.build/release"
    else
        echo "$dir/.build/release $dir/.build/release"
    fi
}
read -r before_cli before_bench <<<"$(build "$before")"
read -r after_cli after_bench <<<"$(build "$root")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run_version() {  # run_version NAME CLI_DIR BENCH_DIR
    local name=$1 cli=$2 bench=$3
    echo "### $name"
    "$bench/op-overhead" | grep '^|'
    "$bench/lecture-bench" | grep '^|' | cut -d'|' -f1-4
    "$bench/mlp-bench" 2>/dev/null | grep -iE '^\| *[12] *\||samples' | head -n 4 || true
    (cd "$work" && "$cli/swiftgrad" bench scaling "$root/Configs/scaling-mlp.json" --workers 1,2 --repeats 3 \
        --csv "$work/s.csv" --plot "$work/s.svg" | grep -E '^ +[12] ')
    (cd "$work" && "$cli/swiftgrad" run "$root/Configs/digits-mlp.json" --quiet 2>&1 | grep -E 'trained|digest')
}
for ((round = 1; round <= rounds; round++)); do
    echo "## round $round"
    run_version "before ($before_rev)" "$before_cli" "$before_bench"
    run_version "after (working tree)" "$after_cli" "$after_bench"
done
