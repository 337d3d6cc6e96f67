"""The audit log of a real server: coverage, format (JSON Schema), correlation, injection,
detectors, honeytokens, fail-closed writing, and `tatou audit verify|query` on the live files."""

import hashlib
import json
import os
import re
import subprocess
import time
import unittest

import jsonschema

import harness as h
from harness import http

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = json.load(open(os.path.join(HERE, "..", "..", "docs", "audit-record.schema.json")))
DECOY_LINK = "d3c0y" + "0" * 59
DECOY_DOC = "987654321"

server = None


def setUpModule():
    global server
    server = h.Server(env={
        "TATOU_DETECT_404": "5",
        "TATOU_DETECT_AUTHZ": "3",
        "TATOU_LOCK_AFTER": "6",
        "TATOU_STUFFING_ACCOUNTS": "4",
        "TATOU_HONEYTOKEN_LINKS": DECOY_LINK,
        "TATOU_HONEYTOKEN_DOCUMENTS": DECOY_DOC,
        "TATOU_AUDIT_HEARTBEAT": "1",
    })


def tearDownModule():
    if server is not None:
        server.cleanup()


def audit_path(srv):
    return os.path.join(srv.datadir, "log", "audit.jsonl")


def records(srv):
    with open(audit_path(srv), "rb") as f:
        return [json.loads(line) for line in f.read().splitlines()]


def wait_for(srv, predicate, timeout=6.0):
    """Records matching predicate, waiting for the writer thread."""
    deadline = time.monotonic() + timeout
    while True:
        found = [r for r in records(srv) if predicate(r)]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def by_request(srv, request_id, timeout=6.0):
    return wait_for(srv, lambda r: r.get("http", {}).get("request", {}).get("id") == request_id, timeout)


def action(r):
    return r["event"]["action"]


def rid():
    return "t-" + h.unique("r")[-16:]


def run_cli(*args):
    return subprocess.run([h.TATOU_BIN, "audit", *args], capture_output=True, text=True, timeout=60)


