"""Throwaway MariaDB and PostgreSQL servers for the tests and benchmarks.

Each server lives in its own temp dir, listens on 127.0.0.1 on a free port, runs as an
unprivileged user (`nobody` when we are root: initdb refuses root, and mariadbd should not run as
root), and is stopped when the context manager exits, at interpreter exit, on SIGTERM, and, if
this process is killed outright, by a small watchdog that notices its parent is gone.

    with servers.start("mariadb") as db:
        url = db.create_database()        # mysql://tatou:...@127.0.0.1:PORT/t_xxx
        db.stop(); db.start()             # an outage, for the tests that need one

A server that cannot start raises DbServerError: tests fail, they never skip.
"""

import atexit
import glob
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import uuid

# A password with URL delimiters, so every test run also exercises URL decoding and masking.
APP_USER = "tatou"
APP_PASSWORD = "Pw:with@special/chars%1"
ADMIN_PASSWORD = "admin-Pw-9f2c"
START_TIMEOUT = 90


class DbServerError(AssertionError):
    pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user():
    """Command prefix that drops root to `nobody`; empty when we are not root."""
    # setpriv execs in place (runuser would fork), so the pid we hold is the server's own.
    return (["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
            if os.geteuid() == 0 else [])


def _own(path):
    if os.geteuid() == 0:
        uid, gid = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
        for root, dirs, files in os.walk(path):
            os.chown(root, uid, gid)
            for name in dirs + files:
                os.chown(os.path.join(root, name), uid, gid)


def _stopped(pid):
    """True when every thread of `pid` is in the stopped state (T)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
        for tid in tasks:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] not in ("T", "t"):
                    return False
        return True
    except FileNotFoundError:
        return True  # gone: nothing left to answer


def _tail(path, n=3000):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode("utf-8", "replace")
    except OSError:
        return "(no log)"


def _url(scheme, user, password, port, database):
    quote = lambda s: urllib.parse.quote(s, safe="")  # noqa: E731
    return f"{scheme}://{quote(user)}:{quote(password)}@127.0.0.1:{port}/{database}"


class _Server:
    kind = "?"
    scheme = "?"

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix=f"tatou-{self.kind}-")
        os.chmod(self.root, 0o755)
        self.port = free_port()
        self.running = False
        self._watchdog = None
        self._databases = []

    # -- URLs

    def url(self, database, user=APP_USER, password=APP_PASSWORD):
        return _url(self.scheme, user, password, self.port, database)

    def create_database(self, prefix="t"):
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.admin_sql(self._create_database_sql(name))
        self._databases.append(name)
        return self.url(name)

    # -- lifecycle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if not hasattr(self, "root"):
            return
        if getattr(self, "_frozen", None):
            self.thaw()
        try:
            if self.running:
                self.stop()
        finally:
            if self._watchdog is not None and self._watchdog.poll() is None:
                self._watchdog.kill()
                self._watchdog.wait()
            self._watchdog = None
            if not os.environ.get("TATOU_KEEP_DATA"):
                shutil.rmtree(self.root, ignore_errors=True)

    def _pids(self):
        """The server's processes: the main one and its children (PostgreSQL's backends)."""
        main = self._main_pid()
        children = subprocess.run(["pgrep", "-P", str(main)], capture_output=True, text=True).stdout
        return [main] + [int(p) for p in children.split()]

    def freeze(self):
        """SIGSTOP: the server keeps its sockets (the kernel still accepts and acknowledges)
        but answers nothing, like a hung server."""
        self._frozen = self._pids()
        for pid in self._frozen:
            os.kill(pid, signal.SIGSTOP)
        # kill() returns before every thread has stopped: wait until the kernel says so.
        deadline = time.monotonic() + 10
        while not all(_stopped(pid) for pid in self._frozen):
            if time.monotonic() > deadline:
                raise DbServerError(f"{self.kind} did not stop on SIGSTOP")
            time.sleep(0.01)

    def thaw(self):
        for pid in getattr(self, "_frozen", []):
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self._frozen = []

    def _start_watchdog(self, stop_command):
        """Stops the server if this process dies without running its cleanup (e.g. SIGKILL)."""
        if self._watchdog is not None and self._watchdog.poll() is None:
            return
        script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
                  + " ".join(f"'{a}'" for a in stop_command) + " >/dev/null 2>&1")
        self._watchdog = subprocess.Popen(["sh", "-c", script], start_new_session=True,
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)

    def _wait_ready(self, proc=None):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise DbServerError(f"{self.kind} exited with {proc.returncode} during start:\n"
                                    + _tail(self.log))
            try:
                self.admin_sql("SELECT 1")
                return
            except DbServerError:
                time.sleep(0.2)
        raise DbServerError(f"{self.kind} did not accept connections within {START_TIMEOUT}s:\n"
                            + _tail(self.log))


class MariaDB(_Server):
    kind = "mariadb"
    scheme = "mysql"

    def __init__(self):
        super().__init__()
        self.datadir = os.path.join(self.root, "data")
        self.socket = os.path.join(self.root, "mysqld.sock")
        self.pidfile = os.path.join(self.root, "mysqld.pid")
        self.log = os.path.join(self.root, "error.log")
        self.init_file = os.path.join(self.root, "init.sql")
        with open(self.init_file, "w") as f:
            # Runs at every server start; the IF NOT EXISTS keep restarts harmless.
            # (mariadb-install-db creates root@127.0.0.1 without a password.)
            f.write(f"ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '{ADMIN_PASSWORD}';\n"
                    f"CREATE USER IF NOT EXISTS '{APP_USER}'@'127.0.0.1' "
                    f"IDENTIFIED BY '{APP_PASSWORD}';\n")
        _own(self.root)
        r = subprocess.run(_as_user() + [
            "mariadb-install-db", "--no-defaults", f"--datadir={self.datadir}",
            "--auth-root-authentication-method=normal", "--skip-test-db",
            "--skip-name-resolve"], capture_output=True, cwd=self.root)
        if r.returncode != 0:
            raise DbServerError("mariadb-install-db failed:\n" + r.stderr.decode()[-3000:])
        self.start()

    def command(self):
        return _as_user() + [
            "mariadbd", "--no-defaults", f"--datadir={self.datadir}", f"--socket={self.socket}",
            f"--port={self.port}", "--bind-address=127.0.0.1", f"--pid-file={self.pidfile}",
            f"--log-error={self.log}", f"--init-file={self.init_file}", "--skip-name-resolve",
            "--skip-log-bin", "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=32M",
            "--innodb-flush-log-at-trx-commit=2", "--max-connections=300"]

    def start(self):
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self.running = True
        self._start_watchdog(["kill", "-TERM", str(self.proc.pid)])
        self._wait_ready(self.proc)

    def stop(self):
        """Clean shutdown (SIGTERM), waited for."""
        self.running = False
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._watchdog is not None and self._watchdog.poll() is None:
            self._watchdog.kill()
            self._watchdog.wait()
        self._watchdog = None

    def _main_pid(self):
        return self.proc.pid

    def _create_database_sql(self, name):
        return (f"CREATE DATABASE `{name}`; "
                f"GRANT ALL ON `{name}`.* TO '{APP_USER}'@'127.0.0.1';")

    def admin_sql(self, sql, database=None):
        """Runs SQL as the administrator; returns stdout (tab-separated, no headers)."""
        cmd = ["mariadb", "--no-defaults", "--protocol=tcp", "-h", "127.0.0.1", "-P", str(self.port),
               "-u", "root", "--batch", "--skip-column-names", "-e", sql]
        if database:
            cmd.append(database)
        r = subprocess.run(cmd, capture_output=True, env=dict(os.environ, MYSQL_PWD=ADMIN_PASSWORD),
                           timeout=60)
        if r.returncode != 0:
            raise DbServerError(f"mariadb: {r.stderr.decode().strip()}")
        return r.stdout.decode()

    def lock_table(self, database, table):
        """A session that holds a write lock on `table` (blocking its readers and writers) until the
        returned handle is released."""
        cmd = ["mariadb", "--no-defaults", "--protocol=tcp", "-h", "127.0.0.1", "-P", str(self.port),
               "-u", "root", "--batch", "--unbuffered", database]
        holder = _TableLock(cmd, dict(os.environ, MYSQL_PWD=ADMIN_PASSWORD),
                            f"LOCK TABLES `{table}` WRITE;\n", "UNLOCK TABLES;\n")
        holder.wait_until(lambda: self.admin_sql(
            f"SHOW OPEN TABLES FROM `{database}` WHERE `Table` = '{table}' AND In_use > 0").strip() != "")
        return holder


class PostgreSQL(_Server):
    kind = "postgresql"
    scheme = "postgresql"

    def __init__(self):
        super().__init__()
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise DbServerError("PostgreSQL server binaries not found (apt-get install postgresql)")
        self.bindir = os.path.dirname(bins[-1])
        self.datadir = os.path.join(self.root, "data")
        self.log = os.path.join(self.root, "server.log")
        pwfile = os.path.join(self.root, "pw")
        with open(pwfile, "w") as f:
            f.write(ADMIN_PASSWORD + "\n")
        _own(self.root)
        r = subprocess.run(_as_user() + [
            os.path.join(self.bindir, "initdb"), "-D", self.datadir, "-U", "postgres",
            "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--no-locale", "--no-sync"],
            capture_output=True, cwd=self.root)
        os.unlink(pwfile)
        if r.returncode != 0:
            raise DbServerError("initdb failed:\n" + r.stderr.decode()[-3000:])
        self.start()
        self.admin_sql(f"CREATE ROLE {APP_USER} LOGIN PASSWORD '{APP_PASSWORD}'")

    def _pg_ctl(self, *args):
        return _as_user() + [os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir] + list(args)

    def start(self):
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        r = subprocess.run(self._pg_ctl("-l", self.log, "-o", opts, "-w", "-t", str(START_TIMEOUT),
                                        "start"), capture_output=True, cwd=self.root,
                           stdin=subprocess.DEVNULL, start_new_session=True)
        if r.returncode != 0:
            raise DbServerError("pg_ctl start failed:\n" + r.stderr.decode()[-2000:] + _tail(self.log))
        self.running = True
        self._start_watchdog(self._pg_ctl("-m", "immediate", "stop"))
        self._wait_ready()

    def stop(self):
        """Fast shutdown: open connections are terminated, as in a real outage."""
        self.running = False
        subprocess.run(self._pg_ctl("-m", "fast", "-w", "stop"), capture_output=True, cwd=self.root)
        if self._watchdog is not None and self._watchdog.poll() is None:
            self._watchdog.kill()
            self._watchdog.wait()
        self._watchdog = None

    def _main_pid(self):
        with open(os.path.join(self.datadir, "postmaster.pid")) as f:
            return int(f.readline())

    def _create_database_sql(self, name):
        return f'CREATE DATABASE "{name}" OWNER {APP_USER}'

    def admin_sql(self, sql, database="postgres"):
        cmd = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
               "-p", str(self.port), "-U", "postgres", "-d", database, "-c", sql]
        r = subprocess.run(cmd, capture_output=True, env=dict(os.environ, PGPASSWORD=ADMIN_PASSWORD),
                           timeout=60)
        if r.returncode != 0:
            raise DbServerError(f"psql: {r.stderr.decode().strip()}")
        return r.stdout.decode()

    def lock_table(self, database, table):
        """A session that holds an ACCESS EXCLUSIVE lock on `table` (blocking its readers and
        writers) until the returned handle is released."""
        cmd = ["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database]
        holder = _TableLock(cmd, dict(os.environ, PGPASSWORD=ADMIN_PASSWORD),
                            f"BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;\n", "ROLLBACK;\n")
        holder.wait_until(lambda: self.admin_sql(
            "SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            f"WHERE c.relname = '{table}' AND l.mode = 'AccessExclusiveLock' AND l.granted",
            database=database).strip() != "")
        return holder


class _TableLock:
    """A database client session kept open on a pipe, holding a lock until release()."""

    def __init__(self, cmd, env, take_sql, release_sql):
        self._release_sql = release_sql
        self._proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
        self._proc.stdin.write(take_sql.encode())
        self._proc.stdin.flush()

    def wait_until(self, held, timeout=10):
        deadline = time.monotonic() + timeout
        while not held():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.release()
                raise DbServerError("could not take the table lock")
            time.sleep(0.05)

    def release(self):
        if self._proc.poll() is None:
            try:
                self._proc.stdin.write(self._release_sql.encode())
                self._proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


KINDS = {"mariadb": MariaDB, "postgresql": PostgreSQL}
_live = []


def start(kind):
    """Starts a server of `kind` ("mariadb" or "postgresql"); use it as a context manager."""
    if kind not in KINDS:
        raise DbServerError(f"unknown database kind {kind!r} (mariadb, postgresql)")
    server = KINDS[kind].__new__(KINDS[kind])
    _live.append(server)  # registered first: a server that fails half-way is still stopped
    try:
        server.__init__()
    except BaseException:
        _live.remove(server)
        server.close()
        raise
    return server


def _close_all():
    while _live:
        s = _live.pop()
        try:
            s.close()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


def _on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


atexit.register(_close_all)
if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
    signal.signal(signal.SIGTERM, _on_sigterm)
