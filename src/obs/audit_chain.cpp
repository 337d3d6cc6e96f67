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

ChainKey next_checkpoint_seed(const ChainKey& seed) {
    ChainKey out{};
    static constexpr std::string_view label = "tatou-audit-checkpoint-next";
    crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(label.data()), label.size(),
                       seed.data(), seed.size());
    return out;
}

ChainKey advance_checkpoint_seed(ChainKey seed, std::uint64_t steps) {
    for (std::uint64_t i = 0; i < steps; ++i) seed = next_checkpoint_seed(seed);
    return seed;
}

namespace {

std::string encode_key(const VerifyKey& key, const char* kind, const char* note) {
    return nlohmann::json{{"kind", kind},
                          {"key_id", key.key_id},
                          {"origin", key.origin},
                          {"initial_key", hex(key.initial.data(), key.initial.size())},
                          {"checkpoint_seed", hex(key.checkpoint_seed.data(), key.checkpoint_seed.size())},
                          {"note", note}}
               .dump(2);
}

// The Ed25519 key pair of one epoch; the secret half is wiped by the caller.
void epoch_keypair(const ChainKey& seed, unsigned char* pk, unsigned char* sk) {
    crypto_sign_seed_keypair(pk, sk, seed.data());
}

std::string checkpoint_body(std::uint64_t epoch, std::uint64_t sequence, const std::string& hash,
                            const std::string& key_id, const std::string& timestamp) {
    return std::to_string(epoch) + ":" + std::to_string(sequence) + ":" + hash + ":" + key_id + ":" + timestamp;
}

// Lines of a file, and whether the last one ends without its newline (cut by a crash mid-write).
std::vector<std::string> read_lines(const std::filesystem::path& p, bool& unterminated, bool& readable) {
    std::ifstream in(p, std::ios::binary);
    readable = static_cast<bool>(in);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < data.size()) {
        const auto nl = data.find('\n', at);
        if (nl == std::string::npos) {
            out.push_back(data.substr(at));
            unterminated = true;
            break;
        }
        out.push_back(data.substr(at, nl - at));
        at = nl + 1;
    }
    return out;
}

}  // namespace

std::string encode_verify_key(const VerifyKey& key) {
    return encode_key(key, "verify",
                      key.origin == "keygen"
                          ? "Tatou audit verification key. Keep it off the server: whoever holds it can forge the log."
                          : "Made by the server on its own host: NOT trusted evidence. Provision the server with "
                            "`tatou audit keygen` to get a key that never was on the host.");
}

std::string encode_provision_key(const VerifyKey& key) {
    return encode_key(key, "provision",
                      "Tatou audit provision file: put it in the server's log folder before its first start; the "
                      "server reads it once and erases it. Keep audit-verify.key off the server.");
}

VerifyKey generate_root_key(const std::string& origin) {
    VerifyKey key;
    randombytes_buf(key.initial.data(), key.initial.size());
    randombytes_buf(key.checkpoint_seed.data(), key.checkpoint_seed.size());
    key.has_checkpoint_seed = true;
    key.key_id = key_id(key.initial);
    key.origin = origin;
    return key;
}

std::optional<VerifyKey> decode_verify_key(std::string_view json) {
    const auto j = nlohmann::json::parse(json, nullptr, false);
    if (!j.is_object() || !j.contains("initial_key") || !j["initial_key"].is_string()) return std::nullopt;
    VerifyKey key;
    if (!from_hex(j["initial_key"].get<std::string>(), key.initial.data(), key.initial.size())) return std::nullopt;
    key.key_id = key_id(key.initial);
    if (j.contains("checkpoint_seed") && j["checkpoint_seed"].is_string())
        key.has_checkpoint_seed =
            from_hex(j["checkpoint_seed"].get<std::string>(), key.checkpoint_seed.data(), key.checkpoint_seed.size());
    // A file that does not say where it was made is treated as made on the host.
    key.origin = j.contains("origin") && j["origin"] == "keygen" ? "keygen" : "server";
    return key;
}

