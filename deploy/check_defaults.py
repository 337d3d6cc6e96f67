#!/usr/bin/env python3
"""The deployment defaults of issue 14, checked on the shipped files and on the built server:

  proxies   the compose file names the address its published port arrives from (the backend
            network's fixed gateway) as TATOU_TRUSTED_PROXIES, so per-IP limits stay per client;
  admin     the admin listener is loopback-only everywhere (Dockerfile, compose, unit): never
            bound to another address, exposed or published, and scraped from its own namespace;
  dotenv    the container's working directory (where `.env` is read) is not the data volume
            nor any writable mount; the unit's neither; and the server refuses a `.env` inside
            its data dir;
  modes     every file the server creates under a 022 umask is 0600 (public keys excepted);
  no-store  JSON answers carry `Cache-Control: no-store`.

Usage: check_defaults.py --compose-config RENDERED.yml --deploy-dir deploy/ [--tatou BIN]
       check_defaults.py --compose-config RENDERED.yml --deploy-dir deploy/ --self-test
(RENDERED.yml: the output of `docker-compose config`.) --self-test plants each regression in a
copy and expects each one reported. Exits 1 with one line per problem."""

import argparse
import copy
import ipaddress
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

LOOPBACK_NAMES = {"localhost"}
PUBLIC_SUFFIXES = (".pub", "_pub.asc")


def is_loopback(host):
    host = host.strip("[]")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_port(value):
    host, _, port = value.rpartition(":")
    return host, port


def env_of(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: ("" if v is None else str(v)) for k, v in env.items()}


def published_ports(service):
    """(host ip, host port, container port) of each published port, short or long syntax."""
    out = []
    for p in service.get("ports") or []:
        if isinstance(p, dict):
            out.append((str(p.get("host_ip", "")), str(p.get("published", "")), str(p.get("target", ""))))
            continue
        parts = str(p).split("/")[0].split(":")
        target = parts[-1]
        published = parts[-2] if len(parts) >= 2 else ""
        ip = ":".join(parts[:-2]) if len(parts) >= 3 else ""
        out.append((ip, published, target))
    return out


# ------------------------------------------------------------------------------- Dockerfile


def dockerfile_facts(text):
    """ENV values, WORKDIR, VOLUMEs and EXPOSEd ports of the last stage."""
    stages = re.split(r"(?im)^FROM\s", text)
    last = stages[-1]
    joined = re.sub(r"\\\n", " ", last)
    env, workdir, volumes, exposed = {}, "/", [], []
    for line in joined.splitlines():
        line = line.strip()
        if line.upper().startswith("ENV "):
            for k, v in re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", line[4:]):
                env[k] = v.strip('"')
        elif line.upper().startswith("WORKDIR "):
            workdir = line.split(None, 1)[1].strip()
        elif line.upper().startswith("VOLUME "):
            volumes += re.findall(r"\"([^\"]+)\"", line) or line.split()[1:]
        elif line.upper().startswith("EXPOSE "):
            exposed += [p.split("/")[0] for p in line.split()[1:]]
    return env, workdir, volumes, exposed


def inside(path, folder):
    path, folder = os.path.normpath(path), os.path.normpath(folder)
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def check_dockerfile(text):
    problems = []
    env, workdir, volumes, exposed = dockerfile_facts(text)
    admin = env.get("TATOU_ADMIN_LISTEN", "127.0.0.1:9464")
    admin_host, admin_port = host_port(admin)
    if not is_loopback(admin_host):
        problems.append(f"admin: Dockerfile binds the admin listener on {admin} (loopback only)")
    if admin_port in exposed:
        problems.append(f"admin: Dockerfile EXPOSEs the admin port {admin_port}")
    data_dir = env.get("TATOU_DATA_DIR", "")
    for writable in dict.fromkeys([data_dir] + volumes):
        if writable and inside(workdir, writable):
            problems.append(f"dotenv: Dockerfile WORKDIR {workdir} is in the writable {writable}: "
                            "`.env` would be read from it")
    return problems


# ---------------------------------------------------------------------------------- compose


