#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for the given seconds (default 30) on its
# seed corpus in a scratch copy, so the committed seeds stay small. Exits non-zero on any finding.
#   scripts/fuzz.sh [SECONDS] [TARGET...]       e.g. scripts/fuzz.sh 20   (CI), scripts/fuzz.sh 600 settings
# FUZZ_RUNS=N stops each target after N executions (a campaign: FUZZ_RUNS=10000000), FUZZ_KEEP=DIR
# keeps the grown corpus, the log and any artifact in DIR/<target>/ instead of a scratch folder.
#
# Memory is part of the contract: every target runs with -malloc_limit_mb=128 (no single
# allocation above the PDF jail's whole budget) and -rss_limit_mb just above the sanitizer build's
# own baseline, so a blow-up stops the run as an OOM finding. Triage such a stop; never raise the
# limit to hide it. The baseline is measured, not guessed: with ASan's quarantine capped at 32 MiB
# (ASAN_OPTIONS below; the default 256 MiB quarantine alone would dwarf any limit), peak RSS of
# the clang 14 ASan+UBSan builds (campaign of 2026-12-03, bench/RESULTS.md "Fuzzing"):
#   at start on the seeds: 31-43 MiB for every target;
#   settled after 10^6+ runs: rmap_packets 86, settings ~106, json_body ~127, form_parser 131,
#   audit_verify 133 MiB; pdf_read keeps creeping (~1 MiB per 3000 runs: ASan allocator and
#   shadow, not live heap, which stays at 27 MiB), so it stops on the limit after ~10^5 runs.
# The table holds those baselines; the limit is baseline + 64 MiB, the PDF jail's per-job memory
# (TATOU_PDF_JOB_MEMORY_MB): an input that makes a parser hold more than a PDF job may is a
# finding. pdf_read's 120 is its baseline over a CI-length run; every stop of a long pdf_read run
# so far was that creep (each stopping input alone peaks at 41 MiB, fuzz/regressions/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
shift || true
cmake -S fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j2
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=32:allocator_release_to_os_interval_ms=500:detect_leaks=1}

# Baseline RSS per target (MiB, see above); the limit is baseline + 64.
declare -A baseline=([rmap_packets]=90 [form_parser]=130 [json_body]=130 [settings]=110
                     [audit_verify]=135 [rmap_payload]=110 [pdf_read]=120 [jail_wire]=100)

if [[ -n ${FUZZ_KEEP:-} ]]; then work=$FUZZ_KEEP; mkdir -p "$work"; else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    for bin in build-fuzz/*_fuzz; do targets+=("$(basename "$bin" _fuzz)"); done
fi
# Two targets at a time (FUZZ_JOBS): the CI pass stays short on two cores.
run_one() {
    local name=$1 bin=build-fuzz/${1}_fuzz dir=$work/$1
    mkdir -p "$dir/corpus"
    if [[ -d fuzz/corpus/$name ]]; then cp -n fuzz/corpus/"$name"/* "$dir/corpus"/ 2>/dev/null || true; fi
    local rss=$(( ${baseline[$name]:-120} + 64 )) runs=()
    [[ -n ${FUZZ_RUNS:-} ]] && runs=(-runs="$FUZZ_RUNS")
    echo "== $name: ${secs}s ${FUZZ_RUNS:+(at most $FUZZ_RUNS runs) }-malloc_limit_mb=128 -rss_limit_mb=$rss" >"$dir/summary"
    "$bin" -max_total_time="$secs" "${runs[@]}" -malloc_limit_mb=128 -rss_limit_mb="$rss" -timeout=10 \
        -print_final_stats=1 -close_fd_mask=2 -artifact_prefix="$dir/" "$dir/corpus" >"$dir/log" 2>&1 || true
    grep -E "^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|^#[0-9]+[[:space:]]+DONE|ERROR|SUMMARY" \
        "$dir/log" >>"$dir/summary" || true
}
jobs_max=${FUZZ_JOBS:-2}
for name in "${targets[@]}"; do
    while [[ $(jobs -rp | wc -l) -ge $jobs_max ]]; do wait -n || true; done
    run_one "$name" &
done
wait
found=0
for name in "${targets[@]}"; do
    dir=$work/$name
    cat "$dir/summary"
    if ls "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* >/dev/null 2>&1; then
        echo "fuzz finding in $name:"; ls "$dir"; tail -n 40 "$dir/log"; found=1
    fi
done
exit $found
