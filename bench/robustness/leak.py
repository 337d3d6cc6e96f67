#!/usr/bin/env python3
"""Leak attribution under what leakers do to a page: a real `tatou serve`, documents from real
producers (Ghostscript pdfwrite from PostScript, the same re-made by cairo via pdftocairo, and
groff's filled and justified Times through ps2pdf), N issued versions per document, and a matrix
of leak transformations made with poppler's pdftoppm, ImageMagick, qpdf, mutool and Ghostscript.
Each trial leaks one page (page 1, or page 2 of 3 for "one page of N") of one version and asks
POST /api/identify-leak; the unwatermarked original goes through every transformation too and
must come back `inconclusive`. Reports correct / wrong / inconclusive per transformation, the
false-match probabilities seen (the best innocent candidate's, and the leaker's), and the wall
time and server CPU (process plus reaped jail workers) per identification.

usage: leak.py --tatou BIN [--quick] [--check] [--versions N] [--trials K] [--only SUBSTR,...]
               [--producers ghostscript,cairo,groff] [--method M] [--out FILE]
       leak.py --tatou BIN --speed N   (one 150 dpi page leak among N issued versions)
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests" / "api"))

WORDS = ("alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega report quarterly "
         "figures merger confidential draft budget review board plan risk").split()
CONVERT = "/usr/bin/convert"  # ImageMagick's, never a stand-in earlier in PATH


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300, check=True, **kw)


def ghostscript_pdf(work, seed, pages=3, lines=40):
    rng = random.Random(seed)
    ps = ["%!PS", "/Helvetica findfont 11 scalefont setfont"]
    for _ in range(pages):
        for i in range(lines):
            ps.append(f"72 {730 - i * 16} moveto ({' '.join(rng.choice(WORDS) for _ in range(rng.randint(6, 11)))}) show")
        ps.append("showpage")
    src, out = work / f"gs{seed}.ps", work / f"gs{seed}.pdf"
    src.write_text("\n".join(ps) + "\n")
    run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", f"-sOutputFile={out}", str(src)])
    return out.read_bytes()


def cairo_pdf(work, seed):
    src, out = work / f"c{seed}.pdf", work / f"cairo{seed}.pdf"
    src.write_bytes(ghostscript_pdf(work, seed + 1000))
    run(["pdftocairo", "-pdf", str(src), str(out)])
    return out.read_bytes()


def groff_pdf(work, seed, pages=3):
    """groff (troff, Times, filled and justified: word spacing varies line to line) -> ps2pdf."""
    rng = random.Random(seed)
    body = [".ll 6.5i", ".po 1i", ".ps 11", ".vs 14"]
    for p in range(pages):
        for _ in range(9):
            body.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 60))) + ".")
            body.append(".sp 0.5")
        if p + 1 < pages:
            body.append(".bp")
    src, ps, out = work / f"g{seed}.tr", work / f"g{seed}.ps", work / f"groff{seed}.pdf"
    src.write_text("\n".join(body) + "\n")
    ps.write_bytes(run(["groff", "-Tps", str(src)]).stdout)
    run(["ps2pdf", str(ps), str(out)])
    return out.read_bytes()


PRODUCERS = {"ghostscript": lambda w: ghostscript_pdf(w, 1), "cairo": lambda w: cairo_pdf(w, 2),
             "groff": lambda w: groff_pdf(w, 3)}


# Each transformation: PDF bytes of the leaked version -> (bytes, filename, content type).
def raster(dpi, fmt="png", quality=None, im=(), page=1):
    def apply(pdf, work):
        src = work / "v.pdf"
        src.write_bytes(pdf)
        run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", str(src), str(work / "p")])
        png = next(work.glob("p*.png"))
        out = work / f"leak.{fmt}"
        cmd = [CONVERT, str(png), *im]
        if quality:
            cmd += ["-quality", str(quality)]
        run(cmd + [str(out)])
        png.unlink()
        data = out.read_bytes()
        out.unlink()
        return data, out.name, {"png": "image/png", "jpg": "image/jpeg", "tif": "image/tiff"}[fmt]
    return apply


def redistill(pdf, work):
    """The informed adversary: Ghostscript re-distill (drops invisible-text tricks' structure,
    metadata, annotations and unreferenced objects) and a vector PDF handed in."""
    src, out = work / "v.pdf", work / "r.pdf"
    src.write_bytes(pdf)
    run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-dFILTERTEXT=false",
         f"-sOutputFile={out}", str(src)])
    return out.read_bytes(), "r.pdf", "application/pdf"


def informed(pdf, work):
    """The informed adversary: knows Tatou hides marks in structure and invisible text, so strips
    text drawn invisibly (render mode 3), annotations, metadata and unreferenced objects with qpdf,
    then re-distills with Ghostscript and hands in the vector PDF."""
    src, qdf, cut, clean, out = (work / n for n in ("v.pdf", "q.pdf", "c.pdf", "s.pdf", "a.pdf"))
    src.write_bytes(pdf)
    run(["qpdf", "--qdf", "--object-streams=disable", "--decode-level=generalized", str(src), str(qdf)])
    data = qdf.read_bytes()
    # Text objects that set render mode 3 (invisible) are dropped whole.
    data = re.sub(rb"BT((?:(?!ET).)*?)\b3\s+Tr((?:(?!ET).)*?)ET", b"", data, flags=re.S)
    data = re.sub(rb"/Annots\s*(\[[^\]]*\]|\d+ 0 R)", b"", data)
    data = re.sub(rb"/(Metadata|Info|PieceInfo)\s+\d+ 0 R", b"", data)
    cut.write_bytes(data)
    r = subprocess.run(["fix-qdf", str(cut)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if r.returncode == 0:
        cut.write_bytes(r.stdout)
    # qpdf drops the now unreferenced objects when it writes; exit 3 is warnings only.
    r = subprocess.run(["qpdf", "--remove-unreferenced-resources=yes", "--remove-page-labels", str(cut), str(clean)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if r.returncode not in (0, 3):
        raise RuntimeError(r.stderr.decode()[:200])
    run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-dPreserveAnnots=false",
         f"-sOutputFile={out}", str(clean)])
    return out.read_bytes(), "a.pdf", "application/pdf"


def vector(cmd):
    """A file-level rewrite (the file-level matrix's), the result handed in as a PDF."""
    def apply(pdf, work):
        src, out = work / "v.pdf", work / "o.pdf"
        src.write_bytes(pdf)
        r = subprocess.run([a.format(src=src, out=out) for a in cmd], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=300)
        if r.returncode not in (0, 3):  # qpdf 3: warnings
            raise RuntimeError(r.stderr.decode()[:200])
        return out.read_bytes(), "o.pdf", "application/pdf"
    return apply


PRINT_SCAN = ["-blur", "0x0.8", "-attenuate", "0.5", "+noise", "Gaussian", "-background", "white",
              "-rotate", "0.4", "-colorspace", "Gray"]
TRANSFORMS = {
    "rasterize 300 dpi": raster(300),
    "rasterize 150 dpi": raster(150),
    "rasterize 96 dpi (screenshot)": raster(96),
    "JPEG q90 (150 dpi)": raster(150, "jpg", 90),
    "JPEG q75 (150 dpi)": raster(150, "jpg", 75),
    "JPEG q50 (150 dpi)": raster(150, "jpg", 50),
    "1-bit threshold (200 dpi, fax)": raster(200, "png", None, ["-colorspace", "Gray", "-threshold", "55%"]),
    "grayscale (150 dpi)": raster(150, "png", None, ["-colorspace", "Gray"]),
    "rotate +1.5° (150 dpi)": raster(150, "png", None, ["-background", "white", "-rotate", "1.5"]),
    "rotate −1.5° (150 dpi)": raster(150, "png", None, ["-background", "white", "-rotate", "-1.5"]),
    "scale 80 % (150 dpi)": raster(150, "png", None, ["-resize", "80%"]),
    "crop middle 60 % (150 dpi)": raster(150, "png", None, ["-gravity", "center", "-crop", "60%x60%+0+0", "+repage"]),
    "print-scan (200 dpi, blur, noise, 0.4°, JPEG 75)": raster(200, "jpg", 75, PRINT_SCAN),
    "TIFF (150 dpi)": raster(150, "tif"),
    "one page of N (page 2 of 3, 150 dpi)": raster(150, page=2),
    "Ghostscript re-distill (vector)": redistill,
    "informed adversary: strip + re-distill (vector)": informed,
    "qpdf object streams (vector)": vector(["qpdf", "--object-streams=generate", "{src}", "{out}"]),
    "extract last page (vector)": vector(["qpdf", "{src}", "--pages", "{src}", "z", "--", "{out}"]),
    "mutool clean -gggz (vector)": vector(["mutool", "clean", "-gggz", "{src}", "{out}"]),
}
QUICK = ["rasterize 150 dpi", "JPEG q75 (150 dpi)", "crop middle 60 % (150 dpi)",
         "print-scan (200 dpi, blur, noise, 0.4°, JPEG 75)"]


def server_cpu(server):
    """CPU seconds of the server process and of its jail workers it has reaped."""
    fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def speed(h, http, server, n, method):
    """One 150 dpi page leak among n issued versions: wall time and server CPU per identification."""
    work = Path(tempfile.mkdtemp(prefix="tatou-leak-speed-"))
    try:
        _, _, token = h.new_user(server)
        original = ghostscript_pdf(work, 1)
        doc = h.upload_ok(server, token, data=original, name="speed")
        t0 = time.time()
        versions = [h.create_watermark_ok(server, token, doc["id"], method=method, intended_for=f"r{i}@speed.example",
                                          secret=f"copy {i}", key=f"speed-{i}") for i in range(n)]
        issue = time.time() - t0
        leaker = versions[n // 2]
        data, fname, ctype = raster(150)(http.get(server.url(f"/api/get-version/{leaker['link']}")).content, work)
        rows = []
        for _ in range(3):
            t0, c0 = time.time(), server_cpu(server)
            resp = http.post(server.url("/api/identify-leak"), files={
                "file": (fname, data, ctype), "document_id": (None, str(doc["id"]))}, headers=h.auth(token), timeout=600)
            rows.append((time.time() - t0, server_cpu(server) - c0))
            body = resp.json()
            ok = body["verdict"] == "attributed" and body["candidates"][0]["version_id"] == leaker["id"]
            print(f"{n} versions: {rows[-1][0]:.2f} s wall, {rows[-1][1]:.2f} s server CPU, verdict "
                  f"{body['verdict']}, {'correct' if ok else 'NOT the leaker'}, compared {body.get('versions_compared')}, "
                  f"leaker FMP {body['candidates'][0]['false_match_probability']:.1e}")
        print(f"issuing {n} versions took {issue:.1f} s ({issue / n * 1000:.0f} ms each)")
        return 0
    finally:
        server.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tatou", required=True)
    ap.add_argument("--quick", action="store_true", help="one document, a few versions and transformations (ctest)")
    ap.add_argument("--check", action="store_true", help="fail on any wrong name, or a quick-matrix miss")
    ap.add_argument("--versions", type=int, default=None)
    ap.add_argument("--trials", type=int, default=None)
    ap.add_argument("--only", help="comma-separated substrings: the transformations to run")
    ap.add_argument("--producers", default="ghostscript,cairo,groff")
    ap.add_argument("--method", default="tatou-geometry")
    ap.add_argument("--speed", type=int, help="time one 150 dpi page leak among this many issued versions")
    ap.add_argument("--out", help="write the Markdown table here")
    args = ap.parse_args()
    os.environ["TATOU_BIN"] = str(Path(args.tatou).resolve())
    import harness as h  # noqa: E402  (reads TATOU_BIN at import)
    from harness import http  # noqa: E402

    n_versions = args.versions or (4 if args.quick else 100)
    trials = args.trials or (1 if args.quick else 4)
    names = QUICK if args.quick else list(TRANSFORMS)
    if args.only:
        names = [t for t in names if any(w in t for w in args.only.split(","))]
    server = h.Server()
    if args.speed:
        return speed(h, http, server, args.speed, args.method)
    work = Path(tempfile.mkdtemp(prefix="tatou-leak-bench-"))
    results = {t: {"correct": 0, "wrong": 0, "inconclusive": 0, "orig_inconclusive": 0, "orig_total": 0,
                   "innocent_fmp_min": 1.0, "leaker_fmp_max": 0.0, "seconds": [], "cpu": []} for t in names}
    failures = []
    started = time.time()
    try:
        _, _, token = h.new_user(server)
        wanted = ["ghostscript"] if args.quick else args.producers.split(",")
        producers = {name: PRODUCERS[name](work) for name in wanted}
        embed_seconds = []
        for pname, original in producers.items():
            doc = h.upload_ok(server, token, data=original, name=pname)
            versions = []
            for i in range(n_versions):
                t0 = time.time()
                versions.append(h.create_watermark_ok(server, token, doc["id"], method=args.method,
                                                      intended_for=f"r{i}@{pname}.example", secret=f"copy {i}",
                                                      key=f"bench-key-{pname}-{i}"))
                embed_seconds.append(time.time() - t0)
            rng = random.Random(7)
            for tname in names:
                apply = TRANSFORMS[tname]
                r = results[tname]
                picks = rng.sample(versions, min(trials, len(versions)))
                for v in picks + [None]:
                    pdf = original if v is None else http.get(server.url(f"/api/get-version/{v['link']}")).content
                    data, fname, ctype = apply(pdf, work)
                    t0, c0 = time.time(), server_cpu(server)
                    resp = http.post(server.url("/api/identify-leak"), files={
                        "file": (fname, data, ctype), "document_id": (None, str(doc["id"]))},
                        headers=h.auth(token), timeout=300)
                    if v is not None:
                        r["seconds"].append(time.time() - t0)
                        r["cpu"].append(server_cpu(server) - c0)
                    if resp.status_code != 200:
                        failures.append(f"{pname} / {tname}: HTTP {resp.status_code} {resp.text[:200]}")
                        continue
                    body = resp.json()
                    cands = body["candidates"]
                    innocent = [c for c in cands if v is None or c["version_id"] != v["id"]]
                    if innocent:
                        r["innocent_fmp_min"] = min(r["innocent_fmp_min"], min(c["false_match_probability"] for c in innocent))
                    if v is None:
                        r["orig_total"] += 1
                        if body["verdict"] == "inconclusive":
                            r["orig_inconclusive"] += 1
                        else:
                            failures.append(f"{pname} / {tname}: the unwatermarked original was attributed")
                        continue
                    if body["verdict"] == "attributed":
                        if cands[0]["version_id"] == v["id"]:
                            r["correct"] += 1
                            r["leaker_fmp_max"] = max(r["leaker_fmp_max"], cands[0]["false_match_probability"])
                        else:
                            r["wrong"] += 1
                            failures.append(f"{pname} / {tname}: WRONG NAME {cands[0]['intended_for']}")
                    else:
                        r["inconclusive"] += 1
                        if args.quick:
                            failures.append(f"{pname} / {tname}: inconclusive for {v['intended_for']} "
                                            f"(best {cands[0]['score'] if cands else None})")
        # Never issued: a document Tatou never saw, rasterized, must match nothing.
        stranger = raster(150, "jpg", 75)(ghostscript_pdf(work, 99), work)
        resp = http.post(server.url("/api/identify-leak"), files={"file": (stranger[1], stranger[0], stranger[2])},
                         headers=h.auth(token), timeout=300)
        never_issued = resp.status_code == 200 and resp.json()["verdict"] == "inconclusive"
        if not never_issued:
            failures.append(f"a never-issued document was not inconclusive: {resp.status_code} {resp.text[:200]}")
    finally:
        server.cleanup()
    elapsed = time.time() - started

    total = sum(r["correct"] + r["wrong"] + r["inconclusive"] for r in results.values())
    wrong = sum(r["wrong"] for r in results.values())
    lines = ["## Leak attribution matrix (tatou-geometry, identify-leak)", "",
             f"Generated by `bench/robustness/leak.py{' --quick' if args.quick else ''}` "
             f"({time.strftime('%Y-%m-%d')}, {elapsed:.0f} s on this machine, method {args.method}): producers "
             f"{', '.join(producers)}; {n_versions} issued versions per document; {trials} leaked versions per "
             "producer and transformation (page 1), plus the unwatermarked original through every "
             "transformation. Threshold: false-match probability ≤ 1e-6.", "",
             "| Transformation | correct | wrong | inconclusive | original → inconclusive | leaker's FMP (worst) "
             "| best innocent FMP | s / identification | server CPU s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for t in names:
        r = results[t]
        n = r["correct"] + r["wrong"] + r["inconclusive"]
        secs = sorted(r["seconds"])
        med = secs[len(secs) // 2] if secs else 0
        cpus = sorted(r["cpu"])
        cpu = cpus[len(cpus) // 2] if cpus else 0
        lines.append(f"| {t} | {r['correct']}/{n} | {r['wrong']} | {r['inconclusive']} | "
                     f"{r['orig_inconclusive']}/{r['orig_total']} | {r['leaker_fmp_max']:.1e} | "
                     f"{r['innocent_fmp_min']:.2g} | {med:.2f} | {cpu:.2f} |")
    lines += ["", f"Wrong attributions: **{wrong}** of {total} trials. Never-issued document: "
              f"{'inconclusive' if never_issued else 'NOT inconclusive'}. Embedding: median "
              f"{sorted(embed_seconds)[len(embed_seconds) // 2]:.3f} s per version through the API "
              "(create-watermark, PDF jail included).", ""]
    table = "\n".join(lines)
    print(table)
    if args.out:
        Path(args.out).write_text(table)
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    if args.check and (failures or wrong):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
