"""Attacks on RMAP by someone who holds only the server's public key (issue 20 class 2, issue 14
authentication 6): decrypt amplification (many key packets, nested layers, hidden recipients),
floods from a few sources while a normal login is served, cancelling a partner's pending
handshake, and per-source / per-identity rate limits. Outcomes are asserted (status, served),
never timings; login latency under the flood is printed for bench/RESULTS.md."""

import http.client as httpclient
import json
import os
import secrets
import threading
import time

import harness as h
import rmap_hostile as hostile
import rmap_pgpy as pg
from harness import http

INITIATE = "/api/rmap-initiate"
GET_LINK = "/api/rmap-get-link"
BAD_MESSAGE = "Invalid RMAP message format or content"

KEYS = {}
SHARED = None  # a server whose key, identities and document the others reuse
SERVER_PUB = None


def rmap_dir(srv):
    return os.path.join(srv.datadir, "rmap")


def setUpModule():
    global SHARED, SERVER_PUB
    KEYS["Group_A"] = pg.new_curve25519_key("Group_A")
    KEYS["Group_B"] = pg.new_curve25519_key("Group_B")
    SHARED = h.Server(start=False)
    clients = os.path.join(rmap_dir(SHARED), "clients")
    os.makedirs(clients, exist_ok=True)
    for name, key in KEYS.items():
        with open(os.path.join(clients, f"{name}.asc"), "w") as f:
            f.write(str(key.pubkey))
    with open(os.path.join(rmap_dir(SHARED), "document.pdf"), "wb") as f:
        f.write(h.make_pdf(pages=1, text="RMAP abuse document"))
    SHARED.start()
    deadline = time.monotonic() + 60
    while http.post(SHARED.url(INITIATE), json={"payload": "x" * 20}, allow_5xx=True).status_code == 503:
        if time.monotonic() > deadline:
            raise AssertionError("RMAP still 503 after the key generation timeout")
        time.sleep(0.2)
    SERVER_PUB = pg.load_key(os.path.join(rmap_dir(SHARED), "server_pub.asc"))


def tearDownModule():
    if SHARED is not None:
        SHARED.cleanup()


def server(extra=None):
    """A fresh server on SHARED's key, identities and document (its own database and limits)."""
    env = {
        "TATOU_RMAP_SERVER_KEY": os.path.join(rmap_dir(SHARED), "server_priv.asc"),
        "TATOU_RMAP_CLIENT_KEYS": os.path.join(rmap_dir(SHARED), "clients"),
        "TATOU_RMAP_DOCUMENT": os.path.join(rmap_dir(SHARED), "document.pdf"),
    }
    env.update(extra or {})
    return h.Server(env=env)


