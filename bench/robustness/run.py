#!/usr/bin/env python3
"""The robustness matrix: watermark a corpus with every method, apply what people do to PDFs,
read back, and write the table. With --check, fail when a method stops surviving a transformation
its usage text claims (CLAIMS below mirrors those texts).

usage: run.py --tatou BIN [--quick] [--check] [--out docs/watermark-robustness.md] [--work DIR]
"""
import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make_corpus  # noqa: E402

SECRET = "leak-trace: recipient 42 / copy 7"
KEY = "robustness-key"


KEEP = "<!-- hand-written below; bench/robustness/run.py --out keeps it -->"


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300, **kw)


def qpdf(*args):
    # qpdf exits 3 when it only warned; the output is still written.
    def apply(src, dst):
        r = run(["qpdf", *args, str(src), str(dst)])
        return r.returncode in (0, 3)
    return apply


def extract_last_page(src, dst):
    r = run(["qpdf", str(src), "--pages", str(src), "z", "--", str(dst)])
    return r.returncode in (0, 3)


def mutool_clean(src, dst):
    return run(["mutool", "clean", "-gggz", str(src), str(dst)]).returncode == 0


def ghostscript(src, dst):
    return run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite",
                f"-sOutputFile={dst}", str(src)]).returncode == 0


def first_revision(src, dst):
    data = Path(src).read_bytes()
    end = data.find(b"%%EOF")
    if end < 0:
        return False
    Path(dst).write_bytes(data[:end + 5] + b"\n")
    return True


def strip_metadata(src, dst):
    # exiftool removes /Info and XMP as an incremental update; the qpdf rewrite then drops the old
    # revision, which is what a "sanitize" step in practice leaves behind.
    tmp = Path(str(dst) + ".exif.pdf")
    r = run(["exiftool", "-q", "-all:all=", "-o", str(tmp), str(src)])
    if r.returncode != 0:
        return False
    ok = run(["qpdf", str(tmp), str(dst)]).returncode in (0, 3)
    tmp.unlink(missing_ok=True)
    return ok


def rasterize(src, dst):
    """Render the first three pages at 100 dpi and rebuild an image-only PDF from them."""
    work = Path(str(dst) + ".raster")
    work.mkdir(exist_ok=True)
    if run(["pdftoppm", "-r", "100", "-l", "3", str(src), str(work / "p")]).returncode != 0:
        return False
    images = sorted(work.glob("p*.ppm"))
    objs, kids = [], []
    for i, ppm in enumerate(images):
        raw = ppm.read_bytes()
        parts = raw.split(b"\n", 3)
        w, h = map(int, parts[1].split())
        pixels = zlib.compress(parts[3])
        img, content, page = 3 + 3 * i, 4 + 3 * i, 5 + 3 * i
        pw, ph = w * 72 / 100, h * 72 / 100
        objs.append((img, b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
                     b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (w, h, len(pixels))
                     + pixels + b"\nendstream"))
        draw = b"q %.2f 0 0 %.2f 0 0 cm /Im Do Q" % (pw, ph)
        objs.append((content, b"<< /Length %d >>\nstream\n" % len(draw) + draw + b"\nendstream"))
        objs.append((page, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Contents %d 0 R "
                     b"/Resources << /XObject << /Im %d 0 R >> >> >>" % (pw, ph, content, img)))
        kids.append(b"%d 0 R" % page)
    objs.append((1, b"<< /Type /Catalog /Pages 2 0 R >>"))
    objs.append((2, b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(kids)))
    out = bytearray(b"%PDF-1.7\n")
    offsets = {}
    for n, body in sorted(objs):
        offsets[n] = len(out)
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    size = max(offsets) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for n in range(1, size):
        out += b"%010d 00000 n \n" % offsets[n]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    Path(dst).write_bytes(bytes(out))
    shutil.rmtree(work, ignore_errors=True)
    return True


TRANSFORMS = {
    "qpdf rewrite": qpdf(),
    "object streams": qpdf("--object-streams=generate"),
    "linearize": qpdf("--linearize"),
    "QDF": qpdf("--qdf", "--object-streams=disable"),
    "extract last page": extract_last_page,
    "mutool clean -gggz": mutool_clean,
    "Ghostscript pdfwrite": ghostscript,
    "first revision only": first_revision,
    "strip metadata": strip_metadata,
    "rasterize (stretch)": rasterize,
}

ALL_BUT_RASTER = [t for t in TRANSFORMS if t != "rasterize (stretch)"]
STRUCTURAL = ["qpdf rewrite", "object streams", "linearize", "QDF", "extract last page",
              "mutool clean -gggz", "first revision only", "strip metadata"]

# What each method's usage text promises. --check fails when a promise breaks.
CLAIMS = {
    "toy-eof": [],
    "bash-bridge-eof": [],
    "phantom-annotation-g21": ["qpdf rewrite", "object streams", "linearize", "QDF", "mutool clean -gggz",
                               "Ghostscript pdfwrite", "first revision only", "strip metadata"],
    "tatou-content": ALL_BUT_RASTER,
    "tatou-stamp": ALL_BUT_RASTER,
    "tatou-annotation": STRUCTURAL + ["Ghostscript pdfwrite"],
    "tatou-pieceinfo": STRUCTURAL,
    "tatou-geometry-content": ALL_BUT_RASTER,
}
# Read non-blind by identify-leak against the original (bench/robustness/leak.py), never by
# read-watermark: this matrix skips them.
NON_BLIND = {"tatou-geometry"}


