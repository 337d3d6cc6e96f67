#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for the given seconds (default 30) on its
# seed corpus in a scratch copy, so the committed seeds stay small. Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
cmake -S fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for bin in build-fuzz/*_fuzz; do
    name=$(basename "$bin" _fuzz)
    mkdir -p "$work/$name"
    if [[ -d fuzz/corpus/$name ]]; then cp fuzz/corpus/"$name"/* "$work/$name"/; fi
    echo "== $name: ${secs}s"
    "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -close_fd_mask=2 \
        -artifact_prefix="$work/" "$work/$name" 2>&1 | grep -E "^stat::number_of_executed_units|^Done|ERROR|SUMMARY" || true
    if ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* >/dev/null 2>&1; then
        echo "fuzz finding in $name:"; ls "$work"; exit 1
    fi
done
