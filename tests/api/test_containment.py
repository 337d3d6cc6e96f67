"""Containment through the admin listener and `tatou admin`: each action is enforced at once,
persisted across a restart, audited, counted, reversible; the admin API refuses without its token."""

import http.client as httpclient
import json
import os
import subprocess
import time
import unittest

import harness as h
from harness import http

server = None


def setUpModule():
    global server
    server = h.Server()


def tearDownModule():
    if server is not None:
        server.cleanup()


def token_file(srv):
    return os.path.join(srv.datadir, "admin.token")


def admin(srv, *args):
    return subprocess.run([h.TATOU_BIN, "admin", "--admin-url", f"http://127.0.0.1:{srv.admin_port}",
                           "--token-file", token_file(srv), *args], capture_output=True, text=True, timeout=30)


def admin_api(srv, method, path, body=None, token=None):
    with open(token_file(srv)) as f:
        tok = f.read().strip() if token is None else token
    return http.request(method, f"http://127.0.0.1:{srv.admin_port}{path}",
                        headers={"Authorization": f"Bearer {tok}"}, json=body)


def metric(srv, name):
    text = http.get(f"http://127.0.0.1:{srv.admin_port}/metrics").text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not exported")


def audit_actions(srv, expect=None, timeout=5.0):
    """The actions in the audit log, waiting (the writer is a separate thread) for `expect`."""
    deadline = time.monotonic() + timeout
    while True:
        with open(os.path.join(srv.datadir, "log", "audit.jsonl")) as f:
            actions = [json.loads(l)["event"]["action"] for l in f]
        if expect is None or expect in actions or time.monotonic() > deadline:
            return actions
        time.sleep(0.05)


