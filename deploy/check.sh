#!/usr/bin/env bash
# Checks the deployment files as far as this machine can without a container engine or a
# running systemd: the compose file parses (Debian's docker-compose), the unit passes
# `systemd-analyze verify`, its `systemd-analyze security` exposure stays at or below the
# recorded threshold, the Dockerfile builds with the README's own scripts, and the deployment
# defaults hold (deploy/check_defaults.py: trusted proxy, loopback-only admin listener, no `.env`
# from the data volume, private files, no-store JSON; its self-test plants each regression).
# Usage: deploy/check.sh /path/to/built/tatou
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tatou=${1:?usage: check.sh /path/to/tatou}
# The exposure score recorded in docs/deployment.md; a change of the unit must not raise it.
max_exposure=${TATOU_MAX_EXPOSURE:-2.0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== docker-compose config"
MARIADB_PASSWORD=check MARIADB_ROOT_PASSWORD=check \
  docker-compose -f "$here/docker-compose.yml" --profile monitoring config -q
# A missing password is refused rather than defaulted.
if MARIADB_ROOT_PASSWORD=x docker-compose -f "$here/docker-compose.yml" config -q 2>/dev/null; then
  echo "compose accepted a missing MARIADB_PASSWORD"; exit 1
fi

echo "== deployment defaults (trusted proxy, loopback admin listener, .env, file modes, no-store)"
MARIADB_PASSWORD=check MARIADB_ROOT_PASSWORD=check \
  docker-compose -f "$here/docker-compose.yml" --profile monitoring config > "$work/compose.yml"
python3 "$here/check_defaults.py" --compose-config "$work/compose.yml" --deploy-dir "$here" --self-test
python3 "$here/check_defaults.py" --compose-config "$work/compose.yml" --deploy-dir "$here" --tatou "$tatou"

echo "== systemd-analyze verify"
# verify needs the ExecStart binary to exist: check a copy that points at the built one.
sed "s|^ExecStart=/usr/local/bin/tatou|ExecStart=$tatou|" "$here/tatou.service" > "$work/tatou.service"
out=$(systemd-analyze verify "$work/tatou.service" 2>&1 || true)
# Only the unit's own problems count (not the host's other units, absent in a container).
if grep -F "tatou.service" <<<"$out" | grep -v "Documentation=" ; then
  echo "systemd-analyze verify reported problems"; exit 1
fi

echo "== systemd-analyze security"
score=$(systemd-analyze security --offline=true "$work/tatou.service" 2>/dev/null \
  | sed -n 's/.*Overall exposure level for tatou.service: \([0-9.]*\).*/\1/p')
[[ -n "$score" ]] || { echo "no exposure score"; exit 1; }
echo "exposure: $score (threshold $max_exposure)"
awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }' || { echo "exposure above $max_exposure"; exit 1; }

echo "== Dockerfile uses the README's scripts"
grep -q "bash scripts/install-deps.sh" "$here/Dockerfile"
grep -q "bash scripts/build.sh" "$here/Dockerfile"
grep -q "^USER tatou" "$here/Dockerfile"
grep -q "^HEALTHCHECK" "$here/Dockerfile"
echo "deployment files OK"
