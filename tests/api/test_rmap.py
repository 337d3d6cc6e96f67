"""RMAP: the two-message OpenPGP handshake (platform.md §7, compat-contract.md §4), driven by a
PGPy client against the real server, whose OpenPGP side is librnp.

One server (MAIN) generates its RSA-3072 key on first start; the other servers reuse its key
files through the TATOU_RMAP_* settings, so the suite pays for one RSA-3072 generation."""

import hashlib
import json
import os
import secrets
import signal
import re
import sqlite3
import stat
import subprocess
import tempfile
import time
import unittest

import harness as h
import rmap_pgpy as pg
from harness import http

INITIATE = "/api/rmap-initiate"
GET_LINK = "/api/rmap-get-link"
BAD_MESSAGE = "Invalid RMAP message format or content"
DOCUMENT = h.make_pdf(pages=2, text="RMAP shared document")

KEYS = {}  # identity -> PGPy private key
MAIN = None  # the server that generated its own key
SERVER_PUB = None  # PGPy public key of MAIN


def rmap_dir(srv):
    return os.path.join(srv.datadir, "rmap")


def write_identity(directory, name, key):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, f"{name}.asc"), "w") as f:
        f.write(str(key.pubkey))


def wait_until_configured(srv, timeout=60):
    """The key is generated in the background: 503 until it is ready."""
    deadline = time.monotonic() + timeout
    while True:
        r = http.post(srv.url(INITIATE), json={"payload": "x" * 20}, allow_5xx=True)
        if r.status_code != 503:
            return r
        if time.monotonic() > deadline:
            raise AssertionError("RMAP still 503 after the key generation timeout")
        time.sleep(0.2)


def setUpModule():
    global MAIN, SERVER_PUB
    KEYS["Group_A"] = pg.new_rsa_key("Group_A")
    KEYS["Group_B"] = pg.new_curve25519_key("Group_B")
    KEYS["Late"] = pg.new_rsa_key("Late")
    MAIN = h.Server(start=False)
    clients = os.path.join(rmap_dir(MAIN), "clients")
    for name in ("Group_A", "Group_B"):
        write_identity(clients, name, KEYS[name])
    with open(os.path.join(clients, "Broken.asc"), "w") as f:
        f.write("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n")
    with open(os.path.join(rmap_dir(MAIN), "document.pdf"), "wb") as f:
        f.write(DOCUMENT)
    MAIN.start()
    wait_until_configured(MAIN)
    SERVER_PUB = pg.load_key(os.path.join(rmap_dir(MAIN), "server_pub.asc"))


def tearDownModule():
    if MAIN is not None:
        MAIN.cleanup()


def shared_key_env(extra=None):
    """Settings pointing another server at MAIN's key, identities and document."""
    env = {
        "TATOU_RMAP_SERVER_KEY": os.path.join(rmap_dir(MAIN), "server_priv.asc"),
        "TATOU_RMAP_CLIENT_KEYS": os.path.join(rmap_dir(MAIN), "clients"),
        "TATOU_RMAP_DOCUMENT": os.path.join(rmap_dir(MAIN), "document.pdf"),
    }
    env.update(extra or {})
    return env


class Client:
    """One partner: PGPy encrypts to the server key and decrypts the replies."""

    def __init__(self, srv, identity, server_pub=None, passphrase=None):
        self.srv, self.identity = srv, identity
        self.key = KEYS[identity]
        self.server_pub = server_pub or SERVER_PUB
        self.passphrase = passphrase

    def post(self, path, obj, encoding="F4"):
        payload = pg.ENCODINGS[encoding](pg.encrypt(obj, self.server_pub))
        return http.post(self.srv.url(path), json={"payload": payload})

    def decode(self, resp, test):
        test.assertEqual(resp.status_code, 200, h.describe(resp))
        body = resp.json()
        obj, msg = pg.decode_reply(body, self.key, self.passphrase)
        # The PKESK names our key: recipients are never hidden.
        test.assertTrue(pg.recipient_key_ids(msg) & pg.key_ids(self.key), pg.recipient_key_ids(msg))
        return body, obj

    def msg1(self, test, nonce_client=None, encoding="F4"):
        nonce_client = secrets.randbits(64) if nonce_client is None else nonce_client
        resp = self.post(INITIATE, {"identity": self.identity, "nonceClient": nonce_client}, encoding)
        _, resp1 = self.decode(resp, test)
        test.assertEqual(resp1["nonceClient"], nonce_client)
        test.assertIsInstance(resp1["nonceServer"], int)
        test.assertFalse(isinstance(resp1["nonceServer"], bool))
        test.assertTrue(0 <= resp1["nonceServer"] < 2**64)
        return nonce_client, resp1["nonceServer"]

    def msg2(self, test, nonce_server, encoding="F4"):
        started = time.monotonic()
        resp = self.post(GET_LINK, {"nonceServer": nonce_server}, encoding)
        test.assertLess(time.monotonic() - started, 5, "rmap-get-link must fit the clients' 5 s timeout")
        body, resp2 = self.decode(resp, test)
        test.assertEqual(set(resp2), {"result"})
        return body, resp2["result"]

    def handshake(self, test, encoding="F4", nonce_client=None):
        nc, ns = self.msg1(test, nonce_client, encoding)
        _, result = self.msg2(test, ns, encoding)
        test.assertEqual(result, f"{nc:016x}{ns:016x}")
        return result


