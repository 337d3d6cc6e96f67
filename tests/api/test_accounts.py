"""Accounts: create-user, login (and its throttling), bearer auth, logout, logout-all,
refresh-token, token expiry."""

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


def post_json(path, body, token=None):
    headers = h.auth(token) if token else {}
    return http.post(server.url(path), json=body, headers=headers)


class Base(h.ApiTestCase):
    def assert_token_ok(self, token, srv=None):
        srv = srv or server
        r = http.get(srv.url("/api/list-documents"), headers=h.auth(token))
        self.assertEqual(r.status_code, 200, h.describe(r))

    def assert_token_rejected(self, token, srv=None):
        srv = srv or server
        r = http.get(srv.url("/api/list-documents"), headers=h.auth(token))
        self.assert_error(r, 401)


# ------------------------------------------------------------------ create-user


class CreateUserTests(Base):
    def test_success(self):
        login = h.unique("alice")
        email = f"{login}@example.com"
        r = h.create_user(server, login=login, email=email)
        self.assertEqual(r.status_code, 201, h.describe(r))
        body = r.json()
        self.assertIsInstance(body.get("id"), int)
        self.assertNotIsInstance(body["id"], bool)
        self.assertEqual(body.get("email"), email)
        self.assertEqual(body.get("login"), login)
        self.assertNotIn("password", body)
        # The account works.
        r = h.login(server, email)
        self.assertEqual(r.status_code, 200, h.describe(r))

    def test_ids_are_distinct(self):
        a = h.create_user(server).json()["id"]
        b = h.create_user(server).json()["id"]
        self.assertNotEqual(a, b)

    def test_email_echoed_exactly_as_sent_trimmed(self):
        login = h.unique("Mixed")
        email = f"Mixed.Case+{login}@Example.COM"
        r = h.create_user(server, login=login, email=f"  {email}\t")
        self.assertEqual(r.status_code, 201, h.describe(r))
        self.assertEqual(r.json()["email"], email)
        # Login is case-insensitive on the email.
        self.assertEqual(h.login(server, email.lower()).status_code, 200)
        self.assertEqual(h.login(server, email.upper()).status_code, 200)

    def test_duplicate_email_is_409_case_insensitive(self):
        login = h.unique()
        email = f"{login}@example.com"
        self.assertEqual(h.create_user(server, login=login, email=email).status_code, 201)
        self.assert_error(h.create_user(server, login=h.unique(), email=email), 409)
        self.assert_error(h.create_user(server, login=h.unique(), email=email.upper()), 409)

    def test_duplicate_login_is_409(self):
        login = h.unique()
        self.assertEqual(h.create_user(server, login=login).status_code, 201)
        self.assert_error(h.create_user(server, login=login, email=f"other_{login}@example.com"),
                          409)

    def test_invalid_emails(self):
        for email in ("invalid", "", "a@b", "a@b.c", "user@@example.com", "a b@example.com",
                      "@example.com", "user@", "user@example.", "user@exam ple.com",
                      "user@example.c0m", "us'er@example.com", "user@example.com\nx",
                      "<script>@example.com"):
            r = h.create_user(server, email=email)
            self.assert_error(r, 400)

    def test_valid_unusual_emails(self):
        for local in ("first.last", "a_b-c%d+tag", "UPPER"):
            login = h.unique()
            r = h.create_user(server, login=login, email=f"{local}.{login}@sub.example.co.uk")
            self.assertEqual(r.status_code, 201, h.describe(r))

    def test_invalid_logins(self):
        for login in ("ab", "a" * 51, "user@name", "user name", "us.er", "h\u00e9llo", "",
                      "admin'--", "x;DROP", "a/b", "tab\tx", "nul\x00x"):
            r = h.create_user(server, login=login, email=f"{h.unique()}@example.com")
            self.assert_error(r, 400)

    def test_valid_login_bounds(self):
        suffix = h.unique("")[-8:]
        for login in ("ab" + suffix[:1], ("L" + suffix + "_-" + "z" * 50)[:50]):
            r = h.create_user(server, login=login, email=f"{h.unique()}@example.com")
            self.assertEqual(r.status_code, 201, f"{login!r}: {h.describe(r)}")
            self.assertEqual(r.json()["login"], login)

    def test_password_policy(self):
        good = ["StrongPass123", "nouppercase123", "NOLOWERCASE123", "NoDigitsHere",
                "abcdefghi1"]
        bad = ["weak", "onlylowercase", "ONLYUPPERCASE", "1234567890", "Short1a", "Abcdefgh1",
               "", "!!!!!!!!!!!!", "abcdefghij!@#$"]
        for pw in good:
            r = h.create_user(server, password=pw)
            self.assertEqual(r.status_code, 201, f"{pw!r}: {h.describe(r)}")
        for pw in bad:
            r = h.create_user(server, password=pw)
            self.assert_error(r, 400)

    def test_missing_and_mistyped_fields(self):
        login = h.unique()
        full = {"email": f"{login}@example.com", "login": login, "password": h.PASSWORD}
        for field in full:
            body = dict(full)
            del body[field]
            self.assert_error(post_json("/api/create-user", body), 400)
            for wrong in (None, 123, True, False, ["x"], {"a": "b"}):
                body = dict(full)
                body[field] = wrong
                self.assert_error(post_json("/api/create-user", body), 400)
        self.assert_error(post_json("/api/create-user", {}), 400)
        # None of the rejected attempts created the account.
        self.assertEqual(post_json("/api/create-user", full).status_code, 201)


