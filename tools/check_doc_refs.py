#!/usr/bin/env python3
"""Checks that what the documentation names exists: files, metrics, alerts, audit actions, audit
record fields, settings and `tatou` command lines.

    tools/check_doc_refs.py [--root DIR] [--tatou BUILD/src/tatou] [--metrics FILE|URL] [-v]
    tools/check_doc_refs.py --self-test [--tatou BIN]

Scans README.md and docs/**/*.md (prose, inline code and fenced code blocks) for:

  paths     repository paths starting with a top-level folder (`src/obs/audit_log.cpp`,
            `monitoring/rules/*.yml`, `tests/api/`; globs must match something) and relative
            Markdown links, including `#anchors` into Markdown files (GitHub heading slugs);
  metrics   `tatou_*` and `process_*` names: a family of the exposition given with --metrics
            (a file, `-` or an http URL of a live /metrics), otherwise of src/obs/metrics.cpp;
            histograms also as _bucket/_sum/_count;
  alerts    `Tatou*` CamelCase names, and any name in a table column headed "Alert(s)" or in
            inline code under an "Alerts" heading: defined in monitoring/rules/*.yml. In tables
            with an Alert column and a Severity/Label column the severity must be the rule's
            `severity` label (and a SEVn next to it must match critical=1 … info=4); the table
            under a "Severity matrix" heading must list every alert exactly once;
  actions   `event.action=="…"` in jq, `--action …`, `action=~"…"` on
            tatou_security_events_total, and inline code shaped like a vocabulary name
            (`authn_…`, `malicious_…`, …): in src/obs/vocabulary.hpp (drill names and database
            identifiers of the same shape are recognised and left alone);
  fields    `.a.b` paths in jq programs: fields of docs/audit-record.schema.json;
  settings  `TATOU_*` names: used somewhere in the sources, tests or deployment files;
  commands  `tatou <sub> [<subsub>] … --flag` in inline code and code blocks: every
            subcommand and option exists at that position, read from `tatou … --help` of the
            binary given with --tatou (without it command lines are not checked, and the
            summary says so).

Prints each bad reference as file:line and exits 1; exits 0 with a summary of what was checked.
--self-test feeds a document with a bogus file, link anchor, metric, alert, severity, action,
field, setting, subcommand and flag (against a stand-in `tatou` unless --tatou is given) and
fails unless every one is reported and a clean document passes.
"""
import argparse
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import urllib.request

TOP_DIRS = ("src", "monitoring", "docs", "tools", "tests", "deploy", "bench", "scripts", "security",
            "fuzz", "web", "cmake")
PATH_RE = re.compile(r"(?<![\w./$~<>@-])((?:%s)/[A-Za-z0-9_.*/+-]*)" % "|".join(TOP_DIRS))
LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SPAN_RE = re.compile(r"`([^`]+)`")
METRIC_RE = re.compile(r"(?<![\w.-])(tatou_[a-z0-9_]+|process_(?:cpu|resident|virtual|open|max|start)[a-z0-9_]*)(\*?)")
ALERT_RE = re.compile(r"\b(Tatou[A-Z][A-Za-z0-9]*)\b")
CAMEL_RE = re.compile(r"\b([A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+)\b")
ACTION_EQ_RE = re.compile(r"\.event\.action\s*==\s*\"([^\"]+)\"")
ACTION_OPT_RE = re.compile(r"--action[ =]+([a-z][a-z0-9_]*)\b")  # upper case = a placeholder
SEC_EVENTS_RE = re.compile(r"tatou_security_events_total\{([^}]*)\}")
ACTION_LABEL_RE = re.compile(r"action\s*=~?\s*\"([^\"]*)\"")
VOCAB_SHAPE_RE = re.compile(
    r"(?:authn|authz|session|excess|user|upload|input|malicious|sensitive|sequence|crypt|rmap|sys|ip|key)"
    r"_[a-z0-9_]+")
SETTING_RE = re.compile(r"\b(TATOU_[A-Z0-9_]+)\b")
JQ_PATH_RE = re.compile(r"(?<![\w\])\"$/.-])\.((?:\"@timestamp\"|@timestamp|[A-Za-z_][A-Za-z0-9_]*)"
                        r"(?:\.[A-Za-z_][A-Za-z0-9_]*)*)")
