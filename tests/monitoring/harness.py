"""Shared pieces of the live monitoring tests: free loopback ports, child processes that are
always stopped, an HTTP wait helper, a webhook sink, and Alertmanager/Prometheus configs derived
from the ones in monitoring/ with test-friendly timings. Standard library only (+ PyYAML).
"""
import copy
import http.server
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MONITORING = os.path.join(ROOT, "monitoring")


class TestFailure(Exception):
    pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=2.0):
    """(status, body text) or (None, error text)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as e:
        return None, str(e)


def http_json(method, url, payload=None, timeout=5.0):
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read().decode()
            return r.status, (json.loads(body) if body else None)
    except urllib.error.HTTPError as e:
        body = e.read().decode("utf-8", "replace")
        try:
            return e.code, json.loads(body)
        except ValueError:
            return e.code, body


def wait_until(what, predicate, deadline, interval=0.5):
    """Polls predicate() until it returns a truthy value or the absolute deadline passes."""
    last = None
    reason = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except Exception as e:  # noqa: BLE001 - report the last reason on timeout
            last = None
            reason = e
        else:
            reason = None
        if last:
            return last
        time.sleep(interval)
    raise TestFailure(f"timed out waiting for {what}" + (f" (last error: {reason})" if reason else ""))


class Processes:
    """Children started in their own process group and always stopped (TERM, then KILL)."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.children = []

    def start(self, name, argv, env=None):
        log = open(os.path.join(self.workdir, f"{name}.log"), "wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.workdir,
                                start_new_session=True)
        self.children.append((name, proc, log))
        return proc

    def check_alive(self):
        for name, proc, _ in self.children:
            if proc.poll() is not None:
                raise TestFailure(f"{name} exited early with status {proc.returncode}; log:\n{self.tail(name)}")

    def tail(self, name, lines=25):
        path = os.path.join(self.workdir, f"{name}.log")
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def stop_all(self):
        for name, proc, log in reversed(self.children):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    proc.wait(timeout=5)
            log.close()
        self.children = []


class WebhookSink:
    """Collects Alertmanager webhook notifications: [(path, payload)]."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = {"unparsable": body.decode("utf-8", "replace")}
                with sink.lock:
                    sink.received.append((self.path, payload))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def alerts(self):
        """[(receiver path, status, alertname, labels)] for every alert in every notification."""
        with self.lock:
            out = []
            for path, payload in self.received:
                for a in payload.get("alerts", []) if isinstance(payload, dict) else []:
                    labels = a.get("labels", {})
                    out.append((path, a.get("status"), labels.get("alertname"), labels))
            return out


def alertmanager_config(sink_port, group_wait="1s"):
    """monitoring/alertmanager.yml with every webhook pointed at the sink and short waits: the
    routing tree, receivers and inhibition are the real ones."""
    with open(os.path.join(MONITORING, "alertmanager.yml"), encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    cfg = copy.deepcopy(cfg)

    def shorten(route):
        route["group_wait"] = group_wait
        route["group_interval"] = "1s"
        route["repeat_interval"] = "1h"
        for child in route.get("routes", []) or []:
            shorten(child)

    shorten(cfg["route"])
    for receiver in cfg["receivers"]:
        for hook in receiver.get("webhook_configs", []) or []:
            path = hook["url"].split("/", 3)[3]
            hook["url"] = f"http://127.0.0.1:{sink_port}/{path}"
    return cfg


def start_alertmanager(procs, workdir, sink_port):
    port = free_port()
    cfg_path = os.path.join(workdir, "alertmanager.yml")
    with open(cfg_path, "w", encoding="utf-8") as f:
        yaml.safe_dump(alertmanager_config(sink_port), f)
    binary = os.environ.get("ALERTMANAGER_BIN", "prometheus-alertmanager")
    procs.start("alertmanager", [
        binary, f"--config.file={cfg_path}", f"--storage.path={os.path.join(workdir, 'am-data')}",
        f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn",
    ])
    return port
