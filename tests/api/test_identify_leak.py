"""identify-leak through the API, with real producers and renderers: Ghostscript makes the
document, tatou-geometry issues copies, poppler's pdftoppm plays the leaker (rasterize, JPEG,
PNG), and the server must name the right recipient with a tiny false-match probability, say
`inconclusive` for an unwatermarked copy or another document, and answer 4xx JSON to garbage."""

import hashlib
import json
import os
import random
import subprocess
import tempfile
import unittest
from pathlib import Path

import harness as h
from harness import http

server = None
WORDS = ("alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega report quarterly "
         "figures merger confidential draft budget review board plan risk").split()


def setUpModule():
    global server
    server = h.Server()


def tearDownModule():
    if server is not None:
        server.cleanup()


def ghostscript_pdf(seed, pages=1, lines=40):
    """A text PDF made by Ghostscript's pdfwrite from PostScript, as a real producer would."""
    rng = random.Random(seed)
    ps = ["%!PS", "/Helvetica findfont 11 scalefont setfont"]
    for _ in range(pages):
        for i in range(lines):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 11)))
            ps.append(f"72 {730 - i * 16} moveto ({words}) show")
        ps.append("showpage")
    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "in.ps", Path(d) / "out.pdf"
        src.write_text("\n".join(ps) + "\n")
        subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite",
                        f"-sOutputFile={out}", str(src)], check=True, timeout=60)
        return out.read_bytes()


def textless_pdf():
    content = b"0.2 g 100 100 300 300 re f"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for i, body in enumerate(objs):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def pdftoppm(pdf, *args, suffix):
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "in.pdf"
        src.write_bytes(pdf)
        subprocess.run(["pdftoppm", *args, "-f", "1", "-l", "1", str(src), str(Path(d) / "p")],
                       check=True, timeout=60)
        return next(Path(d).glob("p*" + suffix)).read_bytes()