SEVERITIES = {"critical": 1, "high": 2, "warning": 3, "info": 4}
SHELL_STOP = {"|", "||", "&&", ";", ">", ">>", "2>", "2>&1", "<", "&", ")"}


def github_slug(heading):
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def heading_anchors(markdown):
    anchors, seen, fence = set(), {}, None
    for line in markdown.splitlines():
        m = re.match(r"^\s*(```+|~~~+)", line)
        if m:
            fence = None if fence and m.group(1)[0] == fence else (fence or m.group(1)[0])
            continue
        m = None if fence else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            slug = github_slug(m.group(1))
            n = seen.get(slug, 0)
            anchors.add(slug if n == 0 else f"{slug}-{n}")
            seen[slug] = n + 1
    return anchors


# --------------------------------------------------------------------------- what exists

class Cli:
    """Subcommands and options of one command level, from CLI11 --help output."""

    def __init__(self):
        self.options = {}      # name -> takes a value
        self.positionals = []
        self.subs = {}         # name -> Cli


def parse_help(text):
    level, section = Cli(), None
    for line in text.splitlines():
        head = line.strip().rstrip(":").lower()
        if line and not line[0].isspace() and head in ("options", "positionals", "subcommands"):
            section = head
            continue
        if not line.strip() or not line.startswith(" ") or len(line) - len(line.lstrip()) > 6:
            if line and not line[0].isspace():
                section = None
            continue
        first = re.split(r"\s{2,}", line.strip())[0]
        parts = first.split(" ")
        if section == "options" and parts[0].startswith("-"):
            takes = len(parts) > 1 and re.match(r"^[A-Z][A-Z0-9_]*(:|\b)", parts[1]) is not None
            for name in parts[0].split(","):
                level.options[name] = takes
        elif section == "positionals":
            level.positionals.append(parts[0])
        elif section == "subcommands" and re.match(r"^[a-z][a-z0-9-]*$", parts[0]):
            level.subs[parts[0]] = None
    return level


def load_cli(binary, path=(), depth=0):
    out = subprocess.run([binary, *path, "--help"], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise RuntimeError(f"`{binary} {' '.join(path)} --help` exited {out.returncode}: {out.stderr.strip()}")
    level = parse_help(out.stdout)
    if depth < 3:
        for name in list(level.subs):
            level.subs[name] = load_cli(binary, (*path, name), depth + 1)
    return level


def read_exposition(source):
    if source == "-":
        return sys.stdin.read()
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=10) as r:  # noqa: S310 (operator-given URL)
            return r.read().decode("utf-8")
    with open(source, encoding="utf-8") as f:
        return f.read()


def metric_names_from_exposition(text):
    names = set()
    for line in text.splitlines():
        m = re.match(r"^# TYPE (\S+) (\w+)", line)
        if m:
            names.add(m.group(1))
            if m.group(2) in ("histogram", "summary"):
                names |= {m.group(1) + s for s in ("_bucket", "_sum", "_count")}
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, 1)[0])
    return names


def metric_names_from_source(root):
    text = open(os.path.join(root, "src", "obs", "metrics.cpp"), encoding="utf-8").read()
    names = set(re.findall(r'"((?:tatou|process)_[a-z0-9_]+)"', text))
    for name in re.findall(r'"((?:tatou|process)_[a-z0-9_]+)",\s*"histogram"', text):
        names |= {name + s for s in ("_bucket", "_sum", "_count")}
    return names


def load_alerts(root):
    """{alert: severity} from monitoring/rules/*.yml (line-based; the rule files are plain YAML)."""
    alerts, current = {}, None
    for path in sorted(glob.glob(os.path.join(root, "monitoring", "rules", "*.y*ml"))):
        for line in open(path, encoding="utf-8"):
            m = re.match(r"^\s*-\s*(alert|record):\s*['\"]?([\w:]+)", line)
            if m:
                current = m.group(2) if m.group(1) == "alert" else None
                if current:
                    alerts[current] = None
                continue
            m = re.match(r"^\s*severity:\s*['\"]?(\w+)", line)
            if m and current and alerts[current] is None:
                alerts[current] = m.group(1)
    return alerts


def schema_fields(root):
    schema = json.load(open(os.path.join(root, "docs", "audit-record.schema.json"), encoding="utf-8"))
    fields = set()

    def walk(node, prefix):
        for key, sub in (node.get("properties") or {}).items():
            fields.add(prefix + key)
            walk(sub, prefix + key + ".")
    walk(schema, "")
    return fields


