// Arbitrary bytes into the RMAP packet shape check (rmap/packets.hpp), the header walk every
// unauthenticated message passes before any private-key operation. rmap_payload_fuzz reaches it
// only behind the payload decoder and the armor; this target drives it directly, fast, with the
// server's key id chosen by the input. The first 8 bytes are the key id, the rest the binary
// message. Contract: accepted or a MessageError, nothing else (the route answers that with a 4xx).
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "rmap/openpgp.hpp"
#include "rmap/packets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace r = tatou::rmap;
    if (size < 8) return 0;
    r::KeyId ours{};
    for (std::size_t i = 0; i < 8; ++i) ours[i] = data[i];
    const std::string_view message(reinterpret_cast<const char*>(data + 8), size - 8);
    const r::PacketLimits limits;
    try {
        r::check_message_shape(message, {ours}, limits);
    } catch (const r::MessageError&) {
    }
    // The key id text parser (server key files name the key this way).
    try {
        (void)r::key_id_from_hex(message.substr(0, 16));
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