class IdentifyLeakTests(h.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        _, _, cls.token = h.new_user(server)
        cls.original = ghostscript_pdf(1)
        cls.doc = h.upload_ok(server, cls.token, data=cls.original, name="board-minutes")
        cls.other_doc = h.upload_ok(server, cls.token, data=ghostscript_pdf(2), name="other")
        cls.versions = []
        for i in range(6):
            v = h.create_watermark_ok(server, cls.token, cls.doc["id"], method="tatou-geometry",
                                      intended_for=f"recipient-{i}@example.com", secret=f"copy {i}",
                                      key=f"key-{i}-xxxxxxxx")
            cls.versions.append(v)
        cls.layered = h.create_watermark_ok(server, cls.token, cls.doc["id"], method="tatou-geometry-content",
                                            intended_for="layered@example.com", secret="layered copy",
                                            key="layered-key-123")
        h.create_watermark_ok(server, cls.token, cls.doc["id"], method="tatou-content",
                              intended_for="content-only@example.com")

    def download(self, version):
        r = http.get(server.url(f"/api/get-version/{version['link']}"))
        self.assertEqual(r.status_code, 200, h.describe(r))
        return r.content

    def identify(self, data, filename, content_type, document_id=None, token=None):
        files = {"file": (filename, data, content_type)}
        if document_id is not None:
            files["document_id"] = (None, str(document_id))
        return http.post(server.url("/api/identify-leak"), files=files, headers=h.auth(token or self.token),
                         timeout=120)

    def assert_attributed(self, r, version):
        self.assertEqual(r.status_code, 200, h.describe(r))
        body = r.json()
        self.assertEqual(body["verdict"], "attributed", body)
        self.assertEqual(body["document_id"], self.doc["id"])
        self.assertGreaterEqual(body["pages_matched"], 1)
        top = body["candidates"][0]
        self.assertEqual(top["version_id"], version["id"], body)
        self.assertEqual(top["intended_for"], version["intended_for"])
        self.assertLessEqual(top["false_match_probability"], 1e-6)
        for other in body["candidates"][1:]:  # nobody else comes near
            self.assertGreater(other["false_match_probability"], 1e-3, body)
        return body

    def test_rasterized_jpeg_names_the_recipient(self):
        leak = pdftoppm(self.download(self.versions[3]), "-r", "150", "-jpeg", "-jpegopt", "quality=75",
                        suffix=".jpg")
        body = self.assert_attributed(self.identify(leak, "leak.jpg", "image/jpeg", self.doc["id"]), self.versions[3])
        self.assertEqual(body["candidates"][0]["method"], "tatou-geometry")
        self.assertEqual(body["versions_compared"], 7)  # the six geometry copies and the layered one

    def test_png_screenshot_without_document_id_finds_document_and_recipient(self):
        leak = pdftoppm(self.download(self.versions[1]), "-r", "110", "-png", suffix=".png")
        self.assert_attributed(self.identify(leak, "shot.png", "image/png"), self.versions[1])

    def test_forwarded_pdf_and_layered_method(self):
        self.assert_attributed(self.identify(self.download(self.versions[5]), "copy.pdf", "application/pdf"),
                               self.versions[5])
        data = self.download(self.layered)
        copy = h.upload_ok(server, self.token, data=data, name="layered-copy")  # read-watermark reads documents
        r = http.post(server.url(f"/api/read-watermark/{copy['id']}"),
                      json={"method": "tatou-geometry-content", "key": "layered-key-123"}, headers=h.auth(self.token))
        self.assertEqual(r.status_code, 201, h.describe(r))
        self.assertEqual(r.json()["secret"], "layered copy")
        leak = pdftoppm(data, "-r", "150", "-jpeg", "-jpegopt", "quality=75", suffix=".jpg")
        self.assert_attributed(self.identify(leak, "l.jpg", "image/jpeg", self.doc["id"]), self.layered)

    def test_unwatermarked_original_is_inconclusive(self):
        leak = pdftoppm(self.original, "-r", "150", "-jpeg", "-jpegopt", "quality=75", suffix=".jpg")
        r = self.identify(leak, "orig.jpg", "image/jpeg", self.doc["id"])
        self.assertEqual(r.status_code, 200, h.describe(r))
        body = r.json()
        self.assertEqual(body["verdict"], "inconclusive", body)
        self.assertEqual(body["pages_matched"], 1)
        for c in body["candidates"]:
            self.assertGreater(c["false_match_probability"], 1e-3, body)

    def test_unrelated_document_is_inconclusive(self):
        leak = pdftoppm(ghostscript_pdf(99), "-r", "150", "-png", suffix=".png")
        r = self.identify(leak, "other.png", "image/png")
        self.assertEqual(r.status_code, 200, h.describe(r))
        body = r.json()
        self.assertEqual(body["verdict"], "inconclusive")
        self.assertEqual(body["pages_matched"], 0)
        self.assertEqual(body["candidates"], [])

    def test_garbage_and_bad_requests_are_json_4xx(self):
        self.assert_error(self.identify(b"\x00garbage, not a picture" * 50, "x.png", "image/png", self.doc["id"]), 400)
        self.assert_error(self.identify(b"", "x.png", "image/png", self.doc["id"]), 400)
        self.assert_error(self.identify(b"%PDF-1.4\nbroken\n%%EOF\n", "x.pdf", "application/pdf", self.doc["id"]), 400)
        png_bomb = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x00\x00\x00\x00"
                    + b"\x00" * 64)
        self.assert_error(self.identify(png_bomb, "bomb.png", "image/png", self.doc["id"]), 400)
        self.assert_error(self.identify(b"x", "x.png", "image/png", "abc"), 400)
        r = http.post(server.url("/api/identify-leak"), json={"file": "x"}, headers=h.auth(self.token))
        self.assert_error(r, 415)
        r = http.post(server.url("/api/identify-leak"), files={"other": ("a", b"b")}, headers=h.auth(self.token))
        self.assert_error(r, 400)
        r = http.post(server.url("/api/identify-leak"), files={"file": ("a.png", b"b")})
        self.assert_error(r, 401)

    def test_someone_elses_document_is_404(self):
        _, _, stranger = h.new_user(server)
        leak = pdftoppm(self.download(self.versions[0]), "-r", "100", "-png", suffix=".png")
        self.assert_error(self.identify(leak, "x.png", "image/png", self.doc["id"], token=stranger), 404)
        r = self.identify(leak, "x.png", "image/png", token=stranger)  # searching their own documents
        self.assertEqual(r.status_code, 200, h.describe(r))
        self.assertEqual(r.json()["verdict"], "inconclusive")

    def test_geometry_on_a_page_without_text_is_a_clear_400(self):
        doc = h.upload_ok(server, self.token, data=textless_pdf(), name="picture")
        r = h.create_watermark(server, self.token, doc["id"], method="tatou-geometry")
        self.assert_error(r, 400)