class Model:
    def __init__(self, root, tatou=None, metrics=None):
        self.root = root
        read = lambda *p: open(os.path.join(root, *p), encoding="utf-8").read()  # noqa: E731
        self.vocabulary = set(re.findall(r"^\s+X\((\w+),", read("src", "obs", "vocabulary.hpp"), re.M))
        self.metrics_source = "exposition " + metrics if metrics else "src/obs/metrics.cpp"
        self.metrics = metric_names_from_exposition(read_exposition(metrics)) if metrics \
            else metric_names_from_source(root)
        self.alerts = load_alerts(root)
        self.fields = schema_fields(root)
        # Identifiers shaped like audit actions that are something else: drill names, SQL names.
        other = ""
        for p in glob.glob(os.path.join(root, "src", "ops", "drills", "*.cpp")) + \
                glob.glob(os.path.join(root, "src", "store", "*.cpp")):
            other += open(p, encoding="utf-8").read()
        self.not_actions = set(re.findall(r"\b[a-z][a-z0-9_]*\b", other)) - self.vocabulary
        # The limits table's field names (docs/limits.md).
        self.not_actions |= set(re.findall(r"^\s+X\((\w+),", read("src", "config", "limits.hpp"), re.M))
        # CMake targets named tatou_* are not metrics.
        targets = set()
        for p in glob.glob(os.path.join(root, "**", "CMakeLists.txt"), recursive=True):
            if os.sep + "build" not in p[len(root):]:
                targets |= set(re.findall(r"add_(?:library|executable)\(\s*(\w+)", open(p, encoding="utf-8").read()))
        self.targets = targets
        self.settings = set()
        for sub in ("src", "tests", "deploy", "scripts", "cmake", "monitoring", "bench", "tools", "fuzz"):
            for p in glob.glob(os.path.join(root, sub, "**", "*"), recursive=True):
                if os.path.isfile(p) and os.path.getsize(p) < 2_000_000 and \
                        os.path.abspath(p) != os.path.abspath(__file__):  # its self-test names bogus ones
                    try:
                        self.settings |= set(SETTING_RE.findall(open(p, encoding="utf-8").read()))
                    except UnicodeDecodeError:
                        pass
        for p in glob.glob(os.path.join(root, "CMakeLists.txt")):
            self.settings |= set(SETTING_RE.findall(open(p, encoding="utf-8").read()))
        self.cli = load_cli(tatou) if tatou else None


# --------------------------------------------------------------------------- the scan

