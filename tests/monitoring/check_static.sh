#!/usr/bin/env bash
# Static monitoring checks (no server needed), each of which must be able to fail:
# rule syntax and promtool unit tests, the alert/test/runbook checker (plus planted mistakes it
# must catch), Alertmanager config and routes, dashboards, and the metric cross-check against
# the sample exposition (plus its self-test).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
fail=0
run() {  # run DESCRIPTION CMD...
    local what="$1"; shift
    local out
    if out="$("$@" 2>&1)"; then
        echo "ok   $what"
    else
        echo "FAIL $what"; echo "$out" | sed 's/^/     /'; fail=1
    fi
}
expect_failure() {  # expect_failure DESCRIPTION NEEDLE CMD...
    local what="$1" needle="$2"; shift 2
    local out
    if out="$("$@" 2>&1)"; then
        echo "FAIL $what: the check passed"; fail=1
    elif grep -qF -- "$needle" <<<"$out"; then
        echo "ok   $what"
    else
        echo "FAIL $what: failed without naming '$needle'"; echo "$out" | sed 's/^/     /'; fail=1
    fi
}

run "promtool check rules"            promtool check rules monitoring/rules/*.yml
run "promtool test rules"             promtool test rules monitoring/tests/*.yml
run "promtool check config"           promtool check config --syntax-only monitoring/prometheus.yml
run "promtool check metrics (sample)" bash -c 'out=$(promtool check metrics < tests/monitoring/sample_exposition.txt 2>&1) && [ -z "$out" ] || { echo "$out"; exit 1; }'
run "alerts: labels, annotations, runbooks, tests" "$PY" tools/check_alert_tests.py

# Planted mistakes the alert checker must report (in a scratch copy).
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/m" "$TMP/docs"
cp -r monitoring/rules monitoring/tests "$TMP/m/"; cp -r docs/playbooks docs/metrics.md "$TMP/docs/"
"$PY" - "$TMP" <<'PY'
import sys, re
tmp = sys.argv[1]
p = f"{tmp}/m/tests/audit_test.yml"
s = open(p).read()
# drop the quiet case of TatouAuditChainInvalid
s = s.replace("      - eval_time: 1m\n        alertname: TatouAuditChainInvalid\n        exp_alerts: []\n", "", 1)
open(p, "w").write(s)
p = f"{tmp}/m/rules/security.yml"
s = open(p).read()
s = s.replace("docs/playbooks/pb-08-honeytoken.md", "docs/playbooks/pb-08-honeytokens.md", 1)
# a runbook that exists but does not cover the alert
s = s.replace("docs/playbooks/pb-10-scanner.md", "docs/playbooks/pb-03-idor.md", 1)
s = s.replace("severity: info", "severity: low", 1)
open(p, "w").write(s)
PY
CHK=("$PY" tools/check_alert_tests.py --rules "$TMP/m/rules" --tests "$TMP/m/tests" --playbooks "$TMP/docs/playbooks" --metrics-doc "$TMP/docs/metrics.md")
expect_failure "alert checker catches a missing quiet case"  "TatouAuditChainInvalid: no promtool case where it must not fire" "${CHK[@]}"
expect_failure "alert checker catches a dangling runbook"    "no playbook pb-08-honeytokens.md" "${CHK[@]}"
expect_failure "alert checker catches a runbook for another alert" "does not list TatouScannerActivity" "${CHK[@]}"
expect_failure "alert checker catches a bad severity"        "severity='low'" "${CHK[@]}"

run "alertmanager config and routes" bash tests/monitoring/check_alertmanager.sh
run "dashboards"                     "$PY" tools/check_dashboards.py
run "dashboards self-test"           "$PY" tools/check_dashboards.py --self-test
run "metric refs vs sample exposition (+ docs/metrics.md)" \
    "$PY" tools/check_metric_refs.py --rules monitoring/rules --dashboards monitoring/grafana \
          --exposition tests/monitoring/sample_exposition.txt --doc docs/metrics.md
run "metric refs self-test"          "$PY" tools/check_metric_refs.py --rules monitoring/rules \
          --dashboards monitoring/grafana --exposition tests/monitoring/sample_exposition.txt --self-test
grep -v 'tatou_audit_events_dropped_total' docs/metrics.md > "$TMP/docs/metrics-missing.md"
expect_failure "metric refs catch an undocumented family" "tatou_audit_events_dropped_total is exported but not documented" \
    "$PY" tools/check_metric_refs.py --rules monitoring/rules --dashboards monitoring/grafana \
          --exposition tests/monitoring/sample_exposition.txt --doc "$TMP/docs/metrics-missing.md"

[ "$fail" = 0 ] && echo "PASS static monitoring checks" || echo "FAILED static monitoring checks"
exit "$fail"
