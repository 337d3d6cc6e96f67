#!/usr/bin/env python3
"""Checks the alerting rules against the conventions in docs/metrics.md and their promtool tests.

For every alerting rule in --rules (default monitoring/rules/*.yml):
  * labels: severity in {critical, high, warning, info}; threat like T-AUTH-01 and listed in
    the threat table of --metrics-doc;
  * annotations: summary, description, runbook_url; runbook_url is docs/playbooks/<file>.md,
    the file exists in --playbooks and its "## Alerts" section names the alert;
  * counters (_total/_bucket/_count/_sum) only inside rate()/increase()/irate();
  * alert names unique and CamelCase with the Tatou prefix.
For the promtool tests in --tests (default monitoring/tests/*.yml):
  * every alert has >= 1 alert_rule_test with non-empty exp_alerts (it fires) and >= 1 with an
    empty exp_alerts (it must not fire);
  * every alertname a test names is defined in the rule files that test file loads (otherwise a
    "does not fire" case passes vacuously);
  * every rule file is loaded by some test file.
Exit 0 when all hold; otherwise each problem on stderr and exit 1.
"""
import argparse
import glob
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promql  # noqa: E402

SEVERITIES = {"critical", "high", "warning", "info"}
THREAT_RE = re.compile(r"^T-[A-Z]+-\d{2}$")
RUNBOOK_PREFIX = "docs/playbooks/"
REQUIRED_ANNOTATIONS = ("summary", "description", "runbook_url")


def playbook_alerts(directory):
    """{playbook file name: alert names in its '## Alerts' section}."""
    out = {}
    for path in sorted(glob.glob(os.path.join(directory, "pb-*.md"))):
        with open(path, encoding="utf-8") as f:
            section = re.search(r"^## Alerts\s*$(.*?)(?=^## |\Z)", f.read(), re.M | re.S)
        out[os.path.basename(path)] = set(re.findall(r"\bTatou[A-Za-z0-9]+\b", section.group(1))) if section else set()
    return out


def documented_threats(markdown):
    return set(re.findall(r"\|\s*`?(T-[A-Z]+-\d{2})`?\s*\|", markdown))


def documented_alerts(markdown):
    """Alert names in the first column of a Markdown table."""
    return set(re.findall(r"^\|\s*`?(Tatou[A-Za-z0-9]+)`?\s*\|", markdown, re.M))


def load_rules(paths):
    """{alert name: (file, rule)} and a list of problems."""
    alerts, problems = {}, []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f) or {}
        for group in doc.get("groups", []):
            for rule in group.get("rules", []):
                name = rule.get("alert")
                if not name:
                    continue
                if name in alerts:
                    problems.append(f"{path}: alert {name} defined twice")
                alerts[name] = (path, rule)
    return alerts, problems


def check_rule(name, path, rule, playbooks, threats):
    problems = []
    where = f"{path}: {name}"
    if not re.fullmatch(r"Tatou[A-Z][A-Za-z0-9]*", name):
        problems.append(f"{where}: alert names are CamelCase starting with Tatou")
    labels = rule.get("labels") or {}
    annotations = rule.get("annotations") or {}
    severity = labels.get("severity")
    if severity not in SEVERITIES:
        problems.append(f"{where}: label severity={severity!r} not in {sorted(SEVERITIES)}")
    threat = labels.get("threat")
    if not threat or not THREAT_RE.match(str(threat)):
        problems.append(f"{where}: label threat={threat!r} is not a threat id like T-AUTH-01")
    elif threats is not None and threat not in threats:
        problems.append(f"{where}: threat {threat} is not in the threat table of docs/metrics.md")
    for key in REQUIRED_ANNOTATIONS:
        if not str(annotations.get(key, "")).strip():
            problems.append(f"{where}: annotation {key} missing or empty")
    url = str(annotations.get("runbook_url", ""))
    if url:
        book = url[len(RUNBOOK_PREFIX):]
        if not url.startswith(RUNBOOK_PREFIX):
            problems.append(f"{where}: runbook_url {url!r} does not point into {RUNBOOK_PREFIX}")
        elif book not in playbooks:
            problems.append(f"{where}: runbook_url {url!r}: no playbook {book}")
        elif name not in playbooks[book]:
            problems.append(f"{where}: runbook_url {url!r}: the playbook's Alerts section does not list {name}")
    for problem in promql.counter_violations(str(rule.get("expr", ""))):
        problems.append(f"{where}: {problem}")
    return problems


