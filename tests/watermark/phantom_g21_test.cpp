// The original's phantom-annotation-g21 format, checked against the test vectors of
// platform.md §5.6 and against a record built from them by hand (what the original wrote).
#include "watermark/methods/phantom_g21.hpp"

#include <gtest/gtest.h>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include "core/crypto.hpp"
#include "test_support.hpp"
#include "watermark/pdf_transforms.hpp"

using namespace tatou;
using namespace tatou::watermark;

namespace {

std::string bytes_range(int from, int to) {
    std::string s;
    for (int i = from; i < to; ++i) s.push_back(static_cast<char>(i));
    return s;
}

constexpr const char* kTs = "2025-01-01T00:00:00+00:00";

// A PDF carrying the vector record in a page-1 annotation, as the original's writer made it.
std::string pdf_with_vector_record() {
    const auto s = g21::seal(g21::plaintext(std::nullopt, "unit-test-secret", kTs), "unit-test-key",
                             bytes_range(0, 16), bytes_range(16, 32), kTs);
    const std::string record = std::string("{\"version\":\"1.0\",\"provider_signature\":\"G21-Phantom\",\"timestamp\":\"") +
                               kTs + "\",\"salt\":\"" + s.salt_b64 + "\",\"payload_encrypted\":\"" +
                               s.payload_encrypted + "\",\"iv\":\"" + s.iv_b64 + "\",\"hmac\":\"" + s.hmac +
                               "\",\"client_tracking\":false}";
    const std::string base = test::make_pdf(2);
    QPDF q;
    q.processMemoryFile("in", base.data(), base.size());
    auto page = QPDFPageDocumentHelper(q).getAllPages().front().getObjectHandle();
    auto annot = QPDFObjectHandle::parse("<< /Type /Annot /Subtype /Text /Rect [-1000 1772 -980 1792] /F 5 >>");
    annot.replaceKey("/T", QPDFObjectHandle::newUnicodeString("G21-Phantom_TS80614f"));
    annot.replaceKey("/Contents", QPDFObjectHandle::newUnicodeString(record));
    page.replaceKey("/Annots", QPDFObjectHandle::newArray({q.makeIndirectObject(annot)}));
    QPDFWriter w(q);
    w.setOutputMemory();
    w.write();
    auto b = w.getBufferSharedPointer();
    return std::string(reinterpret_cast<const char*>(b->getBuffer()), b->getSize());
}

}  // namespace

TEST(Pbkdf2, Rfc7914Vector) {
    EXPECT_EQ(crypto::to_hex(crypto::pbkdf2_hmac_sha256("passwd", "salt", 1, 64)),
              "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
              "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
    EXPECT_EQ(crypto::to_hex(crypto::pbkdf2_hmac_sha256("Password", "NaCl", 80000, 64)).substr(0, 16),
              "4ddcd8f60b98be21");
}

TEST(PhantomG21, SpecTestVectors) {
    EXPECT_EQ(crypto::to_hex(g21::derive_key("unit-test-key", bytes_range(0, 16))),
              "7a3223ba0a97a4a1c7f13e1447684eb229e7d01494f839053b8d284c815540e3");
    const auto plain = g21::plaintext(std::nullopt, "unit-test-secret", kTs);
    EXPECT_EQ(plain,
              "{\"version\":\"1.0\",\"provider\":\"G21-Phantom\",\"client\":\"unknown\",\"content\":\"unit-test-secret\","
              "\"timestamp\":\"2025-01-01T00:00:00+00:00\",\"session_type\":\"standard\"}");
    const auto s = g21::seal(plain, "unit-test-key", bytes_range(0, 16), bytes_range(16, 32), kTs);
    EXPECT_EQ(s.salt_b64, "AAECAwQFBgcICQoLDA0ODw==");
    EXPECT_EQ(s.iv_b64, "EBESExQVFhcYGRobHB0eHw==");
    EXPECT_EQ(s.payload_encrypted,
              "hSoaa2ou4tERJ8gS+HJACtC5oWHDgawuLbetBsgfe2Ge2Q426BAeNkO42jiJFmsXsoE4ESz5xlfiteWRYc8M5N0SFt+rOmsZn/"
              "lGuj+d096ENYYCyUZP/6lZgbgdWRggAXAJjgfRHBdmTNYEx6y669wBtbeVoPrGtpzifEBRqCav6pq70fmJyrnii+eXs+PYQPxOrFscD4dQgPjE");
    EXPECT_EQ(s.hmac, "5321e8f8f6a858c9e03214bb1816bd51d72a2e27432a5b03a89cb9460ba0f961");
    EXPECT_EQ(crypto::sha256_hex(kTs).substr(0, 6), "80614f");
}

TEST(PhantomG21, ReadsTheOriginalsRecord) {
    PhantomG21Method m;
    const auto pdf = pdf_with_vector_record();
    EXPECT_EQ(m.read(pdf, "unit-test-key"), "unit-test-secret");
    EXPECT_EQ(m.read(test::qpdf_rewrite(pdf), "unit-test-key"), "unit-test-secret");
    EXPECT_THROW(m.read(pdf, "another-key"), InvalidKey);
}

TEST(PhantomG21, RmapRecordsNameTheClient) {
    const auto plain = g21::plaintext(std::string_view("Group_07"), "s", kTs);
    EXPECT_NE(plain.find("\"client\":\"Group_07\""), std::string::npos);
    EXPECT_NE(plain.find("\"session_type\":\"rmap\""), std::string::npos);
    EXPECT_EQ(g21::python_timestamp_now().size(), std::string("2025-01-01T00:00:00.000000+00:00").size());
}
