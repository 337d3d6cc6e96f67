#!/usr/bin/env bash
# Whole-server throughput with Debian's wrk on loopback: healthz, authenticated
# list-documents, login, and upload of a 1 MB PDF. Prints one line per scenario.
# Usage: bench/http_bench.sh [seconds per scenario, default 10]
#        ONLY="healthz list-documents" bench/http_bench.sh 5   (a subset of the scenarios)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
BIN=${TATOU_BIN:-$PWD/build/src/tatou}
WORK=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
ADMIN_PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
"$BIN" serve --listen 127.0.0.1:$PORT --admin-listen 127.0.0.1:$ADMIN_PORT --data-dir "$WORK/var" --log-level warn \
    --login-max-failures 1000000 --login-max-failures-per-ip 1000000 >"$WORK/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done

curl -sf -H 'Content-Type: application/json' "$BASE/api/create-user" \
    -d '{"email":"bench@example.com","login":"bench","password":"BenchPassword1"}' >/dev/null
TOKEN=$(curl -sf -H 'Content-Type: application/json' "$BASE/api/login" \
    -d '{"email":"bench@example.com","password":"BenchPassword1"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
python3 - "$WORK/doc.pdf" <<'PY'
import sys
body = b"BT /F1 12 Tf 72 720 Td (bench) Tj ET\n" + b"%" + b"x" * (1024 * 1024 - 200) + b"\n"
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"]
out = b"%PDF-1.7\n"; offs = []
for i, o in enumerate(objs):
    offs.append(len(out)); out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
x = len(out); out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offs: out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
open(sys.argv[1], "wb").write(out)
PY
for i in $(seq 10); do curl -sf -H "Authorization: Bearer $TOKEN" -F file=@"$WORK/doc.pdf" -F name=d$i "$BASE/api/upload-document" >/dev/null; done

cat >"$WORK/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA
cat >"$WORK/login.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"bench@example.com","password":"BenchPassword1"}'
LUA
python3 - "$WORK/doc.pdf" "$WORK/upload.body" <<'PY'
import sys
pdf = open(sys.argv[1], "rb").read()
b = b"--tatoubench\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.pdf\"\r\nContent-Type: application/pdf\r\n\r\n" + pdf + b"\r\n--tatoubench--\r\n"
open(sys.argv[2], "wb").write(b)
PY
cat >"$WORK/upload.lua" <<LUA
local f = io.open("$WORK/upload.body", "rb"); local body = f:read("*a"); f:close()
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "multipart/form-data; boundary=tatoubench"
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA

# The server's own CPU time (user + system clock ticks) from /proc: CPU per request is far less
# sensitive to a shared machine's noise than requests per second.
server_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
run() {  # name, connections, script, path
    if [[ -n "${ONLY:-}" && " $ONLY " != *" $1 "* ]]; then return; fi
    local out t0 t1 n
    t0=$(server_ticks)
    out=$(wrk -t2 -c"$2" -d"${DUR}s" --latency ${3:+-s "$3"} "$BASE$4")
    t1=$(server_ticks)
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    printf '%-24s %10s req/s   p50 %8s   p99 %8s   server CPU %6s us/req   non-2xx %s\n' "$1" \
        "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
        "$(awk '$1=="50%" {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")" \
        "$(awk -v t="$((t1 - t0))" -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}')" \
        "$(awk '/Non-2xx/ {print $5}' <<<"$out" | tr -d '\n')"
}
run healthz 64 "" /healthz
run list-documents 64 "$WORK/auth.lua" /api/list-documents
run login 16 "$WORK/login.lua" /api/login
run upload-1MB 8 "$WORK/upload.lua" /api/upload-document
echo "server RSS after run: $(awk '/VmHWM/ {print $2, $3}' /proc/$PID/status) peak"