def get_from(srv, source, path, headers=None):
    """A request from another loopback address (127.0.0.2), to show a block is precise."""
    conn = httpclient.HTTPConnection("127.0.0.1", srv.port, timeout=10, source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


class ContainmentTests(h.ApiTestCase):
    def new_account(self):
        email, password, token = h.new_user(server)
        r = http.post(server.url("/api/create-user"), json={"email": f"x{h.unique()}@example.com", "login": h.unique(),
                                                             "password": h.PASSWORD})
        uid = r.json()["id"] - 1  # the account created just before has the previous id
        return email, password, token, uid

    def test_admin_api_needs_its_token(self):
        r = admin_api(server, "GET", "/admin/containment", token="wrong-token-value")
        self.assertEqual(r.status_code, 401)
        r = http.get(f"http://127.0.0.1:{server.admin_port}/admin/containment")
        self.assertEqual(r.status_code, 401)
        self.assertEqual(http.post(server.url("/admin/lock-user"), json={"id": 1}).status_code, 404)  # not public
        self.assertEqual(oct(os.stat(token_file(server)).st_mode & 0o777), "0o600")
        self.assertIn("authz_admin", audit_actions(server, "authz_admin"))

    def test_bad_admin_input_is_4xx(self):
        self.assertEqual(admin_api(server, "POST", "/admin/block-ip", {"cidr": "300.1.2.3/8"}).status_code, 400)
        self.assertEqual(admin_api(server, "POST", "/admin/block-ip", {"cidr": "10.0.0.0/33"}).status_code, 400)
        self.assertEqual(admin_api(server, "POST", "/admin/lock-user", {"id": 99999999}).status_code, 404)
        self.assertEqual(admin_api(server, "POST", "/admin/lock-user", {"id": "x"}).status_code, 400)
        self.assertEqual(admin_api(server, "POST", "/admin/read-only", {"on": "yes"}).status_code, 400)
        self.assertEqual(admin_api(server, "POST", "/admin/lock-user", {"id": 1, "evil": 1}).status_code, 400)
        self.assertEqual(admin_api(server, "GET", "/admin/lock-user").status_code, 405)

    def test_lock_revoke_and_unlock(self):
        email, password, token, uid = self.new_account()
        other = h.new_token(server, email, password)
        before = metric(server, 'tatou_containment_actions_total{action="lock_account"}')
        out = admin(server, "lock-user", "--id", str(uid))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(metric(server, 'tatou_containment_actions_total{action="lock_account"}'), before + 1)
        self.assertEqual(metric(server, "tatou_locked_accounts"), 1)
        self.assertEqual(http.get(server.url("/api/list-documents"), headers=h.auth(token)).status_code, 401)
        self.assertEqual(h.login(server, email, password).status_code, 423)
        self.assertEqual(h.login(server, email, "Wrong-password-7").status_code, 423)  # the same whatever the password
        self.assertEqual(admin(server, "unlock-user", "--id", str(uid)).returncode, 0)
        self.assertEqual(http.get(server.url("/api/list-documents"), headers=h.auth(token)).status_code, 200)
        # Revoking ends every session of the account, and only of that account.
        _, _, bystander = h.new_user(server)
        self.assertEqual(admin(server, "revoke-sessions", "--id", str(uid)).returncode, 0)
        for t in (token, other):
            r = http.get(server.url("/api/list-documents"), headers=h.auth(t))
            self.assertEqual(r.status_code, 401)
        self.assertEqual(http.get(server.url("/api/list-documents"), headers=h.auth(bystander)).status_code, 200)
        self.assertEqual(h.login(server, email, password).status_code, 200)
        for a in ("authn_login_lock", "authn_login_unlock", "session_expired", "authz_admin"):
            self.assertIn(a, audit_actions(server, a))

    def test_unlock_also_lifts_the_automatic_lock(self):
        srv = h.Server(env={"TATOU_LOCK_AFTER": "3"})
        try:
            email, password, _ = h.new_user(srv)
            r = http.post(srv.url("/api/create-user"), json={"email": f"z{h.unique()}@example.com",
                                                             "login": h.unique(), "password": h.PASSWORD})
            uid = r.json()["id"] - 1
            self.assertEqual(json.loads(admin(srv, "list").stdout)["automatic_login_locks"], 0)
            for _ in range(4):
                h.login(srv, email, "Wrong-password-3")
            self.assertEqual(h.login(srv, email, password).status_code, 423)
            # Operators see that one is in force (by number: they are keyed by a hash of the email).
            listing = json.loads(admin(srv, "list").stdout)
            self.assertEqual((listing["automatic_login_locks"], listing["locked_accounts"]), (1, []))
            # The automatic lock is in the database (shared by all nodes): a restart keeps it.
            srv.restart()
            self.assertEqual(h.login(srv, email, password).status_code, 423)
            out = admin(srv, "--json", "unlock-user", "--id", str(uid))
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertTrue(json.loads(out.stdout)["changed"])
            self.assertEqual(h.login(srv, email, password).status_code, 200)
            self.assertEqual(json.loads(admin(srv, "list").stdout)["automatic_login_locks"], 0)
        finally:
            srv.cleanup()

    def test_rmap_reload_is_an_admin_action(self):
        out = admin(server, "--json", "rmap-reload")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("identities", json.loads(out.stdout))
        self.assertIn("sys_config_change", audit_actions(server, "sys_config_change"))

    def test_block_is_precise_expires_and_lifts(self):
        self.assertEqual(get_from(server, "127.0.0.2", "/healthz"), 200)
        out = admin(server, "block-ip", "127.0.0.2/32", "--ttl", "3")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(get_from(server, "127.0.0.2", "/healthz"), 403)
        self.assertEqual(get_from(server, "127.0.0.2", "/api/login"), 403)
        self.assertEqual(http.get(server.url("/healthz")).status_code, 200)  # 127.0.0.1 unaffected
        listing = json.loads(admin(server, "list").stdout)
        self.assertEqual(listing["blocked_sources"][0]["cidr"], "127.0.0.2/32")
        time.sleep(3.5)
        self.assertEqual(get_from(server, "127.0.0.2", "/healthz"), 200)  # expired
        self.assertEqual(admin(server, "block-ip", "127.0.0.0/30").returncode, 0)
        self.assertEqual(get_from(server, "127.0.0.2", "/healthz"), 403)
        self.assertEqual(admin(server, "unblock-ip", "127.0.0.0/30").returncode, 0)
        self.assertEqual(get_from(server, "127.0.0.2", "/healthz"), 200)
        self.assertIn("ip_blocked", audit_actions(server, "ip_blocked"))
        self.assertIn("ip_unblocked", audit_actions(server, "ip_unblocked"))

    def test_rotate_key_ends_every_session(self):
        _, _, t1 = h.new_user(server)
        email, password, t2 = h.new_user(server)
        self.assertEqual(admin(server, "rotate-key").returncode, 0)
        for t in (t1, t2):
            self.assertEqual(http.get(server.url("/api/list-documents"), headers=h.auth(t)).status_code, 401)
        fresh = h.new_token(server, email, password)
        self.assertEqual(http.get(server.url("/api/list-documents"), headers=h.auth(fresh)).status_code, 200)
        self.assertIn("key_rotated", audit_actions(server, "key_rotated"))

    def test_read_only_refuses_changes_keeps_reads(self):
        _, _, token = h.new_user(server)
        try:
            self.assertEqual(admin(server, "read-only", "on").returncode, 0)
            r = http.post(server.url("/api/upload-document"), headers=h.auth(token), allow_5xx=True,
                          files={"file": ("a.pdf", h.SAMPLE_PDF, "application/pdf")})
            self.assertEqual(r.status_code, 503)
            self.assertIn("Retry-After", r.headers)
            self.assertEqual(http.get(server.url("/api/list-documents"), headers=h.auth(token)).status_code, 200)
        finally:
            self.assertEqual(admin(server, "read-only", "off").returncode, 0)
        self.assertEqual(h.upload(server, token, h.SAMPLE_PDF).status_code, 201)


class PersistenceTests(h.ApiTestCase):
    def test_containment_survives_a_restart(self):
        srv = h.Server()
        try:
            email, password, token = h.new_user(srv)
            r = http.post(srv.url("/api/create-user"), json={"email": f"y{h.unique()}@example.com",
                                                             "login": h.unique(), "password": h.PASSWORD})
            uid = r.json()["id"] - 1
            self.assertEqual(admin(srv, "lock-user", "--id", str(uid)).returncode, 0)
            self.assertEqual(admin(srv, "block-ip", "127.0.0.3").returncode, 0)
            srv.restart()
            self.assertEqual(h.login(srv, email, password).status_code, 423)
            self.assertEqual(get_from(srv, "127.0.0.3", "/healthz"), 403)
            listing = json.loads(admin(srv, "list").stdout)
            self.assertEqual([l["user_id"] for l in listing["locked_accounts"]], [uid])
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
