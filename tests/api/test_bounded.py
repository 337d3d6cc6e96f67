"""Bounded under attack: small hostile requests must not exhaust the server.

Each class performs the attack against a real server and asserts the outcome: the status the
attacker gets, the memory ceiling read from /proc, and that a legitimate user is still served.
Times are printed (bench/RESULTS.md has the figures), never asserted."""

import concurrent.futures
import time
import unittest

import harness as h
import hostile_pdfs
import proc_memory
from harness import http

MIB = 1024
# The PDF jail's budget per job (TATOU_PDF_JOB_MEMORY_MB default); the server itself must not
# grow by more than this per concurrent hostile job, whatever the file.
JOB_BUDGET_KIB = 64 * MIB

server = None


def setUpModule():
    global server
    server = h.Server()


def tearDownModule():
    if server is not None:
        server.cleanup()


class HostilePdfTests(h.ApiTestCase):
    """Every parse of untrusted PDF bytes runs under hard limits (issue: bounded under attack)."""

    @classmethod
    def setUpClass(cls):
        _, _, cls.token = h.new_user(server)
        # Warm up every path a hostile file takes, so allocations that happen once are in the baseline.
        doc = h.upload_ok(server, cls.token, h.make_pdf(2))
        h.create_watermark_ok(server, cls.token, doc["id"], method="tatou-content")
        cls.idle_peak = proc_memory.peak_rss_kib(server.proc.pid)
        cls.idle_tree = proc_memory.tree_pss_kib(server.proc.pid)

    def assert_served(self):
        doc = h.upload_ok(server, self.token, h.make_pdf(1))
        r = http.get(server.url(f"/api/get-document/{doc['id']}"), headers=h.auth(self.token))
        self.assertEqual(r.status_code, 200, h.describe(r))

    def upload_hostile(self, name):
        data = hostile_pdfs.ALL[name]()
        started = time.monotonic()
        r = h.upload(server, self.token, data, filename=f"{name}.pdf")
        elapsed = time.monotonic() - started
        print(f"  {name}: {len(data)} bytes -> {r.status_code} in {elapsed:.2f} s", flush=True)
        return r

    def test_structural_bombs_are_refused_within_the_memory_budget(self):
        for name in ("object_stream_bomb", "xref_stream_bomb"):
            with self.subTest(pdf=name):
                with proc_memory.TreeSampler(server.proc.pid) as tree:
                    r = self.upload_hostile(name)
                self.assert_error(r, 400, "File is not a readable PDF")
                rise = proc_memory.peak_rss_kib(server.proc.pid) - self.idle_peak
                self.assertLess(rise, JOB_BUDGET_KIB, f"server peak RSS rose {rise} KiB")
                self.assertLess(tree.peak - self.idle_tree, JOB_BUDGET_KIB + 16 * MIB,
                                f"server and jail together rose {tree.peak - self.idle_tree} KiB")
        self.assert_served()

    def test_page_tree_and_nesting_attacks_are_bounded(self):
        # qpdf drops an object nested past its depth limit, so that page is still a page; the
        # page trees that never end are refused.
        for name, status in (("deep_nesting", 201), ("wide_page_tree", 400), ("cyclic_page_tree", 400)):
            with self.subTest(pdf=name):
                r = self.upload_hostile(name)
                self.assertEqual(r.status_code, status, h.describe(r))
                rise = proc_memory.peak_rss_kib(server.proc.pid) - self.idle_peak
                self.assertLess(rise, JOB_BUDGET_KIB, f"server peak RSS rose {rise} KiB")
        self.assert_served()

    def test_concurrent_bombs_cost_at_most_one_budget_each(self):
        data = hostile_pdfs.object_stream_bomb()
        with proc_memory.TreeSampler(server.proc.pid) as tree:
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                results = list(pool.map(lambda _: h.upload(server, self.token, data, filename="b.pdf"), range(4)))
        for r in results:
            self.assert_error(r, 400, "File is not a readable PDF")
        # Two workers run PDF jobs, so at most two children are alive at once.
        self.assertLess(tree.peak - self.idle_tree, 2 * JOB_BUDGET_KIB + 16 * MIB)
        self.assertLess(proc_memory.peak_rss_kib(server.proc.pid) - self.idle_peak, JOB_BUDGET_KIB)
        self.assert_served()

    # (create-watermark, read-watermark) for the content-and-font bomb, per method: the EOF
    # methods never decode a stream (and find nothing to read); every method that rewrites the
    # document runs out of its job's memory or time (400); reading content streams stops at the
    # per-stream cap (400); the others find no mark (404).
    BOMB_OUTCOMES = {
        "toy-eof": (201, 404), "bash-bridge-eof": (201, 404), "phantom-annotation-g21": (400, 404),
        "tatou-content": (400, 400), "tatou-stamp": (400, 400), "tatou-annotation": (400, 404),
        "tatou-pieceinfo": (400, 404),
    }

    def test_stored_file_that_bombs_later_is_still_bounded_and_readable(self):
        """Accepted at upload (its structure is sound), but its content and font inflate:
        watermarking and reading it run in the jail, and the owner still gets the bytes."""
        data = hostile_pdfs.content_and_font_bomb()
        doc = h.upload_ok(server, self.token, data, filename="fonts.pdf")
        for method in h.methods(server):
            create, read = self.BOMB_OUTCOMES[method]
            with self.subTest(method=method):
                r = h.create_watermark(server, self.token, doc["id"], method=method)
                self.assertEqual(r.status_code, create, h.describe(r))
                r = http.post(server.url(f"/api/read-watermark/{doc['id']}"),
                              json={"method": method, "key": "unit-test-key"}, headers=h.auth(self.token))
                self.assertEqual(r.status_code, read, h.describe(r))
                self.assertLess(proc_memory.peak_rss_kib(server.proc.pid) - self.idle_peak, JOB_BUDGET_KIB)
        r = http.get(server.url(f"/api/get-document/{doc['id']}"), headers=h.auth(self.token))
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.content, data)


if __name__ == "__main__":
    unittest.main()
