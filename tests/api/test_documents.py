"""Documents: upload, list, get, delete, upload limits, and cross-user isolation on
every owner-only route."""

import hashlib
import os
import re
import threading
import unittest

import requests

import harness as h
from harness import http

server = None

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def setUpModule():
    global server
    server = h.Server()


def tearDownModule():
    if server is not None:
        server.cleanup()


class Base(h.ApiTestCase):
    def assert_document(self, doc, data, name):
        h.check_fields(self, doc, {"id", "name", "creation", "sha256", "size"})
        self.assertIsInstance(doc["id"], int)
        self.assertNotIsInstance(doc["id"], bool)
        self.assertGreater(doc["id"], 0)
        self.assertEqual(doc["name"], name)
        self.assertRegex(doc["creation"], ISO_Z)
        self.assertRegex(doc["sha256"], HEX64)
        self.assertEqual(doc["sha256"], hashlib.sha256(data).hexdigest())
        self.assertEqual(doc["size"], len(data))

    def list_docs(self, token, srv=None):
        srv = srv or server
        r = http.get(srv.url("/api/list-documents"), headers=h.auth(token))
        self.assertEqual(r.status_code, 200, h.describe(r))
        docs = r.json()["documents"]
        self.assertIsInstance(docs, list)
        return docs


# ------------------------------------------------------------------------ upload