def download(test, srv, result):
    r = http.get(srv.url(f"/api/get-version/{result}"))
    test.assertEqual(r.status_code, 200, h.describe(r))
    test.assertIn("application/pdf", r.headers["Content-Type"])
    test.assertTrue(r.content.startswith(b"%PDF"))
    return r.content


def versions_with_link(srv, link):
    """(intended_for, secret, method) rows for a link, read straight from the run's database."""
    if h.BACKEND == "sqlite":
        with sqlite3.connect(f"file:{os.path.join(srv.datadir, 'tatou.db')}?mode=ro", uri=True) as db:
            return db.execute("SELECT intended_for, secret, method FROM versions WHERE link = ?",
                              (link,)).fetchall()
    assert re.fullmatch(r"[0-9a-f]{32,64}", link), link  # interpolated below: hex only
    database = srv.env["TATOU_DB"].rsplit("/", 1)[1].split("?")[0]
    out = h.DB.admin_sql(f"SELECT intended_for, secret, method FROM versions WHERE link = '{link}'",
                         database=database)
    sep = "\t" if h.BACKEND == "mariadb" else "|"
    return [tuple(line.split(sep)) for line in out.splitlines() if line.strip()]


class HandshakeTests(h.ApiTestCase):
    def test_first_start_generated_an_rsa3072_key_pair(self):
        priv = os.path.join(rmap_dir(MAIN), "server_priv.asc")
        self.assertEqual(stat.S_IMODE(os.stat(priv).st_mode), 0o600)
        key = pg.load_key(priv)
        self.assertFalse(key.is_public)
        self.assertEqual(key.key_size, 3072)
        self.assertEqual(SERVER_PUB.fingerprint, key.fingerprint)
        self.assertTrue(SERVER_PUB.is_public)
        # Nothing secret in what partners receive.
        with open(os.path.join(rmap_dir(MAIN), "server_pub.asc")) as f:
            self.assertNotIn("PRIVATE", f.read())

    def test_pgpy_client_completes_the_handshake_and_downloads_its_pdf(self):
        client = Client(MAIN, "Group_A")
        result = client.handshake(self)
        pdf = download(self, MAIN, result)
        self.assertNotEqual(pdf, DOCUMENT)
        rows = versions_with_link(MAIN, result)
        self.assertEqual(len(rows), 1)
        intended_for, secret, method = rows[0]
        self.assertEqual(intended_for, "Group_A")
        self.assertTrue(secret.startswith("rmap:Group_A:"), secret)
        self.assertTrue(method)

    def test_an_rmap_version_has_an_issuance_receipt_and_a_replay_adds_none(self):
        receipts = os.path.join(MAIN.datadir, "log", "receipts.jsonl")

        def leaves():
            with open(receipts, "rb") as f:
                return [json.loads(json.loads(line)["leaf"]) for line in f.read().splitlines()
                        if b'"leaf"' in line[:10]]

        client = Client(MAIN, "Group_A")
        nc, ns = client.msg1(self)
        _, result = client.msg2(self, ns)
        pdf = download(self, MAIN, result)
        mine = [leaf for leaf in leaves() if leaf["copy_sha256"] == hashlib.sha256(pdf).hexdigest()]
        self.assertEqual(len(mine), 1, "the copy handed out has exactly one receipt")
        self.assertEqual(mine[0]["document_sha256"], hashlib.sha256(DOCUMENT).hexdigest())
        before = len(leaves())
        _, again = client.msg2(self, ns)  # replayed: same answer, no new version, no new receipt
        self.assertEqual(again, result)
        self.assertEqual(len(leaves()), before)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TATOU_")}
        proof = subprocess.run([h.TATOU_BIN, "audit", "prove", "--data-dir", MAIN.datadir,
                                "--version", str(mine[0]["version_id"])],
                               capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(proof.returncode, 0, proof.stderr)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write(proof.stdout)
        try:
            check = subprocess.run([h.TATOU_BIN, "audit", "verify-proof", f.name, "--key",
                                    os.path.join(MAIN.datadir, "log", "audit-verify.key"), "--json"],
                                   capture_output=True, text=True, timeout=60, env=env)
        finally:
            os.unlink(f.name)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertEqual(json.loads(check.stdout)["details"]["version_id"], mine[0]["version_id"])

    def test_every_payload_encoding_is_accepted_on_both_messages(self):
        client = Client(MAIN, "Group_A")
        for encoding in pg.ENCODINGS:
            with self.subTest(encoding=encoding):
                download(self, MAIN, client.handshake(self, encoding=encoding))

    def test_curve25519_identity(self):
        download(self, MAIN, Client(MAIN, "Group_B").handshake(self))

    def test_nonces_keep_all_64_bits(self):
        client = Client(MAIN, "Group_A")
        for nc in (0, 2**53 + 1, 2**63 + 1, 2**64 - 1):
            with self.subTest(nonce_client=nc):
                result = client.handshake(self, nonce_client=nc)
                self.assertTrue(result.startswith(f"{nc:016x}"))

    def test_replayed_msg2_returns_the_same_result_and_creates_nothing(self):
        client = Client(MAIN, "Group_A")
        nc, ns = client.msg1(self)
        _, first = client.msg2(self, ns)
        pdf = download(self, MAIN, first)
        for _ in range(2):
            body, again = client.msg2(self, ns)
            self.assertEqual(again, first)
            self.assertNotIn("result", body)  # plaintext result is off by default
        self.assertEqual(len(versions_with_link(MAIN, first)), 1)
        self.assertEqual(download(self, MAIN, first), pdf)

    def test_new_msg1_keeps_the_pending_session(self):
        # Pending sessions are never replaced (anyone with the public key could cancel them);
        # both complete (test_rmap_abuse has the attack and the bound).
        client = Client(MAIN, "Group_A")
        old_nc, old_ns = client.msg1(self)
        nc, ns = client.msg1(self)
        _, result = client.msg2(self, ns)
        self.assertEqual(result, f"{nc:016x}{ns:016x}")
        _, old_result = client.msg2(self, old_ns)
        self.assertEqual(old_result, f"{old_nc:016x}{old_ns:016x}")

    def test_two_identities_interleaved(self):
        a, b = Client(MAIN, "Group_A"), Client(MAIN, "Group_B")
        nca, nsa = a.msg1(self)
        ncb, nsb = b.msg1(self)
        _, rb = b.msg2(self, nsb)
        _, ra = a.msg2(self, nsa)
        self.assertEqual(ra, f"{nca:016x}{nsa:016x}")
        self.assertEqual(rb, f"{ncb:016x}{nsb:016x}")
        self.assertEqual(versions_with_link(MAIN, ra)[0][0], "Group_A")
        self.assertEqual(versions_with_link(MAIN, rb)[0][0], "Group_B")
        self.assertNotEqual(download(self, MAIN, ra), download(self, MAIN, rb))
        # Each resp2 is readable by its own identity only.
        resp = a.post(GET_LINK, {"nonceServer": nsa})
        with self.assertRaises(Exception):
            pg.decode_reply(resp.json(), KEYS["Group_B"])

    def test_restart_between_msg1_and_msg2(self):
        client = Client(MAIN, "Group_B")
        nc, ns = client.msg1(self)
        MAIN.restart()
        _, result = client.msg2(self, ns)
        self.assertEqual(result, f"{nc:016x}{ns:016x}")
        download(self, MAIN, result)

    def test_rmap_versions_are_in_no_user_listing(self):
        Client(MAIN, "Group_A").handshake(self)
        _, _, token = h.new_user(MAIN)
        self.assertEqual(http.get(MAIN.url("/api/list-documents"), headers=h.auth(token)).json(),
                         {"documents": []})
        self.assertEqual(http.get(MAIN.url("/api/list-all-versions"), headers=h.auth(token)).json(),
                         {"versions": []})
        # The owning system account cannot log in.
        r = h.login(MAIN, "rmap-system@tatou.invalid", h.PASSWORD)
        self.assertIn(r.status_code, (400, 401))


class RefusalTests(h.ApiTestCase):
    def test_unknown_identity_is_403(self):
        client = Client(MAIN, "Group_A")
        for name in ("Nobody", "Broken", "group_a", "../Group_A"):
            with self.subTest(identity=name):
                r = client.post(INITIATE, {"identity": name, "nonceClient": 1})
                self.assert_error(r, 403, "Unknown identity")
                self.assertNotIn("payload", r.json())

    def test_envelope_errors(self):
        cases = [
            (b"-15681", "Invalid JSON payload. Expected a JSON object"),
            (b"[]", "Invalid JSON payload. Expected a JSON object"),
            (b"null", "Invalid JSON payload. Expected a JSON object"),
            (b"\"text\"", "Invalid JSON payload. Expected a JSON object"),
            (b"{not json", "Invalid JSON payload. Expected a JSON object"),
            (b"", "Invalid JSON payload. Expected a JSON object"),
            (b"{}", "payload field is required"),
            (b'{"payload": null}', "payload field is required"),
            (b'{"payload": false}', "must be a string"),
            (b'{"payload": 12345678901}', "must be a string"),
            (b'{"payload": ["a"]}', "must be a string"),
            (b'{"payload": {"a": 1}}', "must be a string"),
            (b'{"payload": "short"}', "must be a string"),
            (b'{"payload": "' + b"A" * 40000 + b'"}', "too long"),
            (b'{"payload": "ABC@RMAP_SECRET_BASE64_PLACEHOLDER"}', BAD_MESSAGE),
            (b'{"payload": "' + b"A" * 200 + b'"}', BAD_MESSAGE),
            (b'{"payload": "aGVsbG8gd29ybGQsIHBsYWluIHRleHQ="}', BAD_MESSAGE),
            (b'{"payload": "' + b"\\u00ff" * 20 + b'"}', BAD_MESSAGE),
        ]
        for path in (INITIATE, GET_LINK):
            for raw, expected in cases:
                with self.subTest(path=path, body=raw[:40]):
                    r = http.post(MAIN.url(path), data=raw, headers={"Content-Type": "application/json"})
                    body = self.assert_error(r, 400)
                    self.assertIn(expected, body["error"])

    def test_undecryptable_payloads(self):
        other = pg.new_rsa_key("Other")
        for_other = pg.encrypt({"identity": "Group_A", "nonceClient": 1}, other.pubkey)
        unencrypted = pg.pgpy.PGPMessage.new(json.dumps({"identity": "Group_A", "nonceClient": 1}))
        sym = pg.pgpy.PGPMessage.new("{}").encrypt("password")
        for name, msg in (("other key", for_other), ("not encrypted", unencrypted), ("password", sym)):
            for path in (INITIATE, GET_LINK):
                with self.subTest(case=name, path=path):
                    r = http.post(MAIN.url(path), json={"payload": pg.f4(msg)})
                    self.assert_error(r, 400, BAD_MESSAGE)

    def test_wrong_plaintext_shapes(self):
        client = Client(MAIN, "Group_A")
        shapes = [
            {"identity": "Group_A"},
            {"nonceClient": 1},
            {"identity": "Group_A", "nonceClient": 1.0},
            {"identity": "Group_A", "nonceClient": 1.5},
            {"identity": "Group_A", "nonceClient": 2**64},
            {"identity": "Group_A", "nonceClient": 2**70},
            {"identity": "Group_A", "nonceClient": -1},
            {"identity": "Group_A", "nonceClient": True},
            {"identity": "Group_A", "nonceClient": "5"},
            {"identity": "Group_A", "nonceClient": None},
            {"identity": 5, "nonceClient": 1},
            {"identity": "", "nonceClient": 1},
        ]
        for shape in shapes:
            with self.subTest(msg1=shape):
                self.assert_error(client.post(INITIATE, shape), 400, BAD_MESSAGE)
        for value in (1.0, 2**64, -5, False, "1", None):
            with self.subTest(msg2=value):
                self.assert_error(client.post(GET_LINK, {"nonceServer": value}), 400, BAD_MESSAGE)
        self.assert_error(client.post(GET_LINK, {"nonceClient": 1}), 400, BAD_MESSAGE)
        for text in ("[1, 2]", "not json", "\"str\""):
            with self.subTest(plaintext=text):
                msg = SERVER_PUB.encrypt(pg.pgpy.PGPMessage.new(text))
                self.assert_error(http.post(MAIN.url(INITIATE), json={"payload": pg.f4(msg)}), 400,
                                  BAD_MESSAGE)

    def test_unknown_nonce_server_is_4xx(self):
        client = Client(MAIN, "Group_A")
        _, ns = client.msg1(self)
        self.assert_error(client.post(GET_LINK, {"nonceServer": (ns + 1) % 2**64}), 400)
        self.assert_error(client.post(GET_LINK, {"nonceServer": 0}), 400)

    def test_other_methods_are_405(self):
        for path in (INITIATE, GET_LINK):
            self.assert_error(http.get(MAIN.url(path)), 405)

    def test_client_supplied_method_is_ignored(self):
        client = Client(MAIN, "Group_A")
        nc, ns = client.msg1(self)
        payload = pg.f4(pg.encrypt({"nonceServer": ns}, SERVER_PUB))
        r = http.post(MAIN.url(GET_LINK), json={"payload": payload, "method": "bash-bridge-eof"})
        _, resp2 = client.decode(r, self)
        rows = versions_with_link(MAIN, resp2["result"])
        self.assertNotEqual(rows[0][2], "bash-bridge-eof")


class OperatorTests(h.ApiTestCase):
    def test_sighup_reloads_identities(self):
        late = Client(MAIN, "Late")
        self.assert_error(late.post(INITIATE, {"identity": "Late", "nonceClient": 1}), 403)
        write_identity(os.path.join(rmap_dir(MAIN), "clients"), "Late", KEYS["Late"])
        try:
            MAIN.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            while late.post(INITIATE, {"identity": "Late", "nonceClient": 1}).status_code == 403:
                self.assertLess(time.monotonic(), deadline, "SIGHUP did not load the new identity")
                time.sleep(0.1)
            download(self, MAIN, late.handshake(self))
            self.assertTrue(MAIN.alive())
        finally:
            os.remove(os.path.join(rmap_dir(MAIN), "clients", "Late.asc"))
            reloads = MAIN.stderr_tail(10 ** 6).count("rmap: reloaded")
            MAIN.proc.send_signal(signal.SIGHUP)
            # The next tests start once this reload is done.
            deadline = time.monotonic() + 20
            while MAIN.stderr_tail(10 ** 6).count("rmap: reloaded") == reloads and time.monotonic() < deadline:
                time.sleep(0.05)
        self.assertIn("Broken.asc", MAIN.stderr_tail(20000))

    def test_cli_identities_lists_fingerprints_and_skipped_files(self):
        r = subprocess.run([h.TATOU_BIN, "rmap", "identities", "--json", "--dir",
                            os.path.join(rmap_dir(MAIN), "clients")],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1, r.stderr)  # Broken.asc is a problem
        out = json.loads(r.stdout)
        listed = {i["identity"]: i["fingerprint"] for i in out["identities"]}
        for name in ("Group_A", "Group_B"):
            self.assertEqual(listed[name].upper(), str(KEYS[name].fingerprint).replace(" ", "").upper())
        self.assertTrue(any("Broken.asc" in p for p in out["problems"]))

    def test_cli_client_runs_the_handshake(self):
        with tempfile.TemporaryDirectory() as tmp:
            key_file = os.path.join(tmp, "group_a.asc")
            with open(key_file, "w") as f:
                f.write(str(KEYS["Group_A"]))  # PGPy's secret key, read by librnp
            out_pdf = os.path.join(tmp, "out.pdf")
            r = subprocess.run([h.TATOU_BIN, "rmap", "client", "--json", "--url", MAIN.base,
                                "--identity", "Group_A", "--key", key_file,
                                "--server-pub", os.path.join(rmap_dir(MAIN), "server_pub.asc"),
                                "--fetch", out_pdf], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            out = json.loads(r.stdout)
            self.assertTrue(out["matches"])
            self.assertEqual(len(out["result"]), 32)
            with open(out_pdf, "rb") as f:
                self.assertEqual(f.read(), download(self, MAIN, out["result"]))
            r = subprocess.run([h.TATOU_BIN, "rmap", "client", "--json", "--url", MAIN.base,
                                "--identity", "Nobody", "--key", key_file,
                                "--server-pub", os.path.join(rmap_dir(MAIN), "server_pub.asc")],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 3)
            self.assertIn("403", json.loads(r.stdout)["error"])


class ConfigurationTests(h.ApiTestCase):
    def test_not_configured_is_503_json_and_generates_nothing(self):
        srv = h.Server()
        try:
            for path in (INITIATE, GET_LINK):
                with self.subTest(path=path):
                    for body in ({"payload": "x" * 20}, {}):
                        r = http.post(srv.url(path), json=body, allow_5xx=True)
                        self.assert_error(r, 503, "RMAP not configured")
            self.assertFalse(os.path.exists(rmap_dir(srv)))
        finally:
            srv.cleanup()

    def test_missing_document_is_503(self):
        srv = h.Server(env=shared_key_env({"TATOU_RMAP_DOCUMENT": "/nonexistent/doc.pdf"}))
        try:
            for path, obj in ((INITIATE, {"identity": "Group_A", "nonceClient": 1}), (GET_LINK, {"nonceServer": 1})):
                with self.subTest(path=path):
                    payload = pg.f4(pg.encrypt(obj, SERVER_PUB))
                    r = http.post(srv.url(path), json={"payload": payload}, allow_5xx=True)
                    self.assert_error(r, 503, "RMAP not configured")
        finally:
            srv.cleanup()

    def test_expired_session_and_plaintext_result_option(self):
        srv = h.Server(env=shared_key_env({"TATOU_RMAP_SESSION_TTL": "2",
                                           "TATOU_RMAP_PLAINTEXT_RESULT": "1"}))
        try:
            client = Client(srv, "Group_A")
            nc, ns = client.msg1(self)
            body, result = client.msg2(self, ns)
            self.assertEqual(body["result"], result)  # the documented option for 2.x clients
            _, stale_ns = client.msg1(self)
            time.sleep(2.5)
            self.assert_error(client.post(GET_LINK, {"nonceServer": stale_ns}), 410)
            self.assert_error(client.post(GET_LINK, {"nonceServer": ns}), 410)
            download(self, srv, result)  # the version itself stays
        finally:
            srv.cleanup()

    def test_passphrase_protected_server_key(self):
        with tempfile.TemporaryDirectory() as tmp:
            priv = os.path.join(tmp, "keys", "server_priv.asc")
            env = dict(os.environ, TATOU_RMAP_PASSPHRASE="correct horse battery")
            r = subprocess.run([h.TATOU_BIN, "rmap", "keygen", "--json", "--bits", "2048", "--out", priv],
                               capture_output=True, text=True, timeout=60, env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(json.loads(r.stdout)["protected"])
            key = pg.load_key(priv)
            self.assertTrue(key.is_protected)
            pub = pg.load_key(os.path.join(tmp, "keys", "server_pub.asc"))

            srv = h.Server(env=shared_key_env({"TATOU_RMAP_SERVER_KEY": priv,
                                               "TATOU_RMAP_PASSPHRASE": "correct horse battery"}))
            try:
                download(self, srv, Client(srv, "Group_B", server_pub=pub).handshake(self))
            finally:
                srv.cleanup()

            for wrong in ("wrong", None):
                with self.subTest(passphrase=wrong):
                    extra = {"TATOU_RMAP_SERVER_KEY": priv}
                    if wrong:
                        extra["TATOU_RMAP_PASSPHRASE"] = wrong
                    srv = h.Server(env=shared_key_env(extra), start=False)
                    try:
                        with self.assertRaises(h.ServerError):
                            srv.start()
                        proc, srv.proc = srv.proc, None
                        self.assertEqual(proc.returncode, 2)  # an unreadable key refuses to start
                        err = srv.stderr_tail()
                        self.assertIn("TATOU_RMAP_SERVER_KEY", err)
                        self.assertNotIn("correct horse", err)
                    finally:
                        srv.cleanup()


if __name__ == "__main__":
    unittest.main()