# ------------------------------------------------------------------------ login


class LoginTests(Base):
    def test_success(self):
        email, pw, _ = h.new_user(server)
        r = h.login(server, email, pw)
        self.assertEqual(r.status_code, 200, h.describe(r))
        body = r.json()
        self.assertEqual(body.get("token_type"), "bearer")
        self.assertEqual(body.get("expires_in"), 3600)
        self.assertNotIsInstance(body["expires_in"], bool)
        token = body.get("token")
        self.assertIsInstance(token, str)
        self.assertGreaterEqual(len(token), 43)
        self.assertNotIn(email.split("@")[0], token)
        self.assert_token_ok(token)

    def test_tokens_are_distinct_and_all_valid(self):
        email, pw, t1 = h.new_user(server)
        t2 = h.new_token(server, email, pw)
        self.assertNotEqual(t1, t2)
        self.assert_token_ok(t1)
        self.assert_token_ok(t2)

    def test_wrong_password_and_unknown_email_look_the_same(self):
        email, _, _ = h.new_user(server)
        a = h.login(server, email, "WrongPassword123")
        b = h.login(server, f"nobody_{h.unique()}@example.com", "WrongPassword123")
        ea = self.assert_error(a, 401)
        eb = self.assert_error(b, 401)
        self.assertEqual(ea["error"], eb["error"])
        for body in (ea, eb):
            self.assertIsInstance(body.get("remaining_attempts"), int)
            self.assertNotIsInstance(body["remaining_attempts"], bool)
        self.assertNotIn("token", ea)

    def test_missing_or_empty_fields(self):
        email, pw, _ = h.new_user(server)
        for body in ({}, {"email": email}, {"password": pw}, {"email": "", "password": pw},
                     {"email": email, "password": ""}, {"email": "   ", "password": pw}):
            self.assert_error(post_json("/api/login", body), 400)

    def test_mistyped_fields(self):
        email, pw, _ = h.new_user(server)
        for body in ({"email": email, "password": True}, {"email": email, "password": 123},
                     {"email": True, "password": pw}, {"email": [email], "password": pw},
                     {"email": email, "password": None}):
            self.assert_error(post_json("/api/login", body), 400)

    def test_email_is_trimmed_and_case_insensitive(self):
        email, pw, _ = h.new_user(server)
        self.assertEqual(h.login(server, f"  {email.upper()} ", pw).status_code, 200)

    def test_password_is_case_sensitive(self):
        email, pw, _ = h.new_user(server)
        self.assert_error(h.login(server, email, pw.lower()), 401)


# ------------------------------------------------------------------------- auth


