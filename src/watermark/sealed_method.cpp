#include "watermark/sealed_method.hpp"

namespace tatou::watermark {

bool SealedMethod::applicable(std::string_view pdf, std::optional<std::string_view> position) const {
    return carrier_->accepts_position(position) && pdf_has_pages(pdf);
}

std::string SealedMethod::embed(std::string_view pdf, const EmbedParams& params) const {
    if (!carrier_->accepts_position(params.position)) throw InvalidInput("Unknown position for this method");
    Placement where{seal_secret(params.secret, params.key), params.position, params.recipient};
    auto doc = open_pdf(pdf);
    Budget budget;
    auto pages = pdf_pages(*doc, budget);
    try {
        carrier_->place(*doc, pages, where);
    } catch (const WatermarkError&) {
        throw;
    } catch (const std::exception&) {
        throw InvalidInput("PDF structure could not be watermarked");
    }
    return write_pdf(*doc);
}

std::string SealedMethod::read(std::string_view pdf, std::string_view key) const {
    if (key.empty()) throw InvalidInput("Key must be a non-empty string");
    auto doc = open_pdf(pdf);
    Budget budget;
    auto pages = pdf_pages(*doc, budget);
    EnvelopeReader reader(key);
    try {
        carrier_->collect(*doc, pages, budget, reader);
    } catch (const WatermarkError&) {
        throw;
    } catch (const std::exception&) {
        // A structure qpdf cannot walk past: keep what was found before it.
    }
    return reader.result("No watermark found");
}

}  // namespace tatou::watermark
