// The token as private application data in each chosen page's page-piece dictionary
// (/PieceInfo, ISO 32000-1 §14.5). It is part of the page object, not of the document metadata,
// so stripping /Info and XMP leaves it, and page extraction carries it along; viewers ignore it.
#include "core/clock.hpp"
#include "watermark/sealed_method.hpp"

namespace tatou::watermark {

namespace {

constexpr const char* kApplication = "/TatouWatermark";

std::string pdf_date_now() {
    const std::string iso = iso8601_utc_now();  // YYYY-MM-DDTHH:MM:SS...
    std::string digits;
    for (char c : iso.substr(0, 19))
        if (c >= '0' && c <= '9') digits.push_back(c);
    return "D:" + digits + "Z";
}

class PagePieceCarrier final : public Carrier {
public:
    bool accepts_position(std::optional<std::string_view> position) const override {
        return parse_page_choice(position).has_value();
    }

    void place(QPDF&, std::vector<QPDFPageObjectHelper>& pages, const Placement& where) const override {
        const auto choice = require_page_choice(where.position);
        const auto date = QPDFObjectHandle::newString(pdf_date_now());
        for (std::size_t i = 0; i < pages.size(); ++i) {
            if (!page_chosen(choice, i, pages.size())) continue;
            auto page = pages[i].getObjectHandle();
            auto pieces = page.getKey("/PieceInfo");
            if (!pieces.isDictionary()) {
                pieces = QPDFObjectHandle::newDictionary();
                page.replaceKey("/PieceInfo", pieces);
            }
            auto data = QPDFObjectHandle::newDictionary();
            data.replaceKey("/LastModified", date);
            data.replaceKey("/Private", QPDFObjectHandle::newString(where.token));
            pieces.replaceKey(kApplication, data);
            page.replaceKey("/LastModified", date);  // required beside /PieceInfo
        }
    }

    void collect(QPDF&, std::vector<QPDFPageObjectHelper>& pages, Budget& budget,
                 EnvelopeReader& reader) const override {
        for (auto& page : pages) {
            budget.check_time();
            auto pieces = page.getObjectHandle().getKey("/PieceInfo");
            if (!pieces.isDictionary()) continue;
            auto data = pieces.getKey(kApplication);
            if (!data.isDictionary()) continue;
            auto priv = data.getKey("/Private");
            if (priv.isString()) reader.scan(priv.getStringValue());
            if (reader.opened()) return;
        }
    }
};

}  // namespace

std::unique_ptr<Carrier> make_page_piece_carrier() { return std::make_unique<PagePieceCarrier>(); }

}  // namespace tatou::watermark
