#!/usr/bin/env bash
# Prints the Debian packages that provide the shared libraries a binary loads (one line,
# space-separated), so a runtime image installs exactly those and no build tools.
set -euo pipefail
bin=${1:?usage: runtime-packages.sh BINARY}
ldd "$bin" | awk '/=> \//{print $3}' | while read -r lib; do
  dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")"
done | cut -d: -f1 | sort -u | tr '\n' ' '
echo
