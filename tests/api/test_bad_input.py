"""Hostile and malformed input on every JSON route and every id parameter:
wrong content types, invalid / non-object JSON, extra fields, wrong types,
oversized bodies, bad ids, SQL-injection strings. Never a 5xx, never a crash."""

import json
import unittest
from urllib.parse import quote

import harness as h
from harness import http

server = None


def setUpModule():
    global server
    server = h.Server()


def tearDownModule():
    if server is not None:
        server.cleanup()


class Ctx:
    """A user with a document and a watermarked copy, repaired between cases so that a
    request that wrongly succeeds (e.g. logout-all, delete) cannot cascade."""

    def __init__(self):
        self.email, self.password, self.token = h.new_user(server)
        self.doc = h.upload_ok(server, self.token)
        v = h.create_watermark_ok(server, self.token, self.doc["id"], secret="ctx-secret")
        leaked = http.get(server.url(f"/api/get-version/{v['link']}")).content
        self.leaked = h.upload_ok(server, self.token, data=leaked)

    def ensure(self):
        r = http.get(server.url("/api/list-documents"), headers=h.auth(self.token))
        if r.status_code != 200:
            self.token = h.new_token(server, self.email, self.password)
            r = http.get(server.url("/api/list-documents"), headers=h.auth(self.token))
        ids = {d["id"] for d in r.json()["documents"]}
        if self.doc["id"] not in ids:
            self.doc = h.upload_ok(server, self.token)
        return self


def new_account_body(_ctx):
    login = h.unique()
    return {"email": f"{login}@example.com", "login": login, "password": h.PASSWORD}


class Route:
    """path(ctx); valid(ctx): a body the route accepts and that is harmless if accepted;
    typed(ctx): every field of the route, for wrong-type cases; big(ctx): a body over
    the JSON limit made of legitimate fields (None: pad with whitespace)."""

    def __init__(self, path, valid, typed=None, big=None, needs_auth=True):
        self.path, self.valid, self.typed, self.big = path, valid, typed or valid, big
        self.needs_auth = needs_auth


ROUTES = {
    "create-user": Route(
        lambda c: "/api/create-user", new_account_body,
        big=lambda c: {"email": "big@example.com", "login": "x" * 70000,
                       "password": h.PASSWORD},
        needs_auth=False),
    "login": Route(
        lambda c: "/api/login", lambda c: {"email": c.email, "password": c.password},
        big=lambda c: {"email": c.email, "password": "x" * 70000},
        needs_auth=False),
    "logout-all": Route(
        lambda c: "/api/logout-all", lambda c: {},
        typed=lambda c: {"new_password": "AnotherPassword123", "current_password": c.password},
        big=lambda c: {"new_password": "Aa1" * 25000, "current_password": c.password}),
    "create-watermark": Route(
        lambda c: f"/api/create-watermark/{c.doc['id']}",
        lambda c: {"method": "toy-eof", "intended_for": "x", "secret": "s", "key": "k"},
        typed=lambda c: {"method": "toy-eof", "intended_for": "x", "secret": "s", "key": "k",
                         "position": "p"},
        big=lambda c: {"method": "toy-eof", "intended_for": "x", "secret": "s" * 70000,
                       "key": "k"}),
    "read-watermark": Route(
        lambda c: f"/api/read-watermark/{c.leaked['id']}",
        lambda c: {"method": "toy-eof", "key": "unit-test-key"},
        typed=lambda c: {"method": "toy-eof", "key": "unit-test-key", "position": "p"},
        big=lambda c: {"method": "toy-eof", "key": "k" * 70000}),
    "delete-document": Route(
        lambda c: "/api/delete-document", lambda c: {"id": c.doc["id"]}),
}

# config/limits.hpp json_body_bytes: the transport's limit for every JSON route but RMAP.
JSON_LIMIT = 16384

NON_OBJECTS = [b"[]", b"-15681", b'"x"', b"null", b"true", b"0", b"[{}]", b"1.5"]
INVALID_JSON = [b"{nope", b"{", b'{"a": }', b"{'single': 'quotes'}", b'{"a": 1,}',
                b'{"a": NaN}', b'{"a": 1} trailing', b"\xff\xfe{}", b'{"a": "\xff"}',
                b'{"a": "unterminated}', b"{\"a\": 01}"]