AUTH_ROUTES = [
    ("GET", "/api/list-documents", None),
    ("POST", "/api/upload-document", "multipart"),
    ("GET", "/api/list-all-versions", None),
    ("GET", "/api/list-versions/1", None),
    ("GET", "/api/list-versions?id=1", None),
    ("GET", "/api/get-document/1", None),
    ("GET", "/api/get-document?id=1", None),
    ("POST", "/api/create-watermark/1", {"method": "toy-eof", "intended_for": "x",
                                         "secret": "s", "key": "k"}),
    ("POST", "/api/read-watermark/1", {"method": "toy-eof", "key": "k"}),
    ("DELETE", "/api/delete-document/1", None),
    ("DELETE", "/api/delete-document?id=1", None),
    ("POST", "/api/delete-document", {"id": 1}),
    ("POST", "/api/logout", None),
    ("POST", "/api/logout-all", None),
    ("POST", "/api/refresh-token", None),
]


def call(method, path, body, headers):
    kwargs = {"headers": dict(headers)}
    if body == "multipart":
        kwargs["files"] = {"file": ("doc.pdf", h.SAMPLE_PDF, "application/pdf")}
    elif body is not None:
        kwargs["json"] = body
    return http.request(method, server.url(path), **kwargs)


class AuthEnforcementTests(Base):
    def test_missing_header_is_401_everywhere(self):
        for method, path, body in AUTH_ROUTES:
            with self.subTest(path=path):
                self.assert_error(call(method, path, body, {}), 401)

    def test_malformed_headers_are_401(self):
        email, pw, token = h.new_user(server)
        bad = ["InvalidFormat", "Bearer", "Bearer ", "Bearer invalid_token", f"Basic {token}",
               f"Token {token}", f"Bearer {token}x", f"Bearer {token[:-1]}", f"Bearer  x{token}",
               "Bearer " + "A" * 43, "Bearer " + "A" * 5000, f"{token}"]
        for value in bad:
            for method, path, body in AUTH_ROUTES:
                with self.subTest(header=value[:30], path=path):
                    self.assert_error(call(method, path, body, {"Authorization": value}), 401)
        # The real token still works afterwards.
        self.assert_token_ok(token)

    def test_auth_checked_before_body(self):
        # No token and a garbage body: 401, not 400.
        r = http.post(server.url("/api/create-watermark/1"), data=b"{garbage",
                      headers={"Content-Type": "application/json"})
        self.assert_error(r, 401)
        r = http.post(server.url("/api/upload-document"), data=b"not multipart")
        self.assert_error(r, 401)


# ------------------------------------------------------------------ logout etc.


