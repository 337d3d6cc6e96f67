#pragma once
// The original's two reference methods: an HMAC-authenticated record appended after %%EOF.
// They differ only in marker, MAC context and messages, so one class serves both.
#include "watermark/method.hpp"

namespace tatou::watermark {

struct EofFlavor {
    std::string_view name;
    std::string_view usage;
    std::string_view marker;       // e.g. "\n%%WM-ADD-AFTER-EOF:v1\n"
    std::string_view mac_context;  // e.g. "wm:add-after-eof:v1:"
    std::string_view not_found;
};

class EofRecordMethod final : public Method {
public:
    explicit EofRecordMethod(const EofFlavor& flavor) : flavor_(flavor) {}

    std::string_view name() const override { return flavor_.name; }
    std::string_view usage() const override { return flavor_.usage; }
    bool applicable(std::string_view pdf, std::optional<std::string_view> position) const override;
    std::string embed(std::string_view pdf, const EmbedParams& params) const override;
    std::string read(std::string_view pdf, std::string_view key) const override;

private:
    std::string mac_hex(std::string_view key, std::string_view secret) const;
    EofFlavor flavor_;
};

const EofFlavor& toy_eof_flavor();
const EofFlavor& bash_bridge_eof_flavor();

}  // namespace tatou::watermark