class UploadTests(Base):
    @classmethod
    def setUpClass(cls):
        _, _, cls.token = h.new_user(server)

    def test_upload_sample(self):
        r = h.upload(server, self.token, h.SAMPLE_PDF)
        self.assertEqual(r.status_code, 201, h.describe(r))
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"))
        self.assert_document(r.json(), h.SAMPLE_PDF, "doc.pdf")

    def test_upload_multi_page_with_name(self):
        r = h.upload(server, self.token, h.MULTI_PAGE_PDF, filename="three.pdf",
                     name="Quarterly report")
        self.assertEqual(r.status_code, 201, h.describe(r))
        self.assert_document(r.json(), h.MULTI_PAGE_PDF, "Quarterly report")

    def test_extension_is_case_insensitive(self):
        r = h.upload(server, self.token, h.SAMPLE_PDF, filename="UPPER.PDF")
        self.assertEqual(r.status_code, 201, h.describe(r))
        self.assertEqual(r.json()["name"], "UPPER.PDF")

    def test_default_name_is_sanitized_filename(self):
        r = h.upload(server, self.token, h.SAMPLE_PDF, filename="my report.pdf")
        self.assertEqual(r.status_code, 201, h.describe(r))
        self.assertEqual(r.json()["name"], "my_report.pdf")

    def test_empty_name_part_falls_back_to_filename(self):
        r = h.upload(server, self.token, h.SAMPLE_PDF, filename="fallback.pdf", name="")
        self.assertEqual(r.status_code, 201, h.describe(r))
        self.assertEqual(r.json()["name"], "fallback.pdf")

    def test_unicode_and_sql_like_names_are_stored_verbatim(self):
        for name in ("r\u00e9sum\u00e9 \u2713 \u6587\u4ef6.pdf", "'; DROP TABLE Documents; --",
                     "Robert'); DELETE FROM Users;--", '" OR ""="', "<img src=x onerror=1>",
                     "x" * 255):
            r = h.upload(server, self.token, h.SAMPLE_PDF, name=name)
            self.assertEqual(r.status_code, 201, h.describe(r))
            doc = r.json()
            self.assertEqual(doc["name"], name)
            listed = {d["id"]: d for d in self.list_docs(self.token)}
            self.assertEqual(listed[doc["id"]]["name"], name)
            g = http.get(server.url(f"/api/get-document/{doc['id']}"), headers=h.auth(self.token))
            self.assertEqual(g.status_code, 200, h.describe(g))
            self.assertEqual(g.content, h.SAMPLE_PDF)

    def test_path_traversal_filename_is_a_normal_upload(self):
        r = h.upload(server, self.token, h.SAMPLE_PDF, filename="../../etc/passwd.pdf")
        self.assertEqual(r.status_code, 201, h.describe(r))
        self.assertEqual(r.json()["name"], "etc_passwd.pdf")
        r = h.upload(server, self.token, h.SAMPLE_PDF, filename="../../../../../tmp/evil.pdf",
                     name="../../x.pdf")
        self.assertEqual(r.status_code, 201, h.describe(r))
        self.assertEqual(r.json()["name"], "../../x.pdf")
        # Nothing was written beside the data dir.
        self.assertEqual(sorted(os.listdir(server.root)), ["data"])
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(server.root), "x.pdf")))

    def test_identical_content_gives_separate_documents(self):
        a = h.upload_ok(server, self.token)
        b = h.upload_ok(server, self.token)
        self.assertNotEqual(a["id"], b["id"])
        self.assertEqual(a["sha256"], b["sha256"])

    # -- failures

    def test_no_token(self):
        self.assert_error(h.upload(server, None, h.SAMPLE_PDF), 401)

    def test_not_multipart_is_415(self):
        hdr = h.auth(self.token)
        r = http.post(server.url("/api/upload-document"), json={"file": "x"}, headers=hdr)
        self.assert_error(r, 415)
        r = http.post(server.url("/api/upload-document"), data={"name": "x"}, headers=hdr)
        self.assert_error(r, 415)
        r = http.post(server.url("/api/upload-document"), data=h.SAMPLE_PDF,
                      headers=dict(hdr, **{"Content-Type": "application/pdf"}))
        self.assert_error(r, 415)

    def test_no_file_part_is_400(self):
        r = http.post(server.url("/api/upload-document"), files={"name": (None, "x")},
                      headers=h.auth(self.token))
        self.assert_error(r, 400)
        r = http.post(server.url("/api/upload-document"),
                      files={"document": ("doc.pdf", h.SAMPLE_PDF, "application/pdf")},
                      headers=h.auth(self.token))
        self.assert_error(r, 400)

    def test_broken_multipart_is_400(self):
        hdr = dict(h.auth(self.token), **{"Content-Type": "multipart/form-data; boundary=XyZ"})
        for body in (b"", b"garbage", b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
                                      b"filename=\"a.pdf\"\r\n\r\n%PDF-1.4 unterminated"):
            r = http.post(server.url("/api/upload-document"), data=body, headers=hdr)
            self.assert_error(r, 400)
        # multipart/form-data without a boundary: unusable as multipart, so 415 is fine too.
        r = http.post(server.url("/api/upload-document"), data=b"x",
                      headers=dict(h.auth(self.token), **{"Content-Type": "multipart/form-data"}))
        self.assertIn(r.status_code, (400, 415), h.describe(r))
        self.assert_error(r, r.status_code)

    def test_bad_extension_is_400(self):
        for filename in ("test.txt", "doc.pdf.txt", "doc", "doc.pdfx", "pdf", ".pdf.exe", ""):
            r = h.upload(server, self.token, h.SAMPLE_PDF, filename=filename)
            self.assert_error(r, 400)

    def test_empty_file_is_400(self):
        self.assert_error(h.upload(server, self.token, b"", filename="test.pdf"), 400)

    def test_not_a_pdf_is_415(self):
        for data in (b"hello world", b" %PDF-1.4\n", b"\xef\xbb\xbf%PDF-1.4\n", b"%PDF",
                     b"%pdf-1.4\n", b"PK\x03\x04" + h.SAMPLE_PDF):
            r = h.upload(server, self.token, data, filename="test.pdf")
            self.assert_error(r, 415)

    def test_unparsable_pdf_is_400(self):
        multi = h.MULTI_PAGE_PDF
        for data in (b"%PDF-1.4\nthis is not really a pdf at all\n%%EOF\n", b"%PDF-",
                     h.SAMPLE_PDF[:60], multi[:len(multi) // 2], h.make_pdf(pages=0),
                     b"%PDF-1.4\n" + os.urandom(2000)):
            r = h.upload(server, self.token, data, filename="test.pdf")
            self.assert_error(r, 400)

    def test_bad_names_are_400(self):
        for name in ("x" * 256, "line\nbreak", "nul\x00byte", "tab\there", "esc\x1b[31m",
                     "cr\rx", "\x7fdel"):
            r = h.upload(server, self.token, h.SAMPLE_PDF, name=name)
            self.assert_error(r, 400)

    def test_failed_uploads_leave_no_document(self):
        _, _, token = h.new_user(server)
        h.upload(server, token, b"hello", filename="a.pdf")
        h.upload(server, token, h.SAMPLE_PDF, filename="a.txt")
        h.upload(server, token, h.SAMPLE_PDF[:60], filename="a.pdf")
        h.upload(server, token, h.SAMPLE_PDF, name="x" * 300)
        self.assertEqual(self.list_docs(token), [])

    def test_concurrent_uploads(self):
        _, _, token = h.new_user(server)
        results = []

        def worker(i):
            data = h.make_pdf(pages=1, text=f"concurrent {i}")
            try:
                r = h.upload(server, token, data, name=f"c{i}")
                results.append((r.status_code, r.json() if r.status_code == 201 else r.text,
                                data))
            except requests.RequestException as exc:
                results.append((None, str(exc), data))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(len(results), 12)
        for status, body, data in results:
            self.assertEqual(status, 201, body)
            self.assertEqual(body["sha256"], hashlib.sha256(data).hexdigest())
        ids = {body["id"] for _, body, _ in results}
        self.assertEqual(len(ids), 12)
        self.assertEqual({d["id"] for d in self.list_docs(token)}, ids)


class UploadLimitTests(Base):
    @classmethod
    def setUpClass(cls):
        cls.srv = h.Server(extra_args=["--max-upload-bytes", "100000"])
        _, _, cls.token = h.new_user(cls.srv)

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_under_limit_is_accepted(self):
        data = h.pdf_of_size(90000)
        r = h.upload(self.srv, self.token, data)
        self.assertEqual(r.status_code, 201, h.describe(r))
        self.assertEqual(r.json()["size"], 90000)

    def test_slightly_over_is_413(self):
        data = h.pdf_of_size(150000)
        self.assert_error(h.upload(self.srv, self.token, data), 413)
        # The server is fine afterwards.
        self.assertEqual(h.upload(self.srv, self.token, h.SAMPLE_PDF).status_code, 201)

    def test_far_over_is_413_or_closed(self):
        data = b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024)
        try:
            r = h.upload(self.srv, self.token, data)
        except requests.ConnectionError:
            pass
        else:
            self.assert_error(r, 413)
        self.assertEqual(http.get(self.srv.url("/healthz")).status_code, 200)
        self.assertTrue(self.srv.alive())

    def test_nothing_stored_for_rejected_uploads(self):
        _, _, token = h.new_user(self.srv)
        h.upload(self.srv, token, h.pdf_of_size(150000))
        self.assertEqual(self.list_docs(token, self.srv), [])


