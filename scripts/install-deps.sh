#!/usr/bin/env bash
# Installs every Debian package the build, the server and the test suite need.
# Idempotent: packages already present are skipped by apt-get.
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build pkg-config git
  librestinio-dev libasio-dev libhttp-parser-dev libfmt-dev
  libqpdf-dev
  libsoci-dev libboost-dev libsqlite3-dev sqlite3
  libsodium-dev
  librnp-dev
  nlohmann-json3-dev libspdlog-dev libcli11-dev
  zlib1g-dev
)
TEST_PKGS=(
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  python3 python3-requests python3-pgpy python3-jsonschema qpdf wrk
  ghostscript mupdf-tools poppler-utils libimage-exiftool-perl
  clang libclang-rt-14-dev
  prometheus prometheus-alertmanager python3-yaml
)

want=("${BUILD_PKGS[@]}")
if [[ "${1:-}" == "--test" ]]; then want+=("${TEST_PKGS[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
