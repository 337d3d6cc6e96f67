#!/usr/bin/env python3
"""`tatou migrate from-flask` against a real MariaDB loaded with the original's schema.

Usage: TATOU_BIN=/abs/path/tatou python3 tests/db/test_migrate_from_flask.py

The rows are what the original would have written: Werkzeug scrypt and pbkdf2 hashes, absolute
paths under /app/storage, BINARY(32) digests, DATETIME(6) creation times, duplicate logins.
"""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "api"))

import harness as h  # noqa: E402
import servers  # noqa: E402

DB = None
PW_SCRYPT = "Scrypt-Passw0rd"
PW_PBKDF2 = "Pbkdf2-Passw0rd"
BIG_ID = 5_000_000_123  # beyond 32 bits


def werkzeug_scrypt(password, salt="Qm9vU2FsdFNhbHQx"):
    digest = hashlib.scrypt(password.encode(), salt=salt.encode(), n=32768, r=8, p=1,
                            maxmem=132 * 32768 * 8, dklen=64).hex()
    return f"scrypt:32768:8:1${salt}${digest}"


def werkzeug_pbkdf2(password, salt="c2FsdHNhbHRzYWx0", iterations=1000):
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2:sha256:{iterations}${salt}${digest}"


def sql_str(s):
    return "NULL" if s is None else "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


