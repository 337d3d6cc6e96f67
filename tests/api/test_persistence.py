"""Persistence: users, tokens, documents and versions survive SIGTERM + restart and
kill -9 + restart, with identical listing fields."""

import unittest

import harness as h
from harness import http


class PersistenceTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = h.Server()
        srv = cls.srv
        cls.email, cls.password, cls.token = h.new_user(srv)
        cls.other_email, _, cls.other_token = h.new_user(srv)
        _, _, cls.revoked = h.new_user(srv)
        assert http.post(srv.url("/api/logout"), headers=h.auth(cls.revoked)).status_code == 200
        cls.docs = [h.upload_ok(srv, cls.token, data=h.SAMPLE_PDF, name="first"),
                    h.upload_ok(srv, cls.token, data=h.MULTI_PAGE_PDF, name="second \u2713")]
        cls.other_doc = h.upload_ok(srv, cls.other_token, name="other")
        cls.versions = []
        for method in h.methods(srv):
            v = h.create_watermark_ok(srv, cls.token, cls.docs[1]["id"], method=method,
                                      intended_for=f"{method}@example.com",
                                      secret=f"persist-{method}", key="persist-key")
            cls.versions.append(v)
        cls.contents = {v["link"]: http.get(srv.url(f"/api/get-version/{v['link']}")).content
                        for v in cls.versions}
        cls.snapshot = cls.take_snapshot()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    @classmethod
    def take_snapshot(cls):
        srv, hdr = cls.srv, h.auth(cls.token)
        docs = http.get(srv.url("/api/list-documents"), headers=hdr).json()
        # Version order is unspecified: compare sorted by id.
        versions = {d["id"]: sorted(http.get(srv.url(f"/api/list-versions/{d['id']}"),
                                             headers=hdr).json()["versions"],
                                    key=lambda v: v["id"])
                    for d in cls.docs}
        all_versions = sorted(http.get(srv.url("/api/list-all-versions"),
                                       headers=hdr).json()["versions"], key=lambda v: v["id"])
        other = http.get(srv.url("/api/list-documents"), headers=h.auth(cls.other_token)).json()
        return {"docs": docs, "versions": versions, "all": all_versions, "other": other}

    def check_state(self):
        srv = self.srv
        self.assertEqual(self.take_snapshot(), self.snapshot)
        # Listings also match the original upload / create responses field for field.
        self.assertEqual(self.snapshot["docs"]["documents"], list(reversed(self.docs)))
        self.assertEqual({v["link"] for v in self.snapshot["all"]},
                         {v["link"] for v in self.versions})
        for v in self.snapshot["all"]:
            self.assertEqual(v["secret"], f"persist-{v['method']}")
        # Tokens survive; a revoked token stays revoked.
        self.assertEqual(http.get(srv.url("/api/list-documents"),
                                  headers=h.auth(self.revoked)).status_code, 401)
        # Passwords survive.
        self.assertEqual(h.login(srv, self.email, self.password).status_code, 200)
        # Files survive byte for byte.
        for d, data in zip(self.docs, (h.SAMPLE_PDF, h.MULTI_PAGE_PDF)):
            r = http.get(srv.url(f"/api/get-document/{d['id']}"), headers=h.auth(self.token))
            self.assertEqual(r.status_code, 200)
            self.assertEqual(r.content, data)
        for link, content in self.contents.items():
            r = http.get(srv.url(f"/api/get-version/{link}"))
            self.assertEqual(r.status_code, 200, h.describe(r))
            self.assertEqual(r.content, content)
        # Reading a re-uploaded copy still works after restart (server secret unchanged).
        v = self.versions[0]
        copy = h.upload_ok(srv, self.token, data=self.contents[v["link"]])
        r = http.post(srv.url(f"/api/read-watermark/{copy['id']}"), headers=h.auth(self.token),
                      json={"method": v["method"], "key": "persist-key"})
        self.assertEqual(r.status_code, 201, h.describe(r))
        self.assertEqual(r.json()["secret"], f"persist-{v['method']}")
        r = http.delete(srv.url(f"/api/delete-document/{copy['id']}"), headers=h.auth(self.token))
        self.assertEqual(r.status_code, 200)
        # Ids keep growing: a new upload never reuses an id.
        new = h.upload_ok(srv, self.token)
        used = {d["id"] for d in self.docs} | {self.other_doc["id"], copy["id"]}
        self.assertNotIn(new["id"], used)
        r = http.delete(srv.url(f"/api/delete-document/{new['id']}"), headers=h.auth(self.token))
        self.assertEqual(r.status_code, 200)

    def test_1_sigterm_restart(self):
        self.srv.restart()
        self.check_state()

    def test_2_kill9_restart(self):
        self.srv.kill9()
        self.srv.start()
        self.check_state()

    def test_3_acknowledged_write_survives_kill9(self):
        srv = self.srv
        email, pw, token = h.new_user(srv)
        doc = h.upload_ok(srv, token, data=h.MULTI_PAGE_PDF, name="last-second")
        v = h.create_watermark_ok(srv, token, doc["id"], secret="acked")
        srv.kill9()
        srv.start()
        r = h.login(srv, email, pw)
        self.assertEqual(r.status_code, 200)
        hdr = h.auth(token)
        docs = http.get(srv.url("/api/list-documents"), headers=hdr).json()["documents"]
        self.assertEqual(docs, [doc])
        versions = http.get(srv.url(f"/api/list-versions/{doc['id']}"),
                            headers=hdr).json()["versions"]
        self.assertEqual([x["link"] for x in versions], [v["link"]])
        self.assertEqual(versions[0]["secret"], "acked")
        r = http.get(srv.url(f"/api/get-version/{v['link']}"))
        self.assertEqual(r.status_code, 200)
        self.assertEqual(len(r.content), v["size"])

    def test_4_deletion_persists(self):
        srv = self.srv
        _, _, token = h.new_user(srv)
        doc = h.upload_ok(srv, token)
        v = h.create_watermark_ok(srv, token, doc["id"])
        r = http.delete(srv.url(f"/api/delete-document/{doc['id']}"), headers=h.auth(token))
        self.assertEqual(r.status_code, 200)
        srv.restart()
        docs = http.get(srv.url("/api/list-documents"), headers=h.auth(token)).json()
        self.assertEqual(docs["documents"], [])
        self.assertEqual(http.get(srv.url(f"/api/get-version/{v['link']}")).status_code, 404)

    def test_5_logout_all_persists(self):
        srv = self.srv
        email, pw, token = h.new_user(srv)
        t2 = h.new_token(srv, email, pw)
        r = http.post(srv.url("/api/logout-all"), headers=h.auth(token),
                      json={"new_password": "PersistedNewPass9", "current_password": pw})
        self.assertEqual(r.status_code, 200, h.describe(r))
        srv.kill9()
        srv.start()
        for t in (token, t2):
            self.assertEqual(http.get(srv.url("/api/list-documents"),
                                      headers=h.auth(t)).status_code, 401)
        self.assertEqual(h.login(srv, email, pw).status_code, 401)
        self.assertEqual(h.login(srv, email, "PersistedNewPass9").status_code, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