std::string checkpoint_line(std::uint64_t epoch, std::uint64_t sequence, const std::string& hash,
                            const std::string& key_id, const std::string& timestamp, const ChainKey& epoch_seed) {
    const std::string body = checkpoint_body(epoch, sequence, hash, key_id, timestamp);
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    epoch_keypair(epoch_seed, pk, sk);
    std::string sig(crypto_sign_BYTES, '\0');
    crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                         reinterpret_cast<const unsigned char*>(body.data()), body.size(), sk);
    sodium_memzero(sk, sizeof sk);
    return nlohmann::json{{"@timestamp", timestamp}, {"epoch", epoch},     {"sequence", sequence},
                          {"hash", hash},            {"key_id", key_id}, {"signature", crypto::to_hex(sig)}}
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

    struct Checkpoint {
        std::string hash, timestamp;
        std::uint64_t epoch;
        std::size_t line;
    };
    std::map<std::uint64_t, Checkpoint> checkpoints;  // sequence -> what the signer saw
    if (options.checkpoints) {
        const std::string cp_file = options.checkpoints->string();
        bool unterminated = false, readable = false;
        const auto lines = read_lines(*options.checkpoints, unterminated, readable);
        if (!readable) return fail(0, cp_file, 0, "checkpoint file unreadable");
        if (!key.has_checkpoint_seed)
            return fail(0, cp_file, 0, "the verification key has no checkpoint seed (made by an older version)");
        ChainKey seed = next_checkpoint_seed(key.checkpoint_seed);  // S_1 = H(root)
        std::uint64_t epoch = 1, last_seq = 0;
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const std::size_t line_no = i + 1;
            const auto c = nlohmann::json::parse(lines[i], nullptr, false);
            const bool well_formed =
                c.is_object() && c.contains("epoch") && c["epoch"].is_number_unsigned() && c.contains("sequence") &&
                c["sequence"].is_number_unsigned() && c.contains("signature") && c["signature"].is_string() &&
                c.contains("hash") && c["hash"].is_string() && c.contains("@timestamp") &&
                c["@timestamp"].is_string() && c.contains("key_id") && c["key_id"].is_string();
            if (!well_formed && unterminated && i + 1 == lines.size()) break;  // cut mid-write by a crash
            if (!well_formed) return fail(0, cp_file, line_no, "checkpoint line malformed");
            const auto e = c["epoch"].get<std::uint64_t>();
            const auto seq = c["sequence"].get<std::uint64_t>();
            if (e != epoch)
                return fail(seq, cp_file, line_no,
                            "checkpoint epoch " + std::to_string(e) + " where " + std::to_string(epoch) +
                                " was expected (signed checkpoints removed, reordered or forged)");
            const std::string body = checkpoint_body(e, seq, c["hash"].get<std::string>(),
                                                     c["key_id"].get<std::string>(), c["@timestamp"].get<std::string>());
            unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
            epoch_keypair(seed, pk, sk);
            sodium_memzero(sk, sizeof sk);
            std::string sig(crypto_sign_BYTES, '\0');
            if (!from_hex(c["signature"].get<std::string>(), reinterpret_cast<unsigned char*>(sig.data()), sig.size()) ||
                crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                            reinterpret_cast<const unsigned char*>(body.data()), body.size(), pk) != 0)
                return fail(seq, cp_file, line_no,
                            "checkpoint signature invalid for epoch " + std::to_string(e) + " (forged or edited)");
            if (c["key_id"] != key.key_id) return fail(seq, cp_file, line_no, "checkpoint names another chain");
            if (seq < last_seq || seq == 0)
                return fail(seq, cp_file, line_no, "checkpoint sequence goes backwards");
            if (const auto dup = checkpoints.find(seq); dup != checkpoints.end() && dup->second.hash != c["hash"])
                return fail(seq, cp_file, line_no, "two checkpoints name different seals for one sequence");
            checkpoints[seq] = {c["hash"].get<std::string>(), c["@timestamp"].get<std::string>(), e, line_no};
            last_seq = seq;
            r.last_checkpoint_epoch = e;
            r.last_checkpoint_sequence = seq;
            r.last_checkpoint_time = c["@timestamp"].get<std::string>();
            ++r.checkpoints;
            seed = next_checkpoint_seed(seed);
            ++epoch;
        }
        sodium_memzero(seed.data(), seed.size());
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
    if (segments.empty()) return fail(1, "", 0, "no audit records (the genesis record is missing)");

    // Where the evidence starts: the genesis record, or a sequence/seal the verifier trusts.
    std::uint64_t expected = segments.front().first;
    std::string prev;  // the seal the first record must link to; empty = genesis
    if (options.anchor) {
        if (expected != options.anchor->sequence + 1)
            return fail(options.anchor->sequence + 1, segments.front().path.string(), 1,
                        "the files start at sequence " + std::to_string(expected) + ", the anchor expects " +
                            std::to_string(options.anchor->sequence + 1) + " (records missing after the anchor)");
        prev = options.anchor->hash;
        r.anchored_by = "anchor";
    } else if (expected == 1) {
        r.anchored_by = "genesis";
    } else {
        const auto cp = checkpoints.find(expected - 1);
        const bool window_anchor = options.window_since && cp != checkpoints.end() &&
                                   cp->second.timestamp < *options.window_since;
        if (!window_anchor)
            return fail(1, segments.front().path.string(), 1,
                        "records 1.." + std::to_string(expected - 1) +
                            " are missing: the evidence does not start at the genesis record (head truncated)");
        prev = cp->second.hash;
        r.anchored_by = "checkpoint";
    }
    const std::uint64_t start = expected;
    // The anchor must agree with what the signer saw for that sequence.
    if (const auto cp = checkpoints.find(start - 1);
        r.anchored_by == "anchor" && cp != checkpoints.end() && cp->second.hash != prev)
        return fail(start - 1, options.checkpoints->string(), cp->second.line,
                    "the anchor's seal for sequence " + std::to_string(start - 1) +
                        " differs from the signed checkpoint for it");
    // A signed checkpoint before the first record names evidence that is gone, unless the
    // verifier said where the evidence it wants starts.
    for (const auto& [seq, cp] : checkpoints) {
        if (seq + 1 >= start) break;
        if (options.window_since && !(cp.timestamp < *options.window_since))
            return fail(seq, options.checkpoints->string(), cp.line,
                        "checkpoint names sequence " + std::to_string(seq) +
                            ", inside the window but before the first record: evidence missing");
        ++r.checkpoints_before_start;
    }

    ChainKey k = advance_key(key.initial, expected - 1);
    r.first_sequence = expected;
    for (std::size_t si = 0; si < segments.size(); ++si) {
        const auto& seg = segments[si];
        bool unterminated = false, readable = false;
        const auto lines = read_lines(seg.path, unterminated, readable);
        const std::string file = seg.path.string();
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const std::size_t line_no = i + 1;
            const auto& line = lines[i];
            // Only the very end of the log may be a line a crash cut short; it carries no record.
            // A complete record that only lacks its newline is checked like any other; a line that
            // is a record plus a stray byte (a newline flipped) is tampering, not a crash.
            if (unterminated && i + 1 == lines.size() && si + 1 == segments.size() &&
                nlohmann::json::parse(line, nullptr, false).is_discarded() &&
                nlohmann::json::parse(line.substr(0, line.size() - 1), nullptr, false).is_discarded()) {
                r.torn_tail = true;
                break;
            }
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
            if (audit["prev_hash"].get<std::string>() != prev)
                return fail(expected, file, line_no,
                            expected == start && r.anchored_by == "genesis" ? "the genesis record links to a predecessor"
                                                                            : "previous-seal link broken");
            if (!audit.contains("key_id") || audit["key_id"] != key.key_id)
                return fail(expected, file, line_no, "record names another verification key");
            if (const auto cp = checkpoints.find(expected); cp != checkpoints.end() && cp->second.hash != seal)
                return fail(expected, file, line_no, "record differs from its signed checkpoint");
            prev = seal;
            k = next_key(k);
            ++r.records;
            r.last_sequence = expected;
            ++expected;
        }
    }
    r.last_hash = prev;
    r.unanchored_tail = r.last_sequence - std::min(r.last_sequence, std::max(r.last_checkpoint_sequence, start - 1));
    if (options.expect_last_sequence && r.last_sequence < *options.expect_last_sequence)
        return fail(r.last_sequence + 1, "", 0,
                    "log ends at sequence " + std::to_string(r.last_sequence) + ", expected at least " +
                        std::to_string(*options.expect_last_sequence) + " (tail truncated)");
    if (!options.window_ends_early && !checkpoints.empty() && checkpoints.rbegin()->first > r.last_sequence)
        return fail(r.last_sequence + 1, "", 0,
                    "a signed checkpoint names sequence " + std::to_string(checkpoints.rbegin()->first) +
                        " but the log ends at " + std::to_string(r.last_sequence) + " (tail truncated)");
    r.ok = true;
    return r;
}

}  // namespace tatou::obs
