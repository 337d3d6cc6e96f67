"""Shared harness for the Tatou black-box HTTP tests.

Starts the real `tatou serve` binary on free loopback ports with a private data
dir, and offers small HTTP helpers. Every request made through `http` (or the
helpers below) uses a 10 s timeout and is recorded in RESPONSES so that the
runner can assert, at the end, that no request in the whole suite got a 5xx.
"""

import http.client as httpclient
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import requests
import unittest

TATOU_BIN = os.environ.get("TATOU_BIN", "/work/main/build/src/tatou")
# Which database every Server uses: sqlite (a file in its data dir), mariadb or postgresql (a
# fresh database per Server on the run's throwaway server, see run_tests.py).
BACKEND = os.environ.get("TATOU_TEST_DB", "sqlite")
# The running tests/db/servers.py server when BACKEND is not sqlite (set by run_tests.py).
DB = None
TIMEOUT = 10
# Unique per run, so the canary check can look for it in every log file.
PASSWORD = f"Canary-PW-{uuid.uuid4().hex[:12]}"

# Values that must never appear in any log file (the canary check in run_tests.py): every
# password, bearer token, email, watermark secret and key the suite hands to or gets from a
# server. LEAKS collects (file, canary) for each one found when a server is cleaned up.
CANARIES = {PASSWORD}
LEAKS = []
CHECKED_LOG_FILES = []

# Every response seen by the suite: (method, url, status).
RESPONSES = []
# 5xx answers a test asked for on purpose (request(..., allow_5xx=True)), e.g. RMAP's
# "not configured" 503; the runner's no-5xx check leaves these out, the test asserts them.
EXPECTED_5XX = []

SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n"
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n"
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\nxref\n0 4\n"
    b"0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n"
    b"0000000115 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n180\n%%EOF\n"
)

# Settings inherited from the caller's environment that would change the
# server's behaviour; the child never sees them.
_SCRUBBED_ENV = (
    "SECRET_KEY", "TOKEN_TTL_SECONDS", "STORAGE_DIR", "DB_HOST", "DB_PORT", "DB_NAME",
    "DB_USER", "DB_PASSWORD", "GPG_PASSPHRASE",
)


# --------------------------------------------------------------------------- HTTP


