// Every PDF-structure method (ours and the original's annotation format): round trip, wrong key,
// absent watermark, the positions it accepts, the transformations its usage text claims, and
// hostile input. Ghostscript and mutool are exercised by bench/robustness/run.py in CI.
#include <gtest/gtest.h>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include <functional>

#include "test_support.hpp"
#include "watermark/content_text.hpp"
#include "watermark/pdf_doc.hpp"
#include "watermark/pdf_transforms.hpp"
#include "watermark/registry.hpp"

using namespace tatou;
using namespace tatou::watermark;

namespace {

struct Transform {
    const char* name;
    std::function<std::string(const std::string&)> apply;
};

const std::vector<Transform>& structural_transforms() {
    static const std::vector<Transform> all = {
        {"qpdf rewrite", test::qpdf_rewrite},
        {"object streams", test::with_object_streams},
        {"linearize", test::linearized},
        {"QDF", test::qdf},
        {"metadata stripped", test::without_metadata},
        {"first revision", test::first_revision},
        {"incremental edit afterwards", test::with_incremental_update},
    };
    return all;
}

const Registry& registry() {
    static const Registry r = [] {
        Registry reg;
        add_builtin_methods(reg);
        return reg;
    }();
    return r;
}

const Method& method(const std::string& name) {
    const auto* m = registry().find(name);
    if (m == nullptr) throw std::runtime_error("no method " + name);
    return *m;
}

std::string embed(const std::string& name, const std::string& pdf, std::optional<std::string_view> position = {}) {
    return method(name).embed(pdf, {"who leaked: copy 17", "the-owner-key", position, std::nullopt, "Alice"});
}

class RobustMethod : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(RobustMethod, RoundTripOnRepairedAndMultiPageInput) {
    for (const auto& input : {test::sample_pdf(), test::make_pdf(20)}) {
        const auto marked = embed(GetParam(), input);
        EXPECT_EQ(method(GetParam()).read(marked, "the-owner-key"), "who leaked: copy 17");
    }
}

TEST_P(RobustMethod, WrongKeyIsReportedAndNeverYieldsTheSecret) {
    const auto marked = embed(GetParam(), test::make_pdf(3));
    EXPECT_THROW(method(GetParam()).read(marked, "not-the-key"), InvalidKey);
}

TEST_P(RobustMethod, UnwatermarkedInputYieldsNothing) {
    for (const auto& input : {test::sample_pdf(), test::make_pdf(5), test::with_object_streams(test::make_pdf(2))})
        EXPECT_THROW(method(GetParam()).read(input, "the-owner-key"), SecretNotFound);
}

TEST_P(RobustMethod, SurvivesStructuralTransformations) {
    const auto marked = embed(GetParam(), test::make_pdf(4));
    for (const auto& t : structural_transforms()) {
        SCOPED_TRACE(t.name);
        EXPECT_EQ(method(GetParam()).read(t.apply(marked), "the-owner-key"), "who leaked: copy 17");
    }
}

TEST_P(RobustMethod, WorksOnEncryptedOpenableAndIncrementallyUpdatedInput) {
    for (const auto& input : {test::encrypted_openable(test::make_pdf(3)), test::with_incremental_update(test::make_pdf(3))}) {
        const auto marked = embed(GetParam(), input);
        EXPECT_EQ(method(GetParam()).read(marked, "the-owner-key"), "who leaked: copy 17");
    }
}

TEST_P(RobustMethod, RefusesWhatIsNotAPdf) {
    const auto& m = method(GetParam());
    EXPECT_THROW(embed(GetParam(), "hello"), InvalidInput);
    EXPECT_THROW(embed(GetParam(), "%PDF-1.7\n garbage that is no PDF at all"), InvalidInput);
    EXPECT_THROW(m.read("%PDF-1.4\n", "k"), InvalidInput);
    EXPECT_FALSE(m.applicable("not a pdf", std::nullopt));
    EXPECT_THROW(m.embed(test::make_pdf(1), {"", "k", {}, {}, {}}), InvalidInput);
    EXPECT_THROW(m.embed(test::make_pdf(1), {"s", "", {}, {}, {}}), InvalidInput);
    EXPECT_THROW(m.read(test::make_pdf(1), ""), InvalidInput);
}

INSTANTIATE_TEST_SUITE_P(Methods, RobustMethod,
                         ::testing::Values("phantom-annotation-g21", "tatou-content", "tatou-stamp",
                                           "tatou-annotation", "tatou-pieceinfo"),
                         [](const auto& info) {
                             std::string n = info.param;
                             for (auto& c : n)
                                 if (c == '-') c = '_';
                             return n;
                         });

class PageSpreadMethod : public ::testing::TestWithParam<std::string> {};

TEST_P(PageSpreadMethod, EveryPageCarriesACopy) {
    const auto marked = embed(GetParam(), test::make_pdf(6));
    for (int page : {0, 3, 5}) {
        SCOPED_TRACE(page);
        EXPECT_EQ(method(GetParam()).read(test::only_page(marked, page), "the-owner-key"), "who leaked: copy 17");
    }
}

TEST_P(PageSpreadMethod, PositionChoosesThePages) {
    const auto& m = method(GetParam());
    const auto first = embed(GetParam(), test::make_pdf(3), "first");
    EXPECT_EQ(m.read(test::only_page(first, 0), "the-owner-key"), "who leaked: copy 17");
    EXPECT_THROW(m.read(test::only_page(first, 2), "the-owner-key"), SecretNotFound);
    const auto last = embed(GetParam(), test::make_pdf(3), "last");
    EXPECT_EQ(m.read(test::only_page(last, 2), "the-owner-key"), "who leaked: copy 17");
    EXPECT_THROW(m.read(test::only_page(last, 0), "the-owner-key"), SecretNotFound);
    EXPECT_FALSE(m.applicable(test::make_pdf(1), "diagonal"));
    EXPECT_THROW(embed(GetParam(), test::make_pdf(1), "diagonal"), InvalidInput);
}

INSTANTIATE_TEST_SUITE_P(Methods, PageSpreadMethod,
                         ::testing::Values("tatou-content", "tatou-annotation", "tatou-pieceinfo"),
                         [](const auto& info) {
                             std::string n = info.param;
                             for (auto& c : n)
                                 if (c == '-') c = '_';
                             return n;
                         });

TEST(VisibleStamp, ShowsTheRecipientOnEveryPage) {
    const auto marked = embed("tatou-stamp", test::make_pdf(2), "top");
    auto q = open_pdf(marked);
    Budget budget;
    for (auto& page : pdf_pages(*q, budget)) {
        bool shown = false;
        for (const auto& text : shown_text_blocks(page_content(page, budget))) shown |= text == "Copy for Alice";
        EXPECT_TRUE(shown);
    }
    EXPECT_FALSE(method("tatou-stamp").applicable(test::make_pdf(1), "first"));
}

TEST(OwnMethods, ReadEachOthersSharedCarrierButNotOtherPlaces) {
    const auto stamped = embed("tatou-stamp", test::make_pdf(2));
    EXPECT_EQ(method("tatou-content").read(stamped, "the-owner-key"), "who leaked: copy 17");
    EXPECT_THROW(method("tatou-annotation").read(stamped, "the-owner-key"), SecretNotFound);
    EXPECT_THROW(method("tatou-pieceinfo").read(stamped, "the-owner-key"), SecretNotFound);
}

TEST(ContentText, JoinsSplitShowOperatorsAndSkipsInlineImages) {
    const std::string content =
        "BT /F1 1 Tf [(TW) -3 (M1) 120 (ab)] TJ (cd) Tj ET\n"
        "BI /W 2 /H 1 /CS /G /BPC 8 ID \x01\x02 EI\n"
        "BT (second) ' ET";
    const auto blocks = shown_text_blocks(content);
    ASSERT_EQ(blocks.size(), 2u);
    EXPECT_EQ(blocks[0], "TWM1abcd");
    EXPECT_EQ(blocks[1], "second");
}

TEST(HostileInput, DecompressionBombIsRefusedNotInflated) {
    // A page whose content stream inflates to 64 MiB: reading stops at the cap with a 4xx-class
    // error instead of inflating all of it.
    const std::string zeros(64u << 20, ' ');
    QPDF q;
    const auto base = test::make_pdf(1);
    q.processMemoryFile("in", base.data(), base.size());
    auto page = QPDFPageDocumentHelper(q).getAllPages().front();
    auto bomb = QPDFObjectHandle::newStream(&q, zeros);
    page.getObjectHandle().replaceKey("/Contents", bomb);
    QPDFWriter w(q);
    w.setOutputMemory();
    w.setCompressStreams(true);
    w.write();
    auto b = w.getBufferSharedPointer();
    const std::string pdf(reinterpret_cast<const char*>(b->getBuffer()), b->getSize());
    ASSERT_LT(pdf.size(), 1u << 20);
    EXPECT_THROW(method("tatou-content").read(pdf, "k"), InvalidInput);
    // Embedding copies streams without inflating them, so it stays small and succeeds.
    const auto marked = embed("tatou-content", pdf);
    EXPECT_LT(marked.size(), 1u << 20);
}

TEST(HostileInput, DeeplyNestedObjectsFailCleanly) {
    std::string nested = "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /X ";
    nested += std::string(100000, '[') + std::string(100000, ']');
    nested += " >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
              "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n"
              "trailer\n<< /Root 1 0 R >>\n%%EOF\n";
    for (const char* name : {"tatou-content", "tatou-annotation", "tatou-pieceinfo", "phantom-annotation-g21"}) {
        SCOPED_TRACE(name);
        try {
            const auto marked = embed(name, nested);
            EXPECT_EQ(method(name).read(marked, "the-owner-key"), "who leaked: copy 17");
        } catch (const InvalidInput&) {
            // refusing it is fine too; crashing or another exception type is not
        }
    }
}

TEST(HostileInput, GarbageNeverYieldsASecret) {
    std::string garbage = "%PDF-1.7\n";
    for (int i = 0; i < 4000; ++i) garbage.push_back(static_cast<char>((i * 7919) % 251));
    for (const auto& m : registry().all()) {
        SCOPED_TRACE(std::string(m->name()));
        try {
            m->read(garbage, "k");
            ADD_FAILURE() << "a secret came out of garbage";
        } catch (const WatermarkError&) {
        }
    }
}
