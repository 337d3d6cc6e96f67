#include "rmap/payload.hpp"

#include <vector>

#include "core/crypto.hpp"

namespace tatou::rmap {
namespace {

constexpr std::string_view kArmorBegin = "-----BEGIN PGP MESSAGE-----";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// "=XXXX": the armor's CRC-24 line (4 base64 characters after '=').
bool is_crc_line(std::string_view line) {
    if (line.size() != 5 || line[0] != '=') return false;
    for (char c : line.substr(1))
        if (!is_base64_char(c)) return false;
    return true;
}

struct Cleaned {
    std::string base64;
    bool multi_line = false;
};

// Drops a final CRC line (only when it follows a newline: a one-line payload ending in "="
// is padding, not a CRC) and all whitespace.
Cleaned clean_armor_body(std::string_view text) {
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start <= text.size();) {
        const auto nl = text.find('\n', start);
        const auto end = nl == std::string_view::npos ? text.size() : nl;
        const auto line = trim(text.substr(start, end - start));
        if (!line.empty()) lines.push_back(line);
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }
    Cleaned out;
    out.multi_line = lines.size() > 1;
    if (lines.size() > 1 && is_crc_line(lines.back())) lines.pop_back();
    for (auto line : lines)
        for (char c : line)
            if (!is_space(c)) out.base64.push_back(c);
    return out;
}

bool decode_base64(std::string_view text, std::string& out) {
    return !text.empty() && crypto::base64_decode(text, crypto::B64::standard, out) && !out.empty();
}

// The armor body alphabet: base64 characters, '=' and whitespace, nothing else.
bool looks_like_armor_body(std::string_view bytes) {
    if (bytes.empty()) return false;
    for (char c : bytes)
        if (!is_base64_char(c) && c != '=' && !is_space(c)) return false;
    return true;
}

// The first byte of a binary OpenPGP message is a packet header: bit 7 is always set.
bool looks_binary(std::string_view bytes) {
    return !bytes.empty() && (static_cast<unsigned char>(bytes.front()) & 0x80) != 0;
}

}  // namespace

std::optional<DecodedPayload> decode_payload(std::string_view payload) {
    if (payload.size() > kMaxPayloadChars) return std::nullopt;
    const auto text = trim(payload);
    if (text.empty()) return std::nullopt;
    if (text.find(kArmorBegin) != std::string_view::npos)
        return DecodedPayload{std::string(text), PayloadFormat::armored_text};

    const Cleaned outer = clean_armor_body(text);
    std::string bytes;
    if (!decode_base64(outer.base64, bytes)) return std::nullopt;

    if (looks_binary(bytes))
        return DecodedPayload{std::move(bytes),
                              outer.multi_line ? PayloadFormat::f3_armor_body : PayloadFormat::f4_base64_binary};
    const auto inner_text = trim(bytes);
    if (inner_text.starts_with("-----BEGIN"))
        return DecodedPayload{std::string(inner_text), PayloadFormat::f1_base64_armor};
    if (looks_like_armor_body(inner_text)) {
        // F2: the decoded text is itself an armor body; unwrap exactly once more.
        std::string inner;
        if (!decode_base64(clean_armor_body(inner_text).base64, inner) || !looks_binary(inner)) return std::nullopt;
        return DecodedPayload{std::move(inner), PayloadFormat::f2_base64_armor_body};
    }
    return std::nullopt;
}

std::string encode_payload(std::string_view binary_message) {
    return crypto::base64_encode(binary_message, crypto::B64::standard);
}

}  // namespace tatou::rmap
