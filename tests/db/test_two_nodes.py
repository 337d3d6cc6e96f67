#!/usr/bin/env python3
"""Two tatou nodes on one shared database (PostgreSQL or MariaDB) and storage dir, behind
haproxy round-robin on loopback.

Usage: TATOU_BIN=/abs/path/tatou python3 tests/db/test_two_nodes.py postgresql|mariadb

Not covered here yet: RMAP msg1 on one node and msg2 on the other, and per-node audit chains
(those features land separately).
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "api"))

import harness as h  # noqa: E402
import servers  # noqa: E402
from cluster import Cluster  # noqa: E402
from harness import http  # noqa: E402

DB = None
MAX_FAILURES = 3  # per node, per (client address, email), per window


class TwoNodeTests(h.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(DB.create_database(),
                              extra_args=["--login-max-failures", str(MAX_FAILURES)])
        cls.a, cls.b = cls.cluster.nodes

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def test_token_from_a_works_on_b_and_logout_on_a_is_honoured_by_b_at_once(self):
        email, _, token = h.new_user(self.a)
        self.assertEqual(http.get(self.b.url("/api/list-documents"), headers=h.auth(token)).status_code, 200)
        self.assertEqual(http.post(self.a.url("/api/logout"), headers=h.auth(token)).status_code, 200)
        self.assert_error(http.get(self.b.url("/api/list-documents"), headers=h.auth(token)), 401)
        # logout-all on B reaches tokens issued by A.
        t1, t2 = h.new_token(self.a, email), h.new_token(self.a, email)
        self.assertEqual(http.post(self.b.url("/api/logout-all"), headers=h.auth(t1)).status_code, 200)
        self.assert_error(http.get(self.a.url("/api/list-documents"), headers=h.auth(t2)), 401)

    def test_upload_on_a_is_listed_and_downloadable_on_b(self):
        _, _, token = h.new_user(self.b)
        pdf = h.make_pdf(pages=2, text="shared storage")
        doc = h.upload_ok(self.a, token, data=pdf, name="from-a")
        listed = http.get(self.b.url("/api/list-documents"), headers=h.auth(token)).json()["documents"]
        self.assertEqual([d["id"] for d in listed], [doc["id"]])
        r = http.get(self.b.url(f"/api/get-document/{doc['id']}"), headers=h.auth(token))
        self.assertEqual(r.status_code, 200, h.describe(r))
        self.assertEqual(r.content, pdf)
        v = h.create_watermark_ok(self.b, token, doc["id"])
        r = http.get(self.a.url(f"/api/get-version/{v['link']}"))
        self.assertEqual(r.status_code, 200, h.describe(r))
        r = http.delete(self.a.url(f"/api/delete-document/{doc['id']}"), headers=h.auth(token))
        self.assertEqual(r.status_code, 200, h.describe(r))
        self.assert_error(http.get(self.b.url(f"/api/get-document/{doc['id']}"), headers=h.auth(token)), 404)

    def test_the_whole_flow_through_the_balancer(self):
        lb = self.cluster
        email = f"{h.unique()}@example.com"
        r = http.post(lb.url("/api/create-user"), json={"email": email, "login": h.unique(), "password": h.PASSWORD})
        self.assertEqual(r.status_code, 201, h.describe(r))
        token = http.post(lb.url("/api/login"), json={"email": email, "password": h.PASSWORD}).json()["token"]
        ids = []
        for i in range(4):  # alternate nodes: each upload is visible on the next request
            r = http.post(lb.url("/api/upload-document"), headers=h.auth(token),
                          files={"file": (f"d{i}.pdf", h.SAMPLE_PDF, "application/pdf")})
            self.assertEqual(r.status_code, 201, h.describe(r))
            ids.insert(0, r.json()["id"])
            listed = http.get(lb.url("/api/list-documents"), headers=h.auth(token)).json()["documents"]
            self.assertEqual([d["id"] for d in listed], ids)
        self.assertEqual(http.post(lb.url("/api/logout"), headers=h.auth(token)).status_code, 200)
        for _ in range(2):
            self.assert_error(http.get(lb.url("/api/list-documents"), headers=h.auth(token)), 401)

    def test_login_throttling_is_per_node_so_two_nodes_allow_twice_the_failures(self):
        """Documented behaviour (docs/scaling.md): each node counts failed logins on its own,
        so N nodes behind round-robin allow N x TATOU_LOGIN_MAX_FAILURES per window."""
        email, _, _ = h.new_user(self.a)
        headers = {"X-Forwarded-For": "198.51.100.23"}  # spoofed: the balancer's entry wins
        for i in range(2 * MAX_FAILURES):
            r = http.post(self.cluster.url("/api/login"), headers=headers,
                          json={"email": email, "password": "WrongPassword123"})
            self.assert_error(r, 401, msg=f"failure {i + 1}")
        for _ in range(2):  # both nodes have now seen MAX_FAILURES
            r = http.post(self.cluster.url("/api/login"), json={"email": email, "password": h.PASSWORD})
            self.assert_error(r, 429)
        # The nodes counted the client's real address (127.0.0.1, added by the balancer), not the
        # spoofed header: a direct request from that address is refused on both nodes too.
        for node in (self.a, self.b):
            r = http.post(node.url("/api/login"), json={"email": email, "password": h.PASSWORD})
            self.assert_error(r, 429, msg="same address, same email, direct to the node")

    def test_forwarded_address_is_only_trusted_from_the_balancer(self):
        email, _, _ = h.new_user(self.a)
        for i in range(MAX_FAILURES):
            r = http.post(self.a.url("/api/login"), headers={"X-Forwarded-For": f"203.0.113.{i}"},
                          json={"email": email, "password": "WrongPassword123"})
            self.assert_error(r, 401)
        # Rotating a client-supplied X-Forwarded-For did not escape the limit on a direct request.
        r = http.post(self.a.url("/api/login"), headers={"X-Forwarded-For": "203.0.113.99"},
                      json={"email": email, "password": h.PASSWORD})
        self.assert_error(r, 429)


def main(argv):
    global DB
    kind = argv[0] if argv else "postgresql"
    with servers.start(kind) as db:
        DB = db
        h.BACKEND, h.DB = "sqlite", None  # nodes get the shared URL explicitly
        prog = unittest.main(module=__name__, argv=[sys.argv[0]], exit=False, verbosity=2)
        r = prog.result
        bad = [x for x in h.RESPONSES if x[2] >= 500]
        if bad:
            print(f"5xx responses: {bad[:10]}")
        return 0 if r.wasSuccessful() and r.testsRun > 0 and not r.skipped and not bad else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
