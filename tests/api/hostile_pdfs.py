"""Small PDFs that cost a parser far more than their size: each is a few kilobytes at most.

Every generator returns bytes. They are built, not stored, so the sizes they claim can be checked
and changed in one place. A parser that handles them without limits inflates hundreds of
megabytes, recurses without end or walks a page tree that never finishes."""

import zlib

BOMB_BYTES = 256 << 20  # what one bomb inflates to


_CACHE = {}


def _bomb_payload(prefix, rounds=2):
    key = (prefix, rounds)
    if key not in _CACHE:
        # The prefix is what a parser needs first; the padding is what it pays for.
        c = zlib.compressobj(9)
        parts = [c.compress(prefix)]
        block = b" " * (1 << 20)
        for _ in range(BOMB_BYTES // len(block)):
            parts.append(c.compress(block))
        parts.append(c.flush())
        data = b"".join(parts)
        for _ in range(rounds - 1):
            data = zlib.compress(data, 9)
        _CACHE[key] = data
    return _CACHE[key]


def _filters(rounds):
    return b"[" + b" ".join([b"/FlateDecode"] * rounds) + b"]"


def _with_xref_stream(objects, root, xref_num, extra_entries=(), compress_xref=None):
    """Assembles objects (num -> bytes of 'N 0 obj ... endobj') and an uncompressed (or, with
    compress_xref, bomb-compressed) cross-reference stream. extra_entries are (num, objstm, index)
    type-2 entries for objects inside an object stream."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += objects[num]
    size = max([xref_num] + list(objects) + [n for n, _, _ in extra_entries]) + 1
    rows = bytearray()
    for n in range(size):
        if n in offsets:
            rows += bytes([1]) + offsets[n].to_bytes(4, "big") + (0).to_bytes(2, "big")
        elif any(e[0] == n for e in extra_entries):
            _, stm, idx = next(e for e in extra_entries if e[0] == n)
            rows += bytes([2]) + stm.to_bytes(4, "big") + idx.to_bytes(2, "big")
        elif n == xref_num:
            rows += bytes([1]) + len(out).to_bytes(4, "big") + (0).to_bytes(2, "big")
        else:
            rows += bytes([0]) + (0).to_bytes(4, "big") + (0xFFFF).to_bytes(2, "big")
    xref_at = len(out)
    if compress_xref:
        data = _bomb_payload(bytes(rows), compress_xref)
        filt = b"/Filter " + _filters(compress_xref)
    else:
        data, filt = bytes(rows), b""
    out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root %d 0 R %s /Length %d >>\nstream\n"
            % (xref_num, size, root, filt, len(data)))
    out += data + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def object_stream_bomb():
    """Catalog, page tree and page inside an object stream behind two Flate filters; the stream
    inflates to BOMB_BYTES. Opening the document at all means decoding it."""
    objs = [b"<< /Type /Catalog /Pages 3 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] >>"]
    body = b""
    header = b""
    for i, o in enumerate(objs):
        header += b"%d %d " % (i + 2, len(body))
        body += o + b"\n"
    header = header.ljust(64)
    data = _bomb_payload(header + body)
    stm = (b"1 0 obj\n<< /Type /ObjStm /N 3 /First 64 /Filter %s /Length %d >>\nstream\n"
           % (_filters(2), len(data))) + data + b"\nendstream\nendobj\n"
    return _with_xref_stream({1: stm}, root=2, xref_num=5, extra_entries=[(2, 1, 0), (3, 1, 1), (4, 1, 2)])


def xref_stream_bomb():
    """A normal one-page document whose cross-reference stream inflates to BOMB_BYTES."""
    objs = {
        1: b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        2: b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
        3: b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n",
    }
    return _with_xref_stream(objs, root=1, xref_num=4, compress_xref=2)


def content_and_font_bomb():
    """A page whose content stream and an unused font file both inflate to BOMB_BYTES."""
    data = _bomb_payload(b"BT /F1 12 Tf 72 720 Td (x) Tj ET\n")
    objs = {
        1: b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        2: b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
        3: (b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>\nendobj\n"),
        4: (b"4 0 obj\n<< /Filter %s /Length %d >>\nstream\n" % (_filters(2), len(data))) + data
           + b"\nendstream\nendobj\n",
        5: (b"5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /X /FontDescriptor << /FontFile 6 0 R >> >>\nendobj\n"),
        6: (b"6 0 obj\n<< /Filter %s /Length %d >>\nstream\n" % (_filters(2), len(data))) + data
           + b"\nendstream\nendobj\n",
    }
    return _with_xref_stream(objs, root=1, xref_num=7)


def deep_nesting(depth=200000):
    """Arrays nested `depth` deep in the page dictionary: a recursive parser's stack ends."""
    objs = {
        1: b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        2: b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
        3: (b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /X " + b"[" * depth
            + b"]" * depth + b" >>\nendobj\n"),
    }
    return _with_xref_stream(objs, root=1, xref_num=4)


def wide_page_tree(kids=150000):
    """A /Pages node whose /Kids repeats one page reference many times and claims a huge
    /Count: every page helper that expands it allocates per entry."""
    ref = b"3 0 R " * kids
    objs = {
        1: b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        2: b"2 0 obj\n<< /Type /Pages /Kids [" + ref + b"] /Count 2147483647 >>\nendobj\n",
        3: b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n",
    }
    return _with_xref_stream(objs, root=1, xref_num=4)


def cyclic_page_tree():
    """A page tree whose intermediate node lists itself and its parent as kids."""
    objs = {
        1: b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        2: b"2 0 obj\n<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 999999999 >>\nendobj\n",
        3: b"3 0 obj\n<< /Type /Pages /Parent 2 0 R /Kids [3 0 R 2 0 R 4 0 R] /Count 999999999 >>\nendobj\n",
        4: b"4 0 obj\n<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] >>\nendobj\n",
    }
    return _with_xref_stream(objs, root=1, xref_num=5)


ALL = {
    "object_stream_bomb": object_stream_bomb,
    "xref_stream_bomb": xref_stream_bomb,
    "content_and_font_bomb": content_and_font_bomb,
    "deep_nesting": deep_nesting,
    "wide_page_tree": wide_page_tree,
    "cyclic_page_tree": cyclic_page_tree,
}


if __name__ == "__main__":
    import sys
    for name, make in ALL.items():
        data = make()
        print(f"{name}: {len(data)} bytes")
        if len(sys.argv) > 1:
            with open(f"{sys.argv[1]}/{name}.pdf", "wb") as f:
                f.write(data)
