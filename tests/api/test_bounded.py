"""Bounded under attack: small hostile requests must not exhaust the server.

Each class performs the attack against a real server and asserts the outcome: the status the
attacker gets, the memory ceiling read from /proc, and that a legitimate user is still served.
Times are printed (bench/RESULTS.md has the figures), never asserted."""

import concurrent.futures
import os
import socket
import time
import urllib.parse
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
        "tatou-pieceinfo": (400, 404), "tatou-geometry": (400, 404), "tatou-geometry-content": (400, 400),
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


def scrape(srv):
    r = http.get(f"http://127.0.0.1:{srv.admin_port}/metrics", timeout=5)
    r.raise_for_status()
    return r.text


def counter(text, name, **labels):
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{want}}} ") or (not labels and line.startswith(name + " ")):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name}{{{want}}} not in the exposition")


class LockedDatabaseTests(h.ApiTestCase):
    """Another session holds a lock the writes need (SQLite's write lock; a table lock on the
    server databases): writes wait on the query workers, while liveness, static pages and the
    admin listener keep answering."""

    @classmethod
    def setUpClass(cls):
        cls.srv = h.Server()
        cls.tokens = [h.new_user(cls.srv)[2] for _ in range(4)]

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def lock_the_tokens(self):
        if h.BACKEND == "sqlite":
            import sqlite3
            lock = sqlite3.connect(os.path.join(self.srv.datadir, "tatou.db"), isolation_level=None, timeout=1)
            lock.execute("BEGIN IMMEDIATE")

            def release():
                lock.execute("ROLLBACK")
                lock.close()
            return release
        database = urllib.parse.urlsplit(self.srv.env["TATOU_DB"]).path.lstrip("/")
        return h.DB.lock_table(database, "tokens").release

    def test_admin_static_and_liveness_answer_while_writes_wait_for_the_lock(self):
        release = self.lock_the_tokens()
        writers = concurrent.futures.ThreadPoolExecutor(4)
        try:
            # Each logout is a write that now waits for the lock.
            pending = [writers.submit(http.post, self.srv.url("/api/logout"), headers=h.auth(t),
                                      timeout=30, allow_5xx=True) for t in self.tokens]
            time.sleep(0.5)
            worst = 0.0
            for _ in range(20):
                for url in (f"http://127.0.0.1:{self.srv.admin_port}/metrics", self.srv.url("/healthz"),
                            self.srv.url("/login.html")):
                    started = time.monotonic()
                    r = http.get(url, timeout=2)  # served, or this test fails
                    worst = max(worst, time.monotonic() - started)
                    self.assertEqual(r.status_code, 200, url)
            print(f"  slowest answer while the database was locked: {worst * 1000:.0f} ms", flush=True)
            self.assertFalse(any(f.done() for f in pending), "the writes should still be waiting")
        finally:
            release()
        for f in pending:
            self.assertEqual(f.result().status_code, 200)
        writers.shutdown()

    def test_readiness_checks_the_database_and_liveness_does_not(self):
        r = http.get(self.srv.url("/readyz"))
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.json(), {"ready": True, "db_connected": True})
        r = http.get(self.srv.url("/healthz"))
        self.assertEqual(r.json()["db_connected"], True)


class FairShareTests(h.ApiTestCase):
    """One account flooding the heavy pool gets its share; another account is served at once."""

    @classmethod
    def setUpClass(cls):
        cls.srv = h.Server()
        _, _, cls.flooder = h.new_user(cls.srv)
        _, _, cls.other = h.new_user(cls.srv)

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_a_flood_of_slow_jobs_from_one_client_does_not_starve_another(self):
        bomb = hostile_pdfs.object_stream_bomb()
        flood = concurrent.futures.ThreadPoolExecutor(30)
        jobs = [flood.submit(h.upload, self.srv, self.flooder, bomb, "b.pdf") for _ in range(30)]
        time.sleep(0.5)  # the flood is queued and running
        started = time.monotonic()
        r = http.post(self.srv.url("/api/upload-document"), headers=h.auth(self.other),
                      files={"file": ("mine.pdf", h.make_pdf(1), "application/pdf")}, timeout=5)
        print(f"  other client's upload during the flood: {time.monotonic() - started:.2f} s", flush=True)
        self.assertEqual(r.status_code, 201, h.describe(r))
        statuses = sorted(j.result().status_code for j in jobs)
        flood.shutdown()
        # The flooder's own share runs (400: refused PDF), the rest beyond its queue share is 429.
        self.assertEqual(set(statuses), {400, 429}, statuses)
        limited = [j.result() for j in jobs if j.result().status_code == 429]
        self.assert_error(limited[0], 429, "too many requests in progress for this client")


