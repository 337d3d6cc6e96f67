#pragma once
// The original's phantom-annotation-g21 format (platform.md §5.6), written and read exactly so
// evidence made by the original stays readable. The format's own crypto (PBKDF2 + an HMAC
// counter-mode stream, encrypt-then-MAC) is kept only here; our own methods use envelope.hpp.
// One deliberate difference: a record whose MAC fails under the given key is reported as a
// wrong key, where the original reported "not found".
#include "watermark/method.hpp"

namespace tatou::watermark {

namespace g21 {

struct Sealed {
    std::string salt_b64, iv_b64, payload_encrypted, hmac;
};

std::string derive_key(std::string_view key, std::string_view salt);
std::string plaintext(std::optional<std::string_view> client, std::string_view secret, std::string_view timestamp);
Sealed seal(std::string_view plaintext, std::string_view key, std::string_view salt, std::string_view iv,
            std::string_view timestamp);
std::string python_timestamp_now();  // 2025-01-01T00:00:00.123456+00:00

}  // namespace g21

class PhantomG21Method final : public Method {
public:
    std::string_view name() const override { return "phantom-annotation-g21"; }
    std::string_view usage() const override;
    bool applicable(std::string_view pdf, std::optional<std::string_view> position) const override;
    std::string embed(std::string_view pdf, const EmbedParams& params) const override;
    std::string read(std::string_view pdf, std::string_view key) const override;
};

}  // namespace tatou::watermark
