#!/usr/bin/env bash
# Cost of shipping the audit log off the host (deploy/rsyslog/): the same server, alternately
# without and with the host rsyslog (imfile -> RELP) forwarding to a central rsyslog on another
# loopback port. Two routes: list-documents (writes no audit record) and get-document/ID (one
# sensitive_read record per request). Reports server CPU per request and, with shipping on, the
# host rsyslog's CPU per request; rounds alternate so the machine's noise hits both sides.
# Usage: bench/audit_ship_bench.sh [seconds per run, default 5] [rounds, default 2]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-5}
ROUNDS=${2:-2}
BIN=${TATOU_BIN:-$PWD/build/src/tatou}
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
WORK=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port); ADMIN_PORT=$(free_port); RELP=$(free_port)
BASE=http://127.0.0.1:$PORT
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; [[ -n "${KEEP:-}" ]] && echo "kept $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT
"$BIN" serve --listen 127.0.0.1:$PORT --admin-listen 127.0.0.1:$ADMIN_PORT --data-dir "$WORK/var" --log-level warn \
    --login-max-failures 1000000 --login-max-failures-per-ip 1000000 >"$WORK/server.log" 2>&1 &
PID=$!; PIDS+=("$PID")
for _ in $(seq 50); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done

curl -sf -H 'Content-Type: application/json' "$BASE/api/create-user" \
    -d '{"email":"bench@example.com","login":"bench","password":"BenchPassword1"}' >/dev/null
TOKEN=$(curl -sf -H 'Content-Type: application/json' "$BASE/api/login" \
    -d '{"email":"bench@example.com","password":"BenchPassword1"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
printf '%%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%%%EOF\n' >"$WORK/doc.pdf"
DOC=$(curl -sf -H "Authorization: Bearer $TOKEN" -F file=@"$WORK/doc.pdf" -F name=d "$BASE/api/upload-document" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$TOKEN" >"$WORK/auth.lua"

fill() {  # config file, then KEY=VALUE placeholders
    local text; text=$(cat "$1"); shift
    for kv in "$@"; do text=${text//@${kv%%=*}@/${kv#*=}}; done
    printf '%s\n' "$text"
}
start_rsyslog() {  # name, config text
    mkdir -p "$WORK/$1/spool"
    { echo "global(workDirectory=\"$WORK/$1/spool\" maxMessageSize=\"64k\")"; echo "$2"; } >"$WORK/$1/rsyslog.conf"
    "$RSYSLOGD" -n -f "$WORK/$1/rsyslog.conf" -i "$WORK/$1/pid" >"$WORK/$1/stderr" 2>&1 &
    PIDS+=("$!"); echo "$!"
}
mkdir -p "$WORK/central-out"
CENTRAL=$(start_rsyslog central "$(fill deploy/rsyslog/tatou-audit-central.conf CENTRAL_PORT=$RELP OUT_DIR=$WORK/central-out)")
HOST=""
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() {  # label, path
    local t0 h0 out t1 h1 n
    t0=$(ticks "$PID"); h0=${HOST:+$(ticks "$HOST")}
    out=$(wrk -t2 -c32 -d"${DUR}s" -s "$WORK/auth.lua" "$BASE$2")
    t1=$(ticks "$PID"); h1=${HOST:+$(ticks "$HOST")}
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    printf '%-34s %9s req/s   server CPU %6s us/req   host rsyslog CPU %6s us/req   non-2xx %s\n' "$1" \
        "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
        "$(awk -v t="$((t1 - t0))" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}')" \
        "$(if [[ -n "$HOST" ]]; then awk -v t="$((h1 - h0))" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}'; else echo -; fi)" \
        "$(awk '/Non-2xx/ {print $5}' <<<"$out" | tr -d '\n')"
}
for r in $(seq "$ROUNDS"); do
    run "list-documents, shipping off" /api/list-documents
    run "get-document, shipping off" "/api/get-document/$DOC"
    if [[ -z "$HOST" ]]; then
        HOST=$(start_rsyslog host "$(fill deploy/rsyslog/tatou-audit-ship.conf LOG_DIR=$WORK/var/log CENTRAL_HOST=127.0.0.1 CENTRAL_PORT=$RELP)")
        sleep 3  # catch up with the records so far
    fi
    run "list-documents, shipping on" /api/list-documents
    run "get-document, shipping on" "/api/get-document/$DOC"
    # Started in a command substitution, so not this shell's child: wait for its exit by hand
    # (a second instance started while the first saves its imfile offsets re-reads from 0).
    kill "$HOST"; while kill -0 "$HOST" 2>/dev/null; do sleep 0.1; done; HOST=""
done
# Drain: the host rsyslog once more until the central copy holds every record, then verify it
# as a shipped copy (restarts under load repeat and reorder lines; see docs/logging-guide.md).
HOST=$(start_rsyslog host "$(fill deploy/rsyslog/tatou-audit-ship.conf LOG_DIR=$WORK/var/log CENTRAL_HOST=127.0.0.1 CENTRAL_PORT=$RELP)")
kill "$PID"; while kill -0 "$PID" 2>/dev/null; do sleep 0.1; done
HOSTLINES=$(wc -l <"$WORK/var/log/audit.jsonl")
for _ in $(seq 120); do
    [[ "$(sort -u "$WORK"/central-out/*/audit.jsonl | wc -l)" -ge "$HOSTLINES" ]] && break; sleep 0.5
done
kill "$HOST"; while kill -0 "$HOST" 2>/dev/null; do sleep 0.1; done; HOST=""
echo "records on the host: $HOSTLINES; lines in the central copy: $(cat "$WORK"/central-out/*/audit.jsonl | wc -l)" \
     "($(sort -u "$WORK"/central-out/*/audit.jsonl | wc -l) distinct)"
"$BIN" audit verify "$WORK"/central-out/*/audit.jsonl --key "$WORK/var/log/audit-verify.key" --shipped \
    --expect-sequence "$HOSTLINES" 2>&1 | sed 's/^/central copy: /'