class Checker:
    def __init__(self, model):
        self.m = model
        self.problems = []
        self.counts = {k: 0 for k in ("paths", "links", "metrics", "alerts", "severities", "actions",
                                      "fields", "settings", "commands", "options")}
        self.anchor_cache = {}
        self.seen = []  # (where, kind, name) of every reference checked, for --verbose

    def bad(self, where, kind, name, why):
        self.problems.append(f"{where}: {kind} {name!r} {why}")

    # -- paths and links
    def check_path(self, where, raw):
        path = raw.rstrip(".,:;")
        path = path.split("#", 1)[0]
        if "…" in path or "<" in path or not path:
            return
        self.counts["paths"] += 1
        self.seen.append((where, 'path', path))
        full = os.path.join(self.m.root, path)
        if any(c in path for c in "*?["):
            if not glob.glob(full):
                self.bad(where, "path", path, "matches no file")
        elif not os.path.exists(full):
            self.bad(where, "path", path, "does not exist")

    def anchors_of(self, path):
        if path not in self.anchor_cache:
            self.anchor_cache[path] = heading_anchors(open(path, encoding="utf-8").read())
        return self.anchor_cache[path]

    def check_link(self, where, doc_path, target):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("//"):
            return  # URL (http:, mailto:, …)
        self.counts["links"] += 1
        self.seen.append((where, 'link', target))
        path, _, anchor = target.partition("#")
        full = os.path.normpath(os.path.join(os.path.dirname(doc_path), path)) if path else doc_path
        if path and not os.path.exists(full):
            self.bad(where, "link", target, "points to a file that does not exist")
            return
        if anchor and full.endswith(".md") and os.path.isfile(full) and "…" not in anchor:
            if anchor not in self.anchors_of(full):
                self.bad(where, "link", target, f"anchor #{anchor} is not a heading of "
                         f"{os.path.relpath(full, self.m.root)}")

    # -- names
    def check_metric(self, where, name, prefix=False):
        if name in self.m.targets:
            return
        self.counts["metrics"] += 1
        self.seen.append((where, 'metric', name))
        if prefix:  # `tatou_audit_*`: some family must start so
            if not any(m.startswith(name) for m in self.m.metrics):
                self.bad(where, "metric", name + "*", f"matches no exported family ({self.m.metrics_source})")
        elif name not in self.m.metrics:
            self.bad(where, "metric", name, f"is not exported ({self.m.metrics_source})")

    def check_alert(self, where, name):
        self.counts["alerts"] += 1
        self.seen.append((where, 'alert', name))
        if name not in self.m.alerts:
            self.bad(where, "alert", name, "is not defined in monitoring/rules")

    def check_action(self, where, name):
        self.counts["actions"] += 1
        self.seen.append((where, 'action', name))
        if name not in self.m.vocabulary:
            self.bad(where, "audit action", name, "is not in src/obs/vocabulary.hpp")

    def check_setting(self, where, name):
        self.counts["settings"] += 1
        self.seen.append((where, 'setting', name))
        if name not in self.m.settings:
            self.bad(where, "setting", name, "is not used anywhere in the sources, tests or deployment files")

    def check_jq(self, where, code):
        for m in JQ_PATH_RE.finditer(code):
            path = m.group(1).replace('"', "")
            if path.split(".")[0] not in {f.split(".")[0] for f in self.m.fields}:
                if path.split(".")[0] in ("jsonl", "json", "md", "txt", "sh", "py", "key", "pub", "sig", "sha256"):
                    continue  # a file suffix after a shell variable, not a field
            self.counts["fields"] += 1
            self.seen.append((where, "field", path))
            if path not in self.m.fields:
                self.bad(where, "audit field", path, "is not in docs/audit-record.schema.json")

    # -- command lines
    def check_command(self, where, text):
        if self.m.cli is None:
            return
        for m in re.finditer(r"(?:^|(?<=[\s;|&(`$]))tatou(?=\s+[-a-z])", text):
            rest = text[m.end():]
            try:
                tokens = shlex.split(rest, comments=False, posix=True)
            except ValueError:
                tokens = rest.split()
            self.counts["commands"] += 1
            self.seen.append((where, 'command', rest.split(' | ')[0].strip()))
            self.walk_command(where, tokens)

    def walk_command(self, where, tokens):
        # a command substitution `$(date -u …)` is one word of this command, not its options
        joined, depth = [], 0
        for tok in tokens:
            if depth > 0:
                joined[-1] += " " + tok
            else:
                joined.append(tok)
            depth = max(0, depth + tok.count("$(") - tok.count(")")) if depth or "$(" in tok else 0
        tokens = joined
        level, path, i = self.m.cli, ["tatou"], 0
        while i < len(tokens):
            tok = tokens[i].strip("[]")
            i += 1
            if not tok or tok in SHELL_STOP or tok[0] in ">)`#" or "`" in tok:
                return
            if tok.startswith("-") and len(tok) > 1 and tok != "--":
                name = tok.split("=", 1)[0]
                if not re.match(r"^--?[A-Za-z0-9][A-Za-z0-9-]*$", name):
                    continue
                self.counts["options"] += 1
                self.seen.append((where, 'option', name))
                if name not in level.options:
                    self.bad(where, "option", f"{' '.join(path)} {name}", "does not exist "
                             f"(`{' '.join(path)} --help` lists {', '.join(sorted(level.options)) or 'none'})")
                elif level.options[name] and "=" not in tok:
                    i += 1  # its value
                continue
            if level.subs:
                names = tok.split("|")
                if all(n in level.subs for n in names):
                    if len(names) > 1:
                        return  # an alternation of subcommands: each exists, flags would be ambiguous
                    path.append(tok)
                    level = level.subs[tok]
                    continue
                if not level.positionals and re.match(r"^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*$", tok):
                    unknown = [n for n in names if n not in level.subs]
                    self.bad(where, "subcommand", f"{' '.join(path)} {'|'.join(unknown)}",
                             f"does not exist (`{' '.join(path)} --help` lists {', '.join(sorted(level.subs))})")
                    return
            # a positional argument (or a placeholder): nothing to check

    # -- tables
    def check_table(self, where_of, rows, heading, doc_rel):
        header = [c.strip().strip("*`").lower() for c in rows[0][1]]
        alert_cols = [i for i, h in enumerate(header) if h in ("alert", "alerts")]
        if not alert_cols:
            return
        sev_cols = [i for i, h in enumerate(header) if h in ("severity", "label")]
        sev_level_cols = [i for i, h in enumerate(header) if h in ("opens as", "sev", "level")]
        listed = []
        for lineno, cells in rows[2:]:
            where = where_of(lineno)
            names = []
            for c in alert_cols:
                if c < len(cells):
                    for name in CAMEL_RE.findall(cells[c]):
                        if not ALERT_RE.fullmatch(name):  # Tatou* names are checked everywhere already
                            self.check_alert(where, name)
                        names.append(name)
            listed += names
            for c in sev_cols:
                if c >= len(cells) or len(names) != 1 or names[0] not in self.m.alerts:
                    continue
                cell = cells[c].strip().strip("*`")
                word = re.match(r"^`?(\w+)", cell)
                if not word or word.group(1).lower() not in SEVERITIES:
                    continue
                self.counts["severities"] += 1
                want = self.m.alerts[names[0]]
                if word.group(1).lower() != want:
                    self.bad(where, "severity", f"{names[0]}: {word.group(1)}", f"differs from the rule's "
                             f"severity label {want!r}")
                sev = re.search(r"SEV([1-4])", " ".join(cells[i] for i in [c] + sev_level_cols if i < len(cells)))
                if sev and want in SEVERITIES and int(sev.group(1)) != SEVERITIES[want]:
                    self.bad(where, "severity", f"{names[0]}: SEV{sev.group(1)}",
                             f"does not match label {want!r} (SEV{SEVERITIES[want]})")
        if heading and "severity matrix" in heading.lower():
            self.counts["severities"] += 1
            where = where_of(rows[0][0])
            for name in sorted(set(self.m.alerts) - set(listed)):
                self.bad(where, "alert", name, "is missing from the severity matrix")
            for name in sorted({n for n in listed if listed.count(n) > 1}):
                self.bad(where, "alert", name, "is listed more than once in the severity matrix")

    # -- one document
    def check_doc(self, doc_path, text):
        rel = os.path.relpath(doc_path, self.m.root)
        lines = text.splitlines()
        fence, block, block_start, heading = None, [], 0, ""
        table, table_heading = [], ""

        def flush_table():
            if len(table) >= 2:
                self.check_table(lambda n: f"{rel}:{n}", table, table_heading, rel)
            table.clear()

        for n, line in enumerate(lines, 1):
            where = f"{rel}:{n}"
            m = re.match(r"^\s*(```+|~~~+)", line)
            if m:
                if fence is None:
                    flush_table()
                    fence, block, block_start = m.group(1)[0], [], n + 1
                elif m.group(1)[0] == fence:
                    self.check_block(rel, block_start, block)
                    fence = None
                continue
            if fence:
                block.append(line)
                continue
            h = re.match(r"^#{1,6}\s+(.*)", line)
            if h:
                heading = h.group(1)
            if line.lstrip().startswith("|"):
                if not table:
                    table_heading = heading
                cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
                table.append((n, cells))
            else:
                flush_table()
            self.check_text(where, doc_path, line, heading)
        flush_table()

    def check_text(self, where, doc_path, line, heading):
        spans = SPAN_RE.findall(line)
        prose = SPAN_RE.sub(" ", line)
        for target in LINK_RE.findall(prose):
            self.check_link(where, doc_path, target)
        prose_wo_links = LINK_RE.sub(" ", prose)
        for p in PATH_RE.findall(prose_wo_links):
            self.check_path(where, p)
        self.check_names(where, line.replace("\\|", "|"))
        for span in spans:
            span = span.replace("\\|", "|")
            for p in PATH_RE.findall(span):
                self.check_path(where, p)
            if VOCAB_SHAPE_RE.fullmatch(span) and span not in self.m.not_actions:
                self.check_action(where, span)
            if re.search(r"\bjq\s", span):
                self.check_jq(where, span)
            if heading.strip().lower() in ("alerts", "trigger alerts") and CAMEL_RE.fullmatch(span) \
                    and not ALERT_RE.fullmatch(span):
                self.check_alert(where, span)
            self.check_command(where, span)

    def check_names(self, where, text):
        for name, star in METRIC_RE.findall(text):
            self.check_metric(where, name, prefix=bool(star))
        for name in ALERT_RE.findall(text):
            self.check_alert(where, name)
        for name in ACTION_EQ_RE.findall(text):
            self.check_action(where, name)
        for name in ACTION_OPT_RE.findall(text):
            self.check_action(where, name)
        for labels in SEC_EVENTS_RE.findall(text):
            for value in ACTION_LABEL_RE.findall(labels):
                for name in value.split("|"):
                    if re.fullmatch(r"[a-z0-9_]+", name):
                        self.check_action(where, name)
        for name in SETTING_RE.findall(text):
            self.check_setting(where, name)

    def check_block(self, rel, start, block):
        # join backslash continuations so a command's flags stay with it
        logical, first = [], None
        for k, line in enumerate(block):
            if first is None:
                first, acc = start + k, ""
            stripped = line.rstrip()
            if stripped.endswith("\\"):
                acc += stripped[:-1] + " "
                continue
            logical.append((first, acc + line))
            first = None
        if first is not None:
            logical.append((first, acc))
        has_jq = any(re.search(r"\bjq\s", line) for line in block)
        for lineno, line in logical:
            where = f"{rel}:{lineno}"
            code = re.sub(r"(^|\s)#.*$", "", line)  # shell comments
            for p in PATH_RE.findall(code):
                self.check_path(where, p)
            self.check_names(where, line)
            if has_jq:
                self.check_jq(where, code)
            self.check_command(where, code)


