#!/usr/bin/env bash
# Configures and builds everything into ./build (the operating contract's CMake invocation).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build