# -------------------------------------------------------------------- list / get


class ListAndGetTests(Base):
    def test_fresh_user_has_no_documents(self):
        _, _, token = h.new_user(server)
        self.assertEqual(self.list_docs(token), [])

    def test_list_matches_uploads_newest_first(self):
        _, _, token = h.new_user(server)
        uploaded = [h.upload_ok(server, token, data=h.make_pdf(pages=i + 1), name=f"doc{i}")
                    for i in range(3)]
        listed = self.list_docs(token)
        self.assertEqual(listed, list(reversed(uploaded)))

    def test_list_needs_auth(self):
        self.assert_error(http.get(server.url("/api/list-documents")), 401)

    def test_get_document_all_id_forms(self):
        _, _, token = h.new_user(server)
        doc = h.upload_ok(server, token, data=h.MULTI_PAGE_PDF, name="three pages")
        for path in (f"/api/get-document/{doc['id']}", f"/api/get-document?id={doc['id']}",
                     f"/api/get-document?documentid={doc['id']}"):
            r = http.get(server.url(path), headers=h.auth(token))
            self.assertEqual(r.status_code, 200, h.describe(r))
            self.assertEqual(r.content, h.MULTI_PAGE_PDF)
            self.assertTrue(r.headers.get("Content-Type", "").startswith("application/pdf"))
            cd = r.headers.get("Content-Disposition", "")
            self.assertTrue(cd.startswith("inline"), cd)
            self.assertIn("filename", cd)
            self.assertEqual(int(r.headers.get("Content-Length", len(r.content))),
                             len(h.MULTI_PAGE_PDF))

    def test_get_document_errors(self):
        _, _, token = h.new_user(server)
        hdr = h.auth(token)
        self.assert_error(http.get(server.url("/api/get-document"), headers=hdr), 400)
        self.assert_error(http.get(server.url("/api/get-document?id="), headers=hdr), 400)
        self.assert_error(http.get(server.url("/api/get-document/999999999"), headers=hdr), 404)
        self.assert_error(http.get(server.url("/api/get-document?id=999999999"), headers=hdr),
                          404)
        self.assert_error(http.get(server.url("/api/get-document/1")), 401)


# ------------------------------------------------------------------------ delete


