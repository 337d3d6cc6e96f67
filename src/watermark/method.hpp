#pragma once
// The watermarking method interface. Methods take typed parameters and raw PDF bytes; they know
// nothing of HTTP, JSON or the database.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tatou::watermark {

// Mirrors the original's hierarchy so callers can tell the three outcomes apart.
struct WatermarkError : std::runtime_error { using std::runtime_error::runtime_error; };
struct SecretNotFound : WatermarkError { using WatermarkError::WatermarkError; };
struct InvalidKey : WatermarkError { using WatermarkError::WatermarkError; };
struct InvalidInput : WatermarkError { using WatermarkError::WatermarkError; };  // ValueError
struct NotApplicable : WatermarkError { using WatermarkError::WatermarkError; };

struct EmbedParams {
    std::string_view secret;
    std::string_view key;
    std::optional<std::string_view> position;
    std::optional<std::string_view> client_identity;  // RMAP recipient, when there is one
    std::optional<std::string_view> recipient;        // intended_for, shown by visible stamps
};

class Method {
public:
    virtual ~Method() = default;
    virtual std::string_view name() const = 0;  // stable: API, audit and metrics use it
    virtual std::string_view usage() const = 0;
    virtual bool applicable(std::string_view pdf, std::optional<std::string_view> position) const = 0;
    // Returns a complete new PDF. Throws InvalidInput or WatermarkError.
    virtual std::string embed(std::string_view pdf, const EmbedParams& params) const = 0;
    // applicable() and embed() as one step, NotApplicable instead of false. One step because the
    // PDF jail runs it in one child process: one fork and one parse budget per watermark.
    virtual std::string embed_checked(std::string_view pdf, const EmbedParams& params) const {
        if (!applicable(pdf, params.position)) throw NotApplicable("watermarking method not applicable");
        return embed(pdf, params);
    }
    // Throws SecretNotFound, InvalidKey or WatermarkError.
    virtual std::string read(std::string_view pdf, std::string_view key) const = 0;
};

// The original's load_pdf_bytes check: the bytes must start with "%PDF-".
void require_pdf_header(std::string_view pdf);

}  // namespace tatou::watermark
