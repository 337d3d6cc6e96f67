"""Watermarking: methods list, create-watermark, get-version, list-versions,
list-all-versions, read-watermark (round trip through a re-uploaded copy)."""

import re
import time
import unittest

import harness as h
from harness import http

server = None

HEX64 = re.compile(r"^[0-9a-f]{64}$")
VERSION_FIELDS = {"id", "documentid", "link", "intended_for", "secret", "method", "position"}
CREATE_FIELDS = {"id", "documentid", "link", "intended_for", "method", "position", "filename",
                 "size"}


def setUpModule():
    global server
    server = h.Server()


def tearDownModule():
    if server is not None:
        server.cleanup()


class Base(h.ApiTestCase):
    def get_version(self, link):
        r = http.get(server.url(f"/api/get-version/{link}"))
        self.assertEqual(r.status_code, 200, h.describe(r))
        self.assertTrue(r.headers.get("Content-Type", "").startswith("application/pdf"))
        cd = r.headers.get("Content-Disposition", "")
        self.assertTrue(cd.startswith("attachment"), cd)
        self.assertIn("filename", cd)
        self.assertTrue(r.content.startswith(b"%PDF"))
        return r.content

    def list_versions(self, token, doc_id, query=None):
        path = f"/api/list-versions/{doc_id}" if query is None else \
            f"/api/list-versions?{query}={doc_id}"
        r = http.get(server.url(path), headers=h.auth(token))
        self.assertEqual(r.status_code, 200, h.describe(r))
        versions = r.json()["versions"]
        for v in versions:
            h.check_fields(self, v, VERSION_FIELDS)
        return versions

    def list_all(self, token):
        r = http.get(server.url("/api/list-all-versions"), headers=h.auth(token))
        self.assertEqual(r.status_code, 200, h.describe(r))
        versions = r.json()["versions"]
        for v in versions:
            h.check_fields(self, v, VERSION_FIELDS)
        return versions

    def timed_create(self, token, doc_id, **kwargs):
        t0 = time.monotonic()
        r = h.create_watermark(server, token, doc_id, **kwargs)
        elapsed = time.monotonic() - t0
        self.assertLess(elapsed, 5.0, f"create-watermark took {elapsed:.1f}s")
        return r


# ----------------------------------------------------------------------- methods


class MethodsTests(Base):
    def test_methods_list(self):
        r = http.get(server.url("/api/get-watermarking-methods"))
        self.assertEqual(r.status_code, 200, h.describe(r))
        body = r.json()
        methods = body.get("methods")
        self.assertIsInstance(methods, list)
        self.assertEqual(body.get("count"), len(methods))
        names = [m.get("name") for m in methods]
        for m in methods:
            self.assertIsInstance(m.get("name"), str)
            self.assertTrue(m["name"])
            self.assertIsInstance(m.get("description"), str)
        self.assertEqual(len(names), len(set(names)), names)
        self.assertIn("toy-eof", names)
        self.assertIn("bash-bridge-eof", names)

    def test_methods_public_even_with_bad_token(self):
        r = http.get(server.url("/api/get-watermarking-methods"),
                     headers={"Authorization": "Bearer bogus"})
        self.assertEqual(r.status_code, 200)


# -------------------------------------------------------------- create-watermark