def documents(root):
    docs = [os.path.join(root, "README.md")]
    docs += sorted(glob.glob(os.path.join(root, "docs", "**", "*.md"), recursive=True))
    return [d for d in docs if os.path.isfile(d)]


def run(model, docs, verbose=False):
    checker = Checker(model)
    for path, text in docs:
        checker.check_doc(path, text)
    return checker


def summary(checker, model, ndocs):
    c = checker.counts
    total = sum(v for k, v in c.items() if k != "options")
    parts = ", ".join(f"{k} {v}" for k, v in c.items())
    note = "" if model.cli else "; command lines NOT checked (no --tatou binary given)"
    return f"checked {total} references in {ndocs} documents ({parts}){note}"


# --------------------------------------------------------------------------- self-test

FAKE_HELP = {
    (): "Usage: tatou [OPTIONS] SUBCOMMAND\n\nOptions:\n  -h,--help                   Print this help message and exit\n"
        "  --version                   Display program version information and exit\n\n"
        "Subcommands:\n  admin                       Containment\n  ir                          Incident response\n",
    ("admin",): "Usage: tatou admin [OPTIONS] SUBCOMMAND\n\nOptions:\n  -h,--help                   Print this help\n"
                "  --admin-url TEXT            admin listener\n  --json                      JSON\n\n"
                "Subcommands:\n  block-ip                    Block\n  list                        Show\n",
    ("admin", "block-ip"): "Usage: tatou admin block-ip [OPTIONS] cidr\n\nPositionals:\n  cidr TEXT REQUIRED          address\n\n"
                           "Options:\n  -h,--help                   Print this help\n  --ttl INT                   seconds\n",
    ("admin", "list"): "Usage: tatou admin list [OPTIONS]\n\nOptions:\n  -h,--help                   Print this help\n",
    ("ir",): "Usage: tatou ir [OPTIONS] SUBCOMMAND\n\nOptions:\n  -h,--help                   Print this help\n\n"
             "Subcommands:\n  collect                     Collect\n",
    ("ir", "collect"): "Usage: tatou ir collect [OPTIONS]\n\nOptions:\n  -h,--help                   Print this help\n"
                       "  --since TEXT REQUIRED       start\n  --out TEXT REQUIRED         folder\n",
}

