#pragma once
// The shape check every RMAP message passes before any private-key operation (issue 20 class 2).
// A legitimate RMAP message is one encrypted message to the server: key packets (PKESK v3), then
// one integrity-protected data packet (SEIPD v1, or AEAD), nothing after it. Refusing every
// other shape here, on headers alone, is what keeps an unauthenticated message from costing the
// server more than one private-key operation: a decryptor tries each key packet for one of its
// keys, and hidden (all-zero) key ids make it try every key it has.
//
// Hand-written (docs/architecture.md): librnp's packet dump (rnp_dump_packets_to_json) parses
// whole messages into JSON with no limit on packet count, which is the work we want to refuse;
// the header grammar (RFC 4880 §4.2) is a few lines.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tatou::rmap {

using KeyId = std::array<std::uint8_t, 8>;

struct PacketLimits {
    std::size_t max_packets = 6;          // all top-level packets, the data packet included
    std::size_t max_key_packets = 4;      // PKESKs: ours plus a client's encrypt-to-self copies
    std::size_t max_key_packet_bytes = 1100;  // an RSA-8192 session key fits; nothing bigger is a key packet
    std::size_t max_partial_chunks = 64;  // partial body lengths of the data packet
};

// Throws MessageError (openpgp.hpp) naming the first problem unless `binary` is: 1..max key
// packets (v3, no hidden recipient, exactly one naming a key in `ours`), then exactly one
// SEIPD v1 or AEAD packet that ends the message. No cryptography is done.
void check_message_shape(std::string_view binary, const std::vector<KeyId>& ours, const PacketLimits& limits = {});

// "0123456789ABCDEF" (librnp's keyid text) -> bytes; throws std::invalid_argument.
KeyId key_id_from_hex(std::string_view hex);

}  // namespace tatou::rmap