class CreateWatermarkTests(Base):
    @classmethod
    def setUpClass(cls):
        _, _, cls.token = h.new_user(server)
        cls.doc = h.upload_ok(server, cls.token, data=h.SAMPLE_PDF)
        cls.multi = h.upload_ok(server, cls.token, data=h.MULTI_PAGE_PDF, name="multi")

    def check_created(self, body, doc_id, method, intended_for, original):
        h.check_fields(self, body, CREATE_FIELDS)
        self.assertIsInstance(body["id"], int)
        self.assertNotIsInstance(body["id"], bool)
        self.assertEqual(body["documentid"], doc_id)
        self.assertRegex(body["link"], HEX64)
        self.assertEqual(body["intended_for"], intended_for)
        self.assertEqual(body["method"], method)
        self.assertIsInstance(body["filename"], str)
        self.assertTrue(body["filename"])
        self.assertIsInstance(body["size"], int)
        content = self.get_version(body["link"])
        self.assertEqual(len(content), body["size"])
        self.assertNotEqual(content, original)
        return content

    def test_every_method_on_both_pdfs(self):
        for method in h.methods(server):
            for doc, original in ((self.doc, h.SAMPLE_PDF), (self.multi, h.MULTI_PAGE_PDF)):
                with self.subTest(method=method, doc=doc["name"]):
                    r = self.timed_create(self.token, doc["id"], method=method,
                                          intended_for="bob@example.com", secret="unit-secret")
                    if method in h.TEXT_METHODS and original is h.SAMPLE_PDF:  # its page has no text
                        self.assert_error(r, 400)
                        continue
                    self.assertEqual(r.status_code, 201, h.describe(r))
                    body = r.json()
                    self.check_created(body, doc["id"], method, "bob@example.com", original)
                    self.assertIn(body["position"], (None, ""))

    def test_id_sources(self):
        hdr = h.auth(self.token)
        base = {"method": "toy-eof", "intended_for": "ids", "secret": "s", "key": "k"}
        d = self.doc["id"]
        for path, body in ((f"/api/create-watermark/{d}", base),
                           (f"/api/create-watermark?id={d}", base),
                           (f"/api/create-watermark?documentid={d}", base),
                           ("/api/create-watermark", dict(base, id=d)),
                           (f"/api/create-watermark/{d}", dict(base, id=d))):
            r = http.post(server.url(path), json=body, headers=hdr)
            self.assertEqual(r.status_code, 201, f"{path}: {h.describe(r)}")
            self.assertEqual(r.json()["documentid"], d)

    def test_position_is_echoed(self):
        r = self.timed_create(self.token, self.doc["id"], position="top-left",
                              intended_for="pos")
        self.assertEqual(r.status_code, 201, h.describe(r))
        body = r.json()
        self.assertEqual(body["position"], "top-left")
        listed = {v["link"]: v for v in self.list_versions(self.token, self.doc["id"])}
        self.assertEqual(listed[body["link"]]["position"], "top-left")

    def test_same_recipient_twice_gives_two_versions(self):
        _, _, token = h.new_user(server)
        doc = h.upload_ok(server, token)
        a = h.create_watermark_ok(server, token, doc["id"], intended_for="carol", secret="one")
        b = h.create_watermark_ok(server, token, doc["id"], intended_for="carol", secret="two")
        self.assertNotEqual(a["link"], b["link"])
        self.assertNotEqual(a["id"], b["id"])
        ca = self.get_version(a["link"])
        cb = self.get_version(b["link"])
        self.assertIn(b"%%WM-ADD-AFTER-EOF", ca)
        self.assertNotEqual(ca, cb)
        listed = self.list_versions(token, doc["id"])
        self.assertEqual({v["link"] for v in listed}, {a["link"], b["link"]})
        self.assertEqual({v["secret"] for v in listed}, {"one", "two"})

    def test_versions_listing(self):
        _, _, token = h.new_user(server)
        doc = h.upload_ok(server, token)
        other = h.upload_ok(server, token, data=h.MULTI_PAGE_PDF)
        self.assertEqual(self.list_versions(token, doc["id"]), [])
        self.assertEqual(self.list_all(token), [])
        created = []
        for i, method in enumerate(["toy-eof", "bash-bridge-eof"]):
            created.append((doc["id"], h.create_watermark_ok(
                server, token, doc["id"], method=method, intended_for=f"r{i}@example.com",
                secret=f"secret number {i} \u2713")))
        created.append((other["id"], h.create_watermark_ok(server, token, other["id"],
                                                           intended_for="o", secret="other")))
        for query in (None, "id", "documentid"):
            listed = self.list_versions(token, doc["id"], query)
            self.assertEqual(len(listed), 2)
            by_link = {v["link"]: v for v in listed}
            for i, (_, c) in enumerate(created[:2]):
                v = by_link[c["link"]]
                self.assertEqual(v["id"], c["id"])
                self.assertEqual(v["documentid"], doc["id"])
                self.assertEqual(v["intended_for"], f"r{i}@example.com")
                self.assertEqual(v["secret"], f"secret number {i} \u2713")
                self.assertEqual(v["method"], c["method"])
        everything = self.list_all(token)
        self.assertEqual({v["link"] for v in everything}, {c["link"] for _, c in created})
        for v in everything:
            self.assertIn(v["documentid"], (doc["id"], other["id"]))

    def test_verbatim_strings(self):
        _, _, token = h.new_user(server)
        doc = h.upload_ok(server, token)
        tricky = ["'; DROP TABLE Versions; --", "\" OR 1=1 --", "<script>alert(1)</script>",
                  "\u00fc\u00f1\u00ee\u00e7\u00f8\u00f0\u00e9 \U0001F600", "a\\b/c..%00"]
        for s in tricky:
            body = h.create_watermark_ok(server, token, doc["id"], intended_for=s, secret=s)
            self.assertEqual(body["intended_for"], s)
        listed = self.list_versions(token, doc["id"])
        self.assertEqual(sorted(v["secret"] for v in listed), sorted(tricky))
        self.assertEqual(sorted(v["intended_for"] for v in listed), sorted(tricky))

    # -- failures

    def test_missing_or_empty_fields(self):
        full = {"method": "toy-eof", "intended_for": "x", "secret": "s", "key": "k"}
        for field in full:
            body = dict(full)
            del body[field]
            self.assert_error(http.post(server.url(f"/api/create-watermark/{self.doc['id']}"),
                                        json=body, headers=h.auth(self.token)), 400)
            body = dict(full, **{field: ""})
            self.assert_error(http.post(server.url(f"/api/create-watermark/{self.doc['id']}"),
                                        json=body, headers=h.auth(self.token)), 400)
            for wrong in (None, 5, True, ["x"]):
                body = dict(full, **{field: wrong})
                self.assert_error(http.post(
                    server.url(f"/api/create-watermark/{self.doc['id']}"), json=body,
                    headers=h.auth(self.token)), 400)

    def test_unknown_method(self):
        for method in ("no-such-method", "TOY-EOF", "toy-eof ", "../toy-eof"):
            self.assert_error(self.timed_create(self.token, self.doc["id"], method=method), 400)

    def test_missing_id_is_400(self):
        r = http.post(server.url("/api/create-watermark"), headers=h.auth(self.token),
                      json={"method": "toy-eof", "intended_for": "x", "secret": "s", "key": "k"})
        self.assert_error(r, 400)

    def test_unknown_document(self):
        self.assert_error(h.create_watermark(server, self.token, 987654321), 404)

    def test_no_token(self):
        r = http.post(server.url(f"/api/create-watermark/{self.doc['id']}"),
                      json={"method": "toy-eof", "intended_for": "x", "secret": "s", "key": "k"})
        self.assert_error(r, 401)

    def test_failed_creates_add_no_versions(self):
        _, _, token = h.new_user(server)
        doc = h.upload_ok(server, token)
        h.create_watermark(server, token, doc["id"], method="nope")
        h.create_watermark(server, token, doc["id"], secret="")
        self.assertEqual(self.list_versions(token, doc["id"]), [])


