"""Deployment defaults the server enforces itself (issue 14): every file it creates is private
to its user whatever the umask, every JSON answer says `Cache-Control: no-store`, and a `.env`
inside the writable data dir is never taken as settings. The container and compose files are
checked by deploy/check.sh (ctest deploy_files)."""

import os
import stat
import subprocess
import time
import unittest

import harness as h
from harness import http

# Files the server writes that are public on purpose (verification keys); everything else it
# creates holds or leads to a secret: the database (password hashes, version links, watermark
# secrets), the stored PDFs, the audit log and its state, keys and tokens.
PUBLIC_SUFFIXES = (".pub", "_pub.asc")
# Written by the test harness, not by the server.
HARNESS_FILES = {"server.stdout", "server.stderr"}


def created_by_server(server):
    for dirpath, dirnames, filenames in os.walk(server.datadir):
        for name in dirnames:
            yield os.path.join(dirpath, name), True
        for name in filenames:
            if dirpath == server.datadir and name in HARNESS_FILES:
                continue
            yield os.path.join(dirpath, name), False


class FileModeTests(unittest.TestCase):
    """Attack: a local user (another service, a shell account, a backup agent) reads the
    database or a stored PDF because the server created it 0644 under a permissive umask."""

    def setUp(self):
        # The umask a careless service manager or shell leaves behind.
        self.old_umask = os.umask(0o022)

    def tearDown(self):
        os.umask(self.old_umask)

    def test_every_file_the_server_creates_is_private(self):
        server = h.Server()
        try:
            _, _, token = h.new_user(server)
            doc = h.upload_ok(server, token)
            h.create_watermark_ok(server, token, doc["id"])
            server.stop()  # a clean stop writes the last checkpoint and state
            seen = []
            for path, is_dir in created_by_server(server):
                mode = stat.S_IMODE(os.lstat(path).st_mode)
                rel = os.path.relpath(path, server.datadir)
                seen.append(rel)
                if not is_dir and rel.endswith(PUBLIC_SUFFIXES):
                    continue
                with self.subTest(path=rel):
                    self.assertEqual(mode & 0o077, 0, f"{rel} is {oct(mode)}")
            if h.BACKEND == "sqlite":
                self.assertIn("tatou.db", seen)
            self.assertTrue(any(p.startswith("storage" + os.sep) for p in seen), seen)
            self.assertTrue(any(p.startswith("log" + os.sep) for p in seen), seen)
        finally:
            server.cleanup()

    @unittest.skipUnless(h.BACKEND == "sqlite", "the SQLite file is in the data dir")
    def test_a_world_readable_database_from_an_older_release_is_tightened(self):
        server = h.Server()
        try:
            h.new_user(server)
            server.stop()
            db = os.path.join(server.datadir, "tatou.db")
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.chmod(db + suffix, 0o644)
            server.start()
            h.new_user(server)
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    with self.subTest(file="tatou.db" + suffix):
                        self.assertEqual(stat.S_IMODE(os.stat(db + suffix).st_mode), 0o600)
        finally:
            server.cleanup()