class FlaskDeployment:
    """A database with the original's schema and rows, and its storage dir with the files."""

    def __init__(self):
        self.url = DB.create_database("flask")
        self.name = self.url.rsplit("/", 1)[1]
        self.storage = tempfile.mkdtemp(prefix="tatou-flask-storage-")
        with open(os.path.join(HERE, "flask_schema.sql")) as f:
            DB.admin_sql(f.read(), database=self.name)
        self.pdfs = {}

    def file(self, rel, data):
        full = os.path.join(self.storage, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
        return "/app/storage/" + rel

    def sql(self, statement):
        return DB.admin_sql(statement, database=self.name)

    def close(self):
        shutil.rmtree(self.storage, ignore_errors=True)


def tatou(*args, cwd=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TATOU_")}
    return subprocess.run([h.TATOU_BIN, *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=300)


class MigrateFromFlaskTests(h.ApiTestCase):
    def setUp(self):
        self.src = FlaskDeployment()
        self.root = tempfile.mkdtemp(prefix="tatou-migrate-")
        self.data = os.path.join(self.root, "data")

    def tearDown(self):
        self.src.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def migrate(self, *extra):
        return tatou("migrate", "from-flask", "--db", self.src.url, "--storage", self.src.storage,
                     "--data-dir", self.data, *extra, cwd=self.root)

    def load_sample(self):
        s = self.src
        self.doc_a = h.make_pdf(pages=2, text="alice original")
        self.doc_b = h.make_pdf(pages=1, text="bob original")
        self.ver_a = h.make_pdf(pages=2, text="alice watermarked")
        pa = s.file("files/alice/20251026T060300123456Z__report.pdf", self.doc_a)
        pb = s.file("files/bob/20251026T070000000001Z__notes.pdf", self.doc_b)
        pv = s.file("files/alice/watermarks/report__carol_example.com.pdf", self.ver_a)
        missing = "/app/storage/files/bob/20251026T080000000000Z__gone.pdf"
        sha = lambda b: hashlib.sha256(b).hexdigest().upper()  # noqa: E731
        self.link_a, self.link_missing = "a" * 32, "b" * 40
        s.sql(f"""
            INSERT INTO Users(id, email, hpassword, login) VALUES
              (7, 'Alice@Example.com', {sql_str(werkzeug_scrypt(PW_SCRYPT))}, 'alice'),
              ({BIG_ID}, 'bob@example.com', {sql_str(werkzeug_pbkdf2(PW_PBKDF2))}, 'bob'),
              (9, 'bob2@example.com', {sql_str(werkzeug_pbkdf2(PW_PBKDF2))}, 'bob');
            INSERT INTO Documents(id, name, path, ownerid, creation, sha256, size) VALUES
              (42, 'report.pdf', '{pa}', 7, '2025-10-26 06:03:00.123456', UNHEX('{sha(self.doc_a)}'), {len(self.doc_a)}),
              (43, 'notes ü.pdf', '{pb}', {BIG_ID}, '2025-10-26 07:00:00.000001', UNHEX('{sha(self.doc_b)}'), {len(self.doc_b)}),
              (60, 'gone.pdf', '{missing}', {BIG_ID}, '2025-10-26 08:00:00', UNHEX('{sha(b"x")}'), 1);
            INSERT INTO Versions(id, documentid, link, intended_for, secret, method, position, path) VALUES
              (100, 42, '{self.link_a}', 'carol@example.com', 'carol-secret', 'toy-eof', '', '{pv}'),
              (101, 42, '{self.link_missing}', NULL, 's2', 'toy-eof', NULL, '/app/storage/files/alice/watermarks/none.pdf'),
              (102, 60, '{"c" * 32}', 'dave', 's3', 'toy-eof', NULL, '{pv}');
        """)

    def test_imports_keeps_ids_and_links_and_upgrades_hashes_at_login(self):
        self.load_sample()
        r = self.migrate()
        self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
        out = r.stdout
        self.assertIn("users: 3 imported, 0 already present, 0 skipped", out)
        self.assertIn("documents: 2 imported, 0 already present, 1 skipped", out)
        self.assertIn("versions: 1 imported, 0 already present, 2 skipped", out)
        self.assertIn("skipped: Documents id=60: file missing", out)
        self.assertIn("skipped: Versions id=101: file missing", out)
        self.assertIn("skipped: Versions id=102: its document was skipped", out)
        # Rows go in id order: the second 'bob' (the larger id) is renamed.
        self.assertIn(f"note: Users id={BIG_ID}: login 'bob' is taken; imported as 'bob-{BIG_ID}'", out)
        self.assertNotIn(servers.APP_PASSWORD, out + r.stderr)
        self.assertNotIn(h.servers_quoted_password(), out + r.stderr)

        db_file = os.path.join(self.data, "tatou.db")
        with sqlite3.connect(db_file) as con:
            before = dict(con.execute("SELECT id, hpassword FROM users"))
        self.assertTrue(before[7].startswith("scrypt:"))

        srv = h.Server(start=False)
        shutil.rmtree(srv.root)  # serve the migrated data dir instead of a fresh one
        srv.root, srv.datadir = self.root, self.data
        srv.cwd = self.root
        srv.env.pop("TATOU_DB", None)  # the migrated SQLite file in the data dir
        srv.start()
        try:
            r = h.login(srv, "alice@example.com", PW_SCRYPT)
            self.assertEqual(r.status_code, 200, h.describe(r))
            token = r.json()["token"]
            self.assert_error(h.login(srv, "bob@example.com", PW_SCRYPT), 401)
            bob = h.new_token(srv, "bob@example.com", PW_PBKDF2)
            h.new_token(srv, "bob2@example.com", PW_PBKDF2)

            docs = h.http.get(srv.url("/api/list-documents"), headers=h.auth(token)).json()["documents"]
            self.assertEqual([(d["id"], d["name"], d["creation"], d["sha256"].lower(), d["size"])
                              for d in docs],
                             [(42, "report.pdf", "2025-10-26T06:03:00.123456Z",
                               hashlib.sha256(self.doc_a).hexdigest(), len(self.doc_a))])
            r = h.http.get(srv.url("/api/get-document/42"), headers=h.auth(token))
            self.assertEqual(r.content, self.doc_a)
            bob_docs = h.http.get(srv.url("/api/list-documents"), headers=h.auth(bob)).json()
            self.assertEqual([d["id"] for d in bob_docs["documents"]], [43])
            self.assertEqual(bob_docs["documents"][0]["name"], "notes ü.pdf")
            # The public link of the original keeps working, without authentication.
            r = h.http.get(srv.url(f"/api/get-version/{self.link_a}"))
            self.assertEqual(r.status_code, 200, h.describe(r))
            self.assertEqual(r.content, self.ver_a)
            versions = h.http.get(srv.url("/api/list-versions/42"), headers=h.auth(token)).json()
            self.assertEqual([(v["id"], v["link"]) for v in versions["versions"]], [(100, self.link_a)])
            # New rows continue after the imported ids.
            _, _, fresh = h.new_user(srv)
            self.assertGreater(h.upload_ok(srv, fresh)["id"], 43)
        finally:
            srv.stop()
        with sqlite3.connect(db_file) as con:
            after = dict(con.execute("SELECT id, hpassword FROM users"))
            max_user = con.execute("SELECT MAX(id) FROM users").fetchone()[0]
        for uid in (7, BIG_ID, 9):
            self.assertTrue(after[uid].startswith("$argon2id$"), after[uid])
        self.assertGreater(max_user, BIG_ID)

        # A second run changes nothing: same rows, no new files.
        files_before = sorted(os.path.relpath(os.path.join(d, f), self.data)
                              for d, _, fs in os.walk(self.data) for f in fs if "storage" in d)
        r = self.migrate()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("users: 0 imported, 3 already present, 0 skipped", r.stdout)
        self.assertIn("documents: 0 imported, 2 already present, 1 skipped", r.stdout)
        self.assertIn("versions: 0 imported, 1 already present, 2 skipped", r.stdout)
        files_after = sorted(os.path.relpath(os.path.join(d, f), self.data)
                             for d, _, fs in os.walk(self.data) for f in fs if "storage" in d)
        self.assertEqual(files_before, files_after)
        with sqlite3.connect(db_file) as con:
            self.assertEqual(dict(con.execute("SELECT id, hpassword FROM users")), after)

        # The missing file turns up: a third run imports just that document.
        self.src.file("files/bob/20251026T080000000000Z__gone.pdf", b"x")
        r = self.migrate()
        self.assertIn("documents: 1 imported, 2 already present, 0 skipped", r.stdout)
        self.assertIn("versions: 1 imported, 1 already present, 1 skipped", r.stdout)

    def test_target_on_mariadb_keeps_ids(self):
        self.load_sample()
        target = DB.create_database("target")
        r = self.migrate("--target-db", target)
        self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
        self.assertIn("users: 3 imported", r.stdout)
        name = target.rsplit("/", 1)[1]
        ids = DB.admin_sql("SELECT id FROM users WHERE id > 0 ORDER BY id", database=name).split()
        self.assertEqual(ids, ["7", "9", str(BIG_ID)])
        self.assertEqual(DB.admin_sql("SELECT creation FROM documents WHERE id = 42", database=name).strip(),
                         "2025-10-26T06:03:00.123456Z")

    def test_unrecognised_schema_is_refused(self):
        self.src.sql("ALTER TABLE Documents DROP COLUMN sha256")
        r = self.migrate()
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("not the original platform's schema", r.stderr)
        self.assertIn("Documents.sha256", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.data, "storage", "1")))

    def test_bad_source_arguments(self):
        for args, expect in (
                (["--db", "postgresql://u:Secr3tPw@127.0.0.1:1/x"], "expected a mysql:// URL"),
                (["--db", self.src.url.replace(h.servers_quoted_password(), "Wr0ngPw")],
                 "authentication failed"),
                (["--db", "mysql://nohost"], "--db"),
        ):
            r = tatou("migrate", "from-flask", *args, "--storage", self.src.storage,
                      "--data-dir", self.data, cwd=self.root)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(expect, r.stderr)
            self.assertNotIn("Secr3tPw", r.stderr)
            self.assertNotIn("Wr0ngPw", r.stderr)
        r = tatou("migrate", "from-flask", "--db", self.src.url, "--storage", "/nonexistent-dir",
                  "--data-dir", self.data, cwd=self.root)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--storage", r.stderr)


def main():
    global DB
    with servers.start("mariadb") as db:
        DB = db
        h.BACKEND, h.DB = "sqlite", None
        prog = unittest.main(module=__name__, exit=False, verbosity=2)
        result = prog.result
        ok = result.wasSuccessful() and result.testsRun > 0 and not result.skipped
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