class AccountHeavyJobTests(h.ApiTestCase):
    """Logging in many times gives one account many tokens, not many shares of the workers."""

    @classmethod
    def setUpClass(cls):
        cls.srv = h.Server()  # 4 workers, 2 heavy jobs per account (config/limits.hpp defaults)
        email, password, first = h.new_user(cls.srv)
        cls.tokens = [first] + [h.new_token(cls.srv, email, password) for _ in range(3)]
        _, _, cls.other = h.new_user(cls.srv)

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_four_tokens_of_one_account_run_at_most_two_heavy_jobs(self):
        bomb = hostile_pdfs.object_stream_bomb()  # each upload holds a worker until the jail refuses it
        pool = concurrent.futures.ThreadPoolExecutor(4)
        jobs = [pool.submit(h.upload, self.srv, token, bomb, "b.pdf") for token in self.tokens]
        statuses = sorted(j.result().status_code for j in jobs)
        pool.shutdown()
        # All four overlap unless the machine delays a thread by a whole job: then fewer are refused.
        self.assertIn(statuses.count(429), (1, 2), statuses)
        self.assertEqual(statuses.count(400) + statuses.count(429), 4, statuses)
        refused = next(j.result() for j in jobs if j.result().status_code == 429)
        self.assert_error(refused, 429, "too many heavy requests in progress for this account")
        self.assertEqual(refused.headers.get("Retry-After"), "1")
        # Another account is not affected, and the account's own cap frees when its jobs end.
        self.assertEqual(h.upload(self.srv, self.other, h.make_pdf(1)).status_code, 201)
        self.assertEqual(h.upload(self.srv, self.tokens[3], h.make_pdf(1)).status_code, 201)


class AbandonedJobTests(h.ApiTestCase):
    """Work queued for a client that has closed its connection is dropped before it starts."""

    @classmethod
    def setUpClass(cls):
        cls.srv = h.Server(extra_args=["--heavy-jobs-per-client", "1"])
        _, _, cls.token = h.new_user(cls.srv)

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def send_and_hang_up(self, body, boundary):
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=5)
        head = (f"POST /api/upload-document HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {self.token}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n")
        s.sendall(head.encode() + body)
        s.close()

    def test_uploads_from_a_client_that_hung_up_are_not_stored(self):
        before = counter(scrape(self.srv), "tatou_http_requests_abandoned_total", route="/api/upload-document")
        # Ahead of them in this client's queue (one running job per client): bombs the jail refuses,
        # one after another, so the hung-up uploads wait long enough for their close to be seen
        # however loaded the machine is (each bomb takes longer when it is).
        bombs = 4
        pool = concurrent.futures.ThreadPoolExecutor(bombs)
        slow = [pool.submit(h.upload, self.srv, self.token, hostile_pdfs.object_stream_bomb(), f"slow{i}.pdf")
                for i in range(bombs)]
        deadline = time.monotonic() + 10
        while counter(scrape(self.srv), "tatou_http_requests_in_flight") < bombs and time.monotonic() < deadline:
            time.sleep(0.01)
        boundary = "tatouboundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"gone.pdf\"\r\n"
                f"Content-Type: application/pdf\r\n\r\n").encode() + h.make_pdf(1) + f"\r\n--{boundary}--\r\n".encode()
        for _ in range(5):
            self.send_and_hang_up(body, boundary)
        self.assertEqual([f.result().status_code for f in slow], [400] * bombs)
        deadline = time.monotonic() + 10
        while counter(scrape(self.srv), "tatou_http_requests_abandoned_total",
                      route="/api/upload-document") < before + 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        after = counter(scrape(self.srv), "tatou_http_requests_abandoned_total", route="/api/upload-document")
        self.assertEqual(after - before, 5)
        r = http.get(self.srv.url("/api/list-documents"), headers=h.auth(self.token))
        self.assertEqual(r.json()["documents"], [])


