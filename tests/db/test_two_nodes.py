#!/usr/bin/env python3
"""Two tatou nodes on one shared database (PostgreSQL or MariaDB) and storage dir, behind
haproxy round-robin on loopback.

Usage: TATOU_BIN=/abs/path/tatou python3 tests/db/test_two_nodes.py postgresql|mariadb

Besides the shared data: an RMAP handshake split across the nodes, one audit chain per node
(verified per node and together), and which attack detectors are shared and which per node
(docs/scaling.md has the table).
"""

import http.client as httpclient
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "api"))

import harness as h  # noqa: E402
import rmap_pgpy as pg  # noqa: E402
import servers  # noqa: E402
import test_rmap as rm  # noqa: E402
from cluster import Cluster  # noqa: E402
from harness import http  # noqa: E402

DB = None
MAX_FAILURES = 3  # per node, per (client address, email), per window
LOCK_AFTER = 6    # per node: failed attempts on one account (any source) that lock it
DETECT_404 = 5    # per node: 404s from one source in a minute
RMAP_PARTNER = "Node_Partner"


def request_from(node, source, method, path, body=None, headers=None):
    """A request to `node` from another loopback address (each test its own, so the per-source
    detectors and limits of one test never see another's traffic). Returns (status, body,
    headers with lowercase names)."""
    conn = httpclient.HTTPConnection("127.0.0.1", node.port, timeout=h.TIMEOUT, source_address=(source, 0))
    try:
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        payload = r.read()
        h.RESPONSES.append((method, node.url(path), r.status))
        return r.status, payload, {k.lower(): v for k, v in r.getheaders()}
    finally:
        conn.close()


def login_from(node, source, email, password):
    return request_from(node, source, "POST", "/api/login", {"email": email, "password": password})[0]


def audit_file(node):
    return os.path.join(node.datadir, "log", "audit.jsonl")


def audit_lines(node):
    """The complete lines of the node's audit log (the writer may be mid-line)."""
    with open(audit_file(node), "rb") as f:
        data = f.read()
    return data[:data.rfind(b"\n") + 1].splitlines(keepends=True)


def audit_records(node):
    return [json.loads(line) for line in audit_lines(node)]


