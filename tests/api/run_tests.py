#!/usr/bin/env python3
"""Runs the Tatou black-box API suite.

Usage: TATOU_BIN=/path/to/tatou [TATOU_TEST_DB=mariadb|postgresql] python3 tests/api/run_tests.py [test names...]

With TATOU_TEST_DB set, a throwaway server of that kind is started first (tests/db/servers.py),
every tatou process gets a fresh database on it, and the server is stopped at the end.

Without arguments every module runs, followed by a check that no response in the
whole run was a 5xx. Exits non-zero on any failure; the last line of stdout is
`N passed, N failed` (plus `, N skipped` when tests were skipped).
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "db"))

import harness  # noqa: E402

MODULES = [
    "test_health_static",
    "test_accounts",
    "test_documents",
    "test_versions",
    "test_watermark_methods",
    "test_identify_leak",
    "test_bad_input",
    "test_persistence",
    "test_process",
    "test_rmap",
    "test_rmap_abuse",
    "test_auth_paths",
    "test_audit",
    "test_receipts",
    "test_metrics",
    "test_containment",
    "test_ir",
    "test_bounded",
    "test_deploy_defaults",
]
# Need a real database server: an outage under a running tatou, and start-up credentials.
SERVER_DB_MODULES = ["test_db_outage", "test_db_settings"]


class NoServerErrors(unittest.TestCase):
    """Runs last: no request made by the suite may have been answered with a 5xx."""

    def test_no_5xx_anywhere(self):
        bad = [r for r in harness.RESPONSES if r[2] >= 500]
        self.assertEqual(bad, [], f"{len(bad)} responses were 5xx: {bad[:20]}")
        self.assertTrue(harness.RESPONSES, "no requests were recorded")

    def test_no_secret_in_any_log(self):
        """Canaries: every password, token, email, watermark secret and key of the whole run."""
        self.assertGreater(len(harness.CANARIES), 100)
        self.assertTrue(any(p.endswith("audit.jsonl") for p in harness.CHECKED_LOG_FILES))
        self.assertEqual(harness.LEAKS, [], f"secrets found in logs: {harness.LEAKS[:10]}")


class CountingResult(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main(argv):
    if harness.BACKEND == "sqlite":
        return run(argv)
    import servers
    with servers.start(harness.BACKEND) as db:
        harness.DB = db
        print(f"database: {harness.BACKEND} on 127.0.0.1:{db.port}", flush=True)
        return run(argv)


def run(argv):
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    if argv:
        suite.addTests(loader.loadTestsFromNames(argv))
    else:
        for name in MODULES + (SERVER_DB_MODULES if harness.BACKEND != "sqlite" else []):
            suite.addTests(loader.loadTestsFromName(name))
        suite.addTests(loader.loadTestsFromTestCase(NoServerErrors))
    print(f"TATOU_BIN={harness.TATOU_BIN}", flush=True)
    runner = unittest.TextTestRunner(verbosity=2, resultclass=CountingResult, stream=sys.stderr)
    result = runner.run(suite)
    # Count tests, not subtests: failing subtests of one method make one failure.
    # Errors in setUpModule/setUpClass/tearDown* count as one failure each.
    failed_ids = {getattr(t, "test_case", t).id() for t, _ in result.failures + result.errors}
    failed = len(failed_ids) + len(result.unexpectedSuccesses)
    passed = result.passed
    skipped = len(result.skipped)
    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped"
    sys.stderr.flush()
    print(summary, flush=True)
    return 0 if failed == 0 and result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
