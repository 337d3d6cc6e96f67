"""The robust methods through the API: position values, the visible stamp naming intended_for,
no watermark → 404, wrong key → 400, and an unwatermarked upload never yielding a secret."""

import re
import subprocess
import tempfile
import unittest
from pathlib import Path

import harness as h
from harness import http

server = None
ROBUST = ("tatou-content", "tatou-stamp", "tatou-annotation", "tatou-pieceinfo", "phantom-annotation-g21")


def setUpModule():
    global server
    server = h.Server()


def tearDownModule():
    if server is not None:
        server.cleanup()


class RobustMethodsApiTests(h.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        _, _, cls.token = h.new_user(server)
        cls.doc = h.upload_ok(server, cls.token, data=h.MULTI_PAGE_PDF, name="report")

    def create(self, method, **extra):
        body = {"secret": "copy-for-carol", "key": "carol-key", "intended_for": "Carol Jones"}
        body.update(extra)
        return h.create_watermark(server, self.token, self.doc["id"], method=method, **body)

    def read(self, doc_id, method, key):
        return http.post(server.url(f"/api/read-watermark/{doc_id}"), json={"method": method, "key": key},
                         headers=h.auth(self.token))

    def download(self, link):
        r = http.get(server.url(f"/api/get-version/{link}"))
        self.assertEqual(r.status_code, 200, h.describe(r))
        return r.content

    def test_methods_are_listed_with_what_they_survive(self):
        methods = {m["name"]: m["description"] for m in
                   http.get(server.url("/api/get-watermarking-methods")).json()["methods"]}
        for name in ROBUST:
            self.assertIn(name, methods)
            self.assertIn("urvive", methods[name])
        self.assertIn("annotation", methods["phantom-annotation-g21"])

    def test_unknown_position_is_400_and_known_ones_work(self):
        for method, good, bad in (("tatou-content", "last", "middle"), ("tatou-annotation", "first", "diagonal"),
                                  ("tatou-pieceinfo", "all", "page-3"), ("tatou-stamp", "top", "first")):
            with self.subTest(method=method):
                self.assert_error(self.create(method, position=bad), 400)
                r = self.create(method, position=good)
                self.assertEqual(r.status_code, 201, h.describe(r))
                self.assertEqual(r.json()["position"], good)

    def test_no_watermark_is_404_and_wrong_key_is_400(self):
        for method in ROBUST:
            with self.subTest(method=method):
                self.assert_error(self.read(self.doc["id"], method, "carol-key"), 404)
                r = self.create(method)
                self.assertEqual(r.status_code, 201, h.describe(r))
                copy = h.upload_ok(server, self.token, data=self.download(r.json()["link"]), filename="leak.pdf")
                body = self.assert_error(self.read(copy["id"], method, "mallory-key"), 400)
                self.assertNotIn("copy-for-carol", str(body))
                ok = self.read(copy["id"], method, "carol-key")
                self.assertEqual(ok.status_code, 201, h.describe(ok))
                self.assertEqual(ok.json()["secret"], "copy-for-carol")

    def test_stamp_shows_intended_for(self):
        r = self.create("tatou-stamp")
        self.assertEqual(r.status_code, 201, h.describe(r))
        with tempfile.TemporaryDirectory() as d:
            pdf = Path(d) / "stamped.pdf"
            pdf.write_bytes(self.download(r.json()["link"]))
            qdf = Path(d) / "qdf.pdf"
            subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(pdf), str(qdf)], check=False)
            self.assertIn(b"(Copy for Carol Jones) Tj", qdf.read_bytes())

    def test_survives_a_qpdf_rewrite_of_the_leaked_copy(self):
        r = self.create("tatou-content")
        self.assertEqual(r.status_code, 201, h.describe(r))
        with tempfile.TemporaryDirectory() as d:
            src, dst = Path(d) / "in.pdf", Path(d) / "out.pdf"
            src.write_bytes(self.download(r.json()["link"]))
            subprocess.run(["qpdf", "--object-streams=generate", str(src), str(dst)], check=False)
            copy = h.upload_ok(server, self.token, data=dst.read_bytes(), filename="rewritten.pdf")
        ok = self.read(copy["id"], "tatou-content", "carol-key")
        self.assertEqual(ok.status_code, 201, h.describe(ok))
        self.assertEqual(ok.json()["secret"], "copy-for-carol")


