#pragma once
// The plaintexts of the four RMAP messages (platform.md §7.2): parsed from decrypted JSON into
// structs, and written back as JSON text. Both sides are here so the server and the operator's
// client (`tatou rmap client`) agree byte for byte.
#include <cstdint>
#include <string>
#include <string_view>

namespace tatou::rmap {

// Identities are file stems; anything longer cannot name a registered one.
inline constexpr std::size_t kMaxIdentityBytes = 128;
// Decrypted plaintexts larger than this are refused (real ones are under 100 bytes).
inline constexpr std::size_t kMaxPlaintextBytes = 4096;

struct Msg1 {
    std::string identity;
    std::uint64_t nonce_client = 0;
};
struct Msg2 {
    std::uint64_t nonce_server = 0;
};
struct Resp1 {
    std::uint64_t nonce_client = 0;
    std::uint64_t nonce_server = 0;
};

// Each parser takes the decrypted text: a UTF-8 JSON object with the message's fields (extra
// fields are ignored, as RMAP servers and clients do). Throws MessageError (openpgp.hpp) naming
// the problem, for the diagnostic log only.
Msg1 parse_msg1(std::string_view plaintext);
Msg2 parse_msg2(std::string_view plaintext);
Resp1 parse_resp1(std::string_view plaintext);
// resp2's "result"; a "link" field is read when "result" is absent (one client revision).
std::string parse_resp2(std::string_view plaintext);

std::string msg1_json(const Msg1& msg);
std::string msg2_json(const Msg2& msg);
std::string resp1_json(const Resp1& resp);
std::string resp2_json(const std::string& result);

}  // namespace tatou::rmap
