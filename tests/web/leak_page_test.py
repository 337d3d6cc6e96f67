#!/usr/bin/env python3
"""Starts a real `tatou serve` (tests/api/harness.py), issues tatou-geometry copies of a
Ghostscript document, rasterizes one recipient's copy with poppler, and runs leak_page.mjs in
headless Chromium against the "Identify a leak" page. Exit 77 (ctest: skipped) when Debian's
chromium or tests/web/node_modules is missing (scripts/install-deps.sh --test installs both)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "api"))

import harness as h  # noqa: E402
from harness import http  # noqa: E402
from test_identify_leak import ghostscript_pdf, pdftoppm  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def main():
    if not os.access(CHROMIUM, os.X_OK) or not (HERE / "node_modules" / "playwright-core").is_dir():
        print(f"skipped: needs {CHROMIUM} and tests/web/node_modules (cd tests/web && npm ci)")
        return 77
    srv = h.Server()
    try:
        _, _, token = h.new_user(srv)
        doc = h.upload_ok(srv, token, data=ghostscript_pdf(51), name="browser-leak")
        versions = [h.create_watermark_ok(srv, token, doc["id"], method="tatou-geometry",
                                          intended_for=f"browser-{i}@example.com", secret=f"b{i}",
                                          key=f"browser-key-{i}-xx") for i in range(3)]
        pdf = http.get(srv.url(f"/api/get-version/{versions[2]['link']}")).content
        with tempfile.TemporaryDirectory() as d:
            leak = Path(d) / "screenshot.png"
            leak.write_bytes(pdftoppm(pdf, "-r", "120", "-png", suffix=".png"))
            job = {"url": srv.base, "token": token, "leak": str(leak),
                   "document_id": doc["id"], "recipient": versions[2]["intended_for"],
                   "innocents": [v["intended_for"] for v in versions[:2]]}
            r = subprocess.run([shutil.which("node") or "node", str(HERE / "leak_page.mjs")],
                               input=json.dumps(job), text=True, capture_output=True, timeout=300,
                               env={**os.environ, "CHROMIUM": CHROMIUM})
        sys.stdout.write(r.stdout)
        sys.stderr.write(r.stderr)
        return r.returncode
    finally:
        srv.cleanup()


if __name__ == "__main__":
    sys.exit(main())
