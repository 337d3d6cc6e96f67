#!/usr/bin/env python3
"""Authenticated list-documents and upload throughput on SQLite, MariaDB and PostgreSQL, and
one node against two nodes behind haproxy, in one run on this machine (wrk on loopback).

Usage: TATOU_BIN=$PWD/build/src/tatou python3 bench/db_throughput.py [seconds per scenario, default 8]

Prints a Markdown table. Database servers, nodes and haproxy are the test suite's own helpers
(tests/db): throwaway servers in temp dirs, as tuned there (MariaDB flushes its log once a
second, PostgreSQL runs with fsync off), so the database figures are upper bounds for the
server's durability settings of a real deployment; SQLite runs with synchronous=FULL.
"""

import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "db"))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))

import harness as h  # noqa: E402
import servers  # noqa: E402
from balancer import SOURCE_ADDRESS, Balancer  # noqa: E402
from cluster import Cluster  # noqa: E402

SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 8
UPLOAD_BYTES = 100 * 1024
NODE_ARGS = ["--log-level", "warn", "--login-max-failures", "1000000",
             "--login-max-failures-per-ip", "1000000"]


def wrk(url, connections, script):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{SECONDS}s", "--latency", "-s", script, url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return rps, p50, p99, int(non2xx.group(1)) if non2xx else 0, errors.group(1) if errors else ""


def scripts(workdir, token):
    pdf = h.pdf_of_size(UPLOAD_BYTES)
    body = (b"--tatoubench\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.pdf\"\r\n"
            b"Content-Type: application/pdf\r\n\r\n" + pdf + b"\r\n--tatoubench--\r\n")
    with open(os.path.join(workdir, "upload.body"), "wb") as f:
        f.write(body)
    auth = os.path.join(workdir, "auth.lua")
    with open(auth, "w") as f:
        f.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    upload = os.path.join(workdir, "upload.lua")
    with open(upload, "w") as f:
        f.write(f'local f = io.open("{workdir}/upload.body", "rb"); local body = f:read("*a"); f:close()\n'
                'wrk.method = "POST"\nwrk.body = body\n'
                'wrk.headers["Content-Type"] = "multipart/form-data; boundary=tatoubench"\n'
                f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    return auth, upload


def measure(label, base_url, node):
    """Seeds a user with 10 documents through `node`, then runs both scenarios on base_url."""
    _, _, token = h.new_user(node)
    for i in range(10):
        h.upload_ok(node, token, name=f"d{i}")
    with tempfile.TemporaryDirectory() as work:
        auth, upload = scripts(work, token)
        rows = []
        for scenario, conns, script, path in (("list-documents (10 docs)", 64, auth, "/api/list-documents"),
                                              (f"upload {UPLOAD_BYTES // 1024} KB PDF", 8, upload,
                                               "/api/upload-document")):
            rps, p50, p99, bad, errs = wrk(base_url + path, conns, script)
            rows.append(f"| {label} | {scenario} | {conns} | {rps:,.0f} | {p50} | {p99} | {bad} |"
                        + (f" socket errors: {errs}" if errs else ""))
            print(rows[-1], flush=True)
        return rows


def main():
    print("| Configuration | Scenario | Connections | req/s | p50 | p99 | non-2xx |")
    print("|---|---|---|---|---|---|---|", flush=True)
    node = h.Server(extra_args=NODE_ARGS)
    try:
        measure("SQLite, 1 node", node.base, node)
    finally:
        node.cleanup()
    for kind, name in (("mariadb", "MariaDB"), ("postgresql", "PostgreSQL")):
        with servers.start(kind) as db:
            node = h.Server(extra_args=NODE_ARGS, env={"TATOU_DB": db.create_database()})
            try:
                measure(f"{name}, 1 node", node.base, node)
            finally:
                node.cleanup()
            for count in (1, 2):
                with Cluster(db.create_database(), nodes=count, extra_args=NODE_ARGS) as cluster:
                    lb = Balancer([n.port for n in cluster.nodes], balance_each_request=False)
                    try:
                        measure(f"{name}, {count} node{'s' if count > 1 else ''} behind haproxy",
                                f"http://127.0.0.1:{lb.port}", cluster.nodes[0])
                    finally:
                        lb.close()


if __name__ == "__main__":
    main()
