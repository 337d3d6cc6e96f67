#pragma once
// Our own methods share one shape: seal the secret into an envelope token (envelope.hpp), then
// let a carrier hide copies of the token somewhere in the PDF; reading asks the carrier for every
// copy it can find and opens the first one the key accepts. Methods differ only in the carrier,
// which is the seam with several implementations.
#include <memory>
#include <vector>

#include "watermark/envelope.hpp"
#include "watermark/method.hpp"
#include "watermark/pdf_doc.hpp"

namespace tatou::watermark {

struct Placement {
    std::string token;
    std::optional<std::string_view> position;
    std::optional<std::string_view> recipient;  // shown by visible carriers
};

class Carrier {
public:
    virtual ~Carrier() = default;
    virtual bool accepts_position(std::optional<std::string_view> position) const = 0;
    virtual void place(QPDF& pdf, std::vector<QPDFPageObjectHelper>& pages, const Placement& where) const = 0;
    // Feeds every copy found to the reader; stops early once the reader has opened one.
    virtual void collect(QPDF& pdf, std::vector<QPDFPageObjectHelper>& pages, Budget& budget,
                         EnvelopeReader& reader) const = 0;
};

class SealedMethod final : public Method {
public:
    SealedMethod(std::string_view name, std::string_view usage, std::unique_ptr<Carrier> carrier)
        : name_(name), usage_(usage), carrier_(std::move(carrier)) {}

    std::string_view name() const override { return name_; }
    std::string_view usage() const override { return usage_; }
    bool applicable(std::string_view pdf, std::optional<std::string_view> position) const override;
    std::string embed(std::string_view pdf, const EmbedParams& params) const override;
    std::string read(std::string_view pdf, std::string_view key) const override;

private:
    std::string_view name_;
    std::string_view usage_;
    std::unique_ptr<Carrier> carrier_;
};

std::unique_ptr<Carrier> make_invisible_text_carrier();
std::unique_ptr<Carrier> make_visible_stamp_carrier();
std::unique_ptr<Carrier> make_hidden_annotation_carrier();
std::unique_ptr<Carrier> make_page_piece_carrier();

}  // namespace tatou::watermark
