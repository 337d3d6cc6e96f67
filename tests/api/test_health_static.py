"""Health check, static pages, common headers, request ids, 404/405 handling."""

import re
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


HEX32 = re.compile(r"^[0-9a-f]{32}$")


class CommonAssertions(unittest.TestCase):
    def assert_security_headers(self, headers, where=""):
        self.assertEqual(headers.get("X-Frame-Options"), "DENY", where)
        self.assertEqual(headers.get("X-Content-Type-Options"), "nosniff", where)
        self.assertEqual(headers.get("Referrer-Policy"), "strict-origin-when-cross-origin", where)
        csp = headers.get("Content-Security-Policy")
        self.assertIsNotNone(csp, f"no CSP {where}")
        self.assertIn("default-src 'self'", csp, where)
        self.assertIn("frame-ancestors 'none'", csp, where)
        self.assertNotIn("unsafe-inline", csp, where)
        self.assertIsNotNone(headers.get("X-Request-ID"), f"no X-Request-ID {where}")

    def assert_json_error(self, resp, status, error=None):
        self.assertEqual(resp.status_code, status, h.describe(resp))
        self.assertTrue(resp.headers.get("Content-Type", "").startswith("application/json"),
                        h.describe(resp))
        body = resp.json()
        self.assertIsInstance(body, dict)
        self.assertIsInstance(body.get("error"), str)
        self.assertTrue(body["error"])
        self.assertEqual(body.get("request_id"), resp.headers.get("X-Request-ID"))
        if error is not None:
            self.assertEqual(body["error"], error)
        return body


class HealthTests(CommonAssertions):
    def test_healthz(self):
        for path in ("/healthz", "/api/healthz"):
            r = http.get(server.url(path))
            self.assertEqual(r.status_code, 200, h.describe(r))
            self.assertTrue(r.headers["Content-Type"].startswith("application/json"))
            body = r.json()
            self.assertIsInstance(body.get("message"), str)
            self.assertIs(body.get("db_connected"), True)

    def test_healthz_needs_no_auth_and_ignores_bad_token(self):
        r = http.get(server.url("/healthz"), headers={"Authorization": "Bearer nope"})
        self.assertEqual(r.status_code, 200)

    def test_post_healthz_is_405(self):
        self.assert_json_error(http.post(server.url("/healthz")), 405)
        self.assert_json_error(http.delete(server.url("/healthz")), 405)
        self.assert_json_error(http.put(server.url("/api/healthz"), data=b"x"), 405)


class SecurityHeaderTests(CommonAssertions):
    def test_headers_on_health(self):
        r = http.get(server.url("/healthz"))
        self.assert_security_headers(r.headers, "/healthz")

    def test_headers_on_errors(self):
        for resp in (http.get(server.url("/no-such-page")),
                     http.post(server.url("/healthz")),
                     http.get(server.url("/api/list-documents")),
                     http.post(server.url("/api/create-user"), data=b"{nope",
                               headers={"Content-Type": "application/json"})):
            self.assert_security_headers(resp.headers, h.describe(resp))
            self.assertGreaterEqual(resp.status_code, 400)
            self.assert_json_error(resp, resp.status_code)

    def test_headers_on_static_and_pdf(self):
        r = http.get(server.url("/"))
        self.assert_security_headers(r.headers, "/")
        _, _, token = h.new_user(server)
        doc = h.upload_ok(server, token)
        r = http.get(server.url(f"/api/get-document/{doc['id']}"), headers=h.auth(token))
        self.assertEqual(r.status_code, 200)
        self.assert_security_headers(r.headers, "get-document")
        r = http.get(server.url("/api/get-watermarking-methods"))
        self.assert_security_headers(r.headers, "methods")


class RequestIdTests(CommonAssertions):
    def test_generated_when_absent(self):
        ids = set()
        for _ in range(3):
            r = http.get(server.url("/healthz"))
            rid = r.headers.get("X-Request-ID")
            self.assertRegex(rid or "", HEX32)
            ids.add(rid)
        self.assertEqual(len(ids), 3, "request ids must be unique")

    def test_valid_incoming_id_is_echoed(self):
        for rid in ("abc", "test-req.123_ABC", "A" * 64, "0"):
            r = http.get(server.url("/healthz"), headers={"X-Request-ID": rid})
            self.assertEqual(r.headers.get("X-Request-ID"), rid)
        r = http.get(server.url("/missing-thing"), headers={"X-Request-ID": "trace-42"})
        self.assertEqual(r.headers.get("X-Request-ID"), "trace-42")
        self.assertEqual(r.json().get("request_id"), "trace-42")

    def test_invalid_incoming_id_is_replaced(self):
        for rid in ("has space", "A" * 65, "bad/slash", "semi;colon", "<script>", "a:b", ""):
            r = http.get(server.url("/no-such-thing"), headers={"X-Request-ID": rid})
            got = r.headers.get("X-Request-ID")
            self.assertRegex(got or "", HEX32, f"incoming {rid!r}")
            self.assertEqual(r.json().get("request_id"), got)


