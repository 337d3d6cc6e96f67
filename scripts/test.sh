#!/usr/bin/env bash
# Installs what is missing (test tools included), builds, and runs every test:
# GoogleTest unit tests and the black-box API suite against the real server, through ctest,
# then a short libFuzzer pass.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
bash scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 900
# A short fuzzing pass over every libFuzzer target (a clang build of its own).
bash scripts/fuzz.sh 20
