#include "obs/json_line.hpp"

#include <cmath>
#include <cstdio>

namespace tatou::obs {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    std::uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (std::size_t k = 1; k < n; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (cc & 0x3f);
    }
    const bool overlong = (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
    if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

void append_escape(std::string& out, unsigned code) {
    static constexpr char hex[] = "0123456789abcdef";
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out.push_back(hex[(code >> shift) & 0xf]);
}

}  // namespace

void append_json_string(std::string& out, std::string_view value, std::size_t cap) {
    out.push_back('"');
    const std::size_t limit = std::min(value.size(), cap);
    for (std::size_t i = 0; i < limit;) {
        const auto c = static_cast<unsigned char>(value[i]);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
            ++i;
        } else if (c < 0x20 || c == 0x7f) {
            append_escape(out, c);
            ++i;
        } else if (c < 0x80) {
            out.push_back(static_cast<char>(c));
            ++i;
        } else {
            const std::size_t n = utf8_length(value, i);
            if (n == 0 || i + n > limit) {
                out += "\\ufffd";
                ++i;
                continue;
            }
            if (n == 3 && c == 0xe2 && static_cast<unsigned char>(value[i + 1]) == 0x80 &&
                (static_cast<unsigned char>(value[i + 2]) == 0xa8 || static_cast<unsigned char>(value[i + 2]) == 0xa9)) {
                append_escape(out, static_cast<unsigned char>(value[i + 2]) == 0xa8 ? 0x2028 : 0x2029);
            } else {
                out.append(value.substr(i, n));
            }
            i += n;
        }
    }
    out.push_back('"');
}

JsonLine::JsonLine() { out_.reserve(768); out_.push_back('{'); }

void JsonLine::key(std::string_view k) {
    if (!first_) out_.push_back(',');
    first_ = false;
    out_.push_back('"');
    out_.append(k);
    out_ += "\":";
}

void JsonLine::open(std::string_view k) {
    key(k);
    out_.push_back('{');
    first_ = true;
    ++depth_;
}

void JsonLine::close() {
    out_.push_back('}');
    first_ = false;
    --depth_;
}

void JsonLine::str(std::string_view k, std::string_view value, std::size_t cap) {
    key(k);
    append_json_string(out_, value, cap);
}

void JsonLine::num(std::string_view k, std::int64_t value) {
    key(k);
    out_ += std::to_string(value);
}

void JsonLine::real(std::string_view k, double value) {
    key(k);
    if (!std::isfinite(value)) {
        out_ += "null";
        return;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", value);
    out_ += buf;
}

void JsonLine::boolean(std::string_view k, bool value) {
    key(k);
    out_ += value ? "true" : "false";
}

void JsonLine::str_array(std::string_view k, std::string_view single_value) {
    key(k);
    out_.push_back('[');
    append_json_string(out_, single_value, 64);
    out_.push_back(']');
}

std::string JsonLine::finish() {
    while (depth_ > 0) close();
    return std::move(out_);
}

}  // namespace tatou::obs
