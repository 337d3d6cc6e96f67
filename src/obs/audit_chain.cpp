#include "obs/audit_chain.hpp"

#include <sodium.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/crypto.hpp"

namespace tatou::obs {

namespace {

constexpr std::string_view kPrefix = "{\"@timestamp\":\"";
constexpr std::string_view kMiddle = "\",\"event\":{\"hash\":\"";

std::array<unsigned char, 32> hmac(const ChainKey& key, std::string_view msg) {
    std::array<unsigned char, 32> out{};
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key.data(), key.size());
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
    crypto_auth_hmacsha256_final(&st, out.data());
    sodium_memzero(&st, sizeof st);
    return out;
}

std::string hex(const unsigned char* p, std::size_t n) {
    return crypto::to_hex(std::string_view(reinterpret_cast<const char*>(p), n));
}

bool from_hex(std::string_view text, unsigned char* out, std::size_t n) {
    std::size_t got = 0;
    return text.size() == 2 * n &&
           sodium_hex2bin(out, n, text.data(), text.size(), nullptr, &got, nullptr) == 0 && got == n;
}

std::string compute_seal(std::string line, const ChainKey& key) {
    std::fill_n(line.begin() + kSealOffset, kSealLength, '0');
    const ChainKey mac_key = hmac(key, "tatou-audit-mac");
    const auto mac = hmac(mac_key, line);
    return hex(mac.data(), mac.size());
}

struct Segment {
    std::filesystem::path path;
    std::uint64_t first = 0;
};

}  // namespace

ChainKey next_key(const ChainKey& key) { return hmac(key, "tatou-audit-next"); }

ChainKey advance_key(ChainKey key, std::uint64_t steps) {
    for (std::uint64_t i = 0; i < steps; ++i) key = next_key(key);
    return key;
}

std::string key_id(const ChainKey& initial) {
    const auto id = hmac(initial, "tatou-audit-key-id");
    return hex(id.data(), 8);
}

bool line_has_seal_layout(std::string_view line) {
    return line.size() > kSealOffset + kSealLength && line.substr(0, kPrefix.size()) == kPrefix &&
           line.substr(kPrefix.size() + 24, kMiddle.size()) == kMiddle;
}

std::string seal_line(std::string& line, const ChainKey& key) {
    const std::string seal = compute_seal(line, key);
    std::copy(seal.begin(), seal.end(), line.begin() + kSealOffset);
    return seal;
}

std::string encode_verify_key(const VerifyKey& key) {
    return nlohmann::json{{"key_id", key.key_id},
                          {"initial_key", hex(key.initial.data(), key.initial.size())},
                          {"checkpoint_public_key",
                           crypto::to_hex(key.checkpoint_public_key)},
                          {"note", "Tatou audit verification key. Keep it off the server."}}
               .dump(2);
}

std::optional<VerifyKey> decode_verify_key(std::string_view json) {
    const auto j = nlohmann::json::parse(json, nullptr, false);
    if (!j.is_object() || !j.contains("initial_key") || !j["initial_key"].is_string()) return std::nullopt;
    VerifyKey key;
    if (!from_hex(j["initial_key"].get<std::string>(), key.initial.data(), key.initial.size())) return std::nullopt;
    key.key_id = key_id(key.initial);
    if (j.contains("checkpoint_public_key") && j["checkpoint_public_key"].is_string()) {
        std::string pk(crypto_sign_PUBLICKEYBYTES, '\0');
        if (from_hex(j["checkpoint_public_key"].get<std::string>(), reinterpret_cast<unsigned char*>(pk.data()),
                     pk.size()))
            key.checkpoint_public_key = pk;
    }
    return key;
}

std::string checkpoint_line(std::uint64_t sequence, const std::string& hash, const std::string& key_id,
                            const std::string& timestamp, const std::string& secret_key) {
    const std::string body = std::to_string(sequence) + ":" + hash + ":" + key_id + ":" + timestamp;
    std::string sig(crypto_sign_BYTES, '\0');
    crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                         reinterpret_cast<const unsigned char*>(body.data()), body.size(),
                         reinterpret_cast<const unsigned char*>(secret_key.data()));
    return nlohmann::json{{"@timestamp", timestamp},
                          {"sequence", sequence},
                          {"hash", hash},
                          {"key_id", key_id},
                          {"signature", crypto::to_hex(sig)}}
        .dump();
}