class LogoutTests(Base):
    def test_logout_revokes_only_presented_token(self):
        email, pw, t1 = h.new_user(server)
        t2 = h.new_token(server, email, pw)
        r = http.post(server.url("/api/logout"), headers=h.auth(t1))
        self.assertEqual(r.status_code, 200, h.describe(r))
        self.assertIsInstance(r.json().get("message"), str)
        self.assert_token_rejected(t1)
        self.assert_token_ok(t2)
        # Logging out twice with the same token: 401.
        self.assert_error(http.post(server.url("/api/logout"), headers=h.auth(t1)), 401)
        # A new login still works.
        self.assert_token_ok(h.new_token(server, email, pw))

    def test_logout_all_revokes_every_token_of_the_user_only(self):
        email, pw, a1 = h.new_user(server)
        a2 = h.new_token(server, email, pw)
        _, _, b1 = h.new_user(server)
        r = http.post(server.url("/api/logout-all"), headers=h.auth(a1))
        self.assertEqual(r.status_code, 200, h.describe(r))
        self.assertIsInstance(r.json().get("message"), str)
        self.assert_token_rejected(a1)
        self.assert_token_rejected(a2)
        self.assert_token_ok(b1)
        # The password is unchanged, and fresh tokens work.
        a3 = h.new_token(server, email, pw)
        self.assert_token_ok(a3)

    def test_logout_all_with_empty_object(self):
        email, pw, a1 = h.new_user(server)
        a2 = h.new_token(server, email, pw)
        r = post_json("/api/logout-all", {}, a1)
        self.assertEqual(r.status_code, 200, h.describe(r))
        self.assert_token_rejected(a1)
        self.assert_token_rejected(a2)

    def test_logout_all_with_password_change(self):
        email, old, a1 = h.new_user(server)
        a2 = h.new_token(server, email, old)
        new = "BrandNewPassword456"
        # Invalid combinations leave everything as it was.
        self.assert_error(post_json("/api/logout-all", {"new_password": new}, a1), 400)
        self.assert_error(post_json("/api/logout-all", {"current_password": old}, a1), 400)
        self.assert_error(post_json("/api/logout-all",
                                    {"new_password": "weak", "current_password": old}, a1), 400)
        self.assert_error(post_json("/api/logout-all",
                                    {"new_password": new, "current_password": 5}, a1), 400)
        self.assert_error(post_json("/api/logout-all",
                                    {"new_password": new, "current_password": "WrongPass999"},
                                    a1), 401)
        self.assert_token_ok(a1)
        self.assert_token_ok(a2)
        # The real change.
        r = post_json("/api/logout-all", {"new_password": new, "current_password": old}, a1)
        self.assertEqual(r.status_code, 200, h.describe(r))
        self.assert_token_rejected(a1)
        self.assert_token_rejected(a2)
        self.assert_error(h.login(server, email, old), 401)
        r = h.login(server, email, new)
        self.assertEqual(r.status_code, 200, h.describe(r))
        self.assert_token_ok(r.json()["token"])

    def test_refresh_token(self):
        email, pw, t1 = h.new_user(server)
        other = h.new_token(server, email, pw)
        r = http.post(server.url("/api/refresh-token"), headers=h.auth(t1))
        self.assertEqual(r.status_code, 200, h.describe(r))
        body = r.json()
        self.assertEqual(body.get("token_type"), "bearer")
        self.assertEqual(body.get("expires_in"), 3600)
        t2 = body.get("token")
        self.assertIsInstance(t2, str)
        self.assertGreaterEqual(len(t2), 43)
        self.assertNotEqual(t1, t2)
        self.assert_token_ok(t2)
        self.assert_token_rejected(t1)
        self.assert_token_ok(other)
        # The old token cannot be refreshed again.
        self.assert_error(http.post(server.url("/api/refresh-token"), headers=h.auth(t1)), 401)
        # The refreshed token can itself be refreshed and logged out.
        r = http.post(server.url("/api/refresh-token"), headers=h.auth(t2))
        self.assertEqual(r.status_code, 200)
        t3 = r.json()["token"]
        self.assert_token_rejected(t2)
        self.assertEqual(http.post(server.url("/api/logout"), headers=h.auth(t3)).status_code,
                         200)
        self.assert_token_rejected(t3)


# ---------------------------------------------------------- token lifetime (own server)


class TokenTtlTests(Base):
    def test_ttl_setting_sets_expires_in(self):
        srv = h.Server(extra_args=["--token-ttl", "120"])
        try:
            email, pw, token = h.new_user(srv)
            r = h.login(srv, email, pw)
            self.assertEqual(r.status_code, 200)
            self.assertEqual(r.json()["expires_in"], 120)
            r = http.post(srv.url("/api/refresh-token"), headers=h.auth(token))
            self.assertEqual(r.status_code, 200, h.describe(r))
            self.assertEqual(r.json()["expires_in"], 120)
        finally:
            srv.cleanup()

    def test_expiry(self):
        try:
            srv = h.Server(extra_args=["--token-ttl", "2"])
        except h.ServerError as exc:
            if "exited with 2" in str(exc):
                self.skipTest("server refuses --token-ttl 2 (a minimum TTL); expiry cannot be "
                              f"tested within the time budget: {str(exc).splitlines()[-1]}")
            raise
        try:
            email, pw, token = h.new_user(srv)
            r = h.login(srv, email, pw)
            self.assertEqual(r.status_code, 200)
            self.assertEqual(r.json()["expires_in"], 2)
            fresh = r.json()["token"]
            self.assert_token_ok(fresh, srv)
            time.sleep(3.2)
            self.assert_token_rejected(fresh, srv)
            self.assert_token_rejected(token, srv)
            self.assert_error(http.post(srv.url("/api/refresh-token"), headers=h.auth(fresh)),
                              401)
            # Logging in again gives a working token.
            self.assert_token_ok(h.new_token(srv, email, pw), srv)
        finally:
            srv.cleanup()