def check_compose(config, dockerfile_text):
    problems = []
    env_image, workdir_image, volumes_image, _ = dockerfile_facts(dockerfile_text)
    services = config.get("services") or {}
    networks = config.get("networks") or {}
    tatou = services.get("tatou")
    if tatou is None:
        return ["compose: no tatou service"]
    env = {**env_image, **env_of(tatou)}

    # proxies: published => the gateway of its network is the trusted proxy.
    if published_ports(tatou):
        trusted = [ip.strip() for ip in env.get("TATOU_TRUSTED_PROXIES", "").split(",") if ip.strip()]
        if not trusted:
            problems.append("proxies: tatou publishes a port without TATOU_TRUSTED_PROXIES "
                            "(behind the host's proxy every client is one address)")
        gateways = set()
        for name in (tatou.get("networks") or {}):
            for pool in ((networks.get(name) or {}).get("ipam") or {}).get("config") or []:
                if pool.get("gateway"):
                    gateways.add(str(pool["gateway"]))
        if trusted and not gateways:
            problems.append("proxies: tatou's network has no fixed gateway, so TATOU_TRUSTED_PROXIES "
                            "cannot name the address published connections arrive from")
        for ip in trusted:
            if gateways and ip not in gateways:
                problems.append(f"proxies: TATOU_TRUSTED_PROXIES {ip} is not the gateway of tatou's "
                                f"network ({', '.join(sorted(gateways))})")

    # admin: loopback in every service's settings; its port never published or exposed.
    admin = env.get("TATOU_ADMIN_LISTEN", "127.0.0.1:9464")
    admin_host, admin_port = host_port(admin)
    if not is_loopback(admin_host):
        problems.append(f"admin: compose binds the admin listener on {admin} (loopback only)")
    for name, svc in services.items():
        for ip, published, target in published_ports(svc):
            if target == admin_port or published == admin_port:
                problems.append(f"admin: service {name} publishes the admin port {admin_port}")
        for p in svc.get("expose") or []:
            if str(p).split("/")[0] == admin_port:
                problems.append(f"admin: service {name} exposes the admin port {admin_port}")
        if name != "tatou" and svc.get("network_mode") != "service:tatou":
            scrape = scrape_targets(svc)
            if any(t.endswith(":" + admin_port) for t in scrape):
                problems.append(f"admin: service {name} scrapes the admin listener from another "
                                "network namespace (it must share tatou's: network_mode service:tatou)")

    # dotenv: the working directory is neither the data dir nor a writable mount.
    workdir = tatou.get("working_dir", workdir_image)
    writable = [env.get("TATOU_DATA_DIR", "")] + volumes_image
    for v in tatou.get("volumes") or []:
        target, read_only = volume_target(v)
        if not read_only:
            writable.append(target)
    for folder in dict.fromkeys(writable):
        if folder and inside(workdir, folder):
            problems.append(f"dotenv: tatou's working directory {workdir} is in the writable {folder}")
    if not tatou.get("read_only") and not workdir.startswith("/etc/"):
        problems.append("dotenv: tatou's root filesystem is writable and its working directory "
                        f"{workdir} is not a root-owned /etc folder")
    return problems


def volume_target(v):
    if isinstance(v, dict):
        return str(v.get("target", "")), bool(v.get("read_only"))
    parts = str(v).split(":")
    if len(parts) == 1:
        return parts[0], False
    mode = parts[2] if len(parts) > 2 else "rw"
    return parts[1], "ro" in mode.split(",")


def scrape_targets(svc):
    """Targets of the Prometheus configuration mounted into `svc` (none when it is not one)."""
    targets = []
    for v in svc.get("volumes") or []:
        src = v.get("source") if isinstance(v, dict) else str(v).split(":")[0]
        if src and src.endswith("prometheus.yml") and os.path.isfile(src):
            with open(src) as f:
                conf = yaml.safe_load(f) or {}
            for job in conf.get("scrape_configs") or []:
                for sc in job.get("static_configs") or []:
                    targets += [str(t) for t in sc.get("targets") or []]
    return targets


# ------------------------------------------------------------------------------ systemd unit


def check_unit(text):
    problems = []
    settings = {}
    for m in re.finditer(r"(?m)^Environment=(.*)$", text):
        for k, v in re.findall(r"(\w+)=(\S+)", m.group(1)):
            settings[k] = v
    admin = settings.get("TATOU_ADMIN_LISTEN", "127.0.0.1:9464")
    if not is_loopback(host_port(admin)[0]):
        problems.append(f"admin: tatou.service binds the admin listener on {admin}")
    wd = re.search(r"(?m)^WorkingDirectory=(.*)$", text)
    workdir = wd.group(1).strip().lstrip("-") if wd else "/"
    data_dir = settings.get("TATOU_DATA_DIR", "/var/lib/tatou")
    state = ["/var/lib/" + d for d in re.findall(r"(?m)^StateDirectory=(\S+)", text)]
    for folder in [data_dir] + state:
        if inside(workdir, folder):
            problems.append(f"dotenv: tatou.service WorkingDirectory {workdir} is the writable {folder}")
    return problems


# ----------------------------------------------------------------------------------- runtime


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def serve(tatou, root, datadir, cwd):
    port, admin = free_ports(2)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TATOU_")}
    cmd = [tatou, "serve", "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
           "--data-dir", datadir]
    err = open(os.path.join(root, "stderr"), "wb")
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=err)
    err.close()
    return proc, port


