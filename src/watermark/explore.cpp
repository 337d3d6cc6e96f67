#include "watermark/explore.hpp"

#include <cstdio>

#include "core/crypto.hpp"
#include "watermark/pdf_doc.hpp"

namespace tatou::watermark {

namespace {

std::string padded(const char* prefix, int width, long long n) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s%0*lld", prefix, width, n);
    return buf;
}

}  // namespace

nlohmann::json explore_pdf(std::string_view bytes) {
    auto pdf = open_pdf(bytes);
    Budget budget;
    auto pages = pdf_pages(*pdf, budget);
    nlohmann::json children = nlohmann::json::array();
    for (std::size_t i = 0; i < pages.size(); ++i) {
        nlohmann::json bbox = nullptr;
        auto media = pages[i].getMediaBox();
        if (media.isRectangle()) {
            const auto r = media.getArrayAsRectangle();
            bbox = {r.llx, r.lly, r.urx, r.ury};
        }
        children.push_back({{"id", padded("page:", 4, static_cast<long long>(i))},
                            {"type", "Page"},
                            {"index", i},
                            {"bbox", bbox}});
    }
    for (auto& object : pdf->getAllObjects()) {
        budget.check_time();
        std::string type = "Object";
        const bool is_stream = object.isStream();
        auto dict = is_stream ? object.getDict() : object;
        if (dict.isDictionary() && dict.getKey("/Type").isName()) type = dict.getKey("/Type").getName().substr(1);
        // A digest of the object's own text (stream data excluded, so no stream is inflated).
        const std::string text = is_stream ? dict.unparse() : object.unparse();
        children.push_back({{"id", padded("obj:", 6, object.getObjectID())},
                            {"type", type},
                            {"xref", object.getObjectID()},
                            {"is_stream", is_stream},
                            {"content_sha256", crypto::sha256_hex(text)}});
    }
    return {{"id", "pdf:" + crypto::sha256_hex(bytes)},
            {"type", "Document"},
            {"size", bytes.size()},
            {"children", std::move(children)}};
}

}  // namespace tatou::watermark