# Versions made by the release before TWM2, kept as they were issued (the fuzzing corpus had them).
PRE_TWM2 = Path(__file__).resolve().parent / "fixtures" / "pre_twm2"
SEALED = ("tatou-content", "tatou-stamp", "tatou-annotation", "tatou-pieceinfo")


class KeyDerivationApiTests(h.ApiTestCase):
    """Auth class 7 (issue 14): a leaked copy must not let its holder test guesses of the owner's
    key at hash speed. Each sealed copy says, in its token, that its key is Argon2id-derived at
    the documented cost (TWM2, 2 passes, 19456 KiB); copies made before stay readable."""

    @classmethod
    def setUpClass(cls):
        _, _, cls.token = h.new_user(server)
        cls.doc = h.upload_ok(server, cls.token, data=h.MULTI_PAGE_PDF, name="kdf")

    def read(self, doc_id, method, key):
        return http.post(server.url(f"/api/read-watermark/{doc_id}"), json={"method": method, "key": key},
                         headers=h.auth(self.token))

    def test_a_leaked_copy_carries_only_a_memory_hard_token(self):
        for method in SEALED:
            with self.subTest(method=method):
                r = h.create_watermark(server, self.token, self.doc["id"], method=method, key="weak",
                                       secret="copy-for-dave")
                self.assertEqual(r.status_code, 201, h.describe(r))
                leaked = http.get(server.url(f"/api/get-version/{r.json()['link']}"))
                self.assertEqual(leaked.status_code, 200)
                with tempfile.TemporaryDirectory() as d:
                    src, qdf = Path(d) / "leak.pdf", Path(d) / "qdf.pdf"
                    src.write_bytes(leaked.content)
                    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(src), str(qdf)], check=False)
                    text = qdf.read_bytes()
                # Marker TWM2, then ops = 2 and mem_kib = 19456 (0x4c00), big-endian.
                found = re.findall(rb"TWM[0-9][0-9a-f]{0,16}", text)
                self.assertIn(b"TWM20000000200004c00", found, f"tokens in the copy: {found[:3]}")
                self.assertNotIn(b"TWM1", text)  # no hash-speed token beside it
                self.assertNotIn(b"copy-for-dave", text)
                copy = h.upload_ok(server, self.token, data=leaked.content, filename="leak.pdf")
                ok = self.read(copy["id"], method, "weak")
                self.assertEqual(ok.status_code, 201, h.describe(ok))
                self.assertEqual(ok.json()["secret"], "copy-for-dave")

    def test_copies_made_before_keep_their_derivation_and_stay_readable(self):
        # Made by the release before TWM2 with key "fuzz-key".
        for method in ("tatou-content", "tatou-annotation", "tatou-pieceinfo"):
            with self.subTest(method=method):
                data = (PRE_TWM2 / f"{method}.pdf").read_bytes()
                doc = h.upload_ok(server, self.token, data=data, filename="old.pdf")
                ok = self.read(doc["id"], method, "fuzz-key")
                self.assertEqual(ok.status_code, 201, h.describe(ok))
                self.assertEqual(ok.json()["secret"], "seed")
                self.assert_error(self.read(doc["id"], method, "fuzz-kez"), 400)

    def test_the_derivation_fits_the_smallest_pdf_job_budget(self):
        # TATOU_PDF_JOB_MEMORY_MB is for parsing; the key's 19 MiB come on top.
        small = h.Server(env={"TATOU_PDF_JOB_MEMORY_MB": "16"})
        try:
            _, _, token = h.new_user(small)
            doc = h.upload_ok(small, token)
            for method in SEALED:
                with self.subTest(method=method):
                    r = h.create_watermark(small, token, doc["id"], method=method)
                    self.assertEqual(r.status_code, 201, h.describe(r))
        finally:
            small.cleanup()


if __name__ == "__main__":
    unittest.main()
