#pragma once
// The "payload" string of an RMAP message: how an encrypted OpenPGP message travels inside JSON.
// Clients in the wild use four encodings (compat-contract.md §4, platform.md §7.3); all are
// accepted on input, and replies always use F4, the only one RMAP 1.0.2 clients accept.
//
//   F1  base64 of the full ASCII armor (BEGIN line, headers, body, CRC, END line)
//   F2  base64 of the armor body (base64 lines and the "=XXXX" CRC line)
//   F3  the armor body itself: base64 lines joined by "\n", with or without the CRC line
//   F4  one line of standard base64 of the binary message (what RMAP 1.0.2 sends)
//
// A payload that contains a full armor block as plain text is accepted too.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tatou::rmap {

// Payloads longer than this are refused before any decoding (real ones are a few KiB).
inline constexpr std::size_t kMaxPayloadChars = 32 * 1024;

enum class PayloadFormat { armored_text, f1_base64_armor, f2_base64_armor_body, f3_armor_body, f4_base64_binary };

struct DecodedPayload {
    std::string message;  // binary OpenPGP packets, or ASCII armor text (armored_text and F1)
    PayloadFormat format;
};

// Pure text processing, no cryptography: nullopt when the payload is none of the encodings.
// The result is not yet known to be a valid OpenPGP message.
std::optional<DecodedPayload> decode_payload(std::string_view payload);

// F4: standard base64 with padding, one line, no armor.
std::string encode_payload(std::string_view binary_message);

}  // namespace tatou::rmap
