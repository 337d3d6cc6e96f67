"""`tatou ir`: an evidence bundle collected from a running server, verified, tampered with; and
an incident record opened, noted, closed and reported with audit events in its timeline."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness as h
from harness import http

server = None
work = None


def setUpModule():
    global server, work
    server = h.Server(env={"TATOU_DETECT_404": "5"})
    work = tempfile.mkdtemp(prefix="tatou-ir-test-")


def tearDownModule():
    if server is not None:
        server.cleanup()
    if work is not None:
        shutil.rmtree(work, ignore_errors=True)


def ir(*args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("TATOU_")}
    # On MariaDB/PostgreSQL runs the incident commands must open the servers' database.
    for srv in (server, getattr(IncidentRecord, "srv", None)):
        if srv is not None and "TATOU_DB" in srv.env and e.get("TATOU_DB") is None:
            if any(a == srv.datadir for a in args):
                e["TATOU_DB"] = srv.env["TATOU_DB"]
    e.update(env or {})
    return subprocess.run([h.TATOU_BIN, "ir", *args], capture_output=True, text=True, timeout=60, env=e)


def admin_url():
    return f"http://127.0.0.1:{server.admin_port}"


def count_action(srv, action):
    with open(os.path.join(srv.datadir, "log", "audit.jsonl")) as f:
        return sum(1 for l in f if l.strip() and json.loads(l)["event"]["action"] == action)


def wait_for_action(action, srv=None, before=0, timeout=6.0):
    """Waits until the audit log holds more than `before` records of `action`."""
    srv = srv or server
    deadline = time.monotonic() + timeout
    while True:
        if count_action(srv, action) > before:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{action} never written")
        time.sleep(0.05)


class EvidenceBundle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A little activity: failed logins and a 404 burst (a detector event).
        for _ in range(3):
            h.login(server, "nobody@example.com", "wrong-password-123")
        for i in range(6):
            http.get(server.url(f"/api/no-such-thing-{i}"))
        wait_for_action("malicious_excess_404")
        cls.out = os.path.join(work, "bundle")
        cls.r = ir("collect", "--since", "10m", "--out", cls.out, "--data-dir", server.datadir,
                   "--admin-url", admin_url())

    def test_collect_writes_every_part(self):
        self.assertEqual(self.r.returncode, 0, self.r.stderr + self.r.stdout)
        for name in ("audit/audit.jsonl", "verify-report.json", "metrics.txt",
                     "containment.json", "config-digest.json", "version.json", "custody.json",
                     "signing-key.pub", "MANIFEST.sha256", "MANIFEST.sha256.sig"):
            self.assertTrue(os.path.isfile(os.path.join(self.out, name)), name)
        report = json.load(open(os.path.join(self.out, "verify-report.json")))
        self.assertTrue(report["verified"], report)
        self.assertTrue(report["ok"], report)
        self.assertIn("tatou_", open(os.path.join(self.out, "metrics.txt")).read())
        containment = json.load(open(os.path.join(self.out, "containment.json")))
        self.assertIsInstance(containment, dict)
        custody = json.load(open(os.path.join(self.out, "custody.json")))
        for key in ("collected_by", "host", "collection_started", "tool", "command_line", "window"):
            self.assertIn(key, custody)
        self.assertEqual(custody["sources"]["audit"]["segments"], ["audit.jsonl"])
        version = json.load(open(os.path.join(self.out, "version.json")))
        self.assertIn("commit", version)
        with open(os.path.join(server.datadir, "ir-signing.pub")) as f:
            self.assertEqual(f.read(), open(os.path.join(self.out, "signing-key.pub")).read())
        self.assertEqual(os.stat(os.path.join(server.datadir, "ir-signing.key")).st_mode & 0o777, 0o600)

    def test_no_secret_in_the_bundle(self):
        secrets = []
        for name in ("admin.token", "secret.key", "ir-signing.key"):
            with open(os.path.join(server.datadir, name)) as f:
                secrets.append(f.read().strip())
        digest = json.load(open(os.path.join(self.out, "config-digest.json")))
        self.assertTrue(digest["key_files"]["admin_token_file"]["digest"].startswith("sha256:"))
        for root, _, files in os.walk(self.out):
            for name in files:
                data = open(os.path.join(root, name), "rb").read()
                for s in secrets:
                    self.assertNotIn(s.encode(), data, f"{name} holds a secret")

    def test_sha256sum_accepts_the_manifest(self):
        r = subprocess.run(["sha256sum", "--quiet", "-c", "MANIFEST.sha256"], cwd=self.out,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_verify_bundle_then_tamper(self):
        copy = os.path.join(work, "tampered")
        shutil.copytree(self.out, copy)
        pub = os.path.join(server.datadir, "ir-signing.pub")
        r = ir("verify-bundle", copy, "--public-key", pub)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("bundle intact", r.stdout)
        target = os.path.join(copy, "audit", "audit.jsonl")
        data = bytearray(open(target, "rb").read())
        data[len(data) // 2] ^= 0x01
        open(target, "wb").write(bytes(data))
        r = ir("verify-bundle", copy, "--public-key", pub)
        self.assertEqual(r.returncode, 1)
        self.assertIn("changed: audit/audit.jsonl", r.stderr)
        os.remove(os.path.join(copy, "metrics.txt"))
        open(os.path.join(copy, "extra.txt"), "w").write("x")
        r = ir("verify-bundle", copy)
        self.assertEqual(r.returncode, 1)
        self.assertIn("removed: metrics.txt", r.stderr)
        self.assertIn("added: extra.txt", r.stderr)

    def test_unreachable_admin_is_recorded_not_fatal(self):
        out = os.path.join(work, "offline")
        r = ir("collect", "--since", "1h", "--out", out, "--data-dir", server.datadir,
               "--admin-url", "http://127.0.0.1:9")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("not collected: metrics", r.stdout)
        custody = json.load(open(os.path.join(out, "custody.json")))
        self.assertFalse(custody["sources"]["metrics"]["ok"])
        self.assertEqual(ir("verify-bundle", out).returncode, 0)

    def test_bad_input_exits_2(self):
        cases = [
            ("collect", "--since", "yesterday", "--out", os.path.join(work, "x1"), "--data-dir", server.datadir),
            ("collect", "--since", "1h", "--until", "2h", "--out", os.path.join(work, "x2"), "--data-dir", server.datadir),
            ("collect", "--since", "1h", "--out", self.out, "--data-dir", server.datadir),  # not empty
            ("collect", "--since", "1h", "--out", os.path.join(work, "x3"), "--data-dir", server.datadir,
             "--admin-url", "https://x"),
            ("collect", "--since", "1h", "--out", os.path.join(work, "x4"), "--data-dir", os.path.join(work, "none")),
            ("verify-bundle", os.path.join(work, "nothing-here")),
            ("verify-bundle", self.out, "--public-key", os.path.join(work, "missing.pub")),
            ("collect", "--out", os.path.join(work, "x5")),
        ]
        for args in cases:
            with self.subTest(args=args):
                r = ir(*args)
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertNotIn("terminate", r.stderr)


class RotatedSegmentsAndCheckpoints(unittest.TestCase):
    """Small segments: the bundle takes every rotated segment of the window, and the chain verifies
    across them and against the signed checkpoints with the key kept off the server."""

    def test_collect_verifies_across_segments(self):
        # Every rejection written alone (past the per-source login limit they would be counted).
        srv = h.Server(env={"TATOU_AUDIT_MAX_BYTES": "4096", "TATOU_AUDIT_HEARTBEAT": "1", "TATOU_AUDIT_REPEATS": "0"})
        try:
            for i in range(110):
                h.login(srv, f"r{i}@example.com", "wrong-password-123")
            time.sleep(1.5)  # the writer rotates on its own tick
            key = os.path.join(work, "audit-verify.key")
            shutil.move(os.path.join(srv.datadir, "log", "audit-verify.key"), key)
            out = os.path.join(work, "rotated")
            r = ir("collect", "--since", "10m", "--out", out, "--data-dir", srv.datadir,
                   "--admin-url", f"http://127.0.0.1:{srv.admin_port}", "--verify-key", key)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            segments = json.load(open(os.path.join(out, "custody.json")))["sources"]["audit"]["segments"]
            self.assertGreater(len(segments), 1, segments)
            self.assertIn("audit.jsonl", segments)
            report = json.load(open(os.path.join(out, "verify-report.json")))
            self.assertTrue(report["ok"], report)
            self.assertTrue(report["checkpoints_checked"], report)
            self.assertGreaterEqual(report["records"], 110)
            self.assertTrue(os.path.isfile(os.path.join(out, "audit", "audit-checkpoints.jsonl")))
            self.assertEqual(ir("verify-bundle", out, "--public-key",
                                os.path.join(srv.datadir, "ir-signing.pub")).returncode, 0)
            # A window before anything was written: no segment, recorded, still a sealed bundle.
            early = os.path.join(work, "early")
            r = ir("collect", "--since", "2020-01-01T00:00:00Z", "--until", "2020-01-02T00:00:00Z",
                   "--out", early, "--data-dir", srv.datadir, "--admin-url", f"http://127.0.0.1:{srv.admin_port}")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("no audit segment", r.stdout)
            self.assertEqual(ir("verify-bundle", early).returncode, 0)
        finally:
            srv.cleanup()


class IncidentRecord(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Its own server: the 404 detector fires once per source and window, and did for the bundle.
        cls.srv = h.Server(env={"TATOU_DETECT_404": "5"})

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_open_note_close_report(self):
        server = self.srv
        d = ["--data-dir", server.datadir]
        r = ir("open", "--title", "drill: credential attack", "--severity", "2", *d)
        self.assertEqual(r.returncode, 0, r.stderr)
        inc = r.stdout.strip()
        self.assertRegex(inc, r"^INC-\d+$")
        # The attack and its containment, in the audit log.
        for _ in range(3):
            h.login(server, "victim@example.com", "wrong-password-123")
        for i in range(6):
            http.get(server.url(f"/api/probe-{inc}-{i}"))
        wait_for_action("malicious_excess_404", server)
        with open(os.path.join(server.datadir, "admin.token")) as f:
            token = f.read().strip()
        resp = http.post(f"http://127.0.0.1:{server.admin_port}/admin/block-ip", json={"cidr": "192.0.2.1/32", "ttl": 60},
                         headers={"Authorization": f"Bearer {token}"})
        self.assertEqual(resp.status_code, 200, resp.text)
        wait_for_action("ip_blocked", server)
        self.assertEqual(ir("note", inc, "--kind", "detection", "--text", "TatouScannerActivity fired", *d).returncode, 0)
        self.assertEqual(ir("note", inc, "--kind", "containment", "--text", "blocked 192.0.2.1", *d).returncode, 0)
        time.sleep(1.1)
        r = ir("close", inc, "--summary", "drill finished", "--lessons", "alert earlier",
               "--impact", "low", "--information", "none", "--recoverability", "regular", *d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(ir("note", inc, "--text", "late", *d).returncode, 2)  # closed
        self.assertEqual(ir("close", inc, "--summary", "s", "--lessons", "l", *d).returncode, 2)
        md_path = os.path.join(work, "report.md")
        audit = os.path.join(server.datadir, "log", "audit.jsonl")
        r = ir("report", inc, "--out", md_path, "--audit", audit, *d)
        self.assertEqual(r.returncode, 0, r.stderr)
        md = open(md_path).read()
        self.assertIn(f"# {inc}: drill: credential attack", md)
        self.assertIn("| Severity | 2 (high) |", md)
        self.assertIn("| Status | closed |", md)
        self.assertRegex(md, r"\| audit \| \d+ \| event \| authn_login_fail \|")
        self.assertRegex(md, r"\| audit \| \d+ \| detection \| malicious_excess_404 \|")
        self.assertRegex(md, r"\| audit \| \d+ \| containment \| ip_blocked \|")
        self.assertIn("| note | - | detection |", md)
        self.assertRegex(md, r"\| First detection \| 20\d\d-")
        self.assertRegex(md, r"\| First containment \| 20\d\d-")
        self.assertRegex(md, r"\| MTTD \| [0-9.hms ]+ \(\d+ ms;")
        m = re.search(r"\| MTTR \| [0-9.hms ]+ \((\d+) ms; closed − opened\)", md)
        self.assertIsNotNone(m, md)
        self.assertGreaterEqual(int(m.group(1)), 1000)
        self.assertIn("| Functional impact | low |", md)
        self.assertIn("| Information impact | none |", md)
        self.assertIn("| Recoverability | regular |", md)
        self.assertIn("alert earlier", md)
        # Timeline rows are in time order.
        times = re.findall(r"^\| (20\d\d-\d\d-\d\dT[0-9:.]+Z) \| (?:note|audit) \|", md, re.M)
        self.assertGreater(len(times), 5)
        self.assertEqual(times, sorted(times))

    def test_bad_input_exits_2(self):
        d = ["--data-dir", server.datadir]
        cases = [
            ("open", "--title", "x", "--severity", "5", *d),
            ("open", "--title", "  ", "--severity", "1", *d),
            ("open", "--title", "x", "--severity", "two", *d),
            ("open", "--title", "x", "--severity", "1", "--data-dir", os.path.join(work, "no-data")),
            ("note", "INC-999999", "--text", "x", *d),
            ("note", "INC-x", "--text", "x", *d),
            ("note", "INC-1", "--text", "x", "--kind", "panic", *d),
            ("close", "INC-1", "--summary", "s", "--lessons", "l", "--impact", "catastrophic", *d),
            ("report", "INC-1", "--out", os.path.join(work, "r.md"), "--audit", "/no/such/file", *d),
            ("report", "INC-999999", "--out", os.path.join(work, "r.md"), *d),
            ("open", "--title", "x", "--severity", "1", "--at", "soon", *d),
        ]
        for args in cases:
            with self.subTest(args=args):
                r = ir(*args)
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
