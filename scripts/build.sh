#!/usr/bin/env bash
# Configures and builds everything into ./build (the operating contract's CMake invocation).
# Uses ccache when the machine has it (a developer's rebuilds); CI builds without.
set -euo pipefail
cd "$(dirname "$0")/.."
launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}"
cmake --build build