def check_tests(test_paths, rule_paths, alerts):
    problems = []
    fires, quiet = {}, {}
    loaded_rule_files = set()
    for path in test_paths:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f) or {}
        base = os.path.dirname(os.path.abspath(path))
        loaded = [os.path.normpath(os.path.join(base, p)) for p in doc.get("rule_files", [])]
        loaded_rule_files.update(loaded)
        names_here = {n for n, (p, _) in alerts.items() if os.path.abspath(p) in loaded}
        for i, test in enumerate(doc.get("tests") or []):
            for case in test.get("alert_rule_test") or []:
                name = case.get("alertname")
                if name not in names_here:
                    problems.append(f"{path}: test {i} names alert {name!r}, which the rule files this test "
                                    f"loads do not define")
                    continue
                if case.get("exp_alerts"):
                    fires[name] = fires.get(name, 0) + 1
                else:
                    quiet[name] = quiet.get(name, 0) + 1
    for name in sorted(alerts):
        if not fires.get(name):
            problems.append(f"alert {name}: no promtool case where it fires (non-empty exp_alerts)")
        if not quiet.get(name):
            problems.append(f"alert {name}: no promtool case where it must not fire (empty exp_alerts)")
    for path in rule_paths:
        if os.path.abspath(path) not in loaded_rule_files:
            problems.append(f"{path}: no test file loads this rule file")
    return problems, fires, quiet


def main(argv=None):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rules", default=os.path.join(root, "monitoring", "rules"))
    ap.add_argument("--tests", default=os.path.join(root, "monitoring", "tests"))
    ap.add_argument("--playbooks", default=os.path.join(root, "docs", "playbooks"), help="the playbooks directory")
    ap.add_argument("--metrics-doc", default=os.path.join(root, "docs", "metrics.md"),
                    help="where the threat table lives ('' to skip the threat-table check)")
    ap.add_argument("--min-alerts", type=int, default=12)
    args = ap.parse_args(argv)

    rule_paths = sorted(glob.glob(os.path.join(args.rules, "*.yml")))
    test_paths = sorted(glob.glob(os.path.join(args.tests, "*.yml")))
    if not rule_paths:
        print(f"no rule files in {args.rules}", file=sys.stderr)
        return 1
    playbooks = playbook_alerts(args.playbooks)
    threats = doc_alerts = None
    if args.metrics_doc:
        with open(args.metrics_doc, encoding="utf-8") as f:
            text = f.read()
        threats, doc_alerts = documented_threats(text), documented_alerts(text)

    alerts, problems = load_rules(rule_paths)
    if len(alerts) < args.min_alerts:
        problems.append(f"only {len(alerts)} alerts; at least {args.min_alerts} required")
    for name, (path, rule) in sorted(alerts.items()):
        problems += check_rule(name, path, rule, playbooks, threats)
    if doc_alerts is not None:
        for name in sorted(set(alerts) - doc_alerts):
            problems.append(f"alert {name} has no row in the alert table of {args.metrics_doc}")
        for name in sorted(doc_alerts - set(alerts)):
            problems.append(f"{args.metrics_doc} documents alert {name}, which no rule defines")
    test_problems, fires, quiet = check_tests(test_paths, rule_paths, alerts)
    problems += test_problems

    if problems:
        for p in problems:
            print(f"FAIL {p}", file=sys.stderr)
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"OK: {len(alerts)} alerts in {len(rule_paths)} files; each fires in >=1 and stays quiet in >=1 "
          f"promtool case ({sum(fires.values())} firing, {sum(quiet.values())} quiet cases); labels, "
          f"annotations and runbooks (each playbook lists its alerts) present")
    return 0


if __name__ == "__main__":
    sys.exit(main())
