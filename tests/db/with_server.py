#!/usr/bin/env python3
"""Runs a command with a throwaway database server up, then stops the server.

Usage: with_server.py mariadb|postgresql [--min-gtest N] -- COMMAND...

The administrator URL is passed in TATOU_TEST_MARIADB_URL or TATOU_TEST_POSTGRESQL_URL. With
--min-gtest the command's output must report at least N passed GoogleTest tests: a filter that
matches nothing, or a backend that was not instantiated, fails instead of passing empty.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402

ADMIN = {"mariadb": ("TATOU_TEST_MARIADB_URL", "root", "mysql"),
         "postgresql": ("TATOU_TEST_POSTGRESQL_URL", "postgres", "postgres")}


def main(argv):
    if len(argv) < 3 or argv[0] not in ADMIN or "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    kind = argv[0]
    sep = argv.index("--")
    opts, command = argv[1:sep], argv[sep + 1:]
    min_gtest = int(opts[opts.index("--min-gtest") + 1]) if "--min-gtest" in opts else 0
    variable, admin_user, admin_db = ADMIN[kind]
    with servers.start(kind) as db:
        env = dict(os.environ)
        env[variable] = db.url(admin_db, user=admin_user, password=servers.ADMIN_PASSWORD)
        proc = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = proc.stdout.decode("utf-8", "replace")
        sys.stdout.write(out)
        if proc.returncode != 0:
            return proc.returncode
        if min_gtest:
            m = re.search(r"\[  PASSED  \] (\d+) test", out)
            passed = int(m.group(1)) if m else 0
            if passed < min_gtest:
                print(f"with_server: only {passed} tests passed, expected at least {min_gtest}")
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
