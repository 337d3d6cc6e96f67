// tatou-geometry: the codeword is in where lines are drawn, nothing else changes, and the limits
// the method promises (no glyph moves more than 0.6 pt, same pdftotext, rigid lines) hold on
// the positioning styles real producers use.
#include <gtest/gtest.h>
#include <sodium.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/crypto.hpp"
#include "leak/text_pdf.hpp"
#include "test_support.hpp"
#include "watermark/methods/geometry.hpp"
#include "watermark/registry.hpp"
#include "watermark/text_geometry.hpp"

using namespace tatou;
using namespace tatou::watermark;

namespace {

struct Layout {
    std::vector<std::vector<TextShow>> pages;
};

Layout parse_layout(const std::string& text) {
    Layout out;
    std::istringstream in(text);
    std::string tag;
    while (in >> tag) {
        if (tag == "page") {
            double skip;
            for (int i = 0; i < 6; ++i) in >> skip;
            out.pages.emplace_back();
        } else {
            TextShow s;
            in >> s.x >> s.y >> s.size;
            out.pages.back().push_back(s);
        }
    }
    return out;
}

std::string pdftotext(const std::string& pdf) {
    test::TempDir dir;
    const auto in = dir.path() / "in.pdf", out = dir.path() / "out.txt";
    std::ofstream(in, std::ios::binary) << pdf;
    const std::string cmd = "pdftotext -q '" + in.string() + "' '" + out.string() + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    std::ifstream f(out, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
}

const Method& method(const char* name) {
    static Registry r = [] {
        Registry reg;
        add_builtin_methods(reg);
        return reg;
    }();
    const Method* m = r.find(name);
    EXPECT_NE(m, nullptr);
    return *m;
}

// Each show moved by a line-wide offset of exactly ±kShift on both axes.
void expect_displaced(const std::string& original, const std::string& marked) {
    const auto a = parse_layout(text_layout(original)), b = parse_layout(text_layout(marked));
    ASSERT_EQ(a.pages.size(), b.pages.size());
    std::size_t moved = 0;
    for (std::size_t p = 0; p < a.pages.size(); ++p) {
        ASSERT_EQ(a.pages[p].size(), b.pages[p].size());
        for (const auto& line : text_lines(a.pages[p])) {
            const auto& first = line.shows.front();
            const double dx = b.pages[p][first].x - a.pages[p][first].x, dy = b.pages[p][first].y - a.pages[p][first].y;
            EXPECT_NEAR(std::fabs(dx), kShift, 1e-3);
            EXPECT_NEAR(std::fabs(dy), kShift, 1e-3);
            EXPECT_LE(std::hypot(dx, dy), 0.6);
            for (const auto s : line.shows) {  // the line moves as one: no reflow inside it
                EXPECT_NEAR(b.pages[p][s].x - a.pages[p][s].x, dx, 1e-3);
                EXPECT_NEAR(b.pages[p][s].y - a.pages[p][s].y, dy, 1e-3);
            }
            ++moved;
        }
    }
    EXPECT_GT(moved, 0u);
}

}  // namespace

class GeometryStyles : public ::testing::TestWithParam<test::TextStyle> {};

TEST_P(GeometryStyles, MovesEveryLineRigidlyWithinLimitsAndKeepsText) {
    const std::string original = test::text_pdf(2, 30, 7, GetParam());
    const std::string marked = method("tatou-geometry").embed_checked(original, {"alice-secret", "k1", {}, {}, {}});
    expect_displaced(original, marked);
    EXPECT_EQ(pdftotext(marked), pdftotext(original));
    EXPECT_FALSE(pdftotext(original).empty());
}

INSTANTIATE_TEST_SUITE_P(Producers, GeometryStyles,
                         ::testing::Values(test::TextStyle::td, test::TextStyle::leading, test::TextStyle::tm));

TEST(Geometry, CodewordDependsOnKeyAndSecret) {
    const std::string original = test::text_pdf(1, 40, 3);
    const auto& m = method("tatou-geometry");
    const auto base = parse_layout(text_layout(original));
    auto signs = [&](const std::string& secret, const std::string& key) {
        const auto l = parse_layout(text_layout(m.embed(original, {secret, key, {}, {}, {}})));
        std::string bits;
        for (std::size_t i = 0; i < l.pages[0].size(); ++i) bits += l.pages[0][i].y > base.pages[0][i].y ? '1' : '0';
        return bits;
    };
    const auto a = signs("alice", "k1");
    EXPECT_EQ(a, signs("alice", "k1"));  // deterministic: the same version embeds the same codeword
    for (const auto& other : {signs("bob", "k1"), signs("alice", "k2")}) {
        int differ = 0;
        for (std::size_t i = 0; i < a.size(); ++i) differ += a[i] != other[i];
        EXPECT_GT(differ, 10);  // about half of 80 shows; never (nearly) the same codeword
    }
}

TEST(Geometry, NothingMarkableIsNotApplicable) {
    const auto& m = method("tatou-geometry");
    EXPECT_FALSE(m.applicable(test::textless_pdf(), std::nullopt));
    EXPECT_THROW(m.embed_checked(test::textless_pdf(), {"s", "k", {}, {}, {}}), NotApplicable);
    EXPECT_THROW(m.embed(test::textless_pdf(), {"s", "k", {}, {}, {}}), NotApplicable);
    EXPECT_FALSE(m.applicable(test::text_pdf(1, 5, 1), std::string_view("first")));
    EXPECT_THROW(m.embed(std::string("not a pdf"), {"s", "k", {}, {}, {}}), InvalidInput);
}

TEST(Geometry, ReadPointsToIdentifyLeak) {
    const auto& m = method("tatou-geometry");
    const auto marked = m.embed(test::text_pdf(1, 10, 1), {"s", "k", {}, {}, {}});
    EXPECT_THROW(m.read(marked, "k"), SecretNotFound);
}

TEST(Geometry, LayeredWithContentReadsTheSecretAndKeepsGeometry) {
    const std::string original = test::text_pdf(2, 25, 11);
    const auto& m = method("tatou-geometry-content");
    const auto marked = m.embed_checked(original, {"carol-secret", "ck", {}, {}, {}});
    EXPECT_EQ(m.read(marked, "ck"), "carol-secret");
    EXPECT_THROW(m.read(marked, "wrong"), WatermarkError);
    expect_displaced(original, marked);  // the invisible layer adds no visible show
    // The visible text is the original's; tatou-content's invisible token line is all that is added.
    std::string visible;
    std::istringstream lines(pdftotext(marked));
    for (std::string line; std::getline(lines, line);)
        if (!line.empty() && line.rfind("TWM", 0) != 0) visible += line + "\n";
    std::string expected;
    std::istringstream orig(pdftotext(original));
    for (std::string line; std::getline(orig, line);)
        if (!line.empty()) expected += line + "\n";
    EXPECT_EQ(visible, expected);
}

// Issue 14, auth class 7: with a leaked copy, the original and the secret, each guess of the key
// must cost an Argon2id derivation, not one HMAC. Re-derived here with libsodium directly.
TEST(Geometry, CodewordKeyIsArgon2idStretched) {
    std::string salt(crypto_pwhash_SALTBYTES, '\0');
    const std::string salted = "tatou-geometry/v2 salt\nalice";
    crypto_generichash(reinterpret_cast<unsigned char*>(salt.data()), salt.size(),
                       reinterpret_cast<const unsigned char*>(salted.data()), salted.size(), nullptr, 0);
    std::string stretched(32, '\0');
    ASSERT_EQ(crypto_pwhash(reinterpret_cast<unsigned char*>(stretched.data()), stretched.size(), "k1", 2,
                            reinterpret_cast<const unsigned char*>(salt.data()), 2, 19456u * 1024,
                            crypto_pwhash_ALG_ARGON2ID13),
              0);
    EXPECT_EQ(geometry_key_material("k1", "alice"), tatou::crypto::hmac_sha256(stretched, "tatou-geometry/v2\nalice"));
    // Not the hash-speed v1 material.
    EXPECT_NE(geometry_key_material("k1", "alice"), tatou::crypto::hmac_sha256("k1", "tatou-geometry/v1\nalice"));
}
