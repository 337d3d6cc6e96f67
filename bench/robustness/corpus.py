"""Generates the robustness corpus: PDFs of a given page count with text on every page, an image
XObject, and (as a variant) everything packed into object streams. Written by hand so the
corpus needs nothing but Python and qpdf."""
import subprocess
import zlib
from pathlib import Path


def _obj(n, body):
    return f"{n} 0 obj\n".encode() + body + b"\nendobj\n"


def _stream(n, data, extra=b""):
    packed = zlib.compress(data)
    return _obj(n, b"<< /Length %d /Filter /FlateDecode %s >>\nstream\n" % (len(packed), extra) + packed + b"\nendstream")


def make_pdf(path: Path, pages: int, with_image: bool = True) -> None:
    # objects: 1 catalog, 2 pages, 3 font, 4 image, 5 info, then (page, content) pairs
    objs = {}
    kids = []
    first = 6
    for i in range(pages):
        page_no, content_no = first + 2 * i, first + 2 * i + 1
        kids.append(f"{page_no} 0 R")
        text = (f"BT /F1 18 Tf 72 720 Td (Quarterly report, page {i + 1} of {pages}) Tj ET\n"
                "BT /F1 11 Tf 72 690 Td 14 TL "
                + " ".join(f"(Line {k}: confidential figures for unit {i * 40 + k}.) '" for k in range(30))
                + " ET\n")
        if with_image:
            text += "q 120 0 0 80 400 60 cm /Im1 Do Q\n"
        objs[content_no] = _stream(content_no, text.encode())
        objs[page_no] = _obj(page_no, (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_no} 0 R "
            "/Resources << /Font << /F1 3 0 R >> /XObject << /Im1 4 0 R >> >> >>").encode())
    objs[1] = _obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    objs[2] = _obj(2, f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>".encode())
    objs[3] = _obj(3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pixels = bytes((x * 7 + y * 3) % 256 for y in range(64) for x in range(64) for _ in range(3))
    objs[4] = _stream(4, pixels, b"/Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceRGB /BitsPerComponent 8")
    objs[5] = _obj(5, b"<< /Title (Quarterly report) /Author (Finance) /Producer (corpus.py) >>")
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for n in sorted(objs):
        offsets[n] = len(out)
        out += objs[n]
    xref = len(out)
    size = max(objs) + 1
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    for n in range(1, size):
        out += f"{offsets[n]:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {size} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))


def make_corpus(directory: Path, page_counts=(1, 20, 200)) -> dict:
    """Returns {name: path}: one plain PDF per page count plus an object-stream variant."""
    directory.mkdir(parents=True, exist_ok=True)
    corpus = {}
    for n in page_counts:
        plain = directory / f"text-image-{n}p.pdf"
        make_pdf(plain, n)
        corpus[plain.stem] = plain
    smallest = min(page_counts)
    objstm = directory / f"objstm-{smallest}p.pdf"
    subprocess.run(["qpdf", "--object-streams=generate", str(corpus[f"text-image-{smallest}p"]), str(objstm)], check=True)
    corpus[objstm.stem] = objstm
    return corpus


if __name__ == "__main__":
    import sys
    for name, p in make_corpus(Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")).items():
        print(name, p)
