#pragma once
// The jail behind the interfaces the rest of the server already uses: a Method that runs each
// call in the jail, a PdfInspector for uploads, and explore for the CLI. Failures come back as
// the same watermark exceptions the in-process code throws, so callers do not change.
#include <memory>
#include <string>

#include "jail/pdf_jail.hpp"
#include "watermark/pdf_inspect.hpp"
#include "watermark/registry.hpp"

namespace tatou::jail {

class JailedMethod final : public watermark::Method {
public:
    JailedMethod(const watermark::Method& inner, PdfJail& jail) : inner_(inner), jail_(jail) {}
    std::string_view name() const override { return inner_.name(); }
    std::string_view usage() const override { return inner_.usage(); }
    bool applicable(std::string_view pdf, std::optional<std::string_view> position) const override;
    std::string embed(std::string_view pdf, const watermark::EmbedParams& params) const override;
    std::string embed_checked(std::string_view pdf, const watermark::EmbedParams& params) const override;
    std::string read(std::string_view pdf, std::string_view key) const override;

private:
    const watermark::Method& inner_;  // names and usage only; its code runs in the child
    PdfJail& jail_;
};

// The same methods, in the same order, each run in the jail. `inner` must outlive the result.
watermark::Registry jailed_registry(const watermark::Registry& inner, PdfJail& jail);

class JailedInspector final : public watermark::PdfInspector {
public:
    explicit JailedInspector(PdfJail& jail) : jail_(jail) {}
    watermark::PdfInspection inspect(std::string_view bytes) const override;

private:
    PdfJail& jail_;
};

// explore_pdf in the jail, as JSON text.
std::string explore_in_jail(PdfJail& jail, std::string_view pdf);

// watermark::text_layout in the jail (leak identification).
std::string layout_in_jail(PdfJail& jail, std::string_view pdf);

}  // namespace tatou::jail