SELF_TEST_BAD = """# Self-test

See `src/obs/no_such_file.cpp` and [the plan](incident_response.md#no-such-heading).

| Alert | Severity |
|---|---|
| TatouDown | warning |
| HighErrorRate | critical |

PromQL: `rate(tatou_bogus_requests_total[5m])`; alert `TatouBogusAlert`.

```sh
jq -c 'select(.event.action=="authn_bogus_action") | {t:."@timestamp", x:.event.bogus_field}' $LOGS
tatou admin block-ip 192.0.2.1/32 --bogus-flag 5
tatou admin frobnicate
tatou ir collect --since 2h --out /tmp/x --nope
```

Set `TATOU_BOGUS_SETTING`.
"""

SELF_TEST_EXPECT = [
    "path 'src/obs/no_such_file.cpp'",
    "link 'incident_response.md#no-such-heading'",
    "severity 'TatouDown: warning'",
    "alert 'HighErrorRate'",
    "metric 'tatou_bogus_requests_total'",
    "alert 'TatouBogusAlert'",
    "audit action 'authn_bogus_action'",
    "audit field 'event.bogus_field'",
    "option 'tatou admin block-ip --bogus-flag'",
    "subcommand 'tatou admin frobnicate'",
    "option 'tatou ir collect --nope'",
    "setting 'TATOU_BOGUS_SETTING'",
]