class DeleteTests(Base):
    def setUp(self):
        _, _, self.token = h.new_user(server)
        self.hdr = h.auth(self.token)

    def check_deleted(self, doc_id, keep_ids):
        ids = [d["id"] for d in self.list_docs(self.token)]
        self.assertNotIn(doc_id, ids)
        for k in keep_ids:
            self.assertIn(k, ids)
        self.assert_error(http.get(server.url(f"/api/get-document/{doc_id}"), headers=self.hdr),
                          404)
        self.assert_error(http.get(server.url(f"/api/list-versions/{doc_id}"), headers=self.hdr),
                          404)

    def assert_deleted_body(self, r, doc_id):
        self.assertEqual(r.status_code, 200, h.describe(r))
        body = r.json()
        self.assertIs(body.get("deleted"), True)
        self.assertEqual(body.get("id"), doc_id)
        self.assertIsInstance(body["id"], int)

    def test_delete_by_path(self):
        keep = h.upload_ok(server, self.token)
        doc = h.upload_ok(server, self.token)
        v = h.create_watermark_ok(server, self.token, doc["id"])
        kv = h.create_watermark_ok(server, self.token, keep["id"])
        self.assertEqual(http.get(server.url(f"/api/get-version/{v['link']}")).status_code, 200)
        r = http.delete(server.url(f"/api/delete-document/{doc['id']}"), headers=self.hdr)
        self.assert_deleted_body(r, doc["id"])
        self.check_deleted(doc["id"], [keep["id"]])
        self.assert_error(http.get(server.url(f"/api/get-version/{v['link']}")), 404)
        # The other document and its version are intact.
        self.assertEqual(http.get(server.url(f"/api/get-version/{kv['link']}")).status_code, 200)
        g = http.get(server.url(f"/api/get-document/{keep['id']}"), headers=self.hdr)
        self.assertEqual(g.content, h.SAMPLE_PDF)
        links = [x["link"] for x in http.get(server.url("/api/list-all-versions"),
                                             headers=self.hdr).json()["versions"]]
        self.assertEqual(links, [kv["link"]])
        # Deleting again: 404.
        self.assert_error(http.delete(server.url(f"/api/delete-document/{doc['id']}"),
                                      headers=self.hdr), 404)

    def test_delete_other_forms(self):
        keep = h.upload_ok(server, self.token)
        forms = [
            lambda i: http.delete(server.url(f"/api/delete-document?id={i}"), headers=self.hdr),
            lambda i: http.delete(server.url(f"/api/delete-document?documentid={i}"),
                                  headers=self.hdr),
            lambda i: http.post(server.url(f"/api/delete-document?id={i}"), headers=self.hdr),
            lambda i: http.post(server.url(f"/api/delete-document?documentid={i}"),
                                headers=self.hdr),
            lambda i: http.post(server.url("/api/delete-document"), json={"id": i},
                                headers=self.hdr),
            lambda i: http.delete(server.url("/api/delete-document"), json={"id": i},
                                  headers=self.hdr),
        ]
        for form in forms:
            doc = h.upload_ok(server, self.token)
            self.assert_deleted_body(form(doc["id"]), doc["id"])
            self.check_deleted(doc["id"], [keep["id"]])
            self.assert_error(form(doc["id"]), 404)

    def test_delete_errors(self):
        self.assert_error(http.delete(server.url("/api/delete-document/999999999"),
                                      headers=self.hdr), 404)
        self.assert_error(http.post(server.url("/api/delete-document"), json={"id": 999999999},
                                    headers=self.hdr), 404)
        self.assert_error(http.delete(server.url("/api/delete-document"), headers=self.hdr), 400)
        self.assert_error(http.post(server.url("/api/delete-document"), json={},
                                    headers=self.hdr), 400)
        doc = h.upload_ok(server, self.token)
        self.assert_error(http.delete(server.url(f"/api/delete-document/{doc['id']}")), 401)
        self.assert_error(http.post(server.url("/api/delete-document"), json={"id": doc["id"]}),
                          401)
        self.assertIn(doc["id"], [d["id"] for d in self.list_docs(self.token)])


# ------------------------------------------------------------------ cross-user