class AuditCoverageTests(h.ApiTestCase):
    def test_login_failure_and_success(self):
        email, password, _ = h.new_user(server)
        r1 = rid()
        r = h.login(server, email, "Wrong-password-1", headers={"X-Request-ID": r1})
        self.assertEqual(r.status_code, 401)
        [fail] = by_request(server, r1)
        self.assertEqual(action(fail), "authn_login_fail")
        self.assertEqual(fail["event"]["outcome"], "failure")
        self.assertEqual(fail["event"]["reason"], "bad_credentials")
        self.assertEqual(fail["source"]["ip"], "127.0.0.1")
        self.assertRegex(fail["user"]["email_hash"], "^[0-9a-f]{32}$")
        self.assertNotIn(email, json.dumps(fail))
        r2 = rid()
        r = h.login(server, email, password, headers={"X-Request-ID": r2})
        self.assertEqual(r.status_code, 200)
        [ok] = by_request(server, r2)
        self.assertEqual(action(ok), "authn_login_success")
        self.assertEqual(ok["tatou"]["token_id"], hashlib.sha256(r.json()["token"].encode()).hexdigest()[:16])
        self.assertEqual(ok["user"]["email_hash"], fail["user"]["email_hash"])

    def test_each_token_rejection_has_its_reason(self):
        _, _, token = h.new_user(server)
        cases = {}
        for name, headers in (("missing", {}), ("malformed", {"Authorization": "Token abc"}),
                              ("unknown_token", h.auth("x" * 43))):
            r_id = rid()
            r = http.get(server.url("/api/list-documents"), headers=dict(headers, **{"X-Request-ID": r_id}))
            self.assertEqual(r.status_code, 401)
            cases[name] = by_request(server, r_id)
        logout_id = rid()
        http.post(server.url("/api/logout"), headers=dict(h.auth(token), **{"X-Request-ID": logout_id}))
        [logout] = by_request(server, logout_id)
        r_id = rid()
        r = http.get(server.url("/api/list-documents"), headers=dict(h.auth(token), **{"X-Request-ID": r_id}))
        self.assertEqual(r.status_code, 401)
        cases["revoked"] = by_request(server, r_id)
        # The replayed token's owner is named, so the responder knows whose session leaked.
        self.assertEqual(cases["revoked"][0]["user"]["id"], logout["user"]["id"])
        self.assertNotIn("user", cases["unknown_token"][0])
        for reason, events in cases.items():
            with self.subTest(reason=reason):
                self.assertEqual(len(events), 1)
                self.assertEqual(events[0]["event"]["reason"], reason)
                self.assertEqual(action(events[0]), "authn_token_reuse" if reason == "revoked" else "authn_token_invalid")

    def test_idor_is_one_authz_fail_and_still_404(self):
        _, _, owner = h.new_user(server)
        doc = h.upload_ok(server, owner)
        _, _, other = h.new_user(server)
        me = http.get(server.url("/api/list-documents"), headers=h.auth(other))
        self.assertEqual(me.status_code, 200)
        r_id = rid()
        r = http.get(server.url(f"/api/get-document/{doc['id']}"), headers=dict(h.auth(other), **{"X-Request-ID": r_id}))
        self.assertEqual(r.status_code, 404)
        events = by_request(server, r_id)
        self.assertEqual([action(e) for e in events], ["authz_fail"])
        self.assertEqual(events[0]["tatou"]["document_id"], doc["id"])
        self.assertEqual(events[0]["log"]["level"], "CRITICAL")
        self.assertEqual(events[0]["tatou"]["route"], "/api/get-document/{id}")

    def test_sensitive_operations_and_outcomes(self):
        _, _, token = h.new_user(server)
        doc = h.upload_ok(server, token)
        v = h.create_watermark_ok(server, token, doc["id"], method="tatou-content")
        r_id = rid()
        self.assertEqual(http.get(server.url(f"/api/get-version/{v['link']}"), headers={"X-Request-ID": r_id}).status_code, 200)
        [read] = by_request(server, r_id)
        self.assertEqual(action(read), "sensitive_read")
        self.assertEqual(read["tatou"]["version_id"], v["id"])
        self.assertNotIn(v["link"], json.dumps(read))  # a link is a capability: only its digest
        self.assertEqual(read["tatou"]["link_id"], hashlib.sha256(v["link"].encode()).hexdigest()[:16])
        created = wait_for(server, lambda r: action(r) == "sensitive_create" and r.get("tatou", {}).get("version_id") == v["id"])
        self.assertEqual(created[0]["tatou"]["watermark_method"], "tatou-content")
        r_id = rid()
        r = http.delete(server.url("/api/delete-document/99999999"), headers=dict(h.auth(token), **{"X-Request-ID": r_id}))
        self.assertEqual(r.status_code, 404)
        [gone] = by_request(server, r_id)
        self.assertEqual((action(gone), gone["event"]["outcome"]), ("upload_delete", "failure"))
        r_id = rid()
        r = http.post(server.url(f"/api/create-watermark/{doc['id']}"), headers=dict(h.auth(token), **{"X-Request-ID": r_id}),
                      json={"method": "no-such-method", "intended_for": "x", "secret": "s", "key": "k"})
        self.assertEqual(r.status_code, 400)
        [bad] = by_request(server, r_id)
        self.assertEqual((action(bad), bad["event"]["reason"]), ("input_validation_discrete_fail", "unknown_method"))
        self.assertNotIn("watermark_method", bad["tatou"])  # only registry names are recorded


class CorrelationAndInjectionTests(h.ApiTestCase):
    def test_request_id_echoed_logged_and_in_error_bodies(self):
        r = http.get(server.url("/api/list-documents"), headers={"X-Request-ID": "drill-123"})
        self.assertEqual(r.headers["X-Request-ID"], "drill-123")
        self.assertEqual(r.json()["request_id"], "drill-123")
        self.assertTrue(by_request(server, "drill-123"))
        for bad in ("a b", "x" * 200, "abc\tdef"):
            r = http.get(server.url("/api/list-documents"), headers={"X-Request-ID": bad})
            self.assertRegex(r.headers["X-Request-ID"], "^[0-9a-f]{32}$")

    def test_traceparent_sets_trace_and_span(self):
        r_id = rid()
        tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        http.get(server.url("/api/list-documents"), headers={"X-Request-ID": r_id, "traceparent": tp})
        [e] = by_request(server, r_id)
        self.assertEqual(e["trace"]["id"], "4bf92f3577b34da6a3ce929d0e0e4736")
        self.assertEqual(e["span"]["id"], "00f067aa0ba902b7")
        r_id = rid()
        http.get(server.url("/api/list-documents"), headers={"X-Request-ID": r_id, "traceparent": "00-" + "0" * 32 + "-00f067aa0ba902b7-01"})
        [e] = by_request(server, r_id)
        self.assertNotIn("trace", e)

    def test_one_request_one_line_whatever_it_sends(self):
        before = len(records(server))
        r_id = rid()
        hostile = "x\r\n{\"event\":{\"action\":\"authn_login_success\"}}\u001b[31m\u2028"
        r = http.post(server.url("/api/login"), json={"email": hostile, "password": "Whatever-123"},
                      headers={"X-Request-ID": r_id, "User-Agent": "U" * 4000})
        self.assertIn(r.status_code, (400, 401))
        events = by_request(server, r_id)
        self.assertEqual(len(events), 1)
        self.assertEqual(action(events[0]), "authn_login_fail")
        self.assertLessEqual(len(events[0]["user_agent"]["original"]), 256)
        with open(audit_path(server), "rb") as f:
            raw = f.read()
        self.assertNotIn(b"\x1b", raw)
        self.assertNotIn("\u2028".encode(), raw)
        after = records(server)[before:]
        self.assertFalse([e for e in after if action(e) == "authn_login_success" and e["http"]["request"]["id"] == r_id])


