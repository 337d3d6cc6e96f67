"""Two (or more) tatou nodes on one shared database and one shared storage dir, with a shared
server secret, behind haproxy: the multi-node set-up docs/scaling.md describes."""

import os
import secrets
import shutil
import tempfile

import harness as h
from balancer import SOURCE_ADDRESS, Balancer


class Cluster:
    """Node i is named NODE_IDS[i] (TATOU_NODE_ID): its audit chain carries that name."""

    NODE_IDS = ("node-a", "node-b", "node-c", "node-d")

    def __init__(self, db_url, nodes=2, extra_args=(), env=None):
        self.shared = tempfile.mkdtemp(prefix="tatou-shared-")
        self.storage = os.path.join(self.shared, "storage")
        self.secret = os.path.join(self.shared, "secret.key")
        with open(os.open(self.secret, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        args = ["--storage-dir", self.storage, "--secret-key-file", self.secret,
                "--trusted-proxies", SOURCE_ADDRESS] + list(extra_args)
        self.nodes = []
        self.balancer = None
        try:
            for i in range(nodes):
                node_env = dict(env or {}, TATOU_DB=db_url, TATOU_NODE_ID=self.NODE_IDS[i])
                self.nodes.append(h.Server(extra_args=args, env=node_env))
            self.balancer = Balancer([n.port for n in self.nodes])
        except BaseException:
            self.close()
            raise

    def url(self, path):
        return self.balancer.url(path)

    def close(self):
        if self.balancer is not None:
            self.balancer.close()
        for n in self.nodes:
            n.cleanup()
        shutil.rmtree(self.shared, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
