"""The mixed workload shared by bench/soak/soak.py and bench/chaos/chaos.py.

Clients speak HTTP/1.1 with keep-alive through http.client, each from its own loopback source
address (127.0.0.N), so per-source budgets see several clients as an operator's server would.
Every answer is recorded per route: status counts and latencies. Writes the server acknowledged
(2xx) go into a Ledger that the chaos run checks after each restart.

The server is started with tests/api/harness.py (its per-source sign-up and RMAP budgets are
raised, as for the suite, because the clients sign up and handshake from few addresses); every
other limit keeps its default.
"""

import http.client as httpclient
import json
import os
import random
import secrets
import socket
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
sys.path.insert(0, os.path.join(ROOT, "tests", "db"))

import harness as h  # noqa: E402
import hostile_pdfs  # noqa: E402

TIMEOUT = 30
PASSWORD = "Soak-pw-" + uuid.uuid4().hex[:12]


# ------------------------------------------------------------------------------------ HTTP


class Client:
    """One keep-alive connection from a fixed source address; reconnects after any error."""

    def __init__(self, port, source="127.0.0.1", timeout=TIMEOUT):
        self.port, self.source, self.timeout = port, source, timeout
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        """Returns (status, body bytes, seconds); status 0 = no answer (refused, reset, timeout)."""
        headers = dict(headers or {})
        if body is not None:
            headers.setdefault("Content-Length", str(len(body)))
        started = time.monotonic()
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = httpclient.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout,
                                                      source_address=(self.source, 0))
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return resp.status, data, time.monotonic() - started
            except (httpclient.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                # A keep-alive connection the server closed while idle: retry once on a new one.
                self.close()
                if attempt == 1 or not isinstance(e, (httpclient.RemoteDisconnected, BrokenPipeError)):
                    return 0, str(e).encode(), time.monotonic() - started
            except (OSError, httpclient.HTTPException) as e:
                self.close()
                return 0, str(e).encode(), time.monotonic() - started
        return 0, b"", time.monotonic() - started

    def json(self, method, path, obj=None, token=None, raw=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        body = raw if raw is not None else (json.dumps(obj).encode() if obj is not None else None)
        return self.request(method, path, body, headers)

    def upload(self, token, data, filename="doc.pdf"):
        boundary = "soak" + uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
                "Content-Type: application/pdf\r\n\r\n").encode() + data + \
               (f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n"
                f"{filename}\r\n--{boundary}--\r\n").encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
                   "Authorization": f"Bearer {token}"}
        return self.request("POST", "/api/upload-document", body, headers)


def parse(data):
    try:
        return json.loads(data)
    except ValueError:
        return None


# ----------------------------------------------------------------------------- recording


