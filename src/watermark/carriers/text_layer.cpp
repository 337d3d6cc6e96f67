// Carriers that draw into the page content itself. The token is shown as invisible text
// (rendering mode 3) in a base-14 font on every chosen page: rewriters that keep the page's text
// (qpdf, mutool, Ghostscript's pdfwrite, which keeps shown string bytes even when it subsets
// fonts) keep the token, and it survives metadata scrubbing and page extraction because it is
// part of what each page draws. The visible stamp adds "Copy for <recipient>" for deterrence.
#include <map>

#include "watermark/content_text.hpp"
#include "watermark/sealed_method.hpp"

namespace tatou::watermark {

namespace {

constexpr const char* kTokenFont = "/TatouWm1";
constexpr const char* kStampFont = "/TatouWm2";

QPDFObjectHandle base14_font(QPDF& pdf, const char* base_font) {
    auto font = QPDFObjectHandle::newDictionary();
    font.replaceKey("/Type", QPDFObjectHandle::newName("/Font"));
    font.replaceKey("/Subtype", QPDFObjectHandle::newName("/Type1"));
    font.replaceKey("/BaseFont", QPDFObjectHandle::newName(base_font));
    font.replaceKey("/Encoding", QPDFObjectHandle::newName("/WinAnsiEncoding"));
    return pdf.makeIndirectObject(font);
}

void add_font(QPDFPageObjectHelper& page, const char* name, QPDFObjectHandle font) {
    auto resources = own_resources(page);
    auto fonts = resources.getKey("/Font");
    if (!fonts.isDictionary()) {
        fonts = QPDFObjectHandle::newDictionary();
        resources.replaceKey("/Font", fonts);
    }
    fonts.replaceKey(name, font);
}

struct Box {
    double llx = 0, lly = 0, urx = 612, ury = 792;
};

Box box_of(QPDFPageObjectHelper& page) {
    Box b;
    auto media = page.getMediaBox();
    QPDFObjectHandle::Rectangle r;
    if (media.isRectangle()) {
        r = media.getArrayAsRectangle();
        b = {std::min(r.llx, r.urx), std::min(r.lly, r.ury), std::max(r.llx, r.urx), std::max(r.lly, r.ury)};
    }
    return b;
}

std::string pdf_literal(std::string_view text) {
    std::string out = "(";
    for (char c : text) {
        if (c == '(' || c == ')' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back(')');
    return out;
}

// WinAnsi shows printable ASCII and, from U+00A0 to U+00FF, Latin-1 at the same code; other
// characters become '?' so the stamp stays legible.
std::string stamp_text(std::optional<std::string_view> recipient) {
    std::string name;
    const std::string_view in = recipient.value_or("");
    for (std::size_t i = 0; i < in.size() && name.size() < 120;) {
        const auto c = static_cast<unsigned char>(in[i]);
        if (c < 0x80) {
            name.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
            ++i;
            continue;
        }
        std::size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        unsigned code = c & (0x3f >> (len - 1));
        for (std::size_t k = 1; k < len && i + k < in.size(); ++k)
            code = (code << 6) | (static_cast<unsigned char>(in[i + k]) & 0x3f);
        name.push_back(code >= 0xa0 && code <= 0xff ? static_cast<char>(code) : '?');
        i += len;
    }
    return "Copy for " + (name.empty() ? std::string("its recipient") : name);
}

std::string number(double v) { return std::to_string(static_cast<long long>(v)); }

enum class StampEdge { none, bottom, top };

// The original content runs inside q…Q so whatever state it leaves behind cannot move or show
// what follows; the token is drawn last.
class ContentLayer {
public:
    ContentLayer(QPDF& pdf, const std::string& token, StampEdge edge, std::string stamp)
        : pdf_(pdf), token_(token), edge_(edge), stamp_(std::move(stamp)) {}

    void apply(QPDFPageObjectHelper& page) {
        if (!token_font_.isInitialized()) {
            token_font_ = base14_font(pdf_, "/Courier");
            if (edge_ != StampEdge::none) stamp_font_ = base14_font(pdf_, "/Helvetica");
            save_ = QPDFObjectHandle::newStream(&pdf_, "q\n");
        }
        add_font(page, kTokenFont, token_font_);
        if (edge_ != StampEdge::none) add_font(page, kStampFont, stamp_font_);
        page.addPageContents(save_, true);
        page.addPageContents(stream_for(box_of(page)), false);
    }

private:
    // Pages of one size share one stream, so a 500-page document gains two objects, not 500.
    QPDFObjectHandle stream_for(const Box& b) {
        const std::string key = number(b.llx) + " " + number(b.lly) + " " + number(b.urx) + " " + number(b.ury);
        auto it = streams_.find(key);
        if (it != streams_.end()) return it->second;
        std::string ops = "Q\nq BT 3 Tr " + std::string(kTokenFont) + " 1 Tf 1 0 0 1 " + number(b.llx + 1) +
                          " " + number(b.lly + 1) + " Tm " + pdf_literal(token_) + " Tj ET Q\n";
        if (edge_ != StampEdge::none) {
            const double y = edge_ == StampEdge::bottom ? b.lly + 14 : b.ury - 22;
            ops += "q 0.45 g BT " + std::string(kStampFont) + " 8 Tf 1 0 0 1 " + number(b.llx + 36) + " " +
                   number(y) + " Tm " + pdf_literal(stamp_) + " Tj ET Q\n";
        }
        auto stream = QPDFObjectHandle::newStream(&pdf_, ops);
        streams_.emplace(key, stream);
        return stream;
    }

    QPDF& pdf_;
    const std::string& token_;
    StampEdge edge_;
    std::string stamp_;
    QPDFObjectHandle token_font_, stamp_font_, save_;
    std::map<std::string, QPDFObjectHandle> streams_;
};

void collect_shown_text(std::vector<QPDFPageObjectHelper>& pages, Budget& budget, EnvelopeReader& reader) {
    for (auto& page : pages) {
        budget.check_time();
        const std::string content = page_content(page, budget);
        if (content.find(kEnvelopePrefix) == std::string::npos && content.find("TJ") == std::string::npos)
            continue;  // neither a whole token nor a split one can be here
        for (const auto& text : shown_text_blocks(content)) {
            reader.scan(text);
            if (reader.opened()) return;
        }
    }
}

class InvisibleTextCarrier final : public Carrier {
public:
    bool accepts_position(std::optional<std::string_view> position) const override {
        return parse_page_choice(position).has_value();
    }
    void place(QPDF& pdf, std::vector<QPDFPageObjectHelper>& pages, const Placement& where) const override {
        const auto choice = require_page_choice(where.position);
        ContentLayer layer(pdf, where.token, StampEdge::none, {});
        for (std::size_t i = 0; i < pages.size(); ++i)
            if (page_chosen(choice, i, pages.size())) layer.apply(pages[i]);
    }
    void collect(QPDF&, std::vector<QPDFPageObjectHelper>& pages, Budget& budget,
                 EnvelopeReader& reader) const override {
        collect_shown_text(pages, budget, reader);
    }
};

std::optional<StampEdge> parse_edge(std::optional<std::string_view> position) {
    if (!position || position->empty() || *position == "bottom") return StampEdge::bottom;
    if (*position == "top") return StampEdge::top;
    return std::nullopt;
}

class VisibleStampCarrier final : public Carrier {
public:
    bool accepts_position(std::optional<std::string_view> position) const override {
        return parse_edge(position).has_value();
    }
    void place(QPDF& pdf, std::vector<QPDFPageObjectHelper>& pages, const Placement& where) const override {
        const auto edge = parse_edge(where.position);
        if (!edge) throw InvalidInput("Unknown position (use bottom or top)");
        ContentLayer layer(pdf, where.token, *edge, stamp_text(where.recipient));
        for (auto& page : pages) layer.apply(page);
    }
    void collect(QPDF&, std::vector<QPDFPageObjectHelper>& pages, Budget& budget,
                 EnvelopeReader& reader) const override {
        collect_shown_text(pages, budget, reader);
    }
};

}  // namespace

std::unique_ptr<Carrier> make_invisible_text_carrier() { return std::make_unique<InvisibleTextCarrier>(); }
std::unique_ptr<Carrier> make_visible_stamp_carrier() { return std::make_unique<VisibleStampCarrier>(); }

}  // namespace tatou::watermark
