#!/usr/bin/env python3
"""End-to-end alerting drill on loopback, bounded and self-stopping (<= 90 s):

  tatou serve  --/metrics-->  Prometheus  --alerts-->  Alertmanager  --webhook-->  sink (here)

1. Starts `$TATOU_BIN serve` on free loopback ports in a temp data dir, Debian's Prometheus
   (scrape and rule evaluation every 1 s) and Alertmanager (monitoring/alertmanager.yml with
   group waits of 1 s and webhooks pointed at a sink thread in this process).
2. Checks the live /metrics against every metric the rules and dashboards name
   (tools/check_metric_refs.py).
3. Creates one user and sends 30 logins with a wrong password (the only traffic it sends).
   The server is configured so the per-(IP, account) throttle (TATOU_LOGIN_MAX_FAILURES=100)
   does not turn them into 429s and the account locks after 25 failures (TATOU_LOCK_AFTER=25):
   25 answers 401 (counted as bad_credentials; the 25th raises authn_login_fail_max and
   authn_login_lock), the last 5 answer 423 (locked).
4. Asserts the counters moved by exactly the observed amounts, that Prometheus reports
   TatouLoginFailureBurst (warning) and TatouBruteForceDetected (high) firing, and that the sink
   received each of them on the receiver path of its severity (ticket, oncall).
5. Stops tatou and asserts TatouDown fires and reaches the pager path (meta-monitoring).

The rules Prometheus loads here are generated from the real ones in monitoring/rules (see
quick_rules()): same expressions, thresholds, labels and annotations, but `for:` cut to a few
seconds and the 5-minute windows cut to 1 minute, because a test cannot wait the minutes the
production durations ask for. The threshold is kept (20 bad logins): the drill sends 25.
Exit 0 on success, 1 with a message naming what did not happen otherwise.
"""
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

import harness as h

TOTAL_BUDGET_S = 90
BAD_LOGINS = 30
LOCK_AFTER = 25
QUICK = {  # alert -> `for:` in the quick variant
    "TatouLoginFailureBurst": "2s",
    "TatouBruteForceDetected": "0s",
    "TatouDown": "5s",  # several scrapes, so the moments before the first scrape rarely count
}
EXPECTED_PATH = {"critical": "/hook/pager", "high": "/hook/oncall", "warning": "/hook/ticket",
                 "info": "/hook/low-noise"}


def quick_rules():
    """The real definitions of the alerts in QUICK with durations a test can wait for."""
    rules = []
    for path in sorted(os.listdir(os.path.join(h.MONITORING, "rules"))):
        with open(os.path.join(h.MONITORING, "rules", path), encoding="utf-8") as f:
            for group in yaml.safe_load(f)["groups"]:
                for rule in group["rules"]:
                    if rule.get("alert") in QUICK:
                        quick = copy.deepcopy(rule)
                        quick["for"] = QUICK[rule["alert"]]
                        quick["expr"] = re.sub(r"\[5m\]", "[1m]", rule["expr"])
                        rules.append(quick)
    missing = set(QUICK) - {r["alert"] for r in rules}
    if missing:
        raise h.TestFailure(f"alerts not found in monitoring/rules: {sorted(missing)}")
    return {"groups": [{"name": "tatou-live-test", "interval": "1s", "rules": rules}]}


def scrape_values(admin_port, names):
    status, text = h.http_get(f"http://127.0.0.1:{admin_port}/metrics")
    if status != 200:
        raise h.TestFailure(f"GET /metrics on the admin listener answered {status}: {text[:200]}")
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            if series in names:
                values[series] = float(value)
    missing = set(names) - set(values)
    if missing:
        raise h.TestFailure(f"series missing from /metrics: {sorted(missing)}")
    return values


def post(port, path, payload):
    return h.http_json("POST", f"http://127.0.0.1:{port}{path}", payload, timeout=10)


def prometheus_alerts(prom_port):
    status, body = h.http_json("GET", f"http://127.0.0.1:{prom_port}/api/v1/alerts")
    if status != 200:
        raise h.TestFailure(f"Prometheus /api/v1/alerts answered {status}")
    return {a["labels"]["alertname"]: a for a in body["data"]["alerts"]}