class DetectorTests(h.ApiTestCase):
    def test_404_burst_is_one_malicious_excess_404(self):
        r_ids = []
        for i in range(8):
            r_ids.append(rid())
            http.get(server.url(f"/admin/probe-{i}.php"), headers={"X-Request-ID": r_ids[-1]})
        hits = wait_for(server, lambda r: action(r) == "malicious_excess_404" and r["http"]["request"]["id"] in r_ids)
        self.assertEqual(len(hits), 1)
        self.assertEqual(hits[0]["event"]["count"], 5)

    def test_attack_tool_user_agent(self):
        r_id = rid()
        http.get(server.url("/healthz"), headers={"X-Request-ID": r_id, "User-Agent": "sqlmap/1.7.2#stable"})
        self.assertEqual([action(e) for e in by_request(server, r_id)], ["malicious_attack_tool"])

    def test_honeytoken_link_and_document(self):
        r_id = rid()
        r = http.get(server.url(f"/api/get-version/{DECOY_LINK}"), headers={"X-Request-ID": r_id})
        self.assertEqual(r.status_code, 404)
        [e] = by_request(server, r_id)
        self.assertEqual(action(e), "malicious_direct_reference")
        self.assertIs(e["tatou"]["honeytoken"], True)
        self.assertEqual(e["log"]["level"], "CRITICAL")
        _, _, token = h.new_user(server)
        r_id = rid()
        r = http.get(server.url(f"/api/get-document/{DECOY_DOC}"), headers=dict(h.auth(token), **{"X-Request-ID": r_id}))
        self.assertEqual(r.status_code, 404)
        self.assertTrue(by_request(server, r_id)[0]["tatou"]["honeytoken"])

    def test_account_lock_after_repeated_failures(self):
        email, password, _ = h.new_user(server)
        statuses = [h.login(server, email, "Wrong-password-1").status_code for _ in range(7)]
        self.assertEqual(statuses[:5], [401] * 5)
        self.assertIn(423, statuses)
        r_id = rid()
        r = h.login(server, email, password, headers={"X-Request-ID": r_id})
        self.assertEqual(r.status_code, 423)
        self.assertIn("Retry-After", r.headers)
        [e] = by_request(server, r_id)
        self.assertEqual((action(e), e["event"]["reason"]), ("authn_login_fail", "locked"))
        email_hash = e["user"]["email_hash"]
        mine = lambda name: wait_for(server, lambda x: action(x) == name and x.get("user", {}).get("email_hash") == email_hash)
        [fail_max] = mine("authn_login_fail_max")
        self.assertEqual(len(mine("authn_login_lock")), 1)
        [created] = mine("authn_login_success")
        self.assertEqual(fail_max["user"]["id"], created["user"]["id"])

    def test_credential_stuffing(self):
        r_ids = []
        for i in range(4):
            r_ids.append(rid())
            h.login(server, f"{h.unique('stuff')}@example.com", "Stuffed-pass-1", headers={"X-Request-ID": r_ids[-1]})
        hits = wait_for(server, lambda r: action(r) == "authn_credential_stuffing" and r["http"]["request"]["id"] in r_ids)
        self.assertEqual(len(hits), 1)