class Base(h.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.ctx = Ctx()

    def send(self, route, data, content_type="application/json"):
        rt = ROUTES[route]
        c = self.ctx.ensure()
        headers = h.auth(c.token) if rt.needs_auth else {}
        if content_type is not None:
            headers["Content-Type"] = content_type
        return http.post(server.url(rt.path(c)), data=data, headers=headers)


# ---------------------------------------------------------------- JSON framing


class JsonFramingTests(Base):
    def test_valid_bodies_work(self):
        """The baseline the negative cases deviate from."""
        for route in ("create-user", "login", "create-watermark", "read-watermark"):
            body = ROUTES[route].valid(self.ctx)
            r = self.send(route, json.dumps(body).encode())
            self.assertIn(r.status_code, (200, 201), f"{route}: {h.describe(r)}")

    def test_wrong_content_type_is_415(self):
        for route, rt in ROUTES.items():
            for ctype in ("text/plain", "application/x-www-form-urlencoded",
                          "multipart/form-data; boundary=x", "application/xml",
                          "application/jsonp", "text/json"):
                with self.subTest(route=route, ctype=ctype):
                    r = self.send(route, json.dumps(rt.valid(self.ctx)).encode(), ctype)
                    self.assert_error(r, 415)

    def test_json_with_charset_and_without_content_type(self):
        body = ROUTES["create-user"].valid(self.ctx)
        r = self.send("create-user", json.dumps(body).encode(), "application/json; charset=utf-8")
        self.assertEqual(r.status_code, 201, h.describe(r))
        body = ROUTES["create-user"].valid(self.ctx)
        r = self.send("create-user", json.dumps(body).encode(), None)
        self.assertEqual(r.status_code, 201, h.describe(r))

    def test_invalid_json_is_400(self):
        for route in ROUTES:
            for data in INVALID_JSON:
                with self.subTest(route=route, data=data):
                    self.assert_error(self.send(route, data), 400)
            if route != "logout-all":  # logout-all accepts an empty body
                self.assert_error(self.send(route, b""), 400, msg=route)

    def test_non_object_json_is_400(self):
        for route in ROUTES:
            for data in NON_OBJECTS:
                with self.subTest(route=route, data=data):
                    self.assert_error(self.send(route, data), 400)

    def test_extra_fields_are_400(self):
        for route, rt in ROUTES.items():
            for extra in ({"admin": True}, {"is_admin": 1}, {"role": "admin"}, {"": ""},
                          {"ownerid": 1}):
                with self.subTest(route=route, extra=extra):
                    body = dict(rt.valid(self.ctx), **extra)
                    self.assert_error(self.send(route, json.dumps(body).encode()), 400)
        # read-watermark does not take create-watermark's fields.
        body = dict(ROUTES["read-watermark"].valid(self.ctx), secret="s")
        self.assert_error(self.send("read-watermark", json.dumps(body).encode()), 400)

    def test_wrong_types_are_400(self):
        for route, rt in ROUTES.items():
            for field in rt.typed(self.ctx):
                for wrong in (True, False, 12345, 1.5, [], {}, ["a"]):
                    if route == "delete-document" and wrong in (12345,):
                        continue  # an int is the right type for "id"
                    with self.subTest(route=route, field=field, value=wrong):
                        body = dict(rt.typed(self.ctx), **{field: wrong})
                        self.assert_error(self.send(route, json.dumps(body).encode()), 400)

    def test_optional_fields_wrong_types(self):
        for route, field, wrong in (("create-watermark", "position", True),
                                    ("create-watermark", "position", 5),
                                    ("create-watermark", "position", ["top"]),
                                    ("read-watermark", "position", False),
                                    ("create-watermark", "id", True),
                                    ("create-watermark", "id", "abc"),
                                    ("read-watermark", "id", True),
                                    ("read-watermark", "id", 1.5)):
            with self.subTest(route=route, field=field, value=wrong):
                body = dict(ROUTES[route].valid(self.ctx), **{field: wrong})
                self.assert_error(self.send(route, json.dumps(body).encode()), 400)

    def test_oversized_body_is_413(self):
        for route, rt in ROUTES.items():
            body = rt.big(self.ctx) if rt.big else None
            data = json.dumps(body).encode() if body else \
                b'{"id": ' + str(self.ctx.doc["id"]).encode() + b" " * 70000 + b"}"
            self.assertGreater(len(data), JSON_LIMIT)
            with self.subTest(route=route):
                self.assert_error(self.send(route, data), 413)
        # Nothing was deleted by the padded delete request.
        ids = [d["id"] for d in http.get(server.url("/api/list-documents"),
                                         headers=h.auth(self.ctx.token)).json()["documents"]]
        self.assertIn(self.ctx.doc["id"], ids)

    def test_body_just_under_limit_is_parsed(self):
        body = ROUTES["create-user"].valid(self.ctx)
        data = json.dumps(body).encode()
        data = data[:-1] + b" " * (JSON_LIMIT - 100 - len(data)) + b"}"
        r = self.send("create-user", data)
        self.assertEqual(r.status_code, 201, h.describe(r))

    def test_deep_nesting_is_400(self):
        # Deep far past the parser's depth limit (32), within the body limit (JSON_LIMIT).
        deep_array = b"[" * 5000 + b"]" * 5000
        deep_object = b'{"a":' * 2000 + b"1" + b"}" * 2000
        for route in ROUTES:
            for data in (deep_array, deep_object):
                with self.subTest(route=route, kind=data[:2]):
                    self.assert_error(self.send(route, data), 400)
        self.assertTrue(server.alive())

    def test_nul_and_control_characters_in_strings(self):
        for login in ("abc\u0000def", "abc\ndef"):
            body = {"email": f"{h.unique()}@example.com", "login": login, "password": h.PASSWORD}
            self.assert_error(self.send("create-user", json.dumps(body).encode()), 400)
        body = {"email": "\ud800@example.com", "login": h.unique(), "password": h.PASSWORD}
        self.assert_error(self.send("create-user", json.dumps(body).encode()), 400)


# ------------------------------------------------------------------------- ids


BAD_IDS = ["abc", "-1", "0", "1.5", "99999999999999999999", "9223372036854775808", "1e3",
           "0x10", "1abc", "%20", "1%20OR%201=1", "1'%20OR%20'1'='1", "1;DROP%20TABLE%20x",
           "-0", "18446744073709551617"]
BAD_JSON_IDS = ["abc", -1, 0, 1.5, 99999999999999999999, 2 ** 63, 2 ** 64 + 1, True, False,
                None, [], {}, "1 OR 1=1", -9223372036854775808]
MAX_ID = "9223372036854775807"


class IdTests(Base):
    def path_routes(self, doc_id):
        hdr = h.auth(self.ctx.ensure().token)
        wm = {"method": "toy-eof", "intended_for": "x", "secret": "s", "key": "k"}
        rd = {"method": "toy-eof", "key": "k"}
        u = server.url
        return {
            "get-document": lambda: http.get(u(f"/api/get-document/{doc_id}"), headers=hdr),
            "get-document?id": lambda: http.get(u(f"/api/get-document?id={doc_id}"), headers=hdr),
            "get-document?documentid": lambda: http.get(
                u(f"/api/get-document?documentid={doc_id}"), headers=hdr),
            "list-versions": lambda: http.get(u(f"/api/list-versions/{doc_id}"), headers=hdr),
            "list-versions?id": lambda: http.get(u(f"/api/list-versions?id={doc_id}"),
                                                 headers=hdr),
            "list-versions?documentid": lambda: http.get(
                u(f"/api/list-versions?documentid={doc_id}"), headers=hdr),
            "create-watermark": lambda: http.post(u(f"/api/create-watermark/{doc_id}"), json=wm,
                                                  headers=hdr),
            "create-watermark?id": lambda: http.post(u(f"/api/create-watermark?id={doc_id}"),
                                                     json=wm, headers=hdr),
            "read-watermark": lambda: http.post(u(f"/api/read-watermark/{doc_id}"), json=rd,
                                                headers=hdr),
            "read-watermark?id": lambda: http.post(u(f"/api/read-watermark?id={doc_id}"),
                                                   json=rd, headers=hdr),
            "delete-document": lambda: http.delete(u(f"/api/delete-document/{doc_id}"),
                                                   headers=hdr),
            "delete-document?id": lambda: http.delete(u(f"/api/delete-document?id={doc_id}"),
                                                      headers=hdr),
            "delete-document POST?id": lambda: http.post(
                u(f"/api/delete-document?id={doc_id}"), headers=hdr),
            "delete-document?documentid": lambda: http.delete(
                u(f"/api/delete-document?documentid={doc_id}"), headers=hdr),
        }

    def json_routes(self, doc_id):
        hdr = h.auth(self.ctx.ensure().token)
        u = server.url
        return {
            "create-watermark": lambda: http.post(
                u("/api/create-watermark"), headers=hdr,
                json={"method": "toy-eof", "intended_for": "x", "secret": "s", "key": "k",
                      "id": doc_id}),
            "read-watermark": lambda: http.post(
                u("/api/read-watermark"), headers=hdr,
                json={"method": "toy-eof", "key": "k", "id": doc_id}),
            "delete-document POST": lambda: http.post(u("/api/delete-document"), headers=hdr,
                                                      json={"id": doc_id}),
            "delete-document DELETE": lambda: http.delete(u("/api/delete-document"),
                                                          headers=hdr, json={"id": doc_id}),
        }

    def test_bad_path_and_query_ids_are_400(self):
        for bad in BAD_IDS:
            for name, call in self.path_routes(bad).items():
                with self.subTest(route=name, id=bad):
                    self.assert_error(call(), 400)

    def test_bad_json_ids_are_400(self):
        for bad in BAD_JSON_IDS:
            for name, call in self.json_routes(bad).items():
                with self.subTest(route=name, id=bad):
                    self.assert_error(call(), 400)

    def test_largest_id_is_valid_but_missing(self):
        for name, call in self.path_routes(MAX_ID).items():
            with self.subTest(route=name):
                self.assert_error(call(), 404)
        for name, call in self.json_routes(int(MAX_ID)).items():
            with self.subTest(route=name):
                self.assert_error(call(), 404)

    def test_document_survives_all_of_this(self):
        doc_id = self.ctx.ensure().doc["id"]
        for bad in (f"{doc_id}abc", f"{doc_id}.0", f"-{doc_id}", f"{doc_id}%00"):
            self.assert_error(http.delete(server.url(f"/api/delete-document/{bad}"),
                                          headers=h.auth(self.ctx.token)), 400)
        r = http.get(server.url(f"/api/get-document/{doc_id}"), headers=h.auth(self.ctx.token))
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.content, h.SAMPLE_PDF)


