"""Attacks on the audit evidence by someone who controls the server host, performed on a real
server's files: cut the head, delete everything and let the server go on, cut the tail with the
checkpoints trimmed and re-signed with what the host holds, take the verification key from the
host, and kill -9 the writer at random moments. Each test asserts the attack is caught."""

import json
import os
import random
import shutil
import subprocess
import tempfile
import time
import unittest

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import harness as h
from harness import http

work = None


def setUpModule():
    global work
    work = tempfile.mkdtemp(prefix="tatou-audit-attack-")


def tearDownModule():
    shutil.rmtree(work, ignore_errors=True)


def tatou(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TATOU_")}
    return subprocess.run([h.TATOU_BIN, *args], capture_output=True, text=True, timeout=60, env=env)


def logdir(srv):
    return os.path.join(srv.datadir, "log")


def lines(path):
    with open(path, "rb") as f:
        return f.read().decode().splitlines(keepends=True)


def write(path, chunks):
    with open(path, "w") as f:
        f.write("".join(chunks))


def seq(line):
    return json.loads(line)["event"]["sequence"]


def provisioned_server(env=None):
    """A server whose audit keys were made by `tatou audit keygen` on the operator's side: the
    verification key stays in the test's own folder, the server gets only the provision file."""
    op = tempfile.mkdtemp(dir=work, prefix="operator-")
    r = tatou("audit", "keygen", "--out", op)
    if r.returncode != 0:
        raise AssertionError("tatou audit keygen failed: " + r.stdout + r.stderr)
    srv = h.Server(env=env, start=False)
    os.makedirs(logdir(srv), mode=0o700, exist_ok=True)
    shutil.copy(os.path.join(op, "audit-provision.key"), os.path.join(logdir(srv), "audit-provision.key"))
    srv.start()
    return srv, os.path.join(op, "audit-verify.key")


def failing_logins(srv, n):
    for i in range(n):
        h.login(srv, f"attack{i}@example.com", "wrong-password-123")


def wait_checkpoints(srv, at_least, timeout=20):
    """Traffic until the server has signed at_least checkpoints (bounded)."""
    path = os.path.join(logdir(srv), "audit-checkpoints.jsonl")
    deadline = time.monotonic() + timeout
    i = 0
    while time.monotonic() < deadline:
        if os.path.exists(path) and len(lines(path)) >= at_least:
            return
        h.login(srv, f"cp{i}@example.com", "wrong-password-123")
        i += 1
    raise AssertionError(f"fewer than {at_least} checkpoints after {timeout} s")


def verify(key, *files, extra=()):
    return tatou("audit", "verify", *files, "--key", key, *extra)


class HeadTruncation(unittest.TestCase):
    def test_deleting_the_first_records_is_caught(self):
        srv, key = provisioned_server({"TATOU_AUDIT_HEARTBEAT": "1"})
        try:
            failing_logins(srv, 30)
            wait_checkpoints(srv, 2)
        finally:
            srv.stop()
        log = lines(os.path.join(logdir(srv), "audit.jsonl"))
        cps = os.path.join(logdir(srv), "audit-checkpoints.jsonl")
        first_cp = json.loads(lines(cps)[0])["sequence"]
        for drop in (1, 5, first_cp + 1):
            with self.subTest(drop=drop):
                cut = os.path.join(work, f"head-{drop}.jsonl")
                write(cut, log[drop:])
                r = verify(key, cut)
                self.assertEqual(r.returncode, 1, f"first {drop} records deleted, verify said: {r.stdout}{r.stderr}")
                r = verify(key, cut, extra=("--checkpoints", cps))
                self.assertEqual(r.returncode, 1, f"with checkpoints: {r.stdout}{r.stderr}")
                self.assertIn("missing", r.stderr)
        srv.cleanup()

    def test_deleting_everything_and_letting_the_server_go_on_is_caught(self):
        srv, key = provisioned_server({"TATOU_AUDIT_HEARTBEAT": "1"})
        try:
            failing_logins(srv, 10)
            time.sleep(0.3)
            for name in os.listdir(logdir(srv)):
                if name.endswith(".jsonl"):
                    os.remove(os.path.join(logdir(srv), name))
            failing_logins(srv, 10)
            time.sleep(1.5)
            # The running server noticed its files were taken from under it (TatouAuditChainInvalid).
            page = http.get(f"http://127.0.0.1:{srv.admin_port}/metrics").text
            valid = [l for l in page.splitlines() if l.startswith("tatou_audit_chain_valid ")]
            self.assertEqual(valid, ["tatou_audit_chain_valid 0"],
                             "the server went on writing after its log was deleted and still reports a valid chain")
            srv.stop()
            path = os.path.join(logdir(srv), "audit.jsonl")
            r = verify(key, path)
            self.assertEqual(r.returncode, 1, f"the log after deleting everything verified: {r.stdout}{r.stderr}")
            cps = os.path.join(logdir(srv), "audit-checkpoints.jsonl")
            if os.path.exists(cps):
                r = verify(key, path, extra=("--checkpoints", cps))
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        finally:
            srv.cleanup()


def forge_checkpoint(state, sequence, seal, key_id, timestamp, previous, claim_next=True):
    """What an attacker on the host can sign: the current checkpoint key in audit.state
    (layout in src/obs/audit_log.cpp), for the sequence they want the log to end at. claim_next:
    label it with the epoch after the last kept checkpoint; otherwise with the seed's own epoch."""
    if state[:8] == b"TATAUD01":
        secret = state[8 + 8 + 64 + 32 + 16:][:32]
        body = f"{sequence}:{seal}:{key_id}:{timestamp}"
        sig = Ed25519PrivateKey.from_private_bytes(secret).sign(body.encode())
        return json.dumps({"@timestamp": timestamp, "sequence": sequence, "hash": seal, "key_id": key_id,
                           "signature": sig.hex()}, separators=(",", ":"))
    # TATAUD02: the epoch seed and number; the attacker claims the epoch after the last kept one.
    epoch_seed = state[8 + 8 + 64 + 32 + 16:][:32]
    own_epoch = int.from_bytes(state[8 + 8 + 64 + 32 + 16 + 32:][:8], "little")
    epoch = previous.get("epoch", 0) + 1 if claim_next else own_epoch
    body = f"{epoch}:{sequence}:{seal}:{key_id}:{timestamp}"
    sig = Ed25519PrivateKey.from_private_bytes(epoch_seed).sign(body.encode())
    return json.dumps({"@timestamp": timestamp, "epoch": epoch, "sequence": sequence, "hash": seal,
                       "key_id": key_id, "signature": sig.hex()}, separators=(",", ":"))


class TailTruncation(unittest.TestCase):
    def test_cut_tail_with_trimmed_and_resigned_checkpoints_is_caught(self):
        srv, key = provisioned_server({"TATOU_AUDIT_HEARTBEAT": "1"})
        try:
            failing_logins(srv, 20)
            wait_checkpoints(srv, 2)
            mid = json.loads(lines(os.path.join(logdir(srv), "audit-checkpoints.jsonl"))[0])["sequence"]
            failing_logins(srv, 20)
            wait_checkpoints(srv, 4)
        finally:
            srv.stop()
        path = os.path.join(logdir(srv), "audit.jsonl")
        cps_path = os.path.join(logdir(srv), "audit-checkpoints.jsonl")
        log, cps = lines(path), lines(cps_path)
        state = open(os.path.join(logdir(srv), "audit.state"), "rb").read()
        # Cut the log a few records after the first checkpoint; trim the checkpoints after it.
        end = mid + 3
        kept = [l for l in log if seq(l) <= end]
        kept_cps = [c for c in cps if json.loads(c)["sequence"] <= end]
        last = json.loads(kept[-1])
        args = (state, end, last["event"]["hash"], last["tatou"]["audit"]["key_id"], last["@timestamp"],
                json.loads(kept_cps[-1]))
        forged_next, forged_own = forge_checkpoint(*args), forge_checkpoint(*args, claim_next=False)
        cut, cut_cps = os.path.join(work, "tail.jsonl"), os.path.join(work, "tail-cps.jsonl")
        write(cut, kept)
        # Trimmed alone leaves a consistent prefix on the host: only a copy that left the host as
        # the checkpoints were made (or the exported last sequence) shows it. Re-signing the end
        # with the key the host holds is what the forward-secure epochs stop.
        shipped = cps  # the checkpoints as they were when made (what an off-host copy holds)
        for name, chunks, extra in (
                ("re-signed as the next epoch", kept_cps + [forged_next + "\n"], ()),
                ("re-signed with the host key's own epoch", kept_cps + [forged_own + "\n"], ()),
                ("trimmed, against the shipped copy", shipped, ()),
                ("trimmed, against the exported last sequence", kept_cps, ("--expect-sequence", str(seq(log[-1]))))):
            with self.subTest(checkpoints=name):
                write(cut_cps, chunks)
                r = verify(key, cut, extra=("--checkpoints", cut_cps, *extra))
                self.assertEqual(r.returncode, 1, f"tail cut at {end} of {seq(log[-1])}, checkpoints {name}: "
                                                  f"{r.stdout}{r.stderr}")
        srv.cleanup()


class KeysOffTheHost(unittest.TestCase):
    def test_keygen_keeps_the_verification_key_off_the_server(self):
        srv, key = provisioned_server()
        try:
            failing_logins(srv, 3)
            secret = json.load(open(key))
            # Nothing on the server's disk holds the initial chain key or the checkpoint root.
            for root, _, names in os.walk(srv.datadir):
                for name in names:
                    data = open(os.path.join(root, name), "rb").read()
                    for field in ("initial_key", "checkpoint_seed"):
                        if field in secret:
                            self.assertNotIn(secret[field].encode(), data, os.path.join(root, name))
                            self.assertNotIn(bytes.fromhex(secret[field]), data, os.path.join(root, name))
            self.assertFalse(os.path.exists(os.path.join(logdir(srv), "audit-provision.key")))
            self.assertFalse(os.path.exists(os.path.join(logdir(srv), "audit-verify.key")))
            srv.stop()
            r = verify(key, os.path.join(logdir(srv), "audit.jsonl"))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("key trust: trusted", r.stdout)
        finally:
            srv.cleanup()

    def test_evidence_verified_with_an_on_host_key_is_not_called_trusted(self):
        srv = h.Server()
        try:
            failing_logins(srv, 3)
            on_host = os.path.join(logdir(srv), "audit-verify.key")
            for extra in ((), ("--verify-key", on_host)):
                with self.subTest(extra=extra):
                    out = os.path.join(work, f"bundle-{len(extra)}")
                    r = tatou("ir", "collect", "--since", "10m", "--out", out, "--data-dir", srv.datadir,
                              "--admin-url", f"http://127.0.0.1:{srv.admin_port}", *extra)
                    self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                    report = json.load(open(os.path.join(out, "verify-report.json")))
                    self.assertEqual(report.get("key_trust"), "untrusted", report)
                    self.assertIn("on the server host", report.get("key_trust_reason", ""), report)
                    self.assertNotIn("audit chain intact", r.stdout.replace("NOT intact", ""))
        finally:
            srv.cleanup()

    def test_lost_state_does_not_silently_start_a_new_chain_and_key(self):
        srv, key = provisioned_server()
        try:
            failing_logins(srv, 3)
            srv.stop()
            os.remove(os.path.join(logdir(srv), "audit.state"))
            with self.assertRaises(h.ServerError) as caught:
                srv.start()
            self.assertIn("audit", str(caught.exception))
            self.assertFalse(os.path.exists(os.path.join(logdir(srv), "audit-verify.key")))
        finally:
            srv.proc = None
            srv.cleanup()


class CrashConsistency(unittest.TestCase):
    def test_kill9_never_makes_an_intact_log_look_tampered(self):
        srv, key = provisioned_server({"TATOU_AUDIT_HEARTBEAT": "1"})
        rng = random.Random(14)
        try:
            for round_ in range(8):
                import threading
                stop = threading.Event()

                def traffic():
                    i = 0
                    while not stop.is_set():
                        try:
                            h.login(srv, f"crash{round_}-{i}@example.com", "wrong-password-123")
                        except Exception:
                            return
                        i += 1

                workers = [threading.Thread(target=traffic) for _ in range(3)]
                for w in workers:
                    w.start()
                time.sleep(0.2 + rng.random() * 0.6)
                srv.kill9()
                stop.set()
                for w in workers:
                    w.join()
                srv.start()
            failing_logins(srv, 3)
            srv.stop()
            files = sorted(os.path.join(logdir(srv), n) for n in os.listdir(logdir(srv))
                           if n.startswith("audit") and n.endswith(".jsonl") and "checkpoints" not in n)
            r = verify(key, *files, extra=("--checkpoints", os.path.join(logdir(srv), "audit-checkpoints.jsonl")))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
