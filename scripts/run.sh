#!/usr/bin/env bash
# Installs what is missing, builds, and serves on SQLite under ./var (127.0.0.1:5000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
exec ./build/src/tatou serve "$@"