class CrossUserTests(Base):
    """User B presents user A's ids on every owner-only route: 404, as for a missing id."""

    @classmethod
    def setUpClass(cls):
        _, _, cls.ta = h.new_user(server)
        _, _, cls.tb = h.new_user(server)
        cls.doc = h.upload_ok(server, cls.ta, data=h.MULTI_PAGE_PDF, name="A's secret doc")
        cls.version = h.create_watermark_ok(server, cls.ta, cls.doc["id"], secret="A-secret")
        leaked = http.get(server.url(f"/api/get-version/{cls.version['link']}")).content
        cls.leaked = h.upload_ok(server, cls.ta, data=leaked, name="leaked copy")
        cls.b_doc = h.upload_ok(server, cls.tb, name="B's doc")

    def b_requests(self, doc_id):
        """(description, callable) for every owner-only route, as user B."""
        hb = h.auth(self.tb)
        wm = {"method": "toy-eof", "intended_for": "mallory", "secret": "x", "key": "k"}
        rd = {"method": "toy-eof", "key": "unit-test-key"}
        u = server.url
        return [
            ("get-document path", lambda: http.get(u(f"/api/get-document/{doc_id}"), headers=hb)),
            ("get-document ?id", lambda: http.get(u(f"/api/get-document?id={doc_id}"),
                                                  headers=hb)),
            ("get-document ?documentid",
             lambda: http.get(u(f"/api/get-document?documentid={doc_id}"), headers=hb)),
            ("list-versions path", lambda: http.get(u(f"/api/list-versions/{doc_id}"),
                                                    headers=hb)),
            ("list-versions ?id", lambda: http.get(u(f"/api/list-versions?id={doc_id}"),
                                                   headers=hb)),
            ("list-versions ?documentid",
             lambda: http.get(u(f"/api/list-versions?documentid={doc_id}"), headers=hb)),
            ("create-watermark path", lambda: http.post(u(f"/api/create-watermark/{doc_id}"),
                                                        json=wm, headers=hb)),
            ("create-watermark ?id", lambda: http.post(u(f"/api/create-watermark?id={doc_id}"),
                                                       json=wm, headers=hb)),
            ("create-watermark body", lambda: http.post(u("/api/create-watermark"),
                                                        json=dict(wm, id=doc_id), headers=hb)),
            ("read-watermark path", lambda: http.post(u(f"/api/read-watermark/{doc_id}"),
                                                      json=rd, headers=hb)),
            ("read-watermark ?id", lambda: http.post(u(f"/api/read-watermark?id={doc_id}"),
                                                     json=rd, headers=hb)),
            ("read-watermark body", lambda: http.post(u("/api/read-watermark"),
                                                      json=dict(rd, id=doc_id), headers=hb)),
            ("delete path", lambda: http.delete(u(f"/api/delete-document/{doc_id}"),
                                                headers=hb)),
            ("delete ?id", lambda: http.delete(u(f"/api/delete-document?id={doc_id}"),
                                               headers=hb)),
            ("delete ?documentid", lambda: http.delete(
                u(f"/api/delete-document?documentid={doc_id}"), headers=hb)),
            ("delete POST body", lambda: http.post(u("/api/delete-document"),
                                                   json={"id": doc_id}, headers=hb)),
        ]

    def test_foreign_ids_are_404_like_missing_ids(self):
        missing = 9_000_000_000
        for doc_id in (self.doc["id"], self.leaked["id"]):
            foreign = self.b_requests(doc_id)
            absent = self.b_requests(missing)
            for (what, call), (_, call_missing) in zip(foreign, absent):
                with self.subTest(route=what, doc=doc_id):
                    r = call()
                    self.assertNotIn(b"%PDF", r.content[:10])
                    body = self.assert_error(r, 404)
                    self.assertNotIn("A-secret", r.text)
                    ref = self.assert_error(call_missing(), 404)
                    self.assertEqual(body["error"], ref["error"])

    def test_listings_do_not_leak(self):
        hb = h.auth(self.tb)
        docs = self.list_docs(self.tb)
        self.assertEqual([d["id"] for d in docs], [self.b_doc["id"]])
        r = http.get(server.url("/api/list-all-versions"), headers=hb)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.json()["versions"], [])

    def test_owner_still_has_everything(self):
        # Replays every attack first, so this holds even when run on its own.
        self.test_foreign_ids_are_404_like_missing_ids()
        ha = h.auth(self.ta)
        ids = [d["id"] for d in self.list_docs(self.ta)]
        self.assertIn(self.doc["id"], ids)
        self.assertIn(self.leaked["id"], ids)
        r = http.get(server.url(f"/api/get-document/{self.doc['id']}"), headers=ha)
        self.assertEqual(r.content, h.MULTI_PAGE_PDF)
        r = http.get(server.url(f"/api/list-versions/{self.doc['id']}"), headers=ha)
        self.assertEqual([v["link"] for v in r.json()["versions"]], [self.version["link"]])
        r = http.post(server.url(f"/api/read-watermark/{self.leaked['id']}"), headers=ha,
                      json={"method": "toy-eof", "key": "unit-test-key"})
        self.assertEqual(r.status_code, 201, h.describe(r))
        self.assertEqual(r.json()["secret"], "A-secret")
        # B's own document was untouched by A's existence.
        r = http.get(server.url(f"/api/get-document/{self.b_doc['id']}"), headers=h.auth(self.tb))
        self.assertEqual(r.status_code, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
