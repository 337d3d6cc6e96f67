#!/usr/bin/env python3
"""Cross-checks the metric names that alert rules and dashboards use against an exposition.

    tools/check_metric_refs.py --rules monitoring/rules --dashboards monitoring/grafana \
        --exposition FILE|-|http://127.0.0.1:9464/metrics

Every metric name in a rule `expr` and in a dashboard target `expr` (and templating query) must
be exported (histogram series as name_bucket/_sum/_count, which the exposition lists itself;
`up`, `ALERTS`, scrape_* are Prometheus's own). Each equality or simple-alternation label matcher
(`result="bad_credentials"`, `action=~"a|b"`) must select at least one exported series, so a
misspelt label value is caught as well as a misspelt name; `job` and `instance` are added by the
scrape and are not checked. Exits 1 naming every reference that does not resolve.

`--self-test` proves the check can fail: it renames a metric and a label value in a copy of the
rules and expects both to be reported.
"""
import argparse
import glob
import json
import os
import re
import shutil
import sys
import tempfile
import urllib.request

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promql  # noqa: E402

SCRAPE_LABELS = {"job", "instance"}
PLAIN_ALTERNATION = re.compile(r"^[A-Za-z0-9_:./{}+-]+(\|[A-Za-z0-9_:./{}+-]+)*$")


def rule_expressions(rules_dir):
    """[(where, expr)], and the names recording rules define."""
    out, recorded = [], set()
    for path in sorted(glob.glob(os.path.join(rules_dir, "*.yml")) + glob.glob(os.path.join(rules_dir, "*.yaml"))):
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f) or {}
        for group in doc.get("groups", []):
            for rule in group.get("rules", []):
                name = rule.get("alert") or rule.get("record")
                if rule.get("record"):
                    recorded.add(rule["record"])
                out.append((f"{os.path.relpath(path)}: {name}", str(rule.get("expr", ""))))
    return out, recorded


def _panels(panels):
    for p in panels or []:
        yield p
        yield from _panels(p.get("panels"))


def dashboard_expressions(dash_dir):
    out = []
    for path in sorted(glob.glob(os.path.join(dash_dir, "*.json"))):
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        d = d.get("dashboard", d)
        for p in _panels(d.get("panels")):
            for t in p.get("targets") or []:
                if t.get("expr"):
                    out.append((f"{os.path.relpath(path)}: panel {p.get('title')!r} {t.get('refId', '')}",
                                t["expr"]))
        for v in (d.get("templating") or {}).get("list", []):
            q = v.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            if v.get("type") == "query" and isinstance(q, str):
                m = re.match(r"\s*label_values\(\s*([^,)]+)", q)
                expr = m.group(1) if m else q
                out.append((f"{os.path.relpath(path)}: variable {v.get('name')!r}", expr))
    return out


def read_exposition(source):
    if source == "-":
        return sys.stdin.read()
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=10) as r:
            return r.read().decode("utf-8")
    with open(source, encoding="utf-8") as f:
        return f.read()


def check(expressions, exposition_text, recorded=()):
    series, _types = promql.parse_exposition(exposition_text)
    known = set(series) | promql.SYNTHETIC | set(recorded)
    problems = []
    names_checked = set()
    for where, expr in expressions:
        for name, matchers in promql.selectors(expr):
            names_checked.add(name)
            if name not in known:
                problems.append(f"{where}: metric {name} is not in the exposition")
                continue
            if name not in series:
                continue  # synthetic or recorded: no labels to compare against
            relevant = [m for m in matchers if m[0] not in SCRAPE_LABELS and "$" not in m[2]]
            if not any(all(promql.matcher_holds(s, *m) for m in relevant) for s in series[name]):
                shown = ",".join(f'{l}{op}"{v}"' for l, op, v in relevant)
                problems.append(f"{where}: {name}{{{shown}}} selects no exported series")
                continue
            for label, op, value in relevant:
                if op == "=~" and "|" in value and PLAIN_ALTERNATION.match(value):
                    for alternative in value.split("|"):
                        if not any(s.get(label) == alternative for s in series[name]):
                            problems.append(f'{where}: {name} has no series with {label}="{alternative}"')
    return problems, names_checked


def self_test(rules_dir, dash_dir, exposition_text):
    """The check must pass on the real files and fail on a renamed metric and a bad label value."""
    exprs = rule_expressions(rules_dir)[0] + dashboard_expressions(dash_dir)
    problems, _ = check(exprs, exposition_text)
    if problems:
        print("self-test: the unmodified rules/dashboards already fail:\n  " + "\n  ".join(problems))
        return 1
    tmp = tempfile.mkdtemp(prefix="metric-refs-selftest-")
    try:
        bad_rules = os.path.join(tmp, "rules")
        shutil.copytree(rules_dir, bad_rules)
        target = sorted(glob.glob(os.path.join(bad_rules, "*.yml")))
        mutated = {"name": False, "label": False}
        for path in target:
            text = open(path, encoding="utf-8").read()
            if not mutated["name"] and "tatou_auth_logins_total" in text:
                text = text.replace("tatou_auth_logins_total", "tatou_auth_login_total", 1)
                mutated["name"] = True
            if not mutated["label"] and 'reason="revoked"' in text:
                text = text.replace('reason="revoked"', 'reason="revokd"', 1)
                mutated["label"] = True
            open(path, "w", encoding="utf-8").write(text)
        if not all(mutated.values()):
            print(f"self-test: could not plant both mistakes ({mutated})")
            return 1
        problems, _ = check(rule_expressions(bad_rules)[0], exposition_text)
        want = ["tatou_auth_login_total is not in the exposition", 'reason="revokd"']
        missing = [w for w in want if not any(w in p for p in problems)]
        if missing:
            print(f"self-test: planted mistakes not reported: {missing}; got {problems}")
            return 1
        print("self-test OK: clean files pass; a renamed metric and a misspelt label value are reported:")
        for p in problems:
            print(f"  {p}")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rules", required=True)
    ap.add_argument("--dashboards", required=True)
    ap.add_argument("--exposition", required=True, help="file, '-' for stdin, or an http(s) URL")
    ap.add_argument("--doc", help="docs/metrics.md: every exported family must be documented there")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args(argv)
    text = read_exposition(args.exposition)
    if not promql.parse_exposition(text)[0]:
        print(f"FAIL the exposition {args.exposition} contains no samples", file=sys.stderr)
        return 1
    if args.self_test:
        return self_test(args.rules, args.dashboards, text)
    rules, recorded = rule_expressions(args.rules)
    dashboards = dashboard_expressions(args.dashboards)
    problems, names = check(rules + dashboards, text, recorded)
    if args.doc:
        with open(args.doc, encoding="utf-8") as f:
            documented = set(re.findall(r"`([a-z_:][a-z0-9_:]*)`", f.read()))
        _, types = promql.parse_exposition(text)
        for family in sorted(types):
            if family not in documented:
                problems.append(f"metric {family} is exported but not documented in {args.doc}")
    if problems:
        for p in problems:
            print(f"FAIL {p}", file=sys.stderr)
        print(f"{len(problems)} unresolved reference(s)", file=sys.stderr)
        return 1
    print(f"OK: {len(names)} metric names in {len(rules)} rules and {len(dashboards)} dashboard queries "
          f"all resolve against {args.exposition}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