class Stats:
    """Per-route status counts and latencies, thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.status = {}      # route -> {status: count}
        self.latency = {}     # route -> [seconds] (answered requests only)
        self.errors = []      # (time, route, status, body excerpt) for 5xx

    def add(self, route, status, seconds, body=b""):
        with self.lock:
            counts = self.status.setdefault(route, {})
            counts[status] = counts.get(status, 0) + 1
            if status:
                self.latency.setdefault(route, []).append(seconds)
            if status >= 500 and len(self.errors) < 200:
                self.errors.append((time.time(), route, status, body[:200].decode("utf-8", "replace")))

    def table(self):
        rows = []
        for route in sorted(self.status):
            counts = self.status[route]
            lat = sorted(self.latency.get(route, []))
            n = sum(counts.values())
            fivexx = sum(c for s, c in counts.items() if s >= 500)
            noanswer = counts.get(0, 0)
            rows.append({"route": route, "requests": n, "5xx": fivexx, "no_answer": noanswer,
                         "p50_ms": pct(lat, 50) * 1000, "p99_ms": pct(lat, 99) * 1000,
                         "max_ms": (lat[-1] if lat else 0) * 1000,
                         "statuses": {str(k): v for k, v in sorted(counts.items())}})
        return rows


def pct(sorted_values, p):
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def print_table(rows, out=sys.stdout):
    out.write("| route | requests | 5xx | no answer | p50 ms | p99 ms | max ms | statuses |\n")
    out.write("|---|---|---|---|---|---|---|---|\n")
    for r in rows:
        out.write(f"| {r['route']} | {r['requests']} | {r['5xx']} | {r['no_answer']} | {r['p50_ms']:.0f} | "
                  f"{r['p99_ms']:.0f} | {r['max_ms']:.0f} | {r['statuses']} |\n")


class Ledger:
    """What the server acknowledged: documents uploaded and deleted, versions created."""

    def __init__(self):
        self.lock = threading.Lock()
        self.docs = {}          # doc id -> user email (acknowledged upload)
        self.deleted = set()    # doc ids whose delete was acknowledged
        self.versions = {}      # link -> doc id (acknowledged create-watermark)
        self.rmap_links = set()  # RMAP results (32 hex) the server acknowledged
        self.uncertain = set()  # doc ids whose delete got no answer (it may or may not have run)
        self.anomalies = []     # acknowledged state the server later denied, seen by the clients


# -------------------------------------------------------------------------------- server


def rmap_setup(server):
    """Places a partner key and the RMAP document in `server`'s data dir (before its first
    start) and returns the env that turns RMAP on and the partner key; the server generates
    its own key pair at first start."""
    import rmap_pgpy as pg
    rdir = os.path.join(server.datadir, "rmap")
    os.makedirs(os.path.join(rdir, "clients"))
    partner = pg.new_curve25519_key("Group_Soak")
    with open(os.path.join(rdir, "clients", "Group_Soak.asc"), "w") as f:
        f.write(str(partner.pubkey))
    with open(os.path.join(rdir, "document.pdf"), "wb") as f:
        f.write(h.make_pdf(pages=1))
    env = {"TATOU_RMAP_SERVER_KEY": os.path.join(rdir, "server_priv.asc"),
           "TATOU_RMAP_CLIENT_KEYS": os.path.join(rdir, "clients"),
           "TATOU_RMAP_DOCUMENT": os.path.join(rdir, "document.pdf")}
    return env, partner


def start_server(backend_db=None, extra_env=None):
    """A harness Server with RMAP configured; returns (server, rmap partner key, server pub)."""
    import rmap_pgpy as pg
    h.BACKEND = "postgresql" if backend_db is not None else "sqlite"
    h.DB = backend_db
    srv = h.Server(start=False, env={"TATOU_LOG_LEVEL": "warn", **(extra_env or {})})
    env, partner = rmap_setup(srv)
    srv.env.update(env)
    srv.start()
    pub_path = os.path.join(srv.datadir, "rmap", "server_pub.asc")
    deadline = time.monotonic() + 120
    while not os.path.exists(pub_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    return srv, partner, pg.load_key(pub_path)


def sample_proc(pid):
    """(RSS KiB, open fds, threads) of one process from /proc."""
    rss = threads = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return rss, len(os.listdir(f"/proc/{pid}/fd")), threads


# -------------------------------------------------------------------------------- traffic

# Hostile uploads: built once per process (each bomb inflates to 256 MiB; the files are small).
_HOSTILE = None


def hostile_files():
    global _HOSTILE
    if _HOSTILE is None:
        _HOSTILE = [(name, make()) for name, make in hostile_pdfs.ALL.items()]
    return _HOSTILE


BAD_INPUTS = [
    # (method, path, body, token?) — each must be a clear 4xx
    ("POST", "/api/login", b"{not json", False),
    ("POST", "/api/login", b'{"email": 5, "password": []}', False),
    ("POST", "/api/create-user", b'{"email": "x", "login": "", "password": "a"}', False),
    ("GET", "/api/get-document/-1", None, True),
    ("GET", "/api/get-document/99999999999999999999", None, True),
    ("POST", "/api/create-watermark/1", b'{"method": "nope"}', True),
    ("POST", "/api/read-watermark/abc", b'{}', True),
    ("GET", "/api/list-documents", None, False),
    ("GET", "/api/get-version/" + "0" * 64, None, False),
    ("GET", "/api/get-version/..%2f..%2fetc%2fpasswd", None, False),
    ("DELETE", "/api/delete-document/0", None, True),
    ("POST", "/api/rmap-initiate", b'{"payload": "@@@"}', False),
    ("POST", "/api/rmap-get-link", b'{"payload": "' + b"A" * 3000 + b'"}', False),
    ("POST", "/api/login", b'{"email": "' + b"a" * 20000 + b'"}', False),
]

# Weights of each operation in a worker's loop.
OPS = [("login", 6), ("upload", 8), ("list-documents", 10), ("list-versions", 6),
       ("create-watermark", 10), ("read-watermark", 6), ("get-version", 10), ("get-document", 4),
       ("delete-document", 4), ("bad-input", 8), ("hostile-pdf", 2), ("rmap", 2),
       ("get-watermarking-methods", 2)]


class Worker(threading.Thread):
    """One signed-up user hammering the server with the mix, until `stop` is set. While
    `pause` is set it idles (the chaos run checks the data in between)."""

    def __init__(self, n, port_of, stats, ledger, stop, pause, rmap=None, seed=None):
        super().__init__(daemon=True)
        self.n, self.port_of, self.stats, self.ledger = n, port_of, stats, ledger
        self.stop, self.pause, self.rmap = stop, pause, rmap
        self.rng = random.Random(seed if seed is not None else n)
        self.source = f"127.0.0.{10 + n}"
        self.email = f"soak{n}_{uuid.uuid4().hex[:8]}@example.com"
        self.token = None
        self.docs = []        # ids this worker uploaded and has not deleted
        self.links = []       # (link, doc id, method)
        self.marked = []      # (doc id, method): uploads of a version's bytes
        self.client = None
        self.idle = threading.Event()
        self.ops = [op for op, w in OPS for _ in range(w)]

    def rec(self, route, result):
        status, data, seconds = result
        self.stats.add(route, status, seconds, data)
        return status, data

    def ensure_client(self):
        port = self.port_of()
        if self.client is None or self.client.port != port:
            if self.client:
                self.client.close()
            self.client = Client(port, self.source)
        return self.client

    def sign_up(self):
        c = self.ensure_client()
        st, data = self.rec("create-user", c.json("POST", "/api/create-user", {
            "email": self.email, "login": self.email.split("@")[0], "password": PASSWORD}))
        return st in (201, 409)

    def do_login(self):
        c = self.ensure_client()
        st, data = self.rec("login", c.json("POST", "/api/login", {"email": self.email, "password": PASSWORD}))
        if st == 200:
            self.token = parse(data)["token"]
        return st

    def run(self):
        while not self.stop.is_set():
            if self.pause.is_set():
                if self.client:
                    self.client.close()
                    self.client = None
                self.idle.set()
                time.sleep(0.05)
                continue
            self.idle.clear()
            try:
                if self.token is None:
                    if not self.sign_up() or self.do_login() != 200:
                        time.sleep(0.2)
                        continue
                self.step(self.rng.choice(self.ops))
            except Exception as e:  # noqa: BLE001 - a client bug must not end the run silently
                self.stats.add("client-exception", -1, 0, repr(e).encode())
                time.sleep(0.1)
        if self.client:
            self.client.close()
        self.idle.set()

    def step(self, op):
        c = self.ensure_client()
        L = self.ledger
        if op == "login":
            self.do_login()
        elif op == "upload":
            pages = self.rng.randint(1, 3)
            st, data = self.rec("upload", c.upload(self.token, h.make_pdf(pages=pages, text=f"soak {self.n}")))
            if st == 201:
                doc = parse(data)["id"]
                self.docs.append(doc)
                with L.lock:
                    L.docs[doc] = self.email
        elif op == "list-documents":
            self.rec("list-documents", c.json("GET", "/api/list-documents", token=self.token))
        elif op == "list-versions":
            if self.docs and self.rng.random() < 0.5:
                self.rec("list-versions", c.json("GET", f"/api/list-versions/{self.rng.choice(self.docs)}",
                                                 token=self.token))
            else:
                self.rec("list-all-versions", c.json("GET", "/api/list-all-versions", token=self.token))
        elif op == "get-document" and self.docs:
            self.rec("get-document", c.json("GET", f"/api/get-document/{self.rng.choice(self.docs)}",
                                            token=self.token))
        elif op == "create-watermark" and self.docs:
            doc = self.rng.choice(self.docs)
            method = self.rng.choice(("toy-eof", "toy-eof", "tatou-geometry-content"))
            st, data = self.rec("create-watermark", c.json("POST", f"/api/create-watermark/{doc}", {
                "method": method, "intended_for": f"r{self.rng.randint(0, 999)}@example.com",
                "secret": "soak-secret-" + secrets.token_hex(4), "key": "soak-key-" + str(self.n)}, self.token))
            if st == 201:
                link = parse(data)["link"]
                self.links.append((link, doc, method))
                with L.lock:
                    L.versions[link] = doc
        elif op == "read-watermark" and self.links:
            # read-watermark reads a document's own bytes: a leaked version is uploaded first
            # (the documented flow), then read back; the read must find the mark (201).
            if self.marked and self.rng.random() < 0.7:
                doc, method = self.rng.choice(self.marked)
                self.rec("read-watermark", c.json("POST", f"/api/read-watermark/{doc}", {
                    "method": method, "key": "soak-key-" + str(self.n)}, self.token))
            else:
                link, _, method = self.rng.choice(self.links)
                st, data = self.rec("get-version", c.request("GET", f"/api/get-version/{link}"))
                if st != 200:
                    return
                st, data = self.rec("upload", c.upload(self.token, data, filename="leaked.pdf"))
                if st == 201:
                    doc = parse(data)["id"]
                    self.docs.append(doc)
                    self.marked.append((doc, method))
                    with L.lock:
                        L.docs[doc] = self.email
        elif op == "get-version" and self.links:
            link, _, _ = self.rng.choice(self.links)
            self.rec("get-version", c.request("GET", f"/api/get-version/{link}"))
        elif op == "delete-document" and len(self.docs) > 2:
            doc = self.docs.pop(self.rng.randrange(len(self.docs)))
            st, _ = self.rec("delete-document", c.json("DELETE", f"/api/delete-document/{doc}", token=self.token))
            if st == 200:
                self.links = [x for x in self.links if x[1] != doc]
                self.marked = [x for x in self.marked if x[0] != doc]
                with L.lock:
                    L.deleted.add(doc)
            elif st == 404:
                with L.lock:
                    if doc in L.uncertain:
                        L.deleted.add(doc)  # an earlier unanswered delete had gone through
                    else:
                        L.anomalies.append(f"delete of acknowledged doc {doc} answered 404")
            else:
                self.docs.append(doc)  # not acknowledged: its state is unknown until checked
                if st == 0:
                    with L.lock:
                        L.uncertain.add(doc)
        elif op == "bad-input":
            method, path, body, needs_token = self.rng.choice(BAD_INPUTS)
            token = self.token if needs_token else None
            if not needs_token and self.rng.random() < 0.3:
                token = "bogus" + secrets.token_hex(20)
            self.rec("bad-input", c.json(method, path, raw=body, token=token) if body is not None
                     else c.json(method, path, token=token))
        elif op == "hostile-pdf":
            name, data = self.rng.choice(hostile_files())
            self.rec("hostile-pdf:" + name, c.upload(self.token, data, filename=name + ".pdf"))
        elif op == "rmap" and self.rmap is not None:
            self.rmap_handshake(c)
        elif op == "get-watermarking-methods":
            self.rec("get-watermarking-methods", c.request("GET", "/api/get-watermarking-methods"))

    def rmap_handshake(self, c):
        import rmap_pgpy as pg
        partner, server_pub = self.rmap
        nc = secrets.randbits(64)
        st, data = self.rec("rmap-initiate", c.json("POST", "/api/rmap-initiate", {
            "payload": pg.f4(pg.encrypt({"identity": "Group_Soak", "nonceClient": nc}, server_pub))}))
        if st != 200:
            return
        reply, _ = pg.decode_reply(parse(data), partner)
        ns = reply["nonceServer"]
        st, data = self.rec("rmap-get-link", c.json("POST", "/api/rmap-get-link", {
            "payload": pg.f4(pg.encrypt({"nonceServer": ns}, server_pub))}))
        if st == 200:
            result, _ = pg.decode_reply(parse(data), partner)
            with self.ledger.lock:
                self.ledger.rmap_links.add(result["result"])


class Probe(threading.Thread):
    """A separate legitimate user from its own source address: once a second it lists its
    documents and fetches one (and logs in every 10th second). A probe fails on any answer
    other than 200 or on no answer within 5 s."""

    def __init__(self, port_of, stop, pause=None, interval=1.0):
        super().__init__(daemon=True)
        self.port_of, self.stop, self.pause, self.interval = port_of, stop, pause, interval
        self.email = f"probe_{uuid.uuid4().hex[:8]}@example.com"
        self.latencies, self.failures, self.attempts = [], [], 0
        self.token = self.doc = None

    def setup(self):
        c = Client(self.port_of(), "127.0.0.2", timeout=10)
        c.json("POST", "/api/create-user", {"email": self.email, "login": self.email.split("@")[0],
                                              "password": PASSWORD})
        self.login(c)
        st, data, _ = c.upload(self.token, h.make_pdf(pages=1, text="probe"))
        assert st == 201, data
        self.doc = parse(data)["id"]
        c.close()

    def login(self, c):
        st, data, _ = c.json("POST", "/api/login", {"email": self.email, "password": PASSWORD})
        if st == 200:
            self.token = parse(data)["token"]
        return st

    def run(self):
        c = None
        tick = 0
        while not self.stop.is_set():
            started = time.monotonic()
            if self.pause is not None and self.pause.is_set():
                time.sleep(0.05)
                continue
            if c is None or c.port != self.port_of():
                c = Client(self.port_of(), "127.0.0.2", timeout=5)
            self.attempts += 1
            tick += 1
            ok = True
            total = 0.0
            steps = [("GET", "/api/list-documents"), ("GET", f"/api/get-document/{self.doc}")]
            if tick % 10 == 0:
                st = self.login(c)
                ok = st == 200
            for method, path in steps:
                st, data, secs = c.json(method, path, token=self.token)
                total += secs
                if st != 200:
                    ok = False
                    self.failures.append((time.time(), path, st, data[:120]))
            if ok:
                self.latencies.append(total)
            elapsed = time.monotonic() - started
            self.stop.wait(max(0.0, self.interval - elapsed))
        if c:
            c.close()
