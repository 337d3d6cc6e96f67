#!/usr/bin/env python3
"""Validates the Grafana dashboards in monitoring/grafana (Grafana itself is not packaged for
Debian, so this is the check they get):

  * each file is a JSON dashboard with title, uid (<= 40 chars), schemaVersion and panels;
    uids and titles are unique across the directory; the required dashboards exist;
  * panels have unique ids, a type, a title and a gridPos; non-row panels have >= 1 target with
    an expr and unique refIds; datasources go through the ${datasource} variable (portable);
  * every counter-like series (_total, _bucket, _count, _sum) is inside rate()/increase()/irate();
  * every _bucket series is under histogram_quantile(), and every panel about a
    *_duration_seconds histogram (except heatmaps) uses histogram_quantile over _bucket.

`--self-test` plants a raw counter, a latency average and a duplicate uid in copies and expects
each to be reported. Exit 0 when clean, 1 otherwise (each problem on stderr).
"""
import argparse
import copy
import glob
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promql  # noqa: E402

REQUIRED = ("security-overview", "red", "audit-health", "watermark-rmap")
DATASOURCE = "${datasource}"


def _panels(panels):
    for p in panels or []:
        yield p
        yield from _panels(p.get("panels"))


def _datasource_ok(ds):
    if ds is None:
        return True  # inherits the panel's / dashboard default
    if isinstance(ds, str):
        return ds == DATASOURCE
    return ds.get("uid") in (DATASOURCE, "-- Grafana --")


def check_dashboard(path, d):
    problems = []
    d = d.get("dashboard", d)
    for key in ("title", "uid", "schemaVersion", "panels"):
        if key not in d:
            problems.append(f"{path}: missing {key}")
    uid = d.get("uid", "")
    if uid and len(uid) > 40:
        problems.append(f"{path}: uid {uid!r} longer than 40 characters")
    ids = set()
    for p in _panels(d.get("panels")):
        title = p.get("title") or f"id {p.get('id')}"
        where = f"{path}: panel {title!r}"
        if p.get("id") in ids:
            problems.append(f"{where}: duplicate panel id {p.get('id')}")
        ids.add(p.get("id"))
        for key in ("type", "title", "gridPos"):
            if not p.get(key):
                problems.append(f"{where}: missing {key}")
        if p.get("type") == "row":
            continue
        if not _datasource_ok(p.get("datasource")):
            problems.append(f"{where}: datasource must be the {DATASOURCE} variable")
        targets = p.get("targets") or []
        if not targets:
            problems.append(f"{where}: no targets")
        refids = [t.get("refId") for t in targets]
        if len(set(refids)) != len(refids) or None in refids:
            problems.append(f"{where}: refIds missing or not unique: {refids}")
        for t in targets:
            expr = t.get("expr", "")
            if not expr.strip():
                problems.append(f"{where}: target {t.get('refId')} has no expr")
                continue
            if not _datasource_ok(t.get("datasource")):
                problems.append(f"{where}: target {t.get('refId')} datasource must be {DATASOURCE}")
            for issue in promql.counter_violations(expr):
                problems.append(f"{where}: {issue}")
            names = promql.metric_names(expr)
            histograms = [n for n in names if n.endswith("_duration_seconds") or "_duration_seconds_" in n]
            if histograms and p.get("type") != "heatmap" and not (
                    "histogram_quantile" in expr and any(n.endswith("_bucket") for n in histograms)):
                problems.append(f"{where}: latency from {sorted(histograms)} must use histogram_quantile over _bucket")
    return problems


def check_dir(directory, required=REQUIRED):
    problems = []
    paths = sorted(glob.glob(os.path.join(directory, "*.json")))
    uids, titles = {}, {}
    for name in required:
        if not os.path.exists(os.path.join(directory, name + ".json")):
            problems.append(f"{directory}: required dashboard {name}.json missing")
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            problems.append(f"{path}: not valid JSON: {e}")
            continue
        if not isinstance(d, dict):
            problems.append(f"{path}: not a JSON object")
            continue
        inner = d.get("dashboard", d)
        for key, seen in (("uid", uids), ("title", titles)):
            value = inner.get(key)
            if value in seen:
                problems.append(f"{path}: {key} {value!r} also used by {seen[value]}")
            seen[value] = path
        problems += check_dashboard(path, d)
    return problems, len(paths)


def self_test(directory):
    problems, _ = check_dir(directory)
    if problems:
        print("self-test: the real dashboards already fail:\n  " + "\n  ".join(problems))
        return 1
    with tempfile.TemporaryDirectory(prefix="dash-selftest-") as tmp:
        paths = sorted(glob.glob(os.path.join(directory, "*.json")))
        for i, path in enumerate(paths):
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
            d = copy.deepcopy(d)
            if i == 0:  # plant: a raw counter and an average latency from _sum/_count
                panel = next(p for p in d["panels"] if p.get("type") != "row")
                panel["targets"].append({"refId": "Z", "expr": "sum(tatou_http_requests_total)"})
                panel["targets"].append({"refId": "Y", "expr":
                                         "rate(tatou_http_request_duration_seconds_sum[5m]) / "
                                         "rate(tatou_http_request_duration_seconds_count[5m])"})
            if i == 1:  # plant: a uid copied from the first dashboard
                with open(paths[0], encoding="utf-8") as f:
                    d["uid"] = json.load(f)["uid"]
            with open(os.path.join(tmp, os.path.basename(path)), "w", encoding="utf-8") as f:
                json.dump(d, f)
        problems, _ = check_dir(tmp)
    want = ["tatou_http_requests_total is used without rate()/increase()",
            "must use histogram_quantile over _bucket", "uid"]
    missing = [w for w in want if not any(w in p for p in problems)]
    if missing:
        print(f"self-test: planted mistakes not reported: {missing}; got {problems}")
        return 1
    print("self-test OK: planted mistakes reported:")
    for p in problems:
        print(f"  {p}")
    return 0


def main(argv=None):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("directory", nargs="?", default=os.path.join(root, "monitoring", "grafana"))
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test(args.directory)
    problems, count = check_dir(args.directory)
    if problems:
        for p in problems:
            print(f"FAIL {p}", file=sys.stderr)
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"OK: {count} dashboards; unique uids; counters only through rate()/increase(); "
          f"latency through histogram_quantile")
    return 0


if __name__ == "__main__":
    sys.exit(main())