class NotFoundAndMethodTests(CommonAssertions):
    def test_unknown_paths_any_method(self):
        for path in ("/nonexistent-endpoint", "/api/nonexistent", "/api/", "/api/get-documents",
                     "/api/create-user/extra", "/healthz/x", "/static/nothing.css"):
            for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
                r = http.request(method, server.url(path))
                self.assert_json_error(r, 404, "Resource not found")

    def test_wrong_method_on_known_paths(self):
        cases = [
            ("GET", "/api/create-user"), ("GET", "/api/login"), ("PUT", "/api/login"),
            ("GET", "/api/logout"), ("GET", "/api/logout-all"), ("GET", "/api/refresh-token"),
            ("GET", "/api/upload-document"), ("POST", "/api/list-documents"),
            ("DELETE", "/api/list-documents"), ("POST", "/api/list-all-versions"),
            ("POST", "/api/get-watermarking-methods"), ("PUT", "/api/delete-document/1"),
            ("GET", "/api/delete-document/1"), ("DELETE", "/api/get-document/1"),
            ("POST", "/api/get-version/abc"), ("GET", "/api/create-watermark/1"),
            ("GET", "/api/read-watermark/1"), ("POST", "/healthz"),
        ]
        for method, path in cases:
            r = http.request(method, server.url(path))
            self.assert_json_error(r, 405)

    def test_no_load_plugin_route(self):
        _, _, token = h.new_user(server)
        for method in ("GET", "POST", "PUT"):
            for hdrs in ({}, h.auth(token)):
                r = http.request(method, server.url("/api/load-plugin"), headers=hdrs,
                                 json={"filename": "x.pkl"})
                self.assertIn(r.status_code, (404, 405), h.describe(r))
                self.assert_json_error(r, r.status_code)


class StaticPageTests(CommonAssertions):
    def test_pages(self):
        for path in ("/", "/index.html", "/login.html", "/signup.html", "/documents.html", "/leak.html"):
            r = http.get(server.url(path))
            self.assertEqual(r.status_code, 200, h.describe(r))
            self.assertIn("text/html", r.headers.get("Content-Type", ""))
            self.assertIn(b"<", r.content)
            self.assert_security_headers(r.headers, path)

    def test_identify_a_leak_page_posts_the_file_and_shows_candidates(self):
        page = http.get(server.url("/leak.html")).text
        self.assertIn('src="js/leak.js"', page)
        self.assertIn('id="leak-file"', page)
        js = http.get(server.url("/js/leak.js"))
        self.assertEqual(js.status_code, 200, h.describe(js))
        self.assertIn('"/api/identify-leak"', js.text)
        self.assertNotIn("innerHTML", js.text)  # server text only through textContent
        self.assertIn('href="leak.html"', http.get(server.url("/documents.html")).text)

    def test_stylesheet(self):
        r = http.get(server.url("/style.css"))
        self.assertEqual(r.status_code, 200)
        self.assertIn("text/css", r.headers.get("Content-Type", ""))

    def test_index_is_root(self):
        a = http.get(server.url("/"))
        b = http.get(server.url("/index.html"))
        self.assertEqual(a.content, b.content)

    def test_path_traversal_is_404(self):
        paths = [
            "/../etc/passwd", "/../../../../etc/passwd", "/static/../../../etc/passwd",
            "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
            "/..%2f..%2f..%2fetc%2fpasswd", "/....//....//etc/passwd", "/..%5c..%5cetc%5cpasswd",
            "/%252e%252e/etc/passwd", "/../secret.key", "/../data/secret.key",
            "/%2e%2e/secret.key", "/./../tatou.db", "//etc/passwd",
        ]
        for path in paths:
            status, headers, body = h.raw_request(server, "GET", path)
            self.assertEqual(status, 404, f"{path}: {status} {body[:200]!r}")
            self.assertNotIn(b"root:", body, path)
            self.assertTrue(headers.get("content-type", "").startswith("application/json"), path)
        # A raw backslash is not a legal request-target character: a 400 from the HTTP
        # parser is acceptable there, file contents never.
        status, _, body = h.raw_request(server, "GET", "/..\\..\\etc\\passwd")
        self.assertIn(status, (400, 404), body[:200])
        self.assertNotIn(b"root:", body)

    def test_directory_and_hidden_files_are_404(self):
        for path in ("/.env", "/.git/config", "/secret.key", "/tatou.db", "/server.stderr"):
            r = http.get(server.url(path))
            self.assert_json_error(r, 404, "Resource not found")


if __name__ == "__main__":
    unittest.main(verbosity=2)
