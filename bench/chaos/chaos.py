#!/usr/bin/env python3
"""Chaos: the soak mix (bench/soak/mix.py) while the server is killed with SIGKILL at random
points, restarted on the same data dir (and database) each time (issue 20).

Usage:
  TATOU_BIN=$PWD/build/src/tatou nice /usr/bin/python3 bench/chaos/chaos.py \
      [--backend sqlite|postgresql] [--kills 20] [--workers 6] [--seed N] [--json out.json]
  --short is --kills 3.

After every restart, with the clients paused:
  1. every acknowledged write is there: each uploaded document (2xx) not deleted since is in its
     owner's list-documents, each acknowledged delete is gone (and so are its versions' links),
     each acknowledged create-watermark's link is in list-all-versions and get-version serves it;
  2. the data dir and the database agree: no documents/versions row whose file is missing; files
     no row names are counted (a kill between the file's rename and the row's insert leaves one
     such file, never acknowledged, and a kill mid-upload a temp file; the start-up sweep removes
     both once 10 minutes old, which the last step checks by ageing them);
  3. `tatou audit verify` passes on the audit files (a recorded gap is fine, a broken chain is
     not).
Exit 1 on any violation.
"""

import argparse
import glob
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench", "soak"))
import mix  # noqa: E402


def db_paths(srv, db):
    """Every path a documents or versions row names, read from the database itself."""
    sql = "SELECT path FROM documents UNION ALL SELECT path FROM versions"
    if db is None:
        con = sqlite3.connect(f"file:{os.path.join(srv.datadir, 'tatou.db')}?mode=ro", uri=True, timeout=30)
        try:
            return [r[0] for r in con.execute(sql)]
        finally:
            con.close()
    name = urllib.parse.urlparse(srv.env["TATOU_DB"]).path.lstrip("/")
    return [line for line in db.admin_sql(sql, database=name).splitlines() if line]


def stored_files(srv):
    root = os.path.join(srv.datadir, "storage")
    out, temps = {}, []
    for dirpath, _, names in os.walk(root):
        for n in names:
            full = os.path.join(dirpath, n)
            rel = os.path.relpath(full, root)
            if rel.split(os.sep)[0] == "tmp":
                temps.append(full)
            else:
                out[rel] = full
    return out, temps


def audit_verify(srv):
    logdir = os.path.join(srv.datadir, "log")
    files = sorted(glob.glob(os.path.join(logdir, "audit-2*.jsonl"))) + [os.path.join(logdir, "audit.jsonl")]
    cmd = [mix.h.TATOU_BIN, "audit", "verify", *files, "--key", os.path.join(logdir, "audit-verify.key"), "--json"]
    checkpoints = os.path.join(logdir, "audit-checkpoints.jsonl")
    if os.path.exists(checkpoints):
        cmd += ["--checkpoints", checkpoints]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    try:
        report = json.loads(r.stdout)
    except ValueError:
        report = {"raw": r.stdout[-500:]}
    return r.returncode, report, r.stderr[-500:]


def check(srv, db, workers, ledger):
    """Returns a dict of counts; 'violations' lists every broken invariant."""
    violations = []
    c = mix.Client(srv.port, "127.0.0.3", timeout=30)
    with ledger.lock:
        docs = dict(ledger.docs)
        deleted = set(ledger.deleted)
        uncertain = set(ledger.uncertain)
        versions = dict(ledger.versions)
        violations += ledger.anomalies
        ledger.anomalies.clear()
    checked_docs = checked_links = 0
    for w in workers:
        if w.token is None:
            continue
        st, data, _ = c.json("GET", "/api/list-documents", token=w.token)
        if st != 200:
            violations.append(f"list-documents for {w.email}: {st}")
            continue
        present = {d["id"] for d in mix.parse(data)["documents"]}
        for doc, email in docs.items():
            if email != w.email or doc in uncertain:
                continue
            checked_docs += 1
            if doc in deleted and doc in present:
                violations.append(f"acknowledged delete of doc {doc} undone")
            if doc not in deleted and doc not in present:
                violations.append(f"acknowledged upload of doc {doc} lost")
        st, data, _ = c.json("GET", "/api/list-all-versions", token=w.token)
        if st != 200:
            violations.append(f"list-all-versions for {w.email}: {st}")
            continue
        links = {v["link"] for v in mix.parse(data)["versions"]}
        mine = [(link, doc) for link, doc in versions.items() if docs.get(doc) == w.email and doc not in uncertain]
        for link, doc in mine:
            checked_links += 1
            if doc in deleted and link in links:
                violations.append(f"version {link[:12]} of deleted doc {doc} still listed")
            if doc not in deleted and link not in links:
                violations.append(f"acknowledged version {link[:12]} of doc {doc} lost")
    # get-version on a sample: served for live ones, 404 for deleted ones.
    sample = random.sample(sorted(versions.items()), min(30, len(versions)))
    for link, doc in sample:
        if doc in uncertain:
            continue
        st, _, _ = c.request("GET", f"/api/get-version/{link}")
        want = 404 if doc in deleted else 200
        if st != want:
            violations.append(f"get-version {link[:12]} (doc {doc}{' deleted' if doc in deleted else ''}): {st}")
    # Acknowledged RMAP handshakes: their link keeps serving the partner's PDF.
    with ledger.lock:
        rmap_links = sorted(ledger.rmap_links)
    for link in random.sample(rmap_links, min(10, len(rmap_links))):
        st, _, _ = c.request("GET", f"/api/get-version/{link}")
        checked_links += 1
        if st != 200:
            violations.append(f"acknowledged RMAP link {link[:12]}: get-version {st}")
    c.close()
    rows = db_paths(srv, db)
    files, temps = stored_files(srv)
    row_set = set(rows)
    missing = sorted(row_set - set(files))
    orphans = sorted(set(files) - row_set)
    for p in missing:
        violations.append(f"row without file: {p}")
    rc, report, err = audit_verify(srv)
    if rc != 0:
        violations.append(f"audit verify exit {rc}: {json.dumps(report)[:400]} {err}")
    return {"docs_checked": checked_docs, "links_checked": checked_links, "rows": len(rows),
            "files": len(files), "rows_without_file": len(missing), "files_without_row": len(orphans),
            "temp_files": len(temps), "audit_rc": rc,
            "audit": {k: report.get(k) for k in ("ok", "records", "last_sequence", "gaps", "torn_tail")
                      if isinstance(report, dict) and k in report},
            "violations": violations, "orphans": orphans}


