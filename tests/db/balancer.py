"""Debian's haproxy on loopback in front of several tatou nodes, round-robin.

    with Balancer([node_a.port, node_b.port]) as lb:
        requests.get(f"http://127.0.0.1:{lb.port}/healthz")

Runs in the foreground as `nobody` when we are root, and is stopped on exit. It adds the client
address to X-Forwarded-For and connects to the nodes from 127.0.0.2 (SOURCE_ADDRESS), so nodes
can trust that address for the header while a test client on 127.0.0.1 talking to a node
directly is not trusted. It closes the server side of every request so each is balanced alone.
"""

import os
import shutil
import subprocess
import tempfile
import time

import requests

import servers

SOURCE_ADDRESS = "127.0.0.2"


class Balancer:
    def __init__(self, node_ports, balance_each_request=True):
        self.port = servers.free_port()
        self.root = tempfile.mkdtemp(prefix="tatou-haproxy-")
        os.chmod(self.root, 0o755)
        self.config = os.path.join(self.root, "haproxy.cfg")
        lines = [
            "global", "  maxconn 2000",
            "defaults", "  mode http", "  option forwardfor",
            # Tests: a fresh server connection per request, so round-robin strictly alternates.
            # Benchmarks: keep-alive to the nodes (haproxy still balances request by request).
            "  option http-server-close" if balance_each_request else "  http-reuse always",
            "  timeout connect 2s", "  timeout client 60s", "  timeout server 60s",
            "frontend api", f"  bind 127.0.0.1:{self.port}", "  default_backend nodes",
            "backend nodes", "  balance roundrobin", "  option httpchk GET /healthz",
        ]
        lines.append(f"  source {SOURCE_ADDRESS}")
        lines += [f"  server node{i} 127.0.0.1:{p} check inter 2s" for i, p in enumerate(node_ports)]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(self.config, 0o644)
        self.log = open(os.path.join(self.root, "haproxy.log"), "wb")
        self.proc = subprocess.Popen(servers._as_user() + ["haproxy", "-db", "-f", self.config],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                raise servers.DbServerError("haproxy exited during start:\n" + self._log_text())
            try:
                if requests.get(self.url("/healthz"), timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.close()
                raise servers.DbServerError("haproxy did not answer within 10 s:\n" + self._log_text())
            time.sleep(0.1)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def _log_text(self):
        self.log.flush()
        with open(os.path.join(self.root, "haproxy.log"), "rb") as f:
            return f.read()[-3000:].decode("utf-8", "replace")

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
