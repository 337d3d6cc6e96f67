"""Issuance receipts (src/obs/transparency_log.hpp): every version a real server issues gets a
leaf in receipts.jsonl; `tatou audit prove` builds an inclusion or consistency proof from the file
and `tatou audit verify-proof` checks it offline with the audit verification key. A proof edited
anywhere (leaf, path, signed root) is rejected, and the server restarts on a data dir that holds
receipts."""

import concurrent.futures
import copy
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import harness as h

work = None


def setUpModule():
    global work
    work = tempfile.mkdtemp(prefix="tatou-receipts-")


def tearDownModule():
    shutil.rmtree(work, ignore_errors=True)


def tatou(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TATOU_")}
    return subprocess.run([h.TATOU_BIN, *args], capture_output=True, text=True, timeout=60, env=env)


def logdir(srv):
    return os.path.join(srv.datadir, "log")


def receipts_file(srv):
    return os.path.join(logdir(srv), "receipts.jsonl")


def prove(srv, *args):
    return tatou("audit", "prove", "--data-dir", srv.datadir, *args)


def verify(doc, key, name="proof.json"):
    path = os.path.join(tempfile.mkdtemp(dir=work), name)
    with open(path, "w") as f:
        json.dump(doc, f)
    return tatou("audit", "verify-proof", path, "--key", key, "--json")


def flip_hex(text, at=0):
    c = text[at]
    return text[:at] + ("1" if c == "0" else "0") + text[at + 1:]


def provisioned_server():
    """Keys made by `tatou audit keygen` off the server: the verifier holds audit-verify.key."""
    op = tempfile.mkdtemp(dir=work, prefix="operator-")
    r = tatou("audit", "keygen", "--out", op)
    if r.returncode != 0:
        raise AssertionError("tatou audit keygen failed: " + r.stdout + r.stderr)
    srv = h.Server(start=False)
    os.makedirs(logdir(srv), mode=0o700, exist_ok=True)
    shutil.copy(os.path.join(op, "audit-provision.key"), os.path.join(logdir(srv), "audit-provision.key"))
    srv.start()
    return srv, os.path.join(op, "audit-verify.key")


def issue(srv, n):
    _, _, token = h.new_user(srv)
    doc = h.upload_ok(srv, token)
    return [h.create_watermark_ok(srv, token, doc["id"], intended_for=f"recipient{i}@example.com")
            for i in range(n)]


class ReceiptProofTests(h.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv, cls.key = provisioned_server()
        cls.versions = issue(cls.srv, 3)

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def inclusion(self, version_id, *extra):
        r = prove(self.srv, "--version", str(version_id), *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def assert_rejected(self, doc, what):
        r = verify(doc, self.key)
        self.assertNotEqual(r.returncode, 0, f"{what}: accepted: {r.stdout}")
        out = json.loads(r.stdout)
        self.assertFalse(out["ok"], what)
        self.assertTrue(out["problem"], what)

    def test_file_has_one_leaf_and_one_head_per_version_and_no_recipient_in_clear(self):
        with open(receipts_file(self.srv), "rb") as f:
            data = f.read()
        rows = [json.loads(line) for line in data.splitlines()]
        self.assertGreaterEqual(len(rows), 6)
        self.assertEqual(sum("leaf" in r for r in rows), sum("tree_head" in r for r in rows))
        self.assertNotIn(b"recipient0@example.com", data)
        self.assertEqual(os.stat(receipts_file(self.srv)).st_mode & 0o777, 0o600)

    def test_each_version_proves_and_verifies_while_the_server_runs(self):
        self.assertTrue(self.srv.alive())
        for v in self.versions:
            with self.subTest(version=v["id"]):
                proof = self.inclusion(v["id"])
                self.assertEqual(json.loads(proof["leaf"])["version_id"], v["id"])
                r = verify(proof, self.key)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                out = json.loads(r.stdout)
                self.assertTrue(out["ok"])
                self.assertEqual(out["kind"], "inclusion")
                self.assertEqual(out["key_trust"], "trusted")
                self.assertEqual(out["details"]["version_id"], v["id"])

    def test_proof_against_an_older_head(self):
        first = self.versions[0]["id"]
        proof = self.inclusion(first, "--tree-size", "1")
        self.assertEqual(proof["tree_size"], 1)
        self.assertEqual(verify(proof, self.key).returncode, 0)
        # The last version was not in the tree of size 1.
        r = prove(self.srv, "--version", str(self.versions[-1]["id"]), "--tree-size", "1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("after the tree of size 1", r.stderr)

    def test_edited_inclusion_proofs_are_rejected(self):
        proof = self.inclusion(self.versions[1]["id"])
        self.assertGreaterEqual(len(proof["audit_path"]), 1)
        edits = {}
        leaf = json.loads(proof["leaf"])
        leaf["copy_sha256"] = flip_hex(leaf["copy_sha256"])
        edits["leaf copy hash"] = dict(proof, leaf=json.dumps(leaf, separators=(",", ":"), sort_keys=True))
        leaf = json.loads(proof["leaf"])
        leaf["recipient_commitment"] = flip_hex(leaf["recipient_commitment"], 5)
        edits["leaf recipient"] = dict(proof, leaf=json.dumps(leaf, separators=(",", ":"), sort_keys=True))
        for i in range(len(proof["audit_path"])):
            bent = copy.deepcopy(proof)
            bent["audit_path"][i] = flip_hex(bent["audit_path"][i], 10)
            edits[f"path hash {i}"] = bent
        bent = copy.deepcopy(proof)
        bent["audit_path"].pop()
        edits["truncated path"] = bent
        bent = copy.deepcopy(proof)
        bent["tree_head"]["root_hash"] = flip_hex(bent["tree_head"]["root_hash"])
        edits["signed root"] = bent
        bent = copy.deepcopy(proof)
        bent["leaf_index"] = (proof["leaf_index"] + 1) % proof["tree_size"]
        edits["index"] = bent
        bent = copy.deepcopy(proof)
        bent["tree_size"] += 1
        bent["tree_head"]["tree_size"] += 1
        edits["tree size"] = bent
        bent = copy.deepcopy(proof)
        bent["tree_head"]["signature"] = flip_hex(bent["tree_head"]["signature"], 3)
        edits["signature"] = bent
        for what, doc in edits.items():
            with self.subTest(edit=what):
                self.assert_rejected(doc, what)

    def test_the_host_made_key_of_another_server_does_not_verify(self):
        other = h.Server()
        try:
            proof = self.inclusion(self.versions[0]["id"])
            r = verify(proof, os.path.join(logdir(other), "audit-verify.key"))
            self.assertNotEqual(r.returncode, 0, r.stdout)
        finally:
            other.cleanup()

    def test_consistency_between_heads(self):
        r = prove(self.srv, "--consistency", "1", "3")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        ok = verify(doc, self.key)
        self.assertEqual(ok.returncode, 0, ok.stdout)
        self.assertEqual(json.loads(ok.stdout)["kind"], "consistency")
        swapped = dict(doc, old_tree_head=doc["new_tree_head"], new_tree_head=doc["old_tree_head"])
        self.assert_rejected(swapped, "swapped heads")
        bent = copy.deepcopy(doc)
        bent["proof"][0] = flip_hex(bent["proof"][0])
        self.assert_rejected(bent, "proof hash")
        r = prove(self.srv, "--consistency", "3", "1")
        self.assertNotEqual(r.returncode, 0)

    def test_unknown_version_is_a_clear_error(self):
        r = prove(self.srv, "--version", "987654")
        self.assertEqual(r.returncode, 1)
        self.assertIn("version 987654 has no issuance receipt", r.stderr)
        self.assertEqual(r.stdout, "")
        r = prove(self.srv, "--version", str(self.versions[0]["id"]), "--tree-size", "999")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no signed tree head of size 999", r.stderr)

    def test_bad_invocations_are_usage_errors(self):
        self.assertEqual(prove(self.srv).returncode, 2)
        self.assertEqual(tatou("audit", "verify-proof", os.path.join(work, "missing.json"), "--key", self.key).returncode, 2)
        r = verify({"kind": "something else"}, self.key)
        self.assertEqual(r.returncode, 1)
        empty = tempfile.mkdtemp(dir=work)
        r = tatou("audit", "prove", "--data-dir", empty, "--version", "1")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no issuance receipts", r.stderr)


class ConcurrentIssuanceTests(h.ApiTestCase):
    def test_parallel_creates_each_get_one_receipt_in_one_consistent_tree(self):
        srv, key = provisioned_server()
        try:
            _, _, token = h.new_user(srv)
            doc = h.upload_ok(srv, token)
            with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
                made = list(pool.map(lambda i: h.create_watermark_ok(srv, token, doc["id"],
                                                                     intended_for=f"p{i}@example.com"),
                                     range(18)))
            ids = sorted(v["id"] for v in made)
            with open(receipts_file(srv), "rb") as f:
                rows = [json.loads(line) for line in f.read().splitlines()]
            leaves = [json.loads(r["leaf"])["version_id"] for r in rows if "leaf" in r]
            self.assertEqual(sorted(leaves), ids)
            self.assertEqual([r["tree_head"]["tree_size"] for r in rows if "tree_head" in r],
                             list(range(1, len(ids) + 1)))
            r = prove(srv, "--consistency", "1", str(len(ids)))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(verify(json.loads(r.stdout), key).returncode, 0)
            for version_id in (ids[0], ids[len(ids) // 2], ids[-1]):
                r = prove(srv, "--version", str(version_id))
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(verify(json.loads(r.stdout), key).returncode, 0)
        finally:
            srv.cleanup()


class ReceiptRestartTests(h.ApiTestCase):
    def test_server_restarts_twice_on_its_receipts_and_keeps_issuing(self):
        srv = h.Server()
        try:
            host_key = os.path.join(logdir(srv), "audit-verify.key")
            versions = issue(srv, 2)
            self.assertTrue(os.path.isfile(receipts_file(srv)))
            for round_ in range(2):
                srv.restart()
                versions += issue(srv, 1)
            for v in versions:
                with self.subTest(version=v["id"]):
                    r = prove(srv, "--version", str(v["id"]))
                    self.assertEqual(r.returncode, 0, r.stderr)
                    out = verify(json.loads(r.stdout), host_key)
                    self.assertEqual(out.returncode, 0, out.stdout)
                    # Made on the host: it verifies, but is not trusted evidence.
                    self.assertEqual(json.loads(out.stdout)["key_trust"], "UNTRUSTED")
            r = prove(srv, "--consistency", "2", str(len(versions)))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(verify(json.loads(r.stdout), host_key).returncode, 0)
            # Issued copies still download.
            got = h.http.get(srv.url(f"/api/get-version/{versions[-1]['link']}"))
            self.assertEqual(got.status_code, 200)
            self.assertTrue(got.content.startswith(b"%PDF"))
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