def methods(tatou):
    out = run([tatou, "watermark", "methods", "--json"])
    return [m["name"] for m in json.loads(out.stdout)["methods"]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tatou", required=True)
    ap.add_argument("--quick", action="store_true", help="small corpus, no rasterizing (the CI run)")
    ap.add_argument("--check", action="store_true", help="fail when a claimed survival breaks")
    ap.add_argument("--out", help="write the Markdown table here")
    ap.add_argument("--work", help="keep the files here instead of a temporary directory")
    args = ap.parse_args()

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="tatou-robust-"))
    page_counts = (1, 20) if args.quick else (1, 20, 200)
    corpus = make_corpus(work / "corpus", page_counts)
    transforms = {k: v for k, v in TRANSFORMS.items() if not (args.quick and k.startswith("rasterize"))}
    names = [m for m in methods(args.tatou) if m not in NON_BLIND]
    results = {}  # (method, transform) -> list of (corpus, ok)
    broken = []
    started = time.time()
    for m in names:
        for cname, src in corpus.items():
            marked = work / f"{m}--{cname}.pdf"
            r = run([args.tatou, "watermark", "add", "-m", m, "-s", SECRET, "-k", KEY, "-r", "Robustness Bench",
                     str(src), str(marked)])
            if r.returncode != 0:
                broken.append(f"{m} could not watermark {cname}: {r.stderr.decode(errors='replace').strip()}")
                continue
            base = run([args.tatou, "watermark", "read", "-m", m, "-k", KEY, str(marked)])
            if base.stdout.decode().strip() != SECRET:
                broken.append(f"{m} does not read back its own output on {cname}")
            for tname, apply in transforms.items():
                out = work / f"{m}--{cname}--{tname.replace(' ', '_').replace('(', '').replace(')', '')}.pdf"
                ok = apply(marked, out)
                if ok:
                    r = run([args.tatou, "watermark", "read", "-m", m, "-k", KEY, str(out)])
                    ok = r.returncode == 0 and r.stdout.decode().strip() == SECRET
                results.setdefault((m, tname), []).append((cname, ok))
                out.unlink(missing_ok=True)
    elapsed = time.time() - started

    lines = ["# Watermark robustness matrix", "",
             "Generated by `bench/robustness/run.py"
             + (" --quick" if args.quick else "") + "` on this machine "
             f"({time.strftime('%Y-%m-%d')}, {elapsed:.0f} s). Each cell counts the corpus files whose "
             "secret was read back **exactly** after the transformation, out of the files tried. "
             "Corpus: " + ", ".join(corpus) + " (text on every page, an image, and an object-stream "
             "variant).", "",
             "| Method | " + " | ".join(transforms) + " |",
             "|---|" + "---|" * len(transforms)]
    for m in names:
        cells = []
        for t in transforms:
            rs = results.get((m, t), [])
            good = sum(ok for _, ok in rs)
            mark = "✓" if rs and good == len(rs) else ("✗" if good == 0 else "partial")
            cells.append(f"{mark} {good}/{len(rs)}")
        lines.append(f"| `{m}` | " + " | ".join(cells) + " |")
    lines += ["", "Transformations: `qpdf in out`; `qpdf --object-streams=generate`; `qpdf --linearize`; "
              "`qpdf --qdf --object-streams=disable`; `qpdf in --pages in z --` (keeps only the last page); "
              "`mutool clean -gggz`; Ghostscript `-sDEVICE=pdfwrite` with default settings; the bytes up to the "
              "first `%%EOF`; `exiftool -all:all=` followed by a qpdf rewrite; rendering the first three pages "
              "with `pdftoppm -r 100` and rebuilding an image-only PDF (a stretch goal: no method here survives "
              "it, since none hides data in pixels).", "",
              "## Reading the table", "",
              "- `tatou-content` (and `tatou-stamp`, which carries the same invisible layer) is the method to "
              "use when a copy may be re-saved, re-distilled, split or scrubbed: every page carries a sealed "
              "copy of the secret as invisible text, and any one intact page is enough.",
              "- `tatou-annotation` and `tatou-pieceinfo` hide the same sealed secret in the page objects; "
              "Ghostscript rebuilds pages and drops `/PieceInfo`, but keeps annotations.",
              "- `phantom-annotation-g21` is the original's format, kept for reading old evidence. Its record "
              "sits on page 1 only, so it is lost whenever page 1 is not among the pages kept (the "
              "multi-page files under *extract last page*).",
              "- The EOF methods are the original's reference methods: any rewrite drops bytes after `%%EOF`.",
              "- Not covered by this table, which reads secrets back from the file: rasterizing, printing "
              "and scanning, and an adversary who knows the method and deletes the invisible text "
              "operators or annotations by hand. Those are the work of `tatou-geometry` and "
              "identify-leak (below, and bench/RESULTS.md); OCR, retyping and paraphrase are out of "
              "reach of every method. A wrong key is reported as such and an unwatermarked file never "
              "yields a secret (tests/watermark).", ""]
    failures = list(broken)
    if args.check:
        for m in names:
            for t in CLAIMS.get(m, []):
                if t not in transforms:
                    continue
                lost = [c for c, ok in results.get((m, t), []) if not ok]
                if lost:
                    failures.append(f"{m} claims to survive '{t}' but lost the secret on {', '.join(lost)}")
        if not any(all(ok for _, ok in results.get((m, t), [(None, False)])) for m in names
                   for t in ["Ghostscript pdfwrite"]):
            failures.append("no method survives a Ghostscript re-distill any more")
    table = "\n".join(lines)
    print(table)
    if args.out:
        # The file's hand-written sections (from KEEP on) survive a regeneration of the table.
        out = Path(args.out)
        old = out.read_text() if out.exists() else ""
        tail = old[old.index(KEEP):] if KEEP in old else ""
        out.write_text(table.rstrip("\n") + "\n\n" + tail if tail else table)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
