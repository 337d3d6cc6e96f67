#!/usr/bin/env python3
"""Admin listener and liveness latency while the database is locked (issue 20, class 3 figure).

Usage: TATOU_BIN=$PWD/build/src/tatou nice /usr/bin/python3 bench/admin_locked_db.py [sqlite|postgresql] [probes, default 500]

For each backend, on one server: `probes` rounds of admin GET /metrics, public GET /healthz
(liveness, no database) and GET /login.html (static), each on a fresh connection with a 5 s
timeout, first idle, then while the database is locked: on SQLite another process holds the
write lock (BEGIN IMMEDIATE on tatou.db), on PostgreSQL a second session holds LOCK TABLE tokens
IN ACCESS EXCLUSIVE MODE (tests/db/servers.py lock_table), so every authenticated request blocks.
During the lock, 8 clients keep sending authenticated requests (logout + list-documents), so the
query workers are all stuck on the lock, as in the incident. Prints p50/p99/max per URL and
scenario, and how many of the stuck requests were answered once the lock was released.
"""

import concurrent.futures
import http.client as httpclient
import os
import sqlite3
import statistics
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "soak"))
import mix  # noqa: E402

BACKEND = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
PROBES = int(sys.argv[2]) if len(sys.argv) > 2 else 500


def get(port, path):
    started = time.monotonic()
    conn = httpclient.HTTPConnection("127.0.0.1", port, timeout=5, source_address=("127.0.0.2", 0))
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        return r.status, time.monotonic() - started
    except OSError:
        return 0, time.monotonic() - started
    finally:
        conn.close()


def measure(srv):
    urls = {"admin /metrics": (srv.admin_port, "/metrics"), "public /healthz": (srv.port, "/healthz"),
            "public /login.html": (srv.port, "/login.html")}
    out = {}
    for _ in range(PROBES):
        for name, (port, path) in urls.items():
            st, secs = get(port, path)
            rec = out.setdefault(name, {"lat": [], "fail": 0})
            rec["lat"].append(secs)
            rec["fail"] += st != 200
    return out


def lock_db(srv, db):
    if db is None:
        lock = sqlite3.connect(os.path.join(srv.datadir, "tatou.db"), isolation_level=None, timeout=5)
        lock.execute("BEGIN IMMEDIATE")

        def release():
            lock.execute("ROLLBACK")
            lock.close()
        return release
    database = urllib.parse.urlsplit(srv.env["TATOU_DB"]).path.lstrip("/")
    return db.lock_table(database, "tokens").release


def main():
    db = None
    if BACKEND == "postgresql":
        import servers
        db = servers.start("postgresql")
    mix.h.BACKEND = BACKEND
    mix.h.DB = db
    srv = mix.h.Server(env={"TATOU_LOG_LEVEL": "warn"})
    try:
        tokens = [mix.h.new_user(srv)[2] for _ in range(8)]
        readers = [mix.h.new_user(srv)[2] for _ in range(8)]  # not logged out: their lists must be 200
        print(f"load before: {open('/proc/loadavg').read().strip()}")
        idle = measure(srv)
        release = lock_db(srv, db)
        stuck = concurrent.futures.ThreadPoolExecutor(16)
        started = time.monotonic()
        pending = []
        for t, r in zip(tokens, readers):
            c = mix.Client(srv.port, "127.0.0.5", timeout=120)
            pending.append(stuck.submit(c.json, "POST", "/api/logout", None, t))
            c2 = mix.Client(srv.port, "127.0.0.6", timeout=120)
            pending.append(stuck.submit(c2.json, "GET", "/api/list-documents", None, r))
        time.sleep(0.5)
        locked = measure(srv)
        held_for = time.monotonic() - started
        waiting = sum(not f.done() for f in pending)
        release()
        results = [f.result()[0] for f in pending]
        stuck.shutdown()
        print(f"load after: {open('/proc/loadavg').read().strip()}")
        print(f"\n{BACKEND}: {PROBES} probes per URL and scenario; lock held {held_for:.1f} s, "
              f"{waiting} of {len(pending)} authenticated requests still waiting when it was released; "
              f"their statuses after release: { {s: results.count(s) for s in set(results)} }\n")
        print("| URL | scenario | p50 ms | p99 ms | max ms | failed |")
        print("|---|---|---|---|---|---|")
        for name in idle:
            for scen, data in (("idle", idle), ("database locked", locked)):
                lat = sorted(data[name]["lat"])
                print(f"| {name} | {scen} | {statistics.median(lat) * 1000:.1f} | {mix.pct(lat, 99) * 1000:.1f} | "
                      f"{lat[-1] * 1000:.1f} | {data[name]['fail']} |")
    finally:
        srv.cleanup()
        if db is not None:
            db.close()


if __name__ == "__main__":
    main()