# ------------------------------------------------------------------- get-version


class GetVersionTests(Base):
    def test_unknown_links(self):
        for link in ("0" * 64, "f" * 64, "abc", "0" * 32, "..%2f..%2fetc%2fpasswd",
                     "%00", "A" * 64, "1 OR 1=1"):
            r = http.get(server.url(f"/api/get-version/{link}"))
            self.assert_error(r, 404)

    def test_uppercase_link_is_not_the_same(self):
        _, _, token = h.new_user(server)
        doc = h.upload_ok(server, token)
        v = h.create_watermark_ok(server, token, doc["id"])
        self.get_version(v["link"])
        self.assert_error(http.get(server.url(f"/api/get-version/{v['link'].upper()}")), 404)
        self.assert_error(http.get(server.url(f"/api/get-version/{v['link'][:-1]}")), 404)

    def test_links_are_unpredictable(self):
        # Same document name and recipient in two accounts: different links.
        links = set()
        for _ in range(2):
            _, _, token = h.new_user(server)
            doc = h.upload_ok(server, token, name="same.pdf")
            links.add(h.create_watermark_ok(server, token, doc["id"], intended_for="same")["link"])
        self.assertEqual(len(links), 2)

    def test_no_auth_needed_but_token_harmless(self):
        _, _, token = h.new_user(server)
        doc = h.upload_ok(server, token)
        v = h.create_watermark_ok(server, token, doc["id"])
        r = http.get(server.url(f"/api/get-version/{v['link']}"),
                     headers={"Authorization": "Bearer garbage"})
        self.assertEqual(r.status_code, 200)


class ListVersionsErrorTests(Base):
    def test_errors(self):
        _, _, token = h.new_user(server)
        hdr = h.auth(token)
        self.assert_error(http.get(server.url("/api/list-versions/987654321"), headers=hdr), 404)
        self.assert_error(http.get(server.url("/api/list-versions?id=987654321"), headers=hdr),
                          404)
        self.assert_error(http.get(server.url("/api/list-versions"), headers=hdr), 400)
        self.assert_error(http.get(server.url("/api/list-versions/1")), 401)
        self.assert_error(http.get(server.url("/api/list-all-versions")), 401)


# ------------------------------------------------------------------ read-watermark