VerifyReport verify_chain(const std::vector<std::filesystem::path>& files, const VerifyKey& key,
                          const VerifyOptions& options) {
    VerifyReport r;
    auto fail = [&](std::uint64_t seq, const std::string& file, std::size_t line, std::string problem) {
        r.ok = false;
        r.bad_sequence = seq;
        r.bad_file = file;
        r.bad_line = line;
        r.problem = std::move(problem);
        return r;
    };

    std::map<std::uint64_t, std::string> checkpoints;  // sequence -> seal the signer saw
    if (options.checkpoints) {
        std::ifstream in(*options.checkpoints);
        if (!in) return fail(0, options.checkpoints->string(), 0, "checkpoint file unreadable");
        std::string line;
        std::size_t line_no = 0;
        while (std::getline(in, line)) {
            ++line_no;
            const auto c = nlohmann::json::parse(line, nullptr, false);
            if (!c.is_object() || !c.contains("sequence") || !c["sequence"].is_number_unsigned() ||
                !c.contains("signature") || !c["signature"].is_string() || !c.contains("hash") ||
                !c["hash"].is_string() || !c.contains("@timestamp") || !c["@timestamp"].is_string() ||
                !c.contains("key_id") || !c["key_id"].is_string())
                return fail(0, options.checkpoints->string(), line_no, "checkpoint line malformed");
            const std::string body = std::to_string(c["sequence"].get<std::uint64_t>()) + ":" +
                                     c["hash"].get<std::string>() + ":" + c["key_id"].get<std::string>() + ":" +
                                     c["@timestamp"].get<std::string>();
            std::string sig(crypto_sign_BYTES, '\0');
            if (key.checkpoint_public_key.size() != crypto_sign_PUBLICKEYBYTES ||
                !from_hex(c["signature"].get<std::string>(), reinterpret_cast<unsigned char*>(sig.data()), sig.size()) ||
                crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                            reinterpret_cast<const unsigned char*>(body.data()), body.size(),
                                            reinterpret_cast<const unsigned char*>(key.checkpoint_public_key.data())) != 0)
                return fail(0, options.checkpoints->string(), line_no, "checkpoint signature invalid");
            checkpoints[c["sequence"].get<std::uint64_t>()] = c["hash"].get<std::string>();
        }
    }

    std::vector<Segment> segments;
    for (const auto& f : files) {
        std::ifstream in(f);
        std::string first;
        if (!in || !std::getline(in, first)) continue;  // an empty segment carries nothing
        const auto j = nlohmann::json::parse(first, nullptr, false);
        std::uint64_t seq = 0;
        if (j.is_object() && j.contains("event") && j["event"].is_object() && j["event"].contains("sequence") &&
            j["event"]["sequence"].is_number_unsigned())
            seq = j["event"]["sequence"].get<std::uint64_t>();
        if (seq == 0) return fail(0, f.string(), 1, "first line is not an audit record");
        segments.push_back({f, seq});
    }
    std::sort(segments.begin(), segments.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    if (segments.empty()) return fail(0, "", 0, "no audit records");

    std::uint64_t expected = segments.front().first;
    ChainKey k = advance_key(key.initial, expected - 1);
    std::string prev;
    r.first_sequence = expected;
    for (const auto& seg : segments) {
        std::ifstream in(seg.path);
        std::string line;
        std::size_t line_no = 0;
        while (std::getline(in, line)) {
            ++line_no;
            const std::string file = seg.path.string();
            if (!line_has_seal_layout(line)) return fail(expected, file, line_no, "line is not a sealed record");
            const auto j = nlohmann::json::parse(line, nullptr, false);
            if (!j.is_object() || !j.contains("event") || !j["event"].is_object())
                return fail(expected, file, line_no, "line is not valid JSON");
            const auto& ev = j["event"];
            if (!ev.contains("sequence") || !ev["sequence"].is_number_unsigned() ||
                ev["sequence"].get<std::uint64_t>() != expected)
                return fail(expected, file, line_no, "sequence out of order (a record is missing, moved or added)");
            const std::string seal = line.substr(kSealOffset, kSealLength);
            if (!crypto::constant_time_equal(seal, compute_seal(line, k)))
                return fail(expected, file, line_no, "seal does not match (record changed or sealed with another key)");
            const auto audit = j.contains("tatou") && j["tatou"].is_object() && j["tatou"].contains("audit")
                                   ? j["tatou"]["audit"]
                                   : nlohmann::json();
            if (!audit.is_object() || !audit.contains("prev_hash") || !audit["prev_hash"].is_string())
                return fail(expected, file, line_no, "record has no previous-seal link");
            if (!prev.empty() && audit["prev_hash"].get<std::string>() != prev)
                return fail(expected, file, line_no, "previous-seal link broken");
            if (!audit.contains("key_id") || audit["key_id"] != key.key_id)
                return fail(expected, file, line_no, "record names another verification key");
            if (const auto cp = checkpoints.find(expected); cp != checkpoints.end() && cp->second != seal)
                return fail(expected, file, line_no, "record differs from its signed checkpoint");
            prev = seal;
            k = next_key(k);
            ++r.records;
            r.last_sequence = expected;
            ++expected;
        }
    }
    r.last_hash = prev;
    if (options.expect_last_sequence && r.last_sequence < *options.expect_last_sequence)
        return fail(r.last_sequence + 1, "", 0,
                    "log ends at sequence " + std::to_string(r.last_sequence) + ", expected at least " +
                        std::to_string(*options.expect_last_sequence) + " (tail truncated)");
    if (!checkpoints.empty() && checkpoints.rbegin()->first > r.last_sequence)
        return fail(r.last_sequence + 1, "", 0,
                    "a signed checkpoint names sequence " + std::to_string(checkpoints.rbegin()->first) +
                        " but the log ends at " + std::to_string(r.last_sequence) + " (tail truncated)");
    r.ok = true;
    return r;
}

}  // namespace tatou::obs
