// A hidden annotation (flag Hidden, outside the page) on each chosen page holds the token in its
// /Contents. Viewers neither draw nor list hidden annotations; structure-preserving rewriters
// (qpdf, mutool clean) keep them, and so does extracting any page that carries one.
#include "watermark/sealed_method.hpp"

namespace tatou::watermark {

namespace {

constexpr int kHiddenFlag = 2;

QPDFObjectHandle annotation_array(QPDFPageObjectHelper& page) {
    auto dict = page.getObjectHandle();
    auto annots = dict.getKey("/Annots");
    if (!annots.isArray()) {
        annots = QPDFObjectHandle::newArray();
        dict.replaceKey("/Annots", annots);
    }
    return annots;
}

class HiddenAnnotationCarrier final : public Carrier {
public:
    bool accepts_position(std::optional<std::string_view> position) const override {
        return parse_page_choice(position).has_value();
    }

    void place(QPDF& pdf, std::vector<QPDFPageObjectHelper>& pages, const Placement& where) const override {
        const auto choice = require_page_choice(where.position);
        for (std::size_t i = 0; i < pages.size(); ++i) {
            if (!page_chosen(choice, i, pages.size())) continue;
            auto annot = QPDFObjectHandle::newDictionary();
            annot.replaceKey("/Type", QPDFObjectHandle::newName("/Annot"));
            annot.replaceKey("/Subtype", QPDFObjectHandle::newName("/Text"));
            annot.replaceKey("/Rect", QPDFObjectHandle::newArray(QPDFObjectHandle::Rectangle(-2000, -2000, -1990, -1990)));
            annot.replaceKey("/F", QPDFObjectHandle::newInteger(kHiddenFlag));
            annot.replaceKey("/NM", QPDFObjectHandle::newString("tatou-wm"));
            annot.replaceKey("/Contents", QPDFObjectHandle::newString(where.token));
            annot.replaceKey("/P", pages[i].getObjectHandle());
            annotation_array(pages[i]).appendItem(pdf.makeIndirectObject(annot));
        }
    }

    void collect(QPDF&, std::vector<QPDFPageObjectHelper>& pages, Budget& budget,
                 EnvelopeReader& reader) const override {
        for (auto& page : pages) {
            budget.check_time();
            for (auto& annot : page.getAnnotations()) {
                auto contents = annot.getObjectHandle().getKey("/Contents");
                if (contents.isString()) reader.scan(contents.getStringValue());
                if (reader.opened()) return;
            }
        }
    }
};

}  // namespace

std::unique_ptr<Carrier> make_hidden_annotation_carrier() { return std::make_unique<HiddenAnnotationCarrier>(); }

}  // namespace tatou::watermark
