#!/usr/bin/env python3
"""Server memory while clients send upload-sized bodies to a JSON route (issue 20 class 4).

Usage: /usr/bin/python3 bench/body_flood.py BIN [BIN ...] [--connections N] [--mib M]

For each binary, on a fresh server: N connections at once each announce and send M MiB to
/api/login (the default per-source connection cap is 64, so N up to 64 come from one address).
Reports the server's peak RSS (VmHWM) over idle, how many bytes the clients managed to send,
the answers they got, and a login made right after. Run the binaries in one go to compare.
"""

import argparse
import os
import socket
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))

import harness as h  # noqa: E402
import proc_memory  # noqa: E402


def attack(port, mib, results, i):
    sent, answer = 0, b""
    body = b" " * (1 << 20)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
            s.sendall(b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: " + str(mib << 20).encode() + b"\r\n\r\n")
            for _ in range(mib):
                s.sendall(body)
                sent += len(body)
            answer = s.recv(64)
    except OSError:
        try:
            answer = answer or s.recv(64)
        except OSError:
            pass
    results[i] = (sent, answer.split(b"\r\n", 1)[0].decode(errors="replace") or "closed")


def run(binary, connections, mib):
    h.TATOU_BIN = binary
    srv = h.Server()
    try:
        time.sleep(0.5)
        idle = proc_memory.peak_rss_kib(srv.proc.pid)
        results = [None] * connections
        threads = [threading.Thread(target=attack, args=(srv.port, mib, results, i)) for i in range(connections)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - started
        peak = proc_memory.peak_rss_kib(srv.proc.pid)
        email, password, _ = h.new_user(srv)
        login = h.login(srv, email, password).status_code
        answers = {}
        for _, a in results:
            answers[a] = answers.get(a, 0) + 1
        sent = sum(s for s, _ in results) / (1 << 20)
        print(f"{binary}\n  {connections} x {mib} MiB to /api/login in {wall:.1f} s: peak RSS +{(peak - idle) / 1024:.0f} MiB "
              f"over idle {idle / 1024:.0f} MiB; clients sent {sent:.0f} MiB; answers {answers}; login after: {login}",
              flush=True)
    finally:
        srv.cleanup()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binaries", nargs="+")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--mib", type=int, default=16)
    a = p.parse_args()
    for b in a.binaries:
        run(b, a.connections, a.mib)


if __name__ == "__main__":
    main()