SELF_TEST_GOOD = """# Clean

See `src/obs/vocabulary.hpp`, `monitoring/rules/*.yml` and [the plan](incident_response.md#severity-matrix).

| Alert | Severity |
|---|---|
| TatouDown | critical (SEV1) |

`sum(increase(tatou_security_events_total{action=~"authn_login_fail_max|authn_login_lock"}[5m]))`,
`tatou_http_request_duration_seconds_bucket`, the `authz_fail` event, `TATOU_DATA_DIR`.

```sh
jq -c 'select(.event.action=="authz_fail") | {t:."@timestamp", ip:.source.ip, d:.tatou.document_id}' $DATA/log/audit.jsonl
tatou admin --admin-url http://127.0.0.1:9464 block-ip 192.0.2.1/32 --ttl 60   # comment --not-a-flag
tatou ir collect --since 2h \\
    --out /tmp/ev-$(date -u +%Y%m%dT%H%MZ)
```
"""


def self_test(root, tatou):
    """Against a stand-in binary with canned CLI11 help, and against the real one if given."""
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        fake = os.path.join(tmp, "tatou")
        with open(fake, "w", encoding="utf-8") as f:
            f.write("#!%s\nimport sys\nHELP = %r\nargs = tuple(a for a in sys.argv[1:] if a != '--help')\n"
                    "print(HELP[args]) if args in HELP else sys.exit(2)\n" % (sys.executable, FAKE_HELP))
        os.chmod(fake, 0o755)
        for label, binary in [("stand-in tatou", fake)] + ([("tatou " + tatou, tatou)] if tatou else []):
            status |= self_test_with(root, binary, label)
    return status


def self_test_with(root, tatou, label):
    model = Model(root, tatou=tatou)
    doc = os.path.join(root, "docs", "self-test.md")  # never written: the text is passed in
    bad = run(model, [(doc, SELF_TEST_BAD)])
    good = run(model, [(doc, SELF_TEST_GOOD)])
    failures = []
    for expect in SELF_TEST_EXPECT:
        if not any(expect in p for p in bad.problems):
            failures.append(f"self-test: not reported: {expect}")
    for p in good.problems:
        failures.append(f"self-test: false positive on the clean document: {p}")
    if bad.problems and not all(re.match(r"^docs/self-test\.md:\d+: ", p) for p in bad.problems):
        failures.append("self-test: problems are not reported as file:line")
    for f in failures:
        print(f, file=sys.stderr)
    if failures:
        print("\n".join(["reported:"] + bad.problems), file=sys.stderr)
        return 1
    print(f"self-test ok ({label}): {len(SELF_TEST_EXPECT)} planted errors reported, clean document passes")
    return 0


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(here), help="repository root")
    ap.add_argument("--tatou", help="built tatou binary: command lines are checked against its --help")
    ap.add_argument("--metrics", help="exposition to check metric names against: file, - or http URL")
    ap.add_argument("--self-test", action="store_true", help="prove the check fails on planted errors")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    root = os.path.abspath(args.root)
    if args.self_test:
        return self_test(root, args.tatou)
    try:
        model = Model(root, tatou=args.tatou, metrics=args.metrics)
    except (OSError, RuntimeError, subprocess.SubprocessError) as e:
        print(f"check_doc_refs: {e}", file=sys.stderr)
        return 2
    docs = [(p, open(p, encoding="utf-8").read()) for p in documents(root)]
    checker = run(model, docs, args.verbose)
    if args.verbose:
        for where, kind, name in checker.seen:
            print(f"{where}: {kind} {name}")
    for p in checker.problems:
        print(p, file=sys.stderr)
    print(summary(checker, model, len(docs)))
    if checker.problems:
        print(f"{len(checker.problems)} bad reference(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
