#!/usr/bin/env python3
"""Checks security/traceability.yaml against the repository: every threat in
docs/threat_model.md has controls, events, metrics, alerts, a playbook, drills and tests, and every name
it references exists, and names under `attacks` the tests that perform the attack: each a named test
(file::Class or file::Class.test, not a whole file) that exists, whose class the threat's row in
the threat model names. Exit 0 when all hold; otherwise each problem is printed and exit 1.

usage: check_traceability.py [--root DIR] [--file security/traceability.yaml]
"""
import argparse
import os
import re
import sys

import yaml

REQUIRED = ("controls", "events", "metrics", "alerts", "playbook", "drills", "attacks", "tests")


def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def load(root):
    read = lambda p: open(os.path.join(root, p), encoding="utf-8").read()
    vocabulary = set(re.findall(r"^\s+X\((\w+),", read("src/obs/vocabulary.hpp"), re.M))
    metrics = set(re.findall(r'"((?:tatou|process)_[a-z0-9_]+)"', read("src/obs/metrics.cpp")))
    alerts = set()
    rules = os.path.join(root, "monitoring", "rules")
    for name in os.listdir(rules):
        if name.endswith((".yml", ".yaml")):
            for group in yaml.safe_load(read(os.path.join("monitoring", "rules", name)))["groups"]:
                alerts |= {r["alert"] for r in group["rules"] if "alert" in r}
    playbooks = set(re.findall(r"^### (PB-\d\d)\b", read("docs/incident_response.md"), re.M))
    rows = dict(re.findall(r"^\| (T-[A-Z]+-\d\d) \|(.*)$", read("docs/threat_model.md"), re.M))
    threats = set(rows)
    drills = set(re.findall(r'^\s+\{"([a-z0-9_]+)", "', read("src/ops/drills/runner.cpp"), re.M))
    return vocabulary, metrics, alerts, playbooks, threats, drills, rows


def test_exists(root, ref):
    path, _, name = ref.partition("::")
    full = os.path.join(root, path)
    if not os.path.isfile(full):
        return False
    if not name:
        return True
    text = open(full, encoding="utf-8").read()
    if path.endswith(".py"):
        cls, _, fn = name.partition(".")
        return re.search(rf"^class {re.escape(cls)}\b", text, re.M) is not None and \
            (not fn or re.search(rf"def {re.escape(fn)}\(", text) is not None)
    suite, _, test = name.partition(".")  # GoogleTest: Suite.Name
    return re.search(rf"TEST(_P|_F)?\(\s*{re.escape(suite)}\s*,\s*{re.escape(test)}\s*\)", text) is not None


def check(root, trace_file):
    vocabulary, metrics, alerts, playbooks, threats, drills, rows = load(root)
    data = yaml.safe_load(open(os.path.join(root, trace_file), encoding="utf-8"))["threats"]
    problems = []
    for t in sorted(threats - set(data)):
        problems.append(f"{t}: in the threat model but not traced")
    for t in sorted(set(data) - threats):
        problems.append(f"{t}: traced but not in the threat model")
    for tid, entry in sorted(data.items()):
        for key in REQUIRED:
            if not entry.get(key):
                problems.append(f"{tid}: no {key}")
        for c in entry.get("controls", []):
            if not os.path.isfile(os.path.join(root, c)):
                problems.append(f"{tid}: control file {c} does not exist")
        for e in entry.get("events", []):
            if e not in vocabulary:
                problems.append(f"{tid}: event {e} is not in the audit vocabulary")
        for m in entry.get("metrics", []):
            if m not in metrics:
                problems.append(f"{tid}: metric {m} is not exported")
        for a in entry.get("alerts", []):
            if a not in alerts:
                problems.append(f"{tid}: alert {a} is not in monitoring/rules")
        if entry.get("playbook") and entry["playbook"] not in playbooks:
            problems.append(f"{tid}: playbook {entry['playbook']} has no heading in docs/incident_response.md")
        for d in entry.get("drills", []):
            if d not in drills:
                problems.append(f"{tid}: drill {d} is not in tatou drill list")
        for ref in entry.get("attacks", []):
            path, _, name = ref.partition("::")
            if not name:
                problems.append(f"{tid}: attack test {ref} names a file, not the test that performs the attack")
            elif not test_exists(root, ref):
                problems.append(f"{tid}: attack test {ref} does not exist")
            elif not re.search(rf"\b{re.escape(name.split('.')[0])}\b", rows.get(tid, "")):
                problems.append(f"{tid}: attack test {name.split('.')[0]} is not named in its threat model row")
        for ref in entry.get("tests", []):
            if not test_exists(root, ref):
                problems.append(f"{tid}: test {ref} does not exist")
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--file", default="security/traceability.yaml")
    ap.add_argument("--self-test", action="store_true", help="also prove a broken reference is reported")
    args = ap.parse_args()
    problems = check(args.root, args.file)
    for p in problems:
        print("FAIL:", p)
    if args.self_test and not problems:
        import shutil
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            broken = os.path.join(tmp, "trace.yaml")
            text = open(os.path.join(args.root, args.file), encoding="utf-8").read()
            text = text.replace("TatouAuthzProbing", "TatouAuthzProbingRenamed", 1)
            text = text.replace("[idor]", "[idor_renamed]", 1)
            text = text.replace("    drills: [scanner]\n", "", 1)
            text = text.replace("tests/api/test_bounded.py::HostilePdfTests\n", "tests/api/test_bounded.py\n", 1)
            text = text.replace("test_auth_paths.py::SignUpThrottleTests\n", "test_auth_paths.py::SignUpThrottleTestsGone\n", 1)
            open(broken, "w").write(text)
            found = check(args.root, os.path.relpath(broken, args.root))
            for needle in ("TatouAuthzProbingRenamed", "drill idor_renamed", "T-RECON-01: no drills",
                           "T-UPLOAD-01: attack test tests/api/test_bounded.py names a file",
                           "T-AUTH-03: attack test tests/api/test_auth_paths.py::SignUpThrottleTestsGone does not exist"):
                if not any(needle in p for p in found):
                    print(f"FAIL: self-test: '{needle}' was not reported")
                    return 1
    print(f"traceability: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
