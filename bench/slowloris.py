#!/usr/bin/env python3
"""Slowloris and slow-body against the public and the admin listener, and what a legitimate
client sees meanwhile (issue 20, class 5).

Usage: TATOU_BIN=$PWD/build/src/tatou nice /usr/bin/python3 bench/slowloris.py [seconds per scenario, default 40] [name filter]

One server (SQLite), every setting at its default. Each scenario holds N attack connections that
send one byte per second each: headers that never end (slowloris) or complete headers announcing
a body that then trickles (slow-body, Content-Length under the route's limit). A connection the
server closes is reopened at once, as an attacker would. Meanwhile a probe from its own address
runs every 200 ms: on the public listener GET /healthz plus an authenticated list-documents, on
the admin listener GET /metrics; a probe fails on anything but 200 or no answer within 5 s.
Printed per scenario: probe p50/p99/max and failures, against the idle run of the same listener,
and how many attack connections were opened, closed by the server, and held at the end.
"""

import errno
import os
import selectors
import socket
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "soak"))
import mix  # noqa: E402

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 40
ONLY = sys.argv[2] if len(sys.argv) > 2 else ""  # run only the scenarios whose name contains this
PROBE_EVERY = 0.2
PROBE_TIMEOUT = 5


class Attack(threading.Thread):
    """`count` connections spread over `sources` loopback addresses, one byte per second each."""

    def __init__(self, port, sources, per_source, head, drip):
        super().__init__(daemon=True)
        self.port, self.head, self.drip = port, head, drip
        self.slots = [f"127.0.1.{i + 1}" for i in range(sources) for _ in range(per_source)]
        self.stop = threading.Event()
        self.opened = self.closed_by_server = self.refused = 0
        self.held = 0

    def open(self, source):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((source, 0))
        try:
            s.connect(("127.0.0.1", self.port))
        except BlockingIOError:
            pass
        self.opened += 1
        return {"sock": s, "source": source, "sent_head": False, "next": time.monotonic() + 0.05}

    def run(self):
        sel = selectors.DefaultSelector()
        conns = []
        for i, source in enumerate(self.slots):
            c = self.open(source)
            conns.append(c)
            sel.register(c["sock"], selectors.EVENT_READ, c)
            if i % 50 == 49:
                time.sleep(0.05)  # ramp: do not trip SYN backlog limits all at once
        while not self.stop.is_set():
            now = time.monotonic()
            for key, _ in sel.select(timeout=0.05):
                c = key.data
                try:
                    data = c["sock"].recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:
                    self.closed_by_server += 1
                    self.replace(sel, conns, c)
            for c in list(conns):
                if c["next"] > now:
                    continue
                try:
                    if not c["sent_head"]:
                        c["sock"].send(self.head)
                        c["sent_head"] = True
                    else:
                        c["sock"].send(self.drip)
                    c["next"] = now + 1.0
                except (BlockingIOError, InterruptedError):
                    c["next"] = now + 0.2
                except OSError as e:
                    if e.errno in (errno.ENOTCONN,):
                        c["next"] = now + 0.2  # connect still under way
                        continue
                    self.refused += 1
                    self.replace(sel, conns, c)
        self.held = len(conns)
        for c in conns:
            sel.unregister(c["sock"])
            c["sock"].close()

    def replace(self, sel, conns, c):
        sel.unregister(c["sock"])
        c["sock"].close()
        conns.remove(c)
        n = self.open(c["source"])
        conns.append(n)
        sel.register(n["sock"], selectors.EVENT_READ, n)


def probe(port, requests, seconds):
    """Runs `requests` (list of (method, path, token)) every PROBE_EVERY for `seconds` on new
    connections; returns (latencies of successful rounds, failures)."""
    lats, failures = [], []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        c = mix.Client(port, "127.0.0.2", timeout=PROBE_TIMEOUT)
        ok = True
        for method, path, token in requests:
            st, data, _ = c.json(method, path, token=token)
            if st != 200:
                ok = False
                failures.append((path, st, data[:80]))
                break
        c.close()
        took = time.monotonic() - started
        if ok:
            lats.append(took)
        time.sleep(max(0, PROBE_EVERY - took))
    return lats, failures


def fmt(lats):
    if not lats:
        return "-", "-", "-"
    s = sorted(lats)
    return (f"{statistics.median(s) * 1000:.1f}", f"{mix.pct(s, 99) * 1000:.1f}", f"{s[-1] * 1000:.1f}")


def main():
    mix.h.BACKEND = "sqlite"
    srv = mix.h.Server(env={"TATOU_LOG_LEVEL": "warn"})
    try:
        email, _, token = mix.h.new_user(srv)
        public = [("GET", "/healthz", None), ("GET", "/api/list-documents", token)]
        admin = [("GET", "/metrics", None)]
        login_head = (b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 2000\r\n\r\n{")
        admin_head = (b"POST /admin/lock-user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Authorization: Bearer x\r\nContent-Length: 4000\r\n\r\n{")
        loris = lambda path: f"GET {path} HTTP/1.1\r\nHost: x\r\n".encode()  # noqa: E731
        scenarios = [
            # name, listener, probe, (sources, per source, head, drip)
            ("public idle", srv.port, public, None),
            ("public slowloris, 1 source x 200", srv.port, public, (1, 200, loris("/healthz"), b"X")),
            ("public slowloris, 15 sources x 64 (960, under the total cap)", srv.port, public,
             (15, 64, loris("/healthz"), b"X")),
            ("public slowloris, 20 sources x 64 (1280)", srv.port, public, (20, 64, loris("/healthz"), b"X")),
            ("public slow-body (login), 20 sources x 64", srv.port, public, (20, 64, login_head, b" ")),
            ("admin idle", srv.admin_port, admin, None),
            ("admin slowloris, 1 source x 64", srv.admin_port, admin, (1, 64, loris("/metrics"), b"X")),
            ("admin slow-body (lock-user), 1 source x 64", srv.admin_port, admin, (1, 64, admin_head, b" ")),
        ]
        print(f"load before: {open('/proc/loadavg').read().strip()}")
        print(f"| Scenario ({SECONDS:.0f} s) | probe p50 ms | p99 ms | max ms | probes ok | failed | "
              "attack conns opened | closed by server | held at end |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, port, requests, attack in scenarios:
            if ONLY and ONLY not in name and "idle" not in name:
                continue
            a = None
            if attack:
                a = Attack(port, *attack)
                a.start()
                time.sleep(2)  # let the connections land
            lats, failures = probe(port, requests, SECONDS if attack else min(SECONDS, 15))
            if a:
                a.stop.set()
                a.join(30)
            p50, p99, mx = fmt(lats)
            conns = f"{a.opened} | {a.closed_by_server} | {a.held}" if a else "- | - | -"
            print(f"| {name} | {p50} | {p99} | {mx} | {len(lats)} | {len(failures)} | {conns} |", flush=True)
            if failures:
                print(f"    first failures: {failures[:3]}", flush=True)
            time.sleep(3)
            if not srv.alive():
                print("SERVER DIED")
                return 1
        print(f"load after: {open('/proc/loadavg').read().strip()}")
    finally:
        srv.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
