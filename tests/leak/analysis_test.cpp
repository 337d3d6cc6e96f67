// Leak identification on real renders: poppler draws the original and the issued version, the
// "leak" is what a leaker would make of the version (rasterized, JPEG-compressed, rotated,
// cropped), and the right recipient must come first with a tiny false-match probability while
// an unwatermarked copy and unrelated codewords stay far from the threshold.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "leak/analysis.hpp"
#include "leak/layout.hpp"
#include "leak/raster.hpp"
#include "leak/score.hpp"
#include "leak/text_pdf.hpp"
#include "watermark/methods/geometry.hpp"
#include "watermark/registry.hpp"

using namespace tatou;
using namespace tatou::leak;

namespace {

constexpr double kDpi = 150;

struct Issued {
    std::string original;
    DocLayout layout;
    std::vector<cv::Mat> renders;
    std::vector<std::string> versions;
    std::vector<VersionCode> codes;
};

Issued issue(int pages, int recipients, unsigned seed) {
    watermark::Registry r;
    watermark::add_builtin_methods(r);
    const auto* m = r.find("tatou-geometry");
    Issued out;
    out.original = test::text_pdf(pages, 42, seed);
    out.layout = parse_layout(watermark::text_layout(out.original));
    out.renders = render_pdf(out.original, kDpi, {});
    for (int i = 0; i < recipients; ++i) {
        const std::string who = "recipient-" + std::to_string(i);
        out.versions.push_back(m->embed(out.original, {who, "key-" + who, {}, {}, {}}));
        out.codes.push_back({i + 1, who, "tatou-geometry",
                             codeword(out.layout, parse_layout(watermark::text_layout(out.versions.back())))});
    }
    return out;
}

std::vector<cv::Mat> jpeg(const std::vector<cv::Mat>& pages, int quality) {
    std::vector<cv::Mat> out;
    for (const auto& p : pages) {
        std::vector<uchar> buf;
        cv::imencode(".jpg", p, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
        out.push_back(cv::imdecode(buf, cv::IMREAD_GRAYSCALE));
    }
    return out;
}

std::vector<Candidate> identify(const Issued& d, const std::vector<cv::Mat>& leak) {
    return score_versions(analyse(d.renders, d.layout, leak, kDpi), d.codes);
}

}  // namespace

TEST(LeakCodeword, RecoveredFromTheVersionFile) {
    const auto d = issue(1, 2, 5);
    for (const auto& c : d.codes) {
        ASSERT_TRUE(carries_code(c.code));
        for (const auto& l : c.code[0]) EXPECT_TRUE(l.x != 0 && l.y != 0);
    }
    EXPECT_FALSE(carries_code(codeword(d.layout, d.layout)));  // the original carries none
}

TEST(LeakAnalysis, RasterizedJpegLeakNamesTheRecipient) {
    const auto d = issue(2, 12, 9);
    const auto leak = jpeg(render_pdf(d.versions[7], 150, {}), 75);
    const auto ranked = identify(d, {leak[1]});  // one page is enough
    ASSERT_FALSE(ranked.empty());
    EXPECT_EQ(ranked[0].version_id, 8);
    EXPECT_LT(ranked[0].false_match_probability, 1e-6) << ranked[0].score;
    EXPECT_GT(ranked[1].false_match_probability, 1e-3) << ranked[1].score;
}

TEST(LeakAnalysis, RotatedScaledCroppedScreenshotNamesTheRecipient) {
    const auto d = issue(1, 8, 21);
    cv::Mat page = render_pdf(d.versions[2], 200, {})[0];
    cv::Mat rot = cv::getRotationMatrix2D(cv::Point2f(page.cols / 2.f, page.rows / 2.f), 1.0, 0.9);
    cv::Mat turned;
    cv::warpAffine(page, turned, rot, page.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 255);
    const cv::Mat crop = turned(cv::Rect(0, page.rows / 6, page.cols, page.rows * 2 / 3)).clone();
    const auto ranked = identify(d, jpeg({crop}, 85));
    EXPECT_EQ(ranked[0].version_id, 3);
    EXPECT_LT(ranked[0].false_match_probability, 1e-6) << ranked[0].score;
}

TEST(LeakAnalysis, UnwatermarkedOriginalIsNobody) {
    const auto d = issue(1, 20, 33);
    const auto ranked = identify(d, jpeg(render_pdf(d.original, 150, {}), 75));
    for (const auto& c : ranked) EXPECT_GT(c.false_match_probability, 1e-3) << c.version_id << " " << c.score;
}

TEST(LeakAnalysis, AnotherDocumentMatchesNoPage) {
    const auto d = issue(1, 3, 41);
    const auto other = render_pdf(test::text_pdf(1, 30, 999), 150, {});
    EXPECT_TRUE(analyse(d.renders, d.layout, other, kDpi).empty());
}

TEST(LeakRaster, RefusesGarbageAndPixelBombs) {
    EXPECT_THROW(decode_leak("hello world, not an image", 150, {}), RasterError);
    // A PNG header claiming 100000 × 100000 pixels is refused before anything is decoded.
    std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\x01\x86\xa0\0\x01\x86\xa0\x08\0\0\0\0", 33);
    EXPECT_THROW(decode_leak(png, 150, {}), RasterError);
    EXPECT_THROW(decode_leak("%PDF-1.4\nnot really\n%%EOF\n", 150, {}), RasterError);
}