def post_from(srv, source, path, body, timeout=30):
    """POST from another loopback address (127.0.0.x): one source as the server sees it."""
    data = json.dumps(body).encode()
    conn = httpclient.HTTPConnection("127.0.0.1", srv.port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        raw = r.read()
        ctype = r.getheader("Content-Type", "")
        return r.status, (json.loads(raw) if ctype.startswith("application/json") and raw else None), r
    finally:
        conn.close()


def msg1(identity, nonce=None):
    return {"identity": identity, "nonceClient": secrets.randbits(64) if nonce is None else nonce}


def send(srv, path, binary):
    return http.post(srv.url(path), json={"payload": hostile.payload(binary)})


class Partner:
    """A legitimate partner: PGPy encrypts to the server key and decrypts the replies."""

    def __init__(self, srv, identity, source="127.0.0.1"):
        self.srv, self.identity, self.source = srv, identity, source

    def post(self, path, obj):
        return post_from(self.srv, self.source, path, {"payload": pg.f4(pg.encrypt(obj, SERVER_PUB))})

    def msg1(self, test):
        nc = secrets.randbits(64)
        status, body, _ = self.post(INITIATE, msg1(self.identity, nc))
        test.assertEqual(status, 200, body)
        resp1, _ = pg.decode_reply(body, KEYS[self.identity])
        test.assertEqual(resp1["nonceClient"], nc)
        return nc, resp1["nonceServer"]

    def msg2(self, test, ns):
        status, body, _ = self.post(GET_LINK, {"nonceServer": ns})
        test.assertEqual(status, 200, body)
        resp2, _ = pg.decode_reply(body, KEYS[self.identity])
        return resp2["result"]


class AmplificationTests(h.ApiTestCase):
    """Messages no legitimate RMAP client sends are refused before any private-key operation."""

    def test_many_key_packets_for_the_server_key_are_refused(self):
        # 40 key packets, the last one right: a decryptor that tries each does 40 RSA operations.
        r = send(SHARED, INITIATE, hostile.many_key_packets(msg1("Group_A"), SERVER_PUB, 40))
        self.assert_error(r, 400, BAD_MESSAGE)
        r = send(SHARED, GET_LINK, hostile.many_key_packets({"nonceServer": 1}, SERVER_PUB, 40))
        self.assert_error(r, 400, BAD_MESSAGE)

    def test_nested_layers_are_refused(self):
        # Each layer is encrypted to the server key: one private-key operation per layer.
        for depth in (2, 20):
            with self.subTest(depth=depth):
                r = send(SHARED, INITIATE, hostile.nested(msg1("Group_A"), SERVER_PUB, depth))
                self.assert_error(r, 400, BAD_MESSAGE)

    def test_hidden_recipient_is_refused(self):
        r = send(SHARED, INITIATE, hostile.hidden_recipient(msg1("Group_A"), SERVER_PUB))
        self.assert_error(r, 400, BAD_MESSAGE)

    def test_a_single_key_packet_message_still_works(self):
        # The hand-built shape of a legitimate message (one PKESK, one SEIPD) is accepted.
        r = send(SHARED, INITIATE, hostile.many_key_packets(msg1("Group_B"), SERVER_PUB, 1))
        self.assertEqual(r.status_code, 200, h.describe(r))
        resp1, _ = pg.decode_reply(r.json(), KEYS["Group_B"])
        self.assertIn("nonceServer", resp1)

    def test_private_key_operations_are_counted_one_per_accepted_message(self):
        before = metric(SHARED, "tatou_rmap_private_key_operations_total")
        for _ in range(3):
            send(SHARED, INITIATE, hostile.many_key_packets(msg1("Group_A"), SERVER_PUB, 30))
            send(SHARED, INITIATE, hostile.nested(msg1("Group_A"), SERVER_PUB, 10))
        # Refused shapes cost nothing; a nested message costs its outer layer only.
        self.assertLessEqual(metric(SHARED, "tatou_rmap_private_key_operations_total") - before, 3)


def metric(srv, name):
    text = http.get(f"http://127.0.0.1:{srv.admin_port}/metrics").text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not exported")


class FloodTests(h.ApiTestCase):
    def test_rmap_flood_from_a_few_sources_does_not_stop_a_login(self):
        srv = server({"TATOU_RMAP_MAX_PER_SOURCE": "10", "TATOU_RMAP_WINDOW": "60"})
        try:
            email, password, _ = h.new_user(srv)
            # One hostile body reused: 40 key packets for the server key, ~16 KiB of payload.
            body = {"payload": hostile.payload(hostile.many_key_packets(msg1("Group_A"), SERVER_PUB, 40))}
            stop = threading.Event()
            statuses = {f"127.0.0.{i}": [] for i in range(2, 6)}

            def flood(source):
                for _ in range(60):  # bounded: at most 60 requests per source
                    if stop.is_set():
                        return
                    statuses[source].append(post_from(srv, source, INITIATE, body)[0])

            threads = [threading.Thread(target=flood, args=(s,)) for s in statuses]
            for t in threads:
                t.start()
            latencies = []
            try:
                time.sleep(0.5)  # the flood is under way
                for _ in range(5):
                    started = time.monotonic()
                    r = h.login(srv, email, password)
                    latencies.append(time.monotonic() - started)
                    self.assertEqual(r.status_code, 200, h.describe(r))
            finally:
                stop.set()
                for t in threads:
                    t.join(timeout=120)
            for source, seen in statuses.items():
                with self.subTest(source=source):
                    self.assertTrue(seen)
                    # Hostile shape: 400 before any decryption; past the source's budget: 429.
                    self.assertTrue(set(seen) <= {400, 429}, seen)
                    self.assertLessEqual(seen.count(400), 10, seen)
                    if len(seen) > 12:
                        self.assertIn(429, seen)
            print(f"\n[bench] login under RMAP flood (4 sources): "
                  f"median {sorted(latencies)[2] * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms; "
                  f"hostile answers {sum(len(s) for s in statuses.values())}")
        finally:
            srv.cleanup()

    def test_429_is_json_with_retry_after_on_both_routes(self):
        srv = server({"TATOU_RMAP_MAX_PER_SOURCE": "2"})
        try:
            for path in (INITIATE, GET_LINK):
                with self.subTest(path=path):
                    seen = []
                    for _ in range(3):
                        status, body, resp = post_from(srv, "127.0.0.7" if path == INITIATE else "127.0.0.8",
                                                       path, {"payload": "A" * 40})
                        seen.append(status)
                    self.assertEqual(seen, [400, 400, 429])
                    self.assertIsInstance(body.get("error"), str)
                    self.assertGreaterEqual(int(resp.getheader("Retry-After")), 1)
            # Another source is not affected.
            status, _, _ = post_from(srv, "127.0.0.9", INITIATE, {"payload": "A" * 40})
            self.assertEqual(status, 400)
        finally:
            srv.cleanup()


class PendingSessionTests(h.ApiTestCase):
    """Issue 14 auth 6: message 1 for someone else's identity cannot cancel their handshake."""

    def test_attacker_msg1_does_not_cancel_the_partners_pending_session(self):
        srv = server()
        try:
            partner = Partner(srv, "Group_A", "127.0.0.2")
            nc, ns = partner.msg1(self)
            for i in range(3):  # the attacker cannot read the replies, but can send message 1
                status, _, _ = post_from(srv, f"127.0.0.{10 + i}", INITIATE,
                                         {"payload": pg.f4(pg.encrypt(msg1("Group_A"), SERVER_PUB))})
                self.assertEqual(status, 200)
            self.assertEqual(partner.msg2(self, ns), f"{nc:016x}{ns:016x}")
        finally:
            srv.cleanup()

    def test_pending_sessions_per_identity_are_bounded_and_expire(self):
        ttl = 5  # long enough that a loaded machine makes the first three before the first expires
        srv = server({"TATOU_RMAP_MAX_PENDING": "3", "TATOU_RMAP_SESSION_TTL": str(ttl)})
        try:
            partner = Partner(srv, "Group_B", "127.0.0.3")
            started = time.monotonic()
            pending = [partner.msg1(self) for _ in range(3)]
            status, body, resp = partner.post(INITIATE, msg1("Group_B"))
            self.assertEqual(status, 429, body)
            self.assertIsInstance(body.get("error"), str)
            self.assertGreaterEqual(int(resp.getheader("Retry-After")), 1)
            # A completed handshake frees its slot at once; an expired one when it expires.
            nc, ns = pending[0]
            self.assertEqual(partner.msg2(self, ns), f"{nc:016x}{ns:016x}")
            partner.msg1(self)
            # Full again (pending[1], pending[2] and the new one); once pending[1] has expired
            # there is a slot.
            self.assertEqual(partner.post(INITIATE, msg1("Group_B"))[0], 429)
            time.sleep(max(0.0, started + ttl + 0.5 - time.monotonic()))
            partner.msg1(self)
            # Other identities are not affected by Group_B's full table.
            Partner(srv, "Group_A", "127.0.0.4").msg1(self)
        finally:
            srv.cleanup()

    def test_message_1_is_rate_limited_per_identity(self):
        srv = server({"TATOU_RMAP_MAX_PER_IDENTITY": "3", "TATOU_RMAP_MAX_PENDING": "100"})
        try:
            seen = []
            for i in range(5):  # five different sources, one identity
                seen.append(Partner(srv, "Group_A", f"127.0.0.{20 + i}").post(INITIATE, msg1("Group_A"))[0])
            self.assertEqual(seen, [200, 200, 200, 429, 429])
            status, _, _ = Partner(srv, "Group_B", "127.0.0.30").post(INITIATE, msg1("Group_B"))
            self.assertEqual(status, 200)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    import unittest
    unittest.main()
