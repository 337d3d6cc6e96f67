#pragma once
// tatou-geometry: a per-version codeword carried by where the visible text is drawn. Every text
// line of every page moves by ±kShift points across and ±kShift points up or down, the signs
// being bits of a keyed pseudo-random codeword (HMAC-SHA256 under the Argon2id-stretched key). The glyphs,
// strings and order stay as they were, so text extraction is unchanged, and a line moves at most
// √2·kShift < 0.6 pt. Printing, scanning, screenshots and re-distilling keep the geometry; the
// codeword is read back non-blind by src/leak, which compares a leak with the original and with
// each issued version (their layouts come from text_layout()).
#include <memory>
#include <string>

#include "watermark/method.hpp"

namespace tatou::watermark {

inline constexpr double kShift = 0.4;  // points per axis

class GeometryMethod final : public Method {
public:
    // `layered`, when set, is embedded after the geometry (tatou-content for file-level
    // robustness) and answers read().
    GeometryMethod(std::string_view name, std::string_view usage, std::unique_ptr<Method> layered = nullptr)
        : name_(name), usage_(usage), layered_(std::move(layered)) {}

    std::string_view name() const override { return name_; }
    std::string_view usage() const override { return usage_; }
    bool applicable(std::string_view pdf, std::optional<std::string_view> position) const override;
    std::string embed(std::string_view pdf, const EmbedParams& params) const override;
    std::string read(std::string_view pdf, std::string_view key) const override;

private:
    std::string_view name_;
    std::string_view usage_;
    std::unique_ptr<Method> layered_;
};

// The codeword's key material for one version: HMAC-SHA256 keyed by Argon2id(key, salt) at the
// sealed tokens' cost (kWatermarkKdf, envelope.hpp), salt = BLAKE2b-128 of the secret. Whoever
// holds a leaked copy, the original and the secret would otherwise test guesses of the key
// against the line shifts at HMAC speed (issue 14, auth class 7). Versions made with the
// HMAC-only v1 derivation need no change: leaks are identified by comparing layouts (src/leak),
// never by re-deriving a codeword from the key.
std::string geometry_key_material(std::string_view key, std::string_view secret);

// The visible text layout of every page as lines of text:
//   page <index> <llx> <lly> <urx> <ury> <rotate>   (crop box, points)
//   s <x> <y> <size>                                 (one per visible show, stream order)
// Throws InvalidInput for what cannot be opened. This is what the PDF jail's layout job returns.
std::string text_layout(std::string_view pdf);

}  // namespace tatou::watermark