class CollusionTests(h.ApiTestCase):
    """Two recipients pool their copies: pages mixed from both (each leaker named on its page), or
    the two renders averaged pixel-wise (a colluder named, or `inconclusive`; never an innocent)."""

    @classmethod
    def setUpClass(cls):
        _, _, cls.token = h.new_user(server)
        cls.doc = h.upload_ok(server, cls.token, data=ghostscript_pdf(5, pages=2), name="two-pages")
        cls.versions = [h.create_watermark_ok(server, cls.token, cls.doc["id"], method="tatou-geometry",
                                              intended_for=f"colluder-{i}@example.com", secret=f"c{i}",
                                              key=f"collusion-key-{i}") for i in range(5)]
        cls.copies = [http.get(server.url(f"/api/get-version/{v['link']}")).content for v in cls.versions]

    def identify(self, data, filename, content_type):
        r = http.post(server.url("/api/identify-leak"), files={
            "file": (filename, data, content_type), "document_id": (None, str(self.doc["id"]))},
            headers=h.auth(self.token), timeout=120)
        self.assertEqual(r.status_code, 200, h.describe(r))
        return r.json()

    def assert_only_colluders(self, body, colluders):
        ids = {v["id"] for v in colluders}
        for named in body["attributed_to"]:
            self.assertIn(named["version_id"], ids, body)
            self.assertLessEqual(named["false_match_probability"], 1e-6)
        if body["verdict"] == "attributed":
            self.assertTrue(body["attributed_to"], body)
        else:
            self.assertEqual(body["attributed_to"], [], body)

    def test_pages_mixed_from_two_copies_name_both_page_by_page(self):
        alice, bob = self.versions[1], self.versions[3]
        with tempfile.TemporaryDirectory() as d:
            a, b, mixed = Path(d) / "a.pdf", Path(d) / "b.pdf", Path(d) / "m.pdf"
            a.write_bytes(self.copies[1])
            b.write_bytes(self.copies[3])
            r = subprocess.run(["qpdf", "--empty", "--pages", str(a), "1", str(b), "2", "--", str(mixed)],
                               timeout=60)
            self.assertIn(r.returncode, (0, 3))
            body = self.identify(mixed.read_bytes(), "mixed.pdf", "application/pdf")
        self.assertEqual(body["verdict"], "attributed", body)
        self.assertEqual(body["pages_matched"], 2)
        self.assertEqual(body["tests_in_union_bound"], 5 * 3)  # versions × (two pages + the whole leak)
        named = {n["version_id"]: n for n in body["attributed_to"]}
        self.assertEqual(set(named), {alice["id"], bob["id"]}, body)
        self.assertEqual(named[alice["id"]]["leak_pages"], [0])
        self.assertEqual(named[bob["id"]]["leak_pages"], [1])
        by_page = {p["leak_page"]: p for p in body["pages"]}
        self.assertEqual(by_page[0]["best_candidate"]["version_id"], alice["id"])
        self.assertEqual(by_page[1]["best_candidate"]["version_id"], bob["id"])
        self.assertTrue(by_page[0]["attributed"] and by_page[1]["attributed"])
        self.assert_only_colluders(body, [alice, bob])

    def test_two_copies_averaged_pixel_wise_never_name_an_innocent(self):
        alice, bob = self.versions[0], self.versions[4]
        a = pdftoppm(self.copies[0], "-r", "150", "-png", suffix=".png")
        b = pdftoppm(self.copies[4], "-r", "150", "-png", suffix=".png")
        with tempfile.TemporaryDirectory() as d:
            pa, pb, out = Path(d) / "a.png", Path(d) / "b.png", Path(d) / "avg.png"
            pa.write_bytes(a)
            pb.write_bytes(b)
            subprocess.run(["/usr/bin/convert", str(pa), str(pb), "-evaluate-sequence", "mean", str(out)],
                           check=True, timeout=60)
            body = self.identify(out.read_bytes(), "avg.png", "image/png")
        self.assertEqual(body["pages_matched"], 1)
        self.assert_only_colluders(body, [alice, bob])
        # Averaging halves each colluder's signal: on one 40-line page that is short of the 1e-6 bar
        # (it answers `inconclusive`), but the two colluders still rank above every innocent.
        self.assertEqual({c["version_id"] for c in body["candidates"][:2]}, {alice["id"], bob["id"]}, body)
        for innocent in body["candidates"][2:]:
            self.assertGreater(innocent["false_match_probability"], 1e-3, body)

    def test_every_averaged_pair_and_both_pages_never_name_an_innocent(self):
        """Several pairs, both pages of the document, 150 and 96 dpi, and a JPEG of the average:
        each leak names only colluders or nobody."""
        pairs = [(1, 2, 150, "png"), (0, 3, 96, "png"), (2, 4, 150, "jpg")]
        for ia, ib, dpi, kind in pairs:
            with self.subTest(pair=(ia, ib), dpi=dpi, kind=kind), tempfile.TemporaryDirectory() as d:
                renders = []
                for i in (ia, ib):
                    src = Path(d) / f"c{i}.pdf"
                    src.write_bytes(self.copies[i])
                    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(src), str(Path(d) / f"c{i}")],
                                   check=True, timeout=60)
                    renders.append(sorted(Path(d).glob(f"c{i}-*.png")))
                pages = []
                for n, (pa, pb) in enumerate(zip(*renders)):
                    out = Path(d) / f"avg-{n}.png"
                    subprocess.run(["/usr/bin/convert", str(pa), str(pb), "-evaluate-sequence", "mean", str(out)],
                                   check=True, timeout=60)
                    pages.append(out)
                self.assertEqual(len(pages), 2)
                if kind == "jpg":
                    out = Path(d) / "avg.jpg"
                    subprocess.run(["/usr/bin/convert", str(pages[1]), "-quality", "75", str(out)],
                                   check=True, timeout=60)
                    body = self.identify(out.read_bytes(), "avg.jpg", "image/jpeg")
                else:
                    # Both averaged pages in one image-only PDF, as a colluder would hand it in.
                    # (mutool per page, then qpdf: Debian's ImageMagick policy refuses to write PDF)
                    singles = []
                    for n, png in enumerate(pages):
                        singles.append(Path(d) / f"avg-{n}.pdf")
                        subprocess.run(["mutool", "convert", "-o", str(singles[-1]), str(png)], check=True, timeout=60)
                    out = Path(d) / "avg.pdf"
                    r = subprocess.run(["qpdf", "--empty", "--pages", *map(str, singles), "--", str(out)], timeout=60)
                    self.assertIn(r.returncode, (0, 3))
                    body = self.identify(out.read_bytes(), "avg.pdf", "application/pdf")
                self.assertGreaterEqual(body["pages_matched"], 1, body)
                colluders = [self.versions[ia], self.versions[ib]]
                self.assert_only_colluders(body, colluders)
                for page in body["pages"]:
                    if page.get("attributed"):
                        self.assertIn(page["best_candidate"]["version_id"], {v["id"] for v in colluders}, body)


