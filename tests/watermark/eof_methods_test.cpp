#include <gtest/gtest.h>

#include <fstream>

#include "test_support.hpp"
#include "watermark/methods/eof_record.hpp"
#include "watermark/pdf_inspect.hpp"
#include "watermark/registry.hpp"

using namespace tatou::watermark;

namespace {
constexpr const char* kSecret = "unit-test-secret";
constexpr const char* kKey = "unit-test-key";
}  // namespace

TEST(ToyEof, MatchesTheOriginalByteForByte) {
    EofRecordMethod m(toy_eof_flavor());
    const auto pdf = tatou::test::sample_pdf();
    const auto out = m.embed(pdf, {kSecret, kKey, std::nullopt, std::nullopt});
    const std::string expected =
        pdf + "\n%%WM-ADD-AFTER-EOF:v1\n" +
        "eyJ2IjoxLCJhbGciOiJITUFDLVNIQTI1NiIsIm1hYyI6IjBlMjA4ODkwMTEwZmYxNDRlMzMyYTY4OWVjMDQ2YzIwMzg0Y2Y5ZWI4Zjc2Yzkz"
        "ZDRjNWM1NmFmNGQ0NjA3MTAiLCJzZWNyZXQiOiJkVzVwZEMxMFpYTjBMWE5sWTNKbGRBPT0ifQ==\n";
    EXPECT_EQ(out, expected);
    EXPECT_EQ(m.read(out, kKey), kSecret);
}

TEST(BashBridgeEof, UsesItsOwnMarkerAndMacContext) {
    EofRecordMethod m(bash_bridge_eof_flavor());
    const auto out = m.embed(tatou::test::sample_pdf(), {kSecret, kKey, std::nullopt, std::nullopt});
    EXPECT_NE(out.find("\n%%WM-BASH-BRIDGE-EOF:v1\n"), std::string::npos);
    EXPECT_EQ(m.read(out, kKey), kSecret);
    EXPECT_THROW(EofRecordMethod(toy_eof_flavor()).read(out, kKey), SecretNotFound);
}

TEST(EofMethods, OutcomesAreDistinguished) {
    EofRecordMethod m(toy_eof_flavor());
    const auto pdf = tatou::test::sample_pdf();
    const auto out = m.embed(pdf, {kSecret, kKey, std::nullopt, std::nullopt});
    EXPECT_THROW(m.read(out, "wrong-key"), InvalidKey);
    EXPECT_THROW(m.read(pdf, kKey), SecretNotFound);
    EXPECT_THROW(m.read("not a pdf", kKey), InvalidInput);
    EXPECT_THROW(m.read(out, ""), InvalidInput);
    EXPECT_THROW(m.embed(pdf, {"", kKey, std::nullopt, std::nullopt}), InvalidInput);
    EXPECT_THROW(m.embed(pdf, {kSecret, "", std::nullopt, std::nullopt}), InvalidInput);
    EXPECT_THROW(m.embed("Not a PDF file", {kSecret, kKey, std::nullopt, std::nullopt}), InvalidInput);
    EXPECT_THROW(m.read(pdf + "\n%%WM-ADD-AFTER-EOF:v1\n!!!!\n", kKey), SecretNotFound);
    EXPECT_THROW(m.read(pdf + "\n%%WM-ADD-AFTER-EOF:v1\n\n", kKey), SecretNotFound);
}

TEST(EofMethods, LastRecordWinsAfterIncrementalAppends) {
    EofRecordMethod m(toy_eof_flavor());
    const auto once = m.embed(tatou::test::sample_pdf(), {"first", kKey, std::nullopt, std::nullopt});
    const auto twice = m.embed(once, {"second", kKey, std::nullopt, std::nullopt});
    EXPECT_EQ(m.read(twice, kKey), "second");
}

TEST(EofMethods, EveryRegisteredMethodRoundTripsOnGeneratedPdfs) {
    Registry registry;
    add_builtin_methods(registry);
    for (const auto& method : registry.all()) {
        for (int pages : {1, 20}) {
            const auto pdf = tatou::test::make_pdf(pages);
            ASSERT_TRUE(method->applicable(pdf, std::nullopt));
            const auto out = method->embed(pdf, {"who leaked", "k", std::nullopt, std::nullopt});
            EXPECT_GE(out.size(), pdf.size());
            EXPECT_EQ(out.substr(0, 5), "%PDF-");
            if (method->name() == "tatou-geometry") {
                // Its codeword is read non-blind from the layout (src/leak), never as a secret.
                EXPECT_THROW(method->read(out, "k"), SecretNotFound);
                continue;
            }
            EXPECT_EQ(method->read(out, "k"), "who leaked") << method->name();
        }
    }
}

TEST(PdfInspect, AcceptsRepairableSampleRejectsJunk) {
    EXPECT_EQ(inspect_pdf(tatou::test::sample_pdf()).verdict, PdfVerdict::ok);
    EXPECT_EQ(inspect_pdf(tatou::test::make_pdf(5)).facts.pages, 5);
    EXPECT_EQ(inspect_pdf("hello").verdict, PdfVerdict::not_pdf);
    EXPECT_EQ(inspect_pdf("%PDF-1.4\n%%EOF\n").verdict, PdfVerdict::unreadable);
    const auto full = tatou::test::make_pdf(3);
    EXPECT_NE(inspect_pdf(full.substr(0, 40)).verdict, PdfVerdict::ok);
}
