"""Process behaviour: secret key file, data-dir confinement, graceful shutdown, and
refusal to start on bad settings."""

import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import unittest

import harness as h
from harness import http


def run_bad(args, timeout=5):
    """Runs `tatou serve` with the default test flags overridden by `args` (pairs of
    flag, value); returns (returncode, stderr text, seconds)."""
    root = tempfile.mkdtemp(prefix="tatou-bad-")
    try:
        port, admin = h._free_ports(2)
        flags = {"--listen": f"127.0.0.1:{port}", "--admin-listen": f"127.0.0.1:{admin}",
                 "--data-dir": os.path.join(root, "data")}
        flags.update(zip(args[::2], args[1::2]))
        cmd = [h.TATOU_BIN, "serve"] + [x for kv in flags.items() for x in kv]
        env = {k: v for k, v in os.environ.items() if not k.startswith("TATOU_")}
        t0 = time.monotonic()
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=root, env=env,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"{args}: still running after {timeout}s") from exc
        return p.returncode, p.stderr.decode("utf-8", "replace"), time.monotonic() - t0
    finally:
        shutil.rmtree(root, ignore_errors=True)


class SecretKeyTests(unittest.TestCase):
    def test_secret_key_created_0600_and_kept(self):
        srv = h.Server()
        try:
            path = os.path.join(srv.datadir, "secret.key")
            self.assertTrue(os.path.isfile(path), os.listdir(srv.datadir))
            st = os.stat(path)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o600, oct(st.st_mode))
            self.assertGreater(st.st_size, 0)
            with open(path, "rb") as f:
                before = f.read()
            # The data dir itself is private.
            self.assertEqual(stat.S_IMODE(os.stat(srv.datadir).st_mode) & 0o077, 0)
            _, _, token = h.new_user(srv)
            srv.restart()
            with open(path, "rb") as f:
                self.assertEqual(f.read(), before)
            self.assertEqual(http.get(srv.url("/api/list-documents"),
                                      headers=h.auth(token)).status_code, 200)
        finally:
            srv.cleanup()

    def test_data_dir_created_when_missing(self):
        # Run by hand: the harness pre-creates the data dir to hold its log files.
        root = tempfile.mkdtemp(prefix="tatou-test-")
        datadir = os.path.join(root, "nested", "data")
        port, admin = h._free_ports(2)
        cmd = [h.TATOU_BIN, "serve", "--listen", f"127.0.0.1:{port}",
               "--admin-listen", f"127.0.0.1:{admin}", "--data-dir", datadir]
        env = {k: v for k, v in os.environ.items() if not k.startswith("TATOU_")}
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, cwd=root, env=env)
        try:
            deadline = time.monotonic() + 10
            up = False
            while not up and time.monotonic() < deadline and proc.poll() is None:
                try:
                    up = http.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code \
                        == 200
                except h.requests.RequestException:
                    time.sleep(0.05)
            self.assertTrue(up, "server did not come up with a missing data dir")
            self.assertTrue(os.path.isdir(datadir))
            self.assertEqual(stat.S_IMODE(os.stat(datadir).st_mode), 0o700)
            self.assertTrue(os.path.isfile(os.path.join(datadir, "secret.key")))
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
            shutil.rmtree(root, ignore_errors=True)
        self.assertEqual(rc, 0)


class ShutdownTests(unittest.TestCase):
    def test_sigterm_exits_zero_after_traffic(self):
        srv = h.Server()
        try:
            _, _, token = h.new_user(srv)
            doc = h.upload_ok(srv, token)
            h.create_watermark_ok(srv, token, doc["id"])
            t0 = time.monotonic()
            srv.stop()  # asserts exit code 0 within 10 s
            self.assertLess(time.monotonic() - t0, 5)
            with self.assertRaises(h.requests.ConnectionError):
                h.requests.get(srv.url("/healthz"), timeout=1)
        finally:
            srv.cleanup()

    def test_sigint_exits_zero(self):
        srv = h.Server()
        try:
            proc = srv.proc
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(timeout=10), 0)
            srv.proc = None
            srv._close_logs()
        finally:
            srv.cleanup()

    def test_only_the_data_dir_is_written(self):
        srv = h.Server()
        existed = {p: os.path.exists(p) for p in ("/etc/passwd.pdf", "/tmp/abs.pdf")}
        try:
            _, _, token = h.new_user(srv)
            for fn in ("../../etc/passwd.pdf", "../escape.pdf", "/tmp/abs.pdf",
                       "..\\..\\win.pdf", "a/../../b.pdf"):
                r = h.upload(srv, token, h.SAMPLE_PDF, filename=fn)
                self.assertEqual(r.status_code, 201, h.describe(r))
            doc = h.upload_ok(srv, token)
            h.create_watermark_ok(srv, token, doc["id"], intended_for="../../../etc/owned")
            self.assertEqual(sorted(os.listdir(srv.root)), ["data"])
            for path, before in existed.items():
                if not before:
                    self.assertFalse(os.path.exists(path), path)
        finally:
            srv.cleanup()


class BadSettingsTests(unittest.TestCase):
    def assert_refused(self, args):
        rc, err, secs = run_bad(args)
        self.assertEqual(rc, 2, f"{args}: exit {rc}, stderr={err!r}")
        lines = [ln for ln in err.splitlines() if ln.strip()]
        self.assertEqual(len(lines), 1, f"{args}: stderr should be one line: {err!r}")
        self.assertLess(secs, 5)

    def test_listen_nonsense(self):
        self.assert_refused(["--listen", "nonsense"])

    def test_listen_bad_port(self):
        self.assert_refused(["--listen", "127.0.0.1:99999"])

    def test_negative_ttl(self):
        self.assert_refused(["--token-ttl", "-5"])

    def test_non_numeric_ttl(self):
        self.assert_refused(["--token-ttl", "abc"])

    def test_unparsable_db_url(self):
        for url in ("oracle://u:pw@h/db", "mysql://nohost", "mysql://u:pw@h:0/db",
                    "postgresql://u:pw@h/db?sslmode=x", "sqlite:"):
            with self.subTest(url=url):
                self.assert_refused(["--db", url])

    def test_unreachable_db_server_is_refused_without_the_password(self):
        port, = h._free_ports(1)  # nothing listens there
        for scheme in ("mysql", "postgresql"):
            with self.subTest(scheme=scheme):
                rc, err, _ = run_bad(["--db", f"{scheme}://tatou:Hunter2Secret@127.0.0.1:{port}/t"])
                self.assertEqual(rc, 2, err)
                self.assertNotIn("Hunter2Secret", err)
                self.assertIn("cannot connect", err)
                self.assertIn("***", err)

    def test_data_dir_is_a_file(self):
        with tempfile.NamedTemporaryFile() as f:
            self.assert_refused(["--data-dir", f.name])


if __name__ == "__main__":
    unittest.main(verbosity=2)