# ---------------------------------------------------------- throttling (own servers)


class LoginThrottleTests(Base):
    """Default limits: 5 failures per (IP, email) per 60 s."""

    @classmethod
    def setUpClass(cls):
        cls.srv = h.Server()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_sixth_attempt_is_429_even_with_right_password(self):
        email, pw, _ = h.new_user(self.srv)
        for i in range(5):
            body = self.assert_error(h.login(self.srv, email, "WrongPassword123"), 401)
            self.assertEqual(body.get("remaining_attempts"), 4 - i, body)
        r = h.login(self.srv, email, pw)
        body = self.assert_error(r, 429)
        self.assertEqual(body.get("remaining_attempts"), 0)
        retry = r.headers.get("Retry-After")
        self.assertIsNotNone(retry)
        self.assertTrue(retry.isdigit() and 0 < int(retry) <= 60, retry)
        self.assertNotIn("token", body)
        # Another email from the same IP is not affected.
        email2, pw2, _ = h.new_user(self.srv)
        self.assertEqual(h.login(self.srv, email2, pw2).status_code, 200)
        # The key is the email case-insensitively.
        self.assert_error(h.login(self.srv, email.upper(), pw), 429)

    def test_unknown_email_is_throttled_too(self):
        email = f"ghost_{h.unique()}@example.com"
        for _ in range(5):
            self.assert_error(h.login(self.srv, email, "WrongPassword123"), 401)
        self.assert_error(h.login(self.srv, email, "WrongPassword123"), 429)

    def test_success_resets_the_email_counter(self):
        email, pw, _ = h.new_user(self.srv)
        for _ in range(4):
            self.assert_error(h.login(self.srv, email, "WrongPassword123"), 401)
        self.assertEqual(h.login(self.srv, email, pw).status_code, 200)
        for i in range(5):
            body = self.assert_error(h.login(self.srv, email, "WrongPassword123"), 401)
            self.assertEqual(body.get("remaining_attempts"), 4 - i)
        self.assert_error(h.login(self.srv, email, pw), 429)


class LoginWindowTests(Base):
    @classmethod
    def setUpClass(cls):
        cls.srv = h.Server(extra_args=["--login-window", "2", "--login-max-failures", "2"])

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_window_expires(self):
        email, pw, _ = h.new_user(self.srv)
        for i in range(2):
            body = self.assert_error(h.login(self.srv, email, "WrongPassword123"), 401)
            self.assertEqual(body.get("remaining_attempts"), 1 - i)
        r = h.login(self.srv, email, pw)
        self.assert_error(r, 429)
        self.assertLessEqual(int(r.headers.get("Retry-After", "99")), 2)
        time.sleep(2.5)
        self.assertEqual(h.login(self.srv, email, pw).status_code, 200)


class LoginPerIpTests(Base):
    @classmethod
    def setUpClass(cls):
        cls.srv = h.Server(extra_args=["--login-max-failures-per-ip", "3",
                                       "--login-max-failures", "10"])

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_per_ip_limit_spans_emails_and_success_does_not_reset_it(self):
        email, pw, _ = h.new_user(self.srv)
        self.assert_error(h.login(self.srv, f"a_{h.unique()}@example.com", "WrongPass1234"), 401)
        self.assert_error(h.login(self.srv, f"b_{h.unique()}@example.com", "WrongPass1234"), 401)
        self.assertEqual(h.login(self.srv, email, pw).status_code, 200)
        self.assert_error(h.login(self.srv, email, "WrongPass1234"), 401)
        # Three failures from this IP: the next attempt is refused, for any email.
        r = h.login(self.srv, email, pw)
        self.assert_error(r, 429)
        self.assertIsNotNone(r.headers.get("Retry-After"))
        self.assert_error(h.login(self.srv, f"c_{h.unique()}@example.com", pw), 429)


if __name__ == "__main__":
    unittest.main(verbosity=2)