class CodewordCacheTests(h.ApiTestCase):
    """The server keeps each version's codeword between identifications; a document deleted and
    uploaded again (same bytes, new versions, possibly reused ids) must never be judged with the
    old versions' codes."""

    def issue(self, token, doc, tag):
        return [h.create_watermark_ok(server, token, doc["id"], method="tatou-geometry",
                                      intended_for=f"{tag}-{i}@example.com", secret=f"{tag} {i}",
                                      key=f"{tag}-key-{i}-xxxx") for i in range(3)]

    def identify(self, token, doc, version):
        pdf = http.get(server.url(f"/api/get-version/{version['link']}")).content
        leak = pdftoppm(pdf, "-r", "150", "-png", suffix=".png")
        r = http.post(server.url("/api/identify-leak"), files={
            "file": ("l.png", leak, "image/png"), "document_id": (None, str(doc["id"]))},
            headers=h.auth(token), timeout=120)
        self.assertEqual(r.status_code, 200, h.describe(r))
        return r.json()

    def test_repeated_and_reissued_after_delete(self):
        _, _, token = h.new_user(server)
        original = ghostscript_pdf(11)
        doc = h.upload_ok(server, token, data=original, name="cached")
        old = self.issue(token, doc, "old")
        first = self.identify(token, doc, old[1])
        second = self.identify(token, doc, old[1])
        self.assertEqual(first["verdict"], "attributed", first)
        self.assertEqual(first["attributed_to"], second["attributed_to"])
        self.assertEqual([c["version_id"] for c in first["candidates"]], [c["version_id"] for c in second["candidates"]])
        r = http.delete(server.url(f"/api/delete-document/{doc['id']}"), headers=h.auth(token))
        self.assertEqual(r.status_code, 200, h.describe(r))
        again = h.upload_ok(server, token, data=original, name="cached-again")
        new = self.issue(token, again, "new")
        body = self.identify(token, again, new[2])
        self.assertEqual(body["verdict"], "attributed", body)
        self.assertEqual([n["intended_for"] for n in body["attributed_to"]], ["new-2@example.com"], body)
        self.assertEqual(body["versions_compared"], 3)