class LogFileTests(h.ApiTestCase):
    def test_every_line_matches_the_schema_and_the_chain_verifies(self):
        h.new_user(server)
        http.get(server.url("/api/list-documents"))
        wait_for(server, lambda r: action(r) == "sys_heartbeat", timeout=3)
        validator = jsonschema.Draft202012Validator(SCHEMA)
        recs = records(server)
        self.assertGreater(len(recs), 3)
        for r in recs:
            errors = list(validator.iter_errors(r))
            self.assertEqual(errors, [], f"{r['event']['action']}: {errors[:1]}")
        self.assertEqual([r["event"]["sequence"] for r in recs], list(range(1, len(recs) + 1)))
        key = os.path.join(server.datadir, "log", "audit-verify.key")
        out = run_cli("verify", audit_path(server), "--key", key, "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(json.loads(out.stdout)["ok"])
        self.assertEqual(os.stat(audit_path(server)).st_mode & 0o777, 0o600)

    def test_query_by_request_id(self):
        http.get(server.url("/api/list-documents"), headers={"X-Request-ID": "drill-query-1"})
        by_request(server, "drill-query-1")
        key = os.path.join(server.datadir, "log", "audit-verify.key")
        out = run_cli("query", audit_path(server), "--key", key, "--request-id", "drill-query-1")
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        self.assertEqual(len(lines), 1)
        self.assertEqual(json.loads(lines[0])["http"]["request"]["id"], "drill-query-1")

    def test_vocabulary_in_the_schema_matches_the_code(self):
        source = open(os.path.join(HERE, "..", "..", "src", "obs", "vocabulary.hpp")).read()
        in_code = set(re.findall(r"^\s+X\((\w+),", source, re.M))
        self.assertEqual(in_code, set(SCHEMA["properties"]["event"]["properties"]["action"]["enum"]))
        guide = open(os.path.join(HERE, "..", "..", "docs", "logging-guide.md")).read()
        in_guide = set(re.findall(r"^\| `(\w+)` \| (?:INFO|WARN|CRITICAL) \|", guide, re.M))
        self.assertEqual(in_code, in_guide)


class FailClosedTests(h.ApiTestCase):
    """The audit file on a full disk: changes are refused, reads go on, the gap is recorded."""

    def test_fail_closed_and_recovery(self):
        srv = h.Server()
        try:
            _, _, token = h.new_user(srv)
            path = audit_path(srv)
            first = path.replace("audit.jsonl", "audit-before.jsonl")
            os.rename(path, first)
            os.symlink("/dev/full", path)
            # The next write fails; from then on changes are refused with 503.
            http.get(srv.url("/api/list-documents"), headers=h.auth(token))
            deadline = time.monotonic() + 5
            status = None
            while time.monotonic() < deadline:
                status = http.post(srv.url("/api/upload-document"), headers=h.auth(token), allow_5xx=True,
                              files={"file": ("a.pdf", h.SAMPLE_PDF, "application/pdf")}).status_code
                if status == 503:
                    break
                time.sleep(0.1)
            self.assertEqual(status, 503)
            self.assertEqual(http.get(srv.url("/api/list-documents"), headers=h.auth(token)).status_code, 200)
            os.remove(path)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                r = http.post(srv.url("/api/upload-document"), headers=h.auth(token), allow_5xx=True,
                              files={"file": ("a.pdf", h.SAMPLE_PDF, "application/pdf")})
                if r.status_code == 201:
                    break
                time.sleep(0.1)
            self.assertEqual(r.status_code, 201)
            actions = [action(x) for x in wait_for(srv, lambda x: action(x).startswith("sys_monitor"))]
            self.assertEqual(actions[:2], ["sys_monitor_disabled", "sys_monitor_enabled"])
            key = os.path.join(srv.datadir, "log", "audit-verify.key")
            out = run_cli("verify", path, first, "--key", key)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()


class RepeatedRejectionTests(h.ApiTestCase):
    """A flood of identical rejections cannot grow the audit log one line per request."""

    @classmethod
    def setUpClass(cls):
        # A window far longer than the flood takes on any backend: its count is written when the
        # server stops (window rollover is covered by tests/obs/repeat_filter_test.cpp).
        cls.srv = h.Server(env={"TATOU_AUDIT_REPEATS": "5", "TATOU_AUDIT_REPEAT_WINDOW": "600"})

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_a_bogus_token_flood_is_written_as_its_first_records_and_one_count(self):
        before = len(records(self.srv))
        for _ in range(200):
            r = http.get(self.srv.url("/api/list-documents"), headers={"Authorization": "Bearer " + "x" * 43})
            self.assertEqual(r.status_code, 401)
        # Every request moved the metric as it happened.
        m = http.get(f"http://127.0.0.1:{self.srv.admin_port}/metrics").text
        line = next(l for l in m.splitlines()
                    if l.startswith('tatou_security_events_total{action="authn_token_invalid"'))
        self.assertEqual(float(line.rsplit(" ", 1)[1]), 200)
        self.srv.stop()
        flood = [r for r in records(self.srv) if action(r) == "authn_token_invalid"]
        counted = [r for r in flood if "count" in r["event"]]
        self.assertEqual(len(counted), 1, counted)
        self.assertEqual(counted[0]["event"]["count"], 195)
        self.assertEqual(counted[0]["source"]["ip"], "127.0.0.1")
        self.assertEqual(len(flood), 5 + 1)
        self.assertLess(len(records(self.srv)) - before, 20)
        # The log with the counted record still verifies.
        key = os.path.join(self.srv.datadir, "log", "audit-verify.key")
        out = run_cli("verify", audit_path(self.srv), "--key", key)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
