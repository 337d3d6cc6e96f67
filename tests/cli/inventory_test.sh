#!/usr/bin/env bash
# `tatou inventory --sbom`: a CycloneDX document naming the libraries this build really uses.
set -u
BIN=$1
out=$("$BIN" inventory --sbom) || { echo "FAIL: exit $?"; exit 1; }
python3 - "$out" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
assert d["bomFormat"] == "CycloneDX" and d["specVersion"] == "1.5", d.get("bomFormat")
names = {c["name"]: c for c in d["components"]}
for lib in ("libqpdf29", "libsodium23", "librnp0", "librestinio-dev"):
    assert lib in names, f"{lib} missing from the SBOM"
    assert names[lib]["version"], f"{lib} has no version"
    assert names[lib]["purl"].startswith(f"pkg:deb/debian/{lib}@"), names[lib]["purl"]
assert d["metadata"]["component"]["name"] == "tatou"
print(f"ok: {len(names)} components")
PY
