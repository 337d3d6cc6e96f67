#!/usr/bin/env python3
"""Soak: the mixed workload of bench/soak/mix.py at saturation for a fixed time (issue 20).

Usage:
  TATOU_BIN=$PWD/build/src/tatou nice /usr/bin/python3 bench/soak/soak.py \
      [--backend sqlite|postgresql] [--seconds 600] [--workers 8] [--json out.json]
  --short is --seconds 30.

Reports per route: requests, 5xx, requests with no answer, p50/p99/max; the server's RSS, open
fds and threads sampled every 5 s (first/last/max, and the PDF jail processes' RSS); and the
probe user's failures (a separate user from its own address, once a second). Exit 1 when any
5xx was seen, the probe failed, or the server died.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mix  # noqa: E402


def children_rss(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    total = 0
    for child in out:
        try:
            total += mix.sample_proc(int(child))[0]
        except (OSError, ValueError):
            pass
    return len(out), total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", default="sqlite", choices=("sqlite", "postgresql"))
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--short", action="store_true")
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--json")
    args = ap.parse_args()
    seconds = 30 if args.short else args.seconds

    db = None
    if args.backend == "postgresql":
        import servers
        db = servers.start("postgresql")
    try:
        srv, partner, server_pub = mix.start_server(db)
        try:
            return run(srv, partner, server_pub, seconds, args)
        finally:
            srv.cleanup()
    finally:
        if db is not None:
            db.close()


def run(srv, partner, server_pub, seconds, args):
    mix.hostile_files()  # build the bombs before the clock starts
    stats, ledger = mix.Stats(), mix.Ledger()
    stop, pause = threading.Event(), threading.Event()
    port_of = lambda: srv.port  # noqa: E731
    probe = mix.Probe(port_of, stop)
    probe.setup()
    workers = [mix.Worker(i, port_of, stats, ledger, stop, pause, rmap=(partner, server_pub))
               for i in range(args.workers)]
    pid = srv.proc.pid
    samples = []
    load_before = os.getloadavg()
    cpu0 = cpu_seconds(pid)
    started = time.monotonic()
    for w in workers:
        w.start()
    probe.start()
    while time.monotonic() - started < seconds:
        if not srv.alive():
            break
        rss, fds, threads = mix.sample_proc(pid)
        nkids, kids_rss = children_rss(pid)
        samples.append({"t": round(time.monotonic() - started, 1), "rss_kib": rss, "fds": fds,
                        "threads": threads, "children": nkids, "children_rss_kib": kids_rss,
                        "load1": os.getloadavg()[0]})
        time.sleep(5)
    stop.set()
    for w in workers:
        w.join(60)
    probe.join(30)
    elapsed = time.monotonic() - started
    alive = srv.alive()
    cpu = cpu_seconds(pid) - cpu0 if alive else float("nan")
    # The idle state after the run: what stayed allocated once the load stopped.
    time.sleep(5)
    if alive:
        rss, fds, threads = mix.sample_proc(pid)
        samples.append({"t": round(time.monotonic() - started, 1), "rss_kib": rss, "fds": fds,
                        "threads": threads, "after": True})
    rows = stats.table()
    total = sum(r["requests"] for r in rows)
    fivexx = sum(r["5xx"] for r in rows)
    lat = sorted(probe.latencies)
    report = {
        "backend": args.backend, "seconds": round(elapsed), "workers": args.workers,
        "requests": total, "requests_per_s": round(total / elapsed, 1), "5xx": fivexx,
        "server_alive": alive, "server_cpu_s": round(cpu, 1),
        "server_cpu_ms_per_request": round(cpu * 1000 / max(1, total), 2),
        "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
        "probe": {"attempts": probe.attempts, "failures": len(probe.failures),
                  "p50_ms": round(mix.pct(lat, 50) * 1000), "p99_ms": round(mix.pct(lat, 99) * 1000),
                  "max_ms": round((lat[-1] if lat else 0) * 1000), "first_failures": probe.failures[:10]},
        "routes": rows, "samples": samples, "5xx_examples": stats.errors[:20],
    }
    out = sys.stdout
    out.write(f"\n## soak {args.backend}: {report['seconds']} s, {args.workers} workers + probe, "
              f"{total} requests ({report['requests_per_s']}/s), 5xx {fivexx}, server alive {alive}, "
              f"server CPU {report['server_cpu_ms_per_request']} ms/request, "
              f"loadavg before {load_before[0]:.2f} after {report['loadavg_after'][0]:.2f}\n\n")
    mix.print_table(rows, out)
    live = [s for s in samples if not s.get("after")]
    for key in ("rss_kib", "fds", "threads", "children_rss_kib"):
        vals = [s[key] for s in live if key in s]
        if vals:
            after = [s[key] for s in samples if s.get("after") and key in s]
            out.write(f"\n{key}: first {vals[0]} last {vals[-1]} max {max(vals)} min {min(vals)}"
                      + (f" idle-after {after[0]}" if after else ""))
    p = report["probe"]
    out.write(f"\n\nprobe: {p['attempts']} probes, {p['failures']} failed, p50 {p['p50_ms']} ms, "
              f"p99 {p['p99_ms']} ms, max {p['max_ms']} ms\n")
    for e in stats.errors[:10]:
        out.write(f"5xx: {e}\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1, default=str)
    return 0 if (fivexx == 0 and not probe.failures and alive) else 1


def cpu_seconds(pid):
    tick = os.sysconf("SC_CLK_TCK")
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime + stime + children's (the PDF jail workers that have exited)
    return sum(int(x) for x in fields[11:15]) / tick


if __name__ == "__main__":
    sys.exit(main())