def wait_idle(workers, timeout=60):
    deadline = time.monotonic() + timeout
    for w in workers:
        w.idle.wait(max(0.1, deadline - time.monotonic()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", default="sqlite", choices=("sqlite", "postgresql"))
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--short", action="store_true")
    ap.add_argument("--workers", type=int, default=6)
    ap.add_argument("--min-run", type=float, default=3)
    ap.add_argument("--max-run", type=float, default=12)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--json")
    args = ap.parse_args()
    kills = 3 if args.short else args.kills
    rng = random.Random(args.seed)
    db = None
    if args.backend == "postgresql":
        import servers
        db = servers.start("postgresql")
    try:
        srv, partner, server_pub = mix.start_server(db)
        try:
            return run(srv, db, partner, server_pub, kills, rng, args)
        finally:
            srv.cleanup()
    finally:
        if db is not None:
            db.close()


def run(srv, db, partner, server_pub, kills, rng, args):
    mix.hostile_files()
    stats, ledger = mix.Stats(), mix.Ledger()
    stop, pause = threading.Event(), threading.Event()
    port_of = lambda: srv.port  # noqa: E731
    workers = [mix.Worker(i, port_of, stats, ledger, stop, pause, rmap=(partner, server_pub), seed=args.seed + i)
               for i in range(args.workers)]
    for w in workers:
        w.start()
    cycles = []
    failed = False
    started = time.monotonic()
    for k in range(kills):
        run_for = rng.uniform(args.min_run, args.max_run)
        time.sleep(run_for)
        srv.kill9()
        pause.set()
        wait_idle(workers)
        t0 = time.monotonic()
        srv.start()
        restart_s = time.monotonic() - t0
        result = check(srv, db, workers, ledger)
        result.update({"kill": k + 1, "after_s": round(run_for, 1), "restart_s": round(restart_s, 2)})
        cycles.append(result)
        print(f"kill {k + 1:2d} after {run_for:4.1f} s: restart {restart_s:.2f} s, docs {result['docs_checked']}, "
              f"links {result['links_checked']}, rows {result['rows']}, files {result['files']}, "
              f"rows without file {result['rows_without_file']}, files without row {result['files_without_row']}, "
              f"temp {result['temp_files']}, audit verify rc {result['audit_rc']} {result['audit']}, "
              f"violations {len(result['violations'])}", flush=True)
        for v in result["violations"][:10]:
            print("   VIOLATION", v, flush=True)
        failed |= bool(result["violations"])
        pause.clear()
    time.sleep(2)
    pause.set()
    wait_idle(workers)
    # The start-up sweep removes files no row names once 10 minutes old: age the leftovers and
    # restart once more (gracefully) to see it happen.
    files, temps = stored_files(srv)
    old = time.time() - 11 * 60
    last = check(srv, db, workers, ledger)
    for path in [files[rel] for rel in last["orphans"]] + temps:
        os.utime(path, (old, old))
    srv.stop()
    srv.start()
    final = check(srv, db, workers, ledger)
    stop.set()
    for w in workers:
        w.join(30)
    print(f"final (aged {len(last['orphans'])} orphan and {len(temps)} temp files, graceful restart): "
          f"rows {final['rows']}, files {final['files']}, rows without file {final['rows_without_file']}, "
          f"files without row {final['files_without_row']}, temp {final['temp_files']}, "
          f"audit verify rc {final['audit_rc']}, "
          f"violations {len(final['violations'])}")
    for v in final["violations"][:10]:
        print("   VIOLATION", v)
    failed |= bool(final["violations"]) or final["files_without_row"] > 0 or final["temp_files"] > 0
    rows = stats.table()
    fivexx = sum(r["5xx"] for r in rows)
    print(f"\n## chaos {args.backend}: {kills} kills in {time.monotonic() - started:.0f} s, seed {args.seed}, "
          f"{sum(r['requests'] for r in rows)} requests, 5xx {fivexx}, "
          f"acknowledged: {len(ledger.docs)} uploads, {len(ledger.deleted)} deletes, {len(ledger.versions)} versions, "
          f"{len(ledger.rmap_links)} RMAP links; unanswered deletes {len(ledger.uncertain)}\n")
    mix.print_table(rows)
    for e in stats.errors[:10]:
        print("5xx:", e)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"cycles": cycles, "final": final, "routes": rows, "5xx_examples": stats.errors[:50],
                       "seed": args.seed}, f, indent=1, default=str)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
