"""Just enough PromQL lexing for our checkers: which metric names and selectors an expression
uses, and which functions enclose each of them. Not a parser: it masks string literals, label
matchers, range brackets and grouping-label lists (keeping character positions), then reads
identifiers. Good for the expressions we write; it errs on the side of reporting a name.
"""
import re

KEYWORDS = {
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
    "quantile", "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
    "offset", "bool", "inf", "nan", "atan2",
}
COUNTER_SUFFIXES = ("_total", "_bucket", "_count", "_sum")
RANGE_FUNCTIONS = {"rate", "increase", "irate"}
# Series Prometheus makes itself; never in an exposition.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_series_added",
             "scrape_samples_post_metric_relabeling", "ALERTS", "ALERTS_FOR_STATE"}

_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')


def _mask_span(chars, start, end):
    for i in range(start, end):
        chars[i] = " "


def mask(expr):
    """Returns expr with the insides of strings, {...}, [...], grouping lists and Grafana
    variables replaced by spaces (same length)."""
    chars = list(expr)
    i = 0
    n = len(expr)
    while i < n:
        c = expr[i]
        if c in "\"'`":
            j = i + 1
            while j < n and expr[j] != c:
                j += 2 if expr[j] == "\\" else 1
            _mask_span(chars, i + 1, min(j, n))
            i = j + 1
            continue
        if c == "#":  # comment to end of line
            j = expr.find("\n", i)
            j = n if j < 0 else j
            _mask_span(chars, i, j)
            i = j
            continue
        if c in "{[":
            close = "}" if c == "{" else "]"
            j = i + 1
            while j < n and expr[j] != close:
                if expr[j] == '"':
                    j += 1
                    while j < n and expr[j] != '"':
                        j += 2 if expr[j] == "\\" else 1
                j += 1
            _mask_span(chars, i + 1, min(j, n))
            i = j + 1
            continue
        if c == "$":
            j = i + 1
            if j < n and expr[j] == "{":
                j = expr.find("}", j)
                j = n if j < 0 else j + 1
            else:
                while j < n and (expr[j].isalnum() or expr[j] == "_"):
                    j += 1
            _mask_span(chars, i, j)
            i = j
            continue
        i += 1
    masked = "".join(chars)
    # by (a, b) / without (...) / on (...) / ignoring (...) / group_left (...) / group_right (...)
    for m in re.finditer(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)", masked):
        chars = list(masked)
        _mask_span(chars, m.start(2), m.end(2))
        masked = "".join(chars)
    return masked


def _is_number_context(masked, start):
    # 1e3, 0x1f, durations like 5m: an identifier glued to a preceding digit or dot.
    return start > 0 and (masked[start - 1].isdigit() or masked[start - 1] == ".")


def metric_occurrences(expr):
    """[(name, start, end)] for every metric name used in expr."""
    masked = mask(expr)
    out = []
    for m in _IDENT.finditer(masked):
        name = m.group(0)
        if name.lower() in KEYWORDS or _is_number_context(masked, m.start()):
            continue
        rest = masked[m.end():].lstrip()
        if rest.startswith("("):  # a function call
            continue
        out.append((name, m.start(), m.end()))
    return out


def metric_names(expr):
    return {name for name, _, _ in metric_occurrences(expr)}


def enclosing_functions(expr, position):
    """Names of the function calls around position, innermost first ('' for bare parentheses)."""
    masked = mask(expr)
    names = []
    depth = 0
    i = position - 1
    while i >= 0:
        c = masked[i]
        if c == ")":
            depth += 1
        elif c == "(":
            if depth == 0:
                j = i - 1
                while j >= 0 and masked[j].isspace():
                    j -= 1
                k = j
                while k >= 0 and (masked[k].isalnum() or masked[k] in "_:"):
                    k -= 1
                ident = masked[k + 1:j + 1]
                if ident in ("by", "without"):  # `sum by (x) (` : the aggregation is further left
                    ident = ""
                names.append(ident)
            else:
                depth -= 1
        i -= 1
    return names


def selectors(expr):
    """[(name, [(label, op, value)])] for every metric occurrence, with its label matchers."""
    out = []
    for name, start, end in metric_occurrences(expr):
        rest = expr[end:]
        stripped = rest.lstrip()
        matchers = []
        if stripped.startswith("{"):
            body_start = end + (len(rest) - len(stripped)) + 1
            close = expr.find("}", body_start)
            body = expr[body_start:close if close >= 0 else len(expr)]
            matchers = [(m.group(1), m.group(2), m.group(3)) for m in _MATCHER.finditer(body)]
        out.append((name, matchers))
    return out


def counter_violations(expr):
    """Messages for counter-like series (_total/_bucket/_count/_sum) not inside rate/increase/irate,
    and _bucket series not under histogram_quantile."""
    problems = []
    for name, start, _ in metric_occurrences(expr):
        if not name.endswith(COUNTER_SUFFIXES):
            continue
        funcs = enclosing_functions(expr, start)
        inner = next((f for f in funcs if f), "")
        if inner not in RANGE_FUNCTIONS:
            problems.append(f"{name} is used without rate()/increase() (innermost function: {inner or 'none'})")
        if name.endswith("_bucket") and "histogram_quantile" not in funcs:
            problems.append(f"{name} is used outside histogram_quantile()")
    return problems


def parse_exposition(text):
    """{name: [labels dict]} for every sample line, plus {name: type} from # TYPE lines."""
    series, types = {}, {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split()
            if len(parts) >= 4 and parts[1] == "TYPE":
                types[parts[2]] = parts[3]
            continue
        m = re.match(r"([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s+\S+", line)
        if not m:
            continue
        labels = {}
        if m.group(3):
            for lm in re.finditer(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3)):
                labels[lm.group(1)] = lm.group(2)
        series.setdefault(m.group(1), []).append(labels)
    return series, types


def matcher_holds(labels, label, op, value):
    actual = labels.get(label, "")
    if op == "=":
        return actual == value
    if op == "!=":
        return actual != value
    anchored = re.fullmatch(value, actual) is not None
    return anchored if op == "=~" else not anchored
