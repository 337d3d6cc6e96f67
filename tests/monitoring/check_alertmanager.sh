#!/usr/bin/env bash
# Static Alertmanager checks: the config parses, and the routing tree sends each severity to
# the intended receiver -- for fixed cases and for every alert defined in monitoring/rules.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CFG="$ROOT/monitoring/alertmanager.yml"
AMTOOL="${AMTOOL:-amtool}"
fail=0

"$AMTOOL" check-config "$CFG" >/dev/null || { echo "FAIL amtool check-config $CFG"; exit 1; }
echo "ok   amtool check-config"

expect() {  # expect RECEIVER label=value...
    local want="$1"; shift
    local got
    got="$("$AMTOOL" config routes test --config.file="$CFG" "$@" 2>/dev/null | tail -n 1)"
    if [[ "$got" == "$want" ]] && "$AMTOOL" config routes test --config.file="$CFG" --verify.receivers="$want" "$@" >/dev/null 2>&1; then
        echo "ok   $* -> $got"
    else
        echo "FAIL $* -> '$got', expected '$want'"
        fail=1
    fi
}

expect tatou-pager     severity=critical alertname=TatouAuditChainInvalid threat=T-AUDIT-01
expect tatou-oncall    severity=high     alertname=TatouBruteForceDetected threat=T-AUTH-01
expect tatou-ticket    severity=warning  alertname=TatouLoginFailureBurst threat=T-AUTH-01
expect tatou-low-noise severity=info     alertname=TatouContainmentActivity threat=T-ADMIN-01
expect tatou-pager     severity=critical alertname=TatouAdminAuthFailures threat=T-ADMIN-01
# Missing or unknown severity still reaches on-call rather than nobody.
expect tatou-oncall    alertname=SomethingUnlabelled
expect tatou-oncall    severity=bogus alertname=SomethingMislabelled

# The assertion itself can fail: a wrong expectation must be reported by amtool.
if "$AMTOOL" config routes test --config.file="$CFG" --verify.receivers=tatou-low-noise severity=critical >/dev/null 2>&1; then
    echo "FAIL amtool --verify.receivers accepted a wrong receiver"; fail=1
else
    echo "ok   a wrong expected receiver is detected"
fi

# Every alert in the rules, with its own labels, lands on the receiver of its severity.
declare -A RECEIVER=([critical]=tatou-pager [high]=tatou-oncall [warning]=tatou-ticket [info]=tatou-low-noise)
while read -r name severity threat; do
    expect "${RECEIVER[$severity]:-MISSING}" "alertname=$name" "severity=$severity" "threat=$threat"
done < <(python3 - "$ROOT/monitoring/rules" <<'PY'
import glob, sys, yaml
for path in sorted(glob.glob(sys.argv[1] + "/*.yml")):
    for g in yaml.safe_load(open(path))["groups"]:
        for r in g["rules"]:
            if "alert" in r:
                print(r["alert"], r["labels"]["severity"], r["labels"]["threat"])
PY
)

exit $fail
