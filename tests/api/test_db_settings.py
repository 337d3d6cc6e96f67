"""Start-up against a real database server with bad credentials or a missing database:
exit 2 with one clear line that never shows the password. Needs a server (run_tests.py adds
this module when TATOU_TEST_DB is set)."""

import unittest

import harness as h
from test_process import run_bad


class DatabaseCredentialTests(unittest.TestCase):
    def refused(self, url, expect):
        rc, err, secs = run_bad(["--db", url], timeout=15)
        self.assertEqual(rc, 2, err)
        lines = [ln for ln in err.splitlines() if ln.strip()]
        self.assertEqual(len(lines), 1, err)
        self.assertIn(expect, err)
        self.assertLess(secs, 15)
        return err

    def test_wrong_password(self):
        url = h.DB.create_database()
        bad = url.replace(h.servers_quoted_password(), "Wr0ngPassw0rdValue")
        self.assertNotEqual(bad, url)
        err = self.refused(bad, "authentication failed")
        self.assertNotIn("Wr0ngPassw0rdValue", err)

    def test_missing_database(self):
        url = h.DB.create_database()
        err = self.refused(url.rsplit("/", 1)[0] + "/no_such_db", "does not exist")
        self.assertNotIn(h.servers_quoted_password(), err)
        self.assertNotIn(h.servers_password(), err)

    def test_the_password_never_reaches_the_log(self):
        srv = h.Server()
        try:
            _, _, token = h.new_user(srv)
            h.upload_ok(srv, token)
            srv.stop()
            log = srv.stderr_tail(1_000_000)
            self.assertIn("***", log)  # the masked URL is logged at start
            self.assertNotIn(h.servers_password(), log)
            self.assertNotIn(h.servers_quoted_password(), log)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
