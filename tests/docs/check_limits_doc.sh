#!/usr/bin/env bash
# docs/limits.md carries the limits table exactly as `tatou serve --print-limits` prints it.
set -euo pipefail
tatou=$1 doc=$2
expected=$(env -i PATH="$PATH" "$tatou" serve --print-limits)
actual=$(sed -n '/<!-- limits:begin -->/,/<!-- limits:end -->/p' "$doc" | sed '1d;$d')
if [[ "$expected" != "$actual" ]]; then
    echo "docs/limits.md is out of date with the limits table; regenerate the block with:" >&2
    echo "  env -i PATH=\$PATH $tatou serve --print-limits" >&2
    diff <(echo "$expected") <(echo "$actual") >&2 || true
    exit 1
fi
echo "docs/limits.md matches ($(echo "$expected" | wc -l) lines)"
