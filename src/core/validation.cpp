#include "core/validation.hpp"

#include <cctype>
#include <vector>

namespace tatou::validation {
namespace {

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Folds the two-byte UTF-8 sequences of Latin-1 letters to ASCII, like NFKD + ASCII drop.
char fold_latin1(unsigned char lead, unsigned char trail) {
    if (lead != 0xC3) return 0;
    static constexpr const char* table =  // U+00C0..U+00FF
        "AAAAAAACEEEEIIII"
        "DNOOOOO\0OUUUUY\0s"
        "aaaaaaaceeeeiiii"
        "\0nooooo\0ouuuuy\0y";
    const unsigned idx = trail - 0x80u;
    return idx < 64 ? table[idx] : 0;
}

}  // namespace

std::string trim(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

std::string to_lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// ^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$, written out to avoid std::regex costs.
bool valid_email(std::string_view email) {
    if (email.size() > 320) return false;
    const auto at = email.find('@');
    if (at == std::string_view::npos || at == 0) return false;
    const auto local = email.substr(0, at);
    const auto domain = email.substr(at + 1);
    for (char c : local)
        if (!is_alnum(c) && c != '.' && c != '_' && c != '%' && c != '+' && c != '-') return false;
    const auto dot = domain.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return false;
    for (char c : domain.substr(0, dot))
        if (!is_alnum(c) && c != '.' && c != '-') return false;
    const auto tld = domain.substr(dot + 1);
    if (tld.size() < 2) return false;
    for (char c : tld)
        if (!std::isalpha(static_cast<unsigned char>(c))) return false;
    return true;
}

bool valid_login(std::string_view login) {
    if (login.size() < 3 || login.size() > 50) return false;
    for (char c : login)
        if (!is_alnum(c) && c != '_' && c != '-') return false;
    return true;
}

bool valid_password(std::string_view password) {
    if (password.size() < 10 || password.size() > 1024) return false;
    bool lower = false, upper = false, digit = false;
    for (char c : password) {
        lower |= std::islower(static_cast<unsigned char>(c)) != 0;
        upper |= std::isupper(static_cast<unsigned char>(c)) != 0;
        digit |= std::isdigit(static_cast<unsigned char>(c)) != 0;
    }
    return int(lower) + int(upper) + int(digit) >= 2;
}

std::optional<std::int64_t> parse_id(std::string_view text) {
    if (text.empty() || text.size() > 19) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(value);
}

std::string secure_filename(std::string_view name) {
    // 1. fold to ASCII; path separators become spaces.
    std::string ascii;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const auto c = static_cast<unsigned char>(name[i]);
        if (c < 0x80) {
            ascii.push_back((c == '/' || c == '\\') ? ' ' : static_cast<char>(c));
        } else if (i + 1 < name.size()) {
            if (char f = fold_latin1(c, static_cast<unsigned char>(name[i + 1]))) {
                ascii.push_back(f);
                ++i;
            }
        }
    }
    // 2. split on whitespace, join with '_'.
    std::string joined;
    std::size_t i = 0;
    while (i < ascii.size()) {
        while (i < ascii.size() && std::isspace(static_cast<unsigned char>(ascii[i]))) ++i;
        const std::size_t start = i;
        while (i < ascii.size() && !std::isspace(static_cast<unsigned char>(ascii[i]))) ++i;
        if (i > start) {
            if (!joined.empty()) joined.push_back('_');
            joined.append(ascii, start, i - start);
        }
    }
    // 3. keep [A-Za-z0-9_.-]; 4. strip '.' and '_' at both ends.
    std::string kept;
    for (char c : joined)
        if (is_alnum(c) || c == '_' || c == '.' || c == '-') kept.push_back(c);
    std::size_t b = 0, e = kept.size();
    while (b < e && (kept[b] == '.' || kept[b] == '_')) ++b;
    while (e > b && (kept[e - 1] == '.' || kept[e - 1] == '_')) --e;
    return kept.substr(b, e - b);
}

bool valid_display_text(std::string_view text, std::size_t max_bytes) {
    if (text.size() > max_bytes) return false;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7F) return false;
        int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > text.size()) return false;
        for (int k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
        // C1 controls and the Unicode line/paragraph separators confuse log and UI readers.
        if (len == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0) return false;
        if (len == 3 && c == 0xE2 && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
            (static_cast<unsigned char>(text[i + 2]) == 0xA8 || static_cast<unsigned char>(text[i + 2]) == 0xA9))
            return false;
        i += len;
    }
    return true;
}

}  // namespace tatou::validation
