"""The database server goes away under a running tatou and comes back.

While it is away, every route that needs it answers 503 with a JSON error and Retry-After,
quickly (never a hang up to the request timeout), the process stays up, and /healthz reports
db_connected false. When the server is back, tatou recovers by itself: no restart, no lost data.
The outage and the recovery are audit events (sys_db_unavailable, failure then success) and the
outage counts once in tatou_db_errors_total{op="connect"}.
Only run against MariaDB/PostgreSQL (run_tests.py adds it when TATOU_TEST_DB is set).
"""

import json
import os
import time
import unittest

import requests

import harness as h
from harness import http

REQUEST_TIMEOUT = 6
CONNECT_ERRORS = 'tatou_db_errors_total{op="connect"}'


def metric(srv, name):
    r = requests.get(f"http://127.0.0.1:{srv.admin_port}/metrics", timeout=h.TIMEOUT)
    assert r.status_code == 200, r.status_code
    for line in r.text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not exported")


def db_events(srv, outcome, count=1, timeout=6.0):
    """sys_db_unavailable records with that outcome, once there are `count` (the writer is a
    separate thread) or the timeout has passed."""
    deadline = time.monotonic() + timeout
    while True:
        with open(os.path.join(srv.datadir, "log", "audit.jsonl")) as f:
            found = [r for r in map(json.loads, f)
                     if r["event"]["action"] == "sys_db_unavailable" and r["event"]["outcome"] == outcome]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


class DatabaseOutageTests(h.ApiTestCase):
    def setUp(self):
        self.srv = h.Server(extra_args=["--request-timeout", str(REQUEST_TIMEOUT)])

    def tearDown(self):
        if h.DB is not None:
            h.DB.thaw()
        if h.DB is not None and not h.DB.running:
            h.DB.start()  # never leave the rest of the suite without its server
        self.srv.cleanup()

    def unrecorded(self, method, path, **kwargs):
        """A request whose 503 is expected: not recorded for the suite's no-5xx check."""
        t0 = time.monotonic()
        r = requests.request(method, self.srv.url(path), timeout=REQUEST_TIMEOUT + 5, **kwargs)
        return r, time.monotonic() - t0

    def assert_recovers(self, token, msg, seconds=15):
        """list-documents answers 200 again within `seconds` (polled, unrecorded 503s meanwhile)."""
        deadline = time.monotonic() + seconds
        while True:
            r, _ = self.unrecorded("GET", "/api/list-documents", headers=h.auth(token))
            if r.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(r.status_code, 200, msg)

    def test_outage_answers_503_then_recovers_without_restart(self):
        email, _, token = h.new_user(self.srv)
        doc = h.upload_ok(self.srv, token, name="before-outage")
        pid = self.srv.proc.pid
        self.assertEqual(metric(self.srv, CONNECT_ERRORS), 0)
        self.assertEqual(db_events(self.srv, "failure", timeout=0), [])

        h.DB.stop()
        calls = [
            ("GET", "/api/list-documents", {"headers": h.auth(token)}),
            ("GET", f"/api/get-document/{doc['id']}", {"headers": h.auth(token)}),
            ("POST", "/api/login", {"json": {"email": email, "password": h.PASSWORD}}),
            ("POST", "/api/create-user", {"json": {"email": "o@example.com", "login": "outage_user",
                                                   "password": h.PASSWORD}}),
            ("POST", "/api/upload-document", {"headers": h.auth(token),
                                              "files": {"file": ("d.pdf", h.SAMPLE_PDF,
                                                                 "application/pdf")}}),
        ]
        for _ in range(2):  # the first call finds the connection dead, later ones cannot reopen it
            for method, path, kwargs in calls:
                r, secs = self.unrecorded(method, path, **kwargs)
                body = self.assert_error(r, 503, msg=f"{method} {path} during the outage")
                self.assertNotIn("password", body["error"].lower())
                self.assertTrue(r.headers.get("Retry-After", "").isdigit(), r.headers)
                self.assertLess(secs, REQUEST_TIMEOUT, f"{method} {path} took {secs:.1f}s")
        r, _ = self.unrecorded("GET", "/healthz")
        self.assertEqual(r.status_code, 200)
        self.assertIs(r.json()["db_connected"], False)
        self.assertTrue(self.srv.alive(), "tatou exited during the database outage")
        # One outage: one audit event and one connect error, however many requests failed.
        [down] = db_events(self.srv, "failure")
        self.assertEqual(down["event"]["reason"], "unavailable")
        self.assertEqual(down["log"]["level"], "WARN")
        self.assertEqual(metric(self.srv, CONNECT_ERRORS), 1)
        self.assertEqual(db_events(self.srv, "success", timeout=0), [])

        h.DB.start()
        self.assert_recovers(token, "no recovery within 15 s of the database's return")
        # Recovered for good: every route works again, on every pooled connection.
        for _ in range(10):
            r = http.get(self.srv.url("/api/list-documents"), headers=h.auth(token))
            self.assertEqual(r.status_code, 200, h.describe(r))
            self.assertEqual([d["name"] for d in r.json()["documents"]], ["before-outage"])
        h.upload_ok(self.srv, token, name="after-outage")
        h.new_token(self.srv, email)
        self.assertIs(http.get(self.srv.url("/healthz")).json()["db_connected"], True)
        self.assertEqual(self.srv.proc.pid, pid, "tatou was restarted")
        self.assertNotIn(h.servers_password(), self.srv.stderr_tail(100000))
        # The recovery is recorded after the outage; no outage was counted without its event.
        [up] = db_events(self.srv, "success")
        self.assertGreater(up["event"]["sequence"], down["event"]["sequence"])
        self.assertEqual(metric(self.srv, CONNECT_ERRORS), len(db_events(self.srv, "failure", timeout=0)))

    def test_hung_server_answers_503_within_the_time_limit(self):
        """A server that accepts but never answers (frozen) must not hold requests: each call
        is cut off (MariaDB: client read timeout; PostgreSQL: the store's watchdog)."""
        email, _, token = h.new_user(self.srv)
        h.DB.freeze()
        try:
            for path in ("/api/list-documents", "/api/list-all-versions"):
                for _ in range(2):
                    r, secs = self.unrecorded("GET", path, headers=h.auth(token))
                    self.assert_error(r, 503, msg=f"{path} with the database hung")
                    self.assertLess(secs, REQUEST_TIMEOUT, f"{path} took {secs:.1f}s")
            r, secs = self.unrecorded("GET", "/healthz")
            self.assertIs(r.json()["db_connected"], False)
            self.assertLess(secs, REQUEST_TIMEOUT)
        finally:
            h.DB.thaw()
        self.assert_recovers(token, "no recovery after the database resumed")
        h.new_token(self.srv, email)

    def test_database_idle_restart_is_invisible(self):
        """A restart while tatou is idle costs no request a 503: pooled connections are checked
        before use and reopened."""
        email, _, token = h.new_user(self.srv)
        h.DB.stop()
        h.DB.start()
        time.sleep(1.2)  # past the idle threshold after which a connection is checked
        for _ in range(8):
            r = http.get(self.srv.url("/api/list-documents"), headers=h.auth(token))
            self.assertEqual(r.status_code, 200, h.describe(r))
        h.new_token(self.srv, email)


if __name__ == "__main__":
    unittest.main(verbosity=2)