class ConnectionCapTests(h.ApiTestCase):
    """One address holds at most TATOU_MAX_CONNECTIONS_PER_SOURCE connections; others still connect."""

    @classmethod
    def setUpClass(cls):
        cls.srv = h.Server(extra_args=["--max-connections-per-source", "8"])

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_connections_past_the_cap_are_closed_and_other_sources_are_served(self):
        held = [socket.create_connection(("127.0.0.1", self.srv.port), timeout=5) for _ in range(8)]
        try:
            # An answer on each held connection proves the server has accepted (and counted) it,
            # so the ninth attempt meets a full count however loaded the machine is.
            for s in held:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 200"))
            extra = socket.create_connection(("127.0.0.1", self.srv.port), timeout=5)
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                answer = extra.recv(100)
            except ConnectionResetError:
                answer = b""
            extra.close()
            self.assertEqual(answer, b"", "the ninth connection from one address must be closed unanswered")
            # 127.0.0.2 is another source on the same loopback interface.
            other = socket.create_connection(("127.0.0.1", self.srv.port), timeout=5, source_address=("127.0.0.2", 0))
            other.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            self.assertTrue(other.recv(100).startswith(b"HTTP/1.1 200"))
            other.close()
        finally:
            for s in held:
                s.close()
        time.sleep(0.3)
        self.assertEqual(http.get(self.srv.url("/healthz")).status_code, 200)


