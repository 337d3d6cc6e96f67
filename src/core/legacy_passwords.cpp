#include "core/legacy_passwords.hpp"

#include <sodium.h>

#include <charconv>
#include <string>
#include <vector>

#include "core/crypto.hpp"

namespace tatou {
namespace {

std::optional<unsigned long long> number(std::string_view s) {
    unsigned long long v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    for (std::size_t start = 0;;) {
        const auto pos = s.find(sep, start);
        out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) return out;
        start = pos + 1;
    }
}

std::optional<std::string> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0 || hex.empty()) return std::nullopt;
    std::string out(hex.size() / 2, '\0');
    std::size_t len = 0;
    if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(), nullptr,
                       &len, nullptr) != 0 ||
        len != out.size())
        return std::nullopt;
    return out;
}

// Werkzeug 3 defaults, used when the method string leaves them out.
constexpr unsigned long long kDefaultScryptN = 1ULL << 15, kDefaultScryptR = 8, kDefaultScryptP = 1;
constexpr unsigned long long kDefaultPbkdf2Iterations = 600000;
// Refused above these: a stored hash must not make one login cost more than ~256 MiB or ~10 s.
constexpr unsigned long long kMaxScryptMemory = 256ULL << 20;
constexpr unsigned long long kMaxPbkdf2Iterations = 10'000'000;

std::optional<std::string> derive(std::string_view method, std::string_view salt, std::string_view password,
                                  std::size_t length) {
    const auto args = split(method, ':');
    if (args[0] == "scrypt") {
        if (args.size() != 1 && args.size() != 4) return std::nullopt;
        unsigned long long n = kDefaultScryptN, r = kDefaultScryptR, p = kDefaultScryptP;
        if (args.size() == 4) {
            const auto n_ = number(args[1]), r_ = number(args[2]), p_ = number(args[3]);
            if (!n_ || !r_ || !p_) return std::nullopt;
            n = *n_, r = *r_, p = *p_;
        }
        if (n < 2 || (n & (n - 1)) != 0 || r == 0 || p == 0 || r > 64 || p > 16 || 128 * n * r > kMaxScryptMemory)
            return std::nullopt;
        std::string out(length, '\0');
        if (crypto_pwhash_scryptsalsa208sha256_ll(reinterpret_cast<const std::uint8_t*>(password.data()),
                                                  password.size(), reinterpret_cast<const std::uint8_t*>(salt.data()),
                                                  salt.size(), n, static_cast<std::uint32_t>(r),
                                                  static_cast<std::uint32_t>(p),
                                                  reinterpret_cast<std::uint8_t*>(out.data()), out.size()) != 0)
            return std::nullopt;
        return out;
    }
    if (args[0] == "pbkdf2") {
        if (args.size() > 3) return std::nullopt;
        if (args.size() >= 2 && args[1] != "sha256") return std::nullopt;  // the only digest Werkzeug 2+ writes
        unsigned long long iterations = kDefaultPbkdf2Iterations;
        if (args.size() == 3) {
            const auto it = number(args[2]);
            if (!it || *it == 0 || *it > kMaxPbkdf2Iterations) return std::nullopt;
            iterations = *it;
        }
        return crypto::pbkdf2_hmac_sha256(password, salt, static_cast<unsigned>(iterations), length);
    }
    return std::nullopt;
}

}  // namespace

bool is_werkzeug_hash(std::string_view stored) {
    return stored.rfind("scrypt:", 0) == 0 || stored.rfind("scrypt$", 0) == 0 || stored.rfind("pbkdf2:", 0) == 0 ||
           stored.rfind("pbkdf2$", 0) == 0;
}

std::optional<bool> verify_werkzeug_hash(std::string_view stored, std::string_view password) {
    const auto parts = split(stored, '$');
    if (parts.size() != 3 || parts[1].empty()) return std::nullopt;
    const auto expected = from_hex(parts[2]);
    if (!expected || expected->size() > 128) return std::nullopt;
    // Werkzeug uses the salt's text as bytes, and compares hex digests of the default length.
    const auto derived = derive(parts[0], parts[1], password, expected->size());
    if (!derived) return std::nullopt;
    return crypto::constant_time_equal(*derived, *expected);
}

}  // namespace tatou
