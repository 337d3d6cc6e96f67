#!/usr/bin/env python3
"""Live check of monitoring/alertmanager.yml's behaviour beyond what `amtool config routes test`
can show: a real Alertmanager on a loopback port (config = ours with waits shortened and the
webhooks pointed at a local sink) receives a critical, a high and a warning alert of threat
T-AVAIL-01 plus a warning of T-AUTH-01. Asserts that the critical one inhibits the high and
warning of its own threat only, and that the sink gets the critical on the pager path and the
uninhibited warning on the ticket path -- and never the inhibited ones. ~5 s; nothing is left
running.
"""
import datetime
import shutil
import sys
import tempfile
import time

import harness as h


def alert(name, severity, threat):
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        "labels": {"alertname": name, "severity": severity, "threat": threat, "job": "tatou"},
        "annotations": {"summary": f"{name} (inhibition test)"},
        "startsAt": now.isoformat(),
        "endsAt": (now + datetime.timedelta(minutes=5)).isoformat(),
    }


def main():
    workdir = tempfile.mkdtemp(prefix="tatou-am-test-")
    procs = h.Processes(workdir)
    deadline = time.monotonic() + 45
    try:
        with h.WebhookSink() as sink:
            port = h.start_alertmanager(procs, workdir, sink.port)
            base = f"http://127.0.0.1:{port}"
            h.wait_until("Alertmanager ready", lambda: h.http_get(base + "/-/ready")[0] == 200, deadline)
            status, body = h.http_json("POST", base + "/api/v2/alerts", [
                alert("TatouDown", "critical", "T-AVAIL-01"),
                alert("TatouHigh5xxRatio", "high", "T-AVAIL-01"),
                alert("TatouLatencyP95High", "warning", "T-AVAIL-01"),
                alert("TatouLoginFailureBurst", "warning", "T-AUTH-01"),
            ])
            if status != 200:
                raise h.TestFailure(f"posting alerts: HTTP {status} {body}")

            expected = {"TatouDown": False, "TatouHigh5xxRatio": True, "TatouLatencyP95High": True,
                        "TatouLoginFailureBurst": False}

            def states():
                _, listed = h.http_json("GET", base + "/api/v2/alerts")
                return {a["labels"]["alertname"]: a["status"] for a in listed}

            def as_expected():
                got = states()
                ok = len(got) == 4 and all(bool(got[n].get("inhibitedBy")) == inh for n, inh in expected.items())
                return got if ok else None

            problems = []
            try:
                got = h.wait_until("the inhibition to take effect", as_expected, time.monotonic() + 10)
            except h.TestFailure:
                got = states()
                problems.append(f"inhibition not as expected: {got}")
            else:
                for name, inhibited in expected.items():
                    print(f"ok   {name}: {'inhibited by ' + str(got[name]['inhibitedBy']) if inhibited else 'active'}")

            def delivered():
                names = {(p, n) for p, _, n, _ in sink.alerts()}
                want = {("/hook/pager", "TatouDown"), ("/hook/ticket", "TatouLoginFailureBurst")}
                return names if want <= names else None

            names = h.wait_until("the sink to receive TatouDown (pager) and TatouLoginFailureBurst (ticket)",
                                 delivered, deadline)
            time.sleep(2)  # give an (erroneous) delivery of the inhibited alerts a chance to show up
            names = {(p, n) for p, _, n, _ in sink.alerts()}
            print(f"ok   sink received: {sorted(names)}")
            leaked = {n for _, n in names} & {"TatouHigh5xxRatio", "TatouLatencyP95High"}
            if leaked:
                problems.append(f"inhibited alerts were delivered anyway: {sorted(leaked)}")
            if problems:
                raise h.TestFailure("; ".join(problems))
        print("PASS alertmanager inhibition and routing")
        return 0
    except h.TestFailure as e:
        print(f"FAIL {e}", file=sys.stderr)
        print(procs.tail("alertmanager"), file=sys.stderr)
        return 1
    finally:
        procs.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