def wait_for_records(node, predicate, count=1, timeout=6.0):
    """The node's records matching predicate, once there are at least `count` (or the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [r for r in audit_records(node) if predicate(r)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def from_source(action, source):
    return lambda r: r["event"]["action"] == action and r.get("source", {}).get("ip") == source


def verify_key(node):
    return os.path.join(node.datadir, "log", "audit-verify.key")


def audit_cli(*args):
    return subprocess.run([h.TATOU_BIN, "audit", *args], capture_output=True, text=True, timeout=60)


def admin_api(node, path, body):
    with open(os.path.join(node.datadir, "admin.token")) as f:
        token = f.read().strip()
    return http.post(f"http://127.0.0.1:{node.admin_port}{path}", json=body,
                     headers={"Authorization": f"Bearer {token}"})


class TwoNodeTests(h.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        # RMAP material both nodes share, as a deployment would: the server key, the partners'
        # public keys and the document (a 2048-bit key keeps the test quick).
        cls.rmap = tempfile.mkdtemp(prefix="tatou-rmap-")
        try:
            server_key = os.path.join(cls.rmap, "keys", "server_priv.asc")
            r = subprocess.run([h.TATOU_BIN, "rmap", "keygen", "--bits", "2048", "--out", server_key],
                               capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                raise AssertionError(f"rmap keygen: {r.stdout}{r.stderr}")
            cls.rmap_pub = pg.load_key(os.path.join(cls.rmap, "keys", "server_pub.asc"))
            rm.KEYS[RMAP_PARTNER] = pg.new_curve25519_key(RMAP_PARTNER)
            rm.write_identity(os.path.join(cls.rmap, "clients"), RMAP_PARTNER, rm.KEYS[RMAP_PARTNER])
            document = os.path.join(cls.rmap, "document.pdf")
            with open(document, "wb") as f:
                f.write(h.make_pdf(pages=1, text="RMAP on two nodes"))
            cls.cluster = Cluster(
                DB.create_database(),
                extra_args=["--login-max-failures", str(MAX_FAILURES), "--lock-after", str(LOCK_AFTER),
                            "--detect-404", str(DETECT_404)],
                env={"TATOU_RMAP_SERVER_KEY": server_key,
                     "TATOU_RMAP_CLIENT_KEYS": os.path.join(cls.rmap, "clients"),
                     "TATOU_RMAP_DOCUMENT": document})
        except BaseException:
            shutil.rmtree(cls.rmap, ignore_errors=True)
            raise
        cls.a, cls.b = cls.cluster.nodes

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()
        shutil.rmtree(cls.rmap, ignore_errors=True)

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

    # ------------------------------------------------------------------ RMAP across nodes

    def test_rmap_msg1_on_one_node_and_msg2_on_the_other(self):
        """The session lives in the database: whichever node gets msg2 finds it. Sent to each
        node directly (not through the balancer) so the split is certain, in both directions."""
        for first, second in ((self.a, self.b), (self.b, self.a)):
            with self.subTest(msg1=first.port, msg2=second.port):
                on_first = rm.Client(first, RMAP_PARTNER, server_pub=self.rmap_pub)
                on_second = rm.Client(second, RMAP_PARTNER, server_pub=self.rmap_pub)
                nc, ns = on_first.msg1(self)
                _, result = on_second.msg2(self, ns)
                self.assertEqual(result, f"{nc:016x}{ns:016x}")
                # A replay on the node that answered msg1 gives the same link: one version.
                _, again = on_first.msg2(self, ns)
                self.assertEqual(again, result)
                pdf = rm.download(self, first, result)
                self.assertEqual(rm.download(self, second, result), pdf)

    # ------------------------------------------------------------------ audit chains

    def test_each_node_writes_its_own_audit_chain_and_verify_accepts_both(self):
        for node in (self.a, self.b):  # some traffic of each node's own
            h.new_user(node)
        for node in (self.a, self.b):
            wait_for_records(node, lambda r: r["event"]["action"] == "authn_login_success")
        work = tempfile.mkdtemp(prefix="tatou-audit-")
        try:
            copies, keys = [], []
            for node, name in zip((self.a, self.b), Cluster.NODE_IDS):
                lines = audit_lines(node)
                records = [json.loads(line) for line in lines]
                # Every record names its node, and each node numbers its own chain from 1.
                self.assertEqual({r["service"]["node"]["name"] for r in records}, {name})
                self.assertEqual([r["event"]["sequence"] for r in records], list(range(1, len(lines) + 1)))
                copy = os.path.join(work, f"{name}.jsonl")
                with open(copy, "wb") as f:
                    f.writelines(lines)
                copies.append(copy)
                keys.append(verify_key(node))
                # Each node's files with that node's key.
                out = audit_cli("verify", copy, "--key", keys[-1], "--json")
                self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
                self.assertEqual(json.loads(out.stdout)["records"], len(lines))
            key_ids = {audit_records(n)[0]["tatou"]["audit"]["key_id"] for n in (self.a, self.b)}
            self.assertEqual(len(key_ids), 2, "each node has its own chain key")
            # One node's log with the other's key is refused.
            out = audit_cli("verify", copies[0], "--key", keys[1])
            self.assertEqual(out.returncode, 1, out.stdout + out.stderr)

            # Both nodes in one call: one --key per node, files in any order.
            out = audit_cli("verify", "--key", keys[0], "--key", keys[1], copies[1], copies[0], "--json")
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            report = json.loads(out.stdout)
            self.assertIs(report["ok"], True)
            self.assertEqual(sorted(c["node"] for c in report["chains"]), list(Cluster.NODE_IDS[:2]))
            self.assertTrue(all(c["ok"] and c["first_sequence"] == 1 for c in report["chains"]))
            out = audit_cli("verify", copies[0], copies[1], "--key", keys[0], "--key", keys[1])
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            for name in Cluster.NODE_IDS[:2]:
                self.assertIn(f"node {name} ", out.stdout)
            out = audit_cli("query", copies[0], copies[1], "--key", keys[0], "--key", keys[1],
                            "--action", "sys_startup")
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            self.assertEqual(sorted(json.loads(l)["service"]["node"]["name"] for l in out.stdout.splitlines()),
                             list(Cluster.NODE_IDS[:2]))
            # A node's log missing from the call, or a file no key matches, is not "intact".
            out = audit_cli("verify", copies[0], "--key", keys[0], "--key", keys[1], "--json")
            self.assertEqual(out.returncode, 1, out.stdout + out.stderr)

            # One changed line in node B's log: verify fails and names B's file and sequence.
            with open(copies[1], "rb") as f:
                lines = f.read().splitlines(keepends=True)
            self.assertIn(b'"node":{"name":"node-b"}', lines[1])
            lines[1] = lines[1].replace(b'"node":{"name":"node-b"}', b'"node":{"name":"node-x"}')
            with open(copies[1], "wb") as f:
                f.writelines(lines)
            out = audit_cli("verify", copies[0], copies[1], "--key", keys[0], "--key", keys[1], "--json")
            self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
            chains = {c["node"]: c for c in json.loads(out.stdout)["chains"]}
            self.assertIs(chains["node-a"]["ok"], True)
            self.assertIs(chains["node-b"]["ok"], False)
            self.assertEqual(chains["node-b"]["bad_file"], copies[1])
            self.assertEqual(chains["node-b"]["bad_sequence"], 2)
            self.assertEqual(chains["node-b"]["bad_line"], 2)
            out = audit_cli("verify", copies[0], copies[1], "--key", keys[0], "--key", keys[1])
            self.assertEqual(out.returncode, 1)
            self.assertIn(f"audit log NOT intact at sequence 2 ({copies[1]} line 2)", out.stderr)
            out = audit_cli("verify", copies[1], "--key", keys[1])
            self.assertEqual(out.returncode, 1)
            self.assertIn(f"at sequence 2 ({copies[1]} line 2)", out.stderr)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    # ------------------------------------------------------------------ detectors

    def test_operator_account_lock_on_a_holds_on_b(self):
        """Operator locks are rows in account_locks: every node enforces them (within the
        containment refresh, 2 s)."""
        email, _, _ = h.new_user(self.a)  # a bystander
        r = h.create_user(self.a)
        self.assertEqual(r.status_code, 201)
        victim_email, victim_id = r.json()["email"], r.json()["id"]
        victim_token = h.new_token(self.b, victim_email)
        r = admin_api(self.a, "/admin/lock-user", {"id": victim_id})
        self.assertEqual(r.status_code, 200, h.describe(r))
        deadline = time.monotonic() + 6
        while True:
            r = h.login(self.b, victim_email)
            if r.status_code == 423 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assert_error(r, 423, msg="login on B after a lock through A")
        self.assert_error(http.get(self.b.url("/api/list-documents"), headers=h.auth(victim_token)), 401)
        # Others are untouched; the unlock through B reaches A.
        self.assertEqual(h.login(self.b, email).status_code, 200)
        r = admin_api(self.b, "/admin/unlock-user", {"id": victim_id})
        self.assertEqual(r.status_code, 200, h.describe(r))
        deadline = time.monotonic() + 6
        while True:
            r = h.login(self.a, victim_email)
            if r.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(r.status_code, 200, h.describe(r))

    def test_automatic_account_lock_set_on_a_refuses_login_on_b(self):
        """TATOU_LOCK_AFTER failures counted by one node lock the email on every node at once
        (table login_locks), before any password check, for unknown emails too; one unlock-user
        lifts it everywhere."""
        r = h.create_user(self.a)
        self.assertEqual(r.status_code, 201, h.describe(r))
        email, user_id = r.json()["email"], r.json()["id"]
        ghost = f"{h.unique()}@example.com"  # no account: must look exactly the same
        sources = iter(f"127.0.3.{i}" for i in range(1, 250))  # below the per-address limits
        for target in (email, ghost):
            for i in range(LOCK_AFTER):
                status = login_from(self.a, next(sources), target, "WrongPassword123")
                self.assertEqual(status, 401, f"failure {i + 1} on A")
            for password in (h.PASSWORD, "WrongPassword123"):
                status, body, headers = request_from(self.b, next(sources), "POST", "/api/login",
                                                     {"email": target, "password": password})
                self.assertEqual(status, 423, f"B, locked by A: {body!r}")
                self.assertTrue(1 <= int(headers["retry-after"]) <= 901, headers)
                self.assertEqual(json.loads(body)["error"], "Account temporarily locked. Try again later.")
        # One unlock, through B, lifts the lock on both nodes (A's own copy in memory too).
        r = admin_api(self.b, "/admin/unlock-user", {"id": user_id})
        self.assertEqual(r.status_code, 200, h.describe(r))
        self.assertIs(r.json()["changed"], True)
        for node in (self.a, self.b):
            self.assertEqual(login_from(node, next(sources), email, h.PASSWORD), 200)
        self.assertEqual(login_from(self.a, next(sources), ghost, h.PASSWORD), 423, "the other lock stays")

    def test_automatic_lock_counts_per_node_but_holds_everywhere(self):
        """Each node counts failures in memory, so through round-robin the lock comes after at
        most 2 x (LOCK_AFTER - 1) + 1 failures; once one node locks, both refuse."""
        email, _, _ = h.new_user(self.a)
        sources = iter(f"127.0.5.{i}" for i in range(1, 250))
        nodes = (self.a, self.b)
        for i in range(2 * (LOCK_AFTER - 1)):
            self.assertEqual(login_from(nodes[i % 2], next(sources), email, "WrongPassword123"), 401, f"failure {i + 1}")
        self.assertEqual(login_from(self.a, next(sources), email, "WrongPassword123"), 401, "A counts its LOCK_AFTER-th")
        for node in nodes:
            self.assertEqual(login_from(node, next(sources), email, h.PASSWORD), 423)

    def test_404_scanning_fires_on_each_node_at_its_own_threshold(self):
        """Per node: DETECT_404 - 1 misses on each node (more than DETECT_404 in all) raise
        nothing; one more on each raises malicious_excess_404 on each."""
        source = "127.0.4.1"
        for node in (self.a, self.b):
            for i in range(DETECT_404 - 1):
                self.assertEqual(request_from(node, source, "GET", f"/probe-{i}.php")[0], 404)
        for node in (self.a, self.b):
            self.assertEqual(request_from(node, source, "GET", "/probe-last.php")[0], 404)
        for node in (self.a, self.b):
            hits = wait_for_records(node, from_source("malicious_excess_404", source))
            self.assertEqual(len(hits), 1, f"node {node.port}")
            self.assertEqual(hits[0]["event"]["count"], DETECT_404)
            self.assertEqual(hits[0]["url"]["path"], "/probe-last.php")

    def test_attack_tool_user_agent_is_reported_by_each_node_it_reaches(self):
        source = "127.0.4.2"
        for node in (self.a, self.b):
            for _ in range(2):
                request_from(node, source, "GET", "/healthz", headers={"User-Agent": "sqlmap/1.7.2#stable"})
        for node in (self.a, self.b):
            time.sleep(0.2)
            hits = wait_for_records(node, from_source("malicious_attack_tool", source))
            self.assertEqual(len(hits), 1, f"node {node.port}: once per source and window")

    def test_revoked_token_reuse_on_b_after_logout_on_a(self):
        _, _, token = h.new_user(self.a)
        self.assertEqual(http.post(self.a.url("/api/logout"), headers=h.auth(token)).status_code, 200)
        status, _, _ = request_from(self.b, "127.0.4.3", "GET", "/api/list-documents", headers=h.auth(token))
        self.assertEqual(status, 401)
        hits = wait_for_records(self.b, from_source("authn_token_reuse", "127.0.4.3"))
        self.assertEqual(len(hits), 1)
        self.assertEqual(hits[0]["event"]["reason"], "revoked")


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