class BodyLimitTests(h.ApiTestCase):
    """A route's body limit holds when the headers arrive, before the body is read into memory."""

    def read_until_closed(self, sock, seconds=3):
        sock.settimeout(seconds)
        data = b""
        try:
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    return data, True
                data += chunk
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True

    def test_a_login_announcing_an_upload_sized_body_is_refused_before_the_body_is_sent(self):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 40000000\r\n\r\n")
            answer, closed = self.read_until_closed(s)
        self.assertTrue(answer.startswith(b"HTTP/1.1 413"), answer[:200])
        self.assertIn(b"application/json", answer)
        self.assertIn(b"too large", answer)
        self.assertTrue(closed, "the connection must be closed, not left waiting for 40 MB")
        # Logged and counted like any other answer.
        deadline = time.time() + 5
        while counter(scrape(server), "tatou_http_requests_total", method="POST", route="/api/login", status="413") < 1:
            self.assertLess(time.time(), deadline, "the refusal must appear in tatou_http_requests_total")
            time.sleep(0.1)

    def test_a_chunked_json_body_is_cut_off_once_past_the_limit(self):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(b"POST /api/create-user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b"2000\r\n" + b" " * 0x2000 + b"\r\n"
            sent = 0
            try:
                for _ in range(64):  # 512 KiB offered; the limit is 16 KiB
                    s.sendall(chunk)
                    sent += 0x2000
            except (BrokenPipeError, ConnectionResetError):
                pass
            answer, closed = self.read_until_closed(s)
        self.assertTrue(closed, "a chunked body past the JSON limit must end the connection")
        self.assertTrue(answer.startswith(b"HTTP/1.1 413"), answer[:200])

    def test_bodies_within_their_route_limits_are_still_served(self):
        # 12 KiB of JSON (under the 16 KiB limit) reaches the handler, which judges its content.
        body = '{"email": "a@b.c", "password": "' + "x" * 900 + '"}' + " " * (12 * 1024)
        r = http.post(server.url("/api/login"), data=body, headers={"Content-Type": "application/json"})
        self.assertEqual(r.status_code, 401, r.text)
        # Uploads keep TATOU_MAX_UPLOAD_BYTES: a 1 MiB PDF is accepted.
        _, _, token = h.new_user(server)
        r = h.upload(server, token, h.pdf_of_size(1 << 20))
        self.assertEqual(r.status_code, 201, r.text)


class RefusedConnectionsLeakNoSlotTests(h.ApiTestCase):
    """Connections refused for the per-source cap must not use up TATOU_MAX_CONNECTIONS: RESTinio's
    own count limiter reserves a slot for every accept and frees it only for connections it went
    on to serve, so each refusal leaked one and, after max-connections refusals from a single
    address, the listener stopped accepting for everyone (seen in bench/slowloris.py: 70
    connections from one address took the public listener down)."""

    def test_refusals_past_the_global_cap_leave_other_sources_served(self):
        srv = h.Server(extra_args=["--max-connections", "16", "--max-connections-per-source", "2"])
        held = []
        try:
            for _ in range(2):
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 200"))
                held.append(s)
            refused = 0
            for _ in range(40):  # more than the global cap
                extra = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                try:
                    extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    answer = extra.recv(100)
                except (ConnectionResetError, BrokenPipeError):
                    answer = b""
                except socket.timeout:
                    answer = b"(never accepted)"
                extra.close()
                refused += answer == b""
            self.assertEqual(refused, 40, "each connection past the per-source cap is closed unanswered")
            other = socket.create_connection(("127.0.0.1", srv.port), timeout=5, source_address=("127.0.0.2", 0))
            other.settimeout(5)
            other.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            try:
                answer = other.recv(100)
            except socket.timeout:
                answer = b"(no answer within 5 s)"
            other.close()
            self.assertTrue(answer.startswith(b"HTTP/1.1 200"), answer)
        finally:
            for s in held:
                s.close()
            srv.cleanup()


class AdminSlowClientsTests(h.ApiTestCase):
    """Slow clients from one address cannot take every admin connection slot: a scrape from
    another address is still answered. The admin listener had a total cap (16) and nothing per
    source, so 16 connections trickling headers (slowloris) held every slot for the 10 s read
    limit, again and again, and /metrics went unanswered (bench/slowloris.py)."""

    def test_slowloris_from_one_address_leaves_the_scrape_served(self):
        srv = h.Server()
        held = []
        try:
            for _ in range(16):
                try:
                    s = socket.create_connection(("127.0.0.1", srv.admin_port), timeout=5)
                    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # headers that never end
                    held.append(s)
                except OSError:
                    pass
            time.sleep(0.5)
            scrape = socket.create_connection(("127.0.0.1", srv.admin_port), timeout=5,
                                              source_address=("127.0.0.2", 0))
            scrape.settimeout(5)
            scrape.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            try:
                answer = scrape.recv(100)
            except socket.timeout:
                answer = b"(no answer within 5 s)"
            scrape.close()
            self.assertTrue(answer.startswith(b"HTTP/1.1 200"), answer)
        finally:
            for s in held:
                s.close()
            srv.cleanup()


class QuotaTests(h.ApiTestCase):
    """Per-user storage quotas: documents, bytes and versions are bounded per account, the refusal
    names the quota, nothing is stored past it, and other accounts are not affected."""

    @classmethod
    def setUpClass(cls):
        cls.size = len(h.SAMPLE_PDF)
        # Eight heavy jobs of one account at once, so the concurrent uploads race on the quota
        # rather than wait for the per-account cap (AccountHeavyJobTests).
        cls.srv = h.Server(env={"TATOU_QUOTA_DOCUMENTS": "3", "TATOU_QUOTA_VERSIONS": "2", "TATOU_WORKERS": "8",
                                "TATOU_HEAVY_JOBS_PER_CLIENT": "8",
                                "TATOU_QUOTA_BYTES": str(100 * cls.size)})
        cls.small = h.Server(env={"TATOU_QUOTA_BYTES": str(cls.size + cls.size // 2)})

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        cls.small.cleanup()

    def stored_files(self, srv):
        return sum(len(files) for _, _, files in os.walk(os.path.join(srv.datadir, "storage")))

    def assert_quota(self, r, status, quota, limit, used):
        self.assert_error(r, status)
        body = r.json()
        self.assertEqual((body["quota"], body["limit"], body["used"]), (quota, limit, used), body)
        self.assertIn(quota, body["error"])

    def test_documents_quota_holds_under_concurrent_uploads(self):
        email, password, token = h.new_user(self.srv)
        tokens = [token] + [h.new_token(self.srv, email, password) for _ in range(3)]
        files_before = self.stored_files(self.srv)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = sorted(pool.map(lambda i: h.upload(self.srv, tokens[i % 4], h.SAMPLE_PDF).status_code,
                                       range(8)))
        self.assertEqual(statuses, [201] * 3 + [429] * 5)
        r = http.get(self.srv.url("/api/list-documents"), headers=h.auth(token))
        self.assertEqual(len(r.json()["documents"]), 3)
        self.assertEqual(self.stored_files(self.srv), files_before + 3, "no file may outlive a refused upload")
        self.assert_quota(h.upload(self.srv, token, h.SAMPLE_PDF), 429, "documents", 3, 3)
        # Another account has its own quota; deleting frees a slot.
        _, _, other = h.new_user(self.srv)
        h.upload_ok(self.srv, other)
        doc = r.json()["documents"][0]["id"]
        self.assertEqual(http.delete(self.srv.url(f"/api/delete-document/{doc}"), headers=h.auth(token)).status_code, 200)
        h.upload_ok(self.srv, token)

    def test_bytes_quota_is_413_naming_the_quota(self):
        _, _, token = h.new_user(self.small)
        h.upload_ok(self.small, token)
        self.assert_quota(h.upload(self.small, token, h.SAMPLE_PDF), 413, "bytes",
                          self.size + self.size // 2, self.size)

    def test_versions_quota(self):
        _, _, token = h.new_user(self.srv)
        doc = h.upload_ok(self.srv, token)["id"]
        for i in range(2):
            h.create_watermark_ok(self.srv, token, doc, intended_for=f"r{i}@example.com")
        files_before = self.stored_files(self.srv)
        self.assert_quota(h.create_watermark(self.srv, token, doc, intended_for="r3@example.com"),
                          429, "versions", 2, 2)
        self.assertEqual(self.stored_files(self.srv), files_before)
        r = http.get(self.srv.url(f"/api/list-versions/{doc}"), headers=h.auth(token))
        self.assertEqual(len(r.json()["versions"]), 2)


class StorageFloorTests(h.ApiTestCase):
    """Below TATOU_MIN_FREE_BYTES on the storage volume, uploads and new versions are refused with
    a 503 JSON and Retry-After, nothing is written, reads keep working, and the admin listener
    reports the space so TatouStorageLow fires first."""

    def test_writes_stop_at_the_floor_and_reads_go_on(self):
        srv = h.Server()
        try:
            _, _, token = h.new_user(srv)
            doc = h.upload_ok(srv, token)["id"]
            srv.env["TATOU_MIN_FREE_BYTES"] = str(1 << 59)  # more than any disk here has
            srv.restart()
            storage = os.path.join(srv.datadir, "storage")
            files_before = sum(len(f) for _, _, f in os.walk(storage))
            r = http.post(srv.url("/api/upload-document"), headers=h.auth(token), allow_5xx=True,
                          files={"file": ("a.pdf", h.SAMPLE_PDF, "application/pdf")})
            self.assert_error(r, 503, "not enough storage space; try again later")
            self.assertGreaterEqual(int(r.headers["Retry-After"]), 1)
            r = http.post(srv.url(f"/api/create-watermark/{doc}"), headers=h.auth(token), allow_5xx=True,
                          json={"method": "toy-eof", "intended_for": "a@example.com", "secret": "s", "key": "k"})
            self.assert_error(r, 503, "not enough storage space; try again later")
            self.assertEqual(sum(len(f) for _, _, f in os.walk(storage)), files_before)
            self.assertEqual(http.get(srv.url(f"/api/get-document/{doc}"), headers=h.auth(token)).status_code, 200)
            text = http.get(f"http://127.0.0.1:{srv.admin_port}/metrics").text
            self.assertEqual(counter(text, "tatou_storage_min_free_bytes"), float(1 << 59))
            self.assertGreater(counter(text, "tatou_storage_available_bytes"), 0)
        finally:
            srv.cleanup()
