#!/usr/bin/env bash
# Installs every Debian package the build, the server and the test suite need.
# Idempotent: packages already present are skipped by apt-get.
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build pkg-config git
  librestinio-dev libasio-dev libhttp-parser-dev libfmt-dev
  libqpdf-dev
  libsoci-dev libboost-dev libsqlite3-dev sqlite3 libmariadb-dev libpq-dev
  libsodium-dev
  librnp-dev
  libseccomp-dev
  libpoppler-cpp-dev
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev libopencv-features2d-dev
  libopencv-calib3d-dev libopencv-video-dev
  nlohmann-json3-dev libspdlog-dev libcli11-dev
  zlib1g-dev
)
TEST_PKGS=(
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  python3 python3-requests python3-pgpy python3-jsonschema qpdf wrk
  ghostscript mupdf-tools poppler-utils libimage-exiftool-perl imagemagick
  clang libclang-rt-14-dev
  prometheus prometheus-alertmanager python3-yaml
  mariadb-server mariadb-client postgresql haproxy docker-compose systemd
  python3-cryptography rsyslog rsyslog-relp
  chromium nodejs
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
  # The database packages would start their system-wide servers on install; the tests start
  # their own throwaway ones. A policy-rc.d that refuses (exit 101) keeps the packages quiet.
  added_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    added_policy=1
  fi
  trap 'if [[ -n "$added_policy" ]]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi' EXIT
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The browser tests drive Debian's chromium with playwright-core from the npm registry (pinned
# in tests/web/package-lock.json; it downloads no browser of its own). npm is wanted as a command:
# a Node.js that bundles its own npm (nodesource) conflicts with Debian's npm package.
if [[ "${1:-}" == "--test" ]]; then
  if ! command -v npm >/dev/null 2>&1; then
    SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm
  fi
  (cd "$(dirname "$0")/../tests/web" && npm ci --no-audit --no-fund --ignore-scripts)
fi
