"""/metrics on the admin listener: exposition lint, exact counter deltas for real events, every
known series present from the start, bounded cardinality, nothing on the public port."""

import re
import shutil
import subprocess
import unittest
import uuid

import harness as h
from harness import http

server = None


def setUpModule():
    global server
    server = h.Server()


def tearDownModule():
    if server is not None:
        server.cleanup()


def scrape(srv=None):
    srv = srv or server
    r = http.get(f"http://127.0.0.1:{srv.admin_port}/metrics")
    assert r.status_code == 200, r.status_code
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return r.text


def series(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def val(name, text=None):
    return series(text or scrape()).get(name, None)


class MetricsTests(h.ApiTestCase):
    def test_not_on_the_public_port(self):
        for path in ("/metrics", "/test_metrics", "/api/metrics"):
            self.assertEqual(http.get(server.url(path)).status_code, 404)

    def test_promtool_is_clean(self):
        out = subprocess.run(["promtool", "check", "metrics"], input=scrape(), capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(out.stdout.strip() + out.stderr.strip(), "")

    def test_every_known_series_from_the_start(self):
        fresh = h.Server()
        try:
            s = series(scrape(fresh))
        finally:
            fresh.cleanup()
        for name in ('tatou_auth_logins_total{result="locked"}',
                     'tatou_auth_token_rejections_total{reason="revoked"}',
                     'tatou_uploads_total{result="parse_error"}',
                     'tatou_watermark_operations_total{op="read",method="tatou-content",result="wrong_key"}',
                     'tatou_rmap_handshakes_total{step="get_link",result="sequence_fail"}',
                     'tatou_containment_actions_total{action="block_ip"}',
                     'tatou_honeytoken_hits_total{kind="version_link"}',
                     'tatou_security_events_total{action="authz_fail",level="CRITICAL"}',
                     'tatou_http_requests_total{method="POST",route="/api/login",status="429"}',
                     'tatou_authz_denied_total{route="/api/get-document/{id}"}'):
            self.assertEqual(s.get(name), 0, name)
        self.assertEqual(s['tatou_build_info{version="0.1.0",commit="' +
                           re.search(r'commit="([^"]+)"', scrape()).group(1) + '"}'], 1)
        self.assertGreater(s["process_resident_memory_bytes"], 1e6)

    def test_exact_deltas_for_real_events(self):
        before = scrape()
        for _ in range(50):
            http.get(server.url("/healthz"))
        email, _, _ = h.new_user(server)
        for _ in range(3):
            self.assertEqual(h.login(server, email, "Wrong-password-9").status_code, 401)
        after = scrape()
        d = lambda name: val(name, after) - val(name, before)
        self.assertEqual(d('tatou_http_requests_total{method="GET",route="/healthz",status="200"}'), 50)
        self.assertEqual(d('tatou_http_request_duration_seconds_count{method="GET",route="/healthz"}'), 50)
        self.assertEqual(d('tatou_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"}'), 50)
        self.assertEqual(d('tatou_auth_logins_total{result="bad_credentials"}'), 3)
        self.assertEqual(d('tatou_auth_logins_total{result="success"}'), 1)
        self.assertEqual(d('tatou_security_events_total{action="authn_login_fail",level="WARN"}'), 3)
        buckets = re.findall(r'tatou_http_request_duration_seconds_bucket\{method="GET",route="/healthz",le="([^"]+)"\}', after)
        self.assertEqual(buckets, ["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75",
                                   "1", "2.5", "5", "7.5", "10", "+Inf"])

    def test_security_counters_move_with_their_events(self):
        _, _, owner = h.new_user(server)
        doc = h.upload_ok(server, owner)
        _, _, other = h.new_user(server)
        before = scrape()
        self.assertEqual(http.get(server.url(f"/api/get-document/{doc['id']}"), headers=h.auth(other)).status_code, 404)
        http.post(server.url("/api/logout"), headers=h.auth(other))
        self.assertEqual(http.get(server.url("/api/list-documents"), headers=h.auth(other)).status_code, 401)
        self.assertEqual(h.upload(server, owner, b"not a pdf at all").status_code, 415)
        v = h.create_watermark_ok(server, owner, doc["id"], method="tatou-content")
        r = http.post(server.url(f"/api/read-watermark/{doc['id']}"), headers=h.auth(owner),
                      json={"method": "tatou-content", "key": "k"})
        self.assertEqual(r.status_code, 404)  # the original carries no watermark
        after = scrape()
        d = lambda name: val(name, after) - val(name, before)
        self.assertEqual(d('tatou_authz_denied_total{route="/api/get-document/{id}"}'), 1)
        self.assertEqual(d('tatou_security_events_total{action="authz_fail",level="CRITICAL"}'), 1)
        self.assertEqual(d('tatou_auth_token_rejections_total{reason="revoked"}'), 1)
        self.assertEqual(d('tatou_uploads_total{result="bad_type"}'), 1)
        self.assertEqual(d('tatou_uploads_total{result="accepted"}'), 0)
        self.assertEqual(d('tatou_watermark_operations_total{op="create",method="tatou-content",result="success"}'), 1)
        self.assertEqual(d('tatou_watermark_operations_total{op="read",method="tatou-content",result="not_found"}'), 1)
        self.assertTrue(v["link"])

    def test_cardinality_does_not_follow_traffic(self):
        count = lambda text: sum(1 for l in text.splitlines() if l.startswith("tatou_http_requests_total"))
        before = count(scrape())
        for i in range(200):
            method = ("GET", "POST", "DELETE", "PATCH", "OPTIONS")[i % 5]
            h.raw_request(server, method, f"/random/{uuid.uuid4().hex}?q={i}")
        after_text = scrape()
        self.assertEqual(count(after_text), before)
        self.assertNotIn("/random/", after_text)


if __name__ == "__main__":
    unittest.main()
