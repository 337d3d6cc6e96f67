"""Authentication side doors (issue 14 "Authentication paths") and the sign-up throttle (issue 20
class 4), each performed as an attacker would: password guessing through the password change,
a lock that answers differently to the right password, revocation refused during an incident,
refresh races and endless sessions, floods of sign-ups from one source."""

import http.client as httpclient
import json
import os
import subprocess
import threading
import time

import harness as h
from harness import http

NEW_PASSWORD = "BrandNewPassword456"


def post_from(srv, source, path, body, token=None):
    conn = httpclient.HTTPConnection("127.0.0.1", srv.port, timeout=30, source_address=(source, 0))
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request("POST", path, body=json.dumps(body).encode(), headers=headers)
        r = conn.getresponse()
        raw = r.read()
        return r.status, (json.loads(raw) if raw else None), r
    finally:
        conn.close()


def logout_all(srv, token, current, new=NEW_PASSWORD, **kwargs):
    return http.post(srv.url("/api/logout-all"), headers=h.auth(token),
                     json={"current_password": current, "new_password": new}, **kwargs)


def audit_records(srv, expect=None, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        with open(os.path.join(srv.datadir, "log", "audit.jsonl")) as f:
            records = [json.loads(line) for line in f]
        actions = [r["event"]["action"] for r in records]
        if expect is None or expect in actions or time.monotonic() > deadline:
            return records
        time.sleep(0.05)


def admin(srv, *args):
    return subprocess.run([h.TATOU_BIN, "admin", "--admin-url", f"http://127.0.0.1:{srv.admin_port}",
                           "--token-file", os.path.join(srv.datadir, "admin.token"), *args],
                          capture_output=True, text=True, timeout=30)


def db_sql(srv, sql):
    """Runs one statement on the server's database, whatever the backend; returns the first
    column of the first row, or None. Only for values the tests made (no quoting)."""
    if h.BACKEND == "sqlite":
        import sqlite3
        with sqlite3.connect(os.path.join(srv.datadir, "tatou.db")) as db:
            row = db.execute(sql).fetchone()
        return row[0] if row else None
    import urllib.parse
    database = urllib.parse.urlsplit(srv.env["TATOU_DB"]).path.lstrip("/")
    out = h.DB.admin_sql(sql, database=database).strip()
    return out.splitlines()[0].split("\t")[0] if out else None


def user_id(srv, email):
    return int(db_sql(srv, f"SELECT id FROM users WHERE email = '{email}'"))


class PasswordChangeThrottleTests(h.ApiTestCase):
    """Auth 1: a stolen token must not turn into a password guesser."""

    def test_guessing_the_current_password_is_throttled_and_locks(self):
        srv = h.Server(env={"TATOU_LOGIN_MAX_FAILURES": "5", "TATOU_LOCK_AFTER": "10"})
        try:
            email, password, token = h.new_user(srv)
            seen = [logout_all(srv, token, f"Wrong-guess-{i:02d}").status_code for i in range(15)]
            self.assertEqual(seen[:5], [401] * 5)
            self.assertTrue(set(seen[5:]) <= {429, 423}, seen)
            # The right password now changes nothing: the guesser is throttled like a login.
            r = logout_all(srv, token, password)
            self.assertIn(r.status_code, (423, 429), h.describe(r))
            self.assertIn("Retry-After", r.headers)
            self.assertEqual(h.login(srv, email, NEW_PASSWORD).status_code, 401 if r.status_code == 429 else 423)
            actions = [x["event"]["action"] for x in audit_records(srv, "authn_login_fail_max")]
            self.assertIn("authn_login_fail_max", actions)
            metrics = http.get(f"http://127.0.0.1:{srv.admin_port}/metrics").text
            self.assertRegex(metrics, r'tatou_auth_logins_total\{result="(bad_credentials|rate_limited|locked)"\} [1-9]')
        finally:
            srv.cleanup()

    def test_right_current_password_still_changes_it(self):
        srv = h.Server()
        try:
            email, password, token = h.new_user(srv)
            self.assertEqual(logout_all(srv, token, "Wrong-guess-00").status_code, 401)
            self.assertEqual(logout_all(srv, token, password).status_code, 200)
            self.assertEqual(h.login(srv, email, NEW_PASSWORD).status_code, 200)
        finally:
            srv.cleanup()


class AdminLockTests(h.ApiTestCase):
    """Auth 2: no password oracle on an admin-locked account."""

    def test_locked_account_answers_the_same_whatever_the_password(self):
        srv = h.Server(env={"TATOU_LOGIN_MAX_FAILURES": "50", "TATOU_LOCK_AFTER": "0"})
        try:
            email, password, _ = h.new_user(srv)
            self.assertEqual(admin(srv, "lock-user", "--id", str(user_id(srv, email))).returncode, 0)
            right, wrong = h.login(srv, email, password), h.login(srv, email, "Wrong-password-7")
            self.assertEqual(right.status_code, wrong.status_code)
            self.assertEqual(right.status_code, 423)
            strip = lambda r: {k: v for k, v in r.json().items() if k != "request_id"}  # noqa: E731
            self.assertEqual(strip(right), strip(wrong))
            # Both attempts are counted as failed logins in the audit log.
            records = audit_records(srv, "authn_login_fail")
            locked = [x for x in records if x["event"]["action"] == "authn_login_fail"
                      and x["event"].get("reason") == "locked"]
            self.assertGreaterEqual(len(locked), 2, [x["event"] for x in records][-6:])
        finally:
            srv.cleanup()


class RevocationAlwaysWorksTests(h.ApiTestCase):
    """Auth 3: during an incident (read-only, audit fail-closed) one can still end one's sessions."""

    def test_read_only_keeps_logout_and_logout_all(self):
        srv = h.Server()
        try:
            email, password, t1 = h.new_user(srv)
            t2, t3 = h.new_token(srv, email, password), h.new_token(srv, email, password)
            self.assertEqual(admin(srv, "read-only", "on").returncode, 0)
            self.assertEqual(http.post(srv.url("/api/logout"), headers=h.auth(t1)).status_code, 200)
            self.assertEqual(http.get(srv.url("/api/list-documents"), headers=h.auth(t1)).status_code, 401)
            # Changing the password creates state: refused. Revoking alone: done.
            r = logout_all(srv, t2, password, allow_5xx=True)  # read-only mode is the server's state
            self.assertEqual(r.status_code, 503, h.describe(r))
            self.assertEqual(http.post(srv.url("/api/logout-all"), headers=h.auth(t2)).status_code, 200)
            for t in (t2, t3):
                self.assertEqual(http.get(srv.url("/api/list-documents"), headers=h.auth(t)).status_code, 401)
            # A refresh issues a token: refused.
            t4 = h.new_token(srv, email, password)
            r = http.post(srv.url("/api/refresh-token"), headers=h.auth(t4), allow_5xx=True)
            self.assertEqual(r.status_code, 503)
        finally:
            admin(srv, "read-only", "off")
            srv.cleanup()

    def test_audit_fail_closed_keeps_logout_and_logout_all(self):
        srv = h.Server()
        try:
            email, password, t1 = h.new_user(srv)
            t2 = h.new_token(srv, email, password)
            log = os.path.join(srv.datadir, "log")
            path = os.path.join(log, "audit.jsonl")
            os.rename(path, os.path.join(log, "audit-before.jsonl"))
            os.symlink("/dev/full", path)
            http.get(srv.url("/api/list-documents"), headers=h.auth(t1))
            deadline, status = time.monotonic() + 5, None
            while time.monotonic() < deadline:
                status = http.post(srv.url("/api/upload-document"), headers=h.auth(t1), allow_5xx=True,
                                   files={"file": ("a.pdf", h.SAMPLE_PDF, "application/pdf")}).status_code
                if status == 503:
                    break
                time.sleep(0.1)
            self.assertEqual(status, 503)  # fail-closed is in force
            self.assertEqual(http.post(srv.url("/api/logout"), headers=h.auth(t1)).status_code, 200)
            self.assertEqual(http.post(srv.url("/api/logout-all"), headers=h.auth(t2)).status_code, 200)
            self.assertEqual(http.get(srv.url("/api/list-documents"), headers=h.auth(t2)).status_code, 401)
            os.remove(path)
        finally:
            srv.cleanup()


class RefreshTests(h.ApiTestCase):
    """Auth 4: single-use refresh and an absolute session lifetime."""

    def test_concurrent_refreshes_one_winner_and_reuse_is_detected(self):
        srv = h.Server()
        try:
            _, _, token = h.new_user(srv)
            for round_ in range(5):
                barrier = threading.Barrier(4)
                results = []

                def refresh():
                    barrier.wait()
                    r = http.post(srv.url("/api/refresh-token"), headers=h.auth(token))
                    results.append((r.status_code, r.json().get("token")))

                threads = [threading.Thread(target=refresh) for _ in range(4)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                winners = [tok for status, tok in results if status == 200]
                self.assertEqual(len(winners), 1, results)
                self.assertEqual(sorted(s for s, _ in results), [200, 401, 401, 401])
                token = winners[0]
            records = audit_records(srv, "authn_token_reuse")
            self.assertIn("authn_token_reuse", [x["event"]["action"] for x in records])
        finally:
            srv.cleanup()

    def test_refresh_cannot_extend_a_session_past_its_absolute_lifetime(self):
        srv = h.Server(env={"TATOU_SESSION_MAX_LIFETIME": "3"})
        try:
            email, password, token = h.new_user(srv)
            r = http.post(srv.url("/api/refresh-token"), headers=h.auth(token))
            self.assertEqual(r.status_code, 200)
            self.assertLessEqual(r.json()["expires_in"], 3)
            token = r.json()["token"]
            time.sleep(1.2)
            r = http.post(srv.url("/api/refresh-token"), headers=h.auth(token))
            self.assertEqual(r.status_code, 200)
            self.assertLessEqual(r.json()["expires_in"], 2)
            token = r.json()["token"]
            time.sleep(2.2)
            self.assertEqual(http.get(srv.url("/api/list-documents"), headers=h.auth(token)).status_code, 401)
            self.assertEqual(http.post(srv.url("/api/refresh-token"), headers=h.auth(token)).status_code, 401)
            # A fresh login starts a fresh session.
            self.assertEqual(h.login(srv, email, password).json()["expires_in"], 3)
        finally:
            srv.cleanup()


class TokenRootRotationTests(h.ApiTestCase):
    """Auth 5: an attacker holding secret.key and write access to the tokens table (a stolen
    backup, an injection elsewhere) mints bearer tokens for any account. A plain rotation does
    not stop it (every generation derives from secret.key); a new root does."""

    @staticmethod
    def forge(srv, secret, generation, user):
        import hashlib
        import hmac
        import secrets
        key = hmac.new(secret.encode(), b"tatou/token-key/v1", hashlib.sha256).digest()
        if generation > 1:
            key = hmac.new(key, f"generation:{generation}".encode(), hashlib.sha256).digest()
        token = secrets.token_urlsafe(32).rstrip("=")
        digest = hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
        now = int(time.time())
        db_sql(srv, "INSERT INTO tokens(token_hash, user_id, issued_at, expires_at, revoked) "
                    f"VALUES('{digest}', {user}, {now}, {now + 3600}, 0)")
        return token

    def test_rotation_with_a_new_root_ends_forgery_with_a_stolen_secret_key(self):
        srv = h.Server()
        try:
            email, password, victim_token = h.new_user(srv)
            uid = user_id(srv, email)
            with open(os.path.join(srv.datadir, "secret.key")) as f:
                stolen = f.read().strip()
            listing = lambda t: http.get(srv.url("/api/list-documents"), headers=h.auth(t)).status_code  # noqa: E731
            self.assertEqual(listing(self.forge(srv, stolen, 1, uid)), 200)  # the attack works
            out = admin(srv, "--json", "rotate-key")
            self.assertEqual(out.returncode, 0, out.stderr)
            generation = json.loads(out.stdout)["token_generation"]
            # A plain rotation ends the sessions, but not the forgery: the next generation is
            # derived from the same stolen file.
            self.assertEqual(listing(victim_token), 401)
            self.assertEqual(listing(self.forge(srv, stolen, generation, uid)), 200)
            out = admin(srv, "--json", "rotate-key", "--new-root")
            self.assertEqual(out.returncode, 0, out.stderr)
            answer = json.loads(out.stdout)
            self.assertTrue(answer["new_root"])
            root_file = os.path.join(srv.datadir, "token.key")
            self.assertEqual(os.stat(root_file).st_mode & 0o777, 0o600)
            for g in range(1, answer["token_generation"] + 2):
                self.assertEqual(listing(self.forge(srv, stolen, g, uid)), 401, g)
            # Users log in again; the new root survives a restart; a stolen old root is useless.
            fresh = h.new_token(srv, email, password)
            self.assertEqual(listing(fresh), 200)
            srv.restart()
            self.assertEqual(listing(fresh), 200)
            self.assertIn("key_rotated", [x["event"]["action"] for x in audit_records(srv, "key_rotated")])
        finally:
            srv.cleanup()


class SignUpThrottleTests(h.ApiTestCase):
    """Issue 20 class 4: open sign-up costs an Argon2id each; one source gets a bounded number."""

    def test_sign_ups_per_source_are_bounded(self):
        srv = h.Server(env={"TATOU_SIGNUP_MAX_PER_SOURCE": "3", "TATOU_SIGNUP_WINDOW": "3600"})
        try:
            seen, last = [], None
            for i in range(5):
                name = h.unique()
                seen.append(post_from(srv, "127.0.0.2", "/api/create-user",
                                      {"email": f"{name}@example.com", "login": name, "password": h.PASSWORD})[0:3])
            self.assertEqual([s for s, _, _ in seen], [201, 201, 201, 429, 429])
            _, body, resp = seen[-1]
            self.assertIsInstance(body.get("error"), str)
            self.assertGreaterEqual(int(resp.getheader("Retry-After")), 1)
            # Bad input is refused before it counts, and other sources are not affected.
            name = h.unique()
            status, _, _ = post_from(srv, "127.0.0.3", "/api/create-user",
                                     {"email": f"{name}@example.com", "login": name, "password": h.PASSWORD})
            self.assertEqual(status, 201)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    import unittest
    unittest.main()