class NoStoreTests(unittest.TestCase):
    """Attack: a shared cache, a proxy or the browser's disk cache keeps a JSON answer that
    carries a bearer token, a version link or a watermark secret, and serves or leaks it later."""

    @classmethod
    def setUpClass(cls):
        cls.server = h.Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def assert_no_store(self, resp, what):
        self.assertIn("json", resp.headers.get("Content-Type", ""), what)
        cache = [v.strip() for v in resp.headers.get("Cache-Control", "").split(",")]
        self.assertIn("no-store", cache, f"{what}: Cache-Control={resp.headers.get('Cache-Control')!r}")

    def test_every_json_answer_says_no_store(self):
        s = self.server
        name = h.unique()
        email = f"{name}@example.com"
        r = h.create_user(s, login=name, email=email)
        self.assertEqual(r.status_code, 201, r.text)
        self.assert_no_store(r, "create-user")
        r = h.login(s, email)
        self.assertEqual(r.status_code, 200, r.text)
        self.assert_no_store(r, "login (bearer token)")
        token = r.json()["token"]
        r = h.upload(s, token, h.SAMPLE_PDF)
        self.assertEqual(r.status_code, 201, r.text)
        self.assert_no_store(r, "upload-document")
        doc = r.json()["id"]
        r = h.create_watermark(s, token, doc)
        self.assertEqual(r.status_code, 201, r.text)
        self.assert_no_store(r, "create-watermark (link and secret)")
        link = r.json()["link"]
        answers = {
            "list-documents": http.get(s.url("/api/list-documents"), headers=h.auth(token)),
            "list-versions": http.get(s.url(f"/api/list-versions/{doc}"), headers=h.auth(token)),
            "list-all-versions": http.get(s.url("/api/list-all-versions"), headers=h.auth(token)),
            "refresh-token": http.post(s.url("/api/refresh-token"), headers=h.auth(token)),
            "get-watermarking-methods": http.get(s.url("/api/get-watermarking-methods")),
            "healthz": http.get(s.url("/healthz")),
            "401": http.get(s.url("/api/list-documents")),
            "404 version": http.get(s.url("/api/get-version/" + "x" * 32)),
            "400 bad JSON": http.post(s.url("/api/login"), data=b"{",
                                      headers={"Content-Type": "application/json"}),
            "rmap-initiate": http.post(s.url("/api/rmap-initiate"), json={"payload": "AAAA"},
                                       allow_5xx=True),
            "rmap-get-link": http.post(s.url("/api/rmap-get-link"), json={"payload": "AAAA"},
                                       allow_5xx=True),
        }
        self.assertIn(link, answers["list-versions"].text)
        for what, resp in answers.items():
            with self.subTest(answer=what, status=resp.status_code):
                self.assert_no_store(resp, what)

    def test_admin_listener_answers_say_no_store(self):
        r = http.get(f"http://127.0.0.1:{self.server.admin_port}/admin/containment")
        self.assertEqual(r.status_code, 401, r.text)  # no admin token: a JSON refusal
        self.assert_no_store(r, "admin listener")


class DotenvTests(unittest.TestCase):
    """Attack: whoever can write into the data dir (a compromised server, a path bug, a shared
    volume) drops `.env` there; in the container the working directory was the data volume, so
    the next start took it as settings (an unset TATOU_TRUSTED_PROXIES, TATOU_DB, ...)."""

    def test_dotenv_in_the_data_dir_is_refused(self):
        server = h.Server(start=False)
        try:
            with open(os.path.join(server.datadir, ".env"), "w") as f:
                f.write("TATOU_MAX_UPLOAD_BYTES=1024\nTATOU_TRUSTED_PROXIES=127.0.0.1\n")
            server.cwd = server.datadir  # the container's WORKDIR was its data volume
            with self.assertRaises(h.ServerError) as caught:
                server.start()
            self.assertEqual(server.proc.returncode, 2)  # a configuration error: no restart loop
            server.proc = None
            self.assertIn(".env", str(caught.exception))
            self.assertIn("data dir", str(caught.exception))
        finally:
            server.cleanup()

    def test_dotenv_setting_the_data_dir_to_its_own_folder_is_refused(self):
        server = h.Server(start=False)
        try:
            with open(os.path.join(server.datadir, ".env"), "w") as f:
                f.write(f"TATOU_DATA_DIR={server.datadir}\n")
            server.cwd = server.datadir
            # Without --data-dir the .env names the data dir itself.
            server.command = lambda: [h.TATOU_BIN, "serve", "--listen", f"127.0.0.1:{server.port}",
                                      "--admin-listen", f"127.0.0.1:{server.admin_port}"]
            with self.assertRaises(h.ServerError) as caught:
                server.start()
            self.assertEqual(server.proc.returncode, 2)  # a configuration error: no restart loop
            server.proc = None
            self.assertIn(".env", str(caught.exception))
        finally:
            server.cleanup()

    def test_dotenv_beside_the_data_dir_is_still_read(self):
        """The compatibility contract: a `.env` in the working directory is read."""
        server = h.Server(start=False)
        try:
            with open(os.path.join(server.root, ".env"), "w") as f:
                f.write("TATOU_MAX_UPLOAD_BYTES=1024\n")
            server.start()
            _, _, token = h.new_user(server)
            big = h.SAMPLE_PDF + b"%" + b"x" * 4096 + b"\n"
            self.assertEqual(h.upload(server, token, big).status_code, 413)
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
