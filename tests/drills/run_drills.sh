#!/bin/bash
# Starts a fresh `tatou serve` on loopback with short detector thresholds, a honeytoken, RMAP
# set up (server key, one partner identity, the document) and a 3-second request timeout, runs `tatou drill run all` against it and checks the exit code and
# the JSON result (every scenario passed, requests under the cap).
set -u
BIN=${1:?usage: run_drills.sh path/to/tatou [rules dir]}
RULES=${2:-$(cd "$(dirname "$0")/../.." && pwd)/monitoring/rules}
DATA=$(mktemp -d /tmp/tatou-drill.XXXXXX)
pick_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(pick_port); APORT=$(pick_port)
DECOY=00000000000000000000000000decafe
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# RMAP: a server key, one known partner (so the server is configured) and the document.
mkdir -p "$DATA/rmap/clients" "$DATA/partner"
"$BIN" rmap keygen --bits 2048 --out "$DATA/rmap/server_priv.asc" >/dev/null || exit 1
"$BIN" rmap keygen --bits 2048 --out "$DATA/partner/partner_priv.asc" >/dev/null || exit 1
cp "$DATA/partner/server_pub.asc" "$DATA/rmap/clients/Partner.asc"
cp "$ROOT/fuzz/corpus/pdf_read/plain-1p.pdf" "$DATA/rmap/document.pdf"
export TATOU_DATA_DIR=$DATA TATOU_LISTEN=127.0.0.1:$PORT TATOU_ADMIN_LISTEN=127.0.0.1:$APORT \
  TATOU_HONEYTOKEN_LINKS=$DECOY TATOU_REQUEST_TIMEOUT=3 TATOU_MAX_UPLOAD_BYTES=1048576 \
  TATOU_ARGON2_OPS=1 TATOU_ARGON2_MEM_KIB=64 TATOU_LOCK_AFTER=8 TATOU_DETECT_404=20
"$BIN" serve >"$DATA/serve.out" 2>"$DATA/serve.err" &
PID=$!
cleanup() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -rf "$DATA"; }
trap cleanup EXIT
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && [ -s "$DATA/admin.token" ] && break
  sleep 0.1
done
OUT=$DATA/drills.json
"$BIN" drill run all --base "http://127.0.0.1:$PORT" --admin-url "http://127.0.0.1:$APORT" --data-dir "$DATA" \
  --json "$OUT" --rules-dir "$RULES" --honeytoken-link "$DECOY" --request-timeout 3 --max-upload-bytes 1048576 \
  --lock-after 8 --detect-404 20 --max-requests 600 --disruptive
RC=$?
python3 - "$OUT" <<'PY' || RC=1
import json, sys
r = json.load(open(sys.argv[1]))
names = {s["name"] for s in r["scenarios"]}
need = {"brute_force", "credential_stuffing", "idor", "upload_traversal", "upload_malformed", "forged_token",
        "revoked_token", "rmap_garbage", "rmap_unknown_identity", "scanner", "honeytoken", "oversized_body", "slow_client",
        "admin_token_guessing", "audit_integrity", "rotate_key"}
assert need <= names, f"missing scenarios: {need - names}"
for s in r["scenarios"]:
    assert s["assertions"], f"{s['name']}: no assertions"
    assert all(a["pass"] for a in s["assertions"]) and s["pass"], f"{s['name']} failed"
assert r["pass"] and r["total_requests"] < r["max_requests"] and r["not_run"] == [], r["not_run"]
print(f"drills JSON ok: {len(r['scenarios'])} scenarios, {sum(len(s['assertions']) for s in r['scenarios'])} assertions, {r['total_requests']} requests")
PY
# No secret of the drills in any log (opsec check 10): their accounts' password, their raw email
# addresses, the admin token.
RUN_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_id"])' "$OUT" 2>/dev/null)
LOGS=("$DATA"/log/*.jsonl "$DATA/serve.out" "$DATA/serve.err")
if [ -z "$RUN_ID" ]; then
  echo "FAIL: no run id in the drill result"; RC=1
elif grep -l -F -e "Drill-Passw0rd-$RUN_ID" -e "@drill.example" -e "$(cat "$DATA/admin.token")" "${LOGS[@]}"; then
  echo "FAIL: a drill secret is in the log files above"; RC=1
else
  grep -q -F "drill-$RUN_ID" "$DATA/log/audit.jsonl" || { echo "FAIL: the audit log has no drill request"; RC=1; }
  echo "no drill secret in ${#LOGS[@]} log files"
fi
[ $RC -ne 0 ] && tail -20 "$DATA/serve.err"
exit $RC