class ReadWatermarkTests(Base):
    @classmethod
    def setUpClass(cls):
        _, _, cls.token = h.new_user(server)
        cls.doc = h.upload_ok(server, cls.token, data=h.MULTI_PAGE_PDF, name="orig")

    def leak(self, method, secret, key="unit-test-key", doc=None):
        """Watermarks, downloads, and re-uploads; returns the re-uploaded document."""
        doc = doc or self.doc
        r = self.timed_create(self.token, doc["id"], method=method, secret=secret, key=key,
                              intended_for=f"{method}@example.com")
        self.assertEqual(r.status_code, 201, h.describe(r))
        content = self.get_version(r.json()["link"])
        return h.upload_ok(server, self.token, data=content, filename="leaked.pdf")

    def read(self, doc_id, method, key="unit-test-key", token=None, **extra):
        body = {"method": method, "key": key}
        body.update(extra)
        return http.post(server.url(f"/api/read-watermark/{doc_id}"), json=body,
                         headers=h.auth(token or self.token))

    def test_round_trip_every_method(self):
        for method in h.methods(server):
            with self.subTest(method=method):
                secret = f"unit-test-secret-{method}"
                copy = self.leak(method, secret)
                r = self.read(copy["id"], method)
                if method in h.NON_BLIND_METHODS:  # identified with identify-leak instead
                    self.assert_error(r, 404)
                    continue
                self.assertEqual(r.status_code, 201, h.describe(r))
                body = r.json()
                self.assertEqual(body.get("secret"), secret)
                self.assertEqual(body.get("documentid"), copy["id"])
                self.assertEqual(body.get("method"), method)
                self.assertIn("position", body)

    def test_round_trip_on_the_sample_pdf(self):
        _, _, token = h.new_user(server)
        doc = h.upload_ok(server, token)
        for method in h.methods(server):
            with self.subTest(method=method):
                if method in h.TEXT_METHODS:  # the sample's page has no text
                    continue
                v = h.create_watermark_ok(server, token, doc["id"], method=method,
                                          secret="sample-secret", key="k3y-for-sample")
                content = self.get_version(v["link"])
                copy = h.upload_ok(server, token, data=content)
                r = self.read(copy["id"], method, key="k3y-for-sample", token=token)
                self.assertEqual(r.status_code, 201, h.describe(r))
                self.assertEqual(r.json()["secret"], "sample-secret")

    def test_wrong_key_every_method(self):
        for method in h.methods(server):
            with self.subTest(method=method):
                copy = self.leak(method, "keyed-secret", key="right-key")
                status = 404 if method in h.NON_BLIND_METHODS else 400
                body = self.assert_error(self.read(copy["id"], method, key="wrong-key"), status)
                self.assertNotIn("keyed-secret", str(body))

    def test_unicode_secret(self):
        secret = "s\u00e9cr\u00e9t \u2713 \"quoted\" & <tag> \U0001F512"
        copy = self.leak("toy-eof", secret)
        r = self.read(copy["id"], "toy-eof")
        self.assertEqual(r.status_code, 201, h.describe(r))
        self.assertEqual(r.json()["secret"], secret)

    def test_id_sources(self):
        copy = self.leak("toy-eof", "by-any-id")
        hdr = h.auth(self.token)
        body = {"method": "toy-eof", "key": "unit-test-key"}
        for path, b in ((f"/api/read-watermark?id={copy['id']}", body),
                        (f"/api/read-watermark?documentid={copy['id']}", body),
                        ("/api/read-watermark", dict(body, id=copy["id"]))):
            r = http.post(server.url(path), json=b, headers=hdr)
            self.assertEqual(r.status_code, 201, f"{path}: {h.describe(r)}")
            self.assertEqual(r.json()["secret"], "by-any-id")

    def test_document_without_watermark_is_404(self):
        for method in h.methods(server):
            with self.subTest(method=method):
                self.assert_error(self.read(self.doc["id"], method), 404)

    def test_wrong_method_for_the_watermark(self):
        copy = self.leak("toy-eof", "eof-only")
        r = self.read(copy["id"], "bash-bridge-eof")
        self.assertIn(r.status_code, (400, 404), h.describe(r))
        self.assertNotIn("eof-only", r.text)

    def test_unknown_method_is_400(self):
        copy = self.leak("toy-eof", "x")
        self.assert_error(self.read(copy["id"], "no-such-method"), 400)

    def test_missing_fields_are_400(self):
        for body in ({}, {"method": "toy-eof"}, {"key": "k"}, {"method": "", "key": "k"},
                     {"method": "toy-eof", "key": ""}, {"method": "toy-eof", "key": 5},
                     {"method": True, "key": "k"}):
            r = http.post(server.url(f"/api/read-watermark/{self.doc['id']}"), json=body,
                          headers=h.auth(self.token))
            self.assert_error(r, 400)

    def test_unknown_document_is_404(self):
        self.assert_error(self.read(987654321, "toy-eof"), 404)

    def test_missing_id_is_400(self):
        r = http.post(server.url("/api/read-watermark"), headers=h.auth(self.token),
                      json={"method": "toy-eof", "key": "k"})
        self.assert_error(r, 400)

    def test_no_token(self):
        r = http.post(server.url(f"/api/read-watermark/{self.doc['id']}"),
                      json={"method": "toy-eof", "key": "k"})
        self.assert_error(r, 401)


if __name__ == "__main__":
    unittest.main(verbosity=2)
