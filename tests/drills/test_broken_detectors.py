#!/usr/bin/env python3
"""A drill must fail when the detection it asserts is switched off.

For each case a fresh server starts with one detector disabled by configuration; the matching
drill runs against it and must exit 1 with exactly that detection's assertions failing, while
the refusals still pass (the attack is refused, only the detection is gone). This proves the
drills assert detection rather than print it.

usage: test_broken_detectors.py path/to/tatou
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

BIN = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TATOU_BIN", "")
RULES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "monitoring", "rules")
DECOY = "00000000000000000000000000decafe"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_drill_against(server_env, drill, drill_args):
    """Starts a server with server_env, runs one drill, returns (exit code, scenario JSON)."""
    with tempfile.TemporaryDirectory(prefix="tatou-broken-") as data:
        port, aport = free_port(), free_port()
        env = dict(os.environ, TATOU_DATA_DIR=data, TATOU_LISTEN=f"127.0.0.1:{port}",
                   TATOU_ADMIN_LISTEN=f"127.0.0.1:{aport}", TATOU_ARGON2_OPS="1", TATOU_ARGON2_MEM_KIB="64",
                   TATOU_LOCK_AFTER="8", TATOU_DETECT_404="20", TATOU_HONEYTOKEN_LINKS=DECOY)
        env.update(server_env)
        env = {k: v for k, v in env.items() if v is not None}
        with open(os.path.join(data, "serve.err"), "w") as err:
            srv = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    if os.path.getsize(os.path.join(data, "admin.token")) > 0:
                        break
                except (OSError, ValueError):
                    pass
                time.sleep(0.1)
            out = os.path.join(data, "drill.json")
            r = subprocess.run([BIN, "drill", "run", drill, "--base", f"http://127.0.0.1:{port}",
                                "--admin-url", f"http://127.0.0.1:{aport}", "--data-dir", data, "--json", out,
                                "--rules-dir", RULES, "--event-wait", "1", "--max-requests", "200",
                                "--lock-after", "8", "--detect-404", "20"] + drill_args,
                               capture_output=True, text=True, timeout=120)
            with open(out) as f:
                result = json.load(f)
            return r.returncode, result["scenarios"][0]
        finally:
            srv.terminate()
            srv.wait(timeout=10)


class BrokenDetectorTests(unittest.TestCase):
    def assert_fails_exactly(self, server_env, drill, drill_args, expected_failures):
        code, scenario = run_drill_against(server_env, drill, drill_args)
        failed = {a["name"] for a in scenario["assertions"] if not a["pass"]}
        self.assertEqual(code, 1, f"{drill} must fail with its detector off")
        self.assertFalse(scenario["pass"])
        self.assertEqual(failed, set(expected_failures))
        refusals = [a for a in scenario["assertions"] if a["name"].startswith("refused:") and a["pass"]]
        self.assertTrue(refusals, "the attack itself is still refused")

    def test_account_lock_off_fails_brute_force(self):
        # The lock is the response to brute force: without it the 423s, the events, the counts
        # and the alert all go.
        self.assert_fails_exactly({"TATOU_LOCK_AFTER": "0"}, "brute_force", [], [
            "refused: account locked after 8 attempts", "refused: right password while locked -> 423",
            "detected: authn_login_fail_max", "detected: authn_login_lock",
            'counted: tatou_auth_logins_total{result="locked"}',
            'counted: tatou_security_events_total{action="authn_login_lock"}',
            "would alert: TatouBruteForceDetected"])

    def test_credential_stuffing_detector_off_fails_its_drill(self):
        self.assert_fails_exactly({"TATOU_STUFFING_ACCOUNTS": "0"}, "credential_stuffing",
                                  ["--stuffing-accounts", "10"], [
            "detected: authn_credential_stuffing",
            'counted: tatou_security_events_total{action="authn_credential_stuffing"}',
            "would alert: TatouCredentialStuffing"])

    def test_404_detector_raised_out_of_reach_fails_scanner(self):
        self.assert_fails_exactly({"TATOU_DETECT_404": "1000000"}, "scanner", [], [
            "detected: malicious_excess_404",
            'counted: tatou_security_events_total{action="malicious_excess_404"}',
            "would alert: TatouScannerActivity"])

    def test_honeytoken_not_configured_fails_honeytoken(self):
        self.assert_fails_exactly({"TATOU_HONEYTOKEN_LINKS": None}, "honeytoken", ["--honeytoken-link", DECOY], [
            "detected: malicious_direct_reference with tatou.honeytoken",
            'counted: tatou_honeytoken_hits_total{kind="version_link"}',
            "would alert: TatouHoneytokenTouched"])

    def test_intact_server_passes_the_same_drills(self):
        # The control: the same harness with every detector on passes, so the failures above come
        # from the switched-off detector and not from the harness.
        for drill, args in (("brute_force", []), ("credential_stuffing", ["--stuffing-accounts", "10"]),
                            ("scanner", []), ("honeytoken", ["--honeytoken-link", DECOY])):
            code, scenario = run_drill_against({}, drill, args)
            self.assertEqual(code, 0, [a for a in scenario["assertions"] if not a["pass"]])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