def main():
    tatou_bin = os.environ.get("TATOU_BIN") or (sys.argv[1] if len(sys.argv) > 1 else "")
    if not tatou_bin or not os.access(tatou_bin, os.X_OK):
        print(f"FAIL set TATOU_BIN to the tatou binary (got {tatou_bin!r})", file=sys.stderr)
        return 1
    for tool in ("prometheus", os.environ.get("ALERTMANAGER_BIN", "prometheus-alertmanager")):
        if not shutil.which(tool):
            print(f"FAIL {tool} not installed (Debian packages prometheus, prometheus-alertmanager)",
                  file=sys.stderr)
            return 1

    started = time.monotonic()
    deadline = started + TOTAL_BUDGET_S
    workdir = tempfile.mkdtemp(prefix="tatou-live-alert-")
    procs = h.Processes(workdir)
    step = "setup"
    try:
        with h.WebhookSink() as sink:
            # -- tatou
            step = "starting tatou"
            port, admin = h.free_port(), h.free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("TATOU_")}
            env.update({
                "TATOU_LOGIN_MAX_FAILURES": "100",         # no per-(IP, account) 429s
                "TATOU_LOGIN_MAX_FAILURES_PER_IP": "1000",  # no per-IP 429s
                "TATOU_LOCK_AFTER": str(LOCK_AFTER),
                "TATOU_ARGON2_OPS": "1", "TATOU_ARGON2_MEM_KIB": "1024",  # cheap hashes: a test
                "TATOU_LOG_LEVEL": "warn",
            })
            tatou = procs.start("tatou", [tatou_bin, "serve", "--listen", f"127.0.0.1:{port}",
                                          "--admin-listen", f"127.0.0.1:{admin}",
                                          "--data-dir", os.path.join(workdir, "tatou-data")], env=env)
            h.wait_until("tatou /healthz",
                         lambda: procs.check_alive() or h.http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200,
                         min(deadline, time.monotonic() + 15))
            step = "scraping tatou's /metrics"
            status, exposition = h.http_get(f"http://127.0.0.1:{admin}/metrics")
            if status != 200:
                raise h.TestFailure(f"the admin listener does not serve /metrics (HTTP {status}): "
                                    f"{exposition[:200]}")
            print(f"ok   tatou up (public :{port}, admin :{admin}); /metrics answers")

            step = "checking metric references against the live exposition"
            exp_path = os.path.join(workdir, "exposition.txt")
            with open(exp_path, "w", encoding="utf-8") as f:
                f.write(exposition)
            refs = subprocess.run([sys.executable, os.path.join(h.ROOT, "tools", "check_metric_refs.py"),
                                   "--rules", os.path.join(h.MONITORING, "rules"),
                                   "--dashboards", os.path.join(h.MONITORING, "grafana"),
                                   "--exposition", exp_path,
                                   "--doc", os.path.join(h.ROOT, "docs", "metrics.md")], capture_output=True, text=True, timeout=30)
            if refs.returncode != 0:
                raise h.TestFailure("rules/dashboards/docs and the live exposition disagree:\n"
                                    + refs.stderr)
            print(f"ok   {refs.stdout.strip()}")

            # -- Alertmanager and Prometheus
            step = "starting Alertmanager"
            am_port = h.start_alertmanager(procs, workdir, sink.port)
            h.wait_until("Alertmanager ready", lambda: h.http_get(f"http://127.0.0.1:{am_port}/-/ready")[0] == 200,
                         min(deadline, time.monotonic() + 20))
            step = "starting Prometheus"
            prom_port = h.free_port()
            rules_path = os.path.join(workdir, "quick-rules.yml")
            with open(rules_path, "w", encoding="utf-8") as f:
                f.write("# Generated by tests/monitoring/live_alert_test.py from monitoring/rules: same\n"
                        "# expressions, thresholds and labels; shorter `for:` and windows for a test.\n")
                yaml.safe_dump(quick_rules(), f, sort_keys=False)
            prom_cfg = {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
                "rule_files": [rules_path],
                "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
                "scrape_configs": [{"job_name": "tatou", "metrics_path": "/metrics",
                                    "static_configs": [{"targets": [f"127.0.0.1:{admin}"]}]}],
            }
            prom_cfg_path = os.path.join(workdir, "prometheus.yml")
            with open(prom_cfg_path, "w", encoding="utf-8") as f:
                yaml.safe_dump(prom_cfg, f)
            check = subprocess.run(["promtool", "check", "config", prom_cfg_path], capture_output=True, text=True)
            if check.returncode != 0:
                raise h.TestFailure(f"generated Prometheus config invalid:\n{check.stdout}{check.stderr}")
            procs.start("prometheus", [
                "prometheus", f"--config.file={prom_cfg_path}",
                f"--storage.tsdb.path={os.path.join(workdir, 'prom-data')}",
                f"--web.listen-address=127.0.0.1:{prom_port}", "--rules.alert.resend-delay=1s",
                "--log.level=warn",
            ])
            h.wait_until("Prometheus ready", lambda: procs.check_alive() or
                         h.http_get(f"http://127.0.0.1:{prom_port}/-/ready")[0] == 200,
                         min(deadline, time.monotonic() + 30))

            def target_up():
                _, body = h.http_json("GET", f"http://127.0.0.1:{prom_port}/api/v1/query?query=up%7Bjob%3D%22tatou%22%7D")
                result = body["data"]["result"]
                return result and result[0]["value"][1] == "1"

            step = "waiting for Prometheus to scrape tatou"
            h.wait_until("Prometheus to scrape tatou (up == 1)", target_up, min(deadline, time.monotonic() + 20))
            print(f"ok   Prometheus :{prom_port} scrapes tatou; Alertmanager :{am_port}; sink :{sink.port}")
            # absent(up) is true until the first scrape, so TatouDown may be pending or even
            # firing briefly at start; it must clear now that the target is up.
            h.wait_until("TatouDown to clear once tatou is scraped",
                         lambda: "TatouDown" not in prometheus_alerts(prom_port), min(deadline, time.monotonic() + 15))
            firing_early = [n for n, a in prometheus_alerts(prom_port).items() if a["state"] == "firing"]
            if firing_early:
                raise h.TestFailure(f"alerts firing before any attack traffic: {firing_early}")
            time.sleep(2)  # a few scrapes of the idle (all-zero) counters before the burst

            # -- the drill
            step = "driving the brute force"
            names = ['tatou_auth_logins_total{result="bad_credentials"}',
                     'tatou_auth_logins_total{result="locked"}',
                     'tatou_security_events_total{action="authn_login_fail_max",level="WARN"}',
                     'tatou_security_events_total{action="authn_login_fail",level="WARN"}']
            before = scrape_values(admin, names)
            email, password = "drill-victim@example.com", "Drill-Password-2024"
            status, body = post(port, "/api/create-user", {"email": email, "login": "drillvictim",
                                                           "password": password})
            if status not in (200, 201):
                raise h.TestFailure(f"create-user answered {status}: {body}")
            statuses = []
            for i in range(BAD_LOGINS):
                status, _ = post(port, "/api/login", {"email": email, "password": f"wrong-guess-{i:04d}"})
                statuses.append(status)
            counts = {s: statuses.count(s) for s in sorted(set(statuses))}
            print(f"ok   sent {BAD_LOGINS} bad logins: statuses {counts}")
            if counts.get(401, 0) <= 20:
                raise h.TestFailure(f"expected more than 20 answers 401 (bad credentials), got {counts}")
            if any(s >= 500 or s == 429 for s in statuses):
                raise h.TestFailure(f"unexpected 429/5xx during the drill: {counts}")
            after = scrape_values(admin, names)
            delta = {n: after[n] - before[n] for n in names}
            expect = {names[0]: counts.get(401, 0), names[1]: counts.get(423, 0)}
            wrong = {n: (delta[n], want) for n, want in expect.items() if delta[n] != want}
            if wrong:
                raise h.TestFailure(f"counter deltas differ from the answers seen (got, want): {wrong}")
            if delta[names[2]] < 1:
                raise h.TestFailure(f"no authn_login_fail_max event after {counts.get(401, 0)} failures "
                                    f"with TATOU_LOCK_AFTER={LOCK_AFTER}: deltas {delta}")
            print(f"ok   counter deltas match: {delta}")

            # -- Prometheus fires, Alertmanager delivers
            step = "waiting for the alerts"
            want = {"TatouLoginFailureBurst", "TatouBruteForceDetected"}

            def firing():
                alerts = prometheus_alerts(prom_port)
                got = {n: a for n, a in alerts.items() if n in want and a["state"] == "firing"}
                return got if set(got) == want else None

            fired = h.wait_until(f"Prometheus to report {sorted(want)} firing", firing,
                                 min(deadline, time.monotonic() + 30))
            for name, a in sorted(fired.items()):
                print(f"ok   Prometheus: {name} firing (severity={a['labels'].get('severity')}, "
                      f"threat={a['labels'].get('threat')}, value={a.get('value')})")

            def delivered():
                got = {(n, p) for p, s, n, _ in sink.alerts() if s == "firing"}
                need = {(n, EXPECTED_PATH[fired[n]["labels"]["severity"]]) for n in want}
                return got if need <= got else None

            got = h.wait_until("Alertmanager to deliver both alerts to the sink", delivered,
                               min(deadline, time.monotonic() + 20))
            print(f"ok   sink received: {sorted(got)}")

            # -- meta-monitoring: the server goes away
            step = "stopping tatou for TatouDown"
            seen = len(sink.alerts())  # only notifications after the stop count
            tatou.terminate()
            tatou.wait(timeout=10)

            def down_delivered():
                got = {(n, p) for p, s, n, _ in sink.alerts()[seen:] if s == "firing"}
                return ("TatouDown", "/hook/pager") in got

            h.wait_until("TatouDown to fire and reach the pager receiver", down_delivered,
                         min(deadline, time.monotonic() + 20))
            print("ok   tatou stopped -> TatouDown delivered to /hook/pager")
        print(f"PASS live alerting drill in {time.monotonic() - started:.1f} s")
        return 0
    except (h.TestFailure, subprocess.TimeoutExpired, OSError, ValueError, KeyError) as e:
        print(f"FAIL ({step}): {e}", file=sys.stderr)
        for name in ("tatou", "prometheus", "alertmanager"):
            tail = procs.tail(name, 10)
            if tail:
                print(f"--- {name} log tail ---\n{tail}", file=sys.stderr)
        return 1
    finally:
        procs.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