class CliReportTests(h.ApiTestCase):
    """`tatou leak identify` on the server's data, and its signed report: a third party verifies it
    offline with the pinned key, and any edit to the named recipient breaks the seal."""

    def cli(self, *args):
        env = dict(os.environ)
        env.update(server.env)
        return subprocess.run([h.TATOU_BIN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env, timeout=300)

    def test_signed_report_verifies_offline_and_edits_are_caught(self):
        email, _, token = h.new_user(server)
        doc = h.upload_ok(server, token, data=ghostscript_pdf(21), name="report-doc")
        versions = [h.create_watermark_ok(server, token, doc["id"], method="tatou-geometry",
                                          intended_for=f"reported-{i}@example.com", secret=f"r{i}",
                                          key=f"report-key-{i}-xx") for i in range(3)]
        pdf = http.get(server.url(f"/api/get-version/{versions[2]['link']}")).content
        leak = pdftoppm(pdf, "-r", "150", "-jpeg", "-jpegopt", "quality=75", suffix=".jpg")
        with tempfile.TemporaryDirectory() as d:
            leak_path, report = Path(d) / "leak.jpg", Path(d) / "report"
            leak_path.write_bytes(leak)
            r = self.cli("leak", "identify", "--data-dir", server.datadir, "--owner", email,
                         "--document-id", str(doc["id"]), "--report", str(report), str(leak_path))
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            answer = json.loads(r.stdout)
            self.assertEqual(answer["verdict"], "attributed")
            self.assertEqual(answer["attributed_to"][0]["intended_for"], "reported-2@example.com")
            saved = json.loads((report / "attribution.json").read_text())
            self.assertEqual(saved["result"], answer)
            self.assertEqual(saved["tool"]["name"], "tatou leak identify")
            self.assertEqual(hashlib.sha256((report / saved["leak_file"]).read_bytes()).hexdigest(),
                             answer["leak_sha256"])
            pub = str(Path(server.datadir) / "ir-signing.pub")
            ok = self.cli("ir", "verify-bundle", str(report), "--public-key", pub)
            self.assertEqual(ok.returncode, 0, ok.stdout.decode() + ok.stderr.decode())
            # A forger names someone else: the manifest no longer matches.
            text = (report / "attribution.json").read_text().replace("reported-2@example.com", "reported-0@example.com")
            (report / "attribution.json").write_text(text)
            bad = self.cli("ir", "verify-bundle", str(report), "--public-key", pub)
            self.assertNotEqual(bad.returncode, 0, bad.stdout.decode())
            # The report folder must be new or empty.
            again = self.cli("leak", "identify", "--data-dir", server.datadir, "--owner", email,
                             "--report", str(report), str(leak_path))
            self.assertEqual(again.returncode, 2, again.stderr.decode())
            self.assertIn("new or empty", again.stderr.decode())


def audit_records(srv, action, count=1, timeout=10.0):
    """The audit log's `action` records, waiting (the writer is a thread) until there are `count`."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        with open(os.path.join(srv.datadir, "log", "audit.jsonl")) as f:
            found = [json.loads(line) for line in f if f'"{action}"' in line]
        found = [r for r in found if r["event"]["action"] == action]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def leak_metric(srv, verdict):
    text = http.get(f"http://127.0.0.1:{srv.admin_port}/metrics").text
    name = f'tatou_leak_identifications_total{{verdict="{verdict}"}} '
    for line in text.splitlines():
        if line.startswith(name):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not exported")


class LeakAuditTests(h.ApiTestCase):
    """Every identification is in the audit log as `leak_identified` (verdict, document, the
    best-ranked version and its false-match probability; never the leaked bytes) and counted in
    tatou_leak_identifications_total{verdict}; a refusal is not an identification."""

    def test_audit_record_and_metric_for_attributed_and_inconclusive(self):
        _, _, token = h.new_user(server)
        original = ghostscript_pdf(31)
        doc = h.upload_ok(server, token, data=original, name="audited")
        versions = [h.create_watermark_ok(server, token, doc["id"], method="tatou-geometry",
                                          intended_for=f"audited-{i}@example.com", secret=f"a{i}",
                                          key=f"audit-key-{i}-xxxx") for i in range(3)]
        pdf = http.get(server.url(f"/api/get-version/{versions[1]['link']}")).content
        leak = pdftoppm(pdf, "-r", "150", "-png", suffix=".png")
        before = {v: leak_metric(server, v) for v in ("attributed", "inconclusive")}
        seen = len(audit_records(server, "leak_identified", count=0))

        def identify(data, t=token, d=doc["id"]):
            return http.post(server.url("/api/identify-leak"), files={
                "file": ("l.png", data, "image/png"), "document_id": (None, str(d))},
                headers=h.auth(t), timeout=120)

        r = identify(leak)
        self.assertEqual(r.status_code, 200, h.describe(r))
        body = r.json()
        self.assertEqual(body["verdict"], "attributed", body)
        records = audit_records(server, "leak_identified", count=seen + 1)
        self.assertEqual(len(records), seen + 1)
        rec = records[-1]
        self.assertEqual(rec["event"]["outcome"], "success")
        self.assertEqual(rec["tatou"]["document_id"], doc["id"])
        self.assertEqual(rec["tatou"]["leak"]["verdict"], "attributed")
        self.assertEqual(rec["tatou"]["leak"]["top_version_id"], versions[1]["id"])
        self.assertEqual(rec["tatou"]["version_id"], versions[1]["id"])
        fmp = rec["tatou"]["leak"]["false_match_probability"]
        self.assertLessEqual(fmp, 1e-6)
        self.assertAlmostEqual(fmp, body["candidates"][0]["false_match_probability"],
                               delta=1e-5 * body["candidates"][0]["false_match_probability"])
        # Nothing of the leak itself: no bytes, no hash of them, nothing near their size.
        line = json.dumps(rec)
        self.assertLess(len(line), 4096)
        self.assertNotIn(body["leak_sha256"], line)
        self.assertNotIn("PNG", line)
        self.assertEqual(leak_metric(server, "attributed"), before["attributed"] + 1)

        # The unwatermarked original: inconclusive, still audited and counted, and no name given.
        r = identify(pdftoppm(original, "-r", "150", "-png", suffix=".png"))
        self.assertEqual(r.status_code, 200, h.describe(r))
        self.assertEqual(r.json()["verdict"], "inconclusive")
        rec = audit_records(server, "leak_identified", count=seen + 2)[-1]
        self.assertEqual(rec["tatou"]["leak"]["verdict"], "inconclusive")
        self.assertNotIn("version_id", rec["tatou"])
        self.assertGreater(rec["tatou"]["leak"]["false_match_probability"], 1e-6)
        self.assertEqual(leak_metric(server, "inconclusive"), before["inconclusive"] + 1)

        # Refused (someone else's document; garbage): no leak_identified, no count.
        _, _, stranger = h.new_user(server)
        self.assertEqual(identify(leak, t=stranger).status_code, 404)
        self.assertEqual(identify(b"not an image").status_code, 400)
        self.assertEqual(len(audit_records(server, "leak_identified", count=seen + 3, timeout=1)), seen + 2)
        self.assertEqual(leak_metric(server, "attributed"), before["attributed"] + 1)
        self.assertEqual(leak_metric(server, "inconclusive"), before["inconclusive"] + 1)


class CliAuditTests(unittest.TestCase):
    """`tatou leak identify` writes the same leak_identified record into the data folder's audit
    chain when no server holds it, and never appends behind a running server's back (that would
    fork the chain): then it says so and the record is only in its answer."""

    def test_cli_records_when_the_log_is_free_and_refuses_to_fork_a_live_chain(self):
        srv = h.Server()
        try:
            email, _, token = h.new_user(srv)
            doc = h.upload_ok(srv, token, data=ghostscript_pdf(41), name="cli-audit")
            versions = [h.create_watermark_ok(srv, token, doc["id"], method="tatou-geometry",
                                              intended_for=f"cli-{i}@example.com", secret=f"c{i}",
                                              key=f"cli-audit-key-{i}") for i in range(2)]
            pdf = http.get(srv.url(f"/api/get-version/{versions[0]['link']}")).content
            env = dict(os.environ)
            env.update(srv.env)
            with tempfile.TemporaryDirectory() as d:
                leak_path = Path(d) / "leak.png"
                leak_path.write_bytes(pdftoppm(pdf, "-r", "150", "-png", suffix=".png"))
                cmd = [h.TATOU_BIN, "leak", "identify", "--data-dir", srv.datadir, "--owner", email,
                       "--document-id", str(doc["id"]), str(leak_path)]
                live = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
                self.assertEqual(live.returncode, 0, live.stderr)
                self.assertTrue(json.loads(live.stdout)["audit"].startswith("not recorded"), live.stdout)
                self.assertIn("holds the audit log", live.stderr)
                srv.stop()
                self.assertEqual(audit_records(srv, "leak_identified", count=0), [])
                log = os.path.join(srv.datadir, "log", "audit.jsonl")
                with open(log) as f:
                    last_before = json.loads(f.readlines()[-1])
                done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
                self.assertEqual(done.returncode, 0, done.stderr)
                self.assertEqual(json.loads(done.stdout)["audit"], "recorded")
            with open(log) as f:
                tail = [json.loads(line) for line in f.readlines()]
            rec = tail[-1]
            self.assertEqual(rec["event"]["action"], "leak_identified")  # and no sys_shutdown after it
            self.assertEqual(rec["tatou"]["leak"]["verdict"], "attributed")
            self.assertEqual(rec["tatou"]["leak"]["top_version_id"], versions[0]["id"])
            self.assertEqual(rec["tatou"]["document_id"], doc["id"])
            # The chain goes on from the server's last record, and the server starts on it again.
            self.assertEqual(rec["tatou"]["audit"]["prev_hash"], last_before["event"]["hash"])
            srv.start()
            self.assertEqual(http.get(srv.url("/healthz")).status_code, 200)
        finally:
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
