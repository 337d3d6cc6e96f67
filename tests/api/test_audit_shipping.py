"""Off-host copy of the audit evidence through Debian's rsyslog: a host rsyslog tails the audit
log and the checkpoint file (imfile) and forwards every line over RELP with RFC 5424 framing to
a second rsyslog on another loopback port that plays the central log host and writes them back
out as files. The central copy must verify, and deleting, cutting (with the checkpoint file
trimmed to match) or editing the host's copy must be caught against it."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import harness as h
from test_audit_attacks import failing_logins, lines, logdir, provisioned_server, tatou, verify, write

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
work = None


def setUpModule():
    global work
    if not os.path.exists(RSYSLOGD):
        raise unittest.SkipTest("rsyslog is not installed (scripts/install-deps.sh installs it)")
    work = tempfile.mkdtemp(prefix="tatou-ship-")
    import test_audit_attacks
    test_audit_attacks.work = work


def tearDownModule():
    shutil.rmtree(work, ignore_errors=True)


class Rsyslog:
    """One rsyslogd in the foreground with its own config, work directory and pid file."""

    def __init__(self, name, config):
        self.dir = os.path.join(work, name)
        os.makedirs(os.path.join(self.dir, "spool"), exist_ok=True)
        self.conf = os.path.join(self.dir, "rsyslog.conf")
        with open(self.conf, "w") as f:
            f.write(f'global(workDirectory="{self.dir}/spool" maxMessageSize="64k")\n' + config)
        check = subprocess.run([RSYSLOGD, "-N1", "-f", self.conf], capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise AssertionError(f"rsyslog config {name} invalid: {check.stdout}{check.stderr}")
        self.err = open(os.path.join(self.dir, "stderr"), "w")
        self.proc = subprocess.Popen([RSYSLOGD, "-n", "-f", self.conf, "-i", os.path.join(self.dir, "pid")],
                                     stdout=self.err, stderr=subprocess.STDOUT)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


DEPLOY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy", "rsyslog")


def deployed(name, **values):
    """The config shipped in deploy/rsyslog/, with its @PLACEHOLDERS@ filled in."""
    with open(os.path.join(DEPLOY, name)) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace(f"@{k}@", str(v))
    assert "@" not in text.replace("@timestamp", ""), f"{name}: a placeholder is left"
    return text


def wait_same(host_file, central_file, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(central_file) and os.path.exists(host_file) and \
                open(host_file, "rb").read() == open(central_file, "rb").read():
            return
        time.sleep(0.2)
    got = len(lines(central_file)) if os.path.exists(central_file) else 0
    raise AssertionError(f"{central_file}: {got} lines after {timeout} s, host has {len(lines(host_file))}")


class ShippingTests(unittest.TestCase):
    def test_central_copy_verifies_and_catches_changes_to_the_host_copy(self):
        relp = h._free_ports(1)[0]
        central_dir = os.path.join(work, "central-files")
        os.makedirs(central_dir)
        central = Rsyslog("central", deployed("tatou-audit-central.conf", CENTRAL_PORT=relp, OUT_DIR=central_dir))
        srv = host = None
        try:
            srv, key = provisioned_server({"TATOU_AUDIT_HEARTBEAT": "1"})
            log = logdir(srv)
            host = Rsyslog("host", deployed("tatou-audit-ship.conf", LOG_DIR=log, CENTRAL_HOST="127.0.0.1",
                                            CENTRAL_PORT=relp))
            failing_logins(srv, 40)
            time.sleep(2.5)  # two heartbeats, so checkpoints exist
            failing_logins(srv, 10)
            srv.stop()
            host_log, host_cps = os.path.join(log, "audit.jsonl"), os.path.join(log, "audit-checkpoints.jsonl")
            # One folder per sending host (%hostname%): this machine's name.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not os.listdir(central_dir):
                time.sleep(0.2)
            self.assertEqual(len(os.listdir(central_dir)), 1, os.listdir(central_dir))
            sender = os.path.join(central_dir, os.listdir(central_dir)[0])
            central_log = os.path.join(sender, "audit.jsonl")
            central_cps = os.path.join(sender, "audit-checkpoints.jsonl")
            wait_same(host_log, central_log)
            wait_same(host_cps, central_cps)
            host.stop()
            host = None

            r = verify(key, central_log, extra=("--checkpoints", central_cps, "--json"))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            report = json.loads(r.stdout)
            self.assertEqual(report["anchored_by"], "genesis")
            self.assertEqual(report["key_trust"], "trusted")
            self.assertGreaterEqual(report["checkpoints"], 2)
            last = report["last_sequence"]
            against_central = ("--checkpoints", central_cps, "--expect-sequence", str(last))

            original = lines(host_log)
            original_cps = lines(host_cps)
            # Cut: the tail gone and the host's checkpoint file trimmed to match. On its own the
            # host copy is a consistent prefix; against the central copy it is not.
            end = json.loads(original_cps[0])["sequence"] + 2
            cut = [l for l in original if json.loads(l)["event"]["sequence"] <= end]
            write(host_log, cut)
            write(host_cps, [c for c in original_cps if json.loads(c)["sequence"] <= end])
            alone = verify(key, host_log, extra=("--checkpoints", host_cps))
            self.assertEqual(alone.returncode, 0, "the trimmed host copy should look consistent on its own: "
                             + alone.stdout + alone.stderr)
            r = verify(key, host_log, extra=against_central)
            self.assertEqual(r.returncode, 1, f"cut at {end} of {last}: {r.stdout}{r.stderr}")
            self.assertIn("tail truncated", r.stderr)

            # Edit one record in the middle (a failed login turned into another source).
            edited = list(original)
            i = len(edited) // 2
            edited[i] = edited[i].replace("127.0.0.1", "127.0.0.2", 1)
            self.assertNotEqual(edited[i], original[i])
            write(host_log, edited)
            r = verify(key, host_log, extra=against_central)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)

            # Delete the host copy: the evidence is still there, whole, centrally.
            os.remove(host_log)
            os.remove(host_cps)
            r = verify(key, central_log, extra=against_central)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        finally:
            if host:
                host.stop()
            central.stop()
            if srv:
                srv.cleanup()


    def test_a_reordered_and_repeated_shipped_copy_verifies_only_with_its_records_intact(self):
        # What a shipper restart under load leaves centrally (bench/audit_ship_bench.sh saw it):
        # RELP resends what was not acknowledged and the saved queue arrives after newer lines.
        srv, key = provisioned_server()
        try:
            failing_logins(srv, 30)
            srv.stop()
            original = lines(os.path.join(logdir(srv), "audit.jsonl"))
        finally:
            srv.cleanup()
        shipped = original[:10] + original[20:25] + original[10:20] + original[5:15] + original[25:]
        copy = os.path.join(work, "shipped.jsonl")
        write(copy, shipped)
        r = verify(key, copy)
        self.assertEqual(r.returncode, 1, "a reordered copy verified as it is: " + r.stdout + r.stderr)
        r = verify(key, copy, extra=("--shipped",))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("10 byte-identical repeated lines dropped", r.stderr)
        self.assertIn(f"{len(original)} records", r.stdout)
        # A repeat that differs is not a repeat: the conflict is reported, not resolved.
        forged = list(shipped)
        i = 10 + 5 + 3  # a second copy of record 14 (original[13]), edited
        forged.insert(i, original[13].replace("127.0.0.1", "127.0.0.9", 1))
        write(copy, forged)
        r = verify(key, copy, extra=("--shipped",))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        # A record missing from the shipped copy stays missing.
        write(copy, [l for l in shipped if l != original[17]])
        r = verify(key, copy, extra=("--shipped",))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