def wait_up(proc, port):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.05)
    return False


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def check_runtime(tatou):
    problems = []
    root = tempfile.mkdtemp(prefix="tatou-deploy-check-")
    old = os.umask(0o022)
    try:
        datadir = os.path.join(root, "data")
        proc, port = serve(tatou, root, datadir, root)
        try:
            if not wait_up(proc, port):
                return [f"runtime: tatou serve did not come up: {open(os.path.join(root, 'stderr')).read()[-500:]}"]
            body = b'{"email":"deploy-check@example.com","login":"deploycheck","password":"Deploy-check-pw-1"}'
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/create-user", data=body,
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as r:
                cache = r.headers.get("Cache-Control", "")
            if "no-store" not in [c.strip() for c in cache.split(",")]:
                problems.append(f"no-store: a JSON answer has Cache-Control {cache!r}")
        finally:
            stop(proc)
        for dirpath, dirnames, filenames in os.walk(datadir):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                if name.endswith(PUBLIC_SUFFIXES):
                    continue
                mode = stat.S_IMODE(os.lstat(path).st_mode)
                if mode & 0o077:
                    problems.append(f"modes: the server created {os.path.relpath(path, datadir)} {oct(mode)}")
        with open(os.path.join(datadir, ".env"), "w") as f:
            f.write("TATOU_TRUSTED_PROXIES=127.0.0.1\n")
        proc, port = serve(tatou, root, datadir, datadir)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if proc.poll() != 2:
            problems.append("dotenv: tatou serve started with a .env in its data dir (expected exit 2)")
        stop(proc)
    finally:
        os.umask(old)
        shutil.rmtree(root, ignore_errors=True)
    return problems


# --------------------------------------------------------------------------------- self-test


def self_test(config, dockerfile, unit):
    """Each planted regression must be reported, and only the untouched files pass."""
    failures = []
    base = check_compose(config, dockerfile) + check_dockerfile(dockerfile) + check_unit(unit)
    if base:
        failures.append(f"the shipped files do not pass: {base}")

    def expect(kind, problems, label):
        if not any(p.startswith(kind + ":") for p in problems):
            failures.append(f"planted regression not reported: {label}")

    c = copy.deepcopy(config)
    env_of_tatou = env_of(c["services"]["tatou"])
    env_of_tatou.pop("TATOU_TRUSTED_PROXIES", None)
    c["services"]["tatou"]["environment"] = env_of_tatou
    expect("proxies", check_compose(c, dockerfile), "compose without TATOU_TRUSTED_PROXIES")
    c = copy.deepcopy(config)
    c["services"]["tatou"]["environment"] = {**env_of(c["services"]["tatou"]), "TATOU_TRUSTED_PROXIES": "10.9.9.9"}
    expect("proxies", check_compose(c, dockerfile), "TATOU_TRUSTED_PROXIES not the gateway")
    expect("admin", check_dockerfile(dockerfile.replace("TATOU_ADMIN_LISTEN=127.0.0.1:9464", "TATOU_ADMIN_LISTEN=0.0.0.0:9464")),
           "Dockerfile admin listener on 0.0.0.0")
    expect("admin", check_dockerfile(dockerfile.replace("EXPOSE 5000", "EXPOSE 5000 9464")), "Dockerfile EXPOSE 9464")
    c = copy.deepcopy(config)
    c["services"]["tatou"]["environment"] = {**env_of(c["services"]["tatou"]), "TATOU_ADMIN_LISTEN": "0.0.0.0:9464"}
    expect("admin", check_compose(c, dockerfile), "compose admin listener on 0.0.0.0")
    c = copy.deepcopy(config)
    c["services"]["tatou"].setdefault("ports", []).append("127.0.0.1:9464:9464")
    expect("admin", check_compose(c, dockerfile), "compose publishes 9464")
    if "prometheus" in c["services"]:
        c = copy.deepcopy(config)
        c["services"]["prometheus"].pop("network_mode", None)
        expect("admin", check_compose(c, dockerfile), "Prometheus scraping from another namespace")
    expect("admin", check_unit(unit.replace("Environment=TATOU_DATA_DIR=/var/lib/tatou",
                                            "Environment=TATOU_DATA_DIR=/var/lib/tatou TATOU_ADMIN_LISTEN=0.0.0.0:9464")),
           "unit admin listener on 0.0.0.0")
    bad = re.sub(r"(?m)^WORKDIR .*$", "WORKDIR /var/lib/tatou", dockerfile)
    expect("dotenv", check_dockerfile(bad), "Dockerfile WORKDIR in the data volume")
    expect("dotenv", check_compose(config, bad), "compose working directory in the data volume")
    c = copy.deepcopy(config)
    c["services"]["tatou"]["working_dir"] = "/var/lib/tatou/conf"
    expect("dotenv", check_compose(c, dockerfile), "compose working_dir in the data volume")
    expect("dotenv", check_unit(unit.replace("[Service]\n", "[Service]\nWorkingDirectory=/var/lib/tatou\n")),
           "unit WorkingDirectory in the state dir")
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compose-config", required=True)
    ap.add_argument("--deploy-dir", required=True)
    ap.add_argument("--tatou")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    with open(a.compose_config) as f:
        config = yaml.safe_load(f)
    with open(os.path.join(a.deploy_dir, "Dockerfile")) as f:
        dockerfile = f.read()
    with open(os.path.join(a.deploy_dir, "tatou.service")) as f:
        unit = f.read()
    if a.self_test:
        failures = self_test(config, dockerfile, unit)
        for line in failures:
            print(line)
        print(f"check_defaults self-test: {len(failures)} failure(s)")
        return 1 if failures else 0
    problems = check_compose(config, dockerfile) + check_dockerfile(dockerfile) + check_unit(unit)
    if a.tatou:
        problems += check_runtime(a.tatou)
    for p in problems:
        print(p)
    print(f"deployment defaults: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