class _Http:
    """Thin wrapper over `requests` that applies the timeout and records statuses."""

    def request(self, method, url, allow_5xx=False, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        body = kwargs.get("json")
        if isinstance(body, dict):
            for field in ("password", "new_password", "current_password", "email", "secret", "key"):
                value = body.get(field)
                if isinstance(value, str) and len(value) >= 8:
                    CANARIES.add(value)
        resp = requests.request(method, url, **kwargs)
        if "json" in resp.headers.get("Content-Type", ""):
            try:
                token = resp.json().get("token")
                if isinstance(token, str) and len(token) >= 16:
                    CANARIES.add(token)
            except (ValueError, AttributeError):
                pass
        if allow_5xx and resp.status_code >= 500:
            EXPECTED_5XX.append((method.upper(), url, resp.status_code))
        else:
            RESPONSES.append((method.upper(), url, resp.status_code))
        return resp

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def post(self, url, **kwargs):
        return self.request("POST", url, **kwargs)

    def put(self, url, **kwargs):
        return self.request("PUT", url, **kwargs)

    def patch(self, url, **kwargs):
        return self.request("PATCH", url, **kwargs)

    def delete(self, url, **kwargs):
        return self.request("DELETE", url, **kwargs)


http = _Http()


def raw_request(server, method, path, headers=None, body=None):
    """Sends `path` byte-for-byte (no dot-segment normalisation, unlike requests).

    Returns (status, headers dict with lowercase keys, body bytes)."""
    conn = httpclient.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        RESPONSES.append((method, server.url(path), resp.status))
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def auth(token):
    return {"Authorization": f"Bearer {token}"}


# ------------------------------------------------------------------------ process


def _free_ports(n):
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


SUITE_BUDGETS = {"TATOU_SIGNUP_MAX_PER_SOURCE": "100000", "TATOU_RMAP_MAX_PER_SOURCE": "100000",
                 "TATOU_RMAP_MAX_PER_IDENTITY": "100000", "TATOU_RMAP_MAX_PENDING": "10000"}


class ServerError(AssertionError):
    pass


class Server:
    """One `tatou serve` process on 127.0.0.1:<free port> with a private data dir.

    The data dir is <root>/data, where <root> is a fresh temp dir that holds
    nothing else, so tests can check that nothing is written beside it."""

    def __init__(self, extra_args=(), env=None, start=True):
        self.port, self.admin_port = _free_ports(2)
        self.root = tempfile.mkdtemp(prefix="tatou-test-")
        self.datadir = os.path.join(self.root, "data")
        os.mkdir(self.datadir, 0o700)
        self.extra_args = list(extra_args)
        self.env = dict(env or {})
        self.env.update({k: v for k, v in backend_env().items() if k not in self.env})
        # The suite signs up hundreds of accounts and runs many RMAP handshakes from 127.0.0.1 at
        # test speed; those per-source and per-identity budgets have their own attack tests
        # (test_auth_paths, test_rmap_abuse), which set them explicitly.
        for k, v in SUITE_BUDGETS.items():
            self.env.setdefault(k, v)
        self.proc = None
        # The working directory (where a `.env` is looked for); tests of that rule change it.
        self.cwd = self.root
        self._out = self._err = None
        if start:
            try:
                self.start()
            except BaseException:
                if not os.environ.get("TATOU_KEEP_DATA"):
                    shutil.rmtree(self.root, ignore_errors=True)
                raise

    # -- lifecycle

    def command(self):
        return [
            TATOU_BIN, "serve",
            "--listen", f"127.0.0.1:{self.port}",
            "--admin-listen", f"127.0.0.1:{self.admin_port}",
            "--data-dir", self.datadir,
        ] + self.extra_args

    def start(self):
        if not os.access(TATOU_BIN, os.X_OK):
            raise ServerError(f"tatou binary not found or not executable: {TATOU_BIN}")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("TATOU_") and k not in _SCRUBBED_ENV}
        env.update(self.env)
        self._out = open(os.path.join(self.datadir, "server.stdout"), "ab")
        self._err = open(os.path.join(self.datadir, "server.stderr"), "ab")
        # cwd = root so that no stray .env in the caller's directory is read.
        self.proc = subprocess.Popen(self.command(), stdout=self._out, stderr=self._err,
                                     stdin=subprocess.DEVNULL, cwd=self.cwd, env=env)
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                self._close_logs()
                raise ServerError(f"tatou exited with {self.proc.returncode} during start:\n"
                                  + self.stderr_tail())
            try:
                r = requests.get(self.url("/healthz"), timeout=1)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.kill9()
                raise ServerError("tatou did not answer /healthz with 200 within 10 s:\n"
                                  + self.stderr_tail())
            time.sleep(0.05)

    def stop(self):
        """SIGTERM, wait up to 10 s, and require exit code 0."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                self._close_logs()
                raise ServerError("tatou did not exit within 10 s of SIGTERM")
        self._close_logs()
        if proc.returncode != 0:
            raise ServerError(f"tatou exited with code {proc.returncode} after SIGTERM:\n"
                              + self.stderr_tail())

    def kill9(self):
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        self._close_logs()

    def restart(self):
        self.stop()
        self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cleanup(self):
        """Stops (gracefully, asserting exit 0) and removes the data dir.

        The data dir is kept when TATOU_KEEP_DATA is set or the stop failed."""
        try:
            self.stop()
        finally:
            if self.proc is not None:
                self.kill9()
            self.check_logs_for_canaries()
        if not os.environ.get("TATOU_KEEP_DATA"):
            shutil.rmtree(self.root, ignore_errors=True)

    def log_files(self):
        """Every file the server writes as a log: audit segments, checkpoints, stdout, stderr."""
        files = [os.path.join(self.datadir, n) for n in ("server.stdout", "server.stderr")]
        logdir = os.path.join(self.datadir, "log")
        if os.path.isdir(logdir):
            files += [os.path.join(logdir, n) for n in os.listdir(logdir) if n.endswith(".jsonl")]
        return [f for f in files if os.path.isfile(f)]

    def check_logs_for_canaries(self):
        secret_file = os.path.join(self.datadir, "secret.key")
        if os.path.isfile(secret_file):
            with open(secret_file, "rb") as f:
                CANARIES.add(f.read().decode("ascii", "replace").strip())
        canaries = [c.encode() for c in CANARIES if c]
        for path in self.log_files():
            with open(path, "rb") as f:
                data = f.read()
            CHECKED_LOG_FILES.append(path)
            for c in canaries:
                if c in data:
                    LEAKS.append((path, c.decode(errors="replace")[:12] + "…"))

    def _close_logs(self):
        for f in (self._out, self._err):
            if f is not None:
                f.close()
        self._out = self._err = None

    def stderr_tail(self, n=4000):
        try:
            with open(os.path.join(self.datadir, "server.stderr"), "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return "(no stderr)"

    # -- addressing

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def url(self, path):
        return self.base + path


def backend_env():
    """Environment that points a new tatou process at a fresh database of the run's backend
    (empty for SQLite, whose file lives in the data dir). The URL goes through the environment,
    not a flag, so the password never shows in the process list."""
    if BACKEND == "sqlite":
        return {}
    if DB is None:
        raise ServerError(f"TATOU_TEST_DB={BACKEND} but no database server was started")
    return {"TATOU_DB": DB.create_database()}


def servers_password():
    """The application password the test database servers use (never to appear in logs)."""
    import servers  # tests/db, on the path when a server runs
    return servers.APP_PASSWORD


def servers_quoted_password():
    """The same password as it appears, percent-encoded, in the URLs."""
    import urllib.parse
    return urllib.parse.quote(servers_password(), safe="")


# ----------------------------------------------------------------------- helpers


def unique(prefix="u"):
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


def create_user(server, login=None, email=None, password=PASSWORD):
    """Creates a user and returns the response (asserts nothing)."""
    login = unique() if login is None else login
    email = f"{unique()}@example.com" if email is None else email
    return http.post(server.url("/api/create-user"),
                     json={"email": email, "login": login, "password": password})


def login(server, email, password=PASSWORD, **kwargs):
    return http.post(server.url("/api/login"), json={"email": email, "password": password},
                     **kwargs)


def new_user(server, password=PASSWORD):
    """Creates a unique user, logs in, returns (email, password, token)."""
    name = unique()
    email = f"{name}@example.com"
    r = create_user(server, login=name, email=email, password=password)
    if r.status_code != 201:
        raise AssertionError(f"create-user: {r.status_code} {r.text}")
    r = login(server, email, password)
    if r.status_code != 200:
        raise AssertionError(f"login: {r.status_code} {r.text}")
    return email, password, r.json()["token"]


def new_token(server, email, password=PASSWORD):
    r = login(server, email, password)
    if r.status_code != 200:
        raise AssertionError(f"login: {r.status_code} {r.text}")
    return r.json()["token"]


def upload(server, token, data, filename="doc.pdf", name=None, content_type="application/pdf"):
    """POSTs a multipart upload and returns the response (asserts nothing)."""
    files = {"file": (filename, data, content_type)}
    if name is not None:
        files["name"] = (None, name)
    headers = auth(token) if token else {}
    return http.post(server.url("/api/upload-document"), files=files, headers=headers)


def upload_ok(server, token, data=SAMPLE_PDF, filename="doc.pdf", name=None):
    """Uploads and returns the JSON body, asserting 201."""
    r = upload(server, token, data, filename=filename, name=name)
    if r.status_code != 201:
        raise AssertionError(f"upload: {r.status_code} {r.text}")
    return r.json()


def create_watermark(server, token, doc_id, method="toy-eof", intended_for="alice@example.com",
                     secret="s3cret-value", key="unit-test-key", **extra):
    body = {"method": method, "intended_for": intended_for, "secret": secret, "key": key}
    body.update(extra)
    return http.post(server.url(f"/api/create-watermark/{doc_id}"), json=body,
                     headers=auth(token))


def create_watermark_ok(server, token, doc_id, **kwargs):
    r = create_watermark(server, token, doc_id, **kwargs)
    if r.status_code != 201:
        raise AssertionError(f"create-watermark: {r.status_code} {r.text}")
    return r.json()


# Methods carried by the visible text (they need a page with text), and the one of them that is
# identified non-blind with identify-leak and has nothing for read-watermark to read.
TEXT_METHODS = ("tatou-geometry", "tatou-geometry-content")
NON_BLIND_METHODS = ("tatou-geometry",)


def methods(server):
    r = http.get(server.url("/api/get-watermarking-methods"))
    if r.status_code != 200:
        raise AssertionError(f"get-watermarking-methods: {r.status_code} {r.text}")
    return [m["name"] for m in r.json()["methods"]]


# --------------------------------------------------------------------------- PDFs


def _pdf_string(text):
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(pages=3, text="Tatou test page", pad=0, info=True):
    """Builds a well-formed PDF (correct xref table) with `pages` pages of text.

    `pad` adds that many bytes of comment to the first content stream, to reach
    a given file size. `pages=0` gives a parsable PDF with no pages."""
    objects = {}  # object number -> body bytes (without "n 0 obj"/"endobj")
    objects[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    kids = []
    num = 4
    for i in range(pages):
        page_num, content_num = num, num + 1
        num += 2
        stream = (f"BT /F1 24 Tf 72 700 Td ({_pdf_string(text)} {i + 1}/{pages}) Tj ET\n"
                  f"BT /F1 12 Tf 72 660 Td (Line two of page {i + 1}) Tj ET\n").encode("latin-1")
        if pad and i == 0:
            stream += b"%" + b"x" * max(0, pad - 2) + b"\n"
        objects[content_num] = (b"<< /Length %d >>\nstream\n" % len(stream)) + stream + \
            b"\nendstream"
        objects[page_num] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_num} 0 R >>"
        ).encode()
        kids.append(f"{page_num} 0 R")
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>".encode()
    if info:
        objects[num] = b"<< /Producer (tatou-tests) /Title (Multi page test) >>"
        info_num = num
        num += 1
    size = num
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for n in sorted(objects):
        offsets[n] = len(out)
        out += b"%d 0 obj\n" % n + objects[n] + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % size
    out += b"0000000000 65535 f \n"
    for n in range(1, size):
        if n in offsets:
            out += b"%010d 00000 n \n" % offsets[n]
        else:
            out += b"0000000000 65535 f \n"
    trailer = f"<< /Size {size} /Root 1 0 R" + (f" /Info {info_num} 0 R" if info else "") + " >>"
    out += b"trailer\n" + trailer.encode() + b"\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


MULTI_PAGE_PDF = make_pdf(pages=3)


def pdf_of_size(size):
    """A valid 1-page PDF of exactly `size` bytes (size must be >= ~1000)."""
    base = make_pdf(pages=1, pad=0)
    # Padding changes only digits of lengths/offsets; iterate until exact.
    pad = size - len(base)
    for _ in range(10):
        data = make_pdf(pages=1, pad=pad)
        if len(data) == size:
            return data
        pad += size - len(data)
    raise ValueError(f"could not build a PDF of {size} bytes")


# Keys that would leak server internals or credentials; never in a response body.
FORBIDDEN_KEYS = {"path", "ownerid", "owner", "key", "password", "password_hash", "hash",
                  "storage_path", "file_path"}


def check_fields(test, obj, required):
    """Asserts `obj` has every required key and no internal/credential key."""
    test.assertIsInstance(obj, dict)
    test.assertFalse(set(required) - set(obj), f"missing {set(required) - set(obj)} in {obj}")
    test.assertFalse(set(obj) & FORBIDDEN_KEYS, f"internal keys leaked: {obj}")


def json_of(resp):
    try:
        return resp.json()
    except ValueError:
        return None


def describe(resp):
    return f"{resp.request.method} {resp.url} -> {resp.status_code} {resp.text[:300]!r}"


class ApiTestCase(unittest.TestCase):
    """Shared assertions: every error is JSON with an `error` text and the request id."""

    def assert_error(self, resp, status, error=None, msg=""):
        self.assertEqual(resp.status_code, status, f"{msg} {describe(resp)}".strip())
        self.assertTrue(resp.headers.get("Content-Type", "").startswith("application/json"),
                        describe(resp))
        body = resp.json()
        self.assertIsInstance(body.get("error"), str)
        self.assertEqual(body.get("request_id"), resp.headers.get("X-Request-ID"))
        if error is not None:
            self.assertEqual(body["error"], error)
        return body
