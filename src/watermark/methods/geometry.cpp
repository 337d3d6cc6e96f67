#include "watermark/methods/geometry.hpp"

#include <sodium.h>

#include <cstdio>

#include "core/crypto.hpp"
#include "watermark/envelope.hpp"
#include "watermark/pdf_doc.hpp"
#include "watermark/text_geometry.hpp"

namespace tatou::watermark {

namespace {

bool position_ok(std::optional<std::string_view> position) {
    return !position || position->empty() || *position == "all";
}

// Two codeword bits per line: the sign of its horizontal and of its vertical shift, from
// geometry_key_material (key stretched by Argon2id, mixed with the secret) so that neither
// alone, nor another version's codeword, predicts them; lines are numbered per page from the top.
class Codeword {
public:
    Codeword(std::string_view key, std::string_view secret) : material_(geometry_key_material(key, secret)) {}

    Offset line(std::size_t page, std::size_t line) const {
        const std::string h = crypto::hmac_sha256(material_, std::to_string(page) + ":" + std::to_string(line));
        const auto bits = static_cast<unsigned char>(h[0]);
        return {(bits & 1) ? kShift : -kShift, (bits & 2) ? kShift : -kShift};
    }

private:
    std::string material_;
};

struct PageText {
    QPDFPageObjectHelper page;
    std::string content;
    std::size_t shows = 0;
};

// `count_shows` off: embed learns that a page has no text from the rewrite itself, which saves a
// third walk over every content stream.
std::vector<PageText> read_pages(QPDF& doc, Budget& budget, bool count_shows = true) {
    std::vector<PageText> out;
    for (auto& page : pdf_pages(doc, budget)) {
        budget.check_time();
        PageText p{page, page_content(page, budget), 0};
        if (count_shows) p.shows = text_shows(p.content).size();
        out.push_back(std::move(p));
    }
    return out;
}

std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    return buf;
}

}  // namespace

std::string geometry_key_material(std::string_view key, std::string_view secret) {
    // The salt comes from the secret: one per version, and nothing the copy has to carry.
    std::string salt(crypto_pwhash_SALTBYTES, '\0');
    const std::string salted = "tatou-geometry/v2 salt\n" + std::string(secret);
    crypto_generichash(reinterpret_cast<unsigned char*>(salt.data()), salt.size(),
                       reinterpret_cast<const unsigned char*>(salted.data()), salted.size(), nullptr, 0);
    std::string stretched = derive_key_argon2id(key, salt, kWatermarkKdf);
    std::string material = crypto::hmac_sha256(stretched, "tatou-geometry/v2\n" + std::string(secret));
    sodium_memzero(stretched.data(), stretched.size());
    return material;
}

bool GeometryMethod::applicable(std::string_view pdf, std::optional<std::string_view> position) const {
    if (!position_ok(position)) return false;
    try {
        auto doc = open_pdf(pdf);
        Budget budget;
        for (const auto& p : read_pages(*doc, budget))
            if (p.shows > 0) return true;
    } catch (const std::exception&) {
    }
    return false;
}

std::string GeometryMethod::embed(std::string_view pdf, const EmbedParams& params) const {
    if (!position_ok(params.position)) throw InvalidInput("Unknown position for this method (use all)");
    if (params.key.empty()) throw InvalidInput("Key must be a non-empty string");
    const Codeword code(params.key, params.secret);
    auto doc = open_pdf(pdf);
    Budget budget;
    auto pages = read_pages(*doc, budget, false);
    std::size_t marked = 0;
    try {
        for (std::size_t i = 0; i < pages.size(); ++i) {
            budget.check_time();
            const std::string moved =
                displace_lines(pages[i].content, [&](std::size_t line) { return code.line(i, line); });
            // Every line moves on both axes, so an unchanged stream is a page without visible
            // text: it cannot carry the codeword.
            if (moved == pages[i].content) continue;
            pages[i].page.getObjectHandle().replaceKey("/Contents", QPDFObjectHandle::newStream(doc.get(), moved));
            ++marked;
        }
    } catch (const WatermarkError&) {
        throw;
    } catch (const std::exception&) {
        throw InvalidInput("PDF structure could not be watermarked");
    }
    if (marked == 0) throw NotApplicable("no page has visible text to carry the codeword");
    std::string out = write_pdf(*doc);
    if (!layered_) return out;
    EmbedParams inner = params;
    inner.position = std::nullopt;
    return layered_->embed(out, inner);
}

std::string GeometryMethod::read(std::string_view pdf, std::string_view key) const {
    if (layered_) return layered_->read(pdf, key);
    if (key.empty()) throw InvalidInput("Key must be a non-empty string");
    require_pdf_header(pdf);
    throw SecretNotFound("tatou-geometry carries no readable secret; identify a leak with POST /api/identify-leak");
}

std::string text_layout(std::string_view pdf) {
    require_pdf_header(pdf);
    auto doc = open_pdf(pdf);
    Budget budget;
    auto pages = pdf_pages(*doc, budget);
    std::string out;
    for (std::size_t i = 0; i < pages.size(); ++i) {
        budget.check_time();
        auto box = pages[i].getCropBox(true).getArrayAsRectangle();
        int rotate = 0;
        auto r = pages[i].getAttribute("/Rotate", false);
        if (r.isInteger()) rotate = static_cast<int>(((r.getIntValue() % 360) + 360) % 360);
        out += "page " + std::to_string(i) + " " + fmt(box.llx) + " " + fmt(box.lly) + " " + fmt(box.urx) + " " +
               fmt(box.ury) + " " + std::to_string(rotate) + "\n";
        std::string content;
        try {
            content = page_content(pages[i], budget);
        } catch (const InvalidInput&) {
            throw;
        }
        for (const auto& s : text_shows(content))
            out += "s " + fmt(s.x) + " " + fmt(s.y) + " " + fmt(s.size) + "\n";
    }
    return out;
}

}  // namespace tatou::watermark
