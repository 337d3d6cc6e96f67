#!/usr/bin/env python3
"""Lints docs/threat_model.md: every STRIDE row names DFD elements (docs/threat-model/dfd.dot)
and assets (the Assets table) that exist, uses only STRIDE letters, and states risk = L × I
with the band of the Scale section; every attack-tree leaf under an OR has a detection (an
audit event, an alert) or a recorded **gap**, and every AND group has at least one such child.
Exit 0 when all hold; otherwise each problem is printed and exit 1.

usage: check_threat_model.py [--root DIR] [--self-test]
"""
import argparse
import os
import re
import sys
import tempfile

BANDS = [(1, 3, "low"), (4, 6, "medium"), (8, 9, "high"), (12, 16, "critical")]


def band(risk):
    for lo, hi, name in BANDS:
        if lo <= risk <= hi:
            return name
    return None


def dfd_elements(dot_text):
    return set(re.findall(r'label="([EPDF]\d+) ', dot_text))


def tree_problems(lines, start_line, vocabulary, alerts):
    """Attack-tree lines as (indent, text, lineno); returns problems."""
    problems = []
    items = []
    for no, line in lines:
        m = re.match(r"^(\s*)- (.*)$", line)
        if m:
            items.append((len(m.group(1)), m.group(2).strip(), no))

    def detected(text):
        if "*detect:*" not in text:
            return False
        clause = text.split("*detect:*", 1)[1]
        if "**gap**" in clause or clause.strip().startswith("not needed"):
            return True
        named = re.findall(r"`([a-z_]+)`", clause) + re.findall(r"\b(Tatou[A-Za-z0-9]+)\b", clause)
        metric = re.search(r"`tatou_[a-z0-9_]+`", clause)
        return any(n in vocabulary or n in alerts for n in named) or metric is not None or "tatou audit verify" in clause

    # children[i] = indices of items directly under item i
    children = {i: [] for i in range(len(items))}
    stack = []
    for i, (ind, _, _) in enumerate(items):
        while stack and items[stack[-1]][0] >= ind:
            stack.pop()
        if stack:
            children[stack[-1]].append(i)
        stack.append(i)
    parent_kind = {}
    for i, (_, text, _) in enumerate(items):
        for c in children[i]:
            parent_kind[c] = text
    for i, (_, text, no) in enumerate(items):
        if text in ("OR", "AND"):
            if text == "AND" and not any(detected(items[c][1]) for c in children[i] if not children[c]):
                problems.append(f"line {no}: AND group without any detected or gap-recorded child")
            continue
        if children[i]:
            continue  # an inner node: its leaves carry the detection
        if parent_kind.get(i) == "AND":
            continue  # one detected child suffices for an AND group (checked above)
        if not detected(text):
            problems.append(f"line {no}: leaf '{text[:60]}' has no *detect:* event/alert or **gap**")
    return problems


def check(root, model_path="docs/threat_model.md"):
    read = lambda p: open(os.path.join(root, p), encoding="utf-8").read()
    text = read(model_path)
    elements = dfd_elements(read("docs/threat-model/dfd.dot"))
    assets = set(re.findall(r"^\| (A\d+) \|", text, re.M))
    vocabulary = set(re.findall(r"^\s+X\((\w+),", read("src/obs/vocabulary.hpp"), re.M))
    alerts = set()
    for name in os.listdir(os.path.join(root, "monitoring", "rules")):
        alerts |= set(re.findall(r"^\s*- alert: (\w+)", read(os.path.join("monitoring", "rules", name)), re.M))
    problems = []
    if len(elements) < 10:
        problems.append(f"dfd.dot: only {len(elements)} labelled elements found")
    rows = 0
    lines = text.split("\n")
    for no, line in enumerate(lines, 1):
        m = re.match(r"^\| (T-[A-Z]+-\d\d) \|", line)
        if not m:
            continue
        rows += 1
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 10:
            problems.append(f"line {no}: {m.group(1)} has {len(cells)} columns, expected 10")
            continue
        tid, stride, elems, assets_cell, _, _, l, i, risk, band_cell = cells
        for letter in re.split(r",\s*", stride):
            if letter not in "STRIDE" or len(letter) != 1:
                problems.append(f"line {no}: {tid}: '{letter}' is not a STRIDE letter")
        for e in re.split(r",\s*", elems):
            if e not in elements:
                problems.append(f"line {no}: {tid}: element {e} is not in the DFD")
        for a in re.split(r",\s*", assets_cell):
            if a not in assets:
                problems.append(f"line {no}: {tid}: asset {a} is not in the Assets table")
        try:
            l, i, risk = int(l), int(i), int(risk)
        except ValueError:
            problems.append(f"line {no}: {tid}: L, I and Risk must be integers")
            continue
        if not (1 <= l <= 4 and 1 <= i <= 4):
            problems.append(f"line {no}: {tid}: L and I must be 1..4")
        if risk != l * i:
            problems.append(f"line {no}: {tid}: risk {risk} is not L×I = {l * i}")
        if band(l * i) != band_cell:
            problems.append(f"line {no}: {tid}: band '{band_cell}' but L×I = {l * i} is '{band(l * i)}'")
    if rows == 0:
        problems.append("no STRIDE rows found")
    start = next((n for n, l_ in enumerate(lines, 1) if l_.startswith("## Attack trees")), None)
    end = next((n for n, l_ in enumerate(lines, 1) if start and n > start and l_.startswith("## ")), len(lines) + 1)
    if start is None:
        problems.append("no '## Attack trees' section")
    else:
        tree = [(n, lines[n - 1]) for n in range(start + 1, end)]
        problems += tree_problems(tree, start, vocabulary, alerts)
    return problems, rows


def self_test(root):
    text = open(os.path.join(root, "docs/threat_model.md"), encoding="utf-8").read()
    mutations = {
        "wrong risk": (re.sub(r"(\| T-AUTH-01 \|.*\| 2 \| 3 \| )6( \|)", r"\g<1>7\2", text, count=1), "risk 7"),
        "unknown element": (text.replace("| S | E1, F1, P2 |", "| S | E1, F99, P2 |", 1), "F99"),
        "leaf without detection": (text.replace("→ *detect:* `sequence_fail`", "", 1), "Replay or skip"),
        "wrong band": (text.replace("| 1 | 3 | 3 | low |", "| 1 | 3 | 3 | medium |", 1), "band 'medium'"),
    }
    failed = False
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        for name, (mutated, needle) in mutations.items():
            if mutated == text:
                print(f"FAIL: self-test '{name}': the mutation did not apply")
                failed = True
                continue
            path = os.path.join(tmp, "tm.md")
            open(path, "w", encoding="utf-8").write(mutated)
            found, _ = check(root, os.path.relpath(path, root))
            if not any(needle in p for p in found):
                print(f"FAIL: self-test '{name}' was not reported: {found}")
                failed = True
    return not failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    problems, rows = check(args.root)
    for p in problems:
        print("FAIL:", p)
    ok = not problems and (not args.self_test or self_test(args.root))
    print(f"threat model: {rows} STRIDE rows, {len(problems)} problem(s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