# ------------------------------------------------------------- injection strings


SQLI = ["' OR '1'='1", "admin'--", "\" OR \"\"=\"", "1; DROP TABLE Users; --",
        "' UNION SELECT password FROM Users --", "%' OR 1=1 --", "\\'; SELECT 1; --"]


class InjectionTests(Base):
    def test_sqli_in_create_user(self):
        for s in SQLI:
            for field in ("email", "login"):
                login = h.unique()
                body = {"email": f"{login}@example.com", "login": login, "password": h.PASSWORD}
                body[field] = s if field == "login" else f"{s}@example.com"
                r = http.post(server.url("/api/create-user"), json=body)
                self.assert_error(r, 400, msg=f"{field}={s!r}")

    def test_sqli_as_password_is_just_a_password(self):
        pw = "Aa1' OR '1'='1 --"
        email, _, token = h.new_user(server, password=pw)
        self.assertEqual(h.login(server, email, pw).status_code, 200)

    def test_sqli_in_login(self):
        for s in SQLI[:4]:
            r = h.login(server, s, "' OR '1'='1")
            self.assertIn(r.status_code, (400, 401), h.describe(r))
            self.assertNotIn("token", r.json())
        # The attempts did not log anyone in as someone else.
        r = h.login(server, f"{self.ctx.email}' --", "anything")
        self.assertIn(r.status_code, (400, 401), h.describe(r))

    def test_sqli_in_watermark_fields_stored_verbatim(self):
        c = self.ctx.ensure()
        for s in SQLI:
            v = h.create_watermark_ok(server, c.token, c.doc["id"], intended_for=s, secret=s,
                                      key=s)
            self.assertEqual(v["intended_for"], s)
        r = http.get(server.url(f"/api/list-versions/{c.doc['id']}"), headers=h.auth(c.token))
        secrets = [v["secret"] for v in r.json()["versions"]]
        for s in SQLI:
            self.assertIn(s, secrets)

    def test_sqli_in_method_and_link(self):
        c = self.ctx.ensure()
        for s in SQLI:
            r = h.create_watermark(server, c.token, c.doc["id"], method=s)
            self.assert_error(r, 400)
            r = http.get(server.url("/api/get-version/") + quote(s, safe=""))
            self.assert_error(r, 404)


class ZzServerStillHealthy(Base):
    def test_alive(self):
        self.assertTrue(server.alive())
        r = http.get(server.url("/healthz"))
        self.assertEqual(r.status_code, 200)
        self.assertIs(r.json().get("db_connected"), True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
